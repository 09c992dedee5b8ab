package postgres

import (
	"context"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// The pre-dial: a function's start dials its database (StartOpen) and
// leaves the rest of the open to the first call that needs the store.
//
// A new connection costs a PostgreSQL server a process, which the
// postmaster forks as it accepts the connection, before the client has
// said anything: on the tests' server, a whole connection took 12.8-15.6
// ms, and 9.3-12.2 ms on a socket dialed 20 ms before, 1.9-5.7 ms less
// (BenchmarkPredial, medians of ten runs).
// The dial costs the client about 0.1 ms of processor. The rest of the
// open costs it about 3 ms (pgx's type map, the pool, the migration
// files): begun with the start, as it was, a request refused at the door
// paid for it, and on two cores it took as long off the first send as it
// added. docs/stores.md, "Opening on a cold start", has the figures.
//
// The connection the start dialed is the first the pool makes: the
// configuration's DialFunc hands it over, to the address it was dialed
// to, once. A host name is looked up once for both.

// predialAge is how long a dialed connection waits to be taken; then it
// is closed. A server drops a connection that has not authenticated within
// authentication_timeout (1 s at least, 60 s by default): one taken this
// young still has the time for its startup.
const predialAge = 500 * time.Millisecond

// predial dials a Store's database ahead of its first connection.
type predial struct {
	// The configuration's own, which the pool's reach through dialFunc
	// and lookupFunc.
	dial            pgconn.DialFunc
	lookup          pgconn.LookupFunc
	host            string
	port            uint16
	timeout         time.Duration // the configuration's connect timeout
	started, closed atomic.Bool
	looked          chan struct{} // closed once the lookup has ended, or was not needed
	done            chan struct{} // closed once the dial has ended, made or not

	mu               sync.Mutex
	cancel           context.CancelFunc // ends the lookup and the dial; close calls it
	ips              []string           // host's addresses, looked up by the pre-dial
	network, address string             // where the pre-dial dials, once known
	conn             net.Conn           // nil once taken, expired or closed
	err              error              // the dial's, if it failed
	at               time.Time          // when the lookup, then the dial, ended
	expiry           *time.Timer
}

// newPredial returns the pre-dial of the connections cfg makes, and
// routes cfg's dials and lookups through it.
func newPredial(cfg *pgconn.Config) *predial {
	p := &predial{dial: cfg.DialFunc, lookup: cfg.LookupFunc, host: cfg.Host, port: cfg.Port,
		timeout: cfg.ConnectTimeout, looked: make(chan struct{}), done: make(chan struct{})}
	cfg.DialFunc, cfg.LookupFunc = p.dialFunc, p.lookupFunc
	return p
}

// start dials in the background, once, unless p is closed. A nil p dials
// nothing.
func (p *predial) start() {
	if p == nil || p.closed.Load() || !p.started.CompareAndSwap(false, true) {
		return
	}
	go p.run()
}

func (p *predial) run() {
	defer close(p.done)
	looked := false
	defer func() {
		if !looked {
			close(p.looked)
		}
	}()
	timeout := p.timeout
	if timeout <= 0 {
		timeout = defaultConnectTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	p.mu.Lock()
	if p.closed.Load() {
		p.mu.Unlock()
		return
	}
	p.cancel = cancel
	p.mu.Unlock()
	network, address := pgconn.NetworkAddress(p.host, p.port)
	if network == "tcp" && net.ParseIP(p.host) == nil {
		// A failed lookup is left to the connection's own, which reports
		// it.
		ips, err := p.lookup(ctx, p.host)
		if err != nil || len(ips) == 0 {
			return
		}
		network, address = addressOf(ips[0], p.port)
		p.mu.Lock()
		p.ips, p.at = ips, time.Now()
		p.mu.Unlock()
	}
	p.mu.Lock()
	p.network, p.address = network, address
	p.mu.Unlock()
	looked = true
	close(p.looked)
	conn, err := p.dial(ctx, network, address)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.at = time.Now()
	if err != nil {
		p.err = err
		return
	}
	if p.closed.Load() {
		conn.Close()
		return
	}
	p.conn = conn
	p.expiry = time.AfterFunc(predialAge, p.expire)
}

// addressOf is where pgconn dials an address a lookup returned: ip, or
// ip:port, which overrides port.
func addressOf(ip string, port uint16) (network, address string) {
	if host, ps, err := net.SplitHostPort(ip); err == nil {
		if n, err := strconv.ParseUint(ps, 10, 16); err == nil {
			return pgconn.NetworkAddress(host, uint16(n))
		}
	}
	return pgconn.NetworkAddress(ip, port)
}

// expire closes the connection if it was not taken in time.
func (p *predial) expire() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn != nil {
		p.conn.Close()
		p.conn = nil
	}
}

// close ends a lookup or dial in progress, closes the connection unless
// it was taken, and closes any dialed later. A nil p has nothing to close.
func (p *predial) close() {
	if p == nil {
		return
	}
	p.closed.Store(true)
	p.mu.Lock()
	if p.cancel != nil {
		p.cancel()
	}
	p.mu.Unlock()
	p.expire()
}

// closedWithin says whether ch is closed within ctx, waiting for it.
func closedWithin(ctx context.Context, ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	case <-ctx.Done():
		return false
	}
}

// dialFunc is the configuration's DialFunc. Where the pre-dial dials, it
// takes the pre-dial's connection, once, if it is young and open; and if
// the pre-dial is still under way, it waits for it rather than make a
// second dial beside it, and returns its error if it fails: pgconn then
// goes on to the next address, as after a dial of its own. Otherwise it
// dials.
func (p *predial) dialFunc(ctx context.Context, network, address string) (net.Conn, error) {
	if p.started.Load() && closedWithin(ctx, p.looked) {
		p.mu.Lock()
		here := network == p.network && address == p.address
		p.mu.Unlock()
		if here {
			underWay := !isClosed(p.done)
			if closedWithin(ctx, p.done) {
				c, err := p.take()
				if c != nil {
					return c, nil
				}
				if err != nil && underWay {
					return nil, err
				}
			}
		}
	}
	return p.dial(ctx, network, address)
}

// isClosed says whether ch is closed, without waiting.
func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// take returns the connection dialed ahead, once, if it is under
// predialAge old and its server has not closed it, else nil; and the
// dial's error, if it failed.
func (p *predial) take() (net.Conn, error) {
	p.mu.Lock()
	c, err, young := p.conn, p.err, time.Since(p.at) < predialAge
	if c == nil {
		p.mu.Unlock()
		return nil, err
	}
	p.conn = nil
	p.expiry.Stop()
	p.mu.Unlock()
	if !young || !open(c) {
		c.Close()
		return nil, nil
	}
	return c, nil
}

// lookupFunc is the configuration's LookupFunc: the addresses the
// pre-dial looked up for host under predialAge ago, else a new lookup. It
// waits for the pre-dial's lookup, never for its dial.
func (p *predial) lookupFunc(ctx context.Context, host string) ([]string, error) {
	if host == p.host && p.started.Load() && closedWithin(ctx, p.looked) {
		p.mu.Lock()
		ips, fresh := p.ips, p.ips != nil && time.Since(p.at) < predialAge
		p.mu.Unlock()
		if fresh {
			return append([]string(nil), ips...), nil
		}
	}
	return p.lookup(ctx, host)
}
