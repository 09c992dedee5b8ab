package postgres_test

import (
	"testing"
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
}
