package config

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// Codes is how the gateway makes and checks verification codes.
type Codes struct {
	// Secrets are NOTIFY_CODE_SECRET, comma-separated: the current secret
	// that hashes new codes first, then any older one still accepted while
	// codes hashed under it live (rotation). None turns codes off.
	Secrets []notify.Secret
	Policy  notify.CodePolicy
}

// loadCodes reads NOTIFY_CODE_SECRET and the policy variables
// NOTIFY_CODE_LENGTH, NOTIFY_CODE_TTL, NOTIFY_CODE_COOLDOWN and
// NOTIFY_CODE_MAX_ATTEMPTS.
func loadCodes(getenv func(string) string, p *problems) Codes {
	var c Codes
	for i, s := range strings.Split(getenv("NOTIFY_CODE_SECRET"), ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if len(s) < notify.MinCodeSecretLen {
			// Never echo the secret.
			p.add("NOTIFY_CODE_SECRET[%d]: %d bytes; want at least %d, such as `openssl rand -hex 32` prints",
				i, len(s), notify.MinCodeSecretLen)
		}
		c.Secrets = append(c.Secrets, notify.Secret(s))
	}
	num := func(name string, into *int) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				p.add("%s: %q is not a whole number", name, v)
			}
			*into = n
		}
	}
	dur := func(name string, into *time.Duration) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				p.add("%s: %q is not a duration such as 5m or 60s", name, v)
			}
			*into = d
		}
	}
	num("NOTIFY_CODE_LENGTH", &c.Policy.Length)
	dur("NOTIFY_CODE_TTL", &c.Policy.TTL)
	dur("NOTIFY_CODE_COOLDOWN", &c.Policy.Cooldown)
	num("NOTIFY_CODE_MAX_ATTEMPTS", &c.Policy.MaxAttempts)
	policy, err := c.Policy.Check()
	var names = map[string]string{"Length": "NOTIFY_CODE_LENGTH", "TTL": "NOTIFY_CODE_TTL",
		"Cooldown": "NOTIFY_CODE_COOLDOWN", "MaxAttempts": "NOTIFY_CODE_MAX_ATTEMPTS"}
	for _, e := range unjoin(err) {
		ne := notify.AsError(e)
		p.add("%s: %s", names[ne.Field], ne.Err)
	}
	c.Policy = policy
	return c
}

// unjoin returns the errors errors.Join joined, or err alone.
func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

type codeTemplateJSON struct {
	SignName    string `json:"sign_name"`
	Template    string `json:"template"`
	TtsTemplate string `json:"tts_template"`
}

// codeTemplates converts a group's "codes", checking its scenes.
func codeTemplates(p *problems, at string, in map[string]codeTemplateJSON) map[string]notify.CodeTemplate {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]notify.CodeTemplate, len(in))
	for _, scene := range sortedKeysOf(in) {
		t := in[scene]
		if scene != notify.AnyScene {
			if err := (notify.CodeKey{GroupID: "g", PhoneNumber: "13800138000", Scene: scene}).Check(); err != nil {
				p.add("%s.codes: scene %q %s", at, scene, errors.Unwrap(err))
			}
		}
		if t.Template == "" && t.TtsTemplate == "" {
			p.add("%s.codes.%s: give template and/or tts_template", at, scene)
		}
		out[scene] = notify.CodeTemplate{SignName: t.SignName, Template: t.Template, TtsTemplate: t.TtsTemplate}
	}
	return out
}
