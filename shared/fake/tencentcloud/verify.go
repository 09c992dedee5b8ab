package tencentcloud

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxSkew is how far X-TC-Timestamp may be from the service's clock.
const MaxSkew = 5 * time.Minute

// The errors of API 3.0's authentication and common parameters.
var (
	errAuthorization = &tcError{Code: "AuthFailure.InvalidAuthorization",
		Message: "The Authorization header does not conform to the TC3-HMAC-SHA256 standard."}
	errSecretID = &tcError{Code: "AuthFailure.SecretIdNotFound",
		Message: "The SecretId is not found, please ensure that your SecretId is correct."}
	errExpired = &tcError{Code: "AuthFailure.SignatureExpire",
		Message: "The signature is expired, please request again."}
	errSignature = &tcError{Code: "AuthFailure.SignatureFailure",
		Message: "The provided credentials could not be validated. Please check your signature is correct."}
	errAction  = &tcError{Code: "InvalidAction", Message: "The request `Action` is invalid or not found."}
	errVersion = &tcError{Code: "NoSuchVersion", Message: "The requested `Version` does not exist or the API is not in it."}
	errRegion  = &tcError{Code: "UnsupportedRegion", Message: "The `Region` is not supported by the API."}
)

// authorization is a parsed TC3-HMAC-SHA256 Authorization header:
//
//	TC3-HMAC-SHA256 Credential=<id>/<date>/<service>/tc3_request, SignedHeaders=content-type;host, Signature=<hex>
type authorization struct {
	secretID, date, service, terminator string
	signedHeaders                       []string
	signature                           string
}

// parseAuthorization parses an Authorization header; the separators may be
// "," or ", ".
func parseAuthorization(h string) (authorization, bool) {
	var a authorization
	rest, ok := strings.CutPrefix(h, "TC3-HMAC-SHA256 ")
	if !ok {
		return a, false
	}
	var credential, signed bool
	for part := range strings.SplitSeq(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || v == "" {
			return a, false
		}
		switch k {
		case "Credential":
			p := strings.Split(v, "/")
			if len(p) != 4 || credential {
				return a, false
			}
			a.secretID, a.date, a.service, a.terminator = p[0], p[1], p[2], p[3]
			credential = true
		case "SignedHeaders":
			if signed {
				return a, false
			}
			a.signedHeaders = strings.Split(v, ";")
			signed = true
		case "Signature":
			if a.signature != "" {
				return a, false
			}
			a.signature = v
		default:
			return a, false
		}
	}
	return a, credential && signed && a.signature != ""
}

// verify checks the signature of r, whose body is body, the way the real
// service does: the credential's SecretId, the timestamp against now, the
// credential scope, and the signature recomputed from the request as
// received, with the headers SignedHeaders lists and their values as they
// arrived. This is an implementation of its own, not the client's.
func verify(r *http.Request, body []byte, service, secretID, secretKey string, now time.Time) *tcError {
	a, ok := parseAuthorization(r.Header.Get("Authorization"))
	if !ok {
		return errAuthorization
	}
	if !hasAll(a.signedHeaders, "content-type", "host") {
		return errAuthorization
	}
	if a.secretID != secretID {
		return errSecretID
	}
	ts, err := strconv.ParseInt(r.Header.Get("X-TC-Timestamp"), 10, 64)
	if err != nil {
		return invalidType("Timestamp")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > MaxSkew || d < -MaxSkew {
		return errExpired
	}
	if a.date != time.Unix(ts, 0).UTC().Format(time.DateOnly) || a.service != service || a.terminator != "tc3_request" {
		return errSignature
	}

	var canon strings.Builder
	canon.WriteString(r.Method + "\n" + "/" + "\n" + r.URL.RawQuery + "\n")
	for _, h := range a.signedHeaders {
		if h != strings.ToLower(h) {
			return errSignature
		}
		v := r.Header.Get(h)
		if h == "host" {
			v = r.Host
		}
		canon.WriteString(h + ":" + strings.ToLower(strings.TrimSpace(v)) + "\n")
	}
	bodySum := sha256.Sum256(body)
	canon.WriteString("\n" + strings.Join(a.signedHeaders, ";") + "\n" + hex.EncodeToString(bodySum[:]))
	canonSum := sha256.Sum256([]byte(canon.String()))
	sts := "TC3-HMAC-SHA256\n" + strconv.FormatInt(ts, 10) + "\n" + a.date + "/" + a.service + "/tc3_request\n" +
		hex.EncodeToString(canonSum[:])

	key := []byte("TC3" + secretKey)
	for _, part := range [...]string{a.date, a.service, "tc3_request"} {
		key = mac(key, part)
	}
	want := hex.EncodeToString(mac(key, sts))
	if !hmac.Equal([]byte(a.signature), []byte(want)) {
		return errSignature
	}
	return nil
}

func mac(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}

func hasAll(list []string, names ...string) bool {
	for _, n := range names {
		found := false
		for _, v := range list {
			found = found || v == n
		}
		if !found {
			return false
		}
	}
	return true
}
