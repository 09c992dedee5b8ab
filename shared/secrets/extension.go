package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
	"unicode"
)

// The AWS Parameters and Secrets Lambda Extension, as the function sees it:
// an HTTP server on localhost that answers
//
//	GET /secretsmanager/get?secretId=<name or ARN>
//	    200 {"ARN":…,"Name":…,"VersionId":…,"SecretString":…,"VersionStages":[…],…}
//	GET /systemsmanager/parameters/get?name=<name or ARN>&withDecryption=true
//	    200 {"Parameter":{"ARN":…,"Name":…,"Type":"SecureString","Value":…,"Version":…,…}}
//
// to a request whose X-Aws-Parameters-Secrets-Token header is the
// function's AWS_SESSION_TOKEN (401 without it, 403 with another). An
// error of the service it asked comes back with the service's status and
// its JSON error, {"__type":"ResourceNotFoundException","message":…}.
// Lambda starts the function's process alongside the extension, not after
// it: until the extension listens, connections are refused, and until it
// is ready it answers 400 with a line of text, no JSON.
const (
	secretPath    = "/secretsmanager/get"
	parameterPath = "/systemsmanager/parameters/get"
	tokenHeader   = "X-Aws-Parameters-Secrets-Token"
)

// ReadyWithin is how long read asks again while the extension is starting.
const ReadyWithin = 2 * time.Second

// maxAnswer bounds an answer of the extension: a Secrets Manager secret
// holds at most 64 KB, a Parameter Store parameter 8 KB, and a value
// becomes larger in JSON only by its escapes.
const maxAnswer = 1 << 20

// newClient returns the client of the extension: no proxy, no redirect
// (the token goes to localhost only), a connection per call.
func newClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:             nil,
			DialContext:       (&net.Dialer{Timeout: time.Second}).DialContext,
			DisableKeepAlives: true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// read returns the value of the secret or parameter src through the
// extension at addr (host:port), asking again, for up to ReadyWithin and
// with a growing pause, while the extension refuses connections or says it
// is not ready.
func read(ctx context.Context, c *http.Client, addr, token string, src source) ([]byte, error) {
	giveUp := time.Now().Add(ReadyWithin)
	pause := 10 * time.Millisecond
	for {
		value, err := readOnce(ctx, c, addr, token, src)
		var ne *notReadyError
		if err == nil || !errors.As(err, &ne) {
			return value, err
		}
		if time.Now().Add(pause).After(giveUp) {
			return nil, fmt.Errorf("the extension was not ready within %v: %w", ReadyWithin, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("the extension was not ready before %v: %w", context.Cause(ctx), err)
		case <-time.After(pause):
		}
		pause = min(2*pause, 200*time.Millisecond)
	}
}

// notReadyError is an answer, or a failure to connect, that a starting
// extension gives: read asks again.
type notReadyError struct{ err error }

func (e *notReadyError) Error() string { return e.err.Error() }
func (e *notReadyError) Unwrap() error { return e.err }

// readOnce asks the extension at addr once.
func readOnce(ctx context.Context, c *http.Client, addr, token string, src source) ([]byte, error) {
	u := url.URL{Scheme: "http", Host: addr, Path: secretPath, RawQuery: url.Values{"secretId": {src.name}}.Encode()}
	if src.parameter {
		u.Path = parameterPath
		u.RawQuery = url.Values{"name": {src.name}, "withDecryption": {"true"}}.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("ask the extension: %w", err)
	}
	if token != "" {
		req.Header.Set(tokenHeader, token)
	}
	resp, err := c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // not the whole URL again
		}
		err = fmt.Errorf("cannot reach the extension at %s: %w", addr, err)
		if starting(err) {
			return nil, &notReadyError{err}
		}
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("reading the extension's answer: %w", err)
	case len(body) > maxAnswer:
		return nil, fmt.Errorf("the extension's answer is over %d bytes", maxAnswer)
	case resp.StatusCode != http.StatusOK:
		return nil, answerError(resp, body, token)
	}
	if src.parameter {
		return parameterValue(body)
	}
	return secretValue(body)
}

// starting reports whether err, from connecting to the extension, is how
// an extension not listening yet fails a call.
func starting(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}

// answerError describes the extension's answer of a status other than 200:
// the status and the extension's own message. A 400 with no AWS error in
// it, a 429 and a 503 are a starting or busy extension's: notReadyError.
func answerError(resp *http.Response, body []byte, token string) error {
	typ, msg := errorOf(body)
	text := resp.Status
	switch {
	case typ != "" && msg != "":
		text += ": " + typ + ": " + msg
	case typ != "":
		text += ": " + typ
	case msg != "":
		text += ": " + msg
	}
	err := fmt.Errorf("the extension answered %s", text)
	switch code := resp.StatusCode; {
	case (code == http.StatusUnauthorized || code == http.StatusForbidden) && token == "":
		return fmt.Errorf("%w (%s is empty: Lambda sets it, and the extension takes it as the token)", err, TokenVariable)
	case code == http.StatusBadRequest && typ == "", code == http.StatusTooManyRequests, code == http.StatusServiceUnavailable:
		return &notReadyError{err}
	}
	return err
}

// errorOf returns the AWS error type and message of an error answer,
// {"__type":…,"message":…} (or "Message"); or, when the answer is no such
// JSON, no type and the answer's text, on one line and at most 200 bytes.
func errorOf(body []byte) (typ, msg string) {
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
		Capital string `json:"Message"`
	}
	if json.Unmarshal(body, &e) == nil && e.Type != "" {
		// A type may come qualified, "aws.protocol#ResourceNotFoundException",
		// or with a note after a colon.
		typ, _, _ = strings.Cut(e.Type, ":")
		if i := strings.LastIndexByte(typ, '#'); i >= 0 {
			typ = typ[i+1:]
		}
		return oneLine(typ), oneLine(e.Message + e.Capital)
	}
	return "", oneLine(string(body))
}

// oneLine returns s on one line, trimmed, at most 200 bytes of it.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, " "))
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "…"
	}
	return s
}

// secretValue returns the SecretString of the extension's answer for a
// Secrets Manager secret.
func secretValue(body []byte) ([]byte, error) {
	var a struct {
		SecretString *string
		SecretBinary *string
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, fmt.Errorf("the extension's answer is not a secret's: %s", describe(err))
	}
	switch {
	case a.SecretString != nil:
		return []byte(*a.SecretString), nil
	case a.SecretBinary != nil:
		return nil, errors.New("the secret is binary (SecretBinary): store the JSON object as its SecretString")
	}
	return nil, errors.New("the extension's answer has no SecretString")
}

// parameterValue returns the decrypted value of the extension's answer
// for a Parameter Store parameter, which must be a SecureString: the
// others are kept unencrypted.
func parameterValue(body []byte) ([]byte, error) {
	var a struct {
		Parameter *struct {
			Type  string
			Value *string
		}
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, fmt.Errorf("the extension's answer is not a parameter's: %s", describe(err))
	}
	switch {
	case a.Parameter == nil || a.Parameter.Value == nil:
		return nil, errors.New("the extension's answer has no Parameter.Value")
	case a.Parameter.Type != "SecureString":
		return nil, fmt.Errorf("the parameter is a %q, not a SecureString: secrets are kept encrypted", oneLine(a.Parameter.Type))
	}
	return []byte(*a.Parameter.Value), nil
}

// describe says what is wrong with a JSON document that did not decode,
// without quoting any of it: encoding/json's own messages may quote a
// character of the input, which may be a character of a secret.
func describe(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("malformed JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("%s is a JSON %s, not a %s", te.Field, te.Value, te.Type)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "JSON cut short"
	}
	return "malformed JSON"
}
