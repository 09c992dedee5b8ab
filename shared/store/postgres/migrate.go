package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
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

// migration is one numbered schema change.
type migration struct {
	version int
	name    string // the file name, recorded with the version
	sql     string
}

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
		return hide.wrap("postgres: migrate "+where(cfg), err)
	}
	defer pool.Close()
	if err := migrate(ctx, pool, fsys); err != nil {
		return hide.wrap("postgres: migrate "+where(cfg), err)
	}
	return nil
}

// readMigrations returns the *.sql files at the root of fsys in version
// order. A name must start with a positive number followed by "_"; two files
// may not share a number.
func readMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	ms := make([]migration, 0, len(names))
	for _, name := range names {
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must be NNN_what.sql with NNN > 0", name)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", name, err)
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", ms[i-1].name, ms[i].name, ms[i].version)
		}
	}
	return ms, nil
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
// are left alone: migrations only add, so older code keeps working.
func migrate(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS) error {
	ms, err := readMigrations(fsys)
	if err != nil {
		return err
	}
	applied, err := appliedVersions(ctx, pool)
	if err != nil {
		return err
	}
	if !missing(ms, applied) {
		return nil
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
		return fmt.Errorf("take the migration lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER     NOT NULL PRIMARY KEY,
	name       TEXT        NOT NULL,
	applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	if applied, err = appliedVersions(ctx, tx); err != nil {
		return err
	}
	for _, m := range ms {
		if applied[m.version] {
			continue
		}
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return fmt.Errorf("apply migration %s: %w", m.name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`,
			m.version, m.name); err != nil {
			return fmt.Errorf("record migration %s: %w", m.name, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit the migrations: %w", err)
	}
	return nil
}

// missing reports whether any of ms is not applied.
func missing(ms []migration, applied map[int]bool) bool {
	for _, m := range ms {
		if !applied[m.version] {
			return true
		}
	}
	return false
}

// querier is what appliedVersions reads through: the pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// appliedVersions reads schema_migrations, which may not exist yet.
func appliedVersions(ctx context.Context, q querier) (map[int]bool, error) {
	var exists bool
	if err := q.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return nil, fmt.Errorf("read schema version: %w", err)
	}
	applied := make(map[int]bool)
	if !exists {
		return applied, nil
	}
	rows, err := q.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("read schema version: %w", err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return nil, fmt.Errorf("read schema version: %w", err)
	}
	for _, v := range versions {
		applied[int(v)] = true
	}
	return applied, nil
}
