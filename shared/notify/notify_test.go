package notify

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"testing"
	"time"
)

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"13800138000", "13800138000", true},
		{" 13800138000 ", "13800138000", true},
		{"+8613800138000", "13800138000", true},
		{"008613800138000", "13800138000", true},
		{"8613800138000", "13800138000", true},
		{"8623800138000", "", false}, // 86 but not a mobile number
		{"+85261234567", "+85261234567", true},
		{"0085261234567", "+85261234567", true},
		{"+14155552671", "+14155552671", true},
		{"23800138000", "", false},    // mainland numbers start with 1
		{"1380013800", "", false},     // 10 digits
		{"138001380001", "", false},   // 12 digits
		{"+8623800138000", "", false}, // +86 but not a mobile number
		{"+0123456789", "", false},    // no leading 0 in E.164
		{"+1234567890123456", "", false},
		{"+12345", "", false},
		{"1380013800a", "", false},
		{"", "", false},
		{"+", "", false},
		{"１３８００１３８０００", "", false}, // full-width digits
	}
	for _, tt := range tests {
		got, ok := NormalizePhone(tt.in)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestNormalizePhonesDeduplicatesAndLimits(t *testing.T) {
	got, err := NormalizePhones([]string{"13800138000", "+8613800138000", "13900139000"}, "PhoneNumbers", 10)
	if err != nil || strings.Join(got, ",") != "13800138000,13900139000" {
		t.Errorf("got %v, %v; want the two distinct numbers", got, err)
	}
	many := make([]string, 1001)
	for i := range many {
		many[i] = fmt.Sprintf("138%08d", i)
	}
	if _, err := NormalizePhones(many, "PhoneNumbers", MaxPhoneNumbers); reason(err) != "too_many" {
		t.Errorf("1001 numbers: err = %v, want too_many", err)
	}
	if _, err := NormalizePhones(many[:1000], "PhoneNumbers", MaxPhoneNumbers); err != nil {
		t.Errorf("1000 numbers: %v", err)
	}
}

func reason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

func TestAuthorize(t *testing.T) {
	gs := NewGroups([]Group{
		{ID: "open", Channels: []Channel{SMS}},
		{ID: "strict", Channels: []Channel{SMS, Voice}, SignNames: []string{"冰鉴科技"}, Templates: []string{"SMS_1", "TTS_1"},
			Keys: []Secret{"old-key-0123456789", "new-key-0123456789"}},
	})
	sms := Request{Channel: SMS, SignName: "冰鉴科技", Template: "SMS_1", TemplateField: "TemplateCode"}
	tests := []struct {
		name   string
		c      Credentials
		r      Request
		kind   Kind
		reason string
		field  string
	}{
		{"keyless group by id alone", Credentials{GroupID: "open"}, Request{Channel: SMS, SignName: "any", Template: "any"}, 0, "", ""},
		{"old key", Credentials{GroupID: "strict", Key: "old-key-0123456789"}, sms, 0, "", ""},
		{"new key", Credentials{GroupID: "strict", Key: "new-key-0123456789"}, sms, 0, "", ""},
		{"missing group", Credentials{}, sms, Invalid, "missing_field", "GroupID"},
		{"unknown group", Credentials{GroupID: "nope"}, sms, Unauthenticated, "unknown_group", "GroupID"},
		{"missing key", Credentials{GroupID: "strict"}, sms, Unauthenticated, "missing_key", "Authorization"},
		{"wrong key", Credentials{GroupID: "strict", Key: "new-key-012345678"}, sms, Unauthenticated, "wrong_key", "Authorization"},
		{"channel", Credentials{GroupID: "open"}, Request{Channel: Voice}, Forbidden, "channel_not_allowed", "GroupID"},
		{"sign name", Credentials{GroupID: "strict", Key: "old-key-0123456789"}, Request{Channel: SMS, SignName: "other", Template: "SMS_1"},
			Forbidden, "sign_name_not_allowed", "SignName"},
		{"template", Credentials{GroupID: "strict", Key: "old-key-0123456789"},
			Request{Channel: Voice, Template: "TTS_2", TemplateField: "TtsCode"}, Forbidden, "template_not_allowed", "TtsCode"},
		// The registry's other name for an allowed template is allowed.
		{"template by another name", Credentials{GroupID: "strict", Key: "old-key-0123456789"},
			Request{Channel: SMS, SignName: "冰鉴科技", Template: "login_code", TemplateField: "TemplateCode",
				Aliases: []string{"login_code", "SMS_1"}}, 0, "", ""},
		{"template whose other names are not allowed", Credentials{GroupID: "strict", Key: "old-key-0123456789"},
			Request{Channel: SMS, SignName: "冰鉴科技", Template: "order", TemplateField: "TemplateCode",
				Aliases: []string{"order", "SMS_2"}}, Forbidden, "template_not_allowed", "TemplateCode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := gs.Authorize(tt.c, tt.r)
			if tt.reason == "" {
				if err != nil || g == nil || g.ID != tt.c.GroupID {
					t.Fatalf("Authorize = %v, %v; want group %s", g, err, tt.c.GroupID)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Kind != tt.kind || e.Reason != tt.reason || e.Field != tt.field {
				t.Fatalf("Authorize error = %#v; want kind %v reason %s field %s", err, tt.kind, tt.reason, tt.field)
			}
			if strings.Contains(err.Error(), "key-0123") {
				t.Errorf("error shows a key: %v", err)
			}
		})
	}
}

// A key given as its SHA-256 authenticates the key it hashes, and nothing
// else: not a wrong key, not the hash itself. The gateway's own sends need
// no key.
func TestAuthenticateHashedKey(t *testing.T) {
	sum := sha256.Sum256([]byte("hashed-key-0123456789"))
	hashed := Secret(KeyHashPrefix + hex.EncodeToString(sum[:]))
	gs := NewGroups([]Group{
		{ID: "hashed", Channels: []Channel{SMS}, Keys: []Secret{hashed}},
		{ID: "malformed", Channels: []Channel{SMS}, Keys: []Secret{hashed[:len(hashed)-1]}},
	})
	tests := []struct {
		name string
		c    Credentials
		want string // the reason; "" is authenticated
	}{
		{"the key hashed", Credentials{GroupID: "hashed", Key: "hashed-key-0123456789"}, ""},
		{"a wrong key", Credentials{GroupID: "hashed", Key: "hashed-key-012345678"}, "wrong_key"},
		{"the hash itself", Credentials{GroupID: "hashed", Key: hashed}, "wrong_key"},
		{"no key", Credentials{GroupID: "hashed"}, "missing_key"},
		{"the gateway", Credentials{GroupID: "hashed", gateway: true}, ""},
		{"a malformed hash matches nothing", Credentials{GroupID: "malformed", Key: "hashed-key-0123456789"}, "wrong_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := gs.Authenticate(tt.c)
			if got := reason(err); got != tt.want || (tt.want == "") != (err == nil) {
				t.Errorf("Authenticate = %v (reason %q); want reason %q", err, got, tt.want)
			}
		})
	}
}

func TestParseKeyHash(t *testing.T) {
	sum := sha256.Sum256([]byte("k"))
	good := KeyHashPrefix + hex.EncodeToString(sum[:])
	tests := []struct {
		key string
		ok  bool
	}{
		{good, true},
		{KeyHashPrefix + strings.ToUpper(hex.EncodeToString(sum[:])), true},
		{good[:len(good)-2], false},
		{good + "00", false},
		{KeyHashPrefix + strings.Repeat("g", 64), false},
		{hex.EncodeToString(sum[:]), false},
	}
	for _, tt := range tests {
		d, err := ParseKeyHash(Secret(tt.key))
		if (err == nil) != tt.ok || tt.ok && d != sum {
			t.Errorf("ParseKeyHash(%q) = %x, %v; want ok %v", tt.key, d, err, tt.ok)
		}
		if err != nil && strings.Contains(err.Error(), tt.key) {
			t.Errorf("the error echoes the key: %v", err)
		}
	}
}

func TestSecretRedacts(t *testing.T) {
	s := Secret("hunter2")
	var b strings.Builder
	log := slog.New(slog.NewTextHandler(&b, nil))
	log.Info("x", "key", s)
	for _, got := range []string{fmt.Sprint(s), fmt.Sprintf("%v %s %#v", s, s, s), b.String()} {
		if strings.Contains(got, "hunter2") {
			t.Errorf("secret shown: %s", got)
		}
	}
	if s.Reveal() != "hunter2" {
		t.Errorf("Reveal = %q", s.Reveal())
	}
}

func TestValidateSMS(t *testing.T) {
	ok := SMSRequest{PhoneNumbers: []string{"13800138000"}, SignName: "s", TemplateCode: "SMS_1", Params: map[string]string{"code": "1234"}}
	long := map[string]string{"v": strings.Repeat("码", 492)} // {"v":"…"} is 8 + 492 = 500 characters
	tests := []struct {
		name   string
		mod    func(r *SMSRequest)
		field  string
		reason string
	}{
		{"ok", func(r *SMSRequest) {}, "", ""},
		{"500 characters of params", func(r *SMSRequest) { r.Params = long }, "", ""},
		{"501 characters of params", func(r *SMSRequest) { r.Params = map[string]string{"v": strings.Repeat("码", 493)} },
			"TemplateParam", "too_long"},
		{"empty variable name", func(r *SMSRequest) { r.Params = map[string]string{"": "x"} }, "TemplateParam", "invalid_field"},
		// Counted as written: <, > and & are one character each, not six.
		{"500 characters of params with <&>", func(r *SMSRequest) { r.Params = map[string]string{"v": strings.Repeat("<&>", 164)} }, "", ""},
		{"no numbers", func(r *SMSRequest) { r.PhoneNumbers = nil }, "PhoneNumbers", "missing_field"},
		{"empty number", func(r *SMSRequest) { r.PhoneNumbers = []string{""} }, "PhoneNumbers", "invalid_phone"},
		{"bad number", func(r *SMSRequest) { r.PhoneNumbers = []string{"12345"} }, "PhoneNumbers", "invalid_phone"},
		{"no sign", func(r *SMSRequest) { r.SignName = " " }, "SignName", "missing_field"},
		{"control in sign", func(r *SMSRequest) { r.SignName = "a\nb" }, "SignName", "invalid_field"},
		{"no template", func(r *SMSRequest) { r.TemplateCode = "" }, "TemplateCode", "missing_field"},
		{"long OutId", func(r *SMSRequest) { r.OutID = strings.Repeat("x", 257) }, "OutId", "invalid_field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ok
			tt.mod(&r)
			tm, err := r.validate(sendFields)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("validate: %v", err)
				}
				if tm.Params == "" || tm.PhoneNumbers[0] != "13800138000" {
					t.Errorf("validated message = %+v", tm)
				}
				var got map[string]string
				if err := json.Unmarshal([]byte(tm.Params), &got); err != nil || !maps.Equal(got, r.Params) ||
					strings.Contains(tm.Params, `\u00`) {
					t.Errorf("params %s (%v); want %v as JSON, without HTML escapes", tm.Params, err, r.Params)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Kind != Invalid || e.Field != tt.field || e.Reason != tt.reason {
				t.Fatalf("validate error = %v; want field %s reason %s", err, tt.field, tt.reason)
			}
		})
	}
}

func TestNewIDSortsByTime(t *testing.T) {
	t0 := time.UnixMilli(1_700_000_000_000)
	a, b := NewID(t0), NewID(t0.Add(time.Millisecond))
	if len(a) != 32 || a >= b {
		t.Errorf("NewID: %s then %s; want 32 hex digits in increasing order", a, b)
	}
	if NewID(t0) == NewID(t0) {
		t.Error("two ids in the same millisecond are equal")
	}
}

func TestErrorKinds(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", &Error{Op: "aliyunsms.SendSms", Kind: Throttled, Code: "isv.BUSINESS_LIMIT_CONTROL", Message: "触发分钟级流控"})
	if KindOf(err) != Throttled || !KindOf(err).Retryable() {
		t.Errorf("KindOf = %v", KindOf(err))
	}
	if KindOf(errors.New("x")) != Internal || AsError(errors.New("x")).Kind != Internal {
		t.Error("a plain error is not Internal")
	}
	if Ambiguous.Retryable() || Rejected.Retryable() || Invalid.Retryable() {
		t.Error("ambiguous, rejected or invalid outcomes must not be retried")
	}
	if got := err.Error(); !strings.Contains(got, "isv.BUSINESS_LIMIT_CONTROL 触发分钟级流控") {
		t.Errorf("Error() = %q", got)
	}
}

func TestCheckAddress(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"a@example.com", "a@example.com", true},
		{"张三 <zhang@example.com>", "zhang@example.com", true},
		{"=?UTF-8?B?5byg5LiJ?= <zhang@example.com>", "zhang@example.com", true},
		{"root@localhost", "root@localhost", true},
		{"a@b", "", false},
		{"not an address", "", false},
		{"a@example.com\r\nBcc: x@evil.com", "", false},
		{"a\n@example.com", "", false},
		{strings.Repeat("a", 65) + "@example.com", "", false},
		{"a@" + strings.Repeat("b", 250) + ".com", "", false},
		{`"a b"@example.com`, "", false},
		{`"same"@example.com`, "same@example.com", true}, // the quotes change nothing
		{"a..b@example.com", "", false},
	}
	for _, tt := range tests {
		got, err := CheckAddress(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("CheckAddress(%q) = %q, %v; want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestSettle(t *testing.T) {
	d := func(rc string) Report { return Report{Recipient: rc, Status: Delivered, Code: "DELIVERED"} }
	f := func(rc, code string) Report {
		return Report{Recipient: rc, Status: Failed, Code: code, Text: code + " text"}
	}
	two := []string{"a", "b"}
	tests := []struct {
		name   string
		status Status
		finals []Report
		next   Status
		code   string
		moves  bool
	}{
		{"all delivered", Submitted, []Report{d("a"), d("b")}, Delivered, "", true},
		{"one still out", Submitted, []Report{d("a")}, Submitted, "", false},
		{"one still out, unknown before", Unknown, []Report{d("a")}, Submitted, "", true},
		{"all final, one failed", Submitted, []Report{d("a"), f("b", "MK:0001")}, Failed, "MK:0001", true},
		{"the latest failure wins", Accepted, []Report{f("a", "X1"), f("b", "X2")}, Failed, "X2", true},
		{"a later delivered report counts", Submitted, []Report{f("a", "X1"), d("b"), d("a")}, Delivered, "", true},
		{"never backwards", Delivered, []Report{f("a", "X1"), f("b", "X2")}, Delivered, "", false},
		{"reports of others ignored", Submitted, []Report{d("a"), d("c")}, Submitted, "", false},
	}
	for _, tt := range tests {
		next, code, _, moves := Settle(tt.status, two, tt.finals)
		if next != tt.next || code != tt.code || moves != tt.moves {
			t.Errorf("%s: Settle = %s %q %v; want %s %q %v", tt.name, next, code, moves, tt.next, tt.code, tt.moves)
		}
	}
}

// TestEventBackoff: each wait is its schedule's, spread by -10% to +20%,
// and the attempts span at least 24 hours even when every one falls
// early.
func TestEventBackoff(t *testing.T) {
	var least time.Duration
	for n := 1; n <= len(EventSchedule); n++ {
		d := EventSchedule[n-1]
		lo, hi := d, d
		for range 2000 {
			got, ok := EventBackoff(n)
			if !ok {
				t.Fatalf("attempt %d: no retry", n)
			}
			lo, hi = min(lo, got), max(hi, got)
		}
		if lo < d*9/10 || hi > d*6/5 || lo == hi {
			t.Errorf("attempt %d: waits %v to %v; want %v spread within [-10%%, +20%%]", n, lo, hi, d)
		}
		least += d * 9 / 10
	}
	if least < 24*time.Hour {
		t.Errorf("the earliest schedule spans %v; want at least 24 h", least)
	}
	if _, ok := EventBackoff(len(EventSchedule) + 1); ok {
		t.Error("a retry after the last attempt")
	}
}

// TestMessageRefused: a record is of a refused message when it failed for
// a refusal of the gateway's own, as Service.refuse and recordRefused
// write them, or with no provider; a provider's failure, its own flow
// control's included, is not one.
func TestMessageRefused(t *testing.T) {
	for _, tt := range []struct {
		status         Status
		provider, code string
		refused        bool
	}{
		{Failed, "aliyun", ReasonRateLimited, true},
		{Failed, "aliyun", ReasonDailyCap, true},
		{Failed, "aliyun", ReasonCooldown, true},
		{Failed, "tencent", ReasonBalanceTooLow, true},
		{Failed, "sandbox", ReasonStoreUnavailable, true},
		{Failed, "", ReasonInvalidField, true}, // a queue message refused for good
		{Failed, "aliyun", "isv.BUSINESS_LIMIT_CONTROL", false},
		{Failed, "aliyun", Throttled.String(), false},
		{Failed, "aliyun", Unavailable.String(), false},
		{Delivered, "aliyun", "", false},
		{Unknown, "aliyun", ReasonRateLimited, false},
	} {
		m := &Message{Status: tt.status, Provider: tt.provider, ErrorCode: tt.code}
		if got := m.Refused(); got != tt.refused {
			t.Errorf("%s by %q for %q: Refused() = %v; want %v", tt.status, tt.provider, tt.code, got, tt.refused)
		}
	}
}

// FuzzNormalizePhone: a number NormalizePhone takes comes back canonical:
// a mainland number's 11 digits, or "+" and 7 to 15 digits not starting
// with 0 nor 86; taken again as itself. Two spellings of one number are
// one canonical form, so that limits count them together.
func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"13800138000", "+8613800138000", "008613800138000", "8613800138000", "+85261234567",
		"0085261234567", " 13800138000 ", "+", "00", "86", "+86", "１３８００１３８０００", "+1234567890123456"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := NormalizePhone(s)
		if !ok {
			return
		}
		mainland := isMainland(got)
		intl := strings.HasPrefix(got, "+") && allDigits(got[1:]) && len(got) >= 8 && len(got) <= 16 &&
			got[1] != '0' && !strings.HasPrefix(got, "+86")
		if mainland == intl {
			t.Fatalf("NormalizePhone(%q) = %q: not one canonical form", s, got)
		}
		if again, ok := NormalizePhone(got); !ok || again != got {
			t.Fatalf("NormalizePhone(%q) = %q, which it takes as %q, %v", s, got, again, ok)
		}
		if mainland {
			for _, spelled := range []string{"+86" + got, "0086" + got, "86" + got} {
				if other, _ := NormalizePhone(spelled); other != got {
					t.Fatalf("NormalizePhone(%q) = %q, want %q", spelled, other, got)
				}
			}
		}
	})
}
