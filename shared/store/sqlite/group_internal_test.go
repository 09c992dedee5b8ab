package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// openGroupTest opens a store with a table t(x) for the writes of a group,
// whose y must name a row of u, checked at commit.
func openGroupTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "notify.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, q := range []string{
		"CREATE TABLE u (y INTEGER PRIMARY KEY)",
		"CREATE TABLE t (x INTEGER PRIMARY KEY, y INTEGER REFERENCES u (y) DEFERRABLE INITIALLY DEFERRED)",
	} {
		if _, err := s.db.ExecContext(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// insert is a write that inserts x into t (with y, when not 0), then
// fails with err or is undone.
func insert(x, y int, undo bool, err error) func(context.Context, *sql.Tx) (bool, error) {
	return func(ctx context.Context, tx *sql.Tx) (bool, error) {
		var yv any
		if y != 0 {
			yv = y
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO t (x, y) VALUES (?, ?)", x, yv); err != nil {
			return false, err
		}
		return undo, err
	}
}

func rows(t *testing.T, s *Store) map[int]bool {
	t.Helper()
	r, err := s.db.QueryContext(t.Context(), "SELECT x FROM t")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := map[int]bool{}
	for r.Next() {
		var x int
		if err := r.Scan(&x); err != nil {
			t.Fatal(err)
		}
		got[x] = true
	}
	return got
}

// TestGroupIsolatesWrites: in one transaction, a write that fails and one
// that is undone leave nothing, and the others are committed.
func TestGroupIsolatesWrites(t *testing.T) {
	s := openGroupTest(t)
	boom := errors.New("boom")
	ws := []*write{
		{run: insert(1, 0, false, nil), done: make(chan struct{})},
		{run: insert(2, 0, false, boom), done: make(chan struct{})},
		{run: insert(3, 0, true, nil), done: make(chan struct{})},
		{run: insert(1, 0, false, nil), done: make(chan struct{})}, // 1 is taken: a constraint error
		{run: insert(4, 0, false, nil), done: make(chan struct{})},
	}
	s.commitGroup(ws)
	for i, want := range []bool{true, false, true, false, true} {
		<-ws[i].done
		if ok := ws[i].err == nil; ok != want {
			t.Errorf("write %d: %v; want success %v", i, ws[i].err, want)
		}
	}
	if !errors.Is(ws[1].err, boom) {
		t.Errorf("write 1: %v; want its own error", ws[1].err)
	}
	if got := rows(t, s); len(got) != 2 || !got[1] || !got[4] {
		t.Errorf("rows %v; want 1 and 4 alone", got)
	}
}

// TestGroupCommitFails: a commit that fails fails every write of its
// group, and keeps none of them.
func TestGroupCommitFails(t *testing.T) {
	s := openGroupTest(t)
	ws := []*write{
		{run: insert(1, 0, false, nil), done: make(chan struct{})},
		{run: insert(2, 7, false, nil), done: make(chan struct{})}, // no u 7: the commit fails
		{run: insert(3, 0, false, nil), done: make(chan struct{})},
	}
	s.commitGroup(ws)
	for i, w := range ws {
		if w.err == nil {
			t.Errorf("write %d succeeded; want the commit's error", i)
		}
	}
	if got := rows(t, s); len(got) != 0 {
		t.Errorf("rows %v; want none", got)
	}
}

// TestGroupDropsWhatWasGivenUp: a caller that gives up while its write
// waits its turn gets its context's error at once, and its write never
// runs; the writes queued with it are committed together.
func TestGroupDropsWhatWasGivenUp(t *testing.T) {
	s := openGroupTest(t)
	ctx := t.Context()
	// Hold the one connection, so that the writes queue.
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	first := make(chan error, 1)
	go func() { first <- s.inGroup(ctx, insert(1, 0, false, nil)) }() // its group waits for the connection
	waitQueue(t, s, 0, 1)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	gaveUp, cancel := context.WithCancel(ctx)
	given := make(chan error, 1)
	for i := range 3 {
		if i == 1 {
			go func() { given <- s.inGroup(gaveUp, insert(10+i, 0, false, nil)) }()
			continue
		}
		wg.Go(func() { errs[i] = s.inGroup(ctx, insert(10+i, 0, false, nil)) })
	}
	waitQueue(t, s, 3, 0)
	cancel()
	select {
	case err := <-given:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("the caller that gave up: %v; want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the caller that gave up still waits for the connection")
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if err := <-first; err != nil || errs[0] != nil || errs[2] != nil {
		t.Fatalf("the others: %v, %v, %v; want success", err, errs[0], errs[2])
	}
	if got := rows(t, s); len(got) != 3 || !got[1] || !got[10] || !got[12] || got[11] {
		t.Errorf("rows %v; want 1, 10 and 12, not 11", got)
	}
}

// waitQueue waits until the committer's queue holds n writes, and it has
// run at least groups groups' transactions.
func waitQueue(t *testing.T, s *Store, n, groups int) {
	t.Helper()
	for range 5000 {
		s.committer.mu.Lock()
		q := len(s.committer.queue)
		s.committer.mu.Unlock()
		if q == n && s.committer.groups.Load() >= int64(groups) {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("the queue never held %d writes", n)
}

// TestGroupCloseCommitsQueued: Close commits the writes queued before it,
// and a write after it is refused.
func TestGroupCloseCommitsQueued(t *testing.T) {
	s := openGroupTest(t)
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Go(func() { errs[i] = s.inGroup(t.Context(), insert(i+1, 0, false, nil)) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("write %d: %v", i, err)
		}
	}
	if got := rows(t, s); len(got) != len(errs) {
		t.Errorf("%d rows; want %d", len(got), len(errs))
	}
	s.committer.stop()
	if err := s.inGroup(t.Context(), insert(99, 0, false, nil)); err == nil {
		t.Error("a write after the committer stopped succeeded")
	}
}

// TestGroupQueueKeepsNoDroppedWrites: while the committer waits (another
// holder of the store's one connection, as a file locked by another
// process keeps BEGIN waiting), the writes whose callers gave up do not
// pile up in its queue: the queue holds about the writes still wanted,
// however many gave up meanwhile.
func TestGroupQueueKeepsNoDroppedWrites(t *testing.T) {
	s := openGroupTest(t)
	ctx := t.Context()
	tx, err := s.db.BeginTx(ctx, nil) // the committer's BEGIN waits for it
	if err != nil {
		t.Fatal(err)
	}
	first := make(chan error, 1)
	go func() { first <- s.inGroup(ctx, insert(1, 0, false, nil)) }()
	waitQueue(t, s, 0, 1)
	live := make(chan error, 1)
	go func() { live <- s.inGroup(ctx, insert(2, 0, false, nil)) }() // still wanted
	waitQueue(t, s, 1, 1)
	const rounds, perRound = 10, 500
	for r := range rounds {
		s.committer.mu.Lock()
		before := len(s.committer.queue)
		s.committer.mu.Unlock()
		gaveUp, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for i := range perRound {
			wg.Go(func() { _ = s.inGroup(gaveUp, insert(1000+r*perRound+i, 0, false, nil)) })
		}
		// Every write of the round queued, then given up.
		for range 5000 {
			s.committer.mu.Lock()
			q := len(s.committer.queue)
			s.committer.mu.Unlock()
			if q >= before+perRound {
				break
			}
			time.Sleep(time.Millisecond)
		}
		cancel()
		wg.Wait()
	}
	s.committer.mu.Lock()
	q := len(s.committer.queue)
	s.committer.mu.Unlock()
	if q > 2*maxGroup {
		t.Errorf("the queue holds %d writes after %d gave up; want at most %d", q, rounds*perRound, 2*maxGroup)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-live; err != nil {
		t.Fatal(err)
	}
	if got := rows(t, s); len(got) != 2 || !got[1] || !got[2] {
		t.Errorf("rows %v; want 1 and 2 alone", got)
	}
}
