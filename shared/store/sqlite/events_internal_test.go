package sqlite

import (
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/store/storetest"
)

// TestPurgedEventNotWrittenAgain: storetest.CheckPurgedEventNotWrittenAgain.
func TestPurgedEventNotWrittenAgain(t *testing.T) {
	s, _ := openFile(t)
	storetest.CheckPurgedEventNotWrittenAgain(t, s, func(t *testing.T, at time.Time) {
		for _, sql := range []string{`UPDATE reports SET received_at = $1`, `UPDATE events SET happened_at = $1, done_at = $1`} {
			if _, err := s.db.ExecContext(t.Context(), sql, formatTime(at)); err != nil {
				t.Fatal(err)
			}
		}
	})
}
