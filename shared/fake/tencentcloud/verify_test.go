package tencentcloud

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// The fake's own verifier accepts Tencent's published example of
// "Signature v3" (a DescribeInstances call to cvm), and nothing else: it
// shares no code with the client's signer.
func TestVerifyPublishedExample(t *testing.T) {
	const (
		id   = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
		key  = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
		body = `{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`
		auth = "TC3-HMAC-SHA256 Credential=" + id + "/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, " +
			"Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
	)
	at := time.Unix(1551113065, 0)
	tests := []struct {
		name                string
		body, key, ct, auth string
		service             string
		now                 time.Time
		want                *tcError
	}{
		{name: "the example", body: body, key: key, ct: "application/json; charset=utf-8", auth: auth, service: "cvm", now: at},
		{name: "a byte of the body changed", body: strings.Replace(body, "1", "2", 1), key: key,
			ct: "application/json; charset=utf-8", auth: auth, service: "cvm", now: at, want: errSignature},
		{name: "without the charset", body: body, key: key, ct: "application/json", auth: auth, service: "cvm", now: at,
			want: errSignature},
		{name: "another key", body: body, key: "x" + key, ct: "application/json; charset=utf-8", auth: auth,
			service: "cvm", now: at, want: errSignature},
		{name: "for sms", body: body, key: key, ct: "application/json; charset=utf-8", auth: auth, service: "sms", now: at,
			want: errSignature},
		{name: "a day later", body: body, key: key, ct: "application/json; charset=utf-8", auth: auth, service: "cvm",
			now: at.Add(24 * time.Hour), want: errExpired},
	}
	for _, tt := range tests {
		r, err := http.NewRequest(http.MethodPost, "https://cvm.tencentcloudapi.com/", strings.NewReader(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Content-Type", tt.ct)
		r.Header.Set("X-TC-Timestamp", "1551113065")
		r.Header.Set("Authorization", tt.auth)
		if got := verify(r, []byte(tt.body), tt.service, id, tt.key, tt.now); got != tt.want {
			t.Errorf("%s: verify = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestParseAuthorization(t *testing.T) {
	tests := []struct {
		h    string
		want authorization
		ok   bool
	}{
		{"TC3-HMAC-SHA256 Credential=AKID/2019-02-25/sms/tc3_request, SignedHeaders=content-type;host, Signature=ab12",
			authorization{"AKID", "2019-02-25", "sms", "tc3_request", []string{"content-type", "host"}, "ab12"}, true},
		{"TC3-HMAC-SHA256 Signature=ab12,SignedHeaders=content-type;host;x-tc-action,Credential=AKID/d/s/t",
			authorization{"AKID", "d", "s", "t", []string{"content-type", "host", "x-tc-action"}, "ab12"}, true},
		{"TC3-HMAC-SHA256 Credential=AKID/2019-02-25/sms, SignedHeaders=host, Signature=ab", authorization{}, false},
		{"TC3-HMAC-SHA256 Credential=AKID/d/s/t, SignedHeaders=host", authorization{}, false},
		{"TC3-HMAC-SHA256 Credential=AKID/d/s/t, SignedHeaders=host, Signature=a, Signature=b", authorization{}, false},
		{"TC3-HMAC-SHA256 Credential=AKID/d/s/t, SignedHeaders=host, Signature=a, Nonce=1", authorization{}, false},
		{"HMAC-SHA256 Credential=AKID/d/s/t, SignedHeaders=host, Signature=a", authorization{}, false},
		{"", authorization{}, false},
	}
	for _, tt := range tests {
		got, ok := parseAuthorization(tt.h)
		if ok != tt.ok || (ok && (got.secretID != tt.want.secretID || got.date != tt.want.date || got.service != tt.want.service ||
			got.terminator != tt.want.terminator || strings.Join(got.signedHeaders, ";") != strings.Join(tt.want.signedHeaders, ";") ||
			got.signature != tt.want.signature)) {
			t.Errorf("parseAuthorization(%q) = %+v, %v; want %+v, %v", tt.h, got, ok, tt.want, tt.ok)
		}
	}
}
