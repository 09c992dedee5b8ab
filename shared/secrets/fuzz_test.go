package secrets

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/seed4ddb146e/notify/shared/config"
)

// FuzzParse feeds parse any document. It must not panic; what it accepts,
// encoding/json reads the same, and names only variables; and what it
// refuses, it refuses without quoting a value of the document.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`{"NOTIFY_DATABASE_URL":"postgres://u:pw@db/notify","NOTIFY_CODE_SECRET":"0123456789abcdef0123456789abcdef"}`,
		`{"NOTIFY_GROUPS":"[{\"id\":\"shop\",\"keys\":[\"sha256:00\"]}]","NOTIFY_SMTP_URL":""}`,
		`{"NOTIFY_GROUP":"typo-value-123"}`,
		`{"NOTIFY_CODE_LENGTH":6,"NOTIFY_GROUPS":[{"id":"hidden-value-1"}]}`,
		`{"NOTIFY_CODE_SECRET":"a","NOTIFY_CODE_SECRET":"b"}`,
		`{"NOTIFY_CODE_SECRET":"cut-value-456`,
		`["array-value-789"]`,
		`{} {}`,
		`NOTIFY_CODE_SECRET=plain-value`,
		"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := parse(data, config.Variables)
		if err == nil {
			var want map[string]string
			if err := json.Unmarshal(data, &want); err != nil {
				t.Fatalf("parse accepted %q, which encoding/json refuses: %v", data, err)
			}
			if !maps.Equal(got, want) {
				t.Fatalf("parse(%q) = %v; encoding/json reads %v", data, got, want)
			}
			for k := range got {
				if !slices.Contains(config.Variables, k) {
					t.Fatalf("parse(%q) accepted %q, no variable", data, k)
				}
			}
			return
		}
		var doc map[string]any
		if json.Unmarshal(data, &doc) != nil {
			return // not an object: no value to look for
		}
		// What the message may say: its own words, and the names.
		allowed := strings.Join(append(slices.Collect(maps.Keys(doc)), config.Variables...), "\x00") +
			"not a JSON object of variables and their values; cut short; malformed at byte; more follows it at byte; " +
			"is not a variable; are not variables the functions read (a typo?); given twice; the value of; is not a JSON string"
		for _, v := range strings.Fields(strings.Join(valuesOf(doc), " ")) {
			if len(v) >= 6 && !strings.Contains(allowed, v) && strings.Contains(err.Error(), v) {
				t.Fatalf("parse(%q) = %v: the error quotes the value %q", data, err, v)
			}
		}
	})
}

// valuesOf returns every string in the values of doc, at any depth, and
// the names of nested objects.
func valuesOf(doc map[string]any) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for k, e := range v {
				out = append(out, k)
				walk(e)
			}
		}
	}
	for _, v := range doc {
		walk(v)
	}
	return out
}
