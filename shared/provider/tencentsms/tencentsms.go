// Package tencentsms sends SMS through Tencent Cloud SMS (SendSms, API
// version 2021-01-11) with a client of its own on the standard library: the
// official tencentcloud-sdk-go sms package is not available to this module.
// Requests are JSON POSTs signed with TC3-HMAC-SHA256 (Sign).
//
// New checks a Config and returns a Client, whose SendSMS sends one message
// to at most MaxPhoneNumbers numbers and classifies every outcome into a
// notify Kind; nothing is retried here. docs/providers.md (Tencent Cloud
// SMS) has the wire format, the client's choices and the table of how
// Tencent's codes, HTTP statuses and transport failures are classified.
package tencentsms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/endpoint"
)

// Defaults of a Config's zero fields.
const (
	DefaultEndpoint = "sms.tencentcloudapi.com" // over https
	DefaultRegion   = "ap-guangzhou"
	DefaultTimeout  = 10 * time.Second
	// MaxIdlePerHost is how many idle connections to the service the
	// default client keeps: net/http's default, two, made each send
	// beyond two at once over HTTP/1.1 (a proxy in front, say) open a
	// connection (a TCP and TLS handshake) and close it after its answer.
	MaxIdlePerHost = 64
)

// The API this client speaks.
const (
	Service = "sms"
	Action  = "SendSms"
	Version = "2021-01-11"
)

// MaxPhoneNumbers is how many numbers one SendSms takes.
const MaxPhoneNumbers = 200

const opSend = "tencentsms.SendSms"

// maxAnswer bounds the answer read: 200 statuses take about 40 KB.
const maxAnswer = 1 << 20

// Config configures a Client. SecretID, SecretKey and SDKAppID are
// required; the zero values of the others mean defaults.
type Config struct {
	SecretID  string
	SecretKey notify.Secret
	SDKAppID  string // the SMS application, such as "1400006666"
	Region    string // "" is DefaultRegion
	// Endpoint is a host, host:port (https) or an http(s) URL without a
	// path; "" is DefaultEndpoint.
	Endpoint string
	// Timeout bounds one request, as well as ctx's deadline; 0 is
	// DefaultTimeout.
	Timeout time.Duration
	// HTTPClient makes the requests; nil is a client of its own with dial
	// and TLS timeouts that follows no redirects.
	HTTPClient *http.Client
	// Now is the clock of X-TC-Timestamp; nil is time.Now. For tests.
	Now func() time.Time
}

// Client sends SMS through Tencent Cloud. It is safe for concurrent use.
type Client struct {
	id, appID, region string
	key               notify.Secret
	url               string // scheme://host/
	timeout           time.Duration
	http              *http.Client
	now               func() time.Time
}

var _ notify.SMSSender = (*Client)(nil)

// New checks c and returns a Client. It makes no connection. The error
// lists every problem in c.
func New(c Config) (*Client, error) {
	cl := &Client{id: c.SecretID, key: c.SecretKey, appID: c.SDKAppID, region: c.Region,
		url: "https://" + DefaultEndpoint + "/", timeout: c.Timeout, http: c.HTTPClient, now: c.Now}
	var errs []error
	if strings.TrimSpace(c.SecretID) == "" {
		errs = append(errs, errors.New("SecretID is required"))
	}
	if strings.TrimSpace(c.SecretKey.Reveal()) == "" {
		errs = append(errs, errors.New("SecretKey is required"))
	}
	switch {
	case c.SDKAppID == "":
		errs = append(errs, errors.New("SDKAppID is required"))
	case !digits(c.SDKAppID):
		errs = append(errs, fmt.Errorf("SDKAppID %q is not a number", c.SDKAppID))
	}
	switch {
	case c.Region == "":
		cl.region = DefaultRegion
	case !regionName(c.Region):
		errs = append(errs, fmt.Errorf("Region %q is not a region name such as ap-guangzhou", c.Region))
	}
	if c.Endpoint != "" {
		base, err := endpoint.Parse(c.Endpoint)
		if err != nil {
			errs = append(errs, err)
		}
		cl.url = base + "/"
	}
	switch {
	case c.Timeout == 0:
		cl.timeout = DefaultTimeout
	case c.Timeout < 0:
		errs = append(errs, fmt.Errorf("Timeout %v is negative", c.Timeout))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("tencentsms: config: %w", err)
	}
	if cl.http == nil {
		cl.http = defaultHTTPClient()
	}
	if cl.now == nil {
		cl.now = time.Now
	}
	return cl, nil
}

// defaultHTTPClient returns net/http's default transport settings (proxies
// from the environment, which loopback addresses bypass; dial and TLS
// timeouts) in a client that follows no redirect: a POST must not turn into
// a GET elsewhere.
func defaultHTTPClient() *http.Client {
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   MaxIdlePerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{Transport: t, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// request is the body of SendSms, in the order the API documents it.
type request struct {
	PhoneNumberSet   []string `json:"PhoneNumberSet"`
	SmsSdkAppID      string   `json:"SmsSdkAppId"`
	SignName         string   `json:"SignName,omitempty"`
	TemplateID       string   `json:"TemplateId"`
	TemplateParamSet []string `json:"TemplateParamSet,omitempty"`
	SessionContext   string   `json:"SessionContext,omitempty"`
}

// SendSMS sends m to all its numbers in one SendSms request. The acceptance's
// ProviderID is the first accepted number's SerialNo, and its Recipients
// say what became of each number. Errors are *notify.Error values.
func (c *Client) SendSMS(ctx context.Context, m notify.TextMessage) (notify.Acceptance, error) {
	numbers, err := e164(m.PhoneNumbers)
	if err != nil {
		return notify.Acceptance{}, err
	}
	body, err := json.Marshal(request{PhoneNumberSet: numbers, SmsSdkAppID: c.appID, SignName: m.SignName,
		TemplateID: m.TemplateCode, TemplateParamSet: m.ParamList, SessionContext: m.ID})
	if err != nil {
		return notify.Acceptance{}, notify.E(opSend, notify.Internal, err)
	}
	if err := ctx.Err(); err != nil {
		return notify.Acceptance{}, notify.E(opSend, notify.Transient, fmt.Errorf("not sent: %w", err))
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	answer, err := c.post(ctx, Action, opSend, body)
	if err != nil {
		return notify.Acceptance{}, err
	}
	a, err := decode(answer)
	if err != nil {
		return notify.Acceptance{}, notify.E(opSend, notify.Ambiguous, fmt.Errorf("reading the answer: %w", err))
	}
	return outcome(a, m.PhoneNumbers, numbers, c.now())
}

// post sends one signed request of action and returns the body of an HTTP
// 200 answer, or an *notify.Error of op.
func (c *Client) post(ctx context.Context, action, op string, body []byte) ([]byte, error) {
	var written atomic.Bool // the whole request went out
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(w httptrace.WroteRequestInfo) { written.Store(w.Err == nil) },
	})
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, notify.E(op, notify.Internal, err)
	}
	h := r.Header
	h.Set("Content-Type", "application/json")
	h.Set("X-TC-Action", action)
	h.Set("X-TC-Version", Version)
	h.Set("X-TC-Region", c.region)
	Sign(r, body, c.id, c.key.Reveal(), Service, c.now())

	resp, err := c.http.Do(r)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its URL is c.url, which the error's Op already implies
		}
		if !written.Load() {
			return nil, notify.E(op, notify.Transient, fmt.Errorf("not sent: %w", err))
		}
		return nil, notify.E(op, notify.Ambiguous, fmt.Errorf("waiting for the answer: %w", err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
		return nil, statusError(op, resp)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, notify.E(op, notify.Ambiguous, fmt.Errorf("reading the answer: %w", err))
	}
	return b, nil
}

// statusError classifies an answer other than HTTP 200. Tencent answers
// 200 to everything, so another status comes from something in front of it.
func statusError(op string, resp *http.Response) *notify.Error {
	s := resp.StatusCode
	var k notify.Kind
	switch {
	case s == http.StatusRequestTimeout:
		k = notify.Transient
	case s == http.StatusTooManyRequests:
		k = notify.Throttled
	case s == http.StatusRequestEntityTooLarge:
		k = notify.Rejected
	case s == http.StatusGatewayTimeout:
		k = notify.Ambiguous
	case s >= 500:
		k = notify.Transient
	default:
		k = notify.Account
	}
	e := notify.E(op, k, fmt.Errorf("http status %d", s))
	if k == notify.Throttled {
		if n, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && n > 0 {
			e.RetryAfter = time.Duration(n) * time.Second
		}
	}
	return e
}

// e164 returns numbers as SendSms takes them, or an Invalid error when
// they do not fit one request.
func e164(numbers []string) ([]string, error) {
	invalid := func(reason, format string, args ...any) error {
		return &notify.Error{Op: opSend, Kind: notify.Invalid, Field: "PhoneNumbers", Reason: reason, Err: fmt.Errorf(format, args...)}
	}
	switch {
	case len(numbers) == 0:
		return nil, invalid(notify.ReasonMissingField, "no numbers")
	case len(numbers) > MaxPhoneNumbers:
		return nil, invalid(notify.ReasonTooMany, "has %d numbers; Tencent takes at most %d in one request", len(numbers), MaxPhoneNumbers)
	}
	out := make([]string, len(numbers))
	mainland := 0
	for i, n := range numbers {
		switch {
		case strings.HasPrefix(n, "+86"):
			mainland++
		case !strings.HasPrefix(n, "+"):
			// Tencent reads a number without a country code as mainland.
			mainland++
			if notify.IsMainland(n) {
				n = "+86" + n
			}
		}
		out[i] = n
	}
	if mainland != 0 && mainland != len(out) {
		return nil, invalid(notify.ReasonMixedRegions, "mixes %d mainland and %d international numbers; Tencent takes one kind in one request",
			mainland, len(out)-mainland)
	}
	return out, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// regionName reports whether s looks like a region: lower-case letters,
// digits and hyphens.
func regionName(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return len(s) <= 32
}
