package cloopensms

import (
	"bytes"
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

	"github.com/seed4ddb146e/notify/shared/notify"
)

// success is the statusCode of an accepted request.
const success = "000000"

// answer is the body of an answer of the service.
type answer struct {
	StatusCode  string
	StatusMsg   string
	TemplateSMS struct {
		SMSMessageSID string
		DateCreated   string
	}
}

// decodeAnswer reads a JSON answer. statusCode and statusMsg are strings
// in every sample; a number is taken too. Cloopen's own sample has a
// space before its smsMessageSid, which is trimmed.
func decodeAnswer(b []byte) (answer, error) {
	var raw struct {
		StatusCode  json.RawMessage `json:"statusCode"`
		StatusMsg   json.RawMessage `json:"statusMsg"`
		TemplateSMS *struct {
			SMSMessageSID string `json:"smsMessageSid"`
			DateCreated   string `json:"dateCreated"`
		} `json:"templateSMS"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return answer{}, err
	}
	var a answer
	var ok bool
	if a.StatusCode, ok = scalar(raw.StatusCode); !ok || a.StatusCode == "" {
		return answer{}, errors.New("no statusCode")
	}
	a.StatusMsg, _ = scalar(raw.StatusMsg)
	if t := raw.TemplateSMS; t != nil {
		a.TemplateSMS.SMSMessageSID = strings.TrimSpace(t.SMSMessageSID)
		a.TemplateSMS.DateCreated = t.DateCreated
	}
	return a, nil
}

// scalar returns a JSON string or number as a string; absent and null are
// "", true; anything else is false.
func scalar(v json.RawMessage) (string, bool) {
	if len(v) == 0 || string(v) == "null" {
		return "", true
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return strings.TrimSpace(s), true
	}
	var n json.Number
	if json.Unmarshal(v, &n) == nil {
		return n.String(), true
	}
	return "", false
}

// interpret turns an answer, HTTP status and body, into the acceptance or the
// error; now is the time of the answer, for RetryAfter.
func interpret(status int, contentType string, body []byte, now time.Time) (notify.Acceptance, error) {
	a, decodeErr := decodeAnswer(body)
	if decodeErr == nil {
		// The service answered, whatever the status, and its code says
		// what became of the message: its success code on an error status
		// still means it took it, and sending it again would send it twice.
		code := a.StatusCode
		if code == success {
			t := a.TemplateSMS
			return notify.Acceptance{ProviderID: t.SMSMessageSID, Code: code, Message: a.StatusMsg}, nil
		}
		e := notify.E(op, kindOf(code), nil)
		e.Code, e.Message = code, a.StatusMsg
		if e.Kind == notify.Throttled {
			e.RetryAfter = retryAfter(code, now)
		}
		if status != http.StatusOK {
			e.Err = fmt.Errorf("HTTP %d", status)
		}
		return notify.Acceptance{}, e
	}
	if status >= 200 && status < 300 {
		return notify.Acceptance{}, notify.E(op, notify.Ambiguous,
			fmt.Errorf("the answer (HTTP %d, %s) is not Cloopen's: %w", status, describe(contentType, body), decodeErr))
	}
	return notify.Acceptance{}, notify.E(op, statusKind(status),
		fmt.Errorf("HTTP %d %s (%s)", status, http.StatusText(status), describe(contentType, body)))
}

// describe says what a body is without showing it.
func describe(contentType string, body []byte) string {
	switch {
	case contentType == "":
		contentType = "no Content-Type"
	case len(contentType) > 64:
		contentType = contentType[:64] + "..."
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return contentType + ", empty"
	}
	return contentType + ", " + strconv.Itoa(len(body)) + " bytes"
}

// kindOf classifies a statusCode other than 000000.
func kindOf(code string) notify.Kind {
	switch code {
	case "160038", "160039", "160040", "160041", "111111":
		return notify.Throttled
	case "160000":
		return notify.Transient
	case "160054":
		return notify.Ambiguous
	case "112303", "112305", "112310", "113302", "160053", "160058", "160060", "160062":
		return notify.Account
	}
	if strings.HasPrefix(code, "1111") && len(code) == 6 {
		return notify.Account
	}
	return notify.Rejected
}

// retryAfter is how long a Throttled code holds: the daily caps until
// midnight in Beijing, the others unknown.
func retryAfter(code string, now time.Time) time.Duration {
	switch code {
	case "160039", "160040", "160041":
		t := now.In(notify.Beijing)
		return time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, notify.Beijing).Sub(t)
	}
	return 0
}

// statusKind classifies an HTTP status of an answer that is not Cloopen's.
func statusKind(status int) notify.Kind {
	switch {
	case status == http.StatusGatewayTimeout:
		return notify.Ambiguous
	case status >= 500, status == http.StatusRequestTimeout:
		return notify.Transient
	case status == http.StatusTooManyRequests:
		return notify.Throttled
	case status == http.StatusUnauthorized, status == http.StatusForbidden, status == http.StatusNotFound,
		status == http.StatusMethodNotAllowed, status >= 300 && status < 400:
		return notify.Account
	case status >= 400:
		return notify.Rejected
	}
	return notify.Ambiguous // 1xx: not an answer net/http returns
}

// transportError classifies a failed request: Transient when the request
// was not written (the connection failed), Ambiguous when it was (a
// timeout, a connection lost while waiting for the answer). The URL of a
// *url.Error, which holds the sig, is left out.
func transportError(ctx context.Context, wrote bool, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = fmt.Errorf("%s request: %w", strings.ToLower(ue.Op), ue.Err)
	}
	err = withCause(ctx, err)
	if !wrote || dialFailed(err) {
		return notify.E(op, notify.Transient, fmt.Errorf("not sent: %w", err))
	}
	return notify.E(op, notify.Ambiguous, fmt.Errorf("waiting for the answer: %w", err))
}

// dialFailed reports whether err is a failure to connect: the request
// cannot have left.
func dialFailed(err error) bool {
	var (
		op  *net.OpError
		dns *net.DNSError
		crt *tls.CertificateVerificationError
	)
	return (errors.As(err, &op) && op.Op == "dial") || errors.As(err, &dns) || errors.As(err, &crt)
}

// withCause adds why ctx ended to err, unless err already says it.
func withCause(ctx context.Context, err error) error {
	cause := context.Cause(ctx)
	if cause == nil || errors.Is(err, cause) {
		return err
	}
	return fmt.Errorf("%w: %w", cause, err)
}
