package tencentsms

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Algorithm is the name of Tencent Cloud's API 3.0 signature.
const Algorithm = "TC3-HMAC-SHA256"

// Sign signs r, a POST whose body is payload, for Tencent Cloud's service
// (such as "sms") with TC3-HMAC-SHA256 at time at: it sets X-TC-Timestamp
// and Authorization. The signed headers are content-type and host, with
// the values r will carry (Host from r.Host, else r.URL.Host), and the
// headers named in extra. r's query string must be empty, as it is for
// every POST to API 3.0.
//
// This is the signature of Tencent's "Signature v3" document; the tests
// reproduce its published example.
func Sign(r *http.Request, payload []byte, secretID, secretKey, service string, at time.Time, extra ...string) {
	ts := at.Unix()
	r.Header.Set("X-TC-Timestamp", strconv.FormatInt(ts, 10))
	names := []string{"content-type", "host"}
	for _, h := range extra {
		names = append(names, strings.ToLower(h))
	}
	slices.Sort(names)
	names = slices.Compact(names)
	signed := strings.Join(names, ";")

	var canon strings.Builder
	canon.WriteString(r.Method + "\n/\n\n")
	for _, h := range names {
		v := r.Header.Get(h)
		if h == "host" {
			v = r.Host
			if v == "" {
				v = r.URL.Host
			}
		}
		canon.WriteString(h + ":" + strings.ToLower(strings.TrimSpace(v)) + "\n")
	}
	canon.WriteString("\n" + signed + "\n" + hexSHA256(payload))

	scope := time.Unix(ts, 0).UTC().Format(time.DateOnly) + "/" + service + "/tc3_request"
	sig := signature(secretKey, scope, ts, canon.String())
	r.Header.Set("Authorization", Algorithm+" Credential="+secretID+"/"+scope+", SignedHeaders="+signed+", Signature="+sig)
}

// signature returns the hex signature of a canonical request for the
// credential scope "date/service/tc3_request".
func signature(secretKey, scope string, ts int64, canonicalRequest string) string {
	date, rest, _ := strings.Cut(scope, "/")
	service, _, _ := strings.Cut(rest, "/")
	sts := Algorithm + "\n" + strconv.FormatInt(ts, 10) + "\n" + scope + "\n" + hexSHA256([]byte(canonicalRequest))
	k := hmacSHA256([]byte("TC3"+secretKey), date)
	k = hmacSHA256(k, service)
	k = hmacSHA256(k, "tc3_request")
	return hex.EncodeToString(hmacSHA256(k, sts))
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
