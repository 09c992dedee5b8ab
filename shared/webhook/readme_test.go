package webhook_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/webhook"
)

// readmeVerify is README.md's Go check of an event, word for word.
func readmeVerify(secret string, r *http.Request, body []byte) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	ts, _ := strconv.ParseInt(r.Header.Get("webhook-timestamp"), 10, 64)
	if err != nil || math.Abs(time.Since(time.Unix(ts, 0)).Minutes()) > 5 {
		return false
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%d.%s", r.Header.Get("webhook-id"), ts, body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Fields(r.Header.Get("webhook-signature")) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return true
		}
	}
	return false
}

// TestReadmeChecks: the checks README.md shows receivers, in Go and in
// Python, accept what the sender signs (under two secrets, as during a
// rotation) and refuse a body changed on the way.
func TestReadmeChecks(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwYm9va3M="
	key, _ := webhook.ParseSecret(secret)
	other, _ := webhook.ParseSecret("whsec_b3RoZXItc2VjcmV0LW9mLWF0LWxlYXN0LTI0LWJ5dGVz")
	body := []byte(`{"type":"message.delivered","data":{"recipient":"13800138000","text":"用户接收成功"}}`)
	now := time.Now()
	r, _ := http.NewRequest(http.MethodPost, "https://hooks.example.com/", bytes.NewReader(body))
	r.Header.Set("webhook-id", "evt_01a23e_r1")
	r.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	r.Header.Set("webhook-signature", webhook.Sign([]webhook.Secret{other, key}, "evt_01a23e_r1", now, body))
	tampered := append(bytes.Clone(body[:len(body)-2]), []byte(`!"}}`)...)
	if !readmeVerify(secret, r, body) || readmeVerify(secret, r, tampered) {
		t.Fatal("README's Go check: want the body verified and the tampered one refused")
	}
	if !strings.Contains(readme(t), "fmt.Fprintf(mac, \"%s.%d.%s\", r.Header.Get(\"webhook-id\"), ts, body)") {
		t.Error("README's Go check is no longer the one this test runs")
	}

	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 to run README's Python check")
	}
	code := pythonBlock(t, readme(t))
	script := code + `
import json, sys
h = json.loads(sys.argv[1])
ok = verify(sys.argv[2], h, sys.argv[3].encode())
bad = verify(sys.argv[2], h, sys.argv[4].encode())
print(ok, bad)
`
	hdr := fmt.Sprintf(`{"webhook-id":%q,"webhook-timestamp":%q,"webhook-signature":%q}`,
		r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature"))
	out, err := exec.Command(python, "-c", script, hdr, secret, string(body), string(tampered)).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "True False" {
		t.Errorf("README's Python check: %s, %v; want True False", out, err)
	}
}

func readme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// pythonBlock returns README's Python code block that defines verify.
func pythonBlock(t *testing.T, readme string) string {
	t.Helper()
	for _, block := range strings.Split(readme, "```python\n")[1:] {
		code, _, _ := strings.Cut(block, "```")
		if strings.Contains(code, "def verify(") {
			return code
		}
	}
	t.Fatal("README has no Python block defining verify")
	return ""
}
