package secretsext_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/seed4ddb146e/notify/shared/fake/secretsext"
)

// get asks ext for path?query with the token header token (none when
// token is nil), and returns the status and body.
func get(t *testing.T, ext *secretsext.Extension, path string, query url.Values, token *string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:"+ext.Port()+path+"?"+query.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != nil {
		req.Header.Set(secretsext.TokenHeader, *token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestProtocol(t *testing.T) {
	ext := secretsext.New(secretsext.Config{
		Secrets:    map[string]string{"notify/prod": `{"NOTIFY_DATABASE_URL":"postgres://u:p@db/notify"}`},
		Parameters: map[string]string{"/notify/prod": `{"NOTIFY_CODE_SECRET":"0123"}`},
		Plain:      map[string]string{"/notify/plain": "x"},
		NotReady:   2,
	})
	defer ext.Close()
	good, wrong, empty := ext.Token(), "another-token", ""
	secret := url.Values{"secretId": {"notify/prod"}}
	for _, c := range []struct {
		name   string
		path   string
		query  url.Values
		token  *string
		status int
		want   string // in the body
	}{
		{"starting", secretsext.SecretPath, secret, &good, 400, secretsext.NotReadyMessage},
		{"still starting", secretsext.SecretPath, secret, &good, 400, secretsext.NotReadyMessage},
		{"no token", secretsext.SecretPath, secret, nil, 401, secretsext.TokenHeader},
		{"empty token", secretsext.SecretPath, secret, &empty, 401, secretsext.TokenHeader},
		{"wrong token", secretsext.SecretPath, secret, &wrong, 403, secretsext.TokenHeader},
		{"secret by name", secretsext.SecretPath, secret, &good, 200, `"SecretString":"{\"NOTIFY_DATABASE_URL\"`},
		{"secret by ARN", secretsext.SecretPath, url.Values{"secretId": {secretsext.SecretARN("notify/prod")}}, &good, 200,
			`"Name":"notify/prod"`},
		{"no such secret", secretsext.SecretPath, url.Values{"secretId": {"notify/none"}}, &good, 400,
			`"__type":"ResourceNotFoundException"`},
		{"no secretId", secretsext.SecretPath, nil, &good, 400, `"__type":"ValidationException"`},
		{"parameter decrypted", secretsext.ParameterPath, url.Values{"name": {"/notify/prod"}, "withDecryption": {"true"}}, &good, 200,
			`"Value":"{\"NOTIFY_CODE_SECRET\":\"0123\"}"`},
		{"parameter by ARN", secretsext.ParameterPath,
			url.Values{"name": {secretsext.ParameterARN("/notify/prod")}, "withDecryption": {"true"}}, &good, 200, `"Type":"SecureString"`},
		{"parameter encrypted", secretsext.ParameterPath, url.Values{"name": {"/notify/prod"}}, &good, 200, `"Value":"AQICAH`},
		{"plain parameter", secretsext.ParameterPath, url.Values{"name": {"/notify/plain"}}, &good, 200, `"Type":"String"`},
		{"no such parameter", secretsext.ParameterPath, url.Values{"name": {"/notify/none"}}, &good, 400, `{"__type":"ParameterNotFound"}`},
		{"no such route", "/secretsmanager/list", nil, &good, 404, "not found"},
	} {
		status, body := get(t, ext, c.path, c.query, c.token)
		if status != c.status || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %s; want %d with %s", c.name, status, body, c.status, c.want)
		}
	}
	if calls := ext.Calls(); len(calls) != 15 || calls[5] != (secretsext.Call{Path: secretsext.SecretPath, ID: "notify/prod", Status: 200}) {
		t.Errorf("calls %+v; want the 15 made, the 6th a 200 for notify/prod", calls)
	}
}

// TestEncryptedIsNotTheValue checks that a SecureString asked for without
// decryption hides its value, as the service's ciphertext does.
func TestEncryptedIsNotTheValue(t *testing.T) {
	const value = `{"NOTIFY_CODE_SECRET":"0123456789abcdef0123456789abcdef"}`
	ext := secretsext.New(secretsext.Config{Parameters: map[string]string{"/p": value}})
	defer ext.Close()
	token := ext.Token()
	_, body := get(t, ext, secretsext.ParameterPath, url.Values{"name": {"/p"}}, &token)
	var a struct{ Parameter struct{ Value string } }
	if err := json.Unmarshal([]byte(body), &a); err != nil || a.Parameter.Value == "" || strings.Contains(body, "0123456789abcdef") {
		t.Errorf("answer %s (%v); want a value that is not the parameter's", body, err)
	}
}
