package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/internal/sqltext"
)

var _ notify.LimitStore = (*Store)(nil)

// The statements of the send limits (migration 005): the SQLite store's,
// except that the sweep skips the rows other transactions hold.
//
// Of concurrent takes of one quota, from any instance, the upsert of each
// waits for the row lock of the one before, until it commits or rolls
// back, and then counts against what that one left: exactly Max of them
// are counted. A take locks its quotas' rows in the order of their keys
// and windows, whatever the order of qs, so that two takes of the same
// quotas in different orders (numbers [a, b] and [b, a]) cannot deadlock.
const (
	// quotaTakeSQL counts one use in a quota's window, unless the window
	// holds $4 (the quota's Max) already: then it changes nothing (but
	// locks the row) and returns no row.
	quotaTakeSQL = `INSERT INTO quotas (key, window_start, uses, expires_at) VALUES ($1, $2, 1, $3)
ON CONFLICT (key, window_start) DO UPDATE SET uses = quotas.uses + 1 WHERE quotas.uses < $4
RETURNING uses`
	// quotaSweepSQL deletes at most $2 windows, of any key, that ended at
	// or before $1, skipping those another transaction holds: it never
	// waits. The takes that sweep (sqltext.Sweeps) delete twice as many
	// as the takes between them may add, so the table holds about the
	// live windows, whether or not a key is used again.
	quotaSweepSQL = `DELETE FROM quotas WHERE (key, window_start) IN (
	SELECT key, window_start FROM quotas WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)`
)

// TakeQuotas counts one use of every quota in qs in its window at now, all
// or none, in one transaction of two round trips: BEGIN, the upserts and
// the sweep, if due, in one batch, then COMMIT, or ROLLBACK when any quota is at
// its Max (a BEGIN of its own would add a round trip). When several
// are at their Max, it returns the first in qs. A key that appears several times in qs
// counts a use for each. A quota with Max below 1, or a Window that is not
// a whole number of milliseconds (times are kept to the millisecond), is
// an error, and nothing is counted. Errors name quotas by their index in
// qs, never by key: keys hold phone numbers.
func (s *Store) TakeQuotas(ctx context.Context, now time.Time, qs []notify.Quota) (refused int, retryAfter time.Duration, err error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return -1, 0, err
	}
	defer done()
	refused, retryAfter, err = s.takeQuotas(ctx, now, qs)
	if err != nil {
		return -1, 0, fmt.Errorf("postgres: take %d quotas: %w", len(qs), err)
	}
	return refused, retryAfter, nil
}

func (s *Store) takeQuotas(ctx context.Context, now time.Time, qs []notify.Quota) (int, time.Duration, error) {
	if len(qs) == 0 {
		return -1, 0, nil
	}
	at, err := dbTime("time", now)
	if err != nil {
		return -1, 0, err
	}
	ws, err := quotaWindows(now, qs, true)
	if err != nil {
		return -1, 0, err
	}
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return -1, 0, fmt.Errorf("connect: %w", err)
	}
	// A connection released inside the transaction, after an error, is
	// closed rather than reused: the server then rolls the transaction back.
	defer c.Release()
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	for _, w := range ws {
		b.Queue(quotaTakeSQL, w.key, w.start, w.end, qs[w.i].Max)
	}
	sweep := s.sweeps.Due(len(qs))
	if sweep > 0 {
		b.Queue(quotaSweepSQL, at, sweep)
	}
	refused, wait, err := countQuotas(c.SendBatch(ctx, b), now, ws, sweep > 0)
	if err != nil {
		return -1, 0, err
	}
	sql := "COMMIT"
	if refused >= 0 {
		sql = "ROLLBACK" // gives back the uses counted
	}
	if err := end(ctx, c, sql); err != nil {
		return -1, 0, err
	}
	return refused, wait, nil
}

// CreateMessageTakingQuotas is CreateMessage and TakeQuotas in one
// transaction, all or none, in two round trips: BEGIN, the insert, the
// statements of m.Spend (queueSpend), the upserts and any sweep in one
// batch, then COMMIT or ROLLBACK. When a quota is at its Max it records
// nothing, counts nothing, and returns the quota's index and the time
// until its window ends; otherwise -1. A Spend refused (its task missing
// or started since Spend.Prev, or the balance too low) is its
// *notify.Error, before any quota's refusal, and records nothing.
//
// A record without a Spend is written in a group, with those of the other
// sends that come meanwhile, in one transaction (group.go); its answer is
// the one it would have had alone.
func (s *Store) CreateMessageTakingQuotas(ctx context.Context, m *notify.Message, now time.Time, qs []notify.Quota) (int, time.Duration, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return -1, 0, err
	}
	defer done()
	args, err := createArgs(m)
	if err != nil {
		return -1, 0, err
	}
	at, err := dbTime("time", now)
	if err != nil {
		return -1, 0, fmt.Errorf("postgres: take %d quotas: %w", len(qs), err)
	}
	ws, err := quotaWindows(now, qs, true)
	if err != nil {
		return -1, 0, fmt.Errorf("postgres: take %d quotas: %w", len(qs), err)
	}
	a := create{m: m, args: args, now: now, at: at, qs: qs, ws: ws}
	if m.Spend != nil {
		return s.createAlone(ctx, a)
	}
	r := s.creates.do(ctx, a)
	if r.alone {
		return s.createAlone(ctx, a)
	}
	if r.err != nil {
		if !r.named {
			r.err = fmt.Errorf("postgres: create message %s: %w", m.ID, r.err)
		}
		return -1, 0, r.err
	}
	return r.refused, r.wait, nil
}

// createAlone writes the record of a, and takes its quotas, in a
// transaction of its own: see CreateMessageTakingQuotas.
func (s *Store) createAlone(ctx context.Context, a create) (int, time.Duration, error) {
	m, qs, ws := a.m, a.qs, a.ws
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return -1, 0, fmt.Errorf("postgres: create message %s: connect: %w", m.ID, err)
	}
	defer c.Release()
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	b.Queue(sqltext.CreateMessage, a.args...)
	if m.Spend != nil {
		queueSpend(b, m)
	}
	for _, w := range ws {
		b.Queue(quotaTakeSQL, w.key, w.start, w.end, qs[w.i].Max)
	}
	sweep := s.sweeps.Due(len(ws))
	if sweep > 0 {
		b.Queue(quotaSweepSQL, a.at, sweep)
	}
	br := c.SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		br.Close()
		return -1, 0, fmt.Errorf("postgres: create message %s: begin: %w", m.ID, err)
	}
	tag, err := br.Exec()
	if err != nil {
		br.Close()
		return -1, 0, fmt.Errorf("postgres: create message %s: %w", m.ID, err)
	}
	if tag.RowsAffected() == 0 {
		// The id or the queue key is taken: what the batch did after the
		// insert, or the error it stopped at, is rolled back.
		br.Close()
		if err := end(ctx, c, "ROLLBACK"); err != nil {
			return -1, 0, fmt.Errorf("postgres: create message %s: %w", m.ID, err)
		}
		return -1, 0, createConflict(ctx, c, m) // on c: another of the pool's may never come free
	}
	var refusal error
	if m.Spend != nil {
		if refusal, err = readSpend(br, m); err != nil {
			br.Close()
			return -1, 0, fmt.Errorf("postgres: create message %s: %w", m.ID, err)
		}
	}
	refused, wait, err := countQuotasAfterBegin(br, a.now, ws, sweep > 0)
	if err != nil {
		return -1, 0, fmt.Errorf("postgres: take %d quotas: %w", len(qs), err)
	}
	if refusal != nil || refused >= 0 {
		if err := end(ctx, c, "ROLLBACK"); err != nil {
			return -1, 0, fmt.Errorf("postgres: create message %s: %w", m.ID, err)
		}
		if refusal == errTaskNotLinked {
			refusal = taskRefusal(ctx, c, m)
		}
		if refusal != nil {
			return -1, 0, refusal
		}
		return refused, wait, nil
	}
	if err := end(ctx, c, "COMMIT"); err != nil {
		return -1, 0, fmt.Errorf("postgres: create message %s: %w", m.ID, err)
	}
	return -1, 0, nil
}

// rollbackTime bounds a ROLLBACK asked for once its call's context is
// done.
const rollbackTime = time.Second

// end ends the transaction on c with sql, COMMIT or ROLLBACK. A ROLLBACK
// asked for when ctx is done still runs, within rollbackTime of its own,
// so that c goes back to the pool; one that does not end by then, or by
// ctx's deadline, closes c (pgx does on a deadline), and the server
// rolls back what it finds closed. The COMMIT of a failed transaction
// rolls it back, and is an error.
func end(ctx context.Context, c *pgxpool.Conn, sql string) error {
	if sql == "ROLLBACK" && ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), rollbackTime)
		defer cancel()
	}
	tag, err := c.Exec(ctx, sql)
	if err := answered(sql, tag, err); err != nil {
		return fmt.Errorf("%s: %w", strings.ToLower(sql), err)
	}
	return nil
}

// answered is err, the error of sql (COMMIT or ROLLBACK), or an error
// when the server answered sql with another tag: a COMMIT of a failed
// transaction answers ROLLBACK.
func answered(sql string, tag pgconn.CommandTag, err error) error {
	if err == nil && tag.String() != sql {
		err = fmt.Errorf("the server answered %s", tag)
	}
	return err
}

// countQuotas reads the results of TakeQuotas's batch: BEGIN, the upserts
// of ws, the sweep if swept. It returns the first quota in qs that was
// refused, and the time from now to its window's end.
func countQuotas(br pgx.BatchResults, now time.Time, ws []quotaWindow, swept bool) (refused int, wait time.Duration, err error) {
	if _, err := br.Exec(); err != nil {
		br.Close()
		return -1, 0, fmt.Errorf("begin: %w", err)
	}
	return countQuotasAfterBegin(br, now, ws, swept)
}

// countQuotasAfterBegin reads the results of a batch from the upserts of
// ws on, the sweep last if swept, and closes it: see countQuotas.
func countQuotasAfterBegin(br pgx.BatchResults, now time.Time, ws []quotaWindow, swept bool) (refused int, wait time.Duration, err error) {
	defer func() {
		if cerr := br.Close(); err == nil && cerr != nil {
			refused, wait, err = -1, 0, cerr
		}
	}()
	refused = -1
	for _, w := range ws {
		var uses int
		switch err := br.QueryRow().Scan(&uses); {
		case errors.Is(err, pgx.ErrNoRows):
			if refused < 0 || w.i < refused {
				refused, wait = w.i, w.end.Sub(now)
			}
		case err != nil:
			return -1, 0, fmt.Errorf("count quota %d: %w", w.i, err)
		}
	}
	if !swept {
		return refused, wait, nil
	}
	if _, err := br.Exec(); err != nil {
		return -1, 0, fmt.Errorf("delete expired windows: %w", err)
	}
	return refused, wait, nil
}

// ReturnQuotas gives back one use of every quota in qs in its window at
// taken, in one batch, which PostgreSQL runs as one transaction; a use is
// never returned below zero, and a window with no row (never taken, or
// swept after it ended) is left alone.
func (s *Store) ReturnQuotas(ctx context.Context, taken time.Time, qs []notify.Quota) error {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return err
	}
	defer done()
	if err := s.returnQuotas(ctx, taken, qs); err != nil {
		return fmt.Errorf("postgres: return %d quotas: %w", len(qs), err)
	}
	return nil
}

func (s *Store) returnQuotas(ctx context.Context, taken time.Time, qs []notify.Quota) error {
	if len(qs) == 0 {
		return nil
	}
	ws, err := quotaWindows(taken, qs, false)
	if err != nil {
		return err
	}
	b := &pgx.Batch{}
	for _, w := range ws {
		b.Queue(sqltext.QuotaReturn, w.key, w.start)
	}
	br := s.pool.SendBatch(ctx, b)
	for _, w := range ws {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return fmt.Errorf("return quota %d: %w", w.i, err)
		}
	}
	return br.Close()
}

// quotaWindow is the window of quota i of a call, as the quotas table
// keeps it.
type quotaWindow struct {
	i          int
	key        string
	start, end time.Time
}

// quotaWindows returns the windows of qs at t, in the order their rows are
// locked: by key, then start. It refuses a quota no store should count:
// one with a Window that is not a positive whole number of milliseconds,
// or, when take is set, a Max below 1.
func quotaWindows(t time.Time, qs []notify.Quota, take bool) ([]quotaWindow, error) {
	ws := make([]quotaWindow, len(qs))
	for i, q := range qs {
		if take && q.Max < 1 {
			return nil, fmt.Errorf("quota %d: at most %d uses: want at least 1", i, q.Max)
		}
		if q.Window < time.Millisecond || q.Window%time.Millisecond != 0 {
			return nil, fmt.Errorf("quota %d: window %v: want a positive whole number of milliseconds", i, q.Window)
		}
		start, err := dbTime("window start", q.WindowStart(t))
		if err != nil {
			return nil, fmt.Errorf("quota %d: %w", i, err)
		}
		end, err := dbTime("window end", start.Add(q.Window))
		if err != nil {
			return nil, fmt.Errorf("quota %d: %w", i, err)
		}
		ws[i] = quotaWindow{i: i, key: text(q.Key), start: start, end: end}
	}
	slices.SortStableFunc(ws, func(a, b quotaWindow) int {
		return cmp.Or(cmp.Compare(a.key, b.key), a.start.Compare(b.start))
	})
	return ws, nil
}
