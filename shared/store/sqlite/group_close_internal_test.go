package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/internal/gate"
)

// TestGroupStopRacesWrites: writes that race the committer's stop are each
// either committed or refused; none panics (a token sent on the closed
// wake channel) and none is left in the queue unanswered.
func TestGroupStopRacesWrites(t *testing.T) {
	for round := range 100 {
		s, err := Open(t.Context(), filepath.Join(t.TempDir(), "notify.db"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.db.ExecContext(t.Context(), "CREATE TABLE t (x INTEGER PRIMARY KEY)"); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 8 {
			wg.Go(func() {
				<-start
				s.inGroup(t.Context(), insert(i+1, 0, false, nil))
			})
		}
		close(start)
		s.committer.stop()
		finished := make(chan struct{})
		go func() { wg.Wait(); close(finished) }()
		select {
		case <-finished:
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: a write queued before the stop was never answered", round)
		}
		s.Close()
	}
}

// TestGroupKeepsTheCauseOfALostTransaction: a write whose error came with
// the end of the whole transaction (SQLite rolls it back on a full disk,
// an I/O error or an interrupted write; here the write ends it itself)
// gets its own error, and the group's error names that cause, not only
// the savepoint that is gone with it.
func TestGroupKeepsTheCauseOfALostTransaction(t *testing.T) {
	s := openGroupTest(t)
	full := errors.New("database or disk is full")
	lost := func(ctx context.Context, tx *sql.Tx) (bool, error) {
		if _, err := tx.ExecContext(ctx, "ROLLBACK"); err != nil {
			return false, err
		}
		return false, full
	}
	ws := []*write{
		{run: insert(1, 0, false, nil), done: make(chan struct{})},
		{run: lost, done: make(chan struct{})},
		{run: insert(3, 0, false, nil), done: make(chan struct{})},
	}
	s.commitGroup(ws)
	for i, w := range ws {
		if !errors.Is(w.err, full) {
			t.Errorf("write %d: %v; want an error that names its cause, %q", i, w.err, full)
		}
	}
	if got := rows(t, s); len(got) != 0 {
		t.Errorf("rows %v; want none", got)
	}
}

// TestGroupWriteAfterStopIsUnavailable: a write that passed the gate as
// Close began, and finds the committer stopped, fails as a call on a
// closed store does: of kind Unavailable, gate.ErrClosed.
func TestGroupWriteAfterStopIsUnavailable(t *testing.T) {
	s := openGroupTest(t)
	s.committer.stop()
	now := time.Now()
	err := s.CreateMessage(t.Context(), &notify.Message{ID: "m1", GroupID: "g", Channel: notify.SMS,
		Status: notify.Accepted, CreatedAt: now, UpdatedAt: now})
	if notify.KindOf(err) != notify.Unavailable || !errors.Is(err, gate.ErrClosed) {
		t.Errorf("CreateMessage after the committer stopped: %v (kind %v); want Unavailable, gate.ErrClosed", err, notify.KindOf(err))
	}
}
