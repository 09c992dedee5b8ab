package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/seed4ddb146e/notify/shared/store/migration"
)

// migrations holds the schema, one numbered file per change:
// migrations/NNN_what.sql, numbered as the SQLite store's are. A file, once
// released, is never edited; a change is a new file with the next number.
//
//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the key of the advisory lock that serializes migrations
// within a database: the first eight bytes of "notify.m" read as a number.
const migrationLock = 0x6e6f746966792e6d

// Migrate applies the migrations the database at url lacks, as Open does,
// for a command that prepares a database before the functions start.
func Migrate(ctx context.Context, url string) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return migrateURL(ctx, url, sub)
}

// migrateURL applies the migrations in fsys to the database at url, on a
// connection of its own.
func migrateURL(ctx context.Context, url string, fsys fs.FS) error {
	cfg, hide, err := parseURL(url)
	if err != nil {
		return err
	}
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return hide.wrap("postgres: open "+where(cfg), err)
	}
	defer pool.Close()
	if err := migrate(ctx, pool, fsys); err != nil {
		return hide.wrap("postgres: migrate "+where(cfg), err)
	}
	return nil
}

// migrate applies the migrations in fsys that the database has not seen,
// all in one transaction that also records their versions in
// schema_migrations: PostgreSQL's DDL is transactional, so a failing
// migration leaves nothing behind.
//
// An up-to-date database is only read. Otherwise the transaction first takes
// the advisory lock migrationLock, and reads schema_migrations again under
// it: of several instances starting at once on a new database, one applies
// the migrations while the others wait for its commit, then find nothing
// left to do. Versions the database has and fsys lacks, from a newer binary,
// are left alone: migrations only add, so older code keeps working. A
// version the database records under another file name than fsys's is
// refused (migration.Check), whether or not anything is missing.
//
// Under the migration lock, each statement waits for a table's lock at
// most migrationLockTimeout; a migration that ran out of it is rolled back
// and tried again, until ctx ends, so that the other instances' statements
// on that table are never held up for longer than that.
func migrate(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS) error {
	// The files are read while the database is asked for its versions. On
	// a cold start, that question makes the pool's first connection, most
	// of the open; read first, the files held the connection back by about
	// half a millisecond (docs/stores.md, "Opening on a cold start").
	files := make(chan readResult, 1)
	go func() {
		ms, err := migration.Read(fsys)
		files <- readResult{ms, err}
	}()
	applied, err := appliedVersions(ctx, pool)
	read := <-files
	if read.err != nil {
		return read.err
	}
	if err != nil {
		return err
	}
	ms := read.ms
	if err := migration.Check(ms, applied); err != nil {
		return err
	}
	if !missing(ms, applied) {
		return nil
	}
	for {
		err := migrateOnce(ctx, pool, ms)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != lockNotAvailable {
			return err
		}
		// A table a migration changes is held by another transaction:
		// give the statements queued behind the migration their turn,
		// and try again.
		select {
		case <-time.After(migrationRetryAfter):
		case <-ctx.Done():
			return fmt.Errorf("%w (a table it changes is held by another transaction)", err)
		}
	}
}

// migrationLockTimeout bounds the wait of each statement of a migration
// for a lock on a table, and migrationRetryAfter is how long the runner
// waits before it tries again after such a wait ran out. A migration that
// changes a table asks for its exclusive lock, and, while it waits for a
// transaction that holds the table (a long report query, a pg_dump, a
// session left idle in a transaction), every statement of the other
// instances on that table queues behind it: without a bound, each of
// them would fail at its store timeout for as long as that transaction
// lasted. With it, they wait at most migrationLockTimeout.
const (
	migrationLockTimeout = 500 * time.Millisecond
	migrationRetryAfter  = 250 * time.Millisecond
)

// lockNotAvailable is PostgreSQL's SQLSTATE for a lock wait that ran out
// (lock_timeout).
const lockNotAvailable = "55P03"

// migrationLockSQL sets the lock timeout of the migration's transaction,
// once it holds the migration lock (which it waits for as long as it
// takes: another instance is migrating).
var migrationLockSQL = fmt.Sprintf(`SELECT set_config('lock_timeout', '%dms', true)`, migrationLockTimeout.Milliseconds())

// migrateOnce applies, in one transaction, the migrations of ms that the
// database has not seen, as migrate says.
func migrateOnce(ctx context.Context, pool *pgxpool.Pool, ms []migration.Migration) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer rollback(ctx, tx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
		return fmt.Errorf("take the migration lock: %w", err)
	}
	if _, err := tx.Exec(ctx, migrationLockSQL); err != nil {
		return fmt.Errorf("set the migration's lock timeout: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER     NOT NULL PRIMARY KEY,
	name       TEXT        NOT NULL,
	applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	applied, err := appliedVersions(ctx, tx)
	if err != nil {
		return err
	}
	if err := migration.Check(ms, applied); err != nil {
		return err
	}
	for _, m := range ms {
		if _, ok := applied[m.Version]; ok {
			continue
		}
		// No parameters: pgx sends it in the simple protocol, which runs
		// a file of several statements.
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return fmt.Errorf("apply migration %s: %w", m.Name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`,
			m.Version, m.Name); err != nil {
			return fmt.Errorf("record migration %s: %w", m.Name, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit the migrations: %w", err)
	}
	return nil
}

// readResult is what migration.Read returned.
type readResult struct {
	ms  []migration.Migration
	err error
}

// missing reports whether any of ms is not applied.
func missing(ms []migration.Migration, applied map[int]string) bool {
	for _, m := range ms {
		if _, ok := applied[m.Version]; !ok {
			return true
		}
	}
	return false
}

// appliedVersions reads schema_migrations, which may not exist yet, each
// version with the file name recorded with it, in one round trip: on an
// up-to-date database, this is all an open does. It is sent in pgx's exec
// mode, as the unnamed statement: in pgx's default
// mode, a statement's first use on a connection is prepared first, in a
// round trip of its own, and this one runs once per connection. (Not as
// a simple query: pgx refuses those on a server whose
// standard_conforming_strings is off, which PostgreSQL still allows.)
func appliedVersions(ctx context.Context, q querier) (map[int]string, error) {
	applied := make(map[int]string)
	once := []any{pgx.QueryExecModeExec}
	err := each(ctx, q, `SELECT version, name FROM schema_migrations`, once, func(r pgx.Rows) error {
		var v int32
		var name string
		err := r.Scan(&v, &name)
		applied[int(v)] = name
		return err
	})
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == undefinedTable {
		return applied, nil // a new database
	}
	if err != nil {
		return nil, fmt.Errorf("read schema version: %w", err)
	}
	return applied, nil
}

// undefinedTable is PostgreSQL's SQLSTATE for a table that does not exist.
const undefinedTable = "42P01"
