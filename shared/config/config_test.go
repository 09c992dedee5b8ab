package config

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadValid(t *testing.T) {
	c, err := Load(env(map[string]string{
		"NOTIFY_GROUPS": `[{"id":"bc-fumin","channels":["sms","tts"],"sign_names":["冰鉴科技"],"templates":["SMS_184105379"],
			"keys":["0123456789abcdef0123","fedcba9876543210fedc"]},
			{"id":"ops","channels":["mail"],"mail_from":"ops@example.com","mail_domains":["Example.COM"]}]`,
		"ALIBABA_CLOUD_ACCESS_KEY_ID":      "LTAI-test",
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET":  "s3cret",
		"NOTIFY_ALIYUN_SMS_ENDPOINT":       "127.0.0.1:4000",
		"NOTIFY_DATABASE_URL":              "sqlite:/var/lib/notify.db",
		"PORT":                             "9000",
		"NOTIFY_MAIL_MAX_ATTACHMENT_BYTES": "1024",
		"NOTIFY_STORE_TIMEOUT":             "750ms",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(c.Groups) != 2 || c.Groups[0].ID != "bc-fumin" || len(c.Groups[0].Keys) != 2 {
		t.Fatalf("groups = %+v", c.Groups)
	}
	if got := c.Groups[0].Channels; len(got) != 2 || got[0] != notify.SMS || got[1] != notify.Voice {
		t.Errorf("channels = %v, want [sms tts]", got)
	}
	if got, want := c.KeylessGroups, []string{"ops"}; len(got) != 1 || got[0] != want[0] {
		t.Errorf("KeylessGroups = %v, want %v", got, want)
	}
	if got := c.Groups[1]; got.MailFrom != "ops@example.com" || len(got.MailDomains) != 1 || got.MailDomains[0] != "example.com" {
		t.Errorf("group ops = %+v", got)
	}
	if !c.Aliyun.Configured() || c.Aliyun.SMSEndpoint != "127.0.0.1:4000" || c.Aliyun.AccessKeySecret.Reveal() != "s3cret" {
		t.Errorf("Aliyun = %+v", c.Aliyun)
	}
	if c.Port != "9000" || c.DatabaseURL != "sqlite:/var/lib/notify.db" || c.SMTP.MaxAttachmentBytes != 1024 {
		t.Errorf("Port %q DatabaseURL %q MaxAttachmentBytes %d", c.Port, c.DatabaseURL, c.SMTP.MaxAttachmentBytes)
	}
	if c.StoreTimeout != 750*time.Millisecond {
		t.Errorf("StoreTimeout = %v, want 750ms", c.StoreTimeout)
	}
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(map[string]string{"NOTIFY_GROUPS": `[{"id":"demo","channels":["sms"]}]`, "TMPDIR": "/scratch"}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.Port != DefaultPort || c.DatabaseURL != "sqlite:/scratch/notify.db" || c.Aliyun.Configured() ||
		c.SMTP.From != DefaultMailFrom || c.SMTP.MaxAttachmentBytes != DefaultMaxAttachmentBytes ||
		c.StoreTimeout != DefaultStoreTimeout {
		t.Errorf("defaults: %+v", c)
	}
}

// The attachment limit's default fits the runtime's largest request; a
// limit set in the environment is kept wherever the function runs.
func TestMaxAttachmentBytesDefault(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want int
	}{
		{"local", nil, DefaultMaxAttachmentBytes},
		{"AWS Lambda", map[string]string{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"}, 4 << 20},
		{"Aliyun FC 3", map[string]string{"FC_RUNTIME_API": "127.0.0.1:9000"}, DefaultMaxAttachmentBytes},
		{"AWS Lambda, set", map[string]string{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "NOTIFY_MAIL_MAX_ATTACHMENT_BYTES": "8000000"}, 8000000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]string{"NOTIFY_GROUPS": `[{"id":"demo","channels":["mail"]}]`}
			maps.Copy(vars, tt.env)
			c, err := Load(env(vars))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := c.SMTP.MaxAttachmentBytes; got != tt.want {
				t.Errorf("MaxAttachmentBytes = %d; want %d", got, tt.want)
			}
		})
	}
}

// Every problem is reported at once, each naming its variable and field.
func TestLoadProblems(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"no groups", map[string]string{}, []string{"NOTIFY_GROUPS: not set"}},
		{"malformed JSON", map[string]string{"NOTIFY_GROUPS": "[{\"id\":\"a\",\n\"channels\":[\"sms\"],}]"},
			[]string{"NOTIFY_GROUPS: malformed JSON at line 2"}},
		{"unknown field", map[string]string{"NOTIFY_GROUPS": `[{"id":"a","channels":["sms"],"chanels":[]}]`},
			[]string{`NOTIFY_GROUPS[0]: unknown field "chanels" (known: id, channels,`}},
		{"wrong type", map[string]string{"NOTIFY_GROUPS": `[{"id":"a","channels":"sms"}]`},
			[]string{`NOTIFY_GROUPS[0].channels: want a list of strings, got a string (line 1, column 23)`}},
		{"empty list", map[string]string{"NOTIFY_GROUPS": `[]`}, []string{"NOTIFY_GROUPS: the list is empty"}},
		{"many at once", map[string]string{
			"NOTIFY_GROUPS": `[{"id":"a","channels":["sms","fax"]},{"id":"a","channels":[]},{"channels":["sms"],"keys":["short"]},
				{"id":"b c","channels":["mail"],"keys":["0123456789abcdef","0123456789abcdef","0123456789abcdef"],"sign_names":[""],"mail_from":"nope"}]`,
			"ALIBABA_CLOUD_ACCESS_KEY_ID":      "id",
			"NOTIFY_ALIYUN_SMS_ENDPOINT":       "ftp://x",
			"PORT":                             "http",
			"NOTIFY_DATABASE_URL":              "mysql://x",
			"NOTIFY_SMTP_URL":                  "http://user:hunter2@mail",
			"NOTIFY_MAIL_FROM":                 "not an address",
			"NOTIFY_MAIL_MAX_ATTACHMENT_BYTES": "-1",
			"NOTIFY_STORE_TIMEOUT":             "0s",
		}, []string{
			`NOTIFY_GROUPS[0] (id "a").channels[1]: unknown channel "fax"`,
			`NOTIFY_GROUPS[1] (id "a").id: duplicate of NOTIFY_GROUPS[0]`,
			`NOTIFY_GROUPS[1] (id "a").channels: missing`,
			`NOTIFY_GROUPS[2].id: missing`,
			`NOTIFY_GROUPS[2].keys[0]: must be at least 16 characters`,
			`NOTIFY_GROUPS[3] (id "b c").id: must be 1-64 letters`,
			`NOTIFY_GROUPS[3] (id "b c").keys: 3 keys; at most 2`,
			`NOTIFY_GROUPS[3] (id "b c").sign_names[0]: empty`,
			`NOTIFY_GROUPS[3] (id "b c").mail_from:`,
			"ALIBABA_CLOUD_ACCESS_KEY_SECRET: not set",
			"NOTIFY_ALIYUN_SMS_ENDPOINT:",
			`PORT: "http" is not a port number`,
			"NOTIFY_DATABASE_URL: want sqlite:<path> or postgres://",
			`NOTIFY_SMTP_URL: the mail server URL has scheme "http"`,
			"NOTIFY_MAIL_FROM:",
			"NOTIFY_MAIL_MAX_ATTACHMENT_BYTES:",
			`NOTIFY_STORE_TIMEOUT: "0s"`,
		}},
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
			if n := strings.Count(err.Error(), "; "); tt.name == "many at once" && n+1 < len(tt.want) {
				t.Errorf("error lists %d problems, want at least %d", n+1, len(tt.want))
			}
		})
	}
}

// Keys and passwords never appear in configuration errors.
func TestLoadNeverEchoesSecrets(t *testing.T) {
	_, err := Load(env(map[string]string{
		"NOTIFY_GROUPS":   `[{"id":"a","channels":["sms"],"keys":["tiny-secret"]}]`,
		"NOTIFY_SMTP_URL": "ftp://user:hunter2@mail",
	}))
	if err == nil {
		t.Fatal("Load succeeded; want an error")
	}
	for _, s := range []string{"tiny-secret", "hunter2"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error shows the secret %q: %v", s, err)
		}
	}
}

// Load reads exactly Variables, plus PORT, TMPDIR, the runtime's
// variables, those that say a local invoke, and the local server's own
// (NOTIFY_HOST, NOTIFY_TICK_EVERY): the deployment
// templates are checked against Variables, so a variable read but not
// listed would be missing from them.
func TestLoadReadsVariables(t *testing.T) {
	read := map[string]bool{}
	Load(func(k string) string { read[k] = true; return "" })
	want := map[string]bool{"PORT": true, "TMPDIR": true, "AWS_LAMBDA_RUNTIME_API": true, "FC_RUNTIME_API": true,
		"AWS_SAM_LOCAL": true, "NOTIFY_LOCAL": true, "NOTIFY_HOST": true, "NOTIFY_TICK_EVERY": true}
	for _, v := range Variables {
		want[v] = true
	}
	for k := range read {
		if !want[k] {
			t.Errorf("Load reads %s, which Variables does not list", k)
		}
	}
	for k := range want {
		if !read[k] {
			t.Errorf("Variables lists %s, which Load never reads", k)
		}
	}
}

// Each provider's callback token falls back to NOTIFY_CALLBACK_TOKEN.
func TestLoadCallbackTokens(t *testing.T) {
	const (
		shared = "c2hhcmVkLXRva2VuLTAxMjM0NTY3"
		aliyun = "YWxpeXVuLXRva2VuLTAxMjM0NTY3_-"
	)
	tests := []struct {
		name                     string
		env                      map[string]string
		aliyun, tencent, cloopen notify.Secret
		configured               bool
	}{
		{"none", nil, "", "", "", false},
		{"shared", map[string]string{"NOTIFY_CALLBACK_TOKEN": shared}, shared, shared, shared, true},
		{"shared, Aliyun's own", map[string]string{"NOTIFY_CALLBACK_TOKEN": shared, "NOTIFY_CALLBACK_TOKEN_ALIYUN": aliyun},
			aliyun, shared, shared, true},
		{"Aliyun's only", map[string]string{"NOTIFY_CALLBACK_TOKEN_ALIYUN": " " + aliyun + "\n"}, aliyun, "", "", true},
		{"Tencent's only", map[string]string{"NOTIFY_CALLBACK_TOKEN_TENCENT": shared}, "", shared, "", true},
		{"Cloopen's only", map[string]string{"NOTIFY_CALLBACK_TOKEN_CLOOPEN": shared}, "", "", shared, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]string{"NOTIFY_GROUPS": `[{"id":"demo","channels":["sms"]}]`}
			for k, v := range tt.env {
				vars[k] = v
			}
			c, err := Load(env(vars))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			cb := c.Callback
			if cb.Aliyun != tt.aliyun || cb.Tencent != tt.tencent || cb.Cloopen != tt.cloopen || cb.Configured() != tt.configured {
				t.Errorf("Callback = aliyun %q tencent %q cloopen %q configured %v; want %q %q %q %v",
					cb.Aliyun.Reveal(), cb.Tencent.Reveal(), cb.Cloopen.Reveal(), cb.Configured(),
					tt.aliyun.Reveal(), tt.tencent.Reveal(), tt.cloopen.Reveal(), tt.configured)
			}
			if got, want := cb.Token.Reveal(), tt.env["NOTIFY_CALLBACK_TOKEN"]; got != want {
				t.Errorf("Token = %q, want %q", got, want)
			}
		})
	}
}

// A short or odd token is a problem that names its variable, never the
// token.
func TestLoadCallbackTokenProblems(t *testing.T) {
	tests := []struct{ name, variable, token string }{
		{"short", "NOTIFY_CALLBACK_TOKEN", "only-21-characters-xx"},
		{"slash", "NOTIFY_CALLBACK_TOKEN_ALIYUN", "c2hhcmVkLXRva2VuLTAx/MjM0NTY3"},
		{"plus and padding", "NOTIFY_CALLBACK_TOKEN_TENCENT", "c2hhcmVkLXRva2VuLTAx+MjM0NTY3=="},
		{"inner space", "NOTIFY_CALLBACK_TOKEN_CLOOPEN", "c2hhcmVkLXRva2Vu LTAxMjM0NTY3"},
		{"not ASCII", "NOTIFY_CALLBACK_TOKEN", "令牌令牌令牌令牌令牌令牌令牌令牌"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(env(map[string]string{"NOTIFY_GROUPS": `[{"id":"demo","channels":["sms"]}]`, tt.variable: tt.token}))
			if err == nil {
				t.Fatal("Load succeeded; want an error")
			}
			if !strings.Contains(err.Error(), tt.variable+": must be at least 22 characters") {
				t.Errorf("error does not name %s: %v", tt.variable, err)
			}
			if strings.Contains(err.Error(), tt.token) {
				t.Errorf("error shows the token: %v", err)
			}
		})
	}
	// 22 characters is enough.
	if _, err := Load(env(map[string]string{"NOTIFY_GROUPS": `[{"id":"demo","channels":["sms"]}]`,
		"NOTIFY_CALLBACK_TOKEN": "exactly-22-characters-"})); err != nil {
		t.Errorf("a 22-character token: %v", err)
	}
}

// TestLoadLocalServer: the local server's NOTIFY_HOST and
// NOTIFY_TICK_EVERY are checked with every other variable, before the
// server says it serves, and only where it runs: on Lambda and FC they
// are not read.
func TestLoadLocalServer(t *testing.T) {
	e := map[string]string{"NOTIFY_GROUPS": `[{"id":"a","channels":["sms"]}]`, "NOTIFY_HOST": "999.1.1.1",
		"NOTIFY_TICK_EVERY": "5", "NOTIFY_RETENTION_DAYS": "x"}
	_, err := Load(env(e))
	for _, w := range []string{`NOTIFY_HOST: "999.1.1.1" is not an IP address or a host name`,
		`NOTIFY_TICK_EVERY "5" is no period`, `NOTIFY_RETENTION_DAYS: "x"`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q: %v", w, err)
		}
	}
	if err != nil && strings.Contains(err.Error(), "platform: ") {
		t.Errorf("a problem keeps its package's prefix: %v", err)
	}
	e["NOTIFY_RETENTION_DAYS"] = ""
	e["AWS_LAMBDA_RUNTIME_API"] = "127.0.0.1:9001"
	if _, err := Load(env(e)); err != nil {
		t.Errorf("on Lambda, the local server's variables are not read: %v", err)
	}
	e = map[string]string{"NOTIFY_GROUPS": `[{"id":"a","channels":["sms"]}]`, "NOTIFY_HOST": " 0.0.0.0\n",
		"NOTIFY_TICK_EVERY": "30s\n", "PORT": "8010\n"}
	if c, err := Load(env(e)); err != nil || c.Port != "8010" {
		t.Errorf("values with spaces around them: port %q, %v; want 8010, no problem", c.Port, err)
	}
}

// TestLoadCodePolicy: a code policy variable set to 0 is refused, not
// taken for its default (NOTIFY_CODE_COOLDOWN=0 meant no cooldown, and
// got 60s); a TTL out of range is one problem, not one more for the
// cooldown left unset, whose default follows the TTL.
func TestLoadCodePolicy(t *testing.T) {
	base := func(extra map[string]string) map[string]string {
		e := map[string]string{"NOTIFY_GROUPS": `[{"id":"a","channels":["sms"]}]`}
		for k, v := range extra {
			e[k] = v
		}
		return e
	}
	_, err := Load(env(base(map[string]string{"NOTIFY_CODE_LENGTH": "0", "NOTIFY_CODE_TTL": "0s",
		"NOTIFY_CODE_COOLDOWN": "0", "NOTIFY_CODE_MAX_ATTEMPTS": "0"})))
	for _, w := range []string{"NOTIFY_CODE_LENGTH: is 0; want 4 to 8 digits", "NOTIFY_CODE_TTL: is 0; want 1s to 10m0s",
		"NOTIFY_CODE_COOLDOWN: is 0; want 1s to the TTL", "NOTIFY_CODE_MAX_ATTEMPTS: is 0; want 1 to 5"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("every policy variable 0: %v; want %q", err, w)
		}
	}
	_, err = Load(env(base(map[string]string{"NOTIFY_CODE_TTL": "-5m"})))
	if err == nil || !strings.Contains(err.Error(), "NOTIFY_CODE_TTL: is -5m0s") || strings.Contains(err.Error(), "COOLDOWN") {
		t.Errorf("a negative TTL: %v; want its one problem, none of the cooldown left unset", err)
	}
	_, err = Load(env(base(map[string]string{"NOTIFY_CODE_TTL": "-5m", "NOTIFY_CODE_COOLDOWN": "90s"})))
	if err == nil || !strings.Contains(err.Error(), "NOTIFY_CODE_COOLDOWN:") {
		t.Errorf("a negative TTL and a cooldown set: %v; want the cooldown named too", err)
	}
	c, err := Load(env(base(map[string]string{"NOTIFY_CODE_TTL": "30s"})))
	if err != nil || c.Codes.Policy.Cooldown != 30*time.Second || c.Codes.Policy.MaxAttempts != 5 {
		t.Errorf("a TTL of 30s alone: %+v, %v; want the cooldown 30s, 5 attempts", c.Codes.Policy, err)
	}
}

// TestLoadSMTPURL: NOTIFY_SMTP_URL is checked as the mail function's
// client checks it, with every other variable and naming it: before, a
// bad starttls or auth, a password for smtp:// without STARTTLS, or a
// port out of range passed Load, and the mail function alone stopped on
// it afterwards, in the client's words. No error shows the password.
func TestLoadSMTPURL(t *testing.T) {
	const pw = "smtp-pass-word"
	for _, tc := range []struct{ url, want string }{
		{"smtp://u:" + pw + "@mail.example.com:587?starttls=maybe", "NOTIFY_SMTP_URL: the mail server URL has a bad starttls"},
		{"smtp://u:" + pw + "@mail.example.com:587?auth=cram-md5", "NOTIFY_SMTP_URL: the mail server URL has a bad auth"},
		{"smtp://u:" + pw + "@mail.example.com:587?starttls=off", "NOTIFY_SMTP_URL: refusing starttls=off with a password"},
		{"smtp://u:" + pw + "@mail.example.com:70000", "NOTIFY_SMTP_URL: the mail server URL has a port out of range"},
		{"smtps://u:" + pw + "@mail.example.com?starttls=required", "NOTIFY_SMTP_URL: starttls does not apply to smtps://"},
		{"smtp://u:pa/" + pw + "@mail.example.com", "NOTIFY_SMTP_URL:"},
	} {
		_, err := Load(env(map[string]string{"NOTIFY_GROUPS": `[{"id":"a","channels":["mail"]}]`,
			"NOTIFY_SMTP_URL": tc.url, "NOTIFY_RETENTION_DAYS": "0"}))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "NOTIFY_RETENTION_DAYS") {
			t.Errorf("NOTIFY_SMTP_URL with the password redacted, %q: %v; want %q with the other problem",
				strings.ReplaceAll(tc.url, pw, "xxxxx"), err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), pw) {
			t.Errorf("the error shows the password: %v", err)
		}
	}
	if _, err := Load(env(map[string]string{"NOTIFY_GROUPS": `[{"id":"a","channels":["mail"]}]`,
		"NOTIFY_SMTP_URL": "smtps://u:p%40ss@mail.example.com?auth=login"})); err != nil {
		t.Errorf("a good URL: %v", err)
	}
}

// TestLoadKeysOwn: a key one group lists twice is refused; a key two
// groups hold (also when one gives it as its sha256: form) starts, with
// the pair of groups for the start's warning, since a caller holding it
// may name either; never echoing it.
func TestLoadKeysOwn(t *testing.T) {
	const key = "shared-key-0123456789abcdef"
	sum := sha256.Sum256([]byte(key))
	hashed := "sha256:" + hex.EncodeToString(sum[:])
	for _, tc := range []struct{ name, groups, want string }{
		{"two groups", `[{"id":"a","channels":["sms"],"keys":["` + key + `"]},{"id":"b","channels":["sms"],"keys":["other-key-0123456789","` + key + `"]}]`,
			"[[a b]]"},
		{"the key and its hash", `[{"id":"a","channels":["sms"],"keys":["` + hashed + `"]},{"id":"b","channels":["sms"],"keys":["` + key + `"]}]`,
			"[[a b]]"},
		{"keys of their own", `[{"id":"a","channels":["sms"],"keys":["` + key + `"]},{"id":"b","channels":["sms"],"keys":["other-key-0123456789"]}]`,
			"[]"},
	} {
		c, err := Load(env(map[string]string{"NOTIFY_GROUPS": tc.groups}))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if got := fmt.Sprint(c.SharedKeys); got != tc.want {
			t.Errorf("%s: SharedKeys %s; want %s", tc.name, got, tc.want)
		}
	}
	_, err := Load(env(map[string]string{"NOTIFY_GROUPS": `[{"id":"a","channels":["sms"],"keys":["` + key + `","` + key + `"]}]`}))
	if want := `NOTIFY_GROUPS[0] (id "a").keys[1]: the same key as keys[0]`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("one group twice: %v; want %q", err, want)
	}
	if err != nil && (strings.Contains(err.Error(), key) || strings.Contains(err.Error(), hashed[10:])) {
		t.Errorf("the error shows the key: %v", err)
	}
}

// TestLoadPostgresURL: a postgres:// URL the store could not read (a port
// that is no number, reserved characters not encoded in the password) is
// a problem of Load's, named, with every other one, and
// never shows the password; before, the store stopped the start on it
// afterwards, not naming NOTIFY_DATABASE_URL.
func TestLoadPostgresURL(t *testing.T) {
	const pw = "db-pass-word-xyz"
	for _, u := range []string{
		"postgres://notify:" + pw + "@db.internal:notaport/notify",
		"postgres://notify:p/" + pw + "@db.internal/notify",
	} {
		_, err := Load(env(map[string]string{"NOTIFY_GROUPS": `[{"id":"a","channels":["sms"]}]`,
			"NOTIFY_DATABASE_URL": u, "NOTIFY_RETENTION_DAYS": "0"}))
		if err == nil || !strings.Contains(err.Error(), "NOTIFY_DATABASE_URL: ") || !strings.Contains(err.Error(), "NOTIFY_RETENTION_DAYS") {
			t.Errorf("URL %q: %v; want NOTIFY_DATABASE_URL named with the other problem", strings.ReplaceAll(u, pw, "xxxxx"), err)
		}
		if err != nil && strings.Contains(err.Error(), pw) {
			t.Errorf("the error shows the password: %v", err)
		}
	}
	if _, err := Load(env(map[string]string{"NOTIFY_GROUPS": `[{"id":"a","channels":["sms"]}]`,
		"NOTIFY_DATABASE_URL": "postgres://notify:p%40ss@db.internal:5432/notify?sslmode=require&pool_max_conns=4"})); err != nil {
		t.Errorf("a good URL: %v", err)
	}
}
