package sqlite

import (
	"path/filepath"
	"sync"
	"testing"
	"time"
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
