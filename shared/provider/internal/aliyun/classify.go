package aliyun

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/alibabacloud-go/tea/tea"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// Classify turns an error of an SDK call into an *notify.Error:
//
//   - a *tea.SDKError (an HTTP 4xx or 5xx answer) by its Code, keeping the
//     provider's Code, Message and RequestId;
//   - a failure to connect (refused, no route, DNS, a certificate not
//     trusted, an https endpoint whose port does not speak TLS) as
//     Transient: the request certainly did not leave;
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
		ue   *url.Error
		se   *json.SyntaxError
		host string
	)
	switch {
	case errors.As(err, &ue):
		// The URL holds the query: phone numbers and the signature.
		err = fmt.Errorf("%s request: %w", strings.ToLower(ue.Op), ue.Err)
		if u, perr := url.Parse(ue.URL); perr == nil && u.Scheme == "https" {
			host = u.Host
		}
	case errors.As(err, &se):
		err = fmt.Errorf("reading the answer: not JSON: %w", err)
	}
	if notSent(err) || (errors.Is(err, http.ErrSchemeMismatch) && host != "" && speaksPlain(host)) {
		return notify.E(op, notify.Transient, err)
	}
	return notify.E(op, notify.Ambiguous, err)
}

// notSent reports whether err is a failure to connect: the request was
// never written. That is a dial that failed (refused, no route, DNS), a
// certificate not trusted, or a first record that is not TLS at all: the
// TLS handshake checks certificates, and reads a first record, before any
// request is written. A TLS alert may come at any time, and is left as
// Ambiguous.
func notSent(err error) bool {
	var (
		op     *net.OpError
		dns    *net.DNSError
		crt    *tls.CertificateVerificationError
		record tls.RecordHeaderError
	)
	return (errors.As(err, &op) && op.Op == "dial") || errors.As(err, &dns) || errors.As(err, &crt) ||
		(errors.As(err, &record) && record.Conn != nil) // set for the first record alone
}

// speaksPlain reports whether host (host:port, 443 by default) answers a
// TLS handshake with something that is not TLS: an https endpoint pointed
// at a plain-HTTP port. net/http reports such an answer as
// ErrSchemeMismatch whether it came in place of the handshake or after the
// request was written; a server that does not speak TLS at all cannot have
// taken a request over it. Nothing but a ClientHello is sent.
func speaksPlain(host string) bool {
	if _, _, err := net.SplitHostPort(host); err != nil {
		host = net.JoinHostPort(host, "443")
	}
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 2 * time.Second},
		// Whether the server speaks TLS at all is the question; whom to
		// trust is not, and no request is sent.
		Config: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	conn, err := d.DialContext(ctx, "tcp", host)
	if err == nil {
		conn.Close()
		return false
	}
	var record tls.RecordHeaderError
	return errors.As(err, &record)
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
