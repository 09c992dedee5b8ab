package postgres_test

import (
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestAsyncCommitLocalThroughPgBouncer: through PgBouncer in transaction
// mode, in each query exec mode, a setting made local by the first
// statement of a batch, as asyncCommitSQL makes synchronous_commit off,
// holds in that batch and not after it. (It sets local, a value the tests'
// server, which runs with off, does not have.)
func TestAsyncCommitLocalThroughPgBouncer(t *testing.T) {
	bin := "/usr/sbin/pgbouncer"
	if _, err := os.Stat(bin); err != nil {
		t.Skip("no pgbouncer")
	}
	base := pgbouncer(t, bin, pg.Database(t))
	for _, mode := range []string{"exec", "simple_protocol", "cache_statement", "cache_describe", "describe_exec"} {
		t.Run(mode, func(t *testing.T) {
			ctx := t.Context()
			cfg, err := pgxpool.ParseConfig(base + "&default_query_exec_mode=" + mode)
			if err != nil {
				t.Fatal(err)
			}
			cfg.MaxConns = 4
			pool, err := pgxpool.NewWithConfig(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer pool.Close()
			for range 5 {
				b := &pgx.Batch{}
				b.Queue(`SELECT set_config('synchronous_commit', 'local', true)`)
				b.Queue(`SHOW synchronous_commit`)
				res := pool.SendBatch(ctx, b)
				if _, err := res.Exec(); err != nil {
					t.Fatal(err)
				}
				var in, after string
				if err := res.QueryRow().Scan(&in); err != nil {
					t.Fatal(err)
				}
				if err := res.Close(); err != nil {
					t.Fatal(err)
				}
				if err := pool.QueryRow(ctx, `SHOW synchronous_commit`).Scan(&after); err != nil {
					t.Fatal(err)
				}
				if in != "local" || after == "local" {
					t.Errorf("synchronous_commit %q in the batch, %q after it; want local, then not local", in, after)
				}
			}
		})
	}
}
