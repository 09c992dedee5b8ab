package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/storetest"
)

func TestEventsContract(t *testing.T) {
	storetest.RunEvents(t, func(t *testing.T) notify.Store {
		return openFile(t, filepath.Join(t.TempDir(), "notify.db"))
	})
}

// TestPurgeTwoStores races purges through two Stores on one file, as the
// scheduled work of two instances sharing a disk would: every old message
// goes with its reports.
func TestPurgeTwoStores(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify.db")
	storetest.RacePurge(t, openFile(t, path), openFile(t, path))
}
