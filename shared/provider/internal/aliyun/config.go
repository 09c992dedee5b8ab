// Package aliyun is what the Aliyun providers (aliyunsms, aliyunvoice)
// share: checking their configuration and turning it into an SDK config,
// running one SDK call under a context, and classifying what came back
// (the Code -> notify.Kind table of docs/providers.md).
package aliyun

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// DefaultTimeout bounds one request when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// Config is the configuration of both providers (aliyunsms.Config and
// aliyunvoice.Config are this type).
type Config struct {
	AccessKeyID     string        // required
	AccessKeySecret notify.Secret // required
	SecurityToken   notify.Secret // set with STS credentials
	// Endpoint is a host, host:port (https) or an http(s) URL without a
	// path; "" is the product's endpoint over https.
	Endpoint string
	// Timeout bounds one request; 0 is DefaultTimeout.
	Timeout time.Duration
}

// Settings are a checked Config in the SDKs' terms.
type Settings struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
	Host            string // host or host:port
	Protocol        string // "https" or "http"
	// NoProxy is Host when it is a loopback address: tea honours
	// HTTP(S)_PROXY, and a fake on 127.0.0.1 must not go through a proxy.
	NoProxy string
	// TimeoutMillis is the SDK's ReadTimeout and ConnectTimeout.
	TimeoutMillis int
}

// Check checks c and returns its settings; defaultHost is the product's
// endpoint, used over https when c.Endpoint is empty. The error lists every
// problem, and names pkg.
func Check(pkg, defaultHost string, c Config) (Settings, error) {
	s := Settings{
		AccessKeyID:     c.AccessKeyID,
		AccessKeySecret: c.AccessKeySecret.Reveal(),
		SecurityToken:   c.SecurityToken.Reveal(),
		Host:            defaultHost,
		Protocol:        "https",
	}
	var errs []error
	if strings.TrimSpace(c.AccessKeyID) == "" {
		errs = append(errs, errors.New("AccessKeyID is required"))
	}
	if strings.TrimSpace(s.AccessKeySecret) == "" {
		errs = append(errs, errors.New("AccessKeySecret is required"))
	}
	if c.Endpoint != "" {
		var err error
		if s.Host, s.Protocol, err = parseEndpoint(c.Endpoint); err != nil {
			errs = append(errs, err)
		}
	}
	switch t := c.Timeout; {
	case t == 0:
		s.TimeoutMillis = int(DefaultTimeout / time.Millisecond)
	case t < time.Millisecond:
		errs = append(errs, fmt.Errorf("Timeout %v is not a positive number of milliseconds", t))
	default:
		s.TimeoutMillis = int(t / time.Millisecond)
	}
	if isLoopback(s.Host) {
		s.NoProxy = s.Host
	}
	if err := errors.Join(errs...); err != nil {
		return Settings{}, fmt.Errorf("%s: config: %w", pkg, err)
	}
	return s, nil
}

// parseEndpoint accepts "host", "host:port" (over https) or an http or https
// URL without a path.
func parseEndpoint(ep string) (host, protocol string, err error) {
	if !strings.Contains(ep, "://") {
		ep = "https://" + ep
	}
	u, err := url.Parse(ep)
	if err != nil {
		return "", "", errors.New("Endpoint is not a host, host:port or URL")
	}
	shown := u.Redacted()
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", "", fmt.Errorf("Endpoint %q: the scheme must be http or https", shown)
	case u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
		return "", "", fmt.Errorf("Endpoint %q must be a host, host:port or a URL without a path", shown)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", "", fmt.Errorf("Endpoint %q has a bad port", shown)
		}
	}
	return u.Host, u.Scheme, nil
}

func isLoopback(host string) bool {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	return ip != nil && ip.IsLoopback()
}

// sdkConfig is what darabonba-openapi's Config types have in common, v1
// (dyvmsapi) and v2 (dysmsapi) alike.
type sdkConfig[T any] interface {
	*T
	SetAccessKeyId(string) *T
	SetAccessKeySecret(string) *T
	SetSecurityToken(string) *T
	SetEndpoint(string) *T
	SetProtocol(string) *T
	SetNoProxy(string) *T
	SetReadTimeout(int) *T
	SetConnectTimeout(int) *T
}

// Pool hands out SDK clients, one to each call in progress, made on first
// need from the darabonba-openapi Config (v1 or v2) for the settings:
//
//	pool := aliyun.NewPool(s, dysms.NewClient)
//
// A darabonba-openapi Client is not safe for concurrent use: every
// RPC-style request reads and clears its Headers field (GetRpcHeaders), a
// data race the race detector reports under concurrent sends. Clients are
// cheap to make (no network: tea shares its HTTP clients), so each call
// takes one of its own. Nothing is made at a function's cold start.
//
// Idle clients are kept on a free list, not in a sync.Pool: a sync.Pool is
// emptied at every garbage collection, and remaking a client (its endpoint
// tables, its credential provider) after each one cost a busy function
// about a third of the provider call.
type Pool[C any] struct {
	mu   sync.Mutex
	idle []C
	make func() (C, error)
}

// maxIdle is how many idle clients a Pool keeps: as many as calls were in
// progress at once, up to this.
const maxIdle = 64

// NewPool returns a Pool of clients newClient makes for s.
func NewPool[T any, P sdkConfig[T], C any](s Settings, newClient func(P) (C, error)) *Pool[C] {
	return &Pool[C]{make: func() (C, error) { return newClient(sdkConfigOf[T, P](s)) }}
}

// Get returns a client no call in progress holds.
func (p *Pool[C]) Get() (C, error) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		c := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return c, nil
	}
	p.mu.Unlock()
	return p.make()
}

// Put gives back a client whose call is over.
func (p *Pool[C]) Put(c C) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.idle) < maxIdle {
		p.idle = append(p.idle, c)
	}
}

// sdkConfigOf returns the darabonba-openapi Config (v1 or v2) for s.
//
// The timeouts are fixed per client on purpose: tea keeps one http.Client
// per distinct set of timeouts, proxies and host, for the life of the
// process, so timeouts that varied per call would leak clients. Note that
// tea applies ReadTimeout (milliseconds) as http.Client.Timeout, which bounds
// the whole request, dial included, while it reads ConnectTimeout as seconds
// when it dials; ReadTimeout is thus the bound that counts.
func sdkConfigOf[T any, P sdkConfig[T]](s Settings) P {
	c := P(new(T))
	c.SetAccessKeyId(s.AccessKeyID)
	c.SetAccessKeySecret(s.AccessKeySecret)
	if s.SecurityToken != "" {
		c.SetSecurityToken(s.SecurityToken)
	}
	c.SetEndpoint(s.Host)
	c.SetProtocol(s.Protocol)
	if s.NoProxy != "" {
		c.SetNoProxy(s.NoProxy)
	}
	c.SetReadTimeout(s.TimeoutMillis)
	c.SetConnectTimeout(s.TimeoutMillis)
	return c
}
