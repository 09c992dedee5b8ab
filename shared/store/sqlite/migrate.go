package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"time"

	"github.com/seed4ddb146e/notify/shared/store/migration"
)

// migrations holds the schema, one numbered file per change:
// migrations/NNN_what.sql. A file, once released, is never edited; a change
// is a new file with the next number.
//
//go:embed migrations/*.sql
var migrations embed.FS

// migrate applies the migrations in fsys that db has not seen, each in a
// transaction of its own that also records its version in
// schema_migrations. The database's connections begin IMMEDIATE
// transactions, so of two processes opening a new file at once one applies a
// migration while the other waits (beginWaiting: past the busy timeout,
// as long as ctx lets it), then finds it applied and skips it.
// Versions the database has and fsys lacks, from a newer binary, are left
// alone: migrations only add, so older code keeps working. A version the
// database records under another file name than fsys's is refused
// (migration.Check).
func migrate(ctx context.Context, db *sql.DB, fsys fs.FS) error {
	ms, err := migration.Read(fsys)
	if err != nil {
		return err
	}
	applied, err := appliedVersions(ctx, db)
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
		if err := apply(ctx, db, m); err != nil {
			return fmt.Errorf("apply migration %s: %w", m.Name, err)
		}
	}
	return nil
}

// appliedVersions reads schema_migrations, each version with the file name
// recorded with it, without taking the write lock, so reopening an
// up-to-date database writes nothing.
func appliedVersions(ctx context.Context, db *sql.DB) (map[int]string, error) {
	var exists bool
	err := db.QueryRowContext(ctx,
		`SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations')`).Scan(&exists)
	if err != nil {
		return nil, fmt.Errorf("read schema version: %w", err)
	}
	applied := make(map[int]string)
	if !exists {
		return applied, nil
	}
	rows, err := db.QueryContext(ctx, `SELECT version, name FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("read schema version: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v int
		var name string
		if err := rows.Scan(&v, &name); err != nil {
			return nil, fmt.Errorf("read schema version: %w", err)
		}
		applied[v] = name
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema version: %w", err)
	}
	return applied, nil
}

// apply runs m unless another process got there first.
func apply(ctx context.Context, db *sql.DB, m migration.Migration) error {
	tx, err := beginWaiting(ctx, db)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER NOT NULL PRIMARY KEY,
	name       TEXT    NOT NULL,
	applied_at TEXT    NOT NULL
) STRICT`); err != nil {
		return err
	}
	var done bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`,
		m.Version).Scan(&done); err != nil {
		return err
	}
	if done {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
		m.Version, m.Name, formatTime(time.Now())); err != nil {
		return err
	}
	return tx.Commit()
}

// beginWaiting begins an IMMEDIATE transaction on db, waiting for the
// write lock as long as ctx lets it. Another process applying a migration
// holds the lock for as long as the migration takes (012 to 014 on
// 800,000 messages: 18 s in all), past the busy timeout, after which
// SQLite answers SQLITE_BUSY: the BEGIN is tried again (whileBusy) until
// ctx ends.
func beginWaiting(ctx context.Context, db *sql.DB) (*sql.Tx, error) {
	var tx *sql.Tx
	err := whileBusy(ctx, func() (err error) {
		tx, err = db.BeginTx(ctx, nil)
		return err
	})
	return tx, err
}
