package storetest

import (
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// Legacy is a record as a schema before Message.Taken held it, for a test
// of the migration that adds it to write with the statements of its store.
type Legacy struct {
	ID, QueueKey, Status, ProviderID string
	Created                          time.Time
}

// LegacyRecords are the records a test of the migration that adds Taken
// writes before it: failed ones no provider took, ones whose provider id
// or report (LegacyReport) says one did, two that hold one key (sent again
// after a report failed the first), a record revived after another took
// its key, and one without a key. LegacyAfter is written after the
// migration, as the code before it does while both run.
var (
	LegacyRecords = []Legacy{
		{"refused", "sqs:r", "failed", "", time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)},
		{"taken", "sqs:t", "failed", "biz-1", time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)},
		{"looked", "sqs:l", "failed", "", time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)},
		{"dup-old", "sqs:d", "failed", "biz-2", time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)},
		{"dup-new", "sqs:d", "failed", "biz-3", time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)},
		{"revived", "sqs:v", "submitted", "biz-5", time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)},
		{"after", "sqs:v", "failed", "biz-6", time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)},
		{"live", "", "submitted", "biz-4", time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)},
	}
	// LegacyReport is the message id of the one record with a report: a
	// status lookup's, by OutId, that failed it.
	LegacyReport = "looked"
	LegacyAfter  = Legacy{"old-code", "sqs:o", "failed", "", time.Date(2025, 3, 14, 11, 0, 0, 0, time.UTC)}
)

// CheckTakenMigration checks what the migration that adds Taken made of
// LegacyRecords, and of LegacyAfter: a failed record a provider took is
// Taken and holds its queue key, but for the older of two that hold one
// key, which gives it up to the newer (to the one not failed, when there
// is one); a failed one no provider took gives it up, and so does one the
// code before writes after the migration.
func CheckTakenMigration(t *testing.T, st notify.Store) {
	t.Helper()
	ctx := t.Context()
	for id, taken := range map[string]bool{"refused": false, "taken": true, "looked": true, "dup-old": false,
		"dup-new": true, "revived": false, "after": false, "live": false, "old-code": false} {
		m, err := st.Message(ctx, id)
		if err != nil {
			t.Fatalf("Message(%s): %v", id, err)
		}
		if m.Taken != taken {
			t.Errorf("%s: Taken = %v after the migration, want %v", id, m.Taken, taken)
		}
	}
	for key, holder := range map[string]string{"sqs:r": "", "sqs:t": "taken", "sqs:l": "looked", "sqs:d": "dup-new",
		"sqs:v": "revived", "sqs:o": ""} {
		m, err := st.MessageByQueueKey(ctx, key)
		switch {
		case holder == "" && notify.KindOf(err) != notify.NotFound:
			t.Errorf("MessageByQueueKey(%s) = %v, %v; want not found", key, m, err)
		case holder != "" && (err != nil || m.ID != holder):
			t.Errorf("MessageByQueueKey(%s) = %v, %v; want %s", key, m, err, holder)
		}
	}
}
