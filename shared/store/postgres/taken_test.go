package postgres_test

import (
	"testing"
	"testing/fstest"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/internal/sqltext"
	"github.com/seed4ddb146e/notify/shared/store/postgres"
)

// TestTakenMigration migrates a database to 010, with failed records of
// every kind, and checks what 011 makes of them: a failed record a
// provider took (a provider id, or reports) is Taken and holds its queue
// key, but for the older of two that hold one key (sent again before
// 011), which gives it up to the newer; one no provider took gives it up.
// Then it writes a failed record as the code before 011 does, as it may
// while both run: that record gives up its key too.
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
	insert := func(id, key, status, pid, created string) {
		t.Helper()
		if _, err := conn.Exec(ctx, `INSERT INTO messages (id, group_id, channel, recipients, sign_name, template,
	params, out_id, provider, status, provider_id, request_id, error_code, error_text, sandbox, created_at, updated_at,
	queue_key) VALUES ($1, 'ops', 'sms', '["13800138000"]', '测试', 'SMS_1', '{}', '', 'aliyun', $2, $3, '', '', '',
	false, $4, $4, $5)`, id, status, pid, created, key); err != nil {
			t.Fatalf("insert %s: %v", id, err)
		}
	}
	for _, r := range []struct{ id, key, status, pid, created string }{
		{"refused", "sqs:r", "failed", "", "2025-03-14T09:00:00Z"},
		{"taken", "sqs:t", "failed", "biz-1", "2025-03-14T09:00:00Z"},
		{"looked", "sqs:l", "failed", "", "2025-03-14T09:00:00Z"},
		{"dup-old", "sqs:d", "failed", "biz-2", "2025-03-14T09:00:00Z"},
		{"dup-new", "sqs:d", "failed", "biz-3", "2025-03-14T10:00:00Z"},
		{"revived", "sqs:v", "submitted", "biz-5", "2025-03-14T09:00:00Z"},
		{"after", "sqs:v", "failed", "biz-6", "2025-03-14T10:00:00Z"},
		{"live", "", "submitted", "biz-4", "2025-03-14T09:00:00Z"},
	} {
		insert(r.id, r.key, r.status, r.pid, r.created)
	}
	if _, err := conn.Exec(ctx, sqltext.ReportInsert, "looked", "aliyun", "sms", "lookup:looked", "13800138000",
		"failed", "MK:0001", "用户停机", "", "2025-03-14T09:01:00Z", "2025-03-14T09:01:00Z", []byte("{}")); err != nil {
		t.Fatalf("insert a report under 010: %v", err)
	}

	s := open(t, url)
	// The code before 011 refuses a queue message while the new one runs.
	insert("old-code", "sqs:o", "failed", "", "2025-03-14T11:00:00Z")
	for id, taken := range map[string]bool{"refused": false, "taken": true, "looked": true, "dup-old": false,
		"dup-new": true, "revived": false, "after": false, "live": false, "old-code": false} {
		m, err := s.Message(ctx, id)
		if err != nil {
			t.Fatalf("Message(%s): %v", id, err)
		}
		if m.Taken != taken {
			t.Errorf("%s: Taken = %v after 011, want %v", id, m.Taken, taken)
		}
	}
	for key, holder := range map[string]string{"sqs:r": "", "sqs:t": "taken", "sqs:l": "looked", "sqs:d": "dup-new",
		"sqs:v": "revived", "sqs:o": ""} {
		m, err := s.MessageByQueueKey(ctx, key)
		switch {
		case holder == "" && notify.KindOf(err) != notify.NotFound:
			t.Errorf("MessageByQueueKey(%s) = %v, %v; want not found", key, m, err)
		case holder != "" && (err != nil || m.ID != holder):
			t.Errorf("MessageByQueueKey(%s) = %v, %v; want %s", key, m, err, holder)
		}
	}
}
