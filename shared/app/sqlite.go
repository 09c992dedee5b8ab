//go:build !nosqlite

package app

import (
	"time"

	"github.com/seed4ddb146e/notify/shared/store/sqlite"
)

// haveSQLite says whether this build links the embedded SQLite store. The
// cloud builds (make build) leave it out with -tags nosqlite: a function
// instance's disk is neither shared nor kept, so they keep records in
// PostgreSQL, and the binary is 4 MB smaller and starts faster.
const haveSQLite = true

func newSQLite(path string, timeout time.Duration) (store, error) {
	st, err := sqlite.New(path, sqlite.Options{Timeout: timeout})
	if err != nil {
		return nil, err // not st: a nil *Store would be a non-nil store
	}
	return st, nil
}
