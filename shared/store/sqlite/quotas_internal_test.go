package sqlite

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed4ddb146e/notify/shared/store/internal/sqltext"
)

// TestQuotaStatementsUseTheKey checks SQLite's plan of every statement on
// quotas: each finds its rows through the table's key or quotas_expires,
// none reads the whole table, which would cost every take or return.
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
		{"return", sqltext.QuotaReturn, []any{"k:m", at}},
	} {
		plan := queryPlan(t, s, c.sql, c.args...)
		for _, step := range plan {
			if strings.HasPrefix(step, "SCAN quotas") {
				t.Errorf("%s reads the whole table: plan %q", c.name, plan)
			}
		}
	}
}
