// Package aliyun is what the Aliyun providers (aliyunsms, aliyunvoice)
// share: checking their configuration and turning it into an SDK config,
// running one SDK call under a context, and classifying what came back
// (the Code -> notify.Kind table of docs/providers.md).
package aliyun

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/endpoint"
)

// DefaultTimeout bounds one request when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// Config is the configuration of both providers (aliyunsms.Config and
// aliyunvoice.Config are this type).
type Config struct {
	AccessKeyID     string        // required, unless Keys is set
	AccessKeySecret notify.Secret // required, unless Keys is set
	SecurityToken   notify.Secret // set with STS credentials
	// Keys, when set, are the credentials in force, which may change while
	// the Client lives (an FC function role's, rotated): they replace the
	// three fields above. A client made under credentials that Keys no
	// longer hold is not used again.
	Keys *notify.Keys
	// Endpoint is a host, host:port (https) or an http(s) URL without a
	// path; "" is the product's endpoint over https.
	Endpoint string
	// Timeout bounds one request; 0 is DefaultTimeout.
	Timeout time.Duration
}

// Settings are a checked Config in the SDKs' terms.
type Settings struct {
	Keys     *notify.Keys // the credentials in force: Config.Keys, or Config's own
	Host     string       // host or host:port
	Protocol string       // "https" or "http"
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
	s := Settings{Keys: c.Keys, Host: defaultHost, Protocol: "https"}
	if s.Keys == nil {
		s.Keys = notify.NewKeys(notify.AccessKeys{AccessKeyID: c.AccessKeyID, AccessKeySecret: c.AccessKeySecret,
			SecurityToken: c.SecurityToken})
	}
	var errs []error
	keys := s.Keys.Current()
	if strings.TrimSpace(keys.AccessKeyID) == "" {
		errs = append(errs, errors.New("AccessKeyID is required"))
	}
	if strings.TrimSpace(keys.AccessKeySecret.Reveal()) == "" {
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
// URL without a path, as endpoint.Parse does.
func parseEndpoint(ep string) (host, protocol string, err error) {
	u, err := endpoint.Parse(ep)
	if err != nil {
		return "", "", err
	}
	protocol, host, _ = strings.Cut(u, "://")
	return host, protocol, nil
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

// Pool hands out SDK clients, one to each call in progress (Do takes one
// and gives it back), made on first need from the darabonba-openapi Config
// (v1 or v2) for the settings:
//
//	pool := aliyun.NewPool(s, dysms.NewClient)
//	aliyun.Do(ctx, op, pool, func(api *dysms.Client) (aliyun.Answer, error) { … })
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
//
// Each client is made for the credentials in force (Settings.Keys) and
// signs with them alone, so a request never mixes an old key with a new
// token. get says which credentials a client was made for, and put keeps
// it idle only while those are still in force.
//
// Each client belongs to one of lanes lanes, and a call takes a client of
// the lane with the fewest calls in progress: see lanes.
type Pool[C any] struct {
	keys *notify.Keys
	make func(creds *notify.AccessKeys, lane int) (C, error)

	mu   sync.Mutex
	idle []pooled[C]
	busy [lanes]int // calls in progress on each lane
}

type pooled[C any] struct {
	c     C
	creds *notify.AccessKeys
	lane  int
}

// maxIdle is how many idle clients a Pool keeps: as many as calls were in
// progress at once, up to this.
const maxIdle = 64

// lanes is how many HTTP clients of tea's the calls of a Pool spread over.
// tea (v1.1.19) keeps one http.Client for each set of settings a request
// names (timeouts, proxies, host), with a transport of net/http's
// defaults, which it has no setting for: it keeps 2 idle connections to a
// host. A third call at once opened a connection of its own, a TCP and TLS
// handshake with Aliyun, and closed it after, leaving a socket in
// TIME_WAIT: 2,000 sends 32 at a time opened about 1,400. A lane's clients
// name a ConnectTimeout of their own (the settings' plus the lane, in
// seconds to tea's dialer, where ReadTimeout, the whole request's bound,
// ends the call long before: see sdkConfigOf), so each lane has an
// http.Client of its own, and a call takes the lane with the fewest calls
// in progress: up to 2*lanes calls at once keep their connections. One
// call at a time uses lane 0 alone (docs/providers.md, "Connections").
const lanes = 16

// NewPool returns a Pool of clients newClient makes for s.
func NewPool[T any, P sdkConfig[T], C any](s Settings, newClient func(P) (C, error)) *Pool[C] {
	return &Pool[C]{keys: s.Keys,
		make: func(creds *notify.AccessKeys, lane int) (C, error) {
			return newClient(sdkConfigOf[T, P](s, creds, lane))
		}}
}

// get returns a client no call in progress holds, made for the
// credentials in force, of the lane with the fewest calls in progress,
// and those credentials and that lane, for put. Idle clients made for
// other credentials are dropped.
func (p *Pool[C]) get() (C, *notify.AccessKeys, int, error) {
	creds := p.keys.Current()
	p.mu.Lock()
	lane := 0
	for i, n := range p.busy {
		if n < p.busy[lane] {
			lane = i
		}
	}
	p.busy[lane]++
	for i := len(p.idle) - 1; i >= 0; i-- {
		c := p.idle[i]
		if c.creds != creds {
			p.idle = slices.Delete(p.idle, i, i+1)
			continue
		}
		if c.lane == lane {
			p.idle = slices.Delete(p.idle, i, i+1)
			p.mu.Unlock()
			return c.c, creds, lane, nil
		}
	}
	p.mu.Unlock()
	c, err := p.make(creds, lane)
	return c, creds, lane, err
}

// put gives back a client of lane whose call is over, made for creds: it
// is kept idle while they are the credentials in force, else dropped.
// Every get is followed by a put, its client made or not.
func (p *Pool[C]) put(c C, creds *notify.AccessKeys, lane int, made bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.busy[lane]--
	if made && creds == p.keys.Current() && len(p.idle) < maxIdle {
		p.idle = append(p.idle, pooled[C]{c, creds, lane})
	}
}

// sdkConfigOf returns the darabonba-openapi Config (v1 or v2) for s, signed
// with creds.
//
// The timeouts are fixed per client on purpose: tea keeps one http.Client
// per distinct set of timeouts, proxies and host, for the life of the
// process, so timeouts that varied per call would leak clients. Note that
// tea applies ReadTimeout (milliseconds) as http.Client.Timeout, which bounds
// the whole request, dial included, while it reads ConnectTimeout as seconds
// when it dials; ReadTimeout is thus the bound that counts.
func sdkConfigOf[T any, P sdkConfig[T]](s Settings, creds *notify.AccessKeys, lane int) P {
	c := P(new(T))
	c.SetAccessKeyId(creds.AccessKeyID)
	c.SetAccessKeySecret(creds.AccessKeySecret.Reveal())
	if t := creds.SecurityToken.Reveal(); t != "" {
		c.SetSecurityToken(t)
	}
	c.SetEndpoint(s.Host)
	c.SetProtocol(s.Protocol)
	if s.NoProxy != "" {
		c.SetNoProxy(s.NoProxy)
	}
	c.SetReadTimeout(s.TimeoutMillis)
	c.SetConnectTimeout(s.TimeoutMillis + lane) // the lane's own http.Client in tea: see lanes
	return c
}
