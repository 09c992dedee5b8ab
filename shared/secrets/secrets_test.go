package secrets_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/config"
	"github.com/seed4ddb146e/notify/shared/fake/secretsext"
	"github.com/seed4ddb146e/notify/shared/secrets"
)

// Values of the secrets below that must never show in an error.
const (
	dbPassword = "db-pw-Zq81x"
	codeSecret = "code-secret-5f3e9a0c7b214d6e8a1f0c9b2d7e4a61"
	akSecret   = "ak-secret-Hn2Lw9"
)

// value is a secret's value, as an operator writes it.
const value = `{
  "NOTIFY_DATABASE_URL": "postgres://notify:` + dbPassword + `@db.internal:5432/notify",
  "NOTIFY_CODE_SECRET": "` + codeSecret + `",
  "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI5tTestKey",
  "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "` + akSecret + `",
  "NOTIFY_CALLBACK_TOKEN": ""
}`

// env is a process's environment.
type env map[string]string

func (e env) getenv(k string) string { return e[k] }

// with returns e with the entries of ext's Env and kv ("K=V") added.
func (e env) with(ext *secretsext.Extension, kv ...string) env {
	out := env{}
	for k, v := range e {
		out[k] = v
	}
	if ext != nil {
		kv = append(ext.Env(), kv...)
	}
	for _, s := range kv {
		k, v, _ := strings.Cut(s, "=")
		out[k] = v
	}
	return out
}

func overlay(t *testing.T, e env) (*secrets.Env, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return secrets.Overlay(ctx, e.getenv, config.Variables)
}

// lambda is the environment of a function on Lambda.
var lambda = env{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "PATH": "/usr/bin"}

func TestOverlay(t *testing.T) {
	ext := secretsext.New(secretsext.Config{
		Secrets:    map[string]string{"notify/prod": value},
		Parameters: map[string]string{"/notify/prod": value},
	})
	defer ext.Close()
	for _, id := range []string{"notify/prod", secretsext.SecretARN("notify/prod"), "ssm:/notify/prod", secretsext.ParameterARN("/notify/prod")} {
		t.Run(id, func(t *testing.T) {
			e := lambda.with(ext, "NOTIFY_SECRETS="+id, "NOTIFY_CODE_SECRET=", "NOTIFY_CALLBACK_TOKEN=from-env-token-0123456789", "NOTIFY_LOG_LEVEL=debug")
			got, err := overlay(t, e)
			if err != nil {
				t.Fatal(err)
			}
			for k, want := range map[string]string{
				"NOTIFY_DATABASE_URL":             "postgres://notify:" + dbPassword + "@db.internal:5432/notify",
				"NOTIFY_CODE_SECRET":              codeSecret, // set empty in the environment: the secret's
				"ALIBABA_CLOUD_ACCESS_KEY_SECRET": akSecret,
				"NOTIFY_CALLBACK_TOKEN":           "from-env-token-0123456789", // empty in the secret: the environment's
				"NOTIFY_LOG_LEVEL":                "debug",
				"PATH":                            "/usr/bin",
				"NOTIFY_GROUPS":                   "",
			} {
				if v := got.Getenv(k); v != want {
					t.Errorf("Getenv(%s) = %q, want %q", k, v, want)
				}
			}
			want := "ALIBABA_CLOUD_ACCESS_KEY_ID ALIBABA_CLOUD_ACCESS_KEY_SECRET NOTIFY_CODE_SECRET NOTIFY_DATABASE_URL"
			if got.Secret != id || strings.Join(got.Names, " ") != want || got.Took <= 0 {
				t.Errorf("Secret %q, Names %q, Took %v; want %q, %q and the time taken", got.Secret, got.Names, got.Took, id, want)
			}
		})
	}
}

// TestOverlaySpaces: spaces around NOTIFY_SECRETS (a value read from a
// file keeps its newline) are not part of the secret's name, and spaces
// alone name none; a variable of spaces alone in the environment, which
// Load takes for unset, is not "set in both places".
func TestOverlaySpaces(t *testing.T) {
	ext := secretsext.New(secretsext.Config{Secrets: map[string]string{"notify/prod": value}})
	defer ext.Close()
	got, err := overlay(t, lambda.with(ext, "NOTIFY_SECRETS=notify/prod\n", "NOTIFY_CODE_SECRET= "))
	if err != nil || got.Secret != "notify/prod" || got.Getenv("NOTIFY_CODE_SECRET") != codeSecret {
		t.Errorf("NOTIFY_SECRETS with a newline: %+v, %v; want the secret notify/prod read", got, err)
	}
	got, err = overlay(t, env{"NOTIFY_SECRETS": " ", "NOTIFY_GROUPS": "[]"})
	if err != nil || got.Secret != "" || got.Getenv("NOTIFY_GROUPS") != "[]" {
		t.Errorf("NOTIFY_SECRETS of a space outside Lambda: %+v, %v; want none read, no error", got, err)
	}
}

func TestOverlayWithoutSecret(t *testing.T) {
	got, err := overlay(t, env{"NOTIFY_GROUPS": "[]"})
	if err != nil || got.Secret != "" || got.Names != nil || got.Getenv("NOTIFY_GROUPS") != "[]" {
		t.Errorf("Overlay = %+v, %v; want the environment as it is", got, err)
	}
}

// TestNotReadyThenReady: the extension answers 400 "not ready" to the
// first calls, as while it starts beside the function; Overlay asks again.
func TestNotReadyThenReady(t *testing.T) {
	ext := secretsext.New(secretsext.Config{Secrets: map[string]string{"notify/prod": value}, NotReady: 3})
	defer ext.Close()
	got, err := overlay(t, lambda.with(ext, "NOTIFY_SECRETS=notify/prod"))
	if err != nil {
		t.Fatal(err)
	}
	if calls := ext.Calls(); len(calls) != 4 || calls[3].Status != 200 || got.Getenv("NOTIFY_CODE_SECRET") != codeSecret {
		t.Errorf("calls %+v; want three answered 400, then the secret", calls)
	}
}

// TestNotListeningThenReady: connections are refused until the extension
// listens, some 100 ms after the function started.
func TestNotListeningThenReady(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	ext := secretsext.New(secretsext.Config{Secrets: map[string]string{"notify/prod": value}})
	defer ext.Close()
	// A proxy on the port taken, listening late, to the extension.
	go func() {
		time.Sleep(100 * time.Millisecond)
		l, err := net.Listen("tcp", "127.0.0.1:"+port)
		if err != nil {
			return // the test fails on its own
		}
		defer l.Close()
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		up, err := net.Dial("tcp", "127.0.0.1:"+ext.Port())
		if err != nil {
			return
		}
		defer up.Close()
		go func() { _, _ = copyConn(up, c) }()
		_, _ = copyConn(c, up)
	}()
	e := lambda.with(ext, "NOTIFY_SECRETS=notify/prod", "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT="+port)
	got, err := overlay(t, e)
	if err != nil {
		t.Fatal(err)
	}
	if got.Getenv("NOTIFY_CODE_SECRET") != codeSecret {
		t.Error("the secret's value was not laid over the environment")
	}
}

func copyConn(dst, src net.Conn) (int64, error) {
	var n int64
	buf := make([]byte, 4096)
	for {
		k, err := src.Read(buf)
		if k > 0 {
			if _, werr := dst.Write(buf[:k]); werr != nil {
				return n, werr
			}
			n += int64(k)
		}
		if err != nil {
			if c, ok := dst.(*net.TCPConn); ok {
				_ = c.CloseWrite()
			}
			return n, err
		}
	}
}

// TestRefusals runs Overlay where it must refuse, and checks that each
// error names NOTIFY_SECRETS, the secret and what went wrong, and holds
// no value of the secret.
func TestRefusals(t *testing.T) {
	ext := secretsext.New(secretsext.Config{
		Secrets: map[string]string{
			"notify/prod":    value,
			"notify/typo":    `{"NOTIFY_DATABASE_URL":"postgres://notify:` + dbPassword + `@db/notify","NOTIFY_GROUP":"[]","NOTIFY_SECRETS":"x"}`,
			"notify/number":  `{"NOTIFY_CODE_LENGTH":6,"NOTIFY_CODE_SECRET":"` + codeSecret + `","NOTIFY_GROUPS":[{"id":"` + akSecret + `"}]}`,
			"notify/notjson": `NOTIFY_CODE_SECRET=` + codeSecret,
			"notify/cut":     `{"NOTIFY_CODE_SECRET":"` + codeSecret,
			"notify/bad":     `{"NOTIFY_CODE_SECRET":"` + codeSecret + `" x}`,
			"notify/twice":   `{"NOTIFY_CODE_SECRET":"` + codeSecret + `","NOTIFY_CODE_SECRET":"` + akSecret + `"}`,
			"notify/array":   `["` + codeSecret + `"]`,
			// keys and values swapped: the names are secrets
			"notify/swapped": `{"` + codeSecret + `":"NOTIFY_CODE_SECRET"}`,
		},
		Plain:    map[string]string{"/notify/plain": value},
		NotReady: 0,
	})
	t.Cleanup(ext.Close)
	closed := func() string { // a port nothing listens on
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		_, port, _ := net.SplitHostPort(l.Addr().String())
		return port
	}()
	never := secretsext.New(secretsext.Config{Secrets: map[string]string{"notify/prod": value}, NotReady: 1 << 30})
	t.Cleanup(never.Close)
	for _, c := range []struct {
		name  string
		env   env
		want  []string // in the error, beside NOTIFY_SECRETS=<id>
		calls int      // the calls ext got; -1: none counted, another extension or none
	}{
		{"wrong token", lambda.with(ext, "NOTIFY_SECRETS=notify/prod", "AWS_SESSION_TOKEN=another"),
			[]string{"403 Forbidden", "invalid X-Aws-Parameters-Secrets-Token"}, 1},
		{"no token", lambda.with(ext, "NOTIFY_SECRETS=notify/prod", "AWS_SESSION_TOKEN="),
			[]string{"401 Unauthorized", "AWS_SESSION_TOKEN is empty"}, 1},
		{"no such secret", lambda.with(ext, "NOTIFY_SECRETS=notify/none"),
			[]string{"400 Bad Request: ResourceNotFoundException: Secrets Manager can't find the specified secret."}, 1},
		{"no such parameter", lambda.with(ext, "NOTIFY_SECRETS=ssm:/notify/none"), []string{"400 Bad Request: ParameterNotFound"}, 1},
		{"a String parameter", lambda.with(ext, "NOTIFY_SECRETS=ssm:/notify/plain"), []string{`a "String", not a SecureString`}, 1},
		{"unknown variables", lambda.with(ext, "NOTIFY_SECRETS=notify/typo"),
			[]string{`"NOTIFY_GROUP", "NOTIFY_SECRETS" are not variables the functions read (a typo?)`}, 1},
		{"a value in a name's place", lambda.with(ext, "NOTIFY_SECRETS=notify/swapped"),
			[]string{"a name of " + strconv.Itoa(len(codeSecret)) + " bytes that is no variable's (a value in a name's place?)"}, 1},
		{"values not strings", lambda.with(ext, "NOTIFY_SECRETS=notify/number"),
			[]string{"the value of NOTIFY_CODE_LENGTH, NOTIFY_GROUPS is not a JSON string"}, 1},
		{"not JSON", lambda.with(ext, "NOTIFY_SECRETS=notify/notjson"), []string{"not a JSON object: malformed at byte"}, 1},
		{"cut short", lambda.with(ext, "NOTIFY_SECRETS=notify/cut"), []string{"not a JSON object: cut short"}, 1},
		{"malformed", lambda.with(ext, "NOTIFY_SECRETS=notify/bad"), []string{"not a JSON object: malformed at byte 69"}, 1},
		{"named twice", lambda.with(ext, "NOTIFY_SECRETS=notify/twice"), []string{"NOTIFY_CODE_SECRET given twice"}, 1},
		{"an array", lambda.with(ext, "NOTIFY_SECRETS=notify/array"), []string{"not a JSON object of variables"}, 1},
		{"set in both", lambda.with(ext, "NOTIFY_SECRETS=notify/prod", "NOTIFY_DATABASE_URL=postgres://other", "NOTIFY_CODE_SECRET="+codeSecret),
			[]string{"NOTIFY_CODE_SECRET, NOTIFY_DATABASE_URL set both in the environment and in the secret"}, 1},
		{"outside Lambda", env{"NOTIFY_SECRETS": "notify/prod"},
			[]string{"runs on AWS Lambda", "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT"}, 0},
		{"on FC", env{"NOTIFY_SECRETS": "notify/prod", "FC_RUNTIME_API": "127.0.0.1:9000"}, []string{"runs on AWS Lambda"}, 0},
		{"not a port", lambda.with(nil, "NOTIFY_SECRETS=notify/prod", "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT=http://x"),
			[]string{`PARAMETERS_SECRETS_EXTENSION_HTTP_PORT="http://x" is not a port`}, 0},
		{"ssm: alone", lambda.with(ext, "NOTIFY_SECRETS=ssm:"), []string{`"ssm:" names no parameter`}, 0},
		{"never ready", lambda.with(never, "NOTIFY_SECRETS=notify/prod"),
			[]string{"the extension was not ready within 2s", "400 Bad Request: " + secretsext.NotReadyMessage}, -1},
		{"nothing listening", lambda.with(nil, "NOTIFY_SECRETS=notify/prod", "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT="+closed),
			[]string{"the extension was not ready within 2s", "cannot reach the extension at localhost:" + closed, "connection refused"}, -1},
		{"nothing on Lambda's port", lambda.with(nil, "NOTIFY_SECRETS=notify/prod"),
			[]string{"cannot reach the extension at localhost:2773"}, -1},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.calls < 0 {
				t.Parallel() // a wait of ReadyWithin, on an extension of its own or none
			}
			before := len(ext.Calls())
			began := time.Now()
			got, err := overlay(t, c.env)
			if err == nil {
				t.Fatalf("Overlay = %+v; want an error", got)
			}
			msg := err.Error()
			for _, want := range append([]string{"NOTIFY_SECRETS=" + c.env["NOTIFY_SECRETS"] + ": "}, c.want...) {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q; want it to hold %q", msg, want)
				}
			}
			for _, v := range []string{dbPassword, codeSecret, akSecret} {
				if strings.Contains(msg, v) {
					t.Errorf("error %q holds a value of the secret", msg)
				}
			}
			if n := len(ext.Calls()) - before; c.calls >= 0 && n != c.calls {
				t.Errorf("the extension got %d calls, want %d: an answer that will not change was asked again", n, c.calls)
			}
			if took := time.Since(began); took > secrets.ReadyWithin+time.Second {
				t.Errorf("it took %v to give up; want at most about %v", took, secrets.ReadyWithin)
			}
		})
	}
}

// TestDeadline: the caller's deadline ends the asking, and is said.
func TestDeadline(t *testing.T) {
	never := secretsext.New(secretsext.Config{NotReady: 1 << 30})
	defer never.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := secrets.Overlay(ctx, lambda.with(never, "NOTIFY_SECRETS=notify/prod").getenv, config.Variables)
	if err == nil || !strings.Contains(err.Error(), "not ready before context deadline exceeded") {
		t.Errorf("error %v; want the deadline said", err)
	}
}
