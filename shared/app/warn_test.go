package app_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/seed4ddb146e/notify/shared/app"
	"github.com/seed4ddb146e/notify/shared/config"
)

// TestWarnAtStart: a start warns of each group reached by its GroupID
// alone, and of each two groups that hold one key, naming the groups and
// never the key.
func TestWarnAtStart(t *testing.T) {
	const key = "shared-key-0123456789abcdef"
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"NOTIFY_GROUPS": `[{"id":"open","channels":["sms"]},` +
			`{"id":"sms","channels":["sms"],"keys":["` + key + `"]},{"id":"mail","channels":["mail"],"keys":["` + key + `"]}]`}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	app.WarnKeyless(context.Background(), slog.New(slog.NewJSONHandler(&buf, nil)), cfg)
	logs := buf.String()
	for _, want := range []string{`"msg":"group has no API keys: callers are authorized by GroupID alone","group":"open"`,
		`"msg":"two groups hold the same API key: a caller with it may name either","group":"mail","other_group":"sms"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the start's warnings\n%s\nlack %s", logs, want)
		}
	}
	if strings.Contains(logs, key) {
		t.Errorf("the warnings show the key:\n%s", logs)
	}
}
