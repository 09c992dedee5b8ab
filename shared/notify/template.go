package notify

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Template is one message template as the gateway knows it: a logical name
// mapped to each provider's own template id, the variables it takes in the
// order positional templates (Tencent, Cloopen) take them, and what each
// variable may hold. Checking variables here catches before anything is
// sent what providers reject as TEMPLATE_MISSING_PARAMETERS or
// PARAM_LENGTH_LIMIT.
type Template struct {
	Name      string
	Kind      LimitKind // VerificationSMS or NotificationSMS, for limits
	Variables []Variable
	// IDs maps a provider's name ("aliyun", "tencent", "cloopen") to its id
	// for this template. A caller may name the template by Name or by its
	// Aliyun id, as the legacy API's callers do (docs/legacy.md).
	IDs map[string]string
	// Providers, when set, is the order of providers for this template,
	// before the group's.
	Providers []string
}

// Variable is one template variable and what it may hold.
type Variable struct {
	Name   string
	MaxLen int    // characters; 0 is no limit beyond the request's
	Chars  string // "digits", "alnum" (ASCII letters and digits) or "" for any printable text
}

// Templates finds templates by name or Aliyun id.
type Templates struct {
	byCode map[string]*Template
}

// NewTemplates indexes ts by name and by Aliyun id.
func NewTemplates(ts []Template) Templates {
	m := make(map[string]*Template, 2*len(ts))
	for i := range ts {
		t := &ts[i]
		m[t.Name] = t
		if id := t.IDs[ProviderAliyun]; id != "" {
			m[id] = t
		}
	}
	return Templates{byCode: m}
}

// Lookup returns the template a request's TemplateCode names, nil when the
// registry has none: the code is then an Aliyun template id, sent as it is.
func (ts Templates) Lookup(code string) *Template { return ts.byCode[code] }

// Aliases are the names a request may give t: its Name and its Aliyun
// id.
func (t *Template) Aliases() []string {
	if id := t.IDs[ProviderAliyun]; id != "" {
		return []string{t.Name, id}
	}
	return []string{t.Name}
}

// values checks params against t's variables and returns them in t's
// order. field is the request field the errors name.
func (t *Template) values(params map[string]string, field string) ([]string, error) {
	out := make([]string, len(t.Variables))
	for i, v := range t.Variables {
		val, ok := params[v.Name]
		if !ok {
			return nil, Invalidf(field, ReasonMissingParameter, "lacks variable %q of template %s", v.Name, t.Name)
		}
		if v.MaxLen > 0 && utf8.RuneCountInString(val) > v.MaxLen {
			return nil, Invalidf(field, ReasonParameterTooLong, "variable %q is %d characters; template %s takes at most %d",
				v.Name, utf8.RuneCountInString(val), t.Name, v.MaxLen)
		}
		if !v.allows(val) {
			return nil, Invalidf(field, ReasonInvalidParameter, "variable %q must be %s", v.Name, v.describe())
		}
		out[i] = val
	}
	for k := range params {
		if !slices.ContainsFunc(t.Variables, func(v Variable) bool { return v.Name == k }) {
			return nil, Invalidf(field, ReasonUnknownParameter, "has variable %q, which template %s does not take", k, t.Name)
		}
	}
	return out, nil
}

func (v Variable) allows(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		switch v.Chars {
		case "digits":
			if r < '0' || r > '9' {
				return false
			}
		case "alnum":
			if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return false
			}
		default:
			if unicode.IsControl(r) {
				return false
			}
		}
	}
	return true
}

func (v Variable) describe() string {
	switch v.Chars {
	case "digits":
		return "digits, not empty"
	case "alnum":
		return "ASCII letters and digits, not empty"
	}
	return "printable text, not empty"
}

// limitKind returns what a send of template t with params counts as: the
// registry's kind, else a verification code when a variable is named as
// one (codeVariable: "code", the legacy API's bare TemplateParam, or
// "OTP", "verify_code" and the like), else a
// notification. A caller cannot turn a code into a notification, with its
// looser limits, by adding a variable.
func limitKind(t *Template, params map[string]string) LimitKind {
	if t != nil && t.Kind != "" {
		return t.Kind
	}
	for name := range params {
		if codeVariable(name) {
			return VerificationSMS
		}
	}
	return NotificationSMS
}

// codeVariables are the names a template's verification code goes by, as
// codeVariable compares them.
var codeVariables = []string{"code", "otp", "smscode", "verifycode", "verificationcode", "authcode", "checkcode",
	"validcode", "vcode", "captcha", "pin", "验证码"}

// codeVariable reports whether a variable named name holds a verification
// code: "code", or another usual name of one, in any case, with or without
// "_" and "-" ("Code", "OTP", "verify_code"). A caller cannot then send
// codes as notifications, past their tighter limits, by naming the
// variable otherwise.
func codeVariable(name string) bool {
	return slices.Contains(codeVariables, strings.ToLower(separators.Replace(name)))
}

// separators are what codeVariable leaves out of a name.
var separators = strings.NewReplacer("_", "", "-", "")
