package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/storetest"
)

// sendN records n messages and their outcomes in s, as n sends do, with
// ids from first on.
func sendN(t *testing.T, s *Store, first, n int) {
	t.Helper()
	m, o := storetest.BenchMessage()
	for i := first; i < first+n; i++ {
		m.ID = fmt.Sprintf("%032x", i)
		if err := s.CreateMessage(t.Context(), m); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishMessage(t.Context(), m.ID, o); err != nil {
			t.Fatal(err)
		}
	}
}

// openFile opens a store in a new file, closed when t ends, and returns it
// and the file's path.
func openFile(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

// inFile counts the messages the database file at path holds without its
// WAL: those a checkpoint has copied into it. It reads a copy of the file,
// so that the store's WAL stays out of sight.
func inFile(t *testing.T, path string) (int, error) {
	t.Helper()
	return rowsInFile(t, path, "messages")
}

// rowsInFile counts the rows of table the database file at path holds
// without its WAL, as inFile does.
//
// A copy taken while a checkpoint writes the file can be torn, and read as
// malformed: it is taken again, for up to 2 s, before that is an error.
func rowsInFile(t *testing.T, path, table string) (int, error) {
	t.Helper()
	for tries := 0; ; tries++ {
		n, err := rowsInCopy(t, path, table)
		if err == nil || !strings.Contains(err.Error(), "malformed") || tries == 40 {
			return n, err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// rowsInCopy counts the rows of table in a copy of the file at path.
func rowsInCopy(t *testing.T, path, table string) (int, error) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(cp, b, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", cp)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	err = db.QueryRowContext(context.Background(), "SELECT count(*) FROM "+table).Scan(&n)
	return n, err
}

// TestCheckpointInBackground: what the writes commit reaches the database
// file itself soon after, through the checkpointer, with no call to the
// store.
func TestCheckpointInBackground(t *testing.T) {
	s, path := openFile(t)
	const n = 300
	sendN(t, s, 0, n)
	waitInFile(t, s, path, "messages", n)
}

// waitInFile waits, for up to 10 s, until the database file at path holds
// n rows of table without its WAL: until a checkpoint has copied them.
func waitInFile(t *testing.T, s *Store, path, table string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		// A copy taken while a checkpoint writes may be torn: it is taken
		// again.
		got, err := rowsInFile(t, path, table)
		if err == nil && got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the file alone holds %d of the %d rows of %s (%v) after 10 s; checkpoints run: %d",
				got, n, table, err, s.checkpointer.runs.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCheckpointAfterWritesOutsideGroups: the writes that commit in
// transactions of their own (idempotency keys here; reports, events,
// codes and the rest alike) reach the database file soon after too, as
// the group commits of sends do.
func TestCheckpointAfterWritesOutsideGroups(t *testing.T) {
	s, path := openFile(t)
	const n = 300
	now := time.Now()
	for i := range n {
		k := notify.Idempotency{GroupID: "ops", Key: fmt.Sprint(i), Hash: "h", CreatedAt: now,
			ExpiresAt: now.Add(time.Hour), LeaseUntil: now.Add(time.Minute)}
		if held, err := s.ClaimIdempotency(t.Context(), k); err != nil || held != nil {
			t.Fatalf("claim %d: %v, %v", i, held, err)
		}
	}
	waitInFile(t, s, path, "idempotency", n)
}

// TestCommitsDoNotCheckpoint: with the checkpointer idle, writes that take
// the WAL well past SQLite's 1,000 pages leave the file as it was (a commit
// that checkpointed would have copied them), and Close checkpoints them.
func TestCommitsDoNotCheckpoint(t *testing.T) {
	defer func(gap time.Duration) { checkpointGap = gap }(checkpointGap)
	checkpointGap = time.Hour
	s, path := openFile(t)
	sendN(t, s, 0, 1)
	// The first commit's checkpoint runs at once; the next waits an hour.
	for start := time.Now(); s.checkpointer.runs.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatal("no checkpoint after the first commit in 10 s")
		}
	}
	before, err := inFile(t, path)
	if err != nil {
		t.Fatal(err)
	}
	const n = 600 // about 8 pages each
	sendN(t, s, 1, n)
	after, err := inFile(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("the file alone holds %d messages after %d more sends, %d before: a commit checkpointed", after, n, before)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got, err := inFile(t, path); err != nil || got != n+1 {
		t.Errorf("after Close the file holds %d messages (%v), want %d", got, err, n+1)
	}
	if _, err := os.Stat(path + "-wal"); !os.IsNotExist(err) {
		t.Errorf("after Close the WAL is still there: %v", err)
	}
}

// TestWALBoundedUnderSustainedWrites: writes that never pause leave the
// checkpointer no moment when it has copied the whole WAL, and SQLite
// starts the WAL over only from such a moment. The WAL must stay bounded
// all the same. Each send writes a 32 KiB record, 8 pages of its own at
// least, so 4,000 sends append at least 128 MB: the WAL file, which holds
// the most the WAL ever held, stays far below that only if it started over.
func TestWALBoundedUnderSustainedWrites(t *testing.T) {
	s, path := openFile(t)
	const sends, most = 4000, 100 << 20
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			m, o := storetest.BenchMessage()
			m.Params = `{"code":"` + strings.Repeat("x", 32<<10) + `"}`
			for i := next.Add(1); i <= sends && !t.Failed(); i = next.Add(1) {
				m.ID = fmt.Sprintf("%032x", i)
				if err := s.CreateMessage(t.Context(), m); err != nil {
					t.Error(err)
					return
				}
				if err := s.FinishMessage(t.Context(), m.ID, o); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	var peak int64
	for {
		if fi, err := os.Stat(path + "-wal"); err == nil {
			peak = max(peak, fi.Size())
		}
		select {
		case <-done:
			if peak >= most {
				t.Errorf("the WAL grew to %d MB under %d sends that never paused; want under %d MB",
					peak>>20, sends, most>>20)
			}
			return
		case <-time.After(10 * time.Millisecond):
		}
		if peak >= most {
			t.Errorf("the WAL grew to %d MB before %d sends that never paused were done; want under %d MB",
				peak>>20, sends, most>>20)
			next.Store(sends)
			wg.Wait()
			return
		}
	}
}

// TestFinishCheckpointStartsTheWALOver: once the checkpointer has found
// the WAL long, the committer copies what the checkpointer could not (the
// commits made while it ran; here, those a reader's snapshot kept from
// it) before its next group, and that group starts the WAL over rather
// than appending to it.
func TestFinishCheckpointStartsTheWALOver(t *testing.T) {
	defer func(gap time.Duration) { checkpointGap = gap }(checkpointGap)
	checkpointGap = time.Hour // the checkpointer runs once, at the first commit
	ctx := t.Context()
	s, path := openFile(t)
	sendN(t, s, 0, 50)
	reader, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	snapshot, err := reader.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := snapshot.QueryRowContext(ctx, "SELECT count(*) FROM messages").Scan(&n); err != nil {
		t.Fatal(err)
	}
	sendN(t, s, 50, 50)
	// What the checkpointer does while commits go on: it copies what no
	// reader needs, here the first 50 sends.
	frames := walFrames(t, s)
	if err := snapshot.Commit(); err != nil {
		t.Fatal(err)
	}
	s.checkpointer.long.Store(true)
	sendN(t, s, 100, 1)
	if after := walFrames(t, s); after >= frames {
		t.Errorf("the WAL holds %d pages after one more send, %d before: it grew rather than started over", after, frames)
	}
}

// walFrames runs a checkpoint on the checkpointer's connection, as the
// checkpointer does, and returns the pages the WAL holds.
func walFrames(t *testing.T, s *Store) int {
	t.Helper()
	var busy, frames, copied int
	if err := s.checkpointer.db.QueryRowContext(t.Context(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied); err != nil {
		t.Fatal(err)
	}
	return frames
}
