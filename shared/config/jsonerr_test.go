package config

import (
	"strings"
	"testing"
)

// A value of the wrong type or an unknown field is named by its JSON path,
// with what was wanted there in JSON's words, never a Go type; an unknown
// field's hint lists the fields of the object it is in.
func TestLoadJSONProblems(t *testing.T) {
	const group = `{"id":"a","channels":["sms"]`
	tests := []struct {
		name, variable, value, want string
	}{
		{"unknown field of a template", "NOTIFY_TEMPLATES", `[{"name":"t","ids":{"aliyun":"SMS_1"}},{"name":"u","kind":"x","idz":{}}]`,
			`NOTIFY_TEMPLATES[1]: unknown field "idz" (known: name, kind, variables, ids, providers)`},
		{"unknown field of limits", "NOTIFY_GROUPS", `[` + group + `,"limits":{"verification":{"per_minute":1},"daily":5}}]`,
			`NOTIFY_GROUPS[0].limits: unknown field "daily" (known: verification, notification, voice, daily_cap)`},
		{"unknown field of a window", "NOTIFY_GROUPS", `[` + group + `,"limits":{"voice":{"per_week":1}}}]`,
			`NOTIFY_GROUPS[0].limits.voice: unknown field "per_week" (known: per_minute, per_hour, per_day)`},
		{"unknown field of a scene", "NOTIFY_GROUPS", `[` + group + `,"codes":{"login":{"template":"t","tts":"x"}}}]`,
			`NOTIFY_GROUPS[0].codes.login: unknown field "tts" (known: sign_name, template, tts_template, escalate_after, escalate_to)`},
		{"unknown field of a variable", "NOTIFY_TEMPLATES", `[{"name":"t","variables":[{"name":"code","max":6}]}]`,
			`NOTIFY_TEMPLATES[0].variables[0]: unknown field "max" (known: name, max_len, chars)`},
		{"a group that is a string", "NOTIFY_GROUPS", `[` + group + `},"b"]`,
			`NOTIFY_GROUPS[1]: want an object, got a string (line 1, column 32)`},
		{"groups that are an object", "NOTIFY_GROUPS", group + `}`,
			`NOTIFY_GROUPS: want a list of objects, got an object (line 1, column 1)`},
		{"an id that is a number", "NOTIFY_GROUPS", `[{"id":7}]`, `NOTIFY_GROUPS[0].id: want a string, got a number (line 1, column 8)`},
		{"a key that is a number", "NOTIFY_GROUPS", `[` + group + `,"keys":["0123456789abcdef",1]}]`,
			`NOTIFY_GROUPS[0].keys[1]: want a string, got a number`},
		{"a daily cap that is a string", "NOTIFY_GROUPS", `[` + group + `,"limits":{"daily_cap":"5"}}]`,
			`NOTIFY_GROUPS[0].limits.daily_cap: want a whole number, got a string`},
		{"a limit with a fraction", "NOTIFY_GROUPS", `[` + group + `,"limits":{"voice":{"per_day":1.5}}}]`,
			`NOTIFY_GROUPS[0].limits.voice.per_day: want a whole number, got a number`},
		{"codes that are a list", "NOTIFY_GROUPS", `[` + group + `,"codes":[]}]`,
			`NOTIFY_GROUPS[0].codes: want an object, got a list`},
		{"a max_len that is a string, on line 3", "NOTIFY_TEMPLATES", "[\n{\"name\":\"t\",\n \"variables\":[{\"name\":\"code\",\"max_len\":\"6\"}]}]",
			`NOTIFY_TEMPLATES[0].variables[0].max_len: want a whole number, got a string (line 3, column 40)`},
		{"an id at a provider that is a number", "NOTIFY_TEMPLATES", `[{"name":"t","ids":{"aliyun":1}}]`,
			`NOTIFY_TEMPLATES[0].ids.aliyun: want a string, got a number`},
		// Cut off inside a list's string: the walk for the error's place
		// once went round for ever here (FuzzLoad found it).
		{"groups cut off in a string", "NOTIFY_GROUPS", `[{"id":"a","channels":["sms"],"providers":["t`,
			`NOTIFY_GROUPS: malformed JSON at line 1, column 46: it ends before the value does`},
		{"templates cut off in an object", "NOTIFY_TEMPLATES", `[{"name":"t","ids":{"aliyun":"SMS_1"`,
			`NOTIFY_TEMPLATES: malformed JSON at line 1, column 37: it ends before the value does`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]string{"NOTIFY_GROUPS": `[{"id":"demo","channels":["sms"]}]`, tt.variable: tt.value}
			_, err := Load(env(vars))
			if err == nil {
				t.Fatal("Load succeeded; want an error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error lacks %q:\n%v", tt.want, err)
			}
			for _, goType := range []string{"Go ", "groupJSON", "templateJSON", "[]string", " int", "*config."} {
				if strings.Contains(err.Error(), goType) {
					t.Errorf("error names a Go type (%q): %v", goType, err)
				}
			}
		})
	}
}

// In a build without the embedded SQLite store, a missing or sqlite:
// NOTIFY_DATABASE_URL is reported with every other problem, in one pass.
func TestLoadDatabaseURLWithoutSQLite(t *testing.T) {
	tests := []struct {
		name, url, want string
	}{
		{"not set", "", "NOTIFY_DATABASE_URL: not set, and this build has no embedded SQLite store"},
		{"sqlite", "sqlite:/var/lib/notify.db", "NOTIFY_DATABASE_URL: this build has no embedded SQLite store"},
		{"not a URL we know", "mysql://x", "NOTIFY_DATABASE_URL: want sqlite:<path> or postgres://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]string{"NOTIFY_GROUPS": `[{"id":"a","channels":["fax"]}]`, "NOTIFY_DATABASE_URL": tt.url}
			_, err := load(env(vars), false)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), `unknown channel "fax"`) {
				t.Errorf("error %v; want both %q and the unknown channel", err, tt.want)
			}
			vars["NOTIFY_GROUPS"] = `[{"id":"a","channels":["sms"]}]`
			vars["NOTIFY_DATABASE_URL"] = "postgres://notify@db/notify"
			if _, err := load(env(vars), false); err != nil {
				t.Errorf("with a postgres URL: %v", err)
			}
		})
	}
	if _, err := load(env(map[string]string{"NOTIFY_GROUPS": `[{"id":"a","channels":["sms"]}]`}), true); err != nil {
		t.Errorf("with SQLite, no URL: %v", err)
	}
}

// TestLoadKeyGivenTwice: a key given twice in one object is refused,
// naming it and where the second one is, not taken as encoding/json
// takes it, the last one winning: a group's keys given again, empty,
// would leave the group authorized by its id alone, with nothing but a
// warning to say so. Data after the list is refused too.
func TestLoadKeyGivenTwice(t *testing.T) {
	const key = "0123456789abcdef-secret"
	for _, tc := range []struct{ name, groups, templates, want string }{
		{"a group's keys", `[{"id":"a","channels":["sms"],"keys":["` + key + `"],"keys":[]}]`, "",
			`NOTIFY_GROUPS[0].keys: given twice in one object (line 1, column 66)`},
		{"a field in another case", `[{"id":"a","channels":["sms"],"ID":"b"}]`, "",
			`NOTIFY_GROUPS[0].ID: given twice in one object`},
		{"a map's key", "[{\"id\":\"a\",\"channels\":[\"sms\"],\n\"codes\":{\"login\":{\"template\":\"SMS_1\"},\"login\":{\"template\":\"SMS_2\"}}}]", "",
			`NOTIFY_GROUPS[0].codes.login: given twice in one object (line 2, column 39)`},
		{"a template's id", `[{"id":"a","channels":["sms"]}]`, `[{"name":"t","ids":{"aliyun":"SMS_1","aliyun":"SMS_2"}}]`,
			`NOTIFY_TEMPLATES[0].ids.aliyun: given twice in one object`},
		{"templates then more", `[{"id":"a","channels":["sms"]}]`, `[{"name":"t","ids":{"aliyun":"SMS_1"}}] [1]`,
			`NOTIFY_TEMPLATES: unexpected data after the list`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(env(map[string]string{"NOTIFY_GROUPS": tc.groups, "NOTIFY_TEMPLATES": tc.templates}))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Load: %v; want %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), key) {
				t.Errorf("the error shows a key: %v", err)
			}
		})
	}
	// Keys that differ, in a map, and the same key in two objects, stand.
	if _, err := Load(env(map[string]string{"NOTIFY_GROUPS": `[{"id":"a","channels":["sms"],` +
		`"codes":{"login":{"template":"SMS_1"},"Login":{"template":"SMS_2"}}},{"id":"b","channels":["sms"]}]`})); err != nil {
		t.Errorf("keys that differ in case in a map, an id in two groups: %v", err)
	}
}
