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
// said anything: on the tests' server, a whole connection took 13.0-13.5
// ms, and 9.3-9.6 ms on a socket dialed 20 ms before (BenchmarkPredial).
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
	// The configuration's own, which the pool's reach through take.
	dial            pgconn.DialFunc
	lookup          pgconn.LookupFunc
	host            string
	port            uint16
	timeout         time.Duration // the configuration's connect timeout
	started, closed atomic.Bool
	done            chan struct{} // closed once the dial has ended, made or not

	mu               sync.Mutex
	ips              []string // host's addresses, looked up by the pre-dial
	network, address string   // where conn goes
	conn             net.Conn // nil once taken, expired or closed
	at               time.Time
	expiry           *time.Timer
}

// newPredial returns the pre-dial of the connections cfg makes, and
// routes cfg's dials and lookups through it.
func newPredial(cfg *pgconn.Config) *predial {
	p := &predial{dial: cfg.DialFunc, lookup: cfg.LookupFunc, host: cfg.Host, port: cfg.Port,
		timeout: cfg.ConnectTimeout, done: make(chan struct{})}
	cfg.DialFunc, cfg.LookupFunc = p.dialFunc, p.lookupFunc
	return p
}

// start dials in the background, once, unless p is closed.
func (p *predial) start() {
	if p.closed.Load() || !p.started.CompareAndSwap(false, true) {
		return
	}
	go p.run()
}

func (p *predial) run() {
	defer close(p.done)
	timeout := p.timeout
	if timeout <= 0 {
		timeout = defaultConnectTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	network, address := pgconn.NetworkAddress(p.host, p.port)
	if network == "tcp" && net.ParseIP(p.host) == nil {
		// A failed lookup is left to the connection's own, which reports
		// it.
		ips, err := p.lookup(ctx, p.host)
		if err != nil || len(ips) == 0 {
			return
		}
		p.mu.Lock()
		p.ips = ips
		p.mu.Unlock()
		network, address = addressOf(ips[0], p.port)
	}
	conn, err := p.dial(ctx, network, address)
	if err != nil {
		return // the pool dials for itself
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed.Load() {
		conn.Close()
		return
	}
	p.network, p.address, p.conn, p.at = network, address, conn, time.Now()
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

// close closes the connection unless it was taken, and stops any taken
// later.
func (p *predial) close() {
	p.closed.Store(true)
	p.expire()
}

// wait waits, within ctx, for a dial started to end, and says whether it
// has.
func (p *predial) wait(ctx context.Context) bool {
	if !p.started.Load() {
		return false
	}
	select {
	case <-p.done:
		return true
	case <-ctx.Done():
		return false
	}
}

// dialFunc is the configuration's DialFunc: the connection dialed ahead
// when it goes where the caller dials and is young and open, else a new
// one.
func (p *predial) dialFunc(ctx context.Context, network, address string) (net.Conn, error) {
	if p.wait(ctx) {
		if c := p.take(network, address); c != nil {
			return c, nil
		}
	}
	return p.dial(ctx, network, address)
}

// take returns the connection dialed ahead, once, if it goes to network
// and address, is not yet predialAge old, and its server has not closed
// it; else nil.
func (p *predial) take(network, address string) net.Conn {
	p.mu.Lock()
	c := p.conn
	if c == nil || network != p.network || address != p.address {
		p.mu.Unlock()
		return nil
	}
	p.conn = nil
	p.expiry.Stop()
	young := time.Since(p.at) < predialAge
	p.mu.Unlock()
	if !young || !open(c) {
		c.Close()
		return nil
	}
	return c
}

// lookupFunc is the configuration's LookupFunc: the addresses the
// pre-dial looked up for host, while its connection may still be taken,
// else a new lookup.
func (p *predial) lookupFunc(ctx context.Context, host string) ([]string, error) {
	if host == p.host && p.wait(ctx) {
		p.mu.Lock()
		ips := p.ips
		fresh := ips != nil && time.Since(p.at) < predialAge
		p.mu.Unlock()
		if fresh {
			return append([]string(nil), ips...), nil
		}
	}
	return p.lookup(ctx, host)
}
