package postgres_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"testing/fstest"

	"github.com/seed4ddb146e/notify/shared/store/internal/sqltext"
	"github.com/seed4ddb146e/notify/shared/store/postgres"
	"github.com/seed4ddb146e/notify/shared/store/storetest"
)

// TestTakenMigration migrates a database to 010, writes the records of
// storetest.LegacyRecords, applies 011 by Open, writes a record as the
// code before 011 does, and checks what became of them
// (storetest.CheckTakenMigration).
func TestTakenMigration(t *testing.T) {
	ctx := t.Context()
	url := pg.Database(t)
	before := fstest.MapFS{}
	for name, f := range schema(t, nil) {
		if name < "011" {
			before[name] = f
		}
	}
	if err := postgres.MigrateFS(ctx, url, before); err != nil {
		t.Fatalf("migrate to 010: %v", err)
	}
	conn := connect(t, url)
	insert := func(r storetest.Legacy) {
		t.Helper()
		if _, err := conn.Exec(ctx, `INSERT INTO messages (id, group_id, channel, recipients, sign_name, template,
	params, out_id, provider, status, provider_id, request_id, error_code, error_text, sandbox, created_at, updated_at,
	queue_key) VALUES ($1, 'ops', 'sms', '["13800138000"]', '测试', 'SMS_1', '{}', '', 'aliyun', $2, $3, '', '', '',
	false, $4, $4, $5)`, r.ID, r.Status, r.ProviderID, r.Created, r.QueueKey); err != nil {
			t.Fatalf("insert %s: %v", r.ID, err)
		}
	}
	for _, r := range storetest.LegacyRecords {
		insert(r)
	}
	if _, err := conn.Exec(ctx, sqltext.ReportInsert, storetest.LegacyReport, "aliyun", "sms",
		"lookup:"+storetest.LegacyReport, "13800138000", "failed", "MK:0001", "用户停机", "", "2025-03-14T09:01:00Z",
		"2025-03-14T09:01:00Z", []byte("{}")); err != nil {
		t.Fatalf("insert a report under 010: %v", err)
	}
	s := open(t, url)
	insert(storetest.LegacyAfter)
	storetest.CheckTakenMigration(t, s)

	// A queue message whose failed record is taken, delivered again to the
	// code before 011 (docs/stores.md, "Queue keys"): its lookup, which
	// skips every failed record, finds none, and its insert, ON CONFLICT
	// DO NOTHING, writes nothing, which that code answers 409 in_flight.
	// Nothing is sent twice.
	var found bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM messages
	WHERE queue_key = 'sqs:t' AND queue_key <> '' AND status <> 'failed')`).Scan(&found); err != nil || found {
		t.Errorf("the lookup of the code before 011 = %v, %v; want no record", found, err)
	}
	tag, err := conn.Exec(ctx, `INSERT INTO messages (id, group_id, channel, recipients, sign_name, template, params,
	out_id, provider, status, provider_id, request_id, error_code, error_text, sandbox, created_at, updated_at, queue_key)
VALUES ('again', 'ops', 'sms', '["13800138000"]', '测试', 'SMS_1', '{}', '', 'aliyun', 'accepted', '', '', '', '',
	false, now(), now(), 'sqs:t') ON CONFLICT DO NOTHING`)
	if err != nil || tag.RowsAffected() != 0 {
		t.Errorf("the insert of the code before 011 over a taken key = %v, %v; want nothing written", tag, err)
	}
}

// unsent011 is migration 011 as main had it for half an hour on
// 2026-12-05, before 011_taken.sql replaced it under the same number: a
// database that build migrated records 011 as applied, and has no taken
// column.
const unsent011 = `ALTER TABLE messages ADD COLUMN unsent BOOLEAN NOT NULL DEFAULT false;
UPDATE messages SET unsent = true
WHERE status = 'failed' AND provider_id = ''
	AND NOT EXISTS (SELECT 1 FROM reports WHERE reports.message_id = messages.id);
DROP INDEX messages_queue_key;
CREATE UNIQUE INDEX messages_queue_key ON messages (queue_key)
	WHERE queue_key <> '' AND NOT unsent;
`

// TestOtherMigrationOfAVersion migrates a database as a build with
// another migration 011 (011_unsent.sql) did, to this build's last
// version. notify migrate, and the open of a function, then refuse it
// with an error that names both files, where they took it as up to date,
// said "migrated", and every read of a message failed on the missing
// column.
func TestOtherMigrationOfAVersion(t *testing.T) {
	ctx := t.Context()
	url := pg.Database(t)
	other := fstest.MapFS{}
	for name, f := range schema(t, nil) {
		if name < "011" || name > "012" {
			other[name] = f
		}
	}
	other["011_unsent.sql"] = &fstest.MapFile{Data: []byte(unsent011)}
	if err := postgres.MigrateFS(ctx, url, other); err != nil {
		t.Fatalf("migrate as the other build: %v", err)
	}
	want := "migration 11 is recorded as applied from 011_unsent.sql, but this build's migration 11 is 011_taken.sql"
	if err := postgres.Migrate(ctx, url); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Migrate = %v, want an error containing %q", err, want)
	}
	if s, err := postgres.Open(ctx, url); err == nil || !strings.Contains(err.Error(), want) {
		if err == nil {
			s.Close()
		}
		t.Errorf("Open = %v, want an error containing %q", err, want)
	}
}

// TestMigrationHoldsReads checks what docs/stores.md ("Migrations") says
// of a migration that alters messages: it takes the table's ACCESS
// EXCLUSIVE lock, which holds reads as well as writes until the one
// transaction of all the missing migrations commits, and a migration
// waiting for the lock behind a query that reads the table already holds
// the reads that come after it, for its lock timeout (500 ms) at a time.
func TestMigrationHoldsReads(t *testing.T) {
	ctx := t.Context()
	url := pg.Database(t)
	before := fstest.MapFS{}
	for name, f := range schema(t, nil) {
		if name < "011" {
			before[name] = f
		}
	}
	if err := postgres.MigrateFS(ctx, url, before); err != nil {
		t.Fatalf("migrate to 010: %v", err)
	}
	// A long read, a statistics query say, in a transaction.
	long := connect(t, url)
	if _, err := long.Exec(ctx, `BEGIN; SELECT count(*) FROM messages`); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- postgres.Migrate(ctx, url) }()
	look := connect(t, url)
	for waiting := false; !waiting; {
		if err := look.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks
	WHERE relation = 'messages'::regclass AND mode = 'AccessExclusiveLock' AND NOT granted)`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			t.Fatalf("Migrate ended (%v) while a read held messages", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	// A status query now waits for the migration, not only a send.
	// Well within the migration's own lock timeout, after which it lets
	// the reads through for a while.
	if _, err := look.Exec(ctx, `SET lock_timeout = '50ms'`); err != nil {
		t.Fatal(err)
	}
	_, err := look.Exec(ctx, `SELECT status FROM messages WHERE id = 'x'`)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "55P03" {
		t.Errorf("a read while the migration waits for its lock = %v, want a lock timeout (55P03)", err)
	}
	if _, err := long.Exec(ctx, `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Migrate: %v", err)
	}
}
