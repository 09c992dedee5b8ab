package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/internal/gate"
)

// Group commit: the writes a send makes (its record, its quotas, its
// outcome) are committed together with those of the other sends that come
// while a commit is in progress. A commit of SQLite in WAL mode costs about
// the same for one write as for thirty (it appends every page it changed
// to the log once), and the store's one connection makes commits take
// turns: so at 32 sends at once, one transaction for many writes is what
// lets throughput grow. docs/stores.md has the figures.
//
// Each write runs inside a savepoint of its own, so that one that fails,
// or is undone (a quota at its Max), leaves the others alone, and its
// caller is answered only once the transaction that holds it has
// committed: what a reply asserts is durable as before.

// maxGroup bounds the writes of one transaction, and so how long the first
// of them waits for the last.
const maxGroup = 64

// write is one caller's part of a group: run, in the group's transaction.
type write struct {
	run   func(ctx context.Context, tx *sql.Tx) (undo bool, err error)
	state atomic.Int32 // queued, then taken or dropped
	err   error
	done  chan struct{}
}

const (
	queued  int32 = iota
	taken         // in a group's transaction: its caller waits for the commit
	dropped       // its caller gave up before it was taken: never run
)

// committer runs the groups of a Store, one transaction at a time.
type committer struct {
	mu      sync.Mutex
	queue   []*write
	dropped int // writes given up since the queue was last compacted
	closed  bool
	wake    chan struct{} // a token when the queue is not empty
	stopped chan struct{} // closed when the loop has ended
	groups  atomic.Int64  // the groups taken, for tests
}

func newCommitter() *committer {
	return &committer{wake: make(chan struct{}, 1), stopped: make(chan struct{})}
}

// inGroup runs f in the transaction of the next group and returns its
// error once that transaction has committed, or the commit's error. undo
// from f rolls back what f wrote and is not an error. A caller whose ctx
// ends while its write waits its turn gets ctx's error, and its write never
// runs; once its write is taken, it waits for the commit.
func (s *Store) inGroup(ctx context.Context, f func(ctx context.Context, tx *sql.Tx) (undo bool, err error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w := &write{run: f, done: make(chan struct{})}
	c := s.committer
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		// Close began after the caller passed the gate: the call fails
		// as one after Close does.
		return notify.E("sqlite.write", notify.Unavailable, gate.ErrClosed)
	}
	c.queue = append(c.queue, w)
	// The token is sent under c.mu, which stop holds to close c.wake: a
	// write queued before the stop has its token, so the loop takes it
	// before it ends, and no token is sent on the closed channel.
	select {
	case c.wake <- struct{}{}:
	default: // a token is waiting already
	}
	c.mu.Unlock()
	select {
	case <-w.done:
		return w.err
	case <-ctx.Done():
		if w.state.CompareAndSwap(queued, dropped) {
			c.forget()
			return ctx.Err()
		}
		<-w.done
		return w.err
	}
}

// forget counts a write given up, and takes the writes given up out of
// the queue once they are half of it. While the loop waits (BEGIN on a
// file another process has locked waits busyTimeout, longer than a
// caller's store timeout), every send's write is given up and queued
// behind those before it: the loop takes 64 of them every busyTimeout, and
// left there they would pile up for as long as the lock is held, at the
// rate the sends come. Compacted, the queue holds about the writes still
// wanted, at a cost of a pass over it for every half of it given up.
func (c *committer) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropped++
	if c.dropped <= len(c.queue)/2 || len(c.queue) <= maxGroup {
		return
	}
	q := c.queue[:0:0]
	for _, w := range c.queue {
		if w.state.Load() != dropped {
			q = append(q, w)
		}
	}
	c.queue, c.dropped = q, 0
	if len(q) == 0 {
		c.queue = nil
	}
}

// loop commits groups until the committer is stopped and its queue empty.
func (s *Store) loop() {
	c := s.committer
	defer close(c.stopped)
	last := 0 // the writes of the last group
	for range c.wake {
		for {
			// While writes come several at a time, the goroutines ready
			// to run go first: a handler about to queue its write joins
			// this group rather than the next. One at a time, the yield
			// would only delay the write (docs/stores.md, "Group
			// commit").
			c.mu.Lock()
			if len(c.queue) > 1 || last > 1 {
				c.mu.Unlock()
				runtime.Gosched()
				c.mu.Lock()
			}
			n := min(len(c.queue), maxGroup)
			group := c.queue[:n:n]
			c.queue = c.queue[n:]
			if len(c.queue) == 0 {
				c.queue = nil
			}
			c.mu.Unlock()
			if n == 0 {
				break
			}
			last = n
			s.finishCheckpoint()
			s.commitGroup(group)
		}
	}
}

// stop ends the loop once the writes queued are committed.
func (c *committer) stop() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.wake)
	}
	c.mu.Unlock()
	<-c.stopped
}

// commitGroup runs the writes of group still wanted in one transaction,
// each in a savepoint, commits it and answers their callers. A write is
// taken, and its caller may no longer give up, only once the transaction
// has begun: a database locked by another process keeps BEGIN waiting
// (busyTimeout), and a caller whose store timeout passes meanwhile gets its
// error, its write never run.
func (s *Store) commitGroup(group []*write) {
	s.committer.groups.Add(1)
	// The statements do not run on their callers' contexts: SQLite answers
	// a write interrupted inside a transaction by rolling back the whole
	// transaction, the other callers' writes with it. Nor on one with a
	// deadline: the driver watches such a context with a goroutine per
	// statement, 7% of the time of a send's two writes. What may wait,
	// BEGIN on a file another process is writing, waits at most
	// busyTimeout.
	ctx := context.Background()
	start := time.Now()
	tx, err := s.db.BeginTx(ctx, nil)
	var ws []*write
	for _, w := range group {
		if w.state.CompareAndSwap(queued, taken) {
			ws = append(ws, w)
		}
	}
	if err != nil {
		err = fmt.Errorf("begin: %w", err)
	} else {
		var commit bool
		commit, err = s.runGroup(ctx, tx, ws)
		if !commit {
			tx.Rollback()
		} else if err = tx.Commit(); err != nil {
			err = fmt.Errorf("commit %d writes after %v: %w", len(ws), time.Since(start).Round(time.Millisecond), err)
		} else {
			s.wrote()
		}
	}
	for _, w := range ws {
		if w.err == nil {
			w.err = err
		}
		close(w.done)
	}
}

// runGroup runs ws in tx and says whether tx is to be committed. A
// write's own error is its err; the error returned is the transaction's,
// which every write shares, and which leaves tx to be rolled back.
func (s *Store) runGroup(ctx context.Context, tx *sql.Tx, ws []*write) (commit bool, err error) {
	if len(ws) == 1 {
		// Alone in its transaction, a write needs no savepoint: what it
		// undoes, the rollback undoes.
		w := ws[0]
		undo, err := w.run(ctx, tx)
		w.err = err
		return !undo && err == nil, nil
	}
	// The savepoint's statements are prepared: parsed on every write, they
	// were a tenth of the committer's time at 32 sends at once
	// (docs/stores.md, "Group commit").
	savepoint, rollbackTo, release := tx.StmtContext(ctx, s.savepoint), tx.StmtContext(ctx, s.rollbackTo),
		tx.StmtContext(ctx, s.release)
	for _, w := range ws {
		if _, err := savepoint.ExecContext(ctx); err != nil {
			return false, fmt.Errorf("savepoint: %w", err)
		}
		undo, err := w.run(ctx, tx)
		if undo || err != nil {
			if _, rerr := rollbackTo.ExecContext(ctx); rerr != nil {
				// SQLite may have ended the whole transaction with err (a
				// full disk, an I/O error): err is the cause to report.
				w.err = err
				if err == nil {
					return false, fmt.Errorf("roll back to a savepoint: %w", rerr)
				}
				return false, fmt.Errorf("roll back to a savepoint after %w: %w", err, rerr)
			}
		}
		if _, err := release.ExecContext(ctx); err != nil {
			return false, fmt.Errorf("release a savepoint: %w", err)
		}
		w.err = err
	}
	return true, nil
}
