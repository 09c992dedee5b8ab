// Package cloopensms sends SMS through Ronglian Cloud (容联云, Cloopen)
// template SMS, on the standard library: there is no SDK to wrap.
//
// New checks a Config and returns a Client, whose SendSMS sends one
// TemplateSMS request to at most MaxPhoneNumbers mainland numbers and
// classifies every outcome into a notify Kind; nothing is retried here.
// docs/providers.md (Cloopen) has the request and its signature, the
// client's choices and the table of how each statusCode, HTTP status and
// transport failure is classified.
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
	"github.com/seed4ddb146e/notify/shared/provider/endpoint"
)

// The service's defaults and limits.
const (
	DefaultEndpoint = "https://app.cloopen.com:8883"
	DefaultTimeout  = 10 * time.Second
	MaxPhoneNumbers = 200 // numbers in one TemplateSMS
	// MaxIdlePerHost is how many idle connections to the service the
	// default client keeps: as many as sends at once in one instance
	// (32 in the load tests), up to this.
	MaxIdlePerHost = 64
)

// version is the REST API version in every path.
const version = "2013-12-26"

// op is the Op of every error SendSMS returns.
const op = "cloopensms.TemplateSMS"

// maxAnswer bounds the answers read: Cloopen's are a few hundred bytes.
const maxAnswer = 64 << 10

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
		// net/http's default keeps two idle connections a host: at more
		// sends at once, each of the others opened one (a TCP and TLS
		// handshake with the service) and closed it after its answer.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = MaxIdlePerHost
		cl.http = &http.Client{Transport: t}
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
func (c *Client) SendSMS(ctx context.Context, m notify.TextMessage) (notify.Acceptance, error) {
	to, err := recipients(m.PhoneNumbers)
	if err != nil {
		return notify.Acceptance{}, err
	}
	if err := ctx.Err(); err != nil {
		return notify.Acceptance{}, notify.E(op, notify.Transient, fmt.Errorf("not sent: %w", err))
	}
	body, err := json.Marshal(sendRequest{To: to, AppID: c.appID, TemplateID: m.TemplateCode, Datas: m.ParamList})
	if err != nil {
		return notify.Acceptance{}, notify.E(op, notify.Internal, fmt.Errorf("encoding the request: %w", err))
	}

	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var wrote atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteRequest: func(i httptrace.WroteRequestInfo) {
		if i.Err == nil {
			wrote.Store(true)
		}
	}})
	ts := c.now().In(notify.Beijing).Format("20060102150405")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url(ts), bytes.NewReader(body))
	if err != nil {
		return notify.Acceptance{}, notify.E(op, notify.Internal, errors.New("building the request: bad URL"))
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json;charset=utf-8")
	req.Header.Set("Authorization", base64.StdEncoding.EncodeToString([]byte(c.sid+":"+ts)))

	resp, err := c.http.Do(req)
	if err != nil {
		return notify.Acceptance{}, transportError(ctx, wrote.Load(), err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return notify.Acceptance{}, notify.E(op, notify.Ambiguous,
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
		return "", invalid(notify.ReasonMissingField, "is required")
	case len(numbers) > MaxPhoneNumbers:
		return "", invalid(notify.ReasonTooMany, "has %d numbers; cloopen takes at most %d", len(numbers), MaxPhoneNumbers)
	}
	var b strings.Builder
	b.Grow(12 * len(numbers))
	for i, raw := range numbers {
		n, ok := notify.NormalizePhone(raw)
		switch {
		case !ok:
			return "", invalid(notify.ReasonInvalidPhone, "number %d is not a phone number", i+1)
		case !notify.IsMainland(n):
			return "", invalid(notify.ReasonUnsupportedNumber, "number %d is outside mainland China; cloopen sends to mainland numbers only", i+1)
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(n)
	}
	return b.String(), nil
}
