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
