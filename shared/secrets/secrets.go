// Package secrets lays the values of one secret over the environment, once,
// at cold start. NOTIFY_SECRETS names a Secrets Manager secret or a
// Parameter Store SecureString parameter whose value is a JSON object of
// configuration variables, {"NOTIFY_DATABASE_URL":"postgres://…",…}; it is
// read through the AWS Parameters and Secrets Lambda Extension's HTTP
// endpoint on localhost (extension.go), so that no AWS SDK enters the
// binary. Start at Overlay.
//
// No value of the secret ever enters an error or a log line: errors name
// the variable, the secret and what went wrong, never what it holds.
package secrets

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/seed4ddb146e/notify/shared/platform"
)

// The variables Overlay reads.
const (
	// Variable names the secret: a Secrets Manager secret's name or ARN,
	// "ssm:" and a Parameter Store parameter's name ("ssm:/notify/prod"),
	// or a parameter's ARN ("arn:aws:ssm:…:parameter/notify/prod").
	Variable = "NOTIFY_SECRETS"
	// PortVariable is the extension's port, which the extension reads too;
	// on Lambda, DefaultPort when it is not set. Outside Lambda there is no
	// extension unless this names the port of one.
	PortVariable = "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT"
	DefaultPort  = "2773"
	// TokenVariable holds the token every call to the extension carries:
	// Lambda sets it to the function's session token.
	TokenVariable = "AWS_SESSION_TOKEN"
)

// Timeout bounds the whole reading of the secret, retries included, when
// the caller's context allows longer: a cold start that cannot read its
// secret fails within it, and says why, rather than at the init phase's
// own limit.
const Timeout = 5 * time.Second

// Env is the environment with a secret's values laid over it.
type Env struct {
	// Secret is the secret as NOTIFY_SECRETS names it; "" when it names
	// none, and the environment is the process's alone.
	Secret string
	// Names are the variables the secret set, sorted.
	Names []string
	// Took is how long reading the secret took, retries included.
	Took time.Duration

	getenv func(string) string
	values map[string]string
}

// Getenv returns the secret's value of k when the secret sets k, else
// the environment's.
func (e *Env) Getenv(k string) string {
	if v, ok := e.values[k]; ok {
		return v
	}
	return e.getenv(k)
}

// Overlay reads the secret that NOTIFY_SECRETS in getenv names, through the
// extension, and returns the environment with its values laid over
// getenv's: a variable empty or unset in getenv takes the secret's value.
// Without NOTIFY_SECRETS it returns getenv as it is.
//
// It refuses, naming NOTIFY_SECRETS, the secret and what went wrong: a
// name in the secret that is not one of names (the variables the
// functions read), a variable set non-empty both in getenv and in the
// secret, a value that is not a JSON object of strings, an extension that
// refuses or cannot be reached, and NOTIFY_SECRETS outside Lambda when
// PARAMETERS_SECRETS_EXTENSION_HTTP_PORT does not name an extension.
// While the extension is starting (connections refused, or its answer
// that it is not ready), it asks again for up to ReadyWithin.
func Overlay(ctx context.Context, getenv func(string) string, names []string) (*Env, error) {
	e := &Env{getenv: getenv}
	// Spaces around the name, as a value read from a file keeps its
	// newline, are none of it; only spaces are none at all.
	id := strings.TrimSpace(getenv(Variable))
	if id == "" {
		return e, nil
	}
	e.Secret = id
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%s=%s: %s", Variable, id, fmt.Sprintf(format, args...))
	}
	src, err := sourceOf(id)
	if err != nil {
		return nil, fail("%v", err)
	}
	port := getenv(PortVariable)
	if port == "" {
		if platform.RuntimeOf(getenv) != platform.Lambda {
			return nil, fail("secrets are read through the AWS Parameters and Secrets Lambda Extension, which runs on AWS Lambda; "+
				"outside Lambda set the variables themselves, or %s to the port of an extension", PortVariable)
		}
		port = DefaultPort
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return nil, fail("%s=%q is not a port", PortVariable, port)
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	began := time.Now()
	raw, err := read(ctx, newClient(), "localhost:"+port, getenv(TokenVariable), src)
	if err != nil {
		return nil, fail("%v", err)
	}
	values, err := parse(raw, names)
	if err != nil {
		return nil, fail("the %s's value: %v", src.kind(), err)
	}
	var both []string
	for k, v := range values {
		switch {
		case v == "":
			delete(values, k) // as good as unset: the environment's stands
		case strings.TrimSpace(getenv(k)) != "": // as config.Load reads it: spaces alone are unset
			both = append(both, k)
		}
	}
	if len(both) > 0 {
		slices.Sort(both)
		return nil, fail("%s set both in the environment and in the %s: keep each in one place",
			strings.Join(both, ", "), src.kind())
	}
	e.values, e.Took = values, time.Since(began)
	for k := range values {
		e.Names = append(e.Names, k)
	}
	slices.Sort(e.Names)
	return e, nil
}

// source is where a secret is kept.
type source struct {
	parameter bool   // a Parameter Store parameter, not a Secrets Manager secret
	name      string // the secret's name or ARN, the parameter's name or ARN
}

func (s source) kind() string {
	if s.parameter {
		return "parameter"
	}
	return "secret"
}

// sourceOf reads NOTIFY_SECRETS: "ssm:<name>" or a parameter's ARN is a
// Parameter Store parameter; anything else a Secrets Manager secret.
func sourceOf(id string) (source, error) {
	if name, ok := strings.CutPrefix(id, "ssm:"); ok {
		if name == "" {
			return source{}, fmt.Errorf(`"ssm:" names no parameter: give its name after it, as in ssm:/notify/prod`)
		}
		return source{parameter: true, name: name}, nil
	}
	// arn:<partition>:ssm:<region>:<account>:parameter/<name>
	if f := strings.SplitN(id, ":", 6); len(f) == 6 && f[0] == "arn" && f[2] == "ssm" && strings.HasPrefix(f[5], "parameter/") {
		return source{parameter: true, name: id}, nil
	}
	return source{name: id}, nil
}
