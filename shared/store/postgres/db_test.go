package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// testPool returns a pool on a new database of the test server, with cfg
// changed by change, closed at the end of the test.
func testPool(t *testing.T, query string, change func(*poolConfig)) (*pool, string) {
	t.Helper()
	url := testPG.Database(t)
	if query != "" {
		url += "&" + query
	}
	cfg, _, err := parseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	if change != nil {
		change(cfg)
	}
	p := newPool(cfg)
	t.Cleanup(func() {
		// close waits for the connections in use: a test that failed
		// holding one would hang.
		closed := make(chan struct{})
		go func() {
			p.close()
			close(closed)
		}()
		select {
		case <-closed:
		case <-time.After(10 * time.Second):
			t.Error("the pool did not close: a connection was not released")
		}
	})
	return p, url
}

// pid returns the server process of c.
func pid(t *testing.T, c *conn) int {
	t.Helper()
	var n int
	if err := c.queryRow(t.Context(), "SELECT pg_backend_pid()").scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// acquirePID acquires a connection of p, notes its server process, and
// releases it.
func acquirePID(t *testing.T, p *pool) int {
	t.Helper()
	c, err := p.acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer p.release(c)
	return pid(t, c)
}

// TestTypes sends every type the Store sends and reads every type it
// reads, through a real server, with statements prepared and unprepared.
func TestTypes(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	kolkata := time.FixedZone("IST", 5*3600+30*60)
	times := []time.Time{
		time.Date(2026, 11, 24, 3, 35, 14, 0, time.UTC),
		time.Date(2026, 11, 24, 3, 35, 14, 100_000_000, time.UTC),
		time.Date(2026, 11, 24, 3, 35, 14, 123_000_000, kolkata),
		time.Date(2026, 11, 24, 3, 35, 14, 123_456_000, time.FixedZone("", -(3*3600+30*60))),
		time.Date(2026, 11, 24, 3, 35, 14, 999_999_999, time.UTC), // to the microsecond
		time.Date(1969, 12, 31, 23, 59, 59, 999_999_000, time.UTC),
		time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 1000, time.UTC),
		time.Date(0, 2, 29, 12, 0, 0, 0, time.UTC), // 1 BC, a leap year
		time.Date(9999, 12, 31, 23, 59, 59, 999_999_000, time.UTC),
	}
	for _, mode := range []string{"cache_statement", "exec"} {
		t.Run(mode, func(t *testing.T) {
			p, _ := testPool(t, "default_query_exec_mode="+mode, nil)
			ctx := t.Context()
			c, err := p.acquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer p.release(c)

			for _, s := range []string{"", "héllo 世界", `' " \ $1 \x00`, strings.Repeat("长", 100_000)} {
				var got string
				if err := c.queryRow(ctx, "SELECT $1::text", s).scan(&got); err != nil || got != s {
					t.Errorf("text %.20q: read back %.20q, %v", s, got, err)
				}
			}
			for _, n := range []int64{0, -1, math.MaxInt64, math.MinInt64} {
				var got int64
				if err := c.queryRow(ctx, "SELECT $1::int8", n).scan(&got); err != nil || got != n {
					t.Errorf("int8 %d: read back %d, %v", n, got, err)
				}
			}
			for _, n := range []int32{math.MaxInt32, math.MinInt32} {
				var got32 int32
				var got int
				if err := c.queryRow(ctx, "SELECT $1::int4, $2::int4", n, int(n)).scan(&got32, &got); err != nil || got32 != n || got != int(n) {
					t.Errorf("int4 %d: read back %d and %d, %v", n, got32, got, err)
				}
			}
			for _, b := range []bool{true, false} {
				var got bool
				if err := c.queryRow(ctx, "SELECT $1::bool", b).scan(&got); err != nil || got != b {
					t.Errorf("bool %t: read back %t, %v", b, got, err)
				}
			}
			var js []byte
			if err := c.queryRow(ctx, "SELECT $1::jsonb", `["a","é"]`).scan(&js); err != nil || string(js) != `["a", "é"]` {
				t.Errorf("jsonb: read back %s, %v", js, err)
			}

			for _, output := range []string{"hex", "escape"} {
				if _, err := c.exec(ctx, "SET bytea_output = "+output); err != nil {
					t.Fatal(err)
				}
				for _, b := range [][]byte{all, {}, nil, []byte(`\x41`)} {
					var got []byte
					var isNull bool
					if err := c.queryRow(ctx, "SELECT $1::bytea, $1 IS NULL", b).scan(&got, &isNull); err != nil ||
						!bytes.Equal(got, b) || (got == nil) != (b == nil) || isNull != (b == nil) {
						t.Errorf("bytea_output %s: bytea %x (nil %t): read back %x (nil %t, NULL %t), %v",
							output, b, b == nil, got, got == nil, isNull, err)
					}
				}
			}

			for _, zone := range []string{"UTC", "Asia/Kolkata", "America/St_Johns", "Asia/Kathmandu", "Europe/Paris"} {
				if _, err := c.exec(ctx, "SET TimeZone = '"+zone+"'"); err != nil {
					t.Fatal(err)
				}
				for _, at := range times {
					want := at.UTC().Truncate(time.Microsecond)
					var (
						got, ptr *time.Time
						text     string
					)
					got = new(time.Time)
					if err := c.queryRow(ctx, "SELECT $1::timestamptz, $2::timestamptz, $1::timestamptz::text", at, &at).
						scan(got, &ptr, &text); err != nil || !got.Equal(want) || ptr == nil || !ptr.Equal(want) {
						t.Errorf("TimeZone %s: timestamptz %v: read back %q as %v and %v, %v; want %v",
							zone, at, text, got, ptr, err, want)
					}
				}
				var none *time.Time
				got := &time.Time{}
				if err := c.queryRow(ctx, "SELECT $1::timestamptz", none).scan(&got); err != nil || got != nil {
					t.Errorf("TimeZone %s: NULL timestamptz read back as %v, %v", zone, got, err)
				}
			}
			// An offset in seconds: St. John's mean time, in 1900.
			if _, err := c.exec(ctx, "SET TimeZone = 'America/St_Johns'"); err != nil {
				t.Fatal(err)
			}
			var (
				text string
				got  time.Time
			)
			if err := c.queryRow(ctx, "SELECT $1::timestamptz::text, $1::timestamptz", times[6]).scan(&text, &got); err != nil ||
				!strings.HasSuffix(text, "-03:30:52") || !got.Equal(times[6]) {
				t.Errorf("1900 in St. John's reads %q as %v, %v; want an offset of -03:30:52, %v", text, got, err, times[6])
			}
		})
	}
}

// TestPoolReuse checks that an idle connection is handed out again, and
// that the pool connects no more than its size, however many callers.
func TestPoolReuse(t *testing.T) {
	p, _ := testPool(t, "pool_max_conns=3", nil)
	first := acquirePID(t, p)
	if again := acquirePID(t, p); again != first {
		t.Errorf("second acquire got process %d, want %d again", again, first)
	}
	var (
		mu   sync.Mutex
		pids = map[int]bool{}
		wg   sync.WaitGroup
	)
	for range 12 {
		wg.Go(func() {
			for range 10 {
				var n int
				err := p.queryRow(t.Context(), "SELECT pg_backend_pid() FROM pg_sleep($1)", "0.001").scan(&n)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				pids[n] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(pids) > 3 {
		t.Errorf("12 goroutines used %d connections of a pool of 3", len(pids))
	}
}

// TestPoolMax checks that acquire waits while every connection is in use,
// until one is released or its context ends.
func TestPoolMax(t *testing.T) {
	p, _ := testPool(t, "pool_max_conns=2", nil)
	ctx := t.Context()
	a, err := p.acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if c, err := p.acquire(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a third acquire of a pool of 2 = %v, %v; want it to wait until its deadline", c, err)
	}
	got := make(chan *conn)
	go func() {
		c, err := p.acquire(ctx)
		if err != nil {
			t.Error(err)
		}
		got <- c
	}()
	want := pid(t, b)
	p.release(b)
	c := <-got
	if c == nil {
		t.FailNow()
	}
	if n := pid(t, c); n != want {
		t.Errorf("the waiting acquire got process %d, want the released one, %d", n, want)
	}
	p.release(c)
	p.release(a)
}

// TestPoolDiscards checks that a connection left in a transaction, failed
// or not, or closed, is closed rather than handed out again, and that the
// server rolls back what it left.
func TestPoolDiscards(t *testing.T) {
	p, _ := testPool(t, "", nil)
	ctx := t.Context()
	if _, err := p.exec(ctx, "CREATE TABLE t (a int)"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		do   func(c *conn) error
	}{
		{"open transaction", func(c *conn) error {
			_, err := c.exec(ctx, "BEGIN; INSERT INTO t VALUES (1)")
			return err
		}},
		{"failed transaction", func(c *conn) error {
			if _, err := c.exec(ctx, "BEGIN"); err != nil {
				return err
			}
			if _, err := c.exec(ctx, "INSERT INTO t VALUES (2)"); err != nil {
				return err
			}
			if _, err := c.exec(ctx, "SELECT 1/0"); err == nil {
				return errors.New("1/0 succeeded")
			}
			if s := c.pg.TxStatus(); s != 'E' {
				return fmt.Errorf("transaction status %c after an error, want E", s)
			}
			return nil
		}},
		{"closed", func(c *conn) error { return c.pg.Close(ctx) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := p.acquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			before := pid(t, c)
			if err := tt.do(c); err != nil {
				t.Fatal(err)
			}
			p.release(c)
			if after := acquirePID(t, p); after == before {
				t.Errorf("the connection was handed out again")
			}
			p.closing.Wait()
			if !c.pg.IsClosed() {
				t.Errorf("the connection is still open")
			}
		})
	}
	var n int
	if err := p.queryRow(ctx, "SELECT count(*) FROM t").scan(&n); err != nil || n != 0 {
		t.Errorf("t holds %d rows, %v; want none: the transactions left open were rolled back", n, err)
	}
}

// TestPoolCancelled cancels a statement while the server runs it: pgconn
// closes the connection, the error wraps context.Canceled, and the pool
// makes a new connection.
func TestPoolCancelled(t *testing.T) {
	for _, mode := range []string{"cache_statement", "exec"} {
		t.Run(mode, func(t *testing.T) {
			p, _ := testPool(t, "pool_max_conns=2&default_query_exec_mode="+mode, nil)
			c, err := p.acquire(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			before := pid(t, c)
			ctx, cancel := context.WithCancel(t.Context())
			go func() {
				defer cancel()
				// Wait until the server sleeps, then cancel.
				for {
					var sleeping bool
					err := p.queryRow(t.Context(), `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
					WHERE pid = $1 AND wait_event = 'PgSleep')`, before).scan(&sleeping)
					if err != nil || sleeping {
						return
					}
					time.Sleep(5 * time.Millisecond)
				}
			}()
			var x string
			err = c.queryRow(ctx, "SELECT 'x' FROM pg_sleep($1)", 60).scan(&x)
			if !errors.Is(err, context.Canceled) {
				t.Errorf("a cancelled statement = %v, want an error wrapping context.Canceled", err)
			}
			if !c.pg.IsClosed() {
				t.Errorf("the connection of a cancelled statement is open")
			}
			p.release(c)
			if after := acquirePID(t, p); after == before {
				t.Errorf("the connection of a cancelled statement was handed out again")
			}
		})
	}
}

// TestPoolIdle checks the connections that sat idle: one the server
// closed meanwhile, or too old, or idle too long, is replaced before use.
func TestPoolIdle(t *testing.T) {
	p, _ := testPool(t, "", nil)
	ctx := t.Context()
	admin, _ := testPool(t, "", nil)
	idle := func() *conn {
		p.mu.Lock()
		defer p.mu.Unlock()
		if len(p.idle) != 1 {
			t.Fatalf("%d idle connections, want 1", len(p.idle))
		}
		return p.idle[0]
	}
	tests := []struct {
		name   string
		change func(c *conn)
	}{
		{"closed by the server", func(c *conn) {
			// Pinged: it has been idle for over a second.
			c.idleSince = c.idleSince.Add(-2 * pingAfter)
			var ok bool
			if err := admin.queryRow(ctx, "SELECT pg_terminate_backend($1)", int(c.pg.PID())).scan(&ok); err != nil || !ok {
				t.Fatalf("terminate the connection: %t, %v", ok, err)
			}
			// pg_terminate_backend signals the process; wait until it
			// has gone.
			for {
				var alive bool
				err := admin.queryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)", int(c.pg.PID())).scan(&alive)
				if err != nil {
					t.Fatal(err)
				}
				if !alive {
					return
				}
				time.Sleep(5 * time.Millisecond)
			}
		}},
		{"old", func(c *conn) { c.expires = time.Now().Add(-time.Second) }},
		{"idle too long", func(c *conn) { c.idleSince = time.Now().Add(-p.cfg.MaxConnIdleTime - time.Second) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := acquirePID(t, p)
			tt.change(idle())
			if after := acquirePID(t, p); after == before {
				t.Errorf("the connection was handed out again")
			}
		})
	}
	// Idle for over a second but alive: pinged, and handed out again.
	before := acquirePID(t, p)
	idle().idleSince = time.Now().Add(-2 * pingAfter)
	if after := acquirePID(t, p); after != before {
		t.Errorf("a live connection idle for over a second was replaced")
	}
}

// TestPoolClose checks that close fails the callers waiting for a
// connection, waits for those in use, and closes them.
func TestPoolClose(t *testing.T) {
	p, _ := testPool(t, "pool_max_conns=1", nil)
	ctx := t.Context()
	c, err := p.acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waiting := make(chan error)
	go func() {
		_, err := p.acquire(ctx)
		waiting <- err
	}()
	closed := make(chan struct{})
	go func() {
		p.close()
		close(closed)
	}()
	if err := <-waiting; !errors.Is(err, errClosedPool) {
		t.Errorf("an acquire waiting when the pool closes = %v, want %v", err, errClosedPool)
	}
	if _, err := p.acquire(ctx); !errors.Is(err, errClosedPool) {
		t.Errorf("acquire after close = %v, want %v", err, errClosedPool)
	}
	select {
	case <-closed:
		t.Fatal("close returned with a connection in use")
	default:
	}
	if _, err := c.exec(ctx, "SELECT 1"); err != nil {
		t.Errorf("a connection in use while the pool closes: %v", err)
	}
	p.release(c)
	<-closed
	if !c.pg.IsClosed() {
		t.Error("close left a connection open")
	}
	p.close()
}

// TestTransaction checks that a transaction ends however its function
// does: committed, rolled back, or rolled back by a panic.
func TestTransaction(t *testing.T) {
	p, _ := testPool(t, "pool_max_conns=1", nil)
	ctx := t.Context()
	if _, err := p.exec(ctx, "CREATE TABLE t (a int PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	run := func(a int, end func(tx *transaction) error) (err error) {
		tx, err := p.begin(ctx)
		if err != nil {
			return err
		}
		defer tx.rollback(context.WithoutCancel(ctx))
		if _, err := tx.exec(ctx, "INSERT INTO t VALUES ($1)", a); err != nil {
			return err
		}
		return end(tx)
	}
	if err := run(1, func(tx *transaction) error { return tx.commit(ctx) }); err != nil {
		t.Errorf("commit: %v", err)
	}
	if err := run(2, func(tx *transaction) error { return errors.New("no") }); err == nil {
		t.Error("an error did not come back")
	}
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("recovered %v, want the panic", r)
			}
		}()
		run(3, func(tx *transaction) error { panic("boom") })
	}()
	err := run(4, func(tx *transaction) error {
		tx.exec(ctx, "SELECT 1/0")
		return tx.commit(ctx)
	})
	if err == nil || !strings.Contains(err.Error(), "ROLLBACK") {
		t.Errorf("commit of a failed transaction = %v, want an error saying it rolled back", err)
	}
	var got []int
	err = p.query(ctx, "SELECT a FROM t ORDER BY a").each(func(r record) error {
		var a int
		err := r.scan(&a)
		got = append(got, a)
		return err
	})
	if err != nil || !slices.Equal(got, []int{1}) {
		t.Errorf("t holds %v, %v; want [1], the one committed", got, err)
	}
	// Every transaction ended with the connection idle: the one
	// connection was kept.
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.idle) != 1 || p.idle[0].pg.TxStatus() != 'I' {
		t.Errorf("%d idle connections, want 1, idle", len(p.idle))
	}
}

// TestPrepared checks that statements are prepared once per connection in
// the default mode and never in exec mode, and that a connection whose
// prepared statement the schema outdated is closed after the failing
// call.
func TestPrepared(t *testing.T) {
	prepared := func(c *conn) int {
		var n int
		if err := c.queryRow(t.Context(), "SELECT count(*) FROM pg_prepared_statements WHERE $1", true).scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, tt := range []struct {
		mode string
		want int // statements prepared after the three selects and the count
	}{
		{"cache_statement", 2},
		{"exec", 0},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			p, _ := testPool(t, "default_query_exec_mode="+tt.mode, nil)
			ctx := t.Context()
			if _, err := p.exec(ctx, "CREATE TABLE t (a int); INSERT INTO t VALUES (1)"); err != nil {
				t.Fatal(err)
			}
			c, err := p.acquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for range 3 {
				var a int
				if err := c.queryRow(ctx, "SELECT * FROM t WHERE a = $1", 1).scan(&a); err != nil || a != 1 {
					t.Fatalf("select: %d, %v", a, err)
				}
			}
			if n := prepared(c); n != tt.want {
				t.Errorf("%d statements prepared, want %d", n, tt.want)
			}
			p.release(c)
			if _, err := p.exec(ctx, "ALTER TABLE t ALTER a TYPE bigint"); err != nil {
				t.Fatal(err)
			}
			var a int
			err = p.queryRow(ctx, "SELECT * FROM t WHERE a = $1", 1).scan(&a)
			if tt.want > 0 && (err == nil || !strings.Contains(err.Error(), "cached plan must not change result type")) {
				t.Errorf("select after the column changed = %v, want the server's error", err)
			}
			if tt.want == 0 && err != nil {
				t.Errorf("select after the column changed: %v", err)
			}
			if err := p.queryRow(ctx, "SELECT * FROM t WHERE a = $1", 1).scan(&a); err != nil || a != 1 {
				t.Errorf("select again: %d, %v", a, err)
			}
		})
	}
}

// TestBatch checks a batch's results, in order, and that a statement
// that fails ends the batch and rolls back its implicit transaction.
func TestBatch(t *testing.T) {
	for _, mode := range []string{"cache_statement", "exec"} {
		t.Run(mode, func(t *testing.T) {
			p, _ := testPool(t, "default_query_exec_mode="+mode, nil)
			ctx := t.Context()
			if _, err := p.exec(ctx, "CREATE TABLE t (a int PRIMARY KEY)"); err != nil {
				t.Fatal(err)
			}
			c, err := p.acquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer p.release(c)
			b := c.batch(ctx)
			b.queue("INSERT INTO t VALUES ($1)", 1)
			b.queue("SELECT a FROM t WHERE a = $1", 1)
			b.queue("SELECT a FROM t WHERE a = $1", 2)
			br := b.send(ctx)
			var a int
			if tag, err := br.exec(); err != nil || tag.String() != "INSERT 0 1" {
				t.Errorf("insert: %s, %v", tag, err)
			}
			if err := br.scan(&a); err != nil || a != 1 {
				t.Errorf("select 1: %d, %v", a, err)
			}
			if err := br.scan(&a); !errors.Is(err, errNoRows) {
				t.Errorf("select 2: %v, want %v", err, errNoRows)
			}
			if err := br.close(); err != nil {
				t.Errorf("close: %v", err)
			}

			b = c.batch(ctx)
			b.queue("INSERT INTO t VALUES ($1)", 2)
			b.queue("INSERT INTO t VALUES ($1)", 1) // taken
			b.queue("INSERT INTO t VALUES ($1)", 3)
			br = b.send(ctx)
			if _, err := br.exec(); err != nil {
				t.Errorf("insert 2: %v", err)
			}
			if _, err := br.exec(); err == nil || !strings.Contains(err.Error(), "23505") {
				t.Errorf("insert 1 again: %v, want a unique violation", err)
			}
			if _, err := br.exec(); err == nil {
				t.Error("the statement after the failed one ran")
			}
			if err := br.close(); err == nil {
				t.Error("close: no error")
			}
			var n int
			if err := c.queryRow(ctx, "SELECT count(*) FROM t WHERE $1", true).scan(&n); err != nil || n != 1 {
				t.Errorf("t holds %d rows, %v; want 1: the failed batch rolled back", n, err)
			}

			b = c.batch(ctx)
			b.queue("SELECT $1", 1.5)
			if err := b.send(ctx).close(); err == nil || !strings.Contains(err.Error(), "float64") {
				t.Errorf("a batch with a parameter it cannot send = %v", err)
			}
		})
	}
}

// TestDateStyle checks that a connection whose dates the Store cannot read
// is refused.
func TestDateStyle(t *testing.T) {
	p, _ := testPool(t, "", func(cfg *poolConfig) { cfg.ConnConfig.RuntimeParams["DateStyle"] = "German" })
	if _, err := p.acquire(t.Context()); err == nil || !strings.Contains(err.Error(), `DateStyle is "German, DMY", not ISO`) {
		t.Errorf("acquire with DateStyle German = %v, want an error", err)
	}
}

func BenchmarkRoundTrip(b *testing.B) {
	url := testPG.Database(b)
	cfg, _, err := parseURL(url)
	if err != nil {
		b.Fatal(err)
	}
	p := newPool(cfg)
	defer p.close()
	ctx := b.Context()
	at := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		var (
			s  string
			n  int
			ok bool
			t  time.Time
			bs []byte
		)
		if err := p.queryRow(ctx, "SELECT $1::text, $2::int, $3::bool, $4::timestamptz, $5::bytea",
			"13800138000", 42, true, at, []byte("hash")).scan(&s, &n, &ok, &t, &bs); err != nil {
			b.Fatal(err)
		}
	}
}
