package postgres

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"net"
	"path/filepath"
	"testing"

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

// proxySocket returns a unix socket of its own for a proxy
// (pgtest.Proxy).
func proxySocket(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("unix", filepath.Join(t.TempDir(), ".s.PGSQL.5432"))
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// FreezingProxy serves the PostgreSQL server at dbURL on a unix socket of
// its own, and calls onSend before it forwards a chunk of a client's
// stream that holds trigger. It returns the URL to connect to.
func FreezingProxy(t *testing.T, dbURL string, trigger []byte, onSend func()) string {
	t.Helper()
	return watchingProxy(t, dbURL, func() func([]byte) {
		return func(chunk []byte) {
			if bytes.Contains(chunk, trigger) {
				onSend()
			}
		}
	})
}

// watchingProxy serves the PostgreSQL server at dbURL on a unix socket of
// its own, and shows each chunk of a client's stream to the server, before
// it forwards it, to a watch function of the chunk's connection: watcher
// returns one for each connection. It returns the URL to connect to.
func watchingProxy(t *testing.T, dbURL string, watcher func() func(chunk []byte)) string {
	t.Helper()
	return pgtest.Proxy(t, proxySocket(t), dbURL, func(c, s net.Conn) {
		watch := watcher()
		go func() { io.Copy(c, s); c.Close() }()
		go func() {
			defer s.Close()
			buf := make([]byte, 64<<10)
			for {
				n, err := c.Read(buf)
				if n > 0 {
					watch(buf[:n])
					s.Write(buf[:n])
				}
				if err != nil {
					return
				}
			}
		}()
	})
}

// Groups returns how many groups of records and of outcomes s has run.
func (s *Store) Groups() (records, outcomes int64) {
	return s.creates.groups.Load(), s.finishes.groups.Load()
}
