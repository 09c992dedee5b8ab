package postgres_test

import (
	"testing"
	"testing/fstest"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/internal/sqltext"
	"github.com/seed4ddb146e/notify/shared/store/postgres"
)

// TestUnsentMigration migrates a database to 010, with failed records of
// every kind, and checks what 011 makes of them: a record that no provider
// took is unsent and gives up its queue key; one a provider took (a
// provider id, or reports) holds it, but for the older of two that hold one
// key (sent again before 011), which gives it up to the newer.
func TestUnsentMigration(t *testing.T) {
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
	for _, r := range []struct{ id, key, status, pid, created string }{
		{"refused", "sqs:r", "failed", "", "2025-03-14T09:00:00Z"},
		{"taken", "sqs:t", "failed", "biz-1", "2025-03-14T09:00:00Z"},
		{"looked", "sqs:l", "failed", "", "2025-03-14T09:00:00Z"},
		{"dup-old", "sqs:d", "failed", "biz-2", "2025-03-14T09:00:00Z"},
		{"dup-new", "sqs:d", "submitted", "biz-3", "2025-03-14T10:00:00Z"},
		{"live", "", "submitted", "biz-4", "2025-03-14T09:00:00Z"},
	} {
		if _, err := conn.Exec(ctx, `INSERT INTO messages (id, group_id, channel, recipients, sign_name, template,
	params, out_id, provider, status, provider_id, request_id, error_code, error_text, sandbox, created_at, updated_at,
	queue_key) VALUES ($1, 'ops', 'sms', '["13800138000"]', '测试', 'SMS_1', '{}', '', 'aliyun', $2, $3, '', '', '',
	false, $4, $4, $5)`, r.id, r.status, r.pid, r.created, r.key); err != nil {
			t.Fatalf("insert %s under 010: %v", r.id, err)
		}
	}
	if _, err := conn.Exec(ctx, sqltext.ReportInsert, "looked", "aliyun", "sms", "lookup:looked", "13800138000",
		"failed", "MK:0001", "用户停机", "", "2025-03-14T09:01:00Z", "2025-03-14T09:01:00Z", []byte("{}")); err != nil {
		t.Fatalf("insert a report under 010: %v", err)
	}

	s := open(t, url)
	for id, unsent := range map[string]bool{"refused": true, "taken": false, "looked": false, "dup-old": true,
		"dup-new": false, "live": false} {
		m, err := s.Message(ctx, id)
		if err != nil {
			t.Fatalf("Message(%s): %v", id, err)
		}
		if m.Unsent != unsent {
			t.Errorf("%s: Unsent = %v after 011, want %v", id, m.Unsent, unsent)
		}
	}
	for key, holder := range map[string]string{"sqs:r": "", "sqs:t": "taken", "sqs:l": "looked", "sqs:d": "dup-new"} {
		m, err := s.MessageByQueueKey(ctx, key)
		switch {
		case holder == "" && notify.KindOf(err) != notify.NotFound:
			t.Errorf("MessageByQueueKey(%s) = %v, %v; want not found", key, m, err)
		case holder != "" && (err != nil || m.ID != holder):
			t.Errorf("MessageByQueueKey(%s) = %v, %v; want %s", key, m, err, holder)
		}
	}
}
