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
// meanwhile. The committer's finishCheckpoint gives the group commits
// that moment once the WAL is restartAt pages long; walLimit is the last
// resort, for a store written only outside group commits. Its own
// checkpoint copies what the checkpointer left, and the next write starts
// the WAL over.
const walLimit = 10_000

// restartAt is the WAL's length, in pages, from which the committer
// finishes a checkpoint of the checkpointer's (finishCheckpoint), so that
// the WAL starts over. Each finish syncs the WAL and the file while
// writes wait: at every checkpoint, 8 sends at once had a p99 of 9 ms
// rather than 6 ms, so it waits for a WAL of 16 MB.
const restartAt = 4_000

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
	// long is set by a checkpoint that found the WAL restartAt pages
	// long or longer, and cleared by the committer's finishCheckpoint.
	long atomic.Bool
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
		var busy, frames, copied int
		err := c.db.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied)
		c.runs.Add(1)
		if err == nil && frames >= restartAt {
			c.long.Store(true)
		}
		gap.Reset(c.gap)
		select {
		case <-gap.C:
		case <-c.quit:
			return
		}
	}
}

// finishCheckpoint copies, between two groups, what commits appended to
// the WAL while the checkpointer's last checkpoint ran, once one has found
// the WAL restartAt pages long. With no write in progress it leaves the
// WAL all copied, and the next write starts the WAL over rather than
// growing it: under writes that never pause, the checkpointer alone never
// leaves it so. It copies only the pages of the commits made while that
// checkpoint ran, so the writes waiting behind it wait little.
func (s *Store) finishCheckpoint() {
	if s.checkpointer == nil || !s.checkpointer.long.Swap(false) {
		return
	}
	// A failure leaves the WAL as it was, for the next call.
	_, _ = s.db.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)")
}

// stop ends the checkpoints, waiting for one in progress, and closes the
// checkpointer's connection. The last connection to the file to close
// checkpoints what remains.
func (c *checkpointer) stop() error {
	close(c.quit)
	<-c.stopped
	return c.db.Close()
}
