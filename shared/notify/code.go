package notify

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"
	"unicode/utf8"
)

// One-time verification codes (POST /sms/code/send and /sms/code/verify).
//
// A code is digits from crypto/rand, sent by SMS or voice call and kept only
// as a keyed hash (HMAC-SHA256 under the gateway's code secret) with its
// expiry. It is bound to a CodeKey, the group, phone number and scene it was
// sent for; a new code for the same key replaces the old one, but not within
// the cooldown after it. A code is accepted once, within its time to live,
// and after MaxAttempts wrong guesses it is void. The code itself is a Code,
// which shows itself only through Reveal: never in logs, records, errors or
// replies.

// Limits and defaults of a CodePolicy.
const (
	MinCodeLength       = 4
	MaxCodeLength       = 8
	MaxCodeTTL          = 10 * time.Minute // NIST SP 800-63B 5.1.3.2, OWASP ASVS 2.7.2
	MaxCodeAttempts     = 5                // checks per code, as Twilio Verify
	DefaultCodeLength   = 6                // about 20 bits (ASVS 2.7.6)
	DefaultCodeTTL      = 5 * time.Minute
	DefaultCodeCooldown = time.Minute // Aliyun lets one code a minute reach a number
	DefaultCodeAttempts = MaxCodeAttempts
)

// Code is a verification code: a string that never shows itself in logs,
// errors, JSON or %v.
type Code string

// LogValue keeps the code out of slog output.
func (Code) LogValue() slog.Value { return slog.StringValue("REDACTED") }

// String keeps the code out of fmt output.
func (Code) String() string { return "REDACTED" }

// GoString keeps the code out of %#v output.
func (Code) GoString() string { return `"REDACTED"` }

// MarshalText keeps the code out of JSON and other text encodings.
func (Code) MarshalText() ([]byte, error) { return []byte("REDACTED"), nil }

// Reveal returns the code itself, for the one place that must send it.
func (c Code) Reveal() string { return string(c) }

// NewCode returns a new code of length decimal digits, each uniform
// (rejection sampling from crypto/rand, no modulo bias); it may start with
// zeros. The length must be from MinCodeLength to MaxCodeLength.
func NewCode(length int) (Code, error) {
	if length < MinCodeLength || length > MaxCodeLength {
		return "", fmt.Errorf("new code: length %d: want %d to %d digits", length, MinCodeLength, MaxCodeLength)
	}
	var (
		digits [MaxCodeLength]byte
		buf    [2 * MaxCodeLength]byte
		n      int
	)
	for n < length {
		_, _ = rand.Read(buf[:]) // never fails (crypto/rand, Go 1.24 on)
		for _, b := range buf {
			// 250 is the largest multiple of 10 a byte holds: the bytes
			// 250-255 would favour the digits 0-5.
			if b < 250 && n < length {
				digits[n] = '0' + b%10
				n++
			}
		}
	}
	return Code(digits[:length]), nil
}

// ParseCode checks a code a caller typed: MinCodeLength to MaxCodeLength
// digits. A bad one is an *Error of kind Invalid for the field "Code",
// whose text does not repeat it.
func ParseCode(s string) (Code, error) {
	if s == "" {
		return "", Invalidf("Code", ReasonMissingField, "is required")
	}
	if len(s) < MinCodeLength || len(s) > MaxCodeLength || !allDigits(s) {
		return "", Invalidf("Code", ReasonInvalidCode, "must be %d to %d digits", MinCodeLength, MaxCodeLength)
	}
	return Code(s), nil
}

// CodeKey names the code of one phone number for one scene of one group: a
// code sent for one key verifies for no other.
type CodeKey struct {
	GroupID string
	// PhoneNumber is in NormalizePhone's canonical form, so that one
	// number has one key however the caller wrote it.
	PhoneNumber string
	// Scene is what the code is for, as the caller names it: "login",
	// "reset_password". 1 to 64 of the characters A-Z a-z 0-9 _ - . :
	Scene string
}

// MaxSceneLen is the longest Scene, in bytes.
const MaxSceneLen = 64

// Check reports the first field of k that is not a valid key as an
// *Error of kind Invalid. Its text never shows the phone number.
func (k CodeKey) Check() error {
	switch {
	case k.GroupID == "":
		return Invalidf("GroupID", ReasonMissingField, "is required")
	case len(k.GroupID) > 64 || !utf8.ValidString(k.GroupID) || hasControl(k.GroupID):
		return Invalidf("GroupID", ReasonInvalidField, "must be at most 64 printable bytes")
	case k.PhoneNumber == "":
		return Invalidf("PhoneNumber", ReasonMissingField, "is required")
	}
	if p, ok := NormalizePhone(k.PhoneNumber); !ok || p != k.PhoneNumber {
		return Invalidf("PhoneNumber", ReasonInvalidPhone,
			"must be a phone number in canonical form (mainland: 11 digits starting with 1; others: E.164 such as +85261234567)")
	}
	if k.Scene == "" {
		return Invalidf("Scene", ReasonMissingField, "is required")
	}
	if len(k.Scene) > MaxSceneLen || !sceneChars(k.Scene) {
		return Invalidf("Scene", ReasonInvalidField, "must be 1 to %d of the characters A-Z a-z 0-9 _ - . :", MaxSceneLen)
	}
	return nil
}

func sceneChars(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}

// codeHashLabel separates these hashes from any other use of the secret,
// and names the layout of what follows, should it ever change.
const codeHashLabel = "notify code v1"

// HashCode returns HMAC-SHA256 under secret of code bound to key: of the
// label "notify code v1", the group, the phone number, the scene and the
// code, each as its length (4 bytes, big-endian) then its bytes, so that no
// two different (key, code) pairs hash the same bytes: ("ab", "c") is not
// ("a", "bc").
func HashCode(secret []byte, key CodeKey, code Code) []byte {
	mac := hmac.New(sha256.New, secret)
	var n [4]byte
	for _, f := range [...]string{codeHashLabel, key.GroupID, key.PhoneNumber, key.Scene, string(code)} {
		binary.BigEndian.PutUint32(n[:], uint32(len(f)))
		mac.Write(n[:])
		mac.Write([]byte(f))
	}
	return mac.Sum(nil)
}

// MinCodeSecretLen is the shortest secret a CodeKeyring takes, in bytes:
// 32 hex digits are 128 bits.
const MinCodeSecretLen = 32

// CodeKeyring holds the secrets codes are hashed under. The first hashes
// new codes; the others, older ones being retired, still verify the codes
// they hashed, for a code's time to live after a rotation. It shows no
// secret in logs or %v. Make one with NewCodeKeyring.
type CodeKeyring struct {
	secrets []Secret
}

// NewCodeKeyring returns a keyring of secrets, the current one first. Each
// must be at least MinCodeSecretLen bytes long.
func NewCodeKeyring(secrets ...Secret) (*CodeKeyring, error) {
	if len(secrets) == 0 {
		return nil, errors.New("code keyring: no secret")
	}
	for i, s := range secrets {
		if len(s) < MinCodeSecretLen {
			return nil, fmt.Errorf("code keyring: secret %d is %d bytes long; want at least %d", i+1, len(s), MinCodeSecretLen)
		}
	}
	return &CodeKeyring{secrets: slices.Clone(secrets)}, nil
}

// Hash returns the hash of code for key under the current secret, the one
// IssuedCode keeps.
func (r CodeKeyring) Hash(key CodeKey, code Code) []byte {
	return HashCode([]byte(r.secrets[0]), key, code)
}

// Hashes returns the hashes of code for key under each secret, the current
// one first: what CodeStore.VerifyCode compares with the kept hash.
func (r CodeKeyring) Hashes(key CodeKey, code Code) [][]byte {
	hs := make([][]byte, len(r.secrets))
	for i, s := range r.secrets {
		hs[i] = HashCode([]byte(s), key, code)
	}
	return hs
}

// String keeps the secrets out of fmt output.
func (r CodeKeyring) String() string { return fmt.Sprintf("CodeKeyring(%d secrets)", len(r.secrets)) }

// GoString keeps the secrets out of %#v output.
func (r CodeKeyring) GoString() string { return r.String() }

// LogValue keeps the secrets out of slog output.
func (r CodeKeyring) LogValue() slog.Value { return slog.StringValue(r.String()) }

// CodePolicy is how codes are made and checked. Zero fields mean the
// defaults: 6 digits, 5 minutes to live, 60 s between two codes for one
// key, 5 checks per code.
type CodePolicy struct {
	Length int // digits, MinCodeLength to MaxCodeLength
	// TTL is how long a code is accepted, at most MaxCodeTTL.
	TTL time.Duration
	// Cooldown is how long after a code no new one is sent for its key:
	// from 1 s to TTL, so that an expired code never holds a cooldown and
	// may be purged.
	Cooldown time.Duration
	// MaxAttempts is how many checks a code takes, right or wrong, from 1
	// to MaxCodeAttempts; the last wrong one voids it.
	MaxAttempts int
}

// Check returns p with its zero fields set to the defaults, or an error
// naming every field out of range, each an *Error of kind Invalid whose
// Field is the CodePolicy field's name.
func (p CodePolicy) Check() (CodePolicy, error) {
	if p.Length == 0 {
		p.Length = DefaultCodeLength
	}
	if p.TTL == 0 {
		p.TTL = DefaultCodeTTL
	}
	if p.Cooldown == 0 {
		p.Cooldown = min(DefaultCodeCooldown, p.TTL)
	}
	if p.MaxAttempts == 0 {
		p.MaxAttempts = DefaultCodeAttempts
	}
	var errs []error
	if p.Length < MinCodeLength || p.Length > MaxCodeLength {
		errs = append(errs, Invalidf("Length", ReasonOutOfRange, "is %d digits; want %d to %d", p.Length, MinCodeLength, MaxCodeLength))
	}
	if p.TTL < time.Second || p.TTL > MaxCodeTTL {
		errs = append(errs, Invalidf("TTL", ReasonOutOfRange, "is %v; want 1s to %v", p.TTL, MaxCodeTTL))
	}
	if p.Cooldown < time.Second || p.Cooldown > p.TTL {
		errs = append(errs, Invalidf("Cooldown", ReasonOutOfRange, "is %v; want 1s to the TTL, %v", p.Cooldown, p.TTL))
	}
	if p.MaxAttempts < 1 || p.MaxAttempts > MaxCodeAttempts {
		errs = append(errs, Invalidf("MaxAttempts", ReasonOutOfRange, "is %d; want 1 to %d", p.MaxAttempts, MaxCodeAttempts))
	}
	if len(errs) > 0 {
		return p, errors.Join(errs...)
	}
	return p, nil
}

// IssuedCode is a code as the store keeps it: never the code itself.
type IssuedCode struct {
	Key CodeKey
	// Hash is HashCode of the code under the current secret
	// (CodeKeyring.Hash).
	Hash      []byte
	MessageID string // the message that carries the code
	IssuedAt  time.Time
	ExpiresAt time.Time
	// Sealed is the code sealed for Key and MessageID (CodeKeyring.Seal),
	// kept only for a code that escalates; nil for any other.
	Sealed []byte
	// EscalateAt is when the code is sent again unless it is delivered,
	// used, void, replaced or expired by then; zero for never. Set with
	// Sealed and EscalateTo, and before ExpiresAt.
	EscalateAt time.Time
	EscalateTo EscalateTo
}

// EscalateTo is how a code not delivered within its scene's EscalateAfter
// is sent a second time.
type EscalateTo string

// The ways a code escalates.
const (
	// EscalateToVoice reads the same code out in a call, with the scene's
	// voice template.
	EscalateToVoice EscalateTo = "tts"
	// EscalateToNextProvider sends the same SMS through the SMS provider
	// after the one that took the first, in the group's order.
	EscalateToNextProvider EscalateTo = "next_provider"
)

// Escalation is a code CodeStore.ClaimEscalations claimed: due, and now
// spent, so that no other claim returns it.
type Escalation struct {
	Key        CodeKey
	Sealed     []byte // as IssuedCode.Sealed
	MessageID  string // the message that first carried the code
	ExpiresAt  time.Time
	EscalateTo EscalateTo
}

// CheckEscalation refuses the escalation fields of an IssuedCode no store
// should keep: a sealed code without a time to send it again, or the
// other way round, or a time not before its expiry.
func (c IssuedCode) CheckEscalation() error {
	switch {
	case c.EscalateAt.IsZero() && (len(c.Sealed) > 0 || c.EscalateTo != ""):
		return errors.New("a sealed code or escalate_to without a time to escalate")
	case c.EscalateAt.IsZero():
		return nil
	case len(c.Sealed) == 0:
		return errors.New("a time to escalate without a sealed code")
	case c.EscalateTo != EscalateToVoice && c.EscalateTo != EscalateToNextProvider:
		return fmt.Errorf("escalate to %q: want %q or %q", c.EscalateTo, EscalateToVoice, EscalateToNextProvider)
	case !c.EscalateAt.Before(c.ExpiresAt):
		return errors.New("escalates at or after it expires")
	}
	return nil
}

// CodeResult is what checking a code found.
type CodeResult struct {
	Verified bool
	// Reason says why the code was not verified: CodeMismatch,
	// CodeExpired, CodeAttemptsExceeded or CodeNotFound; "" when it was.
	Reason string
	// AttemptsLeft is how many more checks the code takes: after a
	// mismatch, what is left of MaxAttempts; 0 when no code is live
	// (verified, expired, void or none).
	AttemptsLeft int
}

// CodeStore keeps verification codes, one per CodeKey. Times are kept to
// the millisecond. Every method refuses a key that fails CodeKey.Check
// with that *Error.
type CodeStore interface {
	// IssueCode keeps c as the live code of c.Key, replacing any earlier
	// one, unless an earlier one was issued less than cooldown before
	// c.IssuedAt: then it keeps nothing and returns CooldownError. Of
	// concurrent issues for one key within the cooldown, exactly one
	// succeeds.
	IssueCode(ctx context.Context, c IssuedCode, cooldown time.Duration) error
	// RevokeCode forgets the code of key issued for message messageID,
	// when that message was certainly not sent, so that its cooldown does
	// not hold up a code nobody received, and puts back the code it
	// replaced, if any, as it was (its checks spent, used or not, its
	// expiry and its cooldown), without its escalation: a resend that
	// failed leaves the code the caller already has. It leaves a later
	// code alone, and does nothing when there is no such code.
	RevokeCode(ctx context.Context, key CodeKey, messageID string) error
	// VerifyCode checks the code of key at now against hashes (one per
	// secret, CodeKeyring.Hashes), atomically, in this order: no live code
	// (none, used or revoked) is CodeNotFound; now at or past ExpiresAt is
	// CodeExpired; a code with maxAttempts checks spent is
	// CodeAttemptsExceeded. Otherwise the check is counted and the hashes
	// compared in constant time: a match uses the code up (it verifies
	// once), and a mismatch that spends the last check voids it for good.
	// Of concurrent checks of one right code, exactly one is Verified.
	// KeptCode.Check is the rule.
	VerifyCode(ctx context.Context, key CodeKey, hashes [][]byte, now time.Time, maxAttempts int) (CodeResult, error)
	// PurgeCodes forgets every code that expired at or before before,
	// used or not, and returns how many. A code whose cooldown outlasts
	// its expiry loses the rest of it.
	PurgeCodes(ctx context.Context, before time.Time) (int64, error)
	// ClaimEscalations returns up to limit codes due for escalation at now,
	// oldest EscalateAt first, and spends their escalation in the same
	// atomic step: a code whose EscalateAt is at or before now, not yet
	// claimed, neither used nor void (its hash and sealed code are wiped
	// then, as VerifyCode wipes them), nor expired (ExpiresAt after now).
	// A claimed code's sealed copy is wiped as it is returned. Of
	// concurrent claims, from any instance, each code goes to one. A new
	// IssueCode for the key replaces the code and its escalation.
	ClaimEscalations(ctx context.Context, now time.Time, limit int) ([]Escalation, error)
}

// CooldownError is the Throttled *Error with Reason ReasonCooldown of a
// code asked for left before its key's cooldown ends. RetryAfter is left
// rounded up to a whole second, at least 1 s.
func CooldownError(op string, left time.Duration) *Error {
	secs := max(1, (left+time.Second-1)/time.Second)
	return &Error{Op: op, Kind: Throttled, Reason: ReasonCooldown, RetryAfter: secs * time.Second,
		Err: fmt.Errorf("a code was sent for this number and scene within the cooldown; the next may be sent in %d s", secs)}
}

// KeptCode is a code as a CodeStore reads it to check it.
type KeptCode struct {
	Hash      []byte // empty once the code is used or void
	Attempts  int    // checks spent
	Used      bool
	ExpiresAt time.Time
}

// Check works out a check of k against hashes at now, with at most
// maxAttempts checks per code, as CodeStore.VerifyCode says, and updates k
// to what the store must then keep. It reports whether k changed: a store
// writes it back, in the transaction it read it in, when it did. A nil k
// is a code the store does not have. For CodeStore implementations, so
// that every store follows one rule.
func (k *KeptCode) Check(hashes [][]byte, now time.Time, maxAttempts int) (CodeResult, bool) {
	switch {
	case k == nil || k.Used:
		return CodeResult{Reason: CodeNotFound}, false
	case !now.Before(k.ExpiresAt):
		return CodeResult{Reason: CodeExpired}, false
	case len(k.Hash) == 0 || k.Attempts >= maxAttempts:
		return CodeResult{Reason: CodeAttemptsExceeded}, false
	}
	k.Attempts++
	if matchCodeHash(k.Hash, hashes) {
		k.Used, k.Hash = true, []byte{}
		return CodeResult{Verified: true}, true
	}
	left := maxAttempts - k.Attempts
	if left == 0 {
		k.Hash = []byte{} // void for good, whatever the next call's limit
	}
	return CodeResult{Reason: CodeMismatch, AttemptsLeft: left}, true
}

// matchCodeHash reports in constant time whether kept equals any of
// hashes.
func matchCodeHash(kept []byte, hashes [][]byte) bool {
	ok := 0
	for _, h := range hashes {
		ok |= subtle.ConstantTimeCompare(kept, h)
	}
	return ok == 1
}

// CheckVerify refuses a VerifyCode no store should make: an invalid key,
// no hash to compare, or fewer than one attempt allowed.
func CheckVerify(key CodeKey, hashes [][]byte, maxAttempts int) error {
	if err := key.Check(); err != nil {
		return err
	}
	if len(hashes) == 0 {
		return errors.New("no hash to compare")
	}
	if maxAttempts < 1 {
		return fmt.Errorf("at most %d attempts: want at least 1", maxAttempts)
	}
	return nil
}
