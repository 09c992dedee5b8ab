package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/storetest"
)

func TestReportsContract(t *testing.T) {
	storetest.RunReports(t, func(t *testing.T) notify.Store {
		return openFile(t, filepath.Join(t.TempDir(), "notify.db"))
	})
}

// BenchmarkRecordReport is storetest.BenchRecordReport.
func BenchmarkRecordReport(b *testing.B) {
	storetest.BenchRecordReport(b, func(b *testing.B) notify.Store {
		return openFile(b, filepath.Join(b.TempDir(), "notify.db"))
	})
}

// TestLostOutcomeTwoStores races a lost outcome and a report of the
// message through two Stores on one file (storetest.RaceLostOutcome).
func TestLostOutcomeTwoStores(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify.db")
	storetest.RaceLostOutcome(t, openFile(t, path), openFile(t, path))
}
