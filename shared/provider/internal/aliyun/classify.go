package aliyun

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/alibabacloud-go/tea/tea"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// Classify turns an error of an SDK call into an *notify.Error:
//
//   - a *tea.SDKError (an HTTP 4xx or 5xx answer) by its Code, keeping the
//     provider's Code, Message and RequestId;
//   - a failure to connect (refused, no route, DNS, a TLS handshake that
//     failed) as Transient: the request certainly did not leave;
//   - anything else as Ambiguous: a timeout, a connection dropped after the
//     request was written, an answer that is not JSON. The provider may
//     have accepted the message.
func Classify(op string, err error) *notify.Error {
	var sdk *tea.SDKError
	if errors.As(err, &sdk) {
		a := parseSDKError(tea.StringValue(sdk.Code), tea.StringValue(sdk.Message), tea.StringValue(sdk.Data))
		if sdk.StatusCode != nil {
			a.status = *sdk.StatusCode
		}
		e := notify.E(op, KindOf(a.code, a.status), &statusError{status: a.status, err: sdk})
		e.Code, e.Message, e.RequestID = a.code, a.message, a.requestID
		return e
	}
	var (
		ue *url.Error
		se *json.SyntaxError
	)
	switch {
	case errors.As(err, &ue):
		// The URL holds the query: phone numbers and the signature.
		err = fmt.Errorf("%s request: %w", strings.ToLower(ue.Op), ue.Err)
	case errors.As(err, &se):
		err = fmt.Errorf("reading the answer: not JSON: %w", err)
	}
	if notSent(err) {
		return notify.E(op, notify.Transient, err)
	}
	return notify.E(op, notify.Ambiguous, err)
}

// notSent reports whether err is a failure to connect: the request was
// never written. That is a dial that failed (refused, no route, DNS), or a
// TLS handshake that did: a certificate not trusted, an alert from either
// side, or an answer that is not TLS at all (an https endpoint pointed at a
// plain-HTTP port). Nothing the provider could act on left the machine.
func notSent(err error) bool {
	var (
		op     *net.OpError
		dns    *net.DNSError
		crt    *tls.CertificateVerificationError
		record tls.RecordHeaderError
		alert  tls.AlertError
	)
	if errors.As(err, &op) {
		switch op.Op {
		case "dial", "remote error", "local error": // the last two: TLS alerts
			return true
		}
	}
	return errors.As(err, &dns) || errors.As(err, &crt) || errors.As(err, &record) || errors.As(err, &alert) ||
		errors.Is(err, http.ErrSchemeMismatch) // net/http's name for that RecordHeaderError
}

// statusError is the HTTP side of an SDK error, for Error and errors.As.
type statusError struct {
	status int
	err    *tea.SDKError
}

func (e *statusError) Error() string {
	if e.status == 0 {
		return "error answer"
	}
	return "http status " + strconv.Itoa(e.status)
}

func (e *statusError) Unwrap() error { return e.err }

type sdkAnswer struct {
	code, message, requestID string
	status                   int
}

// parseSDKError recovers the gateway's answer from an SDKError's parts.
// data is the answer's JSON body, with "statusCode" added by
// darabonba-openapi v2; message is "code: 400, <Message> request id: <id>".
// darabonba-openapi v0.1.4 leaves StatusCode unset, so the status is taken
// from message when data lacks it.
func parseSDKError(code, message, data string) sdkAnswer {
	var d struct {
		Code       any
		Message    any
		RequestID  any `json:"RequestId"`
		StatusCode any `json:"statusCode"`
	}
	_ = json.Unmarshal([]byte(data), &d)
	a := sdkAnswer{code: str(d.Code), message: str(d.Message), requestID: str(d.RequestID)}
	a.status, _ = strconv.Atoi(str(d.StatusCode))
	if a.code == "" {
		a.code = code
	}
	rest, ok := strings.CutPrefix(message, "code: ")
	if num, tail, found := strings.Cut(rest, ", "); ok && found {
		if a.status == 0 {
			a.status, _ = strconv.Atoi(num)
		}
		rest = tail
	}
	if msg, id, found := cutLast(rest, " request id: "); found {
		rest = msg
		if a.requestID == "" {
			a.requestID = id
		}
	}
	if a.message == "" {
		a.message = rest
	}
	return a
}

func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

// str returns a JSON scalar as text, "" for anything else.
func str(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}
