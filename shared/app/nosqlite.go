//go:build nosqlite

package app

import (
	"time"

	"github.com/seed4ddb146e/notify/shared/config"
)

// haveSQLite says whether this build links the embedded SQLite store: with
// -tags nosqlite it does not (see sqlite.go).
const haveSQLite = false

func newSQLite(string, time.Duration) (store, error) { return nil, config.ErrNoSQLite }
