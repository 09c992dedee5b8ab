package sqlite

import (
	"database/sql"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/internal/sqltext"
	"github.com/seed4ddb146e/notify/shared/store/storetest"
	msqlite "modernc.org/sqlite"
)

// TestWALWaits has another connection hold the write lock on a new
// rollback-journal file while Open switches it to WAL: SQLite fails that
// switch at once, without the busy timeout, and Open must wait it out.
func TestWALWaits(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "notify.db")
	// The other connection waits too: while Open retries the switch, it
	// holds a read lock for a moment, and a COMMIT that meets it without a
	// busy timeout fails at once (once in a few hundred runs on a busy
	// machine).
	other, err := sql.Open("sqlite", path+"?_txlock=immediate&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.ExecContext(ctx, "CREATE TABLE other (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	tx, err := other.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO other VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	type result struct {
		s   *Store
		err error
	}
	opened := make(chan result)
	go func() {
		s, err := Open(ctx, path)
		opened <- result{s, err}
	}()
	// Give Open time to meet the lock; if it has not yet, the test passes
	// without proving anything, but cannot fail.
	time.Sleep(50 * time.Millisecond)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	r := <-opened
	if r.err != nil {
		t.Fatalf("Open while another connection held the write lock: %v", r.err)
	}
	defer r.s.Close()
	var mode string
	if err := r.s.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
}

// TestPragmas checks the settings the connection runs with, by default and
// as the path's settings ask.
func TestPragmas(t *testing.T) {
	tests := []struct {
		query       string // after the path
		synchronous string // PRAGMA synchronous: 1 NORMAL, 2 FULL
	}{
		{"", "1"},
		{"?", "1"},
		{"?synchronous=normal", "1"},
		{"?synchronous=full", "2"},
		{"?synchronous=FULL", "2"},
	}
	for _, tt := range tests {
		t.Run("notify.db"+tt.query, func(t *testing.T) {
			ctx := t.Context()
			s, err := Open(ctx, filepath.Join(t.TempDir(), "notify.db")+tt.query)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if got := s.db.Stats().MaxOpenConnections; got != 1 {
				t.Errorf("MaxOpenConnections = %d, want 1", got)
			}
			// temp_store 2 is MEMORY: a group's savepoint journals never
			// spill to a file.
			want := map[string]string{"journal_mode": "wal", "foreign_keys": "1", "synchronous": tt.synchronous,
				"busy_timeout": "5000", "temp_store": "2"}
			for pragma, w := range want {
				var got string
				if err := s.db.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
					t.Fatalf("PRAGMA %s: %v", pragma, err)
				}
				if got != w {
					t.Errorf("PRAGMA %s = %s, want %s", pragma, got, w)
				}
			}
		})
	}
}

// FuzzParsePath checks that parsePath, which reads a path from the
// configuration, keeps the file as written and yields a setting SQLite
// knows or an error.
func FuzzParsePath(f *testing.F) {
	for _, p := range []string{"/tmp/notify.db", "notify.db?synchronous=full", "a?b=c#d %41 é.db?",
		":memory:?synchronous=NORMAL", "x?synchronous=full&synchronous=normal", "x?%zz", "x?;", "?", ""} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, path string) {
		file, synchronous, err := parsePath(path)
		if err != nil {
			return
		}
		if synchronous != "FULL" && synchronous != "NORMAL" {
			t.Errorf("parsePath(%q): synchronous %q, want FULL or NORMAL", path, synchronous)
		}
		rest, ok := strings.CutPrefix(path, file)
		if !ok || rest != "" && (rest[0] != '?' || strings.Contains(rest[1:], "?")) {
			t.Errorf("parsePath(%q): file %q is not the path up to its last \"?\"", path, file)
		}
		if !strings.Contains(path, "?") && (file != path || synchronous != "NORMAL") {
			t.Errorf("parsePath(%q) = %q, %q; want the path itself and NORMAL", path, file, synchronous)
		}
	})
}

// TestQueueKeyPlan checks that MessageByQueueKey and the conflict check of
// CreateMessage use indexes rather than scanning the table.
func TestQueueKeyPlan(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tests := []struct {
		query string
		arg   string
		want  string // in the plan
	}{
		{sqltext.MessageByQueueKey, "sqs:1", "USING INDEX messages_queue_key (queue_key=?)"},
		{sqltext.IDExists, "id", "SEARCH messages USING PRIMARY KEY (id=?)"},
		{sqltext.MessageByID, "id", "SEARCH messages USING PRIMARY KEY (id=?)"},
	}
	for _, tt := range tests {
		if got := strings.Join(queryPlan(t, s, tt.query, tt.arg), "; "); !strings.Contains(got, tt.want) {
			t.Errorf("plan of %.50q... = %q, want it to contain %q", tt.query, got, tt.want)
		}
	}
}

// TestAdoptPlan checks that the adoption of an orphan looks for a report
// it would duplicate through reports_dedupe, rather than scanning every
// report (it did, while migration 013 made reports_dedupe partial).
func TestAdoptPlan(t *testing.T) {
	s, err := Open(t.Context(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const want = "SEARCH d USING COVERING INDEX reports_dedupe"
	if got := strings.Join(queryPlan(t, s, sqltext.Adopt, "m", "13800138000", 1), "; "); !strings.Contains(got, want) {
		t.Errorf("plan of Adopt = %q, want it to contain %q", got, want)
	}
}

// queryPlan returns the steps of SQLite's plan of query with args, as
// EXPLAIN QUERY PLAN details them.
func queryPlan(t *testing.T, s *Store, query string, args ...any) []string {
	t.Helper()
	rows, err := s.db.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("plan of %.50q...: %v", query, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan
}

// BenchmarkCreateFinish is storetest.BenchCreateFinish with each
// synchronous setting.
func BenchmarkCreateFinish(b *testing.B) {
	for _, sync := range []string{"full", "normal"} {
		b.Run("synchronous="+sync, func(b *testing.B) {
			s, err := Open(b.Context(), filepath.Join(b.TempDir(), "notify.db")+"?synchronous="+sync)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			storetest.BenchCreateFinish(b, s)
		})
	}
}

// BenchmarkCreateTakingQuotasFinish is a send's writes with its limits: the
// record and the four quotas of one verification code (minute, hour and
// day of its number, the group's daily cap) in one transaction, then the
// outcome. Each op sends to a number of its own, so no quota fills.
func BenchmarkCreateTakingQuotasFinish(b *testing.B) {
	ctx := b.Context()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "notify.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	m, o := storetest.BenchMessage()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		m.ID = fmt.Sprintf("%032x", i)
		n := fmt.Sprintf("138%08d", i)
		qs := []notify.Quota{{Key: "sms:verification:g:" + n + ":m", Max: 1, Window: time.Minute},
			{Key: "sms:verification:g:" + n + ":h", Max: 5, Window: time.Hour},
			{Key: "sms:verification:g:" + n + ":d", Max: 10, Window: 24 * time.Hour},
			{Key: "group:g:d", Max: 1 << 30, Window: 24 * time.Hour}}
		if refused, _, err := s.CreateMessageTakingQuotas(ctx, m, m.CreatedAt, qs); err != nil || refused >= 0 {
			b.Fatal(refused, err)
		}
		if err := s.FinishMessage(ctx, m.ID, o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreateFinishParallel is storetest.BenchCreateFinishParallel,
// with Open's settings.
func BenchmarkCreateFinishParallel(b *testing.B) {
	s, err := Open(b.Context(), filepath.Join(b.TempDir(), "notify.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchCreateFinishParallel(b, s)
}

// TestClusteredMigration migrates a database made by the migrations before
// 007, holding records, and checks that 007 keeps every record, its
// indexes and its queue-key rule.
func TestClusteredMigration(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "notify.db")
	conn, err := msqlite.NewConnector(dsn(path, "NORMAL"))
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(1)
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	before := fstest.MapFS{}
	for _, name := range []string{"001_messages.sql", "002_queue_key.sql", "003_idempotency.sql", "004_reports.sql",
		"005_quotas.sql", "006_codes.sql"} {
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
	if _, err := db.ExecContext(ctx, `INSERT INTO messages (id, group_id, channel, recipients, sign_name, template, params,
		out_id, provider, status, provider_id, request_id, error_code, error_text, sandbox, created_at, updated_at, queue_key)
		VALUES ('m1', 'g', 'sms', '["13800138000"]', 's', 't', '{}', '', 'aliyun', 'submitted', 'biz1', 'r', '', '', 0,
		'2026-11-24T00:00:00.000Z', '2026-11-24T00:00:00.000Z', 'sqs:1')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	st, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open after 007: %v", err)
	}
	defer st.Close()
	m, err := st.Message(ctx, "m1")
	if err != nil || m.ProviderID != "biz1" || m.QueueKey != "sqs:1" || m.Recipients[0] != "13800138000" {
		t.Fatalf("the record after 007: %+v, %v", m, err)
	}
	dup := *m
	dup.ID = "m2"
	if err := st.CreateMessage(ctx, &dup); notify.KindOf(err) != notify.Conflict {
		t.Errorf("a second record of queue key sqs:1: %v; want a conflict, as before 007", err)
	}
}
