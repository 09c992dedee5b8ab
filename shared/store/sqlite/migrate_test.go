package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/internal/sqltext"
	"github.com/seed4ddb146e/notify/shared/store/migration"
	"github.com/seed4ddb146e/notify/shared/store/storetest"
)

// schema returns the embedded migrations plus extra files.
func schema(t *testing.T, extra fstest.MapFS) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	names, err := fs.Glob(sub, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		b, err := fs.ReadFile(sub, name)
		if err != nil {
			t.Fatal(err)
		}
		fsys[name] = &fstest.MapFile{Data: b}
	}
	for name, f := range extra {
		fsys[name] = f
	}
	return fsys
}

// versions lists the versions in schema_migrations.
func versions(t *testing.T, s *Store) []int {
	t.Helper()
	applied, err := appliedVersions(t.Context(), s.db)
	if err != nil {
		t.Fatal(err)
	}
	var vs []int
	for v := range applied {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	return vs
}

// TestLaterMigration adds a 002 the way a later change will, to a database
// the released schema made, and checks it runs once.
func TestLaterMigration(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "notify.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	released := releasedVersions(t)
	if got := versions(t, s); !slices.Equal(got, released) {
		t.Fatalf("versions after Open = %v, want %v", got, released)
	}
	// Plain ALTER TABLE fails if it runs twice.
	next := len(released) + 1
	name := fmt.Sprintf("%03d_idempotency.sql", next)
	later := schema(t, fstest.MapFS{name: {Data: []byte(
		"ALTER TABLE messages ADD COLUMN idempotency_key TEXT NOT NULL DEFAULT '';\n" +
			"CREATE UNIQUE INDEX messages_idempotency ON messages (group_id, idempotency_key) WHERE idempotency_key <> '';\n")}})
	for range 2 {
		if err := migrate(ctx, s.db, later); err != nil {
			t.Fatalf("migrate with %s: %v", name, err)
		}
	}
	if got, want := versions(t, s), append(released, next); !slices.Equal(got, want) {
		t.Errorf("versions after %s = %v, want %v", name, got, want)
	}
	if _, err := s.db.ExecContext(ctx, `SELECT idempotency_key FROM messages`); err != nil {
		t.Errorf("the column %s adds: %v", name, err)
	}
	// The released binary, which lacks the new file, still opens the database.
	if err := migrate(ctx, s.db, schema(t, nil)); err != nil {
		t.Errorf("migrate without %s on a database that has it: %v", name, err)
	}
}

// releasedVersions lists the versions of the embedded migrations.
func releasedVersions(t *testing.T) []int {
	t.Helper()
	ms, err := migration.Read(schema(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	var vs []int
	for _, m := range ms {
		vs = append(vs, m.Version)
	}
	return vs
}

// TestFailedMigration checks that a migration failing halfway leaves
// nothing behind: neither its first statement nor its version.
func TestFailedMigration(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	released := releasedVersions(t)
	name := fmt.Sprintf("%03d_bad.sql", len(released)+1)
	bad := schema(t, fstest.MapFS{name: {Data: []byte(
		"CREATE TABLE half (x INTEGER);\nALTER TABLE nowhere ADD COLUMN y TEXT;\n")}})
	err = migrate(ctx, s.db, bad)
	if err == nil || !strings.Contains(err.Error(), "apply migration "+name+": ") {
		t.Fatalf("migrate with a bad %s = %v, want an error naming it", name, err)
	}
	if got := versions(t, s); !slices.Equal(got, released) {
		t.Errorf("versions after a failed %s = %v, want %v", name, got, released)
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE name = 'half'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("table created by the failed migration: count %d, err %v; want 0, nil", n, err)
	}
}

// TestQueueKeyMigration opens a database that 001 made and that holds a
// record: 002 gives the record the queue key "" and leaves the rest as it
// was.
func TestQueueKeyMigration(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "notify.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	first, err := fs.ReadFile(migrations, "migrations/001_messages.sql")
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(ctx, db, fstest.MapFS{"001_messages.sql": {Data: first}}); err != nil {
		t.Fatalf("migrate to 001: %v", err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO messages VALUES ('old', 'ops', 'sms', '["13800138000"]', '测试',
	'SMS_1', '{}', 'o-1', 'aliyun', 'submitted', 'biz-1', 'req-1', '', '', 0,
	'2025-03-14T09:26:53.589Z', '2025-03-14T09:26:54.000Z')`); err != nil {
		t.Fatalf("insert under 001: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open a database at 001: %v", err)
	}
	defer s.Close()
	if got, want := versions(t, s), releasedVersions(t); !slices.Equal(got, want) {
		t.Errorf("versions = %v, want %v", got, want)
	}
	got, err := s.Message(ctx, "old")
	if err != nil {
		t.Fatalf("Message(old): %v", err)
	}
	want := notify.Message{ID: "old", GroupID: "ops", Channel: notify.SMS, Recipients: []string{"13800138000"},
		SignName: "测试", Template: "SMS_1", Params: "{}", OutID: "o-1", Provider: "aliyun", Status: notify.Submitted,
		ProviderID: "biz-1", RequestID: "req-1",
		CreatedAt: time.Date(2025, 3, 14, 9, 26, 53, 589_000_000, time.UTC),
		UpdatedAt: time.Date(2025, 3, 14, 9, 26, 54, 0, time.UTC)}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("Message(old) after 002 =\n%+v\nwant\n%+v", *got, want)
	}
}

// TestTakenMigration opens a database that 011 made, with the records of
// storetest.LegacyRecords, which 012 migrates, writes a record as the code
// before 012 does, and checks what became of them
// (storetest.CheckTakenMigration).
func TestTakenMigration(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "notify.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	before := fstest.MapFS{}
	for name, f := range schema(t, nil) {
		if name < "012" {
			before[name] = f
		}
	}
	if err := migrate(ctx, db, before); err != nil {
		t.Fatalf("migrate to 011: %v", err)
	}
	insert := func(db *sql.DB, r storetest.Legacy) {
		t.Helper()
		if _, err := db.ExecContext(ctx, `INSERT INTO messages (id, group_id, channel, recipients, sign_name, template,
	params, out_id, provider, status, provider_id, request_id, error_code, error_text, sandbox, created_at, updated_at,
	queue_key) VALUES ($1, 'ops', 'sms', '["13800138000"]', '测试', 'SMS_1', '{}', '', 'aliyun', $2, $3, '', '', '', 0,
	$4, $4, $5)`, r.ID, r.Status, r.ProviderID, formatTime(r.Created), r.QueueKey); err != nil {
			t.Fatalf("insert %s: %v", r.ID, err)
		}
	}
	for _, r := range storetest.LegacyRecords {
		insert(db, r)
	}
	if _, err := db.ExecContext(ctx, sqltext.ReportInsert, storetest.LegacyReport, "aliyun", "sms",
		"lookup:"+storetest.LegacyReport, "13800138000", "failed", "MK:0001", "用户停机", "", "2025-03-14T09:01:00.000Z",
		"2025-03-14T09:01:00.000Z", []byte("{}")); err != nil {
		t.Fatalf("insert a report under 011: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open a database at 011: %v", err)
	}
	defer s.Close()
	insert(s.db, storetest.LegacyAfter)
	storetest.CheckTakenMigration(t, s)
}

// unsent012 is the SQLite store's migration 012 as main had it for half
// an hour on 2026-12-05, before 012_taken.sql replaced it under the same
// number: a database that build migrated records 012 as applied, and
// has no taken column.
const unsent012 = `ALTER TABLE messages ADD COLUMN unsent INTEGER NOT NULL DEFAULT 0 CHECK (unsent IN (0, 1));
UPDATE messages SET unsent = 1
WHERE status = 'failed' AND provider_id = ''
	AND NOT EXISTS (SELECT 1 FROM reports WHERE reports.message_id = messages.id);
DROP INDEX messages_queue_key;
CREATE UNIQUE INDEX messages_queue_key ON messages (queue_key)
	WHERE queue_key <> '' AND NOT unsent;
`

// TestOtherMigrationOfAVersion opens a file that a build with another
// migration 012 (012_unsent.sql) migrated to this build's last version.
// The open is refused with an error that names both files, rather than
// the file taken as up to date, its 012_taken.sql never applied, and
// every statement on messages failing on the missing column.
func TestOtherMigrationOfAVersion(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "notify.db")
	other := fstest.MapFS{}
	for name, f := range schema(t, nil) {
		if name < "012" {
			other[name] = f
		}
	}
	other["012_unsent.sql"] = &fstest.MapFile{Data: []byte(unsent012)}
	for name, f := range schema(t, nil) {
		if name > "013" {
			other[name] = f
		}
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	if err := migrate(ctx, db, other); err != nil {
		t.Fatalf("migrate as the other build: %v", err)
	}
	db.Close()
	_, err = Open(ctx, path)
	want := "migration 12 is recorded as applied from 012_unsent.sql, but this build's migration 12 is 012_taken.sql"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Open of a file another 012 migrated = %v, want an error containing %q", err, want)
	}
}

// TestMigrateWaitsForAnotherProcess opens a file whose write lock another
// process holds past the busy timeout, as one applying a long migration
// (012 to 014 on 800,000 messages took 18 s in all) holds it: the open waits for it, as
// long as its context lets it, then finds what is left to apply. Before,
// the BEGIN of the migration gave up at the busy timeout, and the open
// failed "database is locked".
func TestMigrateWaitsForAnotherProcess(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "notify.db")
	open := func(busy time.Duration) *sql.DB {
		t.Helper()
		name := strings.Replace(dsn(path, "normal"), fmt.Sprintf("_busy_timeout=%d", busyTimeout.Milliseconds()),
			fmt.Sprintf("_busy_timeout=%d", busy.Milliseconds()), 1)
		db, err := sql.Open("sqlite", name)
		if err != nil {
			t.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		t.Cleanup(func() { db.Close() })
		return db
	}
	before := fstest.MapFS{}
	for name, f := range schema(t, nil) {
		if name < "014" {
			before[name] = f
		}
	}
	other := open(busyTimeout)
	if err := setWAL(ctx, other); err != nil {
		t.Fatal(err)
	}
	if err := migrate(ctx, other, before); err != nil {
		t.Fatal(err)
	}
	// The other process's long migration.
	lock, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	db := open(50 * time.Millisecond)
	done := make(chan error, 1)
	go func() { done <- migrate(ctx, db, schema(t, nil)) }()
	select {
	case err := <-done:
		t.Fatalf("migrate while another process holds the write lock = %v, want it to wait", err)
	case <-time.After(500 * time.Millisecond): // ten busy timeouts
	}
	if _, err := lock.ExecContext(ctx, `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	lock.Close()
	if err := <-done; err != nil {
		t.Fatalf("migrate once the lock is free: %v", err)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = 14`).Scan(&n); err != nil || n != 1 {
		t.Errorf("014 recorded %d times, %v; want once", n, err)
	}
	// A context that ends while it waits ends the wait.
	if _, err := other.ExecContext(ctx, `DELETE FROM schema_migrations WHERE version = 14`); err != nil {
		t.Fatal(err)
	}
	lock, err = other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if _, err := lock.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	defer lock.ExecContext(context.Background(), `ROLLBACK`)
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if err := migrate(short, db, schema(t, nil)); err == nil {
		t.Error("migrate whose context ended while it waited = nil, want an error")
	}
}
