package aliyuntest

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/fake/aliyun/acs"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/internal/aliyun"
)

// Fake is what Run needs of a fake product.
type Fake interface {
	http.Handler
	Fail(acs.Fault)
	Requests() int
	Rotate(acs.Credentials)
}

// Provider is what Run needs of a provider and its fake.
type Provider struct {
	Op string // the Op of the provider's errors
	// NewFake returns a fake accepting the keys c, and a function counting
	// the messages it accepted.
	NewFake func(c acs.Credentials) (Fake, func() int)
	// Client makes one client of c, and returns a function sending it one
	// valid message each call.
	Client func(t testing.TB, c aliyun.Config) func(context.Context) error
}

// Config serves the fake h for the test and returns the configuration of a
// client of it with keys.
func Config(t testing.TB, keys acs.Credentials, h http.Handler) aliyun.Config {
	return aliyun.Config{AccessKeyID: keys.AccessKeyID, AccessKeySecret: notify.Secret(keys.AccessKeySecret),
		SecurityToken: notify.Secret(keys.SecurityToken), Endpoint: Serve(t, h)}
}

// Setup serves a fake made by newFake with the test keys and returns it
// with a client of it made by newClient:
//
//	fake, c := aliyuntest.Setup(t, dysmsapi.New, aliyunsms.New)
func Setup[F http.Handler, C any](t testing.TB, newFake func(acs.Credentials) F, newClient func(aliyun.Config) (C, error)) (F, C) {
	t.Helper()
	fake := newFake(Keys())
	c, err := newClient(Config(t, Keys(), fake))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return fake, c
}

// Client returns a Provider.Client that makes a client with newClient and
// sends one message with send each call.
func Client[C any](newClient func(aliyun.Config) (C, error), send func(context.Context, C) error) func(testing.TB, aliyun.Config) func(context.Context) error {
	return func(t testing.TB, c aliyun.Config) func(context.Context) error {
		cl, err := newClient(c)
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		return func(ctx context.Context) error { return send(ctx, cl) }
	}
}

// Run runs the tests every Aliyun provider must pass against its fake:
// each fault, the credentials, the context's deadline, the client's
// timeout, a refused connection, a context done before the send, and a
// proxy in the environment.
func Run(t *testing.T, p Provider) {
	start := func(t *testing.T, keys acs.Credentials) (Fake, func() int, aliyun.Config) {
		fake, accepted := p.NewFake(keys)
		return fake, accepted, Config(t, keys, fake)
	}
	ctx := context.Background()

	t.Run("faults", func(t *testing.T) {
		for _, tt := range Faults() {
			t.Run(tt.Fault.String(), func(t *testing.T) {
				fake, accepted, c := start(t, Keys())
				fake.Fail(tt.Fault.Times(1))
				Want(t, p.send(t, ctx, c), p.Op, tt.Kind, tt.Code, tt.Message)
				want := 0
				if tt.Accepted {
					want = 1
				}
				if n := accepted(); n != want {
					t.Errorf("the fake accepted %d messages, want %d", n, want)
				}
				if n := fake.Requests(); n != 1 {
					t.Errorf("the fake got %d requests, want 1 (the SDK must not retry)", n)
				}
				if err := p.send(t, ctx, c); err != nil {
					t.Errorf("the send after the fault: %v", err)
				}
			})
		}
	})

	t.Run("credentials", func(t *testing.T) {
		for _, tt := range Credentials() {
			t.Run(tt.Name, func(t *testing.T) {
				_, accepted, c := start(t, tt.Fake)
				tt.Client.Endpoint = c.Endpoint
				err := p.send(t, ctx, tt.Client)
				if tt.Code == "" {
					if err != nil || accepted() != 1 {
						t.Fatalf("send: %v, %d accepted; want success", err, accepted())
					}
					return
				}
				Want(t, err, p.Op, tt.Kind, tt.Code, tt.Message)
			})
		}
	})

	t.Run("rotated credentials", func(t *testing.T) {
		// An FC function role's STS credentials, replaced while a client
		// lives: the client signs with those in force, and never again
		// with the old ones, which Aliyun refuses once they expire.
		old := acs.Credentials{AccessKeyID: "STS.old", AccessKeySecret: Secret, SecurityToken: "token-old"}
		next := acs.Credentials{AccessKeyID: "STS.new", AccessKeySecret: Secret + "-2", SecurityToken: "token-new"}
		fake, accepted := p.NewFake(old)
		keys := notify.NewKeys(notify.AccessKeys{AccessKeyID: old.AccessKeyID, AccessKeySecret: notify.Secret(old.AccessKeySecret),
			SecurityToken: notify.Secret(old.SecurityToken)})
		c := aliyun.Config{Keys: keys, Endpoint: Serve(t, fake)}
		send := p.Client(t, c)
		for i := range 3 { // the pool keeps a client made for the old keys
			if err := send(ctx); err != nil {
				t.Fatalf("send %d with the first keys: %v", i, err)
			}
		}
		fake.Rotate(next)
		if err := send(ctx); notify.AsError(err).Kind != notify.Account {
			t.Fatalf("send with expired keys: %v; want an Account error", err)
		}
		keys.Set(notify.AccessKeys{AccessKeyID: next.AccessKeyID, AccessKeySecret: notify.Secret(next.AccessKeySecret),
			SecurityToken: notify.Secret(next.SecurityToken)})
		for i := range 3 {
			if err := send(ctx); err != nil {
				t.Fatalf("send %d after the keys were replaced: %v", i, err)
			}
		}
		if n := accepted(); n != 6 {
			t.Errorf("the fake accepted %d messages, want 6", n)
		}
	})

	t.Run("deadline", func(t *testing.T) {
		fake, _, c := start(t, Keys())
		fake.Fail(acs.Slow(time.Minute))
		ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		err := p.send(t, ctx, c)
		Want(t, err, p.Op, notify.Ambiguous, "", "")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %v does not wrap context.DeadlineExceeded", err)
		}
	})

	t.Run("timeout", func(t *testing.T) {
		fake, _, c := start(t, Keys())
		fake.Fail(acs.Slow(time.Minute))
		c.Timeout = 100 * time.Millisecond
		Want(t, p.send(t, ctx, c), p.Op, notify.Ambiguous, "", "")
	})

	t.Run("connection refused", func(t *testing.T) {
		c := aliyun.Config{AccessKeyID: Key, AccessKeySecret: Secret, Endpoint: "http://" + ClosedAddr(t)}
		Want(t, p.send(t, ctx, c), p.Op, notify.Transient, "", "")
	})

	t.Run("https to a plain-HTTP port", func(t *testing.T) {
		// An endpoint given as host:port is https; the fake speaks HTTP.
		fake, accepted, c := start(t, Keys())
		c.Endpoint = strings.TrimPrefix(c.Endpoint, "http://")
		Want(t, p.send(t, ctx, c), p.Op, notify.Transient, "", "")
		if n, r := accepted(), fake.Requests(); n != 0 || r != 0 {
			t.Errorf("the fake accepted %d messages of %d requests; want none", n, r)
		}
	})

	t.Run("an untrusted certificate", func(t *testing.T) {
		fake, accepted := p.NewFake(Keys())
		srv := httptest.NewTLSServer(fake)
		t.Cleanup(srv.Close)
		c := aliyun.Config{AccessKeyID: Key, AccessKeySecret: Secret, Endpoint: srv.URL}
		Want(t, p.send(t, ctx, c), p.Op, notify.Transient, "", "")
		if n := accepted(); n != 0 {
			t.Errorf("the fake accepted %d messages; want none", n)
		}
	})

	t.Run("context done", func(t *testing.T) {
		fake, _, c := start(t, Keys())
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		Want(t, p.send(t, ctx, c), p.Op, notify.Transient, "", "")
		if n := fake.Requests(); n != 0 {
			t.Errorf("the fake got %d requests, want 0", n)
		}
	})

	// Sends at once keep their connections to the service, rather than
	// each one past tea's two idle connections opening one (a TCP and TLS
	// handshake with Aliyun) and closing it after: see aliyun.Pool.
	t.Run("connections kept", func(t *testing.T) {
		fake, _ := p.NewFake(Keys())
		var opened atomic.Int64
		srv := httptest.NewUnstartedServer(fake)
		srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				opened.Add(1)
			}
		}
		srv.Start()
		t.Cleanup(func() {
			srv.CloseClientConnections()
			srv.Close()
		})
		c := Config(t, Keys(), fake)
		c.Endpoint = srv.URL
		send := p.Client(t, c)
		const parallel, rounds = 32, 5
		for range rounds {
			var wg sync.WaitGroup
			for range parallel {
				wg.Go(func() {
					if err := send(ctx); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
		}
		// The first round opens up to one connection a send; the others
		// reuse them.
		t.Logf("%d sends, %d at once, opened %d connections", rounds*parallel, parallel, opened.Load())
		if n := opened.Load(); n > parallel+parallel/2 {
			t.Errorf("%d sends, %d at once, opened %d connections; want at most %d", rounds*parallel, parallel, n, parallel+parallel/2)
		}
	})

	// tea honours proxy variables; a loopback endpoint must bypass them.
	t.Run("proxy", func(t *testing.T) {
		t.Setenv("HTTP_PROXY", "http://127.0.0.1:9")
		t.Setenv("http_proxy", "http://127.0.0.1:9")
		_, _, c := start(t, Keys())
		if err := p.send(t, ctx, c); err != nil {
			t.Fatalf("send with a proxy in the environment: %v", err)
		}
	})
}

// send makes a client of c and sends it one valid message.
func (p Provider) send(t testing.TB, ctx context.Context, c aliyun.Config) error {
	return p.Client(t, c)(ctx)
}
