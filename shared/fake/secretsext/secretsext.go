// Package secretsext is a fake AWS Parameters and Secrets Lambda Extension,
// for tests and local runs: the HTTP server on localhost through which a
// Lambda function reads Secrets Manager secrets and Parameter Store
// parameters without an AWS SDK. New starts one on a free port; Env gives
// a function's process the variables that point it there. It checks the
// token header, answers secrets and parameters as the extension passes
// the services' answers through, and says "not ready" while it starts;
// docs/fakes.md has the protocol.
package secretsext

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"
)

// The extension's protocol.
const (
	TokenHeader   = "X-Aws-Parameters-Secrets-Token"
	SecretPath    = "/secretsmanager/get"
	ParameterPath = "/systemsmanager/parameters/get"
	// NotReadyMessage is the extension's answer, with 400, before it is
	// ready to serve.
	NotReadyMessage = "not ready to serve traffic, please wait"
)

// The fake's account and region, in the ARNs it gives.
const (
	Region  = "us-east-1"
	Account = "123456789012"
)

// Config is what a fake extension holds and how it behaves.
type Config struct {
	// Token is the AWS_SESSION_TOKEN of the function the extension serves;
	// "" is a made-up one (Token and Env give it).
	Token string
	// Secrets are the Secrets Manager secrets, by name: their SecretString.
	Secrets map[string]string
	// Parameters are the Parameter Store SecureString parameters, by name
	// ("/notify/prod"): their value.
	Parameters map[string]string
	// Plain are Parameter Store parameters of type String, by name.
	Plain map[string]string
	// NotReady is how many requests, the first ones, are answered as while
	// the extension starts.
	NotReady int
}

// Extension is a running fake extension. Its methods are safe for
// concurrent use.
type Extension struct {
	srv   *httptest.Server
	cfg   Config
	mu    sync.Mutex
	calls []Call
}

// Call is one request the extension answered.
type Call struct {
	Path   string
	ID     string // the secretId or the parameter's name asked for
	Status int
}

// New starts a fake extension on a free port of 127.0.0.1.
func New(c Config) *Extension {
	if c.Token == "" {
		c.Token = "IQoJb3JpZ2luX2VjEFAKE-session-token"
	}
	e := &Extension{cfg: c}
	e.srv = httptest.NewServer(http.HandlerFunc(e.serveHTTP))
	return e
}

// Port is the port the extension listens on.
func (e *Extension) Port() string {
	u, _ := url.Parse(e.srv.URL)
	return u.Port()
}

// Token is the token the extension takes.
func (e *Extension) Token() string { return e.cfg.Token }

// Env returns the environment entries that point a function's process at
// the extension: PARAMETERS_SECRETS_EXTENSION_HTTP_PORT and
// AWS_SESSION_TOKEN.
func (e *Extension) Env() []string {
	return []string{"PARAMETERS_SECRETS_EXTENSION_HTTP_PORT=" + e.Port(), "AWS_SESSION_TOKEN=" + e.cfg.Token}
}

// SecretARN is the ARN of the secret name.
func SecretARN(name string) string {
	sum := sha256.Sum256([]byte(name))
	return "arn:aws:secretsmanager:" + Region + ":" + Account + ":secret:" + name + "-" + hex.EncodeToString(sum[:3])
}

// ParameterARN is the ARN of the parameter name.
func ParameterARN(name string) string {
	return "arn:aws:ssm:" + Region + ":" + Account + ":parameter/" + strings.TrimPrefix(name, "/")
}

// Calls returns the requests answered so far, oldest first.
func (e *Extension) Calls() []Call {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Call(nil), e.calls...)
}

// Close stops the extension.
func (e *Extension) Close() { e.srv.Close() }

func (e *Extension) serveHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	c := Call{Path: r.URL.Path, ID: q.Get("secretId") + q.Get("name")}
	e.mu.Lock()
	starting := len(e.calls) < e.cfg.NotReady
	e.mu.Unlock()
	c.Status = e.answer(w, r, q, starting)
	e.mu.Lock()
	e.calls = append(e.calls, c)
	e.mu.Unlock()
}

// answer answers r and returns the status it answered with.
func (e *Extension) answer(w http.ResponseWriter, r *http.Request, q url.Values, starting bool) int {
	text := func(status int, msg string) int {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprintln(w, msg)
		return status
	}
	token, given := r.Header[http.CanonicalHeaderKey(TokenHeader)]
	switch {
	case starting:
		return text(http.StatusBadRequest, NotReadyMessage)
	case r.Method != http.MethodGet:
		return text(http.StatusMethodNotAllowed, "method not allowed")
	case !given || token[0] == "":
		return text(http.StatusUnauthorized, "missing "+TokenHeader+" header")
	case subtle.ConstantTimeCompare([]byte(token[0]), []byte(e.cfg.Token)) != 1:
		return text(http.StatusForbidden, "invalid "+TokenHeader+" header")
	}
	switch r.URL.Path {
	case SecretPath:
		return e.secret(w, q.Get("secretId"))
	case ParameterPath:
		return e.parameter(w, q.Get("name"), q.Get("withDecryption") == "true")
	}
	return text(http.StatusNotFound, "not found")
}

// secret answers GetSecretValue for id, a secret's name or ARN.
func (e *Extension) secret(w http.ResponseWriter, id string) int {
	if id == "" {
		return awsError(w, "ValidationException", "secretId is required")
	}
	for name, value := range e.cfg.Secrets {
		if id == name || id == SecretARN(name) {
			sum := sha256.Sum256([]byte(value))
			return reply(w, map[string]any{
				"ARN":           SecretARN(name),
				"Name":          name,
				"VersionId":     hex.EncodeToString(sum[:16]),
				"SecretString":  value,
				"VersionStages": []string{"AWSCURRENT"},
				"CreatedDate":   time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
			})
		}
	}
	return awsError(w, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
}

// parameter answers GetParameter for id, a parameter's name or ARN.
func (e *Extension) parameter(w http.ResponseWriter, id string, decrypt bool) int {
	if id == "" {
		return awsError(w, "ValidationException", "name is required")
	}
	find := func(m map[string]string) (string, string, bool) {
		for name, value := range m {
			if id == name || id == ParameterARN(name) {
				return name, value, true
			}
		}
		return "", "", false
	}
	typ := "SecureString"
	name, value, ok := find(e.cfg.Parameters)
	if !ok {
		typ = "String"
		if name, value, ok = find(e.cfg.Plain); !ok {
			return awsError(w, "ParameterNotFound", "")
		}
	}
	if typ == "SecureString" && !decrypt {
		sum := sha256.Sum256([]byte(value)) // stands for the ciphertext
		value = "AQICAH" + base64.StdEncoding.EncodeToString(sum[:])
	}
	return reply(w, map[string]any{"Parameter": map[string]any{
		"ARN":              ParameterARN(name),
		"DataType":         "text",
		"LastModifiedDate": time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		"Name":             name,
		"Selector":         nil,
		"SourceResult":     nil,
		"Type":             typ,
		"Value":            value,
		"Version":          1,
	}})
}

func reply(w http.ResponseWriter, v any) int {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
	return http.StatusOK
}

// awsError answers as an error of the service passes through the
// extension: 400, the error's type and message.
func awsError(w http.ResponseWriter, typ, msg string) int {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusBadRequest)
	e := map[string]string{"__type": typ}
	if msg != "" {
		e["message"] = msg
	}
	_ = json.NewEncoder(w).Encode(e)
	return http.StatusBadRequest
}
