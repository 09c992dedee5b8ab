package notify

import (
	"context"
	"encoding/json"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of an SMS request, as Aliyun's SendSms has them.
const (
	MaxPhoneNumbers = 1000 // numbers in one request
	MaxParamsLen    = 500  // characters of the TemplateParam JSON
	MaxOutIDLen     = 256  // bytes of OutId
)

// SMSRequest is a decoded POST /sms: the legacy API's fields
// (docs/legacy.md), names as the caller spelled them in Field of any error.
type SMSRequest struct {
	Credentials
	PhoneNumbers []string
	SignName     string
	TemplateCode string
	// Params are the template variables; the legacy API's bare
	// TemplateParam value arrives here as {"code": value}.
	Params map[string]string
	OutID  string
}

// SendSMS authorizes, validates, counts against the limits, records and
// sends r through the first provider that takes it.
func (s *Service) SendSMS(ctx context.Context, r SMSRequest) (Sent, error) {
	return s.sendSMS(ctx, r, sendOptions{})
}

// sendOptions are how a send the gateway makes itself (a verification
// code, a station's task) differs: its message id is chosen before, its
// record keeps params in place of the template variables, which hold a
// secret, and it is paid for with a station's units (spend; Units is set
// here, one per recipient).
type sendOptions struct {
	id      string
	params  string
	prepare func(context.Context) error // run before sending, once the limits let it through
	spend   *Spend
	// queueKey, when set, is the record's QueueKey, whatever the context
	// says: a send the gateway makes once (an escalation) is named so
	// that the store refuses a second live record of it.
	queueKey string
	// after, when set, names the SMS provider that took the message this
	// one follows up: this one goes through the providers after it in the
	// group's order, then those before it, never through it.
	after string
}

// smsFields name the fields of an SMS request in errors, as its caller
// spells them.
type smsFields struct {
	phones, sign, template, params string
}

// sendFields are the field names of POST /sms.
var sendFields = smsFields{phones: "PhoneNumbers", sign: "SignName", template: "TemplateCode", params: "TemplateParam"}

// checkedSMS is an SMS request that may be sent: its group, the message,
// its registry template (nil when none) with the values in the template's
// order, and the providers that can send it.
type checkedSMS struct {
	group    *Group
	tm       TextMessage
	template *Template
	values   []string
	routes   []Route
}

// authorizeSMS authorizes an SMS request r of c's group, whose template
// the group may name by either of its registry names. It returns the
// group and r's registry template (nil for a code the registry lacks).
func (s *Service) authorizeSMS(c Credentials, r Request) (*Group, *Template, error) {
	t := s.d.Templates.Lookup(strings.TrimSpace(r.Template))
	if t != nil {
		r.Aliases = t.Aliases()
	}
	g, err := s.d.Groups.Authorize(c, r)
	return g, t, err
}

// checkSMS authorizes and validates r, naming its fields as f says.
func (s *Service) checkSMS(r SMSRequest, f smsFields) (checkedSMS, error) {
	g, t, err := s.authorizeSMS(r.Credentials, Request{Channel: SMS, SignName: r.SignName,
		Template: r.TemplateCode, TemplateField: f.template})
	if err != nil {
		if e := AsError(err); e.Field == sendFields.sign {
			e.Field = f.sign
		}
		return checkedSMS{}, err
	}
	// t is c.tm.TemplateCode's: validate trims the code as authorizeSMS did.
	c := checkedSMS{group: g, template: t}
	if c.tm, err = r.validate(f); err != nil {
		return c, err
	}
	if c.template != nil {
		if c.values, err = c.template.values(r.Params, f.params); err != nil {
			return c, err
		}
	}
	c.routes = s.routes(g, c.template)
	if len(c.routes) == 0 {
		return c, Invalidf(f.template, ReasonNoProvider, "no configured provider has template %q", truncate(c.tm.TemplateCode, 64))
	}
	return c, nil
}

func (s *Service) sendSMS(ctx context.Context, r SMSRequest, o sendOptions) (Sent, error) {
	c, err := s.checkSMS(r, sendFields)
	if err != nil {
		return Sent{}, err
	}
	tm := c.tm
	m := &Message{ID: o.id, GroupID: r.GroupID, Channel: SMS, Recipients: tm.PhoneNumbers, SignName: tm.SignName,
		Template: tm.TemplateCode, Params: tm.Params, OutID: tm.OutID}
	if o.params != "" {
		m.Params = o.params
	}
	if o.spend != nil {
		sp := *o.spend
		sp.Units = int64(len(tm.PhoneNumbers))
		m.Spend = &sp
	}
	if o.after != "" {
		if c.routes = routesAfter(c.routes, o.after); len(c.routes) == 0 {
			return Sent{}, Invalidf(sendFields.template, ReasonNoProvider,
				"no configured provider other than %s has template %q", o.after, truncate(tm.TemplateCode, 64))
		}
	}
	kind := limitKind(c.template, r.Params)
	// A registry template counts as one under either name.
	template := tm.TemplateCode
	if c.template != nil {
		template = c.template.Name
	}
	return s.send(ctx, m, plan{
		provider: c.routes[0].Name,
		queueKey: o.queueKey,
		limits:   &limited{group: c.group, kind: kind, template: template},
		prepare:  o.prepare,
		deliver: func(ctx context.Context) (Acceptance, string, error) {
			tm.ID = m.ID
			rc, provider, err := s.deliverSMS(ctx, m, c.routes, tm, c.template, c.values)
			if err == nil {
				s.recordRecipients(ctx, m, provider, rc)
			}
			return rc, provider, err
		},
	})
}

// recordRecipients keeps, as reports of message m, what a provider that
// answers for each number (Tencent) said of each: the id it gave an
// accepted number, which its reports will name, and the refusal of any
// other, which settles that number as failed; a number it may have passed
// on all the same (an Ambiguous answer) is unknown, which settles nothing.
// A store error is logged: the message itself was sent and is recorded.
func (s *Service) recordRecipients(ctx context.Context, m *Message, provider string, rc Acceptance) {
	if len(rc.Recipients) == 0 {
		return
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	for _, rr := range rc.Recipients {
		r := Report{Provider: provider, Channel: SMS, ProviderID: rr.ProviderID, Recipient: rr.Number,
			Status: Submitted, Code: rr.Code, At: s.d.Now(), MessageID: m.ID}
		if rr.Err != nil {
			e := AsError(rr.Err)
			r.Status, r.Text = Failed, e.Error()
			if e.Kind == Ambiguous {
				r.Status = Unknown
			}
			if r.Code == "" {
				r.Code = e.Code
			}
		}
		if _, err := s.d.Store.RecordReport(wctx, r); err != nil {
			s.d.Log.ErrorContext(ctx, "record a recipient's part of the provider's answer", "message_id", m.ID,
				"provider_id", rr.ProviderID, "err", err)
		}
	}
}

func (r *SMSRequest) validate(f smsFields) (TextMessage, error) {
	tm := TextMessage{SignName: strings.TrimSpace(r.SignName), TemplateCode: strings.TrimSpace(r.TemplateCode), OutID: r.OutID}
	var err error
	if tm.PhoneNumbers, err = NormalizePhones(r.PhoneNumbers, f.phones, MaxPhoneNumbers); err != nil {
		return tm, err
	}
	if tm.SignName == "" {
		return tm, Invalidf(f.sign, ReasonMissingField, "is required")
	}
	if !utf8.ValidString(tm.SignName) || hasControl(tm.SignName) || len([]rune(tm.SignName)) > 64 {
		return tm, Invalidf(f.sign, ReasonInvalidField, "must be at most 64 printable characters")
	}
	if err := checkCode(f.template, tm.TemplateCode); err != nil {
		return tm, err
	}
	if len(tm.OutID) > MaxOutIDLen || hasControl(tm.OutID) {
		return tm, Invalidf("OutId", ReasonInvalidField, "must be at most %d printable bytes", MaxOutIDLen)
	}
	if tm.Params, err = encodeParams(r.Params, f.params); err != nil {
		return tm, err
	}
	return tm, nil
}

// checkCode checks a required template code.
func checkCode(field, code string) error {
	if code == "" {
		return Invalidf(field, ReasonMissingField, "is required")
	}
	if len(code) > 64 || hasControl(code) {
		return Invalidf(field, ReasonInvalidField, "must be at most 64 printable characters")
	}
	return nil
}

// encodeParams checks template variables and encodes them as the JSON
// object providers take; no variables is "".
func encodeParams(params map[string]string, field string) (string, error) {
	if len(params) == 0 {
		return "", nil
	}
	for k, v := range params {
		if k == "" {
			return "", Invalidf(field, ReasonInvalidField, "has an empty variable name")
		}
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return "", Invalidf(field, ReasonInvalidField, "variable %q is not valid UTF-8", k)
		}
	}
	// Without HTML escaping: "A&B" stays 3 characters, as the caller wrote
	// it, rather than growing to 8 ("A\u0026B") against the limit and on
	// the provider's wire.
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(params) // a map of strings always encodes
	b := strings.TrimSuffix(buf.String(), "\n")
	if n := utf8.RuneCountInString(b); n > MaxParamsLen {
		return "", Invalidf(field, ReasonTooLong, "is %d characters as JSON; at most %d", n, MaxParamsLen)
	}
	return b, nil
}

// NormalizePhones validates phone numbers and returns them in canonical form,
// without duplicates: mainland mobile numbers as 11 digits, all others in
// E.164 (+ and up to 15 digits). It accepts "+86" and "0086" prefixes on
// mainland numbers and Aliyun's "00" international form.
func NormalizePhones(in []string, field string, max int) ([]string, error) {
	if len(in) == 0 {
		return nil, Invalidf(field, ReasonMissingField, "is required")
	}
	if len(in) > max {
		return nil, Invalidf(field, ReasonTooMany, "has %d numbers; at most %d", len(in), max)
	}
	out := make([]string, 0, len(in))
	seen := make(map[string]struct{}, len(in))
	for i, raw := range in {
		p, ok := NormalizePhone(raw)
		if !ok {
			if raw == "" {
				return nil, Invalidf(field, ReasonInvalidPhone, "number %d is empty", i+1)
			}
			return nil, Invalidf(field, ReasonInvalidPhone,
				"%q is not a phone number (mainland: 11 digits starting with 1; others: E.164 such as +85261234567)", truncate(raw, 32))
		}
		if _, dup := seen[p]; dup {
			continue
		}
		seen[p] = struct{}{}
		out = append(out, p)
	}
	return out, nil
}

// NormalizePhone returns the canonical form of one phone number and whether
// it is one.
func NormalizePhone(s string) (string, bool) {
	s = strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	case strings.HasPrefix(s, "00"):
		s = s[2:]
	case len(s) == 13 && strings.HasPrefix(s, "86") && isMainland(s[2:]):
		// The country code without its plus, as Aliyun's SendSms takes it:
		// no mainland number has 13 digits.
		return s[2:], true
	default:
		return s, isMainland(s)
	}
	if !allDigits(s) || len(s) < 7 || len(s) > 15 || s[0] == '0' {
		return "", false
	}
	if strings.HasPrefix(s, "86") {
		if isMainland(s[2:]) {
			return s[2:], true
		}
		return "", false
	}
	return "+" + s, true
}

// IsMainland reports whether p, in canonical form, is a mainland China number.
func IsMainland(p string) bool { return isMainland(p) }

func isMainland(s string) bool { return len(s) == 11 && s[0] == '1' && allDigits(s) }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// hasControl reports whether s holds a control character: C0, DEL or C1
// (U+0080 to U+009F, NEL among them, a line break to some readers).
func hasControl(s string) bool { return strings.ContainsFunc(s, unicode.IsControl) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
