// Package cloopensms sends SMS through Ronglian Cloud (容联云, Cloopen)
// template SMS, on the standard library: there is no SDK to wrap.
//
// One send is one request (docs/providers.md, Cloopen):
//
//	POST {Endpoint}/2013-12-26/Accounts/{AccountSID}/SMS/TemplateSMS?sig=SIG
//	Accept: application/json
//	Content-Type: application/json;charset=utf-8
//	Authorization: base64(AccountSID ":" ts)
//	{"to":"13800000000,13900000000","appId":AppID,"templateId":TemplateCode,"datas":ParamList}
//
// where ts is the time as yyyyMMddHHmmss in Beijing time (a fixed UTC+8
// zone: no tzdata needed) and SIG the upper-case hex MD5 of AccountSID,
// AuthToken and ts, both fresh for every request. datas is left out when
// ParamList is empty.
//
// Every answer of the service is HTTP 200 with {"statusCode","statusMsg"};
// "000000" is success, and its templateSMS.smsMessageSid becomes the
// receipt's ProviderID (Cloopen gives no request id). Every other outcome
// is an *notify.Error of one Kind, keeping statusCode and statusMsg as its
// Code and Message:
//
//	Throttled   160038 (codes sent too often), 160039, 160040, 160041 (daily
//	            caps per number and template; RetryAfter: until midnight in
//	            Beijing), 111111 (concurrency limit)
//	Transient   160000 (system error)
//	Account     1111xx but 111111: the Authorization, sig and timestamp
//	            (111109 sig, 111106 clock), the account (111141, 111142
//	            balance, 111143 token, suspended, closed) and the app (111181,
//	            disabled, not published); 112303, 112305 and 112310 (app not
//	            live: test numbers only), 113302 (test template), 160053 (IP
//	            not allowed), 160058, 160060, 160062 (international
//	            permissions)
//	Ambiguous   160054 (duplicate request: an identical earlier one was taken)
//	Rejected    every other code, 1123xx and 1600xx and codes not known
//
// and outcomes without a code:
//
//	Transient   the connection failed before the request was written
//	            (refused, DNS, TLS), or ctx was done before the send;
//	            HTTP 5xx but 504; HTTP 408
//	Throttled   HTTP 429
//	Account     HTTP 401, 403, 404, 405 and 3xx: the Endpoint or the network
//	            in front refuses us, which an operator must fix
//	Rejected    other HTTP 4xx: the request itself was refused
//	Ambiguous   a timeout or a connection lost after the request was
//	            written, HTTP 504, an answer that is not the expected JSON or
//	            lacks a statusCode: Cloopen may have sent the message
//
// Choices, and why:
//
//   - The service answers its own errors with HTTP 200, so an HTTP error
//     status comes from the web server or a proxy in front of it, which did
//     not pass the request on. 504 is the exception: a gateway that timed
//     out waiting may have passed it on, so it is Ambiguous, not Transient.
//     An error status whose body is Cloopen's JSON is judged by its code.
//   - Redirects are never followed, on a default or a given HTTPClient: the
//     client would post the message again elsewhere. The wrong Endpoint
//     that causes one is an Account problem.
//   - Whether the request was written is known from net/http/httptrace, not
//     guessed from the error's text: only an unwritten request is Transient.
//   - Nothing is retried here; the caller decides on the error's Kind.
//   - Numbers: mainland numbers go out as their 11 digits (a +86 form is
//     reduced to them). Cloopen sends abroad only with an account
//     permission (160058) and one number per request (160059), and we found
//     no document of its number format, so any other number is refused
//     before any I/O: Invalid, Field "PhoneNumbers", Reason
//     "unsupported_number". So are more than 200 numbers (Reason
//     "too_many"), and none ("missing_field").
//   - The optional reqId (Cloopen's per-day idempotency key) is not sent:
//     whether a refused request uses one up is not documented, and a retry
//     after a refusal would then be refused as a duplicate.
//   - Errors never hold the auth token, the sig or the Authorization header:
//     a transport error's URL (which holds the sig) is dropped.
package cloopensms

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync/atomic"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/internal/endpoint"
)

// The service's defaults and limits.
const (
	DefaultEndpoint = "https://app.cloopen.com:8883"
	DefaultTimeout  = 10 * time.Second
	MaxPhoneNumbers = 200 // numbers in one TemplateSMS
)

// version is the REST API version in every path.
const version = "2013-12-26"

// op is the Op of every error SendSMS returns.
const op = "cloopensms.TemplateSMS"

// maxAnswer bounds the answers read: Cloopen's are a few hundred bytes.
const maxAnswer = 64 << 10

// beijing is the zone of the service's timestamps, UTC+8 all year.
var beijing = time.FixedZone("CST", 8*60*60)

// Config configures a Client. AccountSID, AuthToken and AppID are required.
type Config struct {
	AccountSID string        // the master account's ACCOUNT SID
	AuthToken  notify.Secret // the master account's AUTH TOKEN
	AppID      string        // the application whose templates are used
	// Endpoint is host:port (https) or an http or https URL without a
	// path; "" is DefaultEndpoint.
	Endpoint string
	// Timeout bounds one request, within ctx's deadline; 0 is
	// DefaultTimeout.
	Timeout time.Duration
	// HTTPClient makes the requests; nil is a client of its own with the
	// usual dial and TLS timeouts.
	HTTPClient *http.Client
	// Now is the clock of the timestamps; nil is time.Now.
	Now func() time.Time
}

// Client sends SMS through Cloopen. It is safe for concurrent use.
type Client struct {
	sid     string
	token   string
	appID   string
	base    string // scheme://host:port
	timeout time.Duration
	http    *http.Client
	now     func() time.Time
}

var _ notify.SMSSender = (*Client)(nil)

// New checks c, reporting every problem at once, and returns a Client. It
// makes no connection.
func New(c Config) (*Client, error) {
	var errs []error
	if strings.TrimSpace(c.AccountSID) == "" {
		errs = append(errs, errors.New("AccountSID is required"))
	} else if strings.ContainsAny(c.AccountSID, "/?#:% ") {
		errs = append(errs, errors.New("AccountSID must not contain '/', '?', '#', ':', '%' or spaces"))
	}
	if strings.TrimSpace(c.AuthToken.Reveal()) == "" {
		errs = append(errs, errors.New("AuthToken is required"))
	}
	if strings.TrimSpace(c.AppID) == "" {
		errs = append(errs, errors.New("AppID is required"))
	}
	base := DefaultEndpoint
	if c.Endpoint != "" {
		var err error
		if base, err = endpoint.Parse(c.Endpoint); err != nil {
			errs = append(errs, err)
		}
	}
	timeout := c.Timeout
	switch {
	case timeout == 0:
		timeout = DefaultTimeout
	case timeout < 0:
		errs = append(errs, fmt.Errorf("Timeout %v is negative", timeout))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("cloopensms: config: %w", err)
	}
	cl := &Client{sid: c.AccountSID, token: c.AuthToken.Reveal(), appID: c.AppID, base: base,
		timeout: timeout, now: c.Now}
	if cl.now == nil {
		cl.now = time.Now
	}
	if c.HTTPClient != nil {
		hc := *c.HTTPClient
		cl.http = &hc
	} else {
		cl.http = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	cl.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return cl, nil
}

// sendRequest is the JSON body of TemplateSMS.
type sendRequest struct {
	To         string   `json:"to"`
	AppID      string   `json:"appId"`
	TemplateID string   `json:"templateId"`
	Datas      []string `json:"datas,omitempty"`
}

// SendSMS sends m to all its numbers in one TemplateSMS request: the
// template m.TemplateCode of the configured app, filled with m.ParamList in
// order. m.SignName is not sent: Cloopen's templates carry their signature.
// Errors are *notify.Error values.
func (c *Client) SendSMS(ctx context.Context, m notify.TextMessage) (notify.Receipt, error) {
	to, err := recipients(m.PhoneNumbers)
	if err != nil {
		return notify.Receipt{}, err
	}
	if err := ctx.Err(); err != nil {
		return notify.Receipt{}, notify.E(op, notify.Transient, fmt.Errorf("not sent: %w", err))
	}
	body, err := json.Marshal(sendRequest{To: to, AppID: c.appID, TemplateID: m.TemplateCode, Datas: m.ParamList})
	if err != nil {
		return notify.Receipt{}, notify.E(op, notify.Internal, fmt.Errorf("encoding the request: %w", err))
	}

	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var wrote atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteRequest: func(i httptrace.WroteRequestInfo) {
		if i.Err == nil {
			wrote.Store(true)
		}
	}})
	ts := c.now().In(beijing).Format("20060102150405")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url(ts), bytes.NewReader(body))
	if err != nil {
		return notify.Receipt{}, notify.E(op, notify.Internal, errors.New("building the request: bad URL"))
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json;charset=utf-8")
	req.Header.Set("Authorization", base64.StdEncoding.EncodeToString([]byte(c.sid+":"+ts)))

	resp, err := c.http.Do(req)
	if err != nil {
		return notify.Receipt{}, transportError(ctx, wrote.Load(), err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return notify.Receipt{}, notify.E(op, notify.Ambiguous,
			fmt.Errorf("reading the answer (HTTP %d): %w", resp.StatusCode, withCause(ctx, err)))
	}
	return interpret(resp.StatusCode, resp.Header.Get("Content-Type"), answer, c.now())
}

// url returns the URL of TemplateSMS signed at ts.
func (c *Client) url(ts string) string {
	sum := md5.Sum([]byte(c.sid + c.token + ts))
	return c.base + "/" + version + "/Accounts/" + c.sid + "/SMS/TemplateSMS?sig=" + strings.ToUpper(hex.EncodeToString(sum[:]))
}

// recipients returns the "to" of numbers: mainland numbers as 11 digits,
// joined by commas; any other number, too many or none is Invalid.
func recipients(numbers []string) (string, error) {
	invalid := func(reason, format string, args ...any) error {
		return &notify.Error{Op: op, Kind: notify.Invalid, Field: "PhoneNumbers", Reason: reason, Err: fmt.Errorf(format, args...)}
	}
	switch {
	case len(numbers) == 0:
		return "", invalid("missing_field", "is required")
	case len(numbers) > MaxPhoneNumbers:
		return "", invalid("too_many", "has %d numbers; cloopen takes at most %d", len(numbers), MaxPhoneNumbers)
	}
	var b strings.Builder
	b.Grow(12 * len(numbers))
	for i, raw := range numbers {
		n, ok := notify.NormalizePhone(raw)
		switch {
		case !ok:
			return "", invalid("invalid_phone", "number %d is not a phone number", i+1)
		case !notify.IsMainland(n):
			return "", invalid("unsupported_number", "number %d is outside mainland China; cloopen sends to mainland numbers only", i+1)
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(n)
	}
	return b.String(), nil
}
