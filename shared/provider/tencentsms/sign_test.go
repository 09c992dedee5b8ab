package tencentsms

import (
	"bytes"
	"net/http"
	"testing"
	"time"
)

// Tencent's "Signature v3" document signs a DescribeInstances call to cvm
// with these keys at 1551113065 and publishes every step. The request below
// is the document's, byte for byte: its body holds the escapes \u672a...
// literally, and its Content-Type carries a charset.
const (
	exampleID     = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
	exampleKey    = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
	exampleBody   = `{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`
	exampleCanon  = "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\ncontent-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
	exampleCanonH = "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
	exampleSig    = "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
)

func TestSignPublishedExample(t *testing.T) {
	if got := hexSHA256([]byte(exampleCanon)); got != exampleCanonH {
		t.Errorf("hash of the canonical request = %s, want the document's %s", got, exampleCanonH)
	}
	if got := signature(exampleKey, "2019-02-25/cvm/tc3_request", 1551113065, exampleCanon); got != exampleSig {
		t.Errorf("signature = %s, want the document's %s", got, exampleSig)
	}

	r, err := http.NewRequest(http.MethodPost, "https://cvm.tencentcloudapi.com", bytes.NewReader([]byte(exampleBody)))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	Sign(r, []byte(exampleBody), exampleID, exampleKey, "cvm", time.Unix(1551113065, 0))
	want := "TC3-HMAC-SHA256 Credential=" + exampleID + "/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=" + exampleSig
	if got := r.Header.Get("Authorization"); got != want {
		t.Errorf("Authorization = %q\nwant the document's %q", got, want)
	}
	if got := r.Header.Get("X-TC-Timestamp"); got != "1551113065" {
		t.Errorf("X-TC-Timestamp = %q, want 1551113065", got)
	}
}
