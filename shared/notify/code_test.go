package notify

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestNewCode(t *testing.T) {
	for length := MinCodeLength; length <= MaxCodeLength; length++ {
		for range 100 {
			c, err := NewCode(length)
			if err != nil {
				t.Fatalf("NewCode(%d): %v", length, err)
			}
			if s := c.Reveal(); len(s) != length || !allDigits(s) {
				t.Fatalf("NewCode(%d) = %q, want %d digits", length, s, length)
			}
		}
	}
	for _, length := range []int{-1, 0, 3, 9, 20} {
		if c, err := NewCode(length); err == nil {
			t.Errorf("NewCode(%d) = %d digits, want an error", length, len(c))
		}
	}
}

// chiSquare is Pearson's statistic of counts against the uniform
// distribution over their digits.
func chiSquare(counts [10]int) float64 {
	total := 0
	for _, n := range counts {
		total += n
	}
	want, x := float64(total)/10, 0.0
	for _, n := range counts {
		d := float64(n) - want
		x += d * d / want
	}
	return x
}

// uniformLimit is the chi-square statistic (9 degrees of freedom) that
// uniform digits exceed with probability about 1e-9: the test does not
// flake, yet a modulo bias over a million digits is far beyond it.
const uniformLimit = 60

func TestNewCodeUniform(t *testing.T) {
	const codes = 125_000 // a million digits
	var all [10]int
	var byPosition [MaxCodeLength][10]int
	for range codes {
		c, err := NewCode(MaxCodeLength)
		if err != nil {
			t.Fatal(err)
		}
		for i, d := range []byte(c.Reveal()) {
			all[d-'0']++
			byPosition[i][d-'0']++
		}
	}
	if x := chiSquare(all); x > uniformLimit {
		t.Errorf("digit counts %v: chi-square %.1f > %d, not uniform", all, x, uniformLimit)
	}
	for i, counts := range byPosition {
		if x := chiSquare(counts); x > uniformLimit {
			t.Errorf("digit counts at position %d %v: chi-square %.1f > %d, not uniform", i, counts, x, uniformLimit)
		}
	}

	// The check has the power to see the bias that byte % 10 would have
	// (the digits 0-5 come 26 times in 256, the others 25).
	var biased [10]int
	for b := range 1_000_000 {
		biased[b%256%10]++ // every byte value equally often
	}
	if x := chiSquare(biased); x <= uniformLimit {
		t.Errorf("byte %% 10 counts %v: chi-square %.1f <= %d; the check cannot see a modulo bias", biased, x, uniformLimit)
	}
}

func TestParseCode(t *testing.T) {
	for _, tc := range []struct {
		in     string
		reason string // "" when valid
	}{
		{"042917", ""},
		{"0000", ""},
		{"12345678", ""},
		{"", "missing_field"},
		{"123", "invalid_code"},
		{"123456789", "invalid_code"},
		{"12345a", "invalid_code"},
		{" 123456", "invalid_code"},
		{"１２３４５６", "invalid_code"}, // full-width digits
		{"-12345", "invalid_code"},
		{"12345\x00", "invalid_code"},
	} {
		c, err := ParseCode(tc.in)
		if tc.reason == "" {
			if err != nil || c.Reveal() != tc.in {
				t.Errorf("ParseCode(%q) = %q, %v; want it back", tc.in, c.Reveal(), err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Kind != Invalid || e.Field != "Code" || e.Reason != tc.reason {
			t.Errorf("ParseCode(%q) = %v; want an Invalid *Error for Code, Reason %q", tc.in, err, tc.reason)
		}
		if err != nil && tc.in != "" && strings.Contains(err.Error(), tc.in) {
			t.Errorf("ParseCode(%q) error %q repeats the code", tc.in, err)
		}
	}
}

func FuzzParseCode(f *testing.F) {
	for _, s := range []string{"042917", "0000", "12345678", "123", "123456789", "12a456", "", "１２３４", "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCode(s)
		if err != nil {
			if KindOf(err) != Invalid {
				t.Errorf("ParseCode(%q) = %v, want an Invalid error", s, err)
			}
			if len(s) >= MinCodeLength && strings.Contains(err.Error(), s) {
				t.Errorf("ParseCode(%q) error %q repeats the input", s, err)
			}
			return
		}
		if c.Reveal() != s || len(s) < MinCodeLength || len(s) > MaxCodeLength || !allDigits(s) {
			t.Errorf("ParseCode(%q) accepted %q", s, c.Reveal())
		}
	})
}

func TestCodeKeyCheck(t *testing.T) {
	ok := CodeKey{GroupID: "ops", PhoneNumber: "13800138000", Scene: "login"}
	for _, tc := range []struct {
		name  string
		edit  func(k *CodeKey)
		field string // "" when valid
	}{
		{"valid", func(k *CodeKey) {}, ""},
		{"E.164", func(k *CodeKey) { k.PhoneNumber = "+85261234567" }, ""},
		{"scene characters", func(k *CodeKey) { k.Scene = "Reset_Password-2.v1:web" }, ""},
		{"longest scene", func(k *CodeKey) { k.Scene = strings.Repeat("s", MaxSceneLen) }, ""},
		{"no group", func(k *CodeKey) { k.GroupID = "" }, "GroupID"},
		{"long group", func(k *CodeKey) { k.GroupID = strings.Repeat("g", 65) }, "GroupID"},
		{"group with NUL", func(k *CodeKey) { k.GroupID = "o\x00ps" }, "GroupID"},
		{"group not UTF-8", func(k *CodeKey) { k.GroupID = "ops\xff" }, "GroupID"},
		{"no phone", func(k *CodeKey) { k.PhoneNumber = "" }, "PhoneNumber"},
		{"not canonical +86", func(k *CodeKey) { k.PhoneNumber = "+8613800138000" }, "PhoneNumber"},
		{"not canonical 00", func(k *CodeKey) { k.PhoneNumber = "0085261234567" }, "PhoneNumber"},
		{"not canonical space", func(k *CodeKey) { k.PhoneNumber = " 13800138000" }, "PhoneNumber"},
		{"not a number", func(k *CodeKey) { k.PhoneNumber = "1380013800x" }, "PhoneNumber"},
		{"no scene", func(k *CodeKey) { k.Scene = "" }, "Scene"},
		{"long scene", func(k *CodeKey) { k.Scene = strings.Repeat("s", MaxSceneLen+1) }, "Scene"},
		{"scene with space", func(k *CodeKey) { k.Scene = "log in" }, "Scene"},
		{"scene with slash", func(k *CodeKey) { k.Scene = "a/b" }, "Scene"},
		{"scene not ASCII", func(k *CodeKey) { k.Scene = "登录" }, "Scene"},
	} {
		k := ok
		tc.edit(&k)
		err := k.Check()
		if tc.field == "" {
			if err != nil {
				t.Errorf("%s: Check() = %v, want nil", tc.name, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Kind != Invalid || e.Field != tc.field {
			t.Errorf("%s: Check() = %v; want an Invalid *Error for %s", tc.name, err, tc.field)
		} else if tc.field == "PhoneNumber" && k.PhoneNumber != "" && strings.Contains(err.Error(), strings.TrimSpace(k.PhoneNumber)) {
			t.Errorf("%s: Check() error %q shows the phone number", tc.name, err)
		}
	}
}

var testCodeSecret = []byte("0123456789abcdef0123456789abcdef")

// TestHashCodeGolden pins the layout of what is hashed: a change would
// make every live code fail. The value is from Python's hmac module:
// hmac.new(secret, b"".join(struct.pack(">I", len(f)) + f for f in fields), "sha256").
func TestHashCodeGolden(t *testing.T) {
	got := hex.EncodeToString(HashCode(testCodeSecret, CodeKey{GroupID: "ops", PhoneNumber: "13800138000", Scene: "login"}, "042917"))
	if want := "5f6d9c6fa3ac265f67bfc545596796996983a93b16860603cf1773c7f74cb224"; got != want {
		t.Errorf("HashCode = %s, want %s", got, want)
	}
}

func TestHashCodeFraming(t *testing.T) {
	type input struct {
		key  CodeKey
		code Code
	}
	for _, tc := range []struct{ a, b input }{
		{input{CodeKey{"ab", "c", "s"}, "1234"}, input{CodeKey{"a", "bc", "s"}, "1234"}},
		{input{CodeKey{"g", "13800138000", "login1"}, "234"}, input{CodeKey{"g", "13800138000", "login"}, "1234"}},
		{input{CodeKey{"g", "1380013800", "0login"}, "1234"}, input{CodeKey{"g", "13800138000", "login"}, "1234"}},
		{input{CodeKey{"", "g", "s"}, "1234"}, input{CodeKey{"g", "", "s"}, "1234"}},
		{input{CodeKey{"g\x00\x00\x00\x01p", "", "s"}, "1234"}, input{CodeKey{"g", "p", "s"}, "1234"}},
		{input{CodeKey{"ops", "13800138000", "login"}, "042917"}, input{CodeKey{"ops", "13800138000", "Login"}, "042917"}},
		{input{CodeKey{"ops", "13800138000", "login"}, "042917"}, input{CodeKey{"ops", "13800138000", "login"}, "42917"}},
	} {
		ha, hb := HashCode(testCodeSecret, tc.a.key, tc.a.code), HashCode(testCodeSecret, tc.b.key, tc.b.code)
		if bytes.Equal(ha, hb) {
			t.Errorf("HashCode(%q, %q) = HashCode(%q, %q)", tc.a.key, tc.a.code.Reveal(), tc.b.key, tc.b.code.Reveal())
		}
	}
	k := CodeKey{"ops", "13800138000", "login"}
	if a, b := HashCode(testCodeSecret, k, "042917"), HashCode(testCodeSecret, k, "042917"); !bytes.Equal(a, b) || len(a) != 32 {
		t.Errorf("HashCode twice = %x, %x; want one 32-byte value", a, b)
	}
	if a, b := HashCode(testCodeSecret, k, "042917"), HashCode([]byte("another secret of thirty-two bytes"), k, "042917"); bytes.Equal(a, b) {
		t.Errorf("HashCode under two secrets = %x both times", a)
	}
}

// FuzzHashCodeFraming checks that two different inputs never hash alike:
// a collision here would be a framing fault, not bad luck.
func FuzzHashCodeFraming(f *testing.F) {
	f.Add("ab", "c", "s", "1234", "a", "bc", "s", "1234")
	f.Add("g", "p", "login1", "234", "g", "p", "login", "1234")
	f.Add("", "", "", "", "", "", "", "0")
	f.Fuzz(func(t *testing.T, g1, p1, s1, c1, g2, p2, s2, c2 string) {
		k1, k2 := CodeKey{g1, p1, s1}, CodeKey{g2, p2, s2}
		same := k1 == k2 && c1 == c2
		if eq := bytes.Equal(HashCode(testCodeSecret, k1, Code(c1)), HashCode(testCodeSecret, k2, Code(c2))); eq != same {
			t.Errorf("HashCode(%q, %q) and HashCode(%q, %q) equal: %v; want %v", k1, c1, k2, c2, eq, same)
		}
	})
}

func TestCodeKeyring(t *testing.T) {
	cur, old := Secret("the current secret, hashing new codes"), Secret("the old secret, still verifying codes")
	if _, err := NewCodeKeyring(); err == nil {
		t.Error("NewCodeKeyring() with no secret: no error")
	}
	if _, err := NewCodeKeyring(cur, Secret("0123456789abcdef0123456789abcde")); err == nil || strings.Contains(err.Error(), "0123") {
		t.Errorf("NewCodeKeyring with a 31-byte secret = %v; want an error that does not show it", err)
	}
	ring, err := NewCodeKeyring(cur, old)
	if err != nil {
		t.Fatal(err)
	}
	k := CodeKey{"ops", "13800138000", "login"}
	if got, want := ring.Hash(k, "042917"), HashCode([]byte(cur), k, "042917"); !bytes.Equal(got, want) {
		t.Errorf("Hash = %x, want HashCode under the first secret, %x", got, want)
	}
	want := [][]byte{HashCode([]byte(cur), k, "042917"), HashCode([]byte(old), k, "042917")}
	if got := ring.Hashes(k, "042917"); !slices.EqualFunc(got, want, bytes.Equal) {
		t.Errorf("Hashes = %x, want %x", got, want)
	}

	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("ring", "ring", ring)
	for _, shown := range []string{fmt.Sprint(ring), fmt.Sprintf("%+v", ring), fmt.Sprintf("%#v", ring), fmt.Sprintf("%v", *ring), logged.String()} {
		if strings.Contains(shown, "current secret") || strings.Contains(shown, "old secret") {
			t.Errorf("the keyring shows a secret: %s", shown)
		}
	}
}

func TestCodeRedacts(t *testing.T) {
	c := Code("042917")
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("sent", "code", c)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("sent", "code", c)
	reply, err := json.Marshal(struct{ Code Code }{c})
	if err != nil {
		t.Fatal(err)
	}
	for _, shown := range []string{
		fmt.Sprint(c), fmt.Sprintf("%s %v %q %x %+v %#v", c, c, c, c, c, c),
		fmt.Sprintf("%v %+v %#v", struct{ C Code }{c}, struct{ C Code }{c}, struct{ C Code }{c}),
		fmt.Sprint(&c), text.String(), js.String(), string(reply),
	} {
		if strings.Contains(shown, "042917") || strings.Contains(shown, hex.EncodeToString([]byte("042917"))) {
			t.Errorf("the code shows: %s", shown)
		}
	}
	if c.Reveal() != "042917" {
		t.Errorf("Reveal = %q, want 042917", c.Reveal())
	}
}

func TestCodePolicyCheck(t *testing.T) {
	defaults := CodePolicy{Length: 6, TTL: 5 * time.Minute, Cooldown: time.Minute, MaxAttempts: 5}
	for _, tc := range []struct {
		name   string
		in     CodePolicy
		want   CodePolicy // when valid
		fields []string   // the fields at fault, in order
	}{
		{"zero is the defaults", CodePolicy{}, defaults, nil},
		{"all set", CodePolicy{8, 10 * time.Minute, 2 * time.Minute, 3}, CodePolicy{8, 10 * time.Minute, 2 * time.Minute, 3}, nil},
		{"shortest", CodePolicy{Length: 4}, CodePolicy{4, 5 * time.Minute, time.Minute, 5}, nil},
		{"short TTL caps the default cooldown", CodePolicy{TTL: 30 * time.Second}, CodePolicy{6, 30 * time.Second, 30 * time.Second, 5}, nil},
		{"cooldown as long as the TTL", CodePolicy{TTL: time.Minute, Cooldown: time.Minute}, CodePolicy{6, time.Minute, time.Minute, 5}, nil},
		{"one attempt", CodePolicy{MaxAttempts: 1}, CodePolicy{6, 5 * time.Minute, time.Minute, 1}, nil},
		{"length 3", CodePolicy{Length: 3}, CodePolicy{}, []string{"Length"}},
		{"length 9", CodePolicy{Length: 9}, CodePolicy{}, []string{"Length"}},
		{"negative length", CodePolicy{Length: -6}, CodePolicy{}, []string{"Length"}},
		{"TTL over 10 min", CodePolicy{TTL: 10*time.Minute + time.Second}, CodePolicy{}, []string{"TTL"}},
		{"negative TTL", CodePolicy{TTL: -time.Minute}, CodePolicy{}, []string{"TTL", "Cooldown"}},
		{"cooldown over the TTL", CodePolicy{TTL: 2 * time.Minute, Cooldown: 3 * time.Minute}, CodePolicy{}, []string{"Cooldown"}},
		{"cooldown under 1 s", CodePolicy{Cooldown: time.Millisecond}, CodePolicy{}, []string{"Cooldown"}},
		{"6 attempts", CodePolicy{MaxAttempts: 6}, CodePolicy{}, []string{"MaxAttempts"}},
		{"negative attempts", CodePolicy{MaxAttempts: -1}, CodePolicy{}, []string{"MaxAttempts"}},
		{"everything wrong", CodePolicy{2, time.Hour, 2 * time.Hour, 100}, CodePolicy{}, []string{"Length", "TTL", "Cooldown", "MaxAttempts"}},
	} {
		got, err := tc.in.Check()
		if tc.fields == nil {
			if err != nil || got != tc.want {
				t.Errorf("%s: Check() = %+v, %v; want %+v", tc.name, got, err, tc.want)
			}
			continue
		}
		var fields []string
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				if KindOf(e) != Invalid {
					t.Errorf("%s: %v is not Invalid", tc.name, e)
				}
				fields = append(fields, AsError(e).Field)
			}
		}
		if !slices.Equal(fields, tc.fields) {
			t.Errorf("%s: Check() = %v; want errors for %q", tc.name, err, tc.fields)
		}
	}
}

func TestCodeCooldownError(t *testing.T) {
	for _, tc := range []struct {
		left, want time.Duration
	}{
		{time.Minute, time.Minute},
		{59*time.Second + time.Millisecond, time.Minute},
		{time.Second, time.Second},
		{time.Second + time.Nanosecond, 2 * time.Second},
		{time.Millisecond, time.Second},
		{0, time.Second},
		{-time.Hour, time.Second},
	} {
		err := CooldownError("test.IssueCode", tc.left)
		if err.Kind != Throttled || err.Reason != ReasonCooldown || err.RetryAfter != tc.want {
			t.Errorf("CooldownError(%v) = %v, %s, RetryAfter %v; want Throttled, %s, %v",
				tc.left, err.Kind, err.Reason, err.RetryAfter, ReasonCooldown, tc.want)
		}
	}
}

// TestKeptCodeCheck walks the rule every store follows, one check at a
// time, without a store.
func TestKeptCodeCheck(t *testing.T) {
	k := CodeKey{"ops", "13800138000", "login"}
	right, wrong := HashCode(testCodeSecret, k, "042917"), HashCode(testCodeSecret, k, "000000")
	expires := time.Date(2026, 6, 1, 10, 5, 0, 0, time.UTC)
	live := func() *KeptCode { return &KeptCode{Hash: slices.Clone(right), ExpiresAt: expires} }
	before := expires.Add(-time.Second)
	for _, tc := range []struct {
		name    string
		kept    *KeptCode
		hashes  [][]byte
		now     time.Time
		max     int
		want    CodeResult
		changed bool
		after   *KeptCode // the kept code after the check
	}{
		{"none", nil, [][]byte{right}, before, 5, CodeResult{Reason: CodeNotFound}, false, nil},
		{"right", live(), [][]byte{right}, before, 5, CodeResult{Verified: true}, true,
			&KeptCode{Hash: []byte{}, Attempts: 1, Used: true, ExpiresAt: expires}},
		{"right among others", live(), [][]byte{wrong, right}, before, 5, CodeResult{Verified: true}, true,
			&KeptCode{Hash: []byte{}, Attempts: 1, Used: true, ExpiresAt: expires}},
		{"wrong", live(), [][]byte{wrong}, before, 5, CodeResult{Reason: CodeMismatch, AttemptsLeft: 4}, true,
			&KeptCode{Hash: right, Attempts: 1, ExpiresAt: expires}},
		{"wrong, last attempt", &KeptCode{Hash: slices.Clone(right), Attempts: 4, ExpiresAt: expires}, [][]byte{wrong}, before, 5,
			CodeResult{Reason: CodeMismatch}, true, &KeptCode{Hash: []byte{}, Attempts: 5, ExpiresAt: expires}},
		{"right, last attempt", &KeptCode{Hash: slices.Clone(right), Attempts: 4, ExpiresAt: expires}, [][]byte{right}, before, 5,
			CodeResult{Verified: true}, true, &KeptCode{Hash: []byte{}, Attempts: 5, Used: true, ExpiresAt: expires}},
		{"used", &KeptCode{Hash: []byte{}, Attempts: 1, Used: true, ExpiresAt: expires}, [][]byte{right}, before, 5,
			CodeResult{Reason: CodeNotFound}, false, &KeptCode{Hash: []byte{}, Attempts: 1, Used: true, ExpiresAt: expires}},
		{"expired", live(), [][]byte{right}, expires, 5, CodeResult{Reason: CodeExpired}, false,
			&KeptCode{Hash: right, ExpiresAt: expires}},
		{"void", &KeptCode{Hash: []byte{}, Attempts: 5, ExpiresAt: expires}, [][]byte{right}, before, 5,
			CodeResult{Reason: CodeAttemptsExceeded}, false, &KeptCode{Hash: []byte{}, Attempts: 5, ExpiresAt: expires}},
		{"void under a higher limit", &KeptCode{Hash: []byte{}, Attempts: 3, ExpiresAt: expires}, [][]byte{right}, before, 5,
			CodeResult{Reason: CodeAttemptsExceeded}, false, &KeptCode{Hash: []byte{}, Attempts: 3, ExpiresAt: expires}},
		{"over a lower limit", &KeptCode{Hash: slices.Clone(right), Attempts: 3, ExpiresAt: expires}, [][]byte{right}, before, 3,
			CodeResult{Reason: CodeAttemptsExceeded}, false, &KeptCode{Hash: right, Attempts: 3, ExpiresAt: expires}},
		{"expired beats void", &KeptCode{Hash: []byte{}, Attempts: 5, ExpiresAt: expires}, [][]byte{right}, expires, 5,
			CodeResult{Reason: CodeExpired}, false, &KeptCode{Hash: []byte{}, Attempts: 5, ExpiresAt: expires}},
		{"a prefix of the hash", live(), [][]byte{right[:16]}, before, 5, CodeResult{Reason: CodeMismatch, AttemptsLeft: 4}, true,
			&KeptCode{Hash: right, Attempts: 1, ExpiresAt: expires}},
	} {
		got, changed := tc.kept.Check(tc.hashes, tc.now, tc.max)
		if got != tc.want || changed != tc.changed {
			t.Errorf("%s: Check = %+v, changed %v; want %+v, changed %v", tc.name, got, changed, tc.want, tc.changed)
		}
		if tc.kept != nil && (!bytes.Equal(tc.kept.Hash, tc.after.Hash) || tc.kept.Attempts != tc.after.Attempts ||
			tc.kept.Used != tc.after.Used || !tc.kept.ExpiresAt.Equal(tc.after.ExpiresAt)) {
			t.Errorf("%s: kept code after Check = %+v, want %+v", tc.name, *tc.kept, *tc.after)
		}
	}
}

func BenchmarkHashCode(b *testing.B) {
	k := CodeKey{"ops", "13800138000", "login"}
	b.ReportAllocs()
	for b.Loop() {
		HashCode(testCodeSecret, k, "042917")
	}
}

func BenchmarkNewCode(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewCode(DefaultCodeLength); err != nil {
			b.Fatal(err)
		}
	}
}

// ExampleNewCode makes a code to send. It shows itself only through
// Reveal, for the message that carries it.
func ExampleNewCode() {
	code, err := NewCode(DefaultCodeLength)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(code.Reveal()), code)
	// Output: 6 REDACTED
}

// ExampleCodeKeyring hashes a code when it is sent and again when the
// caller types it: the store compares hashes, never codes.
func ExampleCodeKeyring() {
	ring, err := NewCodeKeyring("the current secret, hashing new codes", "the old secret, still verifying codes")
	if err != nil {
		panic(err)
	}
	key := CodeKey{GroupID: "ops", PhoneNumber: "13800138000", Scene: "login"}
	kept := KeptCode{Hash: ring.Hash(key, "042917"), ExpiresAt: time.Now().Add(DefaultCodeTTL)}

	typed, err := ParseCode("042917")
	if err != nil {
		panic(err)
	}
	res, _ := kept.Check(ring.Hashes(key, typed), time.Now(), DefaultCodeAttempts)
	fmt.Printf("%+v\n", res)
	res, _ = kept.Check(ring.Hashes(key, typed), time.Now(), DefaultCodeAttempts)
	fmt.Printf("%+v\n", res)
	fmt.Println(ring)
	// Output:
	// {Verified:true Reason: AttemptsLeft:0}
	// {Verified:false Reason:not_found AttemptsLeft:0}
	// CodeKeyring(2 secrets)
}

// ExampleCodePolicy_Check fills in the defaults and refuses what the
// guidance forbids.
func ExampleCodePolicy_Check() {
	p, err := CodePolicy{Length: 8}.Check()
	fmt.Printf("%+v %v\n", p, err)
	_, err = CodePolicy{TTL: 30 * time.Minute}.Check()
	fmt.Println(err)
	// Output:
	// {Length:8 TTL:5m0s Cooldown:1m0s MaxAttempts:5} <nil>
	// validate TTL: is 30m0s; want 1s to 10m0s
}
