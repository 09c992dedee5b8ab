// Package acs is what the fake Aliyun products (dysmsapi, dyvmsapi) share:
// the API gateway in front of them. A Service checks a request's signature
// (ACS3-HMAC-SHA256 or RPC v1 HMAC-SHA1) and credentials the way the real
// gateway does, plays the faults a test asked for, hands the business
// parameters to the product's Action, and answers in the real JSON shapes:
//
//	success          200 {"RequestId":..., "Code":"OK", "Message":"OK", ...}
//	business error   200 {"RequestId":..., "Code":"isv.*", "Message":...}
//	gateway error    4xx/5xx {"RequestId","HostId","Code","Message","Recommend"}
//
// The formats are those of docs/providers.md (Aliyun Dysmsapi and
// Dyvmsapi), checked against the real SDKs; the signature checks here pass whatever the
// SDKs sign (FuzzSignatures). The package also holds what the products
// share: Log, the record of what a fake accepted, and parameter checks
// (StringObject, Mainland).
package acs

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
)

// Credentials are the keys a fake accepts. With a SecurityToken (STS), every
// request must carry exactly that token; without one, none may carry a token.
type Credentials struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
}

// Error is an error answer. Status 200 makes it a business error (the
// isv.* codes); any other status a gateway error.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns the business error code with message msg: HTTP 200.
func Errorf(code, msg string) *Error { return &Error{Status: http.StatusOK, Code: code, Message: msg} }

// Missing returns the gateway's answer to a request without the mandatory
// parameter name: 400 Missing<name>.
func Missing(name string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "Missing" + name, Message: name + " is mandatory for this action."}
}

// The gateway's own errors.
var (
	errSignature = &Error{Status: http.StatusBadRequest, Code: "SignatureDoesNotMatch",
		Message: "Specified signature is not matched with our calculation."}
	errIncomplete = &Error{Status: http.StatusBadRequest, Code: "IncompleteSignature",
		Message: "The request signature does not conform to Aliyun standards."}
	errAccessKey = &Error{Status: http.StatusNotFound, Code: "InvalidAccessKeyId.NotFound",
		Message: "Specified access key is not found."}
	errToken = &Error{Status: http.StatusBadRequest, Code: "InvalidSecurityToken.MismatchWithAccessKey",
		Message: "Specified SecurityToken mismatch with the AccessKey."}
	errTimeFormat = &Error{Status: http.StatusBadRequest, Code: "InvalidTimeStamp.Format",
		Message: "Specified time stamp or date value is not well formatted."}
	errTimeExpired = &Error{Status: http.StatusBadRequest, Code: "InvalidTimeStamp.Expired",
		Message: "Specified time stamp or date value is expired."}
	errNonce = &Error{Status: http.StatusBadRequest, Code: "MissingSignatureNonce",
		Message: "SignatureNonce is mandatory for this action."}
	errAPI = &Error{Status: http.StatusNotFound, Code: "InvalidApi.NotFound",
		Message: "Specified api is not found, please check your url and method."}
	errVersion = &Error{Status: http.StatusBadRequest, Code: "InvalidVersion",
		Message: "Specified parameter Version is not valid."}
	errBody = &Error{Status: http.StatusBadRequest, Code: "InvalidParameter",
		Message: "The request body could not be read."}
)

// OK is the head of every successful answer; products embed it.
type OK struct {
	RequestID string `json:"RequestId"`
	Code      string `json:"Code"`
	Message   string `json:"Message"`
}

// Success returns the head of a successful answer to request id.
func Success(id string) OK { return OK{RequestID: id, Code: "OK", Message: "OK"} }

type businessError struct {
	RequestID string `json:"RequestId"`
	Code      string `json:"Code"`
	Message   string `json:"Message"`
}

type gatewayError struct {
	RequestID string `json:"RequestId"`
	HostID    string `json:"HostId"`
	Code      string `json:"Code"`
	Message   string `json:"Message"`
	Recommend string `json:"Recommend"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h["Content-Type"] = []string{"application/json;charset=utf-8"}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// newRequestID returns an id shaped like Aliyun's:
// F655A8D5-B967-440B-8683-DAD6FF8DE990.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	hex.Encode(s[9:13], b[4:6])
	hex.Encode(s[14:18], b[6:8])
	hex.Encode(s[19:23], b[8:10])
	hex.Encode(s[24:36], b[10:16])
	s[8], s[13], s[18], s[23] = '-', '-', '-', '-'
	for i, c := range s {
		if c >= 'a' && c <= 'f' {
			s[i] = c - 'a' + 'A'
		}
	}
	return string(s[:])
}

// recommend is the Recommend link the gateway puts in its errors.
func recommend(product, code, requestID string) string {
	return "https://api.aliyun.com/troubleshoot?q=" + url.QueryEscape(code) + "&product=" + product + "&requestId=" + requestID
}
