// Package config reads the gateway's configuration from the environment,
// once, at cold start. Load reports every problem at once, each naming the
// variable (and the field inside it), so that a function that cannot start
// says everything that is wrong in one log line.
package config

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/platform"
	"github.com/seed4ddb146e/notify/shared/provider/endpoint"
	"github.com/seed4ddb146e/notify/shared/provider/smtpmail/smtpurl"
	"github.com/seed4ddb146e/notify/shared/store/postgres"
	"github.com/seed4ddb146e/notify/shared/webhook"
)

// Config is everything a function reads from its environment.
type Config struct {
	Groups []notify.Group
	// Templates is the template registry (NOTIFY_TEMPLATES).
	Templates []notify.Template
	// SMSProviders is the gateway's order of SMS providers
	// (NOTIFY_SMS_PROVIDERS); nil is SMSProviders.
	SMSProviders []string
	Aliyun       Aliyun
	Tencent      Tencent
	Cloopen      Cloopen
	// Codes is how verification codes are made and checked.
	Codes Codes
	SMTP  SMTP
	// Callback holds the secret path tokens of the callback function.
	Callback Callback
	// DatabaseURL names the store: "sqlite:<path>", by default a file in the
	// temporary directory, or "postgres://...".
	DatabaseURL string
	// StoreTimeout bounds each call on the store (NOTIFY_STORE_TIMEOUT):
	// a request whose store does not answer within it fails, as the
	// store being unavailable. Load sets DefaultStoreTimeout when the
	// variable is not set.
	StoreTimeout time.Duration
	// WebhookAllowPrivate lets webhook deliveries reach private, loopback
	// and link-local addresses (NOTIFY_WEBHOOK_ALLOW_PRIVATE), for
	// receivers inside the operator's own network.
	WebhookAllowPrivate bool
	// ConsoleSecret seals the web console's sessions
	// (NOTIFY_CONSOLE_SECRET, at least 32 bytes); without it the console
	// is off in the clouds, and a local run makes one up.
	ConsoleSecret notify.Secret
	// Runtime is where the function runs, from the environment.
	Runtime platform.Runtime
	// Retention is how long messages are kept (NOTIFY_RETENTION_DAYS); 0
	// is the default, 180 days.
	Retention time.Duration
	// StatusRefreshAfter is how long after sending a status query asks the
	// provider about a message no report has settled (0: the default).
	StatusRefreshAfter time.Duration
	// StatusReconcileAfter is how long after recording a message a status
	// query takes one still without the provider's answer for one whose
	// send died, and looks it up at the provider (0: the default).
	StatusReconcileAfter time.Duration
	// Port is where a function run outside any cloud runtime serves HTTP.
	Port string
	// KeylessGroups lists the groups authorized by GroupID alone, for the
	// cold-start warning.
	KeylessGroups []string
	// SharedKeys lists, for the cold-start warning, each pair of groups
	// that hold the same key (checkKeysOwn): a caller with it may name
	// either.
	SharedKeys [][2]string
}

// Aliyun holds the Alibaba Cloud credentials, by their standard names.
type Aliyun struct {
	AccessKeyID     string
	AccessKeySecret notify.Secret
	SecurityToken   notify.Secret
	SMSEndpoint     string // NOTIFY_ALIYUN_SMS_ENDPOINT; "" is the public endpoint
	VoiceEndpoint   string // NOTIFY_ALIYUN_VOICE_ENDPOINT
	// Keys are the credentials in force, the three above at first, shared
	// by every Aliyun client of the function. On Aliyun FC they are those
	// of the function's role, which FC injects at the instance's start and
	// hands each invocation afresh: the platform replaces them (see
	// platform.Options.AccessKeys). Nil when no credentials were given.
	Keys *notify.Keys
}

// Configured reports whether Aliyun credentials were given; without them the
// functions use the sandbox providers.
func (a Aliyun) Configured() bool { return a.AccessKeyID != "" }

// SMTP holds the outgoing mail server settings.
type SMTP struct {
	URL                notify.Secret // NOTIFY_SMTP_URL; it may carry a password
	From               string        // NOTIFY_MAIL_FROM, the default sender
	MaxAttachmentBytes int           // NOTIFY_MAIL_MAX_ATTACHMENT_BYTES, decoded total; the default fits the runtime
}

// Callback holds the tokens that the providers' report pushes carry in
// their path, /callback/{token}/<provider>/...: the pushes are not signed,
// so the token is what tells them from forgeries. Token is
// NOTIFY_CALLBACK_TOKEN; each provider's is NOTIFY_CALLBACK_TOKEN_<PROVIDER>
// or, when that is not set, Token. An empty token refuses that provider's
// pushes.
type Callback struct {
	Token   notify.Secret
	Aliyun  notify.Secret
	Tencent notify.Secret
	Cloopen notify.Secret
}

// Configured reports whether any provider's pushes can be taken.
func (c Callback) Configured() bool { return c.Aliyun != "" || c.Tencent != "" || c.Cloopen != "" }

// Variables are the environment variables Load reads that a deployment
// sets: template.yaml and s.yaml give every function each of them. Load
// also reads PORT and TMPDIR, which the runtime or the shell provides,
// AWS_LAMBDA_RUNTIME_API and FC_RUNTIME_API, which name the runtime, and
// AWS_SAM_LOCAL and NOTIFY_LOCAL, which say a local invoke (LocalInvoke):
// no secret may set those.
var Variables = []string{
	"NOTIFY_GROUPS",
	"NOTIFY_DATABASE_URL",
	"ALIBABA_CLOUD_ACCESS_KEY_ID",
	"ALIBABA_CLOUD_ACCESS_KEY_SECRET",
	"ALIBABA_CLOUD_SECURITY_TOKEN",
	"NOTIFY_ALIYUN_SMS_ENDPOINT",
	"NOTIFY_ALIYUN_VOICE_ENDPOINT",
	"TENCENTCLOUD_SECRET_ID",
	"TENCENTCLOUD_SECRET_KEY",
	"NOTIFY_TENCENT_SMS_APP_ID",
	"NOTIFY_TENCENT_SMS_REGION",
	"NOTIFY_TENCENT_SMS_ENDPOINT",
	"NOTIFY_CLOOPEN_ACCOUNT_SID",
	"NOTIFY_CLOOPEN_AUTH_TOKEN",
	"NOTIFY_CLOOPEN_APP_ID",
	"NOTIFY_CLOOPEN_ENDPOINT",
	"NOTIFY_SMS_PROVIDERS",
	"NOTIFY_TEMPLATES",
	"NOTIFY_CODE_SECRET",
	"NOTIFY_CODE_LENGTH",
	"NOTIFY_CODE_TTL",
	"NOTIFY_CODE_COOLDOWN",
	"NOTIFY_CODE_MAX_ATTEMPTS",
	"NOTIFY_SMTP_URL",
	"NOTIFY_MAIL_FROM",
	"NOTIFY_MAIL_MAX_ATTACHMENT_BYTES",
	"NOTIFY_CALLBACK_TOKEN",
	"NOTIFY_CALLBACK_TOKEN_ALIYUN",
	"NOTIFY_CALLBACK_TOKEN_TENCENT",
	"NOTIFY_CALLBACK_TOKEN_CLOOPEN",
	"NOTIFY_STATUS_REFRESH_AFTER",
	"NOTIFY_STATUS_RECONCILE_AFTER",
	"NOTIFY_STORE_TIMEOUT",
	"NOTIFY_WEBHOOK_ALLOW_PRIVATE",
	"NOTIFY_RETENTION_DAYS",
	"NOTIFY_CONSOLE_SECRET",
	"NOTIFY_LOG_LEVEL",
}

// Defaults.
const (
	DefaultPort               = "8010"
	DefaultMaxAttachmentBytes = 10 << 20
	DefaultMailFrom           = "notify@localhost"
	maxKeys                   = 2
	minKeyLen                 = 16
	// MinCallbackTokenLen is the shortest callback token: 22 characters
	// of the URL-safe base64 alphabet hold 132 bits.
	MinCallbackTokenLen = 22
	// DefaultStoreTimeout is StoreTimeout when NOTIFY_STORE_TIMEOUT is not
	// set: a request on a store that hangs gets its 503 in about 2 s, and
	// in 6 s on the slowest path (docs/guarantees.md), within the
	// functions' 10 s timeout. MaxStoreTimeout is the most it may be.
	DefaultStoreTimeout = 2 * time.Second
	MaxStoreTimeout     = time.Minute
)

type groupJSON struct {
	ID          string                      `json:"id"`
	Channels    []string                    `json:"channels"`
	SignNames   []string                    `json:"sign_names"`
	Templates   []string                    `json:"templates"`
	Keys        []string                    `json:"keys"`
	MailFrom    string                      `json:"mail_from"`
	MailDomains []string                    `json:"mail_domains"`
	Providers   []string                    `json:"providers"`
	Limits      *limitsJSON                 `json:"limits"`
	Codes       map[string]codeTemplateJSON `json:"codes"`
	SaaS        *saasJSON                   `json:"saas"`
	Webhook     *webhookJSON                `json:"webhook"`
}

// webhookJSON is a group's webhook: its URL and the secret, or secrets
// (two during a rotation), its events are signed under.
type webhookJSON struct {
	URL     string   `json:"url"`
	Secret  string   `json:"secret"`
	Secrets []string `json:"secrets"`
}

// webhook checks w and returns the group's notify.Webhook; nil when not
// set. A secret is never echoed in a problem.
func (w *webhookJSON) webhook(p *problems, at string, local bool) *notify.Webhook {
	if w == nil {
		return nil
	}
	at += ".webhook"
	// Plain http to loopback only when serving locally, as the sender
	// allows it; where a name leads is checked when delivering.
	if _, err := (webhook.Policy{AllowLoopbackHTTP: local}).CheckURL(w.URL); err != nil {
		p.add("%s.url: %v", at, err)
	}
	secrets := w.Secrets
	if w.Secret != "" {
		secrets = append([]string{w.Secret}, secrets...)
	}
	switch {
	case len(secrets) == 0:
		p.add("%s.secret: missing; events are signed under it (whsec_ and base64, as the Standard Webhooks libraries take)", at)
	case len(secrets) > maxKeys:
		p.add("%s.secrets: %d secrets; at most %d at once (for rotation)", at, len(secrets), maxKeys)
	}
	out := &notify.Webhook{URL: w.URL}
	for j, sec := range secrets {
		if _, err := webhook.ParseSecret(sec); err != nil {
			p.add("%s.secrets[%d]: %v", at, j, err)
		}
		out.Secrets = append(out.Secrets, notify.Secret(sec))
	}
	return out
}

// validGroupID reports whether id is 1 to 64 letters, digits and ._:-,
// starting with a letter or digit.
func validGroupID(id string) bool {
	if id == "" || len(id) > 64 || !alnum(id[0]) {
		return false
	}
	return onlyBytes(id, func(c byte) bool { return alnum(c) || c == '.' || c == '_' || c == ':' || c == '-' })
}

func alnum(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' }

// onlyBytes reports whether every byte of s is ok. Plain loops, not
// regular expressions: compiling those at every cold start costs more than
// the checks.
func onlyBytes(s string, ok func(byte) bool) bool {
	for i := range len(s) {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

// element names the i-th element of list v, and its name (the value of
// its field key), if any: NOTIFY_GROUPS[3] (id "ops"). Concatenated, not
// formatted: Load names every element, and fmt costs at a cold start.
func element(v string, i int, key, name string) string {
	at := v + "[" + strconv.Itoa(i) + "]"
	if name != "" {
		at += " (" + key + " " + strconv.Quote(name) + ")"
	}
	return at
}

// problems collects what is wrong, in order.
type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

// Load reads the configuration through getenv (os.Getenv in main; a map in
// tests) and returns it, or an error listing every problem found.
func Load(getenv func(string) string) (Config, error) { return load(getenv, haveSQLite) }

// ErrNoSQLite is what a build without the embedded SQLite store says of a
// sqlite: database URL, or of none.
var ErrNoSQLite = errors.New("this build has no embedded SQLite store (it was built with -tags nosqlite, " +
	"as the cloud builds are): set NOTIFY_DATABASE_URL to a postgres:// URL, or, for sam local invoke " +
	"or s local invoke, build with EMBEDDED_STORE=1")

// load is Load in a build that has the embedded SQLite store or not.
func load(getenv func(string) string, sqlite bool) (Config, error) {
	var p problems
	c := Config{
		Port:        strings.TrimSpace(getenv("PORT")),
		DatabaseURL: strings.TrimSpace(getenv("NOTIFY_DATABASE_URL")),
	}
	c.Runtime = platform.RuntimeOf(getenv)
	exeDir := sync.OnceValue(executableDir)
	groups, ok := readSource("NOTIFY_GROUPS", getenv("NOTIFY_GROUPS"), exeDir, &p)
	if ok {
		n := len(p)
		c.Groups = loadGroups(groups.text, c.Runtime, &p)
		c.SharedKeys = checkKeysOwn(&p, c.Groups)
		p.markSince(n, groups)
	}
	for _, g := range c.Groups {
		if len(g.Keys) == 0 {
			c.KeylessGroups = append(c.KeylessGroups, g.ID)
		}
	}
	c.Aliyun = loadAliyun(getenv, &p)
	c.Tencent = loadTencent(getenv, &p)
	c.Cloopen = loadCloopen(getenv, &p)
	if templates, ok := readSource("NOTIFY_TEMPLATES", getenv("NOTIFY_TEMPLATES"), exeDir, &p); ok {
		n := len(p)
		c.Templates = loadTemplates(templates.text, &p)
		p.markSince(n, templates)
	}
	c.SMSProviders = loadProviderOrder(getenv("NOTIFY_SMS_PROVIDERS"), &p)
	checkProviderOrder(&p, c)
	c.Codes = loadCodes(getenv, &p)
	n := len(p)
	checkEscalations(&p, c, LocalInvoke(getenv) != "")
	p.markSince(n, groups)
	c.SMTP = loadSMTP(getenv, &p)
	c.Callback = loadCallback(getenv, &p)
	c.StatusRefreshAfter = loadAfter(getenv, "NOTIFY_STATUS_REFRESH_AFTER", "60s", &p)
	c.StatusReconcileAfter = loadAfter(getenv, "NOTIFY_STATUS_RECONCILE_AFTER", "5m", &p)
	loadOperation(getenv, &c, &p)
	loadStore(getenv, sqlite, &c, &p)
	// LocalInvoke takes "true" alone: NOTIFY_LOCAL=1 or TRUE, for s local
	// invoke, would run the function as deployed, with the deployer's
	// keys, sending for real.
	switch v := getenv("NOTIFY_LOCAL"); v {
	case "", "true", "false":
	default:
		p.add("NOTIFY_LOCAL: %q; want true (a local invoke: every message to the sandbox), false or unset", v)
	}
	if len(p) > 0 {
		return c, fmt.Errorf("config: %d problem(s): %s", len(p), strings.Join(p, "; "))
	}
	return c, nil
}

// loadOperation reads how the gateway runs: webhooks to private
// addresses, the log level, the console's secret and the retention.
func loadOperation(getenv func(string) string, c *Config, p *problems) {
	switch v := strings.TrimSpace(getenv("NOTIFY_WEBHOOK_ALLOW_PRIVATE")); v {
	case "", "false", "0":
	case "true", "1":
		c.WebhookAllowPrivate = true
	default:
		p.add("NOTIFY_WEBHOOK_ALLOW_PRIVATE: %q; want true or false", v)
	}
	if v := getenv("NOTIFY_LOG_LEVEL"); v != "" {
		if _, ok := platform.ParseLogLevel(v); !ok {
			p.add("NOTIFY_LOG_LEVEL: %q; want debug, info, warn or error", v)
		}
	}
	if v := getenv("NOTIFY_CONSOLE_SECRET"); v != "" {
		if len(v) < 32 {
			p.add("NOTIFY_CONSOLE_SECRET: at least 32 bytes (openssl rand -hex 32)")
		}
		c.ConsoleSecret = notify.Secret(v)
	}
	if v := strings.TrimSpace(getenv("NOTIFY_RETENTION_DAYS")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 3650 {
			p.add("NOTIFY_RETENTION_DAYS: %q; want a number of days from 1 to 3650", v)
		} else {
			c.Retention = time.Duration(n) * 24 * time.Hour
		}
	}
}

// loadStore reads the port and the store: its URL (an embedded SQLite file
// when none is set and the build has SQLite) and the timeout of its calls;
// in a local run, the local server's NOTIFY_HOST and NOTIFY_TICK_EVERY too.
func loadStore(getenv func(string) string, sqlite bool, c *Config, p *problems) {
	c.StoreTimeout = DefaultStoreTimeout
	if v := strings.TrimSpace(getenv("NOTIFY_STORE_TIMEOUT")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d > MaxStoreTimeout {
			p.add("NOTIFY_STORE_TIMEOUT: %q; want a duration such as 2s, above 0 and at most %v", v, MaxStoreTimeout)
		} else {
			c.StoreTimeout = d
		}
	}
	if c.Port == "" {
		c.Port = DefaultPort
	} else if n, err := strconv.Atoi(c.Port); err != nil || n < 1 || n > 65535 {
		p.add("PORT: %q is not a port number", c.Port)
	}
	if c.Runtime == platform.Local {
		// The local server's own settings, read when it listens: checked
		// here too, with the rest, before the start says it is serving.
		if err := platform.CheckHost(getenv); err != nil {
			p.add("%v", err)
		}
		if _, err := platform.TickEvery(getenv); err != nil {
			p.add("%s", strings.TrimPrefix(err.Error(), "platform: "))
		}
	}
	if c.DatabaseURL == "" {
		tmp := getenv("TMPDIR")
		if tmp == "" {
			tmp = "/tmp"
		}
		c.DatabaseURL = "sqlite:" + filepath.Join(tmp, "notify.db")
		if !sqlite {
			p.add("NOTIFY_DATABASE_URL: not set, and %v", ErrNoSQLite)
		}
	} else if kind, _, err := ParseDatabaseURL(c.DatabaseURL); err != nil {
		p.add("NOTIFY_DATABASE_URL: %v", err)
	} else if kind == "sqlite" && !sqlite {
		p.add("NOTIFY_DATABASE_URL: %v", ErrNoSQLite)
	} else if kind == "postgres" {
		// As the store reads it when it opens, after every other problem,
		// in words that do not name the variable. No password shows.
		if err := postgres.CheckURL(c.DatabaseURL); err != nil {
			p.add("NOTIFY_DATABASE_URL: %s", strings.TrimPrefix(err.Error(), "postgres: "))
		}
	}
}

func loadGroups(raw string, runtime platform.Runtime, p *problems) []notify.Group {
	const v = "NOTIFY_GROUPS"
	if strings.TrimSpace(raw) == "" {
		p.add("%s: not set; it must be a JSON list of groups such as "+
			`[{"id":"demo","channels":["sms"]}]`, v)
		return nil
	}
	var in []groupJSON
	if !decodeList(v, raw, &in, p) {
		return nil
	}
	if len(in) == 0 {
		p.add("%s: the list is empty; no caller could send anything", v)
	}
	groups := make([]notify.Group, 0, len(in))
	seen := map[string]int{}
	for i, gj := range in {
		at := element(v, i, "id", gj.ID)
		switch {
		case gj.ID == "":
			p.add("%s.id: missing", at)
		case !validGroupID(gj.ID):
			p.add("%s.id: must be 1-64 letters, digits, '.', '_', ':' or '-'", at)
		}
		if j, dup := seen[gj.ID]; dup && gj.ID != "" {
			p.add("%s.id: duplicate of %s[%d]", at, v, j)
		}
		seen[gj.ID] = i
		groups = append(groups, gj.group(p, at, runtime == platform.Local))
	}
	checkOneSaaS(p, groups)
	return groups
}

// checkKeysOwn compares the groups' keys as their SHA-256, so that a key
// given in one group and its sha256: form in another are the same key. A
// group that lists a key twice is a problem (of its two live keys, one is
// wasted). Two groups that hold one key are returned, as pairs of ids, for
// a warning: a caller is authorized by the group it names and that
// group's key, so one holding the key may name either; an operator may
// mean that (one application, an SMS group and a mail group), or have
// copied a group and forgotten its key. Never the key itself.
func checkKeysOwn(p *problems, groups []notify.Group) [][2]string {
	type place struct{ group, key int }
	n := 0
	for _, g := range groups {
		n += len(g.Keys)
	}
	seen := make(map[[sha256.Size]byte]place, n)
	var shared [][2]string
	for i, g := range groups {
		for j, k := range g.Keys {
			var d [sha256.Size]byte
			if strings.HasPrefix(k.Reveal(), notify.KeyHashPrefix) {
				var err error
				if d, err = notify.ParseKeyHash(k); err != nil {
					continue // a problem of its own already
				}
			} else {
				d = sha256.Sum256([]byte(k.Reveal()))
			}
			first, dup := seen[d]
			switch {
			case !dup:
				seen[d] = place{i, j}
			case first.group == i:
				p.add("%s.keys[%d]: the same key as keys[%d] (as it is or as its sha256:); give it once",
					element("NOTIFY_GROUPS", i, "id", g.ID), j, first.key)
			default:
				shared = append(shared, [2]string{groups[first.group].ID, g.ID})
			}
		}
	}
	return shared
}

// group checks gj, the group at (its place in NOTIFY_GROUPS, for the
// problems it adds to p), and returns it as the core takes it. local says
// the gateway serves locally, where a webhook may be plain http to loopback.
func (gj groupJSON) group(p *problems, at string, local bool) notify.Group {
	g := notify.Group{ID: gj.ID, SignNames: gj.SignNames, Templates: gj.Templates, MailFrom: gj.MailFrom,
		MailDomains: lower(gj.MailDomains), Providers: gj.Providers, Limits: gj.Limits.limits(p, at),
		Codes: codeTemplates(p, at, gj.Codes)}
	checkProviders(p, at+".providers", gj.Providers)
	if len(gj.Channels) == 0 {
		p.add("%s.channels: missing; list at least one of sms, tts, mail", at)
	}
	for j, ch := range gj.Channels {
		c := notify.Channel(ch)
		switch c {
		case notify.SMS, notify.Voice, notify.Mail:
			g.Channels = append(g.Channels, c)
		default:
			p.add("%s.channels[%d]: unknown channel %q (want sms, tts or mail)", at, j, ch)
		}
	}
	g.SaaS = gj.SaaS.saas(p, at, g.Channels)
	g.Webhook = gj.Webhook.webhook(p, at, local)
	checkNonEmpty(p, at+".sign_names", gj.SignNames)
	checkNonEmpty(p, at+".templates", gj.Templates)
	if len(gj.Keys) > maxKeys {
		p.add("%s.keys: %d keys; at most %d live at once (for rotation)", at, len(gj.Keys), maxKeys)
	}
	for j, k := range gj.Keys {
		// Never echo the key itself.
		if strings.HasPrefix(k, notify.KeyHashPrefix) {
			if _, err := notify.ParseKeyHash(notify.Secret(k)); err != nil {
				p.add("%s.keys[%d]: %v", at, j, err)
			}
		} else if len(k) < minKeyLen || strings.ContainsAny(k, " \t\r\n") {
			p.add("%s.keys[%d]: must be at least %d characters without spaces", at, j, minKeyLen)
		}
		g.Keys = append(g.Keys, notify.Secret(k))
	}
	if gj.MailFrom != "" {
		if _, err := notify.CheckAddress(gj.MailFrom); err != nil {
			p.add("%s.mail_from: %v", at, err)
		}
	}
	for j, d := range gj.MailDomains {
		if d == "" || strings.ContainsAny(d, "@ \r\n") {
			p.add("%s.mail_domains[%d]: %q is not a domain", at, j, d)
		}
	}
	if len(gj.MailDomains) > 0 && !slices.Contains(g.Channels, notify.Mail) {
		p.add("%s.mail_domains: set but the group may not use mail", at)
	}
	return g
}

func checkNonEmpty(p *problems, at string, list []string) {
	for j, s := range list {
		if strings.TrimSpace(s) == "" {
			p.add("%s[%d]: empty", at, j)
		}
	}
}

func lower(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToLower(strings.TrimPrefix(s, "."))
	}
	return out
}

func position(raw string, off int64) (line, col int) {
	b := []byte(raw)[:min(int(off), len(raw))]
	line = bytes.Count(b, []byte("\n")) + 1
	col = len(b) - bytes.LastIndexByte(b, '\n')
	return line, col
}

func loadAliyun(getenv func(string) string, p *problems) Aliyun {
	a := Aliyun{
		AccessKeyID:     strings.TrimSpace(getenv("ALIBABA_CLOUD_ACCESS_KEY_ID")),
		AccessKeySecret: notify.Secret(strings.TrimSpace(getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET"))),
		SecurityToken:   notify.Secret(strings.TrimSpace(getenv("ALIBABA_CLOUD_SECURITY_TOKEN"))),
		SMSEndpoint:     strings.TrimSpace(getenv("NOTIFY_ALIYUN_SMS_ENDPOINT")),
		VoiceEndpoint:   strings.TrimSpace(getenv("NOTIFY_ALIYUN_VOICE_ENDPOINT")),
	}
	switch {
	case a.AccessKeyID != "" && a.AccessKeySecret == "":
		p.add("ALIBABA_CLOUD_ACCESS_KEY_SECRET: not set, but ALIBABA_CLOUD_ACCESS_KEY_ID is")
	case a.AccessKeyID == "" && a.AccessKeySecret != "":
		p.add("ALIBABA_CLOUD_ACCESS_KEY_ID: not set, but ALIBABA_CLOUD_ACCESS_KEY_SECRET is")
	case a.AccessKeyID == "" && a.SecurityToken != "":
		p.add("ALIBABA_CLOUD_SECURITY_TOKEN: set without ALIBABA_CLOUD_ACCESS_KEY_ID")
	}
	if a.Configured() {
		a.Keys = notify.NewKeys(notify.AccessKeys{AccessKeyID: a.AccessKeyID, AccessKeySecret: a.AccessKeySecret,
			SecurityToken: a.SecurityToken})
	}
	checkEndpoint(p, "NOTIFY_ALIYUN_SMS_ENDPOINT", a.SMSEndpoint)
	checkEndpoint(p, "NOTIFY_ALIYUN_VOICE_ENDPOINT", a.VoiceEndpoint)
	return a
}

// checkEndpoint adds a problem when the endpoint variable name is set to
// what a provider's client would refuse, as endpoint.Parse, which the
// clients share, reads it. The value is shown with any password taken out.
func checkEndpoint(p *problems, name, ep string) {
	if ep == "" {
		return
	}
	if _, err := endpoint.Parse(ep); err == nil {
		return
	}
	raw := ep
	if !strings.Contains(ep, "://") {
		raw = "https://" + ep
	}
	u, err := url.Parse(raw)
	if err != nil {
		p.add("%s: not a host, host:port or an http(s) URL", name)
		return
	}
	shown := ep
	if u.User != nil {
		shown = u.Redacted()
	}
	p.add("%s: %q is not host[:port] or an http(s) URL without a path", name, shown)
}

// MaxAttachmentBytesOn is the default of NOTIFY_MAIL_MAX_ATTACHMENT_BYTES on
// runtime rt: DefaultMaxAttachmentBytes, or less where the runtime takes
// smaller requests (AWS Lambda: 4 MiB). Attachments of two thirds of the
// runtime's bound take eight ninths of it in base64, which leaves the rest
// for the other fields and for the event around the body.
func MaxAttachmentBytesOn(rt platform.Runtime) int {
	if max := rt.MaxRequestBytes(); max > 0 {
		return int(min(DefaultMaxAttachmentBytes, max/3*2))
	}
	return DefaultMaxAttachmentBytes
}

func loadSMTP(getenv func(string) string, p *problems) SMTP {
	s := SMTP{
		URL:                notify.Secret(strings.TrimSpace(getenv("NOTIFY_SMTP_URL"))),
		From:               strings.TrimSpace(getenv("NOTIFY_MAIL_FROM")),
		MaxAttachmentBytes: MaxAttachmentBytesOn(platform.RuntimeOf(getenv)),
	}
	if s.URL != "" {
		// The mail function's client checks it as it is made, after every
		// other problem; checked here, it is one of them. ParseURL's
		// errors never quote the password.
		if _, err := smtpurl.ParseURL(s.URL.Reveal()); err != nil {
			p.add("NOTIFY_SMTP_URL: %s", strings.TrimPrefix(err.Error(), "smtpmail: "))
		}
	}
	if s.From == "" {
		s.From = DefaultMailFrom
	} else if _, err := notify.CheckAddress(s.From); err != nil {
		p.add("NOTIFY_MAIL_FROM: %v", err)
	}
	if v := strings.TrimSpace(getenv("NOTIFY_MAIL_MAX_ATTACHMENT_BYTES")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 50<<20 {
			p.add("NOTIFY_MAIL_MAX_ATTACHMENT_BYTES: %q; want a byte count from 0 to %d", v, 50<<20)
		} else {
			s.MaxAttachmentBytes = n
		}
	}
	return s
}

func loadCallback(getenv func(string) string, p *problems) Callback {
	token := func(name string) notify.Secret {
		t := strings.TrimSpace(getenv(name))
		if t != "" && (len(t) < MinCallbackTokenLen || !onlyBytes(t, func(c byte) bool { return alnum(c) || c == '_' || c == '-' })) {
			// Never echo the token itself.
			p.add("%s: must be at least %d characters of A-Z, a-z, 0-9, '_' and '-' (128 random bits or more, "+
				"such as `openssl rand -hex 16` prints)", name, MinCallbackTokenLen)
		}
		return notify.Secret(t)
	}
	c := Callback{Token: token("NOTIFY_CALLBACK_TOKEN")}
	or := func(s notify.Secret) notify.Secret {
		if s == "" {
			return c.Token
		}
		return s
	}
	c.Aliyun = or(token("NOTIFY_CALLBACK_TOKEN_ALIYUN"))
	c.Tencent = or(token("NOTIFY_CALLBACK_TOKEN_TENCENT"))
	c.Cloopen = or(token("NOTIFY_CALLBACK_TOKEN_CLOOPEN"))
	return c
}

// ParseDatabaseURL splits a NOTIFY_DATABASE_URL into its kind ("sqlite" or
// "postgres") and what that kind's store opens.
func ParseDatabaseURL(s string) (kind, target string, err error) {
	switch {
	case strings.HasPrefix(s, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(s, "sqlite:"), "//")
		if path == "" {
			return "", "", errors.New("sqlite: needs a file path, as in sqlite:/var/lib/notify/notify.db")
		}
		return "sqlite", path, nil
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		return "postgres", s, nil
	default:
		return "", "", errors.New("want sqlite:<path> or postgres://...")
	}
}

// loadAfter reads the duration variable name, above 0 and at most 24h; 0
// when it is unset.
func loadAfter(getenv func(string) string, name, example string, p *problems) time.Duration {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 || d > 24*time.Hour {
		p.add("%s: %q; want a duration such as %s, above 0 and at most 24h", name, v, example)
		return 0
	}
	return d
}
