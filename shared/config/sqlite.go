//go:build !nosqlite

package config

// haveSQLite says whether this build links the embedded SQLite store, as
// shared/app's build does: the cloud builds leave it out (-tags nosqlite),
// and Load then reports a sqlite: NOTIFY_DATABASE_URL, or none, with every
// other problem.
const haveSQLite = true
