package config

import (
	"slices"
	"strings"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// SMSProviders are the provider names NOTIFY_SMS_PROVIDERS, a group's
// providers and a template's may list, in the gateway's default order.
var SMSProviders = []string{notify.ProviderAliyun, notify.ProviderTencent, notify.ProviderCloopen}

// Tencent holds the Tencent Cloud SMS settings; SecretID and SecretKey by
// the names Tencent's own tools read.
type Tencent struct {
	SecretID  string        // TENCENTCLOUD_SECRET_ID
	SecretKey notify.Secret // TENCENTCLOUD_SECRET_KEY
	AppID     string        // NOTIFY_TENCENT_SMS_APP_ID, the SmsSdkAppId
	Region    string        // NOTIFY_TENCENT_SMS_REGION; "" is ap-guangzhou
	Endpoint  string        // NOTIFY_TENCENT_SMS_ENDPOINT; "" is the public endpoint
}

// Configured reports whether Tencent Cloud SMS is set up.
func (t Tencent) Configured() bool { return t.SecretID != "" }

// Cloopen holds the Cloopen (容联云) settings.
type Cloopen struct {
	AccountSID string        // NOTIFY_CLOOPEN_ACCOUNT_SID
	AuthToken  notify.Secret // NOTIFY_CLOOPEN_AUTH_TOKEN
	AppID      string        // NOTIFY_CLOOPEN_APP_ID
	Endpoint   string        // NOTIFY_CLOOPEN_ENDPOINT; "" is the public endpoint
}

// Configured reports whether Cloopen is set up.
func (c Cloopen) Configured() bool { return c.AccountSID != "" }

// loadTencent reads the Tencent settings: all of id, key and app id, or
// none.
func loadTencent(getenv func(string) string, p *problems) Tencent {
	t := Tencent{SecretID: strings.TrimSpace(getenv("TENCENTCLOUD_SECRET_ID")),
		SecretKey: notify.Secret(strings.TrimSpace(getenv("TENCENTCLOUD_SECRET_KEY"))),
		AppID:     strings.TrimSpace(getenv("NOTIFY_TENCENT_SMS_APP_ID")),
		Region:    strings.TrimSpace(getenv("NOTIFY_TENCENT_SMS_REGION")),
		Endpoint:  strings.TrimSpace(getenv("NOTIFY_TENCENT_SMS_ENDPOINT"))}
	allOrNone(p, "Tencent Cloud SMS", map[string]bool{"TENCENTCLOUD_SECRET_ID": t.SecretID != "",
		"TENCENTCLOUD_SECRET_KEY": t.SecretKey != "", "NOTIFY_TENCENT_SMS_APP_ID": t.AppID != ""})
	// What the client (tencentsms.New) would refuse when the sms function
	// makes it, after every other problem: said here, with them.
	if t.AppID != "" && !onlyBytes(t.AppID, func(c byte) bool { return '0' <= c && c <= '9' }) {
		p.add("NOTIFY_TENCENT_SMS_APP_ID: %q is not a number; want the SmsSdkAppId, such as 1400000000", t.AppID)
	}
	if t.Region != "" && (len(t.Region) > 32 ||
		!onlyBytes(t.Region, func(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' })) {
		p.add("NOTIFY_TENCENT_SMS_REGION: %q is not a region name such as ap-guangzhou", t.Region)
	}
	checkEndpoint(p, "NOTIFY_TENCENT_SMS_ENDPOINT", t.Endpoint)
	return t
}

// loadCloopen reads the Cloopen settings: all of account, token and app
// id, or none.
func loadCloopen(getenv func(string) string, p *problems) Cloopen {
	c := Cloopen{AccountSID: strings.TrimSpace(getenv("NOTIFY_CLOOPEN_ACCOUNT_SID")),
		AuthToken: notify.Secret(strings.TrimSpace(getenv("NOTIFY_CLOOPEN_AUTH_TOKEN"))),
		AppID:     strings.TrimSpace(getenv("NOTIFY_CLOOPEN_APP_ID")),
		Endpoint:  strings.TrimSpace(getenv("NOTIFY_CLOOPEN_ENDPOINT"))}
	allOrNone(p, "Cloopen", map[string]bool{"NOTIFY_CLOOPEN_ACCOUNT_SID": c.AccountSID != "",
		"NOTIFY_CLOOPEN_AUTH_TOKEN": c.AuthToken != "", "NOTIFY_CLOOPEN_APP_ID": c.AppID != ""})
	// What the client (cloopensms.New) would refuse, as for Tencent.
	if strings.ContainsAny(c.AccountSID, "/?#:% ") {
		p.add("NOTIFY_CLOOPEN_ACCOUNT_SID: must not contain '/', '?', '#', ':', '%%' or spaces")
	}
	checkEndpoint(p, "NOTIFY_CLOOPEN_ENDPOINT", c.Endpoint)
	return c
}

// allOrNone adds a problem naming the missing variables of a provider
// configured only in part.
func allOrNone(p *problems, what string, set map[string]bool) {
	var missing, given []string
	for _, v := range sortedKeysOf(set) {
		if set[v] {
			given = append(given, v)
		} else {
			missing = append(missing, v)
		}
	}
	if len(given) > 0 && len(missing) > 0 {
		p.add("%s: %s set but %s missing; set all of them or none", what, strings.Join(given, ", "), strings.Join(missing, ", "))
	}
}

// loadProviderOrder reads NOTIFY_SMS_PROVIDERS, the gateway's order of SMS
// providers: a comma-separated list of provider names; "" is
// SMSProviders' order.
func loadProviderOrder(raw string, p *problems) []string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil
	}
	var out []string
	for _, name := range strings.Split(raw, ",") {
		out = append(out, strings.TrimSpace(name))
	}
	checkProviders(p, "NOTIFY_SMS_PROVIDERS", out)
	return out
}

// checkProviderOrder adds a problem when NOTIFY_SMS_PROVIDERS lists no
// configured provider while another one is configured: the sms function
// would route every SMS to the sandbox, answering OK and sending nothing,
// with a warning that no provider is configured. With none configured at
// all (a local run, a local invoke), the sandbox is what is meant.
func checkProviderOrder(p *problems, c Config) {
	if len(c.SMSProviders) == 0 {
		return
	}
	configured := map[string]bool{notify.ProviderAliyun: c.Aliyun.Configured(),
		notify.ProviderTencent: c.Tencent.Configured(), notify.ProviderCloopen: c.Cloopen.Configured()}
	var left []string
	for _, name := range c.SMSProviders {
		if configured[name] {
			return
		}
	}
	for _, name := range SMSProviders {
		if configured[name] {
			left = append(left, name)
		}
	}
	if len(left) > 0 {
		p.add("NOTIFY_SMS_PROVIDERS: %q lists no configured provider, and leaves out %s, which is: every SMS would go "+
			"to the sandbox and not be sent; list %s, or configure one it lists",
			strings.Join(c.SMSProviders, ","), strings.Join(left, ", "), strings.Join(left, " or "))
	}
}

// checkProviders adds a problem for each unknown or repeated provider name
// in list.
func checkProviders(p *problems, at string, list []string) {
	for i, name := range list {
		switch {
		case !slices.Contains(SMSProviders, name):
			p.add("%s[%d]: unknown provider %q (want %s)", at, i, name, strings.Join(SMSProviders, ", "))
		case slices.Index(list, name) < i:
			p.add("%s[%d]: %q listed twice", at, i, name)
		}
	}
}

type templateJSON struct {
	Name      string            `json:"name"`
	Kind      string            `json:"kind"`
	Variables []variableJSON    `json:"variables"`
	IDs       map[string]string `json:"ids"`
	Providers []string          `json:"providers"`
}

type variableJSON struct {
	Name   string `json:"name"`
	MaxLen int    `json:"max_len"`
	Chars  string `json:"chars"`
}

// loadTemplates reads NOTIFY_TEMPLATES, the template registry: a JSON list
// of {"name", "kind" ("verification" or "notification"), "variables"
// [{"name", "max_len", "chars" ("digits", "alnum" or "")}], "ids"
// {"aliyun": ..., "tencent": ..., "cloopen": ...}, "providers" [...]}.
func loadTemplates(raw string, p *problems) []notify.Template {
	const v = "NOTIFY_TEMPLATES"
	if strings.TrimSpace(raw) == "" {
		return nil
	}
	var in []templateJSON
	if !decodeList(v, raw, &in, p) {
		return nil
	}
	out := make([]notify.Template, 0, len(in))
	codes := make(map[string]int, 2*len(in)) // a name or Aliyun id -> the template that has it
	for i, tj := range in {
		at := element(v, i, "name", tj.Name)
		t := notify.Template{Name: tj.Name, Kind: notify.LimitKind(tj.Kind), IDs: tj.IDs, Providers: tj.Providers}
		if tj.Name == "" || len(tj.Name) > 64 {
			p.add("%s.name: must be 1-64 characters", at)
		}
		switch t.Kind {
		case notify.VerificationSMS, notify.NotificationSMS:
		case "":
			t.Kind = notify.NotificationSMS
		default:
			p.add("%s.kind: %q; want verification or notification", at, tj.Kind)
		}
		if len(tj.IDs) == 0 {
			p.add("%s.ids: missing; give the template's id at aliyun, tencent and/or cloopen", at)
		}
		for _, prov := range sortedKeysOf(tj.IDs) {
			if !slices.Contains(SMSProviders, prov) {
				p.add("%s.ids: unknown provider %q (want %s)", at, prov, strings.Join(SMSProviders, ", "))
			} else if strings.TrimSpace(tj.IDs[prov]) == "" {
				p.add("%s.ids.%s: empty", at, prov)
			}
		}
		checkProviders(p, at+".providers", tj.Providers)
		for _, prov := range tj.Providers {
			if tj.IDs[prov] == "" && slices.Contains(SMSProviders, prov) {
				p.add("%s.providers: lists %s, which has no id in ids", at, prov)
			}
		}
		for j, vj := range tj.Variables {
			switch {
			case vj.Name == "":
				p.add("%s.variables[%d].name: missing", at, j)
			case vj.MaxLen < 0:
				p.add("%s.variables[%d].max_len: negative", at, j)
			case vj.Chars != "" && vj.Chars != "digits" && vj.Chars != "alnum":
				p.add("%s.variables[%d].chars: %q; want digits, alnum or nothing", at, j, vj.Chars)
			}
			t.Variables = append(t.Variables, notify.Variable{Name: vj.Name, MaxLen: vj.MaxLen, Chars: vj.Chars})
		}
		for _, code := range []string{tj.Name, tj.IDs[notify.ProviderAliyun]} {
			if code == "" {
				continue
			}
			// Its own name may be its Aliyun id; another's may not.
			if other, dup := codes[code]; dup && other != i {
				p.add("%s: %q also names template %q", at, code, in[other].Name)
			}
			codes[code] = i
		}
		out = append(out, t)
	}
	return out
}

// sortedKeysOf returns m's keys in order.
func sortedKeysOf[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// limitsJSON is a group's "limits": per kind, counts per minute, hour and
// day (absent: Aliyun's default; 0: no limit), and daily_cap.
type limitsJSON struct {
	Verification *windowJSON `json:"verification"`
	Notification *windowJSON `json:"notification"`
	Voice        *windowJSON `json:"voice"`
	DailyCap     *int        `json:"daily_cap"`
}

type windowJSON struct {
	PerMinute *int `json:"per_minute"`
	PerHour   *int `json:"per_hour"`
	PerDay    *int `json:"per_day"`
}

// limits returns the group's limits over the defaults, nil when lj is.
func (lj *limitsJSON) limits(p *problems, at string) *notify.Limits {
	if lj == nil {
		return nil
	}
	l := notify.DefaultLimits
	window := func(name string, w *windowJSON, into *notify.Window) {
		if w == nil {
			return
		}
		for _, f := range []struct {
			name string
			v    *int
			into *int
		}{{"per_minute", w.PerMinute, &into.PerMinute}, {"per_hour", w.PerHour, &into.PerHour}, {"per_day", w.PerDay, &into.PerDay}} {
			if f.v == nil {
				continue
			}
			if *f.v < 0 {
				p.add("%s.limits.%s.%s: negative; 0 is no limit", at, name, f.name)
			}
			*f.into = *f.v
		}
	}
	window("verification", lj.Verification, &l.Verification)
	window("notification", lj.Notification, &l.Notification)
	window("voice", lj.Voice, &l.Voice)
	if lj.DailyCap != nil {
		if *lj.DailyCap < 0 {
			p.add("%s.limits.daily_cap: negative; 0 is no cap", at)
		}
		l.DailyCap = *lj.DailyCap
	}
	return &l
}
