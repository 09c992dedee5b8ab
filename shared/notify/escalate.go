package notify

import "context"

// Escalation of verification codes: a code sent by SMS for a scene with
// EscalateAfter that no report has said was delivered by then is sent once
// more, the same digits, as a voice call or through the next SMS provider.
// docs/codes.md is the whole story: what is kept, and what a crash loses.

// escalationKeyPrefix starts the QueueKey of an escalation's record.
const escalationKeyPrefix = "escalation:"

// EscalationKey returns the QueueKey of the record of the escalation of
// the code first sent in message firstID: "escalation:<firstID>". It links
// the two records, and, since at most one live record holds a key, a
// second escalation of one code is refused by the store even if it were
// ever claimed twice.
func EscalationKey(firstID string) string { return escalationKeyPrefix + firstID }

// EscalateCodes claims up to limit codes due for escalation
// (CodeStore.ClaimEscalations) and sends each once more: a code whose
// first message a report said was delivered is not sent, and one that
// cannot be sent (the group, its templates or the providers refuse it, a
// limit holds, the secret that sealed it was retired) is logged and
// dropped; the claim spent its escalation either way. It returns how many
// codes it claimed: the scheduled work calls it again until that is 0 or
// its time is short. Logs count codes and name messages, never the code.
func (s *Service) EscalateCodes(ctx context.Context, limit int) (int, error) {
	const op = "code.escalate"
	if err := s.codesConfigured(op); err != nil {
		return 0, err
	}
	if limit < 1 {
		return 0, nil
	}
	due, err := s.d.Store.ClaimEscalations(ctx, s.d.Now(), limit)
	if err != nil {
		s.d.Log.ErrorContext(ctx, "claim codes due for escalation", "err", err)
		return 0, &Error{Op: op, Kind: Unavailable, Reason: ReasonStoreUnavailable, Err: err}
	}
	var counts [escalationOutcomes]int
	for _, e := range due {
		counts[s.escalate(ctx, e)]++
	}
	if len(due) > 0 {
		s.d.Log.InfoContext(ctx, "codes escalated", "claimed", len(due), "sent", counts[escalationSent],
			"delivered_before", counts[escalationDelivered], "dropped", counts[escalationDropped])
	}
	return len(due), nil
}

// escalationOutcome is what became of one claimed code.
type escalationOutcome int

const (
	escalationSent      escalationOutcome = iota // sent again
	escalationDelivered                          // its first message was delivered: nothing to do
	escalationDropped                            // not sent: logged
	escalationOutcomes
)

// escalate sends the code e claimed once more, as e.EscalateTo says.
func (s *Service) escalate(ctx context.Context, e Escalation) escalationOutcome {
	log := s.d.Log.With("message_id", e.MessageID, "group", e.Key.GroupID, "scene", e.Key.Scene, "escalate_to", e.EscalateTo)
	first, err := s.d.Store.Message(ctx, e.MessageID)
	if err != nil {
		log.WarnContext(ctx, "escalation dropped: read the first message", "err", err)
		return escalationDropped
	}
	if first.Status == Delivered {
		log.DebugContext(ctx, "first message delivered: code not escalated")
		return escalationDelivered
	}
	g := s.d.Groups[e.Key.GroupID]
	if g == nil {
		log.WarnContext(ctx, "escalation dropped: no such group")
		return escalationDropped
	}
	code, err := s.d.CodeKeys.Open(e.Key, e.MessageID, e.Sealed)
	if err != nil {
		log.WarnContext(ctx, "escalation dropped: the sealed code does not open", "err", err)
		return escalationDropped
	}
	// The gateway sends for the group, as it did the first message:
	// through the group's authorization and limits, as the gateway itself,
	// which holds none of its keys when they are given as hashes.
	creds := Credentials{GroupID: g.ID, gateway: true}
	params := map[string]string{"code": code.Reveal()}
	o := sendOptions{params: redactedCodeParams, queueKey: EscalationKey(first.ID)}
	var sent Sent
	switch e.EscalateTo {
	case EscalateToVoice:
		sent, err = s.sendVoice(ctx, VoiceRequest{Credentials: creds, CalledNumber: e.Key.PhoneNumber,
			TtsCode: g.escalationTTS(e.Key.Scene), Params: params}, o)
	case EscalateToNextProvider:
		// The first message's sign and template, which the caller may
		// have chosen over the group's.
		o.after = first.Provider
		sent, err = s.sendSMS(ctx, SMSRequest{Credentials: creds, PhoneNumbers: []string{e.Key.PhoneNumber},
			SignName: first.SignName, TemplateCode: first.Template, Params: params}, o)
	default:
		log.WarnContext(ctx, "escalation dropped: unknown way to escalate")
		return escalationDropped
	}
	if err != nil {
		ee := AsError(err)
		log.WarnContext(ctx, "escalation not sent", "escalation_id", sent.MessageID, "kind", ee.Kind,
			"reason", ee.Reason, "err", err)
		return escalationDropped
	}
	log.InfoContext(ctx, "code sent again", "escalation_id", sent.MessageID, "channel", sent.Channel, "provider", sent.Provider)
	return escalationSent
}
