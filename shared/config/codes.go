package config

import (
	"errors"
	"fmt"
	"slices"
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
	// A policy field of 0 takes its default (notify.CodePolicy.Check): a
	// variable set to 0 is not left to mean that, as an operator who
	// writes NOTIFY_CODE_COOLDOWN=0 or NOTIFY_CODE_MAX_ATTEMPTS=0 means
	// something else than 60s or 5 attempts. zero lists them.
	var zero []string
	num := func(name string, into *int) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				p.add("%s: %q is not a whole number", name, v)
			} else if n == 0 {
				zero = append(zero, name)
			}
			*into = n
		}
	}
	dur := func(name string, into *time.Duration) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				p.add("%s: %q is not a duration such as 5m or 60s", name, v)
			} else if d == 0 {
				zero = append(zero, name)
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
	errs := unjoin(err)
	ttlWrong := slices.ContainsFunc(errs, func(e error) bool { return notify.AsError(e).Field == "TTL" })
	for _, e := range errs {
		ne := notify.AsError(e)
		if ne.Field == "Cooldown" && ttlWrong && strings.TrimSpace(getenv(names[ne.Field])) == "" {
			// The default cooldown is at most the TTL: out of range only
			// because the TTL is, which has its own problem.
			continue
		}
		p.add("%s: %s", names[ne.Field], ne.Err)
	}
	want := map[string]string{
		"NOTIFY_CODE_LENGTH":       fmt.Sprintf("%d to %d digits", notify.MinCodeLength, notify.MaxCodeLength),
		"NOTIFY_CODE_TTL":          fmt.Sprintf("1s to %v", notify.MaxCodeTTL),
		"NOTIFY_CODE_COOLDOWN":     "1s to the TTL",
		"NOTIFY_CODE_MAX_ATTEMPTS": fmt.Sprintf("1 to %d", notify.MaxCodeAttempts),
	}
	for _, name := range zero {
		p.add("%s: is 0; want %s, or leave it unset for the default", name, want[name])
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
	// EscalateAfter is a Go duration ("45s"); EscalateTo "tts" or
	// "next_provider", required with it. checkEscalations checks them
	// against the rest of the configuration.
	EscalateAfter string `json:"escalate_after"`
	EscalateTo    string `json:"escalate_to"`
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
		ct := notify.CodeTemplate{SignName: t.SignName, Template: t.Template, TtsTemplate: t.TtsTemplate}
		ct.EscalateAfter, ct.EscalateTo = escalation(p, at+".codes."+scene, t)
		out[scene] = ct
	}
	return out
}

// escalation reads a scene's escalate_after and escalate_to, on their own;
// checkEscalations checks them against the code TTL, the group and the
// providers once all are read.
func escalation(p *problems, at string, t codeTemplateJSON) (time.Duration, notify.EscalateTo) {
	if t.EscalateAfter == "" {
		if t.EscalateTo != "" {
			p.add("%s.escalate_to: set without escalate_after", at)
		}
		return 0, ""
	}
	d, err := time.ParseDuration(t.EscalateAfter)
	switch {
	case err != nil:
		p.add("%s.escalate_after: %q is not a duration such as 45s", at, t.EscalateAfter)
		return 0, ""
	case d <= 0:
		p.add("%s.escalate_after: %v; want more than 0", at, d)
		return 0, ""
	}
	to := notify.EscalateTo(t.EscalateTo)
	switch to {
	case notify.EscalateToVoice, notify.EscalateToNextProvider:
	case "":
		p.add("%s.escalate_to: missing; escalate_after needs it: %q or %q", at, notify.EscalateToVoice, notify.EscalateToNextProvider)
		return 0, ""
	default:
		p.add("%s.escalate_to: %q; want %q or %q", at, t.EscalateTo, notify.EscalateToVoice, notify.EscalateToNextProvider)
		return 0, ""
	}
	return d, to
}

// checkEscalations checks every scene that escalates against what else c
// says: escalate_after shorter than the code TTL; for "tts", a voice
// template for the scene (its own or the group's "*" one) and the tts
// channel; for "next_provider", at least two configured SMS providers that
// can send the scene's template in the group's order, as the routes will
// be made of them (a raw Aliyun code goes through Aliyun alone; a
// registry template through the providers it has an id for, Aliyun
// always). A template the caller names at send time over the scene's is
// checked then, and a send with no next provider is logged and dropped.
// In a local invoke (localInvoke), which drops every provider's keys and
// sends everything to the sandbox, the providers are not counted: the
// deployment's groups hold escalations its providers' keys make good.
func checkEscalations(p *problems, c Config, localInvoke bool) {
	templates := notify.NewTemplates(c.Templates)
	for i, g := range c.Groups {
		for _, scene := range sortedKeysOf(g.Codes) {
			t := g.Codes[scene]
			if t.EscalateAfter == 0 {
				continue
			}
			at := element("NOTIFY_GROUPS", i, "id", g.ID) + ".codes." + scene
			if ttl := c.Codes.Policy.TTL; t.EscalateAfter >= ttl {
				p.add("%s.escalate_after: %v is not shorter than the code TTL (NOTIFY_CODE_TTL), %v", at, t.EscalateAfter, ttl)
			}
			if t.Template == "" {
				p.add("%s.escalate_after: set on a scene without an SMS template; only codes sent by SMS escalate", at)
			}
			switch t.EscalateTo {
			case notify.EscalateToVoice:
				if t.TtsTemplate == "" && g.Codes[notify.AnyScene].TtsTemplate == "" {
					p.add("%s.escalate_to: %q needs a tts_template for the scene or for \"*\"", at, t.EscalateTo)
				}
				if !slices.Contains(g.Channels, notify.Voice) {
					p.add("%s.escalate_to: %q but the group may not use channel tts", at, t.EscalateTo)
				}
			case notify.EscalateToNextProvider:
				if t.Template == "" || localInvoke {
					continue
				}
				if n := routable(c, g, templates.Lookup(t.Template)); len(n) < 2 {
					p.add("%s.escalate_to: %q needs two configured SMS providers that can send template %q; the group has %s",
						at, t.EscalateTo, t.Template, describeProviders(n))
				}
			}
		}
	}
}

// routable returns the configured SMS providers that can send template t
// (nil: a raw Aliyun code) for group g, in its order, as the sms
// function's routes will hold them.
func routable(c Config, g notify.Group, t *notify.Template) []string {
	order := g.Providers
	if t != nil && len(t.Providers) > 0 {
		order = t.Providers
	}
	if len(order) == 0 {
		if order = c.SMSProviders; len(order) == 0 {
			order = SMSProviders
		}
	}
	configured := map[string]bool{notify.ProviderAliyun: c.Aliyun.Configured(), notify.ProviderTencent: c.Tencent.Configured(),
		notify.ProviderCloopen: c.Cloopen.Configured()}
	var out []string
	for _, name := range order {
		if configured[name] && (name == notify.ProviderAliyun || t != nil && t.IDs[name] != "") {
			out = append(out, name)
		}
	}
	return out
}

func describeProviders(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ") + " alone"
}
