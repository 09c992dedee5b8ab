package config

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/cloopensms"
	"github.com/seed4ddb146e/notify/shared/provider/tencentsms"
)

const oneGroup = `[{"id":"shop","channels":["sms"]}]`

func TestLoadRouting(t *testing.T) {
	c, err := Load(env(map[string]string{
		"NOTIFY_GROUPS": `[{"id":"shop","channels":["sms","tts"],"providers":["tencent","aliyun"],
			"limits":{"verification":{"per_day":3},"voice":{"per_minute":0},"daily_cap":500}}]`,
		"NOTIFY_TEMPLATES": `[{"name":"login_code","kind":"verification","variables":[{"name":"code","max_len":6,"chars":"digits"}],
			"ids":{"aliyun":"SMS_1","tencent":"101","cloopen":"7"},"providers":["cloopen"]}]`,
		"NOTIFY_SMS_PROVIDERS":       "cloopen, tencent",
		"TENCENTCLOUD_SECRET_ID":     "AKIDexample",
		"TENCENTCLOUD_SECRET_KEY":    "tencent-secret-key",
		"NOTIFY_TENCENT_SMS_APP_ID":  "1400006666",
		"NOTIFY_CLOOPEN_ACCOUNT_SID": "8a216da8",
		"NOTIFY_CLOOPEN_AUTH_TOKEN":  "cloopen-token",
		"NOTIFY_CLOOPEN_APP_ID":      "8a216da8app",
	}))
	if err != nil {
		t.Fatal(err)
	}
	g := c.Groups[0]
	wantLimits := notify.DefaultLimits
	wantLimits.Verification.PerDay, wantLimits.Voice.PerMinute, wantLimits.DailyCap = 3, 0, 500
	if strings.Join(g.Providers, ",") != "tencent,aliyun" || g.Limits == nil || *g.Limits != wantLimits {
		t.Errorf("group providers %q, limits %+v; want tencent,aliyun and %+v", g.Providers, g.Limits, wantLimits)
	}
	if len(c.Templates) != 1 || c.Templates[0].IDs["tencent"] != "101" || c.Templates[0].Kind != notify.VerificationSMS ||
		c.Templates[0].Variables[0] != (notify.Variable{Name: "code", MaxLen: 6, Chars: "digits"}) {
		t.Errorf("templates %+v", c.Templates)
	}
	if strings.Join(c.SMSProviders, ",") != "cloopen,tencent" || !c.Tencent.Configured() || !c.Cloopen.Configured() ||
		c.Tencent.SecretKey != "tencent-secret-key" || c.Cloopen.AppID != "8a216da8app" {
		t.Errorf("providers %q, tencent %+v, cloopen %+v", c.SMSProviders, c.Tencent, c.Cloopen)
	}
}

func TestLoadRoutingProblems(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"tencent in part", map[string]string{"TENCENTCLOUD_SECRET_ID": "AKID"},
			[]string{"Tencent Cloud SMS: TENCENTCLOUD_SECRET_ID set but NOTIFY_TENCENT_SMS_APP_ID, TENCENTCLOUD_SECRET_KEY missing"}},
		{"cloopen in part", map[string]string{"NOTIFY_CLOOPEN_AUTH_TOKEN": "secret-token"},
			[]string{"Cloopen: NOTIFY_CLOOPEN_AUTH_TOKEN set but NOTIFY_CLOOPEN_ACCOUNT_SID, NOTIFY_CLOOPEN_APP_ID missing"}},
		{"unknown provider in the order", map[string]string{"NOTIFY_SMS_PROVIDERS": "aliyun,twilio,aliyun"},
			[]string{`NOTIFY_SMS_PROVIDERS[1]: unknown provider "twilio"`, `NOTIFY_SMS_PROVIDERS[2]: "aliyun" listed twice`}},
		{"group providers and limits", map[string]string{"NOTIFY_GROUPS": `[{"id":"a","channels":["sms"],"providers":["x"],
			"limits":{"verification":{"per_hour":-1},"daily_cap":-5}}]`},
			[]string{`providers[0]: unknown provider "x"`, "limits.verification.per_hour: negative", "limits.daily_cap: negative"}},
		{"templates", map[string]string{"NOTIFY_TEMPLATES": `[{"name":"","kind":"marketing","ids":{}},
			{"name":"b","ids":{"aliyun":"SMS_1","fax":"1"},"providers":["tencent"],"variables":[{"name":"","chars":"x"},{"name":"v","chars":"hex"}]},
			{"name":"SMS_1","ids":{"tencent":" "}}]`},
			[]string{"[0].name: must be", `[0].kind: "marketing"`, "[0].ids: missing", `ids: unknown provider "fax"`,
				"providers: lists tencent, which has no id", "variables[0].name: missing", `variables[1].chars: "hex"`,
				`"SMS_1" also names template "b"`, "ids.tencent: empty"}},
		// Two templates by one name: the name would allow either.
		{"a name twice", map[string]string{"NOTIFY_TEMPLATES": `[{"name":"x","ids":{"aliyun":"SMS_1"}},
			{"name":"x","ids":{"aliyun":"SMS_2"}},{"name":"SMS_3","ids":{"aliyun":"SMS_3"}}]`},
			[]string{`[1] (name "x"): "x" also names template "x"`}},
		{"templates not JSON", map[string]string{"NOTIFY_TEMPLATES": `{"name":"a"}`}, []string{"NOTIFY_TEMPLATES: "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]string{"NOTIFY_GROUPS": oneGroup}
			for k, v := range tc.env {
				vars[k] = v
			}
			_, err := Load(env(vars))
			if err == nil {
				t.Fatalf("Load = nil error, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "secret-token") {
				t.Errorf("error %q shows a secret", err)
			}
		})
	}
}

// FuzzLoad feeds Load arbitrary groups and templates: it must never panic,
// and a configuration it accepts must have groups.
func FuzzLoad(f *testing.F) {
	f.Add(oneGroup, "")
	f.Add(`[{"id":"a","channels":["sms"],"providers":["tencent"],"limits":{"verification":{"per_day":3},"daily_cap":9}}]`,
		`[{"name":"t","kind":"verification","variables":[{"name":"code","max_len":6,"chars":"digits"}],"ids":{"aliyun":"SMS_1"}}]`)
	f.Add(`[{"id":"a","channels":["sms"],"limits":null}]`, `[{"name":"t","ids":{"cloopen":"1"},"providers":null}]`)
	f.Add(`[`, `[{"variables":[{}]}]`)
	f.Fuzz(func(t *testing.T, groups, templates string) {
		c, err := Load(env(map[string]string{"NOTIFY_GROUPS": groups, "NOTIFY_TEMPLATES": templates}))
		if err == nil && len(c.Groups) == 0 {
			t.Errorf("Load accepted %q with no groups", groups)
		}
	})
}

// FuzzLoadSecrets loads a group whose API key and webhook secret, and the
// console, code and callback secrets, the providers' and the passwords of
// the SMTP and database URLs, are fuzzed, with other settings that
// may be wrong: whatever Load says of the configuration, it never shows
// one of those secrets. Each secret ends in a marker no other setting
// holds.
func FuzzLoadSecrets(f *testing.F) {
	f.Add("shop", "key-0123456789abcdef", "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3", "https://h.example/x", "sms", "console-secret")
	f.Add("shop", "short", "whsec_!!!", "http://u:pw@h/", "fax", "x")
	f.Add("", "sha256:zz", "tiny", "", "", "")
	f.Add("a b", "key with spaces in it", "a-webhook-secret-of-24-bytes", "ftp://h", "tts", "0123456789abcdef0123456789abcdef")
	const marker = "QZXMARK"
	f.Fuzz(func(t *testing.T, id, key, secret, url, channel, other string) {
		id, url, channel = strings.ReplaceAll(id, marker, ""), strings.ReplaceAll(url, marker, ""), strings.ReplaceAll(channel, marker, "")
		key, secret, other = key+marker, secret+marker, other+marker
		type webhookJ struct {
			URL     string   `json:"url"`
			Secrets []string `json:"secrets"`
		}
		g, err := json.Marshal([]map[string]any{{"id": id, "channels": []string{channel}, "keys": []string{key},
			"webhook": webhookJ{URL: url, Secrets: []string{secret}}}})
		if err != nil {
			return
		}
		_, err = Load(env(map[string]string{"NOTIFY_GROUPS": string(g), "NOTIFY_CONSOLE_SECRET": other,
			"NOTIFY_CODE_SECRET": other, "NOTIFY_CALLBACK_TOKEN": other, "NOTIFY_CLOOPEN_AUTH_TOKEN": other,
			"TENCENTCLOUD_SECRET_KEY": other, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": other,
			"NOTIFY_SMTP_URL": "smtp://u:" + other + "@" + url, "NOTIFY_DATABASE_URL": "postgres://u:" + other + "@" + url}))
		if err != nil && strings.Contains(err.Error(), marker) {
			t.Fatalf("Load shows a secret: %v", err)
		}
	})
}

// TestLoadProviderSettings: what a provider's client refuses when the sms
// function makes it (an app id that is not a number, a region, an
// endpoint with a path) is a problem of Load's, named by its variable and
// reported with every other one; before, the start stopped on the first
// client's, in the client's words (SDKAppID, Endpoint), after the rest
// had been fixed, and Cloopen's waited for Tencent's. A password in an
// endpoint is never shown.
func TestLoadProviderSettings(t *testing.T) {
	_, err := Load(env(map[string]string{"NOTIFY_GROUPS": oneGroup, "NOTIFY_RETENTION_DAYS": "x",
		"TENCENTCLOUD_SECRET_ID": "AKID", "TENCENTCLOUD_SECRET_KEY": "k", "NOTIFY_TENCENT_SMS_APP_ID": "abc",
		"NOTIFY_TENCENT_SMS_REGION": "ap guangzhou", "NOTIFY_TENCENT_SMS_ENDPOINT": "ftp://sms.example.com",
		"NOTIFY_CLOOPEN_ACCOUNT_SID": "a/b", "NOTIFY_CLOOPEN_AUTH_TOKEN": "t", "NOTIFY_CLOOPEN_APP_ID": "c",
		"NOTIFY_CLOOPEN_ENDPOINT":      "https://user:endpoint-pw@cloopen.example.com/2013-12-26",
		"NOTIFY_ALIYUN_VOICE_ENDPOINT": "dyvmsapi.example.com:99999"}))
	for _, w := range []string{
		`NOTIFY_TENCENT_SMS_APP_ID: "abc" is not a number`,
		`NOTIFY_TENCENT_SMS_REGION: "ap guangzhou" is not a region name`,
		`NOTIFY_TENCENT_SMS_ENDPOINT: "ftp://sms.example.com" is not host[:port] or an http(s) URL`,
		`NOTIFY_CLOOPEN_ACCOUNT_SID: must not contain`,
		`NOTIFY_CLOOPEN_ENDPOINT: "https://user:xxxxx@cloopen.example.com/2013-12-26" is not`,
		`NOTIFY_ALIYUN_VOICE_ENDPOINT: "dyvmsapi.example.com:99999" is not`,
		`NOTIFY_RETENTION_DAYS: "x"`,
	} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q: %v", w, err)
		}
	}
	if err != nil && strings.Contains(err.Error(), "endpoint-pw") {
		t.Errorf("the error shows a password: %v", err)
	}
	for _, ep := range []string{"sms.tencentcloudapi.com", "127.0.0.1:4000", "http://127.0.0.1:4000", "https://[::1]:443/"} {
		if _, err := Load(env(map[string]string{"NOTIFY_GROUPS": oneGroup, "NOTIFY_TENCENT_SMS_ENDPOINT": ep,
			"NOTIFY_CLOOPEN_ENDPOINT": ep, "NOTIFY_ALIYUN_SMS_ENDPOINT": ep})); err != nil {
			t.Errorf("endpoint %q: %v", ep, err)
		}
	}
}

// TestEndpointAsTheClients: Load refuses an endpoint variable exactly when
// the provider's client would refuse the endpoint as it is made, neither
// more nor less: a value the client takes, which worked before Load
// checked it, must not stop the start.
func TestEndpointAsTheClients(t *testing.T) {
	for _, ep := range []string{"sms.tencentcloudapi.com", "https://sms.example.com?", "https://sms.example.com/?#",
		"h?#", "https://h/", "http://[::1]:8/", "https://h:0", "https://h?x=1", "https://h#f", "https://:443", "ftp://h",
		"https://u@h", "https://h/p", "h:99999", "%zz"} {
		_, tcErr := tencentsms.New(tencentsms.Config{SecretID: "id", SecretKey: "key", SDKAppID: "1400000000", Endpoint: ep})
		_, clErr := cloopensms.New(cloopensms.Config{AccountSID: "sid", AuthToken: "token", AppID: "app", Endpoint: ep})
		_, err := Load(env(map[string]string{"NOTIFY_GROUPS": oneGroup, "NOTIFY_TENCENT_SMS_ENDPOINT": ep,
			"NOTIFY_CLOOPEN_ENDPOINT": ep}))
		for _, c := range []struct {
			name      string
			clientErr error
		}{{"NOTIFY_TENCENT_SMS_ENDPOINT", tcErr}, {"NOTIFY_CLOOPEN_ENDPOINT", clErr}} {
			refused := err != nil && strings.Contains(err.Error(), c.name+":")
			if refused != (c.clientErr != nil) {
				t.Errorf("%s=%q: Load's problem %v, the client's %v; want both or neither", c.name, ep, err, c.clientErr)
			}
		}
	}
}

// TestLoadProviderOrderConfigured: NOTIFY_SMS_PROVIDERS listing only
// providers that are not configured, while another one is, is refused:
// the sms function would send every SMS to the sandbox (answering OK, not
// sent) and warn that no provider is configured, with Aliyun's keys set.
// With no provider configured at all, the sandbox is meant.
func TestLoadProviderOrderConfigured(t *testing.T) {
	aliyun := map[string]string{"NOTIFY_GROUPS": oneGroup, "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIexample",
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET": "aliyun-secret", "NOTIFY_SMS_PROVIDERS": "tencent,cloopen"}
	_, err := Load(env(aliyun))
	if err == nil || !strings.Contains(err.Error(), `NOTIFY_SMS_PROVIDERS: "tencent,cloopen" lists no configured provider, and leaves out aliyun`) {
		t.Errorf("only unconfigured providers listed, aliyun configured: %v; want it refused", err)
	}
	for name, e := range map[string]map[string]string{
		"one listed is configured": {"NOTIFY_GROUPS": oneGroup, "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIexample",
			"ALIBABA_CLOUD_ACCESS_KEY_SECRET": "aliyun-secret", "NOTIFY_SMS_PROVIDERS": "tencent,aliyun"},
		"none configured": {"NOTIFY_GROUPS": oneGroup, "NOTIFY_SMS_PROVIDERS": "tencent"},
	} {
		if _, err := Load(env(e)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
