package sqlite

import (
	"database/sql"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	msqlite "modernc.org/sqlite"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/internal/sqltext"
)

// TestQuotaStatementsUseTheKey checks SQLite's plan of every statement on
// quotas: each finds its rows through the table's key, none reads the
// whole table. A statement that leaves the window's end out (the key's
// first column) would scan it, at every take or return.
func TestQuotaStatementsUseTheKey(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "notify.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := "2026-06-01T10:00:00.000Z"
	for _, c := range []struct {
		name string
		sql  string
		args []any
	}{
		{"take", quotaTakeSQL, []any{"k:m", at, at, 1}},
		{"sweep", quotaSweepSQL, []any{at, 32}},
		{"return", sqltext.QuotaReturn, []any{"k:m", at, at}},
	} {
		rows, err := s.db.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+c.sql, c.args...)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		for _, step := range plan {
			if strings.HasPrefix(step, "SCAN quotas") {
				t.Errorf("%s reads the whole table: plan %q", c.name, plan)
			}
		}
	}
}

// TestQuotasByEndMigration migrates a database made by the migrations
// before 011, holding a window still running and one that ended, and
// checks that 011 keeps both: the running one goes on counting from its
// uses, gives one back, and the ended one is swept.
func TestQuotasByEndMigration(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "notify.db")
	conn, err := msqlite.NewConnector(dsn(path, "NORMAL"))
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(1)
	defer db.Close()
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	names, err := fs.Glob(sub, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	before := fstest.MapFS{}
	for _, name := range names {
		if name >= "011" {
			continue
		}
		b, err := fs.ReadFile(sub, name)
		if err != nil {
			t.Fatal(err)
		}
		before[name] = &fstest.MapFile{Data: b}
	}
	if err := setWAL(ctx, db); err != nil {
		t.Fatal(err)
	}
	if err := migrate(ctx, db, before); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO quotas (key, window_start, uses, expires_at) VALUES
		('sms:verification:ops:13800138000:h', '2026-06-01T10:00:00.000Z', 4, '2026-06-01T11:00:00.000Z'),
		('sms:verification:ops:13900139000:m', '2026-06-01T09:00:00.000Z', 1, '2026-06-01T09:01:00.000Z')`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	st, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open after 011: %v", err)
	}
	defer st.Close()
	var n int
	if err := st.db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE name = 'quotas_expires'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("quotas_expires after 011: count %d, %v; want it gone", n, err)
	}
	at := time.Date(2026, 6, 1, 10, 30, 0, 0, time.UTC)
	hour := []notify.Quota{{Key: "sms:verification:ops:13800138000:h", Max: 5, Window: time.Hour}}
	if refused, _, err := st.TakeQuotas(ctx, at, hour); err != nil || refused != -1 {
		t.Fatalf("the fifth use of the hour: TakeQuotas = %d, %v; want it counted", refused, err)
	}
	if refused, wait, err := st.TakeQuotas(ctx, at, hour); err != nil || refused != 0 || wait != 30*time.Minute {
		t.Fatalf("the sixth: TakeQuotas = %d, %v, %v; want refused for 30m: the uses before 011 count", refused, wait, err)
	}
	if err := st.ReturnQuotas(ctx, at, hour); err != nil {
		t.Fatal(err)
	}
	if refused, _, err := st.TakeQuotas(ctx, at, hour); err != nil || refused != -1 {
		t.Fatalf("after a use given back: TakeQuotas = %d, %v; want it counted", refused, err)
	}
	if _, err := st.db.ExecContext(ctx, quotaSweepSQL, formatTime(at), 32); err != nil {
		t.Fatal(err)
	}
	var keys []string
	rows, err := st.db.QueryContext(ctx, `SELECT key || ' ' || uses FROM quotas`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if want := "sms:verification:ops:13800138000:h 5"; len(keys) != 1 || keys[0] != want {
		t.Errorf("quotas after the sweep = %q, want only %q", keys, want)
	}
}
