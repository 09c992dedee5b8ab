package notify

import (
	"context"
	"strings"
)

// Limits of a voice call, as Aliyun's SingleCallByTts has them.
const (
	MaxVoiceOutIDLen = 15 // bytes of OutId
)

// VoiceRequest is a decoded POST /tts: the legacy API's fields
// (docs/legacy.md), with their names as the caller spelled them in Field of
// any error.
type VoiceRequest struct {
	Credentials
	CalledNumber     string
	CalledShowNumber string
	TtsCode          string
	Params           map[string]string
	PlayTimes        *int
	Volume           *int
	Speed            *int
	OutID            string
}

// SendVoice authorizes, validates, counts against the limits, records and
// places the call r asks for.
func (s *Service) SendVoice(ctx context.Context, r VoiceRequest) (Sent, error) {
	return s.sendVoice(ctx, r, sendOptions{})
}

func (s *Service) sendVoice(ctx context.Context, r VoiceRequest, o sendOptions) (Sent, error) {
	g, err := s.d.Groups.Authorize(r.Credentials, Request{Channel: Voice, Template: r.TtsCode, TemplateField: "TtsCode"})
	if err != nil {
		return Sent{}, err
	}
	c, err := r.validate()
	if err != nil {
		return Sent{}, err
	}
	m := &Message{ID: o.id, GroupID: r.GroupID, Channel: Voice, Recipients: []string{c.CalledNumber}, Template: c.TtsCode,
		Params: c.Params, OutID: c.OutID}
	if o.params != "" {
		m.Params = o.params
	}
	return s.send(ctx, m, plan{
		provider: s.d.VoiceProvider,
		queueKey: o.queueKey,
		limits:   &limited{group: g, kind: VoiceLimit, template: c.TtsCode},
		prepare:  o.prepare,
		deliver: via(s.d.VoiceProvider, func(ctx context.Context) (Acceptance, error) {
			c.ID = m.ID
			return s.d.Voice.Call(ctx, c)
		}),
	})
}

func (r *VoiceRequest) validate() (VoiceCall, error) {
	c := VoiceCall{TtsCode: strings.TrimSpace(r.TtsCode), CalledShowNumber: strings.TrimSpace(r.CalledShowNumber),
		PlayTimes: r.PlayTimes, Volume: r.Volume, Speed: r.Speed, OutID: r.OutID}
	if strings.TrimSpace(r.CalledNumber) == "" {
		return c, Invalidf("CalledNumber", ReasonMissingField, "is required")
	}
	p, ok := NormalizePhone(r.CalledNumber)
	if !ok || !IsMainland(p) {
		return c, Invalidf("CalledNumber", ReasonInvalidPhone, "%q is not a mainland China number (11 digits starting with 1); voice calls reach mainland numbers only",
			truncate(r.CalledNumber, 32))
	}
	c.CalledNumber = p
	if c.CalledShowNumber != "" && (!allDigits(c.CalledShowNumber) || len(c.CalledShowNumber) > 20) {
		return c, Invalidf("CalledShowNumber", ReasonInvalidField, "must be the digits of a number from your Aliyun voice console")
	}
	if err := checkCode("TtsCode", c.TtsCode); err != nil {
		return c, err
	}
	if err := inRange("PlayTimes", r.PlayTimes, 1, 3); err != nil {
		return c, err
	}
	if err := inRange("Volume", r.Volume, 0, 100); err != nil {
		return c, err
	}
	if err := inRange("Speed", r.Speed, -500, 500); err != nil {
		return c, err
	}
	if len(c.OutID) > MaxVoiceOutIDLen || hasControl(c.OutID) {
		return c, Invalidf("OutId", ReasonInvalidField, "must be at most %d printable bytes", MaxVoiceOutIDLen)
	}
	var err error
	if c.Params, err = encodeParams(r.Params, "TtsParam"); err != nil {
		return c, err
	}
	return c, nil
}

func inRange(field string, v *int, lo, hi int) error {
	if v != nil && (*v < lo || *v > hi) {
		return Invalidf(field, ReasonOutOfRange, "is %d; want %d to %d", *v, lo, hi)
	}
	return nil
}
