// Package webhook sends signed events to URLs the gateway's tenants
// configure, as the Standard Webhooks specification describes them
// (https://www.standardwebhooks.com): each POST carries webhook-id,
// webhook-timestamp and webhook-signature headers, the signature being
// "v1," and the base64 HMAC-SHA256, under the endpoint's secret, of
// "<id>.<timestamp>.<body>". Any of that specification's libraries
// verifies them; so does Verify.
//
// A tenant types the URL, so the sender treats it as hostile: https only,
// no redirect followed, a bounded time and body, and no loopback, private
// or metadata address, checked at connect time. docs/webhooks.md has the
// wire format and the rules.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Limits of a delivery.
const (
	MaxBody = 64 << 10        // the largest event body sent
	Timeout = 5 * time.Second // one delivery, connect to answer
	// SecretPrefix begins a secret written as the specification writes
	// them: "whsec_" and the key in base64.
	SecretPrefix = "whsec_"
)

// Secret is an endpoint's signing key.
type Secret []byte

// ParseSecret reads a secret as "whsec_<base64>" (the specification's
// form), or any other string of at least 24 bytes taken as the key itself.
func ParseSecret(s string) (Secret, error) {
	if b64, ok := strings.CutPrefix(s, SecretPrefix); ok {
		key, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(key) < 24 {
			return nil, errors.New("webhook: secret: after whsec_, at least 24 bytes in base64")
		}
		return key, nil
	}
	if len(s) < 24 {
		return nil, errors.New("webhook: secret: at least 24 characters, or whsec_ and base64")
	}
	return Secret(s), nil
}

// Sign returns the webhook-signature header of body sent as event id at
// ts: one "v1,<base64>" signature per secret, separated by spaces, so that
// a receiver holding either of two secrets (during a rotation) accepts it.
func Sign(secrets []Secret, id string, ts time.Time, body []byte) string {
	sigs := make([]string, len(secrets))
	for i, s := range secrets {
		sigs[i] = "v1," + base64.StdEncoding.EncodeToString(mac(s, id, ts.Unix(), body))
	}
	return strings.Join(sigs, " ")
}

func mac(secret Secret, id string, ts int64, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(id + "." + strconv.FormatInt(ts, 10) + "."))
	m.Write(body)
	return m.Sum(nil)
}

// Tolerance is how far a timestamp may be from the receiver's clock.
const Tolerance = 5 * time.Minute

// Verify checks the headers of a received event against body, as a
// receiver does: one of the signatures must be that of one of secrets, and
// the timestamp within Tolerance of now.
func Verify(secrets []Secret, h http.Header, body []byte, now time.Time) error {
	id, tsText, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || tsText == "" || sigs == "" {
		return errors.New("webhook: missing webhook-id, webhook-timestamp or webhook-signature")
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return errors.New("webhook: webhook-timestamp is not a number of seconds")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > Tolerance || d < -Tolerance {
		return errors.New("webhook: webhook-timestamp is too far from now")
	}
	for _, sig := range strings.Fields(sigs) {
		b64, ok := strings.CutPrefix(sig, "v1,")
		if !ok {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			continue
		}
		for _, s := range secrets {
			if hmac.Equal(got, mac(s, id, ts, body)) {
				return nil
			}
		}
	}
	return errors.New("webhook: no signature matches")
}

// Policy is what the operator allows of tenants' URLs.
type Policy struct {
	// AllowPrivate lets deliveries reach loopback, private, link-local and
	// shared addresses: for an operator whose receivers are inside.
	AllowPrivate bool
	// AllowLoopbackHTTP lets plain http reach a loopback address: for the
	// local server.
	AllowLoopbackHTTP bool
}

// CheckURL checks a tenant's URL before anything is sent to it: https (or
// http to a loopback host under AllowLoopbackHTTP), a host, no user
// information. Where its name leads is checked at connect time.
func (p Policy) CheckURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" || !u.IsAbs() {
		return nil, errors.New("webhook: url: not an absolute URL")
	}
	if u.User != nil {
		return nil, errors.New("webhook: url: user information is not allowed")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !p.AllowLoopbackHTTP || !loopbackHost(u.Hostname()) {
			return nil, errors.New("webhook: url: must be https")
		}
	default:
		return nil, errors.New("webhook: url: must be https")
	}
	return u, nil
}

func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// ErrForbiddenAddress is the error of a delivery whose URL leads to an
// address the policy does not allow.
var ErrForbiddenAddress = errors.New("webhook: the URL leads to an address deliveries may not reach")

// cgnat is the shared address space of RFC 6598; Aliyun's metadata
// service, 100.100.100.200, is in it.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// nat64 is the well-known NAT64 prefix (RFC 6052): behind a NAT64
// gateway, as in an IPv6-only subnet, 64:ff9b::a.b.c.d reaches a.b.c.d.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// internal are the other ranges no delivery goes to unless private ones
// may: "this network" (0.0.0.0/8, RFC 791), benchmarking's 198.18.0.0/15
// (RFC 2544), which some clouds route inside, and the NAT64 prefix for
// local use (RFC 8215), whose mapping of IPv4 is the network's own.
var internal = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/8"), netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("64:ff9b:1::/48")}

// allowed reports whether a delivery may connect to a: an IPv4 address
// written in IPv6 (mapped, or NAT64's) is judged as the IPv4 one.
func (p Policy) allowed(a netip.Addr) bool {
	a = a.Unmap()
	if nat64.Contains(a) {
		b := a.As16()
		a = netip.AddrFrom4([4]byte(b[12:]))
	}
	if a.IsUnspecified() || a.IsMulticast() || a.IsInterfaceLocalMulticast() {
		return false
	}
	if p.AllowPrivate {
		return true
	}
	if p.AllowLoopbackHTTP && a.IsLoopback() {
		return true
	}
	for _, r := range internal {
		if r.Contains(a) {
			return false
		}
	}
	return !(a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || cgnat.Contains(a))
}

// Client returns the HTTP client of deliveries under p: its dialer checks
// each address it is about to connect to, after DNS, and it follows no
// redirect.
func (p Policy) Client() *http.Client {
	d := &net.Dialer{Timeout: Timeout, Control: func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil || !p.allowed(ap.Addr()) {
			return ErrForbiddenAddress
		}
		return nil
	}}
	t := &http.Transport{
		Proxy:                 nil, // a proxy would connect for us, unchecked
		DialContext:           d.DialContext,
		TLSHandshakeTimeout:   Timeout,
		ResponseHeaderTimeout: Timeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       30 * time.Second,
	}
	return &http.Client{Transport: t, Timeout: Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Event is one event to deliver: its stable id (receivers de-duplicate by
// it) and its JSON body.
type Event struct {
	ID   string
	Body []byte
}

// Endpoint is where a group's events go, and the secrets they are signed
// under (two during a rotation).
type Endpoint struct {
	URL     string
	Secrets []Secret
}

// Result is what became of one delivery. Status is the receiver's HTTP
// status, 0 when none came; Err says why it failed. Retry says whether a
// later attempt may succeed: false for a URL the policy refuses.
type Result struct {
	Status int
	Err    error
	Retry  bool
}

// OK reports whether the receiver took the event (a 2xx).
func (r Result) OK() bool { return r.Err == nil }

// Sender delivers events with a client of its policy's.
type Sender struct {
	policy Policy
	client *http.Client
	now    func() time.Time
}

// NewSender returns a Sender under p.
func NewSender(p Policy) *Sender {
	return &Sender{policy: p, client: p.Client(), now: time.Now}
}

// Deliver POSTs ev to e, signed, and says what became of it: a 2xx is
// delivered; anything else (another status, a redirect, no answer in
// Timeout, an address the policy refuses) is not.
func (s *Sender) Deliver(ctx context.Context, e Endpoint, ev Event) Result {
	if len(ev.Body) > MaxBody {
		return Result{Err: fmt.Errorf("webhook: event %s: body of %d bytes is over %d", ev.ID, len(ev.Body), MaxBody)}
	}
	u, err := s.policy.CheckURL(e.URL)
	if err != nil {
		return Result{Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(ev.Body))
	if err != nil {
		return Result{Err: fmt.Errorf("webhook: event %s: %w", ev.ID, err)}
	}
	// The timestamp is the attempt's, not the event's: receivers refuse
	// one more than five minutes off their clock, and a retry comes
	// hours later.
	ts := s.now()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "notify-webhooks/1")
	req.Header.Set("webhook-id", ev.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("webhook-signature", Sign(e.Secrets, ev.ID, ts, ev.Body))
	res, err := s.client.Do(req)
	if err != nil {
		if errors.Is(err, ErrForbiddenAddress) {
			return Result{Err: ErrForbiddenAddress}
		}
		// The URL is the tenant's own, but its query may hold a token of
		// theirs: the error names the host alone.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return Result{Err: fmt.Errorf("webhook: event %s to %s: %w", ev.ID, u.Host, err), Retry: true}
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4<<10))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return Result{Status: res.StatusCode, Retry: true,
			Err: fmt.Errorf("webhook: event %s to %s: answered %d", ev.ID, u.Host, res.StatusCode)}
	}
	return Result{Status: res.StatusCode}
}
