package notify

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"time"
)

// CodeTemplate is what a group sends a scene's codes with, when the caller
// does not say: the SMS sign name and template, and the voice template.
// The code goes into the template's "code" variable.
type CodeTemplate struct {
	SignName    string
	Template    string // an SMS template: an Aliyun code or a registry name
	TtsTemplate string // a voice template (TtsCode)
	// EscalateAfter, when set, is how long after a code is sent by SMS it
	// is sent once more, the same code, EscalateTo's way, unless a report
	// said it was delivered or it was used, void, replaced or expired by
	// then (EscalateCodes). Shorter than the code TTL; 0 never escalates.
	EscalateAfter time.Duration
	EscalateTo    EscalateTo
}

// codeTemplate returns the templates of g's scene: its own, else the
// group's AnyScene ones.
func (g *Group) codeTemplate(scene string) CodeTemplate {
	t, ok := g.Codes[scene]
	if !ok {
		t = g.Codes[AnyScene]
	}
	return t
}

// escalationTTS returns the voice template a code of g's scene escalates
// with: the scene's own, else the group's AnyScene one.
func (g *Group) escalationTTS(scene string) string {
	if t := g.Codes[scene].TtsTemplate; t != "" {
		return t
	}
	return g.Codes[AnyScene].TtsTemplate
}

// AnyScene is the key of Group.Codes whose templates serve every scene
// without its own.
const AnyScene = "*"

// CodeRequest is a decoded POST /sms/code/send.
type CodeRequest struct {
	Credentials
	PhoneNumber string
	Scene       string
	// SignName and TemplateCode (the TtsCode of a call) are the group's
	// defaults for the scene when empty.
	SignName     string
	TemplateCode string
	Channel      Channel // SMS, the default, or Voice: the code is read out in a call
}

// VerifyRequest is a decoded POST /sms/code/verify.
type VerifyRequest struct {
	Credentials
	PhoneNumber string
	Scene       string
	Code        string
}

// redactedCodeParams is what the record of a code's message keeps in place
// of its template variables.
const redactedCodeParams = `{"code":"REDACTED"}`

// CodeTTL is how long a code sent now is accepted.
func (s *Service) CodeTTL() time.Duration { return s.d.CodePolicy.TTL }

// SendCode makes a verification code for r's phone number and scene, keeps
// only its keyed hash, and sends it by SMS or voice through the normal send
// path (authorization, limits, records, routing). A second code for the
// same group, number and scene within the cooldown is refused (Throttled,
// "cooldown"); after it, a new code replaces the old. A send that certainly
// failed revokes its code, so the caller may ask again at once.
func (s *Service) SendCode(ctx context.Context, r CodeRequest) (Sent, error) {
	const op = "code.send"
	t, err := s.fillCodeRequest(&r)
	if err != nil {
		return Sent{}, err
	}
	ch := r.Channel
	key, err := s.codeKey(r.GroupID, r.PhoneNumber, r.Scene)
	if err != nil {
		return Sent{}, err
	}
	if r.TemplateCode == "" {
		return Sent{}, Invalidf("TemplateCode", ReasonMissingField, "is required: the group has no code template for scene %q", r.Scene)
	}
	if err := s.codesConfigured(op); err != nil {
		return Sent{}, err
	}
	code, err := NewCode(s.d.CodePolicy.Length)
	if err != nil {
		return Sent{}, E(op, Internal, err)
	}
	now := s.d.Now()
	id := NewID(now)
	// The code is kept once the limits let the send through, so that a
	// send they refuse leaves the number's earlier code alone.
	c := s.issued(key, code, id, now, ch, t)
	issue := func(ctx context.Context) error {
		err := s.d.Store.IssueCode(ctx, c, s.d.CodePolicy.Cooldown)
		if err != nil && KindOf(err) != Throttled {
			s.d.Log.ErrorContext(ctx, "keep a verification code", "group", key.GroupID, "scene", key.Scene, "err", err)
			return &Error{Op: op, Kind: Unavailable, Reason: ReasonStoreUnavailable, Err: err}
		}
		return err
	}
	params := map[string]string{"code": code.Reveal()}
	o := sendOptions{id: id, params: redactedCodeParams, prepare: issue}
	var sent Sent
	if ch == SMS {
		sent, err = s.sendSMS(ctx, SMSRequest{Credentials: r.Credentials, PhoneNumbers: []string{key.PhoneNumber},
			SignName: r.SignName, TemplateCode: r.TemplateCode, Params: params}, o)
	} else {
		sent, err = s.sendVoice(ctx, VoiceRequest{Credentials: r.Credentials, CalledNumber: key.PhoneNumber,
			TtsCode: r.TemplateCode, Params: params}, o)
	}
	err = codeFields(err)
	if err != nil && KindOf(err) != Ambiguous {
		// The code certainly did not reach the number: it must not hold
		// the cooldown. (RevokeCode leaves alone a code issued for another
		// message, as the live one when this send was refused its own.)
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if rerr := s.d.Store.RevokeCode(wctx, key, id); rerr != nil {
			s.d.Log.WarnContext(ctx, "revoke the code of a send that failed", "message_id", id, "err", rerr)
		}
	}
	if err == nil && rand.N(purgeEvery) == 0 {
		s.purgeCodes(ctx, now)
	}
	return sent, err
}

// codeFieldNames are the fields of a code's send, by the names of the
// send path's requests (POST /sms's, POST /tts's) it goes through.
var codeFieldNames = map[string]string{"PhoneNumbers": "PhoneNumber", "CalledNumber": "PhoneNumber", "TtsCode": "TemplateCode"}

// codeFields returns err naming the field at fault as a code's request
// names it.
func codeFields(err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	if name, ok := codeFieldNames[e.Field]; ok {
		renamed := *e
		renamed.Field = name
		return &renamed
	}
	return err
}

// fillCodeRequest checks r's channel (sms when none), fills its sign name
// and template from its group's code template for its scene, and
// authorizes it. It returns that code template.
func (s *Service) fillCodeRequest(r *CodeRequest) (CodeTemplate, error) {
	switch r.Channel {
	case "", SMS:
		r.Channel = SMS
	case Voice:
	default:
		return CodeTemplate{}, Invalidf("Channel", ReasonInvalidField, "must be sms or tts")
	}
	var t CodeTemplate
	if g := s.d.Groups[r.GroupID]; g != nil {
		t = g.codeTemplate(r.Scene)
		if r.SignName == "" {
			r.SignName = t.SignName
		}
		if r.TemplateCode == "" {
			r.TemplateCode = t.Template
			if r.Channel == Voice {
				r.TemplateCode = t.TtsTemplate
			}
		}
	}
	req := Request{Channel: r.Channel, SignName: r.SignName, Template: r.TemplateCode, TemplateField: "TemplateCode"}
	var err error
	if r.Channel == SMS {
		_, _, err = s.authorizeSMS(r.Credentials, req)
	} else {
		_, err = s.d.Groups.Authorize(r.Credentials, req)
	}
	return t, err
}

// issued is the record of code, sent as message id over ch: its keyed
// hash, its expiry, and, for an SMS whose template escalates, the sealed
// code and when and how it escalates. (A code read out in a call was the
// caller's own fallback already.)
func (s *Service) issued(key CodeKey, code Code, id string, now time.Time, ch Channel, t CodeTemplate) IssuedCode {
	c := IssuedCode{Key: key, Hash: s.d.CodeKeys.Hash(key, code), MessageID: id, IssuedAt: now,
		ExpiresAt: now.Add(s.d.CodePolicy.TTL)}
	if ch == SMS && t.EscalateAfter > 0 && t.EscalateAfter < s.d.CodePolicy.TTL {
		c.Sealed = s.d.CodeKeys.Seal(key, id, code)
		c.EscalateAt, c.EscalateTo = now.Add(t.EscalateAfter), t.EscalateTo
	}
	return c
}

// purgeEvery is how many sent codes, on average, one purge of expired codes
// follows: the store keeps one row per group, number and scene, and the
// rows of numbers never sent to again would otherwise stay for good.
const purgeEvery = 100

// purgeCodes deletes the codes expired before now.
func (s *Service) purgeCodes(ctx context.Context, now time.Time) {
	n, err := s.d.Store.PurgeCodes(ctx, now)
	if err != nil {
		s.d.Log.WarnContext(ctx, "purge expired codes", "err", err)
		return
	}
	s.d.Log.DebugContext(ctx, "purged expired codes", "count", n)
}

// VerifyCode checks r.Code against the live code of r's group, number and
// scene. A code verifies once; MaxAttempts checks void it. The result's
// Reason says why a code did not verify.
func (s *Service) VerifyCode(ctx context.Context, r VerifyRequest) (CodeResult, error) {
	const op = "code.verify"
	ch := SMS
	if g := s.d.Groups[r.GroupID]; g != nil && !slices.Contains(g.Channels, SMS) {
		ch = Voice
	}
	if _, err := s.d.Groups.Authorize(r.Credentials, Request{Channel: ch}); err != nil {
		return CodeResult{}, err
	}
	key, err := s.codeKey(r.GroupID, r.PhoneNumber, r.Scene)
	if err != nil {
		return CodeResult{}, err
	}
	code, err := ParseCode(r.Code)
	if err != nil {
		return CodeResult{}, err
	}
	if err := s.codesConfigured(op); err != nil {
		return CodeResult{}, err
	}
	res, err := s.d.Store.VerifyCode(ctx, key, s.d.CodeKeys.Hashes(key, code), s.d.Now(), s.d.CodePolicy.MaxAttempts)
	if err != nil {
		s.d.Log.ErrorContext(ctx, "verify a code", "group", key.GroupID, "scene", key.Scene, "err", err)
		return CodeResult{}, &Error{Op: op, Kind: Unavailable, Reason: ReasonStoreUnavailable, Err: err}
	}
	s.d.Log.InfoContext(ctx, "code checked", "group", key.GroupID, "scene", key.Scene, "verified", res.Verified,
		"reason", res.Reason, "attempts_left", res.AttemptsLeft)
	return res, nil
}

// codeKey returns the key of a code, with the number in canonical form.
func (s *Service) codeKey(group, phone, scene string) (CodeKey, error) {
	if phone == "" {
		return CodeKey{}, Invalidf("PhoneNumber", ReasonMissingField, "is required")
	}
	p, ok := NormalizePhone(phone)
	if !ok {
		return CodeKey{}, Invalidf("PhoneNumber", ReasonInvalidPhone,
			"%q is not a phone number (mainland: 11 digits starting with 1; others: E.164 such as +85261234567)", truncate(phone, 32))
	}
	k := CodeKey{GroupID: group, PhoneNumber: p, Scene: scene}
	return k, k.Check()
}

// codesConfigured reports, as Unavailable, a gateway without a code store
// or secret.
func (s *Service) codesConfigured(op string) error {
	if s.d.CodeKeys == nil {
		return &Error{Op: op, Kind: Unavailable, Reason: ReasonCodesNotConfigured,
			Err: errors.New("verification codes are not configured: set NOTIFY_CODE_SECRET")}
	}
	return nil
}
