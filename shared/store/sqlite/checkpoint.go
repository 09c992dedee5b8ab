package sqlite

import (
	"context"
	"database/sql"
	"sync/atomic"
	"time"
)

// Checkpoints in the background. A checkpoint copies the pages the WAL
// holds into the database file and syncs both. Left to SQLite, the commit
// that takes the WAL past 1,000 pages runs it, and the writes of that
// commit's callers wait for it: at one send at a time, p99 was 6 ms for a
// p50 of 0.3 ms. So a goroutine runs a PASSIVE checkpoint, which never
// holds up a writer, on a connection of its own, soon after commits grew
// the WAL, and the store's commits checkpoint only if the WAL grows past
// walLimit all the same. docs/stores.md has the figures.

// walLimit is the WAL's size, in pages, past which a commit checkpoints
// after all, as SQLite's default does past 1,000. SQLite starts the WAL
// over, rather than growing it, only at a write that finds it all copied,
// and writes that never pause leave the checkpointer no such moment: it
// copies what was committed when it began, and commits append more
// meanwhile. A commit's own checkpoint copies what the checkpointer left,
// with no write of the store's in between, so the next write starts the
// WAL over. Ten times SQLite's default keeps that off the commits of a
// store whose writes stop now and then for longer than checkpointGap,
// and makes it rarer than SQLite's default in a busy one.
const walLimit = 10_000

// checkpointGap is the least time from one checkpoint to the next. What
// commits append meanwhile waits in the WAL for the next: at 6,000 sends
// a second, a few megabytes (the file itself grows to walLimit's 40 MB
// under writes that never pause). A checkpoint syncs the WAL and the file
// once each, whatever it copies, so spacing them out keeps that cost
// small under load.
var checkpointGap = 100 * time.Millisecond

// checkpointer runs the checkpoints of a Store's file.
type checkpointer struct {
	db      *sql.DB       // its own connection, which neither reads nor writes records
	gap     time.Duration // checkpointGap when it started
	wake    chan struct{} // a token once a commit has grown the WAL
	quit    chan struct{} // closed by stop
	stopped chan struct{} // closed when the loop has ended
	runs    atomic.Int64  // checkpoints run, for tests
}

// startCheckpointer starts checkpointing the file db opens, once a commit
// asks for it (poke). It owns db, and closes it when stopped.
func startCheckpointer(db *sql.DB) *checkpointer {
	db.SetMaxOpenConns(1)
	c := &checkpointer{db: db, gap: checkpointGap, wake: make(chan struct{}, 1), quit: make(chan struct{}), stopped: make(chan struct{})}
	go c.loop()
	return c
}

// poke says a commit has appended to the WAL. It never blocks.
func (c *checkpointer) poke() {
	select {
	case c.wake <- struct{}{}:
	default: // a checkpoint is asked for already
	}
}

// wrote says a call of s may have committed a write, so that the
// checkpointer copies it soon. The group commits say so themselves; every
// other call that writes defers it. A call that wrote nothing costs a
// checkpoint that copies nothing, at most one per checkpointGap.
func (s *Store) wrote() {
	if s.checkpointer != nil {
		s.checkpointer.poke()
	}
}

func (c *checkpointer) loop() {
	defer close(c.stopped)
	gap := time.NewTimer(0)
	for {
		select {
		case <-c.wake:
		case <-c.quit:
			return
		}
		// A checkpoint that fails (another process holds the file's
		// checkpoint lock, or a reader holds old pages) leaves the WAL to
		// the next, and at the latest to Close. It loses nothing: the WAL
		// keeps every commit until a checkpoint has copied it.
		_, _ = c.db.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)")
		c.runs.Add(1)
		gap.Reset(c.gap)
		select {
		case <-gap.C:
		case <-c.quit:
			return
		}
	}
}

// stop ends the checkpoints, waiting for one in progress, and closes the
// checkpointer's connection. The last connection to the file to close
// checkpoints what remains.
func (c *checkpointer) stop() error {
	close(c.quit)
	<-c.stopped
	return c.db.Close()
}
