package acs

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Signing is how a product's requests are signed.
type Signing uint8

// The signatures the SDKs use: darabonba-openapi/v2 signs with ACS3 by
// default (dysmsapi v3); darabonba-openapi v0.1.4 always with RPC v1
// (dyvmsapi v2).
const (
	ACS3 Signing = iota // Authorization: ACS3-HMAC-SHA256 over method, path, query, x-acs-* headers and body hash
	RPC                 // Signature query parameter: HMAC-SHA1 over the query and form parameters
)

// maxSkew is how far a request's timestamp may be from the fake's clock.
const maxSkew = 15 * time.Minute

// call is a request whose signature checked out.
type call struct {
	action, version string
	params          url.Values // query and form body, less the RPC signature
}

// verifyACS3 checks an ACS3-HMAC-SHA256 request against the credentials.
func verifyACS3(r *http.Request, body []byte, cr Credentials, now time.Time) (*call, *Error) {
	auth := r.Header.Get("Authorization")
	const algo = "ACS3-HMAC-SHA256"
	rest, ok := strings.CutPrefix(auth, algo+" ")
	if !ok {
		return nil, errIncomplete
	}
	var cred, signed, sig string
	for part := range strings.SplitSeq(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			cred = v
		case "SignedHeaders":
			signed = v
		case "Signature":
			sig = v
		}
	}
	if cred == "" || signed == "" || sig == "" {
		return nil, errIncomplete
	}
	if cred != cr.AccessKeyID {
		return nil, errAccessKey
	}
	names := strings.Split(signed, ";")
	if !signsAll(r.Header, names) {
		return nil, errIncomplete
	}
	if tok := r.Header.Get("X-Acs-Security-Token"); tok != cr.SecurityToken || tok != "" && r.Header.Get("X-Acs-Accesskey-Id") != cred {
		return nil, errToken
	}
	if r.Header.Get("X-Acs-Signature-Nonce") == "" {
		return nil, errNonce
	}
	if e := checkTime(r.Header.Get("X-Acs-Date"), now); e != nil {
		return nil, e
	}
	sum := sha256.Sum256(body)
	payload := hex.EncodeToString(sum[:])
	if r.Header.Get("X-Acs-Content-Sha256") != payload {
		return nil, errSignature
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, errSignature
	}

	var b strings.Builder
	b.Grow(512)
	b.WriteString(r.Method)
	b.WriteByte('\n')
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	b.WriteString(percentReplacer.Replace(path))
	b.WriteByte('\n')
	canonicalQuery(&b, q)
	b.WriteByte('\n')
	for _, name := range names {
		b.WriteString(name)
		b.WriteByte(':')
		if name == "host" {
			b.WriteString(strings.TrimSpace(r.Host))
		} else {
			vals := r.Header.Values(name)
			for i, v := range vals {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(strings.TrimSpace(v))
			}
		}
		b.WriteByte('\n')
	}
	b.WriteByte('\n') // the headers end with a blank line
	b.WriteString(signed)
	b.WriteByte('\n')
	b.WriteString(payload)

	canon := sha256.Sum256([]byte(b.String()))
	mac := hmac.New(sha256.New, []byte(cr.AccessKeySecret))
	mac.Write([]byte(algo + "\n"))
	mac.Write([]byte(hex.EncodeToString(canon[:])))
	want := hex.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return nil, errSignature
	}
	if err := addForm(q, r, body); err != nil {
		return nil, errBody
	}
	return &call{action: r.Header.Get("X-Acs-Action"), version: r.Header.Get("X-Acs-Version"), params: q}, nil
}

// signsAll reports whether the signed header names are sorted, lower case,
// and cover host and every x-acs-* and content-type header of the request:
// the SDK signs all of them, and the gateway trusts no unsigned one.
func signsAll(h http.Header, names []string) bool {
	if !slices.IsSorted(names) || !slices.Contains(names, "host") {
		return false
	}
	for _, n := range names {
		if n != strings.ToLower(n) {
			return false
		}
	}
	for k := range h {
		lk := strings.ToLower(k)
		if (strings.HasPrefix(lk, "x-acs-") || lk == "content-type") && !slices.Contains(names, lk) {
			return false
		}
	}
	return true
}

// verifyRPC checks an RPC v1 (HMAC-SHA1) request against the credentials.
func verifyRPC(r *http.Request, body []byte, cr Credentials, now time.Time) (*call, *Error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, errSignature
	}
	sig := q.Get("Signature")
	if sig == "" || q.Get("AccessKeyId") == "" {
		return nil, errIncomplete
	}
	if q.Get("SignatureMethod") != "HMAC-SHA1" || q.Get("SignatureVersion") != "1.0" {
		return nil, errIncomplete
	}
	if q.Get("AccessKeyId") != cr.AccessKeyID {
		return nil, errAccessKey
	}
	if q.Get("SecurityToken") != cr.SecurityToken {
		return nil, errToken
	}
	if q.Get("SignatureNonce") == "" {
		return nil, errNonce
	}
	if e := checkTime(q.Get("Timestamp"), now); e != nil {
		return nil, e
	}
	q.Del("Signature")
	if err := addForm(q, r, body); err != nil {
		return nil, errBody
	}

	var b strings.Builder
	b.Grow(512)
	canonicalQuery(&b, q)
	sts := r.Method + "&%2F&" + encode(b.String())
	mac := hmac.New(sha1.New, []byte(cr.AccessKeySecret+"&"))
	mac.Write([]byte(sts))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return nil, errSignature
	}
	return &call{action: q.Get("Action"), version: q.Get("Version"), params: q}, nil
}

// addForm adds the parameters of a form body to q.
func addForm(q url.Values, r *http.Request, body []byte) error {
	ct := r.Header.Get("Content-Type")
	if len(body) == 0 || !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		return nil
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return err
	}
	for k, vs := range form {
		q[k] = append(q[k], vs...)
	}
	return nil
}

// checkTime checks an ISO 8601 UTC timestamp (2006-01-02T15:04:05Z) against
// the fake's clock.
func checkTime(ts string, now time.Time) *Error {
	t, err := time.Parse("2006-01-02T15:04:05Z", ts)
	if err != nil {
		return errTimeFormat
	}
	if d := now.Sub(t); d > maxSkew || d < -maxSkew {
		return errTimeExpired
	}
	return nil
}

// canonicalQuery writes q as both signatures canonicalize it: keys sorted,
// k=v joined by "&", each percent-encoded as encode does.
func canonicalQuery(b *strings.Builder, q url.Values) {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	first := true
	for _, k := range keys {
		vs := q[k]
		slices.Sort(vs)
		for _, v := range vs {
			if !first {
				b.WriteByte('&')
			}
			first = false
			b.WriteString(encode(k))
			b.WriteByte('=')
			b.WriteString(encode(v))
		}
	}
}

// percentReplacer turns url.QueryEscape's output into RFC 3986 encoding.
var percentReplacer = strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~")

// encode is Aliyun's percent-encoding: url.QueryEscape, then "+" -> %20,
// "*" -> %2A, %7E -> ~.
func encode(s string) string { return percentReplacer.Replace(url.QueryEscape(s)) }
