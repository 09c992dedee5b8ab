package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// The Store's connections, straight on pgconn: a pool of them, statements
// with parameters, rows read into Go values, transactions.

// errClosedPool is the error of a call on a closed Store, in pgxpool's
// words.
var errClosedPool = errors.New("closed pool")

// errNoRows is row.scan's error when the statement returned no row.
var errNoRows = errors.New("no rows in result set")

// pingAfter is how long a connection may sit idle before it is pinged
// before use, as pgxpool does: a server may have closed it meanwhile (a
// restart, a failover, an idle timeout), or the function instance may
// have been frozen.
const pingAfter = time.Second

// pool holds the connections to one database, at most cfg.MaxConns at a
// time. It makes them as they are needed, hands out the one used last
// first, and closes those that are too old, idle too long, closed by
// pgconn (after a cancelled statement, or a broken network) or left in a
// transaction, rather than hand them out again. It is safe for concurrent
// use.
type pool struct {
	cfg     *poolConfig
	sem     chan struct{}  // a token for each connection handed out
	done    chan struct{}  // closed by close
	closing sync.WaitGroup // the connections being closed

	mu     sync.Mutex
	idle   []*conn // the connections not in use, the one used last at the end
	closed bool
}

// conn is a connection of a pool.
type conn struct {
	pg        *pgconn.PgConn
	expires   time.Time // when it has lived MaxConnLifetime (and jitter); zero: never
	idleSince time.Time
	params    params

	// stmts are the statements prepared on the connection, by their SQL,
	// at most maxStmts of them; the others go unprepared. named counts
	// the names given, so that none is given twice.
	stmts    map[string]*pgconn.StatementDescription
	maxStmts int
	named    int
	// stale is set when the server no longer runs a statement prepared
	// on the connection as it was prepared: the pool closes it.
	stale bool
}

func newPool(cfg *poolConfig) *pool {
	return &pool{cfg: cfg, sem: make(chan struct{}, cfg.MaxConns), done: make(chan struct{})}
}

// acquire returns a connection for the caller's use alone, waiting for
// one to be released when all are in use, until ctx is done. The caller
// must release it.
func (p *pool) acquire(ctx context.Context) (*conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case p.sem <- struct{}{}:
	case <-p.done:
		return nil, errClosedPool
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	c, err := p.take(ctx)
	if err != nil {
		<-p.sem
		return nil, err
	}
	return c, nil
}

// take returns an idle connection that is alive, or else a new one.
func (p *pool) take(ctx context.Context) (*conn, error) {
	for {
		c, err := p.popIdle()
		if err != nil {
			return nil, err
		}
		if c == nil {
			return p.connect(ctx)
		}
		if time.Since(c.idleSince) <= pingAfter || p.ping(ctx, c) == nil {
			return c, nil
		}
		p.discard(c)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
}

// ping pings c, within PingTimeout if it is set.
func (p *pool) ping(ctx context.Context, c *conn) error {
	if p.cfg.PingTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.cfg.PingTimeout)
		defer cancel()
	}
	return c.pg.Ping(ctx)
}

// popIdle takes the idle connection used last, or returns nil when there
// is none. It closes those that are too old or idle too long on the way.
func (p *pool) popIdle() (*conn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, errClosedPool
	}
	now := time.Now()
	keep := p.idle[:0]
	for _, c := range p.idle {
		idleTooLong := p.cfg.MaxConnIdleTime > 0 && now.Sub(c.idleSince) > p.cfg.MaxConnIdleTime
		if c.expired(now) || idleTooLong || c.pg.IsClosed() {
			p.discard(c)
			continue
		}
		keep = append(keep, c)
	}
	clear(p.idle[len(keep):])
	p.idle = keep
	if len(p.idle) == 0 {
		return nil, nil
	}
	c := p.idle[len(p.idle)-1]
	p.idle[len(p.idle)-1] = nil
	p.idle = p.idle[:len(p.idle)-1]
	return c, nil
}

// connect makes a new connection.
func (p *pool) connect(ctx context.Context) (*conn, error) {
	pg, err := pgconn.ConnectConfig(ctx, p.cfg.ConnConfig)
	if err != nil {
		return nil, err
	}
	// Times are read in ISO's format; the startup message asked for it,
	// but a pooler may pass on another.
	if ds := pg.ParameterStatus("DateStyle"); ds != "" && !strings.HasPrefix(ds, "ISO") {
		pg.Close(ctx)
		return nil, fmt.Errorf("the server's DateStyle is %q, not ISO", ds)
	}
	c := &conn{pg: pg, maxStmts: p.cfg.StatementCacheCapacity}
	if life := p.cfg.MaxConnLifetime; life > 0 {
		if j := p.cfg.MaxConnLifetimeJitter; j > 0 {
			life += rand.N(j)
		}
		c.expires = time.Now().Add(life)
	}
	return c, nil
}

// expired reports whether c has lived its lifetime at now.
func (c *conn) expired(now time.Time) bool { return !c.expires.IsZero() && now.After(c.expires) }

// release gives c back to the pool, which keeps it for the next acquire
// if it is idle: open, with no statement running and no transaction. The
// others it closes: the server then rolls back their transaction.
func (p *pool) release(c *conn) {
	defer func() { <-p.sem }()
	if c.pg.IsClosed() || c.pg.IsBusy() || c.pg.TxStatus() != 'I' || c.stale || c.expired(time.Now()) {
		p.discard(c)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		p.discard(c)
		return
	}
	c.idleSince = time.Now()
	p.idle = append(p.idle, c)
}

// discard closes c in the background, telling the server, if it can, in
// a second.
func (p *pool) discard(c *conn) {
	p.closing.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		c.pg.Close(ctx)
	})
}

// close closes the idle connections, and waits for those in use to be
// released, and closed. Calls after close fail with errClosedPool.
func (p *pool) close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	close(p.done)
	for _, c := range p.idle {
		p.discard(c)
	}
	p.idle = nil
	p.mu.Unlock()
	// Every token taken is a connection in use, or an acquire about to
	// find the pool closed.
	for range cap(p.sem) {
		p.sem <- struct{}{}
	}
	p.closing.Wait()
}

// exec runs sql on a connection of the pool; see conn.exec.
func (p *pool) exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	c, err := p.acquire(ctx)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	defer p.release(c)
	return c.exec(ctx, sql, args...)
}

// queryRow returns the first row of sql on a connection of the pool, to
// be read with scan, which runs the statement.
func (p *pool) queryRow(ctx context.Context, sql string, args ...any) row {
	return row{ctx: ctx, p: p, sql: sql, args: args}
}

// query returns the rows of sql on a connection of the pool, to be read
// with each, which runs the statement.
func (p *pool) query(ctx context.Context, sql string, args ...any) rows {
	return rows{ctx: ctx, p: p, sql: sql, args: args}
}

// exec runs sql, and returns its command tag ("INSERT 0 1"). Without
// args, sql goes in the simple protocol and may hold several statements;
// the tag is the last one's. With args, it goes in the extended protocol,
// in one round trip: see conn.start.
func (c *conn) exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if len(args) == 0 {
		mrr := c.pg.Exec(ctx, sql)
		var tag pgconn.CommandTag
		for mrr.NextResult() {
			tag, _ = mrr.ResultReader().Close()
		}
		return tag, mrr.Close()
	}
	rr, err := c.start(ctx, sql, args)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := rr.Close()
	return tag, c.check(err)
}

// start sends sql with args, and returns the reader of its result. A
// statement runs prepared, under a name of its own, when the connection
// keeps prepared statements (the URL's default_query_exec_mode is
// cache_statement, the default): the first run prepares it, a round trip
// more, and every run sends only its parameters, and the server neither
// parses nor plans it again. Otherwise it goes as the unnamed statement,
// parsed and planned at each run, which a pooler in transaction mode
// needs.
func (c *conn) start(ctx context.Context, sql string, args []any) (*pgconn.ResultReader, error) {
	sd, err := c.prepare(ctx, sql, args)
	if err != nil {
		return nil, err
	}
	p := &c.params
	if sd != nil {
		if err := p.encode(args, sd.ParamOIDs); err != nil {
			return nil, err
		}
		return c.pg.ExecStatement(ctx, sd, p.values, p.formats, nil), nil
	}
	if err := p.encode(args, nil); err != nil {
		return nil, err
	}
	return c.pg.ExecParams(ctx, sql, p.values, p.oids, p.formats, nil), nil
}

// prepare returns the statement sql prepared on c, preparing it if it is
// not yet, with the types of args that paramType declares, or nil when c
// keeps no more prepared statements.
func (c *conn) prepare(ctx context.Context, sql string, args []any) (*pgconn.StatementDescription, error) {
	if sd := c.stmts[sql]; sd != nil || len(c.stmts) >= c.maxStmts {
		return sd, nil
	}
	types := make([]uint32, len(args))
	for i, a := range args {
		types[i] = paramType(a)
	}
	c.named++
	sd, err := c.pg.Prepare(ctx, "notify_"+strconv.Itoa(c.named), sql, types)
	if err != nil {
		return nil, err
	}
	if c.stmts == nil {
		c.stmts = make(map[string]*pgconn.StatementDescription)
	}
	c.stmts[sql] = sd
	return sd, nil
}

// check returns err, the error of a statement, and marks c stale when err
// says that a statement prepared on it no longer holds: a change of the
// schema changed what it returns ("cached plan must not change result
// type"), or a pooler sent it to a server that does not have it.
func (c *conn) check(err error) error {
	var e *pgconn.PgError
	if len(c.stmts) > 0 && errors.As(err, &e) && (e.Code == "0A000" || e.Code == "26000") {
		c.stale = true
	}
	return err
}

// queryRow returns the first row of sql on c, to be read with scan.
func (c *conn) queryRow(ctx context.Context, sql string, args ...any) row {
	return row{ctx: ctx, c: c, sql: sql, args: args}
}

// query returns the rows of sql on c, to be read with each.
func (c *conn) query(ctx context.Context, sql string, args ...any) rows {
	return rows{ctx: ctx, c: c, sql: sql, args: args}
}

// rows is a statement that returns rows, run on c, or on a connection of
// p.
type rows struct {
	ctx  context.Context
	p    *pool
	c    *conn
	sql  string
	args []any
}

// each runs the statement and calls f with each row it returns, until f
// returns an error.
func (q rows) each(f func(r record) error) error {
	c := q.c
	if c == nil {
		var err error
		if c, err = q.p.acquire(q.ctx); err != nil {
			return err
		}
		defer q.p.release(c)
	}
	rr, err := c.start(q.ctx, q.sql, q.args)
	if err != nil {
		return err
	}
	for rr.NextRow() {
		if err := f(record{fields: rr.FieldDescriptions(), values: rr.Values()}); err != nil {
			rr.Close()
			return err
		}
	}
	_, err = rr.Close()
	return c.check(err)
}

// row is a statement whose first row is wanted.
type row rows

// scan runs the statement and reads its first row into dest (see
// record.scan). No row is errNoRows.
func (q row) scan(dest ...any) error {
	found := false
	err := rows(q).each(func(r record) error {
		if found {
			return nil
		}
		found = true
		return r.scan(dest...)
	})
	if err == nil && !found {
		return errNoRows
	}
	return err
}

// transaction is a transaction on a connection of a pool.
type transaction struct {
	*conn
	p    *pool
	done bool
}

// begin starts a transaction on a connection of p. The caller must end it
// with rollback, deferred, which does nothing after commit.
func (p *pool) begin(ctx context.Context) (*transaction, error) {
	c, err := p.acquire(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := c.exec(ctx, "BEGIN"); err != nil {
		p.release(c)
		return nil, err
	}
	return &transaction{conn: c, p: p}, nil
}

// commit commits the transaction. The COMMIT of a transaction that failed
// rolls it back, and is an error.
func (t *transaction) commit(ctx context.Context) error {
	tag, err := t.exec(ctx, "COMMIT")
	if err != nil {
		return err
	}
	t.done = true
	t.p.release(t.conn)
	if tag.String() != "COMMIT" {
		return fmt.Errorf("the server answered %s", tag)
	}
	return nil
}

// rollback rolls the transaction back, unless it was committed, and
// returns its connection to the pool, which closes it if the rollback
// failed or did not run (the server then rolls back). Deferred, it ends
// the transaction however the function returns, a panic included.
func (t *transaction) rollback(ctx context.Context) {
	if t.done {
		return
	}
	t.done = true
	if !t.pg.IsBusy() && !t.pg.IsClosed() {
		// Callers pass a context that outlives their call's, so that the
		// connection goes back to the pool; a server that does not answer
		// within rollbackTime loses it instead (release closes a
		// connection left in a transaction, which the server rolls back).
		ctx, cancel := context.WithTimeout(ctx, rollbackTime)
		defer cancel()
		t.exec(ctx, "ROLLBACK")
	}
	t.p.release(t.conn)
}

// batch is statements to send in one round trip, in the extended
// protocol, prepared or not as conn.start says, with one Sync after the
// last: the server runs them in one implicit transaction, unless they
// begin their own, and skips those after one that fails.
type batch struct {
	ctx context.Context
	c   *conn
	b   pgconn.Batch
	err error // the first statement that could not be queued
}

// batch returns an empty batch to send on c. Queueing a statement not
// yet prepared on c prepares it, within ctx.
func (c *conn) batch(ctx context.Context) *batch { return &batch{ctx: ctx, c: c} }

// queue adds sql, with args, to b.
func (b *batch) queue(sql string, args ...any) {
	if b.err != nil {
		return
	}
	sd, err := b.c.prepare(b.ctx, sql, args)
	if err != nil {
		b.err = err
		return
	}
	p := &b.c.params
	// The batch copies the parameters into its buffer.
	if sd != nil {
		if b.err = p.encode(args, sd.ParamOIDs); b.err == nil {
			b.b.ExecStatement(sd, p.values, p.formats, nil)
		}
		return
	}
	if b.err = p.encode(args, nil); b.err == nil {
		b.b.ExecParams(sql, p.values, p.oids, p.formats, nil)
	}
}

// send sends the batch, whose results are then read, one per statement
// in order, and closed.
func (b *batch) send(ctx context.Context) *batchResults {
	if b.err != nil {
		return &batchResults{err: b.err}
	}
	return &batchResults{c: b.c, mrr: b.c.pg.ExecBatch(ctx, &b.b)}
}

// batchResults are the results of a batch.
type batchResults struct {
	c   *conn
	mrr *pgconn.MultiResultReader
	err error // what ended the results early
}

// next returns the reader of the next statement's result.
func (r *batchResults) next() (*pgconn.ResultReader, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.mrr.NextResult() {
		return r.mrr.ResultReader(), nil
	}
	if r.err = r.c.check(r.mrr.Close()); r.err == nil {
		r.err = errors.New("the batch returned fewer results than it sent statements")
	}
	return nil, r.err
}

// exec returns the command tag of the next statement.
func (r *batchResults) exec() (pgconn.CommandTag, error) {
	rr, err := r.next()
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	return rr.Close()
}

// scan reads the first row of the next statement into dest, as row.scan
// does; no row is errNoRows.
func (r *batchResults) scan(dest ...any) error {
	rr, err := r.next()
	if err != nil {
		return err
	}
	found, serr := false, error(nil)
	for rr.NextRow() {
		if !found {
			found, serr = true, record{fields: rr.FieldDescriptions(), values: rr.Values()}.scan(dest...)
		}
	}
	if _, err := rr.Close(); err != nil {
		return err
	}
	if serr == nil && !found {
		serr = errNoRows
	}
	return serr
}

// close reads what is left of the results, and returns the first error
// of the batch.
func (r *batchResults) close() error {
	if r.mrr == nil {
		return r.err
	}
	return r.c.check(r.mrr.Close())
}
