//go:build nosqlite

package app

import "context"

// haveSQLite says whether this build links the embedded SQLite store: with
// -tags nosqlite it does not (see sqlite.go).
const haveSQLite = false

func openSQLite(context.Context, string) (Store, error) { return nil, errNoSQLite }
