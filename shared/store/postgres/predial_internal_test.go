package postgres

import (
	"context"
	"errors"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/seed4ddb146e/notify/shared/store/postgres/pgtest"
)

// countingProxy serves the PostgreSQL server at dbURL on a unix socket of
// its own, and tells each connection it accepts. The first drop
// connections it closes at once, as a server that went away would.
type countingProxy struct {
	url      string
	accepted chan *proxiedConn
	count    atomic.Int32
}

// proxiedConn is a connection the proxy accepted; gone is closed once the
// client has closed it.
type proxiedConn struct{ gone chan struct{} }

func newCountingProxy(t *testing.T, dbURL string, drop int) *countingProxy {
	t.Helper()
	p := &countingProxy{accepted: make(chan *proxiedConn, 16)}
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	p.url = pgtest.Proxy(t, proxySocket(t), dbURL, func(c, s net.Conn) {
		pc := &proxiedConn{gone: make(chan struct{})}
		n := p.count.Add(1)
		select {
		case p.accepted <- pc:
		default:
		}
		if int(n) <= drop {
			c.Close()
			s.Close()
			close(pc.gone)
			return
		}
		wg.Go(func() { io.Copy(c, s); c.Close() })
		wg.Go(func() {
			defer close(pc.gone)
			io.Copy(s, c) // until the client closes
			s.Close()
		})
	})
	return p
}

// next returns the next connection the proxy accepts, failing t after 10
// s without one.
func (p *countingProxy) next(t *testing.T) *proxiedConn {
	t.Helper()
	select {
	case c := <-p.accepted:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no connection within 10 s")
		return nil
	}
}

// proxiedStore returns a Store of a new database, through a counting
// proxy (drop as newCountingProxy's; query is added to the URL), and the
// proxy. The store is closed when t ends.
func proxiedStore(t *testing.T, drop int, query string) (*countingProxy, *Store) {
	t.Helper()
	proxy := newCountingProxy(t, testPG.Database(t), drop)
	s, err := New(proxy.url+query, Options{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return proxy, s
}

// TestPredialIsThePoolsFirstConnection checks that StartOpen dials before
// any call, and that the open's connection is that one: the server sees
// one connection, and the store works on it.
func TestPredialIsThePoolsFirstConnection(t *testing.T) {
	proxy, s := proxiedStore(t, 0, "")
	if n := proxy.count.Load(); n != 0 {
		t.Fatalf("New made %d connections; want none before StartOpen", n)
	}
	s.StartOpen()
	s.StartOpen() // a second start dials nothing more
	proxy.next(t)
	if err := s.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := proxy.count.Load(); n != 1 {
		t.Errorf("the server saw %d connections; want 1, the one StartOpen dialed", n)
	}
}

// TestPredialExpires checks that a connection dialed ahead and never taken
// is closed after predialAge, and that the open then dials its own.
func TestPredialExpires(t *testing.T) {
	proxy, s := proxiedStore(t, 0, "")
	began := time.Now()
	s.StartOpen()
	first := proxy.next(t)
	select {
	case <-first.gone:
		if took := time.Since(began); took < predialAge {
			t.Errorf("closed after %v; want %v", took, predialAge)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the connection dialed ahead is still open 10 s later")
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := proxy.count.Load(); n != 2 {
		t.Errorf("the server saw %d connections; want 2", n)
	}
}

// TestPredialClosedByServer checks that a connection dialed ahead which
// the server has closed is not used: the open dials its own and works.
func TestPredialClosedByServer(t *testing.T) {
	proxy, s := proxiedStore(t, 1, "")
	s.StartOpen()
	<-proxy.next(t).gone
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("ping after the server closed the connection dialed ahead: %v", err)
	}
	if n := proxy.count.Load(); n != 2 {
		t.Errorf("the server saw %d connections; want 2", n)
	}
}

// TestPredialClosedWithStore checks that Close closes a connection dialed
// ahead and not taken, and that StartOpen after Close dials nothing.
func TestPredialClosedWithStore(t *testing.T) {
	proxy, s := proxiedStore(t, 0, "")
	s.StartOpen()
	c := proxy.next(t)
	s.Close()
	select {
	case <-c.gone:
	case <-time.After(predialAge / 2):
		t.Fatal("Close left the connection dialed ahead open")
	}
	s.StartOpen()
	time.Sleep(50 * time.Millisecond)
	if n := proxy.count.Load(); n != 1 {
		t.Errorf("the server saw %d connections; want 1", n)
	}
}

// fakeNet is a DialFunc and a LookupFunc that count their calls and dial
// pipes.
type fakeNet struct {
	mu      sync.Mutex
	lookups []string
	dials   []string
	ips     []string
	hang    string     // an address whose dials wait for release or their context
	release chan error // what a dial to hang returns once released
	fail    string     // an address whose first dial fails at once
}

func (f *fakeNet) lookup(_ context.Context, host string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups = append(f.lookups, host)
	if host == "nowhere.invalid" {
		return nil, errors.New("no such host")
	}
	return f.ips, nil
}

func (f *fakeNet) dial(ctx context.Context, network, address string) (net.Conn, error) {
	f.mu.Lock()
	f.dials = append(f.dials, network+" "+address)
	hang := address == f.hang
	fail := address == f.fail
	f.fail = ""
	f.mu.Unlock()
	if fail {
		return nil, errors.New("connection refused")
	}
	if hang {
		select {
		case err := <-f.release:
			return nil, err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	c, other := net.Pipe()
	go io.Copy(io.Discard, other)
	return c, nil
}

func (f *fakeNet) calls() (lookups, dials []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.lookups), slices.Clone(f.dials)
}

// TestPredialAddresses checks where the pre-dial goes, and that pgconn's
// lookups and dials get its lookup and its connection when they ask for
// the same, once, and new ones otherwise.
func TestPredialAddresses(t *testing.T) {
	tests := []struct {
		name, host string
		ips        []string
		want       string // where the pre-dial goes; "" nowhere
	}{
		{"name", "db.internal", []string{"10.0.0.7", "10.0.0.8"}, "tcp 10.0.0.7:5432"},
		{"name and port", "db.internal", []string{"10.0.0.7:6432"}, "tcp 10.0.0.7:6432"},
		{"IPv6", "db.internal", []string{"fd00::7"}, "tcp [fd00::7]:5432"},
		{"address", "10.0.0.9", nil, "tcp 10.0.0.9:5432"},
		{"socket", "/run/postgresql", nil, "unix /run/postgresql/.s.PGSQL.5432"},
		{"unknown name", "nowhere.invalid", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeNet{ips: tt.ips}
			cfg := &pgconn.Config{Host: tt.host, Port: 5432, DialFunc: f.dial, LookupFunc: f.lookup}
			p := newPredial(cfg)
			defer p.close()
			p.start()
			if !closedWithin(t.Context(), p.done) {
				t.Fatal("the pre-dial did not end")
			}
			lookups, dials := f.calls()
			if tt.want == "" {
				if len(dials) != 0 {
					t.Fatalf("dialed %q; want nothing", dials)
				}
			} else if len(dials) != 1 || dials[0] != tt.want {
				t.Fatalf("dialed %q; want %q", dials, tt.want)
			}
			// pgconn's own lookup: the pre-dial's answer, as often as
			// asked while the connection may be taken.
			if tt.want == "" {
				// A failed lookup is not kept: pgconn's own is made.
				if _, err := cfg.LookupFunc(t.Context(), tt.host); err == nil {
					t.Error("the lookup of an unknown name succeeded")
				}
				if l, _ := f.calls(); len(l) != 2 {
					t.Errorf("lookups %q; want the pre-dial's and pgconn's", l)
				}
			}
			if tt.ips != nil {
				for range 2 {
					ips, err := cfg.LookupFunc(t.Context(), tt.host)
					if err != nil || !slices.Equal(ips, tt.ips) {
						t.Errorf("lookup: %q, %v; want %q", ips, err, tt.ips)
					}
				}
				if l, _ := f.calls(); len(l) != len(lookups) {
					t.Errorf("lookups %q after the pre-dial's %q; want none", l, lookups)
				}
				if _, err := cfg.LookupFunc(t.Context(), "other.internal"); err != nil {
					t.Fatal(err)
				}
				if l, _ := f.calls(); len(l) != len(lookups)+1 {
					t.Errorf("a lookup of another host was not made: %q", l)
				}
			}
			if tt.want == "" {
				return
			}
			network, address, _ := strings.Cut(tt.want, " ")
			// Elsewhere: a new connection, and the one dialed ahead kept.
			if _, err := cfg.DialFunc(t.Context(), network, "10.9.9.9:1"); err != nil {
				t.Fatal(err)
			}
			c, err := cfg.DialFunc(t.Context(), network, address)
			if err != nil {
				t.Fatal(err)
			}
			c.Close()
			if _, err := cfg.DialFunc(t.Context(), network, address); err != nil {
				t.Fatal(err)
			}
			if _, dials := f.calls(); len(dials) != 3 {
				t.Errorf("dials %q; want the pre-dial's, one elsewhere, and one after it was taken", dials)
			}
		})
	}
}

// TestPredialHangs checks that a pre-dial that hangs holds up neither
// pgconn's lookup nor its dials elsewhere, and that a dial to where it
// goes waits for it and gets its error rather than dialing a second time:
// pgconn then goes on to the next address as soon as it would have.
func TestPredialHangs(t *testing.T) {
	f := &fakeNet{ips: []string{"10.0.0.7", "10.0.0.8"}, hang: "10.0.0.7:5432", release: make(chan error)}
	cfg := &pgconn.Config{Host: "db.internal", Port: 5432, DialFunc: f.dial, LookupFunc: f.lookup}
	p := newPredial(cfg)
	defer p.close()
	p.start()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	lookupCtx, cancelLookup := context.WithTimeout(ctx, time.Second)
	defer cancelLookup()
	ips, err := cfg.LookupFunc(lookupCtx, "db.internal")
	if err != nil || len(ips) != 2 {
		t.Fatalf("lookup while the dial hangs: %q, %v", ips, err)
	}
	if lookups, _ := f.calls(); len(lookups) != 1 {
		t.Errorf("lookups %q; want the pre-dial's alone, given without waiting for its dial", lookups)
	}
	if _, err := cfg.DialFunc(ctx, "tcp", "10.0.0.8:5432"); err != nil {
		t.Fatal(err)
	}
	refused := errors.New("connection refused")
	got := make(chan error, 1)
	go func() {
		_, err := cfg.DialFunc(ctx, "tcp", "10.0.0.7:5432")
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("the dial to where the pre-dial hangs returned before it: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	f.release <- refused
	if err := <-got; !errors.Is(err, refused) {
		t.Errorf("dial: %v; want the pre-dial's %v", err, refused)
	}
	// The pre-dial's dial may come after the one elsewhere: it begins once
	// its lookup has answered the test's.
	if _, dials := f.calls(); !slices.Equal(slices.Sorted(slices.Values(dials)), []string{"tcp 10.0.0.7:5432", "tcp 10.0.0.8:5432"}) {
		t.Errorf("dials %q; want the pre-dial's and the one elsewhere", dials)
	}
}

// TestPredialFailedBefore checks that a pre-dial that failed before the
// pool dialed does not fail the pool's dial: that one is made anew, as
// the server may be up by then.
func TestPredialFailedBefore(t *testing.T) {
	f := &fakeNet{fail: "10.0.0.9:5432"}
	cfg := &pgconn.Config{Host: "10.0.0.9", Port: 5432, DialFunc: f.dial, LookupFunc: f.lookup}
	p := newPredial(cfg)
	defer p.close()
	p.start()
	<-p.done
	c, err := cfg.DialFunc(t.Context(), "tcp", "10.0.0.9:5432")
	if err != nil {
		t.Fatalf("dial after the pre-dial failed: %v", err)
	}
	c.Close()
	if _, dials := f.calls(); len(dials) != 2 {
		t.Errorf("dials %q; want the pre-dial's and a new one", dials)
	}
}

// TestPredialCloseEndsDial checks that Close ends a pre-dial in flight.
func TestPredialCloseEndsDial(t *testing.T) {
	f := &fakeNet{hang: "10.0.0.9:5432", release: make(chan error)}
	p := newPredial(&pgconn.Config{Host: "10.0.0.9", Port: 5432, DialFunc: f.dial, LookupFunc: f.lookup})
	p.start()
	for {
		if _, dials := f.calls(); len(dials) > 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	p.close()
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the pre-dial still runs 5 s after close")
	}
}

// TestPredialNotWithMinConns checks that a pool that keeps connections
// open, and so makes them at New, gets no dial ahead.
func TestPredialNotWithMinConns(t *testing.T) {
	proxy, s := proxiedStore(t, 0, "&pool_min_conns=1")
	proxy.next(t) // the pool's own
	s.StartOpen()
	time.Sleep(100 * time.Millisecond)
	if n := proxy.count.Load(); n != 1 || s.pre != nil {
		t.Errorf("the server saw %d connections, pre-dial %v; want the pool's 1 and none", n, s.pre)
	}
}

// TestPredialNotStarted checks that a store whose start did not dial
// dials and looks up as its configuration would.
func TestPredialNotStarted(t *testing.T) {
	f := &fakeNet{ips: []string{"10.0.0.7"}}
	cfg := &pgconn.Config{Host: "db.internal", Port: 5432, DialFunc: f.dial, LookupFunc: f.lookup}
	newPredial(cfg)
	if _, err := cfg.LookupFunc(t.Context(), "db.internal"); err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.DialFunc(t.Context(), "tcp", "10.0.0.7:5432"); err != nil {
		t.Fatal(err)
	}
	if l, d := f.calls(); len(l) != 1 || len(d) != 1 {
		t.Errorf("lookups %q, dials %q; want one of each", l, d)
	}
}

// BenchmarkPredial measures what a dial made ahead saves a new connection:
// the time to connect (pgconn: dial, startup, authentication) on the
// tests' server, against the time to connect on a socket dialed 20 ms
// before, taken in turns; medians of at least 30 of each, in ms.
func BenchmarkPredial(b *testing.B) {
	url := testPG.Database(b)
	ctx := context.Background()
	var whole, ahead []time.Duration
	// b.Loop must not be called again once it has said to stop.
	for looping := true; looping || len(whole) < 30; {
		if looping {
			looping = b.Loop()
		}
		cfg, err := pgconn.ParseConfig(url)
		if err != nil {
			b.Fatal(err)
		}
		began := time.Now()
		c, err := pgconn.ConnectConfig(ctx, cfg)
		if err != nil {
			b.Fatal(err)
		}
		whole = append(whole, time.Since(began))
		c.Close(ctx)
		time.Sleep(20 * time.Millisecond)

		cfg, _ = pgconn.ParseConfig(url)
		p := newPredial(cfg)
		p.start()
		<-p.done
		time.Sleep(20 * time.Millisecond)
		began = time.Now()
		c, err = pgconn.ConnectConfig(ctx, cfg)
		if err != nil {
			b.Fatal(err)
		}
		ahead = append(ahead, time.Since(began))
		c.Close(ctx)
		time.Sleep(20 * time.Millisecond)
	}
	median := func(ds []time.Duration) float64 {
		slices.Sort(ds)
		return float64(ds[len(ds)/2]) / float64(time.Millisecond)
	}
	b.ReportMetric(median(whole), "ms/connect")
	b.ReportMetric(median(ahead), "ms/connect-dialed-ahead")
	b.ReportMetric(0, "ns/op")
}
