//go:build nosqlite

package config

// haveSQLite says whether this build links the embedded SQLite store: with
// -tags nosqlite it does not (see sqlite.go).
const haveSQLite = false
