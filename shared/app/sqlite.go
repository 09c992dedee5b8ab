//go:build !nosqlite

package app

import (
	"context"

	"github.com/seed4ddb146e/notify/shared/store/sqlite"
)

// haveSQLite says whether this build links the embedded SQLite store. The
// cloud builds (make build) leave it out with -tags nosqlite: a function
// instance's disk is neither shared nor kept, so they keep records in
// PostgreSQL, and the binary is 4 MB smaller and starts faster.
const haveSQLite = true

var _ Store = (*sqlite.Store)(nil)

func openSQLite(ctx context.Context, path string) (Store, error) { return sqlite.Open(ctx, path) }
