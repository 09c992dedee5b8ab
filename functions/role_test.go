package functions_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed4ddb146e/notify/shared/fake/aliyun/acs"
	"github.com/seed4ddb146e/notify/shared/fake/aliyun/dysmsapi"
	"github.com/seed4ddb146e/notify/shared/fake/runtimeapi"
)

// TestFCRoleCredentials runs the sms binary behind the FC Runtime API the
// way FC runs a function with a role: the role's STS credentials in the
// environment at the instance's start (ALIBABA_CLOUD_*), and with every
// invocation in its x-fc-access-key-id, x-fc-access-key-secret and
// x-fc-security-token headers. The STS credentials rotate, and the old
// ones expire, while the instance lives: its next send signs with the
// invocation's new credentials, and none of them reaches the log.
func TestFCRoleCredentials(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the function binaries")
	}
	first := acs.Credentials{AccessKeyID: "STS.NUf1rstRoleKey", AccessKeySecret: "first-role-secret-6c1d", SecurityToken: "CAIS-first-token-0f9e"}
	second := acs.Credentials{AccessKeyID: "STS.NUs3condRoleKey", AccessKeySecret: "second-role-secret-7a2b", SecurityToken: "CAIS-second-token-1e8d"}
	fake := dysmsapi.New(first)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)

	db := database(t)
	emu := runtimeapi.NewFC()
	t.Cleanup(emu.Close)
	c := startChild(t, filepath.Join(binaries(t), "sms"), env(emu, db,
		"ALIBABA_CLOUD_ACCESS_KEY_ID="+first.AccessKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET="+first.AccessKeySecret,
		"ALIBABA_CLOUD_SECURITY_TOKEN="+first.SecurityToken,
		"NOTIFY_ALIYUN_SMS_ENDPOINT="+srv.URL, "HTTP_PROXY=", "HTTPS_PROXY=", "http_proxy=", "https_proxy="))
	payload, err := os.ReadFile(filepath.Join(root, "events", "sms", "fc-http.json"))
	if err != nil {
		t.Fatal(err)
	}
	send := func(keys acs.Credentials) replyBody {
		t.Helper()
		res, err := c.invokeWith(emu, runtimeapi.Invocation{Payload: payload, Header: http.Header{
			"X-Fc-Access-Key-Id": {keys.AccessKeyID}, "X-Fc-Access-Key-Secret": {keys.AccessKeySecret},
			"X-Fc-Security-Token": {keys.SecurityToken}}})
		if err != nil {
			t.Fatalf("invocation: %v\n%s", err, c.out)
		}
		r := decodeHTTPReply(t, "fc", res)
		var b replyBody
		if err := json.Unmarshal([]byte(r.body), &b); err != nil || r.status != 200 || b.Code != "OK" || b.Sandbox {
			t.Fatalf("reply %d %s; want 200, Code OK, not the sandbox\n%s", r.status, r.body, c.out)
		}
		return b
	}
	send(first)
	send(first)
	fake.Rotate(second) // the first token has expired
	send(second)
	if n := len(fake.Sends()); n != 3 {
		t.Errorf("the fake took %d messages, want 3", n)
	}
	for _, r := range records(t, db) {
		if r.status != "submitted" || r.provider != "aliyun" {
			t.Errorf("record %+v; want submitted through aliyun", r)
		}
	}
	out := c.out.String()
	if !strings.Contains(out, "Aliyun credentials replaced by the invocation's") {
		t.Errorf("the log does not say the credentials were replaced:\n%s", out)
	}
	for _, k := range []acs.Credentials{first, second} {
		for _, s := range []string{k.AccessKeySecret, k.SecurityToken} {
			if strings.Contains(out, s) {
				t.Errorf("the log shows a credential (%.6s…):\n%s", s, out)
			}
		}
	}
}
