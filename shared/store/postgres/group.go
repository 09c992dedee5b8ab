package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/internal/sqltext"
)

// Group commit: a send's record (CreateMessageTakingQuotas without a
// Spend) and its outcome (FinishMessage of anything but a failure) are
// written together with those of the other sends that come while the
// writes before them are under way, in one transaction and one batch of
// statements. The server's work per statement and per round trip, not
// the statements' own, was most of what a send cost it (docs/stores.md,
// "Group commit (PostgreSQL)"); a group shares its BEGIN, its COMMIT, its
// round trips and, when one is due, its sweep of the quota windows.
//
// A group commits only when every write in it did what it would have done
// alone. Otherwise it is rolled back and its writes run alone, each in its
// caller's goroutine and on its caller's context, through the code that
// runs a write alone: the answers, the errors and the counts of the quotas
// are those of a write alone. Which writes that is:
//   - a record whose id or queue key is taken, or one of whose quotas is
//     at its Max: the group is tried once more without them, and they run
//     alone (a record refused by a quota that another record of the group
//     took, and which that record's refusal gave back, then counts it
//     right);
//   - an outcome whose message has reports (its update changed no row):
//     the group commits, and it runs alone after;
//   - every write of a group that failed before its COMMIT was sent (an
//     error of the server, a deadlock, a caller that gave up: the group
//     runs until the first of its callers gives up, and those still
//     waiting go on alone, within their own time).
//
// A group whose COMMIT was sent and not answered fails every write in it:
// whether it committed is unknown, as for a write alone.
//
// A group of several writes waits for a lock (a quota's row, a queue
// key, a report lock) at most groupLockTimeout; then it fails, and its
// writes go alone. A group of one is a write alone, and waits as long as
// its caller lets it, but the next group starts handOffAfter after it. A
// row held by a transaction that does not end (an instance frozen in the
// middle of a write) so holds up the sends that want that row, as it did
// before groups, and not every send behind them.

// maxGroup bounds the writes of one group, and so how long the first of
// them waits for the last.
const maxGroup = 64

// groupLockTimeout bounds a group's wait for each lock it takes.
const groupLockTimeout = 100 * time.Millisecond

// groupLockSQL sets the lock timeout of the transaction it runs in.
var groupLockSQL = fmt.Sprintf(`SELECT set_config('lock_timeout', '%dms', true)`, groupLockTimeout.Milliseconds())

// call is one caller's write, queued for a group.
type call[A any] struct {
	ctx   context.Context
	arg   A
	state atomic.Int32 // queued, then taken or dropped
	done  chan struct{}
	// committing is closed once the group's COMMIT is sent: a caller
	// that gives up then leaves without its answer, which is unknown.
	committing chan struct{}

	result        // set by the group; read by the caller once done is closed
	answered bool // done is closed; the group's goroutine alone reads and writes it
}

// answer closes c.done, unless it is closed: its caller may read its
// result. Only the goroutine of c's group calls it.
func (c *call[A]) answer() {
	if !c.answered {
		c.answered = true
		close(c.done)
	}
}

// newCall returns a queued call of arg, whose caller's context is ctx.
func newCall[A any](ctx context.Context, arg A) *call[A] {
	return &call[A]{ctx: ctx, arg: arg, done: make(chan struct{}), committing: make(chan struct{}),
		result: result{refused: -1}}
}

// result is what a group tells a caller.
type result struct {
	alone   bool // the group did not write it: its caller runs it alone
	err     error
	named   bool // err is a write alone's, which names the write
	refused int  // a record's: the index of the quota at its Max, or -1
	wait    time.Duration
}

const (
	queued  int32 = iota
	taken         // in a group: its caller waits for the group's end
	dropped       // its caller gave up before a group took it: never run
)

// errCommitUnanswered is the error of a caller that gave up while its
// group's COMMIT was unanswered.
var errCommitUnanswered = errors.New("gave up waiting for the commit")

// grouper queues the writes of one kind and runs them in groups, one
// group at a time: the writes that come while a group runs make the next.
// A write that finds no group running is a group of one, run at once in
// its caller's goroutine, as a write alone; the writes that queue
// meanwhile are then run by a goroutine of their own, until the queue is
// empty. (Two groups at once, each on a connection of its own, made
// smaller groups, and 10-15% fewer sends a second at 32 at once; three,
// fewer still: docs/stores.md, "Group commit (PostgreSQL)".)
//
// A group that runs longer than handOffAfter (a write alone, which may
// wait for a lock as long as its caller allows, or a group frozen with the
// server) hands the queue to another goroutine, so that it holds up its
// own writes and no others.
type grouper[A any] struct {
	run func(calls []*call[A]) // writes calls; the grouper closes their done

	mu      sync.Mutex
	queue   []*call[A]
	running bool         // a goroutine runs the queue's groups; false only when the queue is empty
	groups  atomic.Int64 // groups run, for tests
}

// handOffAfter is how long a group runs before the next may start.
const handOffAfter = groupLockTimeout

// do queues arg and returns the group's answer: once a group has written
// it or said it is to be written alone; or, when ctx ends first, ctx's
// error, wrapped, if the write was still queued (it is then never run)
// or its group's COMMIT unanswered (its end is then unknown). Between
// the two, a group that has taken the write ends soon after ctx does.
func (g *grouper[A]) do(ctx context.Context, arg A) result {
	if err := ctx.Err(); err != nil {
		return result{err: err, refused: -1}
	}
	c := newCall(ctx, arg)
	g.mu.Lock()
	g.queue = append(g.queue, c)
	lead := !g.running
	g.running = true
	g.mu.Unlock()
	if lead {
		// The queue was empty: c is the next group, alone, run here.
		g.serve(true)
	}
	select {
	case <-c.done:
		return c.result
	case <-ctx.Done():
	}
	if c.state.CompareAndSwap(queued, dropped) {
		return result{err: ctx.Err(), refused: -1}
	}
	// Taken: the group ends at once unless its COMMIT is out.
	select {
	case <-c.done:
		return c.result
	case <-c.committing:
		select {
		case <-c.done:
			return c.result
		default:
			return result{err: fmt.Errorf("%w: %w", errCommitUnanswered, ctx.Err()), refused: -1}
		}
	}
}

// serve runs the queue's groups, one at a time, until the queue is empty,
// or, with once set, one group, and then hands what queued meanwhile to a
// goroutine of its own. A group that runs longer than handOffAfter hands
// the queue over while it runs, and serve returns when it ends.
func (g *grouper[A]) serve(once bool) {
	for {
		g.mu.Lock()
		n := min(len(g.queue), maxGroup)
		if once {
			// The leader's write, first in the queue, alone: it runs in
			// its caller's goroutine, which could not leave a group's
			// COMMIT as do lets a caller. What queued behind it is the
			// next group's.
			n = min(n, 1)
		}
		if n == 0 {
			g.running = false
			g.mu.Unlock()
			return
		}
		group := g.queue[:n:n]
		g.queue = g.queue[n:]
		if len(g.queue) == 0 {
			g.queue = nil
		}
		g.mu.Unlock()
		calls := make([]*call[A], 0, n)
		for _, c := range group {
			if c.state.CompareAndSwap(queued, taken) {
				calls = append(calls, c)
			}
		}
		if len(calls) == 0 {
			continue
		}
		g.groups.Add(1)
		handOff := time.AfterFunc(handOffAfter, func() { g.serve(false) })
		g.run(calls)
		for _, c := range calls {
			c.answer()
		}
		if !handOff.Stop() {
			return // another goroutine serves the queue
		}
		if once {
			g.mu.Lock()
			if len(g.queue) == 0 {
				g.running = false
				g.mu.Unlock()
				return
			}
			g.mu.Unlock()
			go g.serve(false)
			return
		}
	}
}

// groupContext returns a context for a group of calls that ends when the
// first of their contexts ends, and a function that stops watching them
// and releases it. It keeps none of their values.
func groupContext[A any](calls []*call[A]) (context.Context, func()) { return whenEnded(calls, 1) }

// allEnded returns a context that ends once every one of calls' contexts
// has ended, and a function that releases it.
func allEnded[A any](calls []*call[A]) (context.Context, func()) { return whenEnded(calls, len(calls)) }

// whenEnded returns a context that ends once n of calls' contexts have
// ended, and a function that stops watching them and releases it.
func whenEnded[A any](calls []*call[A], n int) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var left atomic.Int64
	left.Store(int64(n))
	stops := make([]func() bool, len(calls))
	for i, c := range calls {
		stops[i] = context.AfterFunc(c.ctx, func() {
			if left.Add(-1) == 0 {
				cancel()
			}
		})
	}
	return ctx, func() {
		for _, stop := range stops {
			stop()
		}
		cancel()
	}
}

// create is a record to write: CreateMessageTakingQuotas's arguments, as
// createAlone takes them.
type create struct {
	m    *notify.Message
	args []any // sqltext.CreateMessage's
	now  time.Time
	at   time.Time // now, as stored
	qs   []notify.Quota
	ws   []quotaWindow
}

// createGroup writes the records of calls in one transaction, or says
// which are to be written alone (see the top of this file).
func (s *Store) createGroup(calls []*call[create]) {
	if len(calls) == 1 {
		c := calls[0]
		c.refused, c.wait, c.err = s.createAlone(c.ctx, c.arg)
		c.named = true
		return
	}
	// Inserts in the order of their queue keys, then the quotas in the
	// order of theirs, as a write alone takes them: two groups, or a group
	// and a write alone, that want the same rows lock them in the same
	// order, and cannot deadlock.
	slices.SortFunc(calls, func(a, b *call[create]) int {
		return cmp.Or(cmp.Compare(text(a.arg.m.QueueKey), text(b.arg.m.QueueKey)), cmp.Compare(text(a.arg.m.ID), text(b.arg.m.ID)))
	})
	for try := 0; try < 2 && len(calls) > 1; try++ {
		ok, bad, err := s.tryCreateGroup(calls)
		if err != nil || ok {
			for _, c := range calls {
				c.err = err
			}
			return
		}
		if bad == nil {
			break // rolled back: all alone
		}
		keep := calls[:0:0]
		for i, c := range calls {
			if bad[i] {
				// Answered now: its caller goes on alone while the group
				// tries again without it.
				c.alone = true
				c.answer()
			} else {
				keep = append(keep, c)
			}
		}
		calls = keep
	}
	for _, c := range calls {
		c.alone = true
	}
}

// tryCreateGroup writes calls in one transaction. It returns ok when the
// transaction committed; bad, when it was rolled back because of the
// calls it marks, which must run alone; neither, when it was rolled back
// for a cause all share (a caller gave up, the server failed a statement,
// a connection broke before COMMIT), and all must run alone. err is the
// error of a COMMIT sent and not answered: the records may be written.
func (s *Store) tryCreateGroup(calls []*call[create]) (ok bool, bad []bool, err error) {
	ctx, release := groupContext(calls)
	defer release()
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return false, nil, nil
	}
	// A connection released inside the transaction is closed rather than
	// reused: the server then rolls the transaction back.
	defer conn.Release()

	type take struct {
		call int
		w    quotaWindow
		max  int
	}
	var takes []take
	sweep := 0
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	b.Queue(groupLockSQL)
	for i, c := range calls {
		b.Queue(sqltext.CreateMessage, c.arg.args...)
		for _, w := range c.arg.ws {
			takes = append(takes, take{i, w, c.arg.qs[w.i].Max})
		}
		sweep += s.sweeps.Due(len(c.arg.ws))
	}
	slices.SortStableFunc(takes, func(a, b take) int {
		return cmp.Or(cmp.Compare(a.w.key, b.w.key), a.w.start.Compare(b.w.start))
	})
	for _, t := range takes {
		b.Queue(quotaTakeSQL, t.w.key, t.w.start, t.w.end, t.max)
	}
	if sweep > 0 {
		b.Queue(quotaSweepSQL, calls[0].arg.at, sweep)
	}
	bad = make([]bool, len(calls))
	anyBad := false
	br := conn.SendBatch(ctx, b)
	_, err = br.Exec()
	if err == nil {
		_, err = br.Exec()
	}
	for i := 0; err == nil && i < len(calls); i++ {
		var tag pgconn.CommandTag
		tag, err = br.Exec()
		if err == nil && tag.RowsAffected() == 0 {
			bad[i], anyBad = true, true // its id or queue key is taken
		}
	}
	for i := 0; err == nil && i < len(takes); i++ {
		var uses int
		switch e := br.QueryRow().Scan(&uses); {
		case errors.Is(e, pgx.ErrNoRows):
			bad[takes[i].call], anyBad = true, true // at its Max
		default:
			err = e
		}
	}
	if err == nil && sweep > 0 {
		_, err = br.Exec()
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil || anyBad || ctx.Err() != nil {
		// The rollback ends the transaction on a connection that is still
		// good; on one that is not, or a server that does not answer, end
		// gives up within rollbackTime, and the connection is closed.
		end(ctx, conn, "ROLLBACK")
		if err != nil || ctx.Err() != nil {
			return false, nil, nil
		}
		return false, bad, nil
	}
	// Once COMMIT is sent, a caller that gives up leaves without its
	// answer, and no longer stops the group: the others may still get
	// theirs. The group waits while one of them does.
	release()
	cctx, cancel := allEnded(calls)
	defer cancel()
	for _, c := range calls {
		close(c.committing)
	}
	if err := end(cctx, conn, "COMMIT"); err != nil {
		return false, nil, fmt.Errorf("in a group of %d: %w", len(calls), err)
	}
	return true, nil, nil
}

// finish is an outcome to write: FinishMessage's arguments.
type finish struct {
	id   string
	o    notify.Outcome
	args []any // sqltext.FinishMessage's
}

// finishGroup writes the outcomes of calls, none a failure, in one batch
// and one transaction, or says which are to be written alone (see the top
// of this file). As for an outcome alone (finishBatch), the transaction
// commits without waiting for the WAL to be flushed, and holds the report
// lock of each provider id before it updates the messages; it takes them
// in the order of their keys, and the updates in the order of their ids,
// so that two groups cannot deadlock.
func (s *Store) finishGroup(calls []*call[finish]) {
	if len(calls) == 1 {
		c := calls[0]
		c.err = s.finishAlone(c.ctx, c.arg.id, c.arg.o, c.arg.args)
		c.named = true
		return
	}
	slices.SortFunc(calls, func(a, b *call[finish]) int { return cmp.Compare(text(a.arg.id), text(b.arg.id)) })
	var locks []int64
	for _, c := range calls {
		if o := c.arg.o; o.ProviderID != "" {
			locks = append(locks, reportLock(text(o.Provider), text(o.ProviderID)))
		}
	}
	slices.Sort(locks)
	locks = slices.Compact(locks)

	ctx, release := groupContext(calls)
	defer release()
	b := &pgx.Batch{}
	b.Queue(asyncCommitSQL)
	b.Queue(groupLockSQL)
	for _, l := range locks {
		b.Queue(reportLockSQL, l)
	}
	for _, c := range calls {
		b.Queue(sqltext.FinishAlone, c.arg.args...)
	}
	br := s.pool.SendBatch(ctx, b)
	var err error
	for range 2 + len(locks) {
		if _, err = br.Exec(); err != nil {
			break
		}
	}
	for i := 0; err == nil && i < len(calls); i++ {
		var tag pgconn.CommandTag
		tag, err = br.Exec()
		// No row changed: an unknown id, or a message with reports.
		calls[i].alone = tag.RowsAffected() == 0
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		// Rolled back, or its end unknown: an outcome written twice is
		// written once, so each is written again alone.
		for _, c := range calls {
			c.alone = true
		}
	}
}
