package config

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A key written sha256:<64 hex> is kept as it is, for notify to compare
// as the hash of what callers present; a malformed one is a problem that
// names the field and never echoes the value.
func TestLoadHashedKeys(t *testing.T) {
	sum := sha256.Sum256([]byte("a-caller-key-0123456789"))
	hashed := "sha256:" + hex.EncodeToString(sum[:])
	c, err := Load(env(map[string]string{"NOTIFY_GROUPS": `[{"id":"a","channels":["sms"],"keys":["` + hashed + `"]}]`}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got := c.Groups[0].Keys; len(got) != 1 || got[0].Reveal() != hashed {
		t.Errorf("keys = %q; want [%s]", got, hashed)
	}
	for _, bad := range []string{hashed[:len(hashed)-1], hashed + "0", "sha256:" + strings.Repeat("z", 64), "sha256:"} {
		_, err := Load(env(map[string]string{"NOTIFY_GROUPS": `[{"id":"a","channels":["sms"],"keys":["0123456789abcdef","` + bad + `"]}]`}))
		if err == nil || !strings.Contains(err.Error(), `NOTIFY_GROUPS[0] (id "a").keys[1]: want "sha256:" and the 64 hex digits`) {
			t.Errorf("keys [%q]: error %v; want one naming keys[1]", bad, err)
		}
		if err != nil && len(bad) > len("sha256:") && strings.Contains(err.Error(), bad[len("sha256:"):]) {
			t.Errorf("keys [%q]: the error echoes the value: %v", bad, err)
		}
	}
}

// writeFile writes text to name in dir and returns its path.
func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const (
	fileGroups    = `[{"id":"from-file","channels":["sms"],"templates":["login_code"]}]`
	fileTemplates = `[{"name":"login_code","kind":"verification","ids":{"aliyun":"SMS_1"}}]`
)

// NOTIFY_GROUPS and NOTIFY_TEMPLATES may name a file, by an absolute
// path or one relative to the working directory.
func TestLoadFromFile(t *testing.T) {
	dir := t.TempDir()
	check := func(t *testing.T, vars map[string]string) {
		t.Helper()
		c, err := Load(env(vars))
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if len(c.Groups) != 1 || c.Groups[0].ID != "from-file" || len(c.Templates) != 1 || c.Templates[0].Name != "login_code" {
			t.Errorf("groups %+v, templates %+v; want those of the files", c.Groups, c.Templates)
		}
	}
	t.Run("absolute", func(t *testing.T) {
		check(t, map[string]string{"NOTIFY_GROUPS": "@" + writeFile(t, dir, "groups.json", fileGroups),
			"NOTIFY_TEMPLATES": " @" + writeFile(t, dir, "templates.json", fileTemplates) + "\n"})
	})
	t.Run("relative to the working directory", func(t *testing.T) {
		writeFile(t, dir, "config/groups.json", fileGroups)
		writeFile(t, dir, "config/templates.json", fileTemplates)
		t.Chdir(dir)
		check(t, map[string]string{"NOTIFY_GROUPS": "@config/groups.json", "NOTIFY_TEMPLATES": "@config/templates.json"})
	})
}

// A relative path is looked for in the executable's directory first,
// then in the working directory.
func TestResolveFile(t *testing.T) {
	exeDir, wd := t.TempDir(), t.TempDir()
	writeFile(t, exeDir, "config/groups.json", fileGroups)
	writeFile(t, wd, "config/groups.json", fileGroups)
	writeFile(t, wd, "config/templates.json", fileTemplates)
	t.Chdir(wd)
	tests := []struct{ path, exeDir, want string }{
		{"config/groups.json", exeDir, filepath.Join(exeDir, "config/groups.json")},
		{"config/templates.json", exeDir, filepath.Join(wd, "config/templates.json")},
		{"config/groups.json", "", filepath.Join(wd, "config/groups.json")},
		{"/etc/notify/groups.json", exeDir, "/etc/notify/groups.json"},
		{"config/missing.json", exeDir, filepath.Join(wd, "config/missing.json")},
	}
	for _, tt := range tests {
		if got := resolveFile(tt.path, tt.exeDir); got != tt.want {
			t.Errorf("resolveFile(%q, %q) = %q; want %q", tt.path, tt.exeDir, got, tt.want)
		}
	}
}

// A file that cannot be used is a problem naming the variable and the
// file, and never showing what the file holds.
func TestLoadFileProblems(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "big.json", "["+strings.Repeat(" ", MaxFileBytes)+"]")
	broken := writeFile(t, dir, "broken.json", "[{\"id\":\"a\",\n\"keys\":[\"a-secret-key-0123456789\"],}]")
	bad := writeFile(t, dir, "bad.json", `[{"id":"a","channels":["fax"]}]`)
	empty := writeFile(t, dir, "empty.json", " \n")
	okGroups := writeFile(t, dir, "groups.json", fileGroups)
	escalating := writeFile(t, dir, "escalating.json",
		`[{"id":"a","channels":["sms"],"codes":{"login":{"template":"t","escalate_after":"45s","escalate_to":"tts"}}}]`)
	t.Chdir(dir)
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"missing, absolute", map[string]string{"NOTIFY_GROUPS": "@" + dir + "/nope.json"},
			[]string{"NOTIFY_GROUPS: @" + dir + "/nope.json: open " + dir + "/nope.json: no such file"}},
		{"missing, relative", map[string]string{"NOTIFY_GROUPS": okGroups, "NOTIFY_TEMPLATES": "@config/nope.json"},
			[]string{"NOTIFY_TEMPLATES: @config/nope.json (" + filepath.Join(dir, "config/nope.json") + "): no such file, nor ", "config/nope.json beside the executable"}},
		{"no path", map[string]string{"NOTIFY_GROUPS": "@"}, []string{"NOTIFY_GROUPS: @ names no file"}},
		{"larger than 1 MiB", map[string]string{"NOTIFY_GROUPS": "@big.json"},
			[]string{"NOTIFY_GROUPS: @big.json (" + filepath.Join(dir, "big.json") + "): larger than 1048576 bytes (1 MiB)"}},
		{"empty", map[string]string{"NOTIFY_GROUPS": "@" + empty}, []string{"NOTIFY_GROUPS: @" + empty + ": empty"}},
		{"broken JSON", map[string]string{"NOTIFY_GROUPS": "@broken.json"},
			[]string{"NOTIFY_GROUPS: malformed JSON at line 2, column 37: invalid character '}' looking for beginning of object key string (in file " + broken + ")"}},
		{"a field", map[string]string{"NOTIFY_GROUPS": "@" + okGroups, "NOTIFY_TEMPLATES": "@" + bad},
			[]string{`NOTIFY_TEMPLATES[0]: unknown field "id" (known: name, kind, variables, ids, providers)`, "(in file " + bad + ")"}},
		{"an escalation, checked after the templates", map[string]string{"NOTIFY_GROUPS": "@" + escalating},
			[]string{`NOTIFY_GROUPS[0] (id "a").codes.login.escalate_to: "tts" but the group may not use channel tts (in file ` + escalating + ")"}},
		{"a group's field", map[string]string{"NOTIFY_GROUPS": "@bad.json"},
			[]string{`NOTIFY_GROUPS[0] (id "a").channels[0]: unknown channel "fax" (want sms, tts or mail) (in file ` + bad + ")"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(env(tt.env))
			if err == nil {
				t.Fatal("Load succeeded; want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if strings.Contains(err.Error(), "a-secret-key") {
				t.Errorf("error shows the file's key: %v", err)
			}
		})
	}
}

// TestLoadByteOrderMark: a file some editors saved, with a UTF-8 byte
// order mark before the JSON, is read as the JSON it holds, and so is a
// variable set from it with $(cat file); a file of the mark alone is
// empty.
func TestLoadByteOrderMark(t *testing.T) {
	dir := t.TempDir()
	groups := writeFile(t, dir, "groups.json", "\ufeff"+fileGroups)
	templates := writeFile(t, dir, "templates.json", "\ufeff"+fileTemplates+"\r\n")
	for _, vars := range []map[string]string{
		{"NOTIFY_GROUPS": "@" + groups, "NOTIFY_TEMPLATES": "@" + templates},
		{"NOTIFY_GROUPS": "\ufeff" + fileGroups, "NOTIFY_TEMPLATES": "\ufeff" + fileTemplates},
	} {
		c, err := Load(env(vars))
		if err != nil || len(c.Groups) != 1 || len(c.Templates) != 1 {
			t.Errorf("Load with a byte order mark: %d groups, %d templates, %v; want 1, 1, no problem",
				len(c.Groups), len(c.Templates), err)
		}
	}
	only := writeFile(t, dir, "bom.json", "\ufeff\n")
	if _, err := Load(env(map[string]string{"NOTIFY_GROUPS": "@" + only})); err == nil ||
		!strings.Contains(err.Error(), "NOTIFY_GROUPS: @"+only+": empty") {
		t.Errorf("a file of the mark alone: %v; want it called empty", err)
	}
}
