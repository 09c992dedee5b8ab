package postgres

import (
	"context"
	"io/fs"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/seed4ddb146e/notify/shared/store/internal/sqltext"
	"github.com/seed4ddb146e/notify/shared/store/postgres/pgtest"
)

// The package's insides, for its external tests.

// testPG is the server of the package's tests, internal and external.
var testPG pgtest.Cluster

// Cluster returns the server of the package's tests, which the external
// tests' TestMain stops.
func Cluster() *pgtest.Cluster { return &testPG }

// MigrateFS applies the migrations in fsys to the database at url.
func MigrateFS(ctx context.Context, url string, fsys fs.FS) error { return migrateURL(ctx, url, fsys) }

// Migrations returns the embedded migrations.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err)
	}
	return sub
}

// PoolConfig returns the configuration of s's pool.
func (s *Store) PoolConfig() *pgxpool.Config { return s.pool.Config() }

// ByQueueKeySQL is the statement of MessageByQueueKey.
const ByQueueKeySQL = sqltext.MessageByQueueKey
