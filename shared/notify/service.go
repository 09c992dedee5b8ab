package notify

import (
	"context"
	"log/slog"
	"time"
)

// Deps are what a Service is built from. Log nil discards logs; Now nil is
// time.Now.
type Deps struct {
	Groups Groups
	Store  Store
	// SMS sends text messages; SMSProvider names it in records ("aliyun",
	// "sandbox", ...).
	SMS         SMSSender
	SMSProvider string
	// Voice places text-to-speech calls; VoiceProvider names it.
	Voice         Caller
	VoiceProvider string
	// Mail sends e-mail; MailProvider names it. MailFrom is the sender of
	// groups without their own; MaxAttachmentBytes bounds the decoded total
	// of a message's attachments.
	Mail               Mailer
	MailProvider       string
	MailFrom           string
	MaxAttachmentBytes int
	Log                *slog.Logger
	Now                func() time.Time
}

// Service runs the send pipeline: authorize the group, validate, record the
// message, send it through the provider, record the outcome, reply.
type Service struct {
	d Deps
}

// NewService returns a Service over d.
func NewService(d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{d: d}
}

// Sent is the reply to a send: our message id, and the provider's receipt
// when it accepted the message.
type Sent struct {
	MessageID string
	Receipt
}

// send records m, calls deliver, and records what became of it. It is the
// part of the pipeline every channel shares.
func (s *Service) send(ctx context.Context, m *Message, provider string, deliver func(context.Context) (Receipt, error)) (Sent, error) {
	now := s.d.Now()
	m.ID = NewID(now)
	m.Provider = provider
	m.Status = Accepted
	m.CreatedAt, m.UpdatedAt = now, now
	if err := s.d.Store.CreateMessage(ctx, m); err != nil {
		s.d.Log.ErrorContext(ctx, "record message before send", "channel", m.Channel, "group", m.GroupID, "err", err)
		return Sent{}, &Error{Op: string(m.Channel) + ".record", Kind: Unavailable, Reason: "store_unavailable", Err: err}
	}
	rc, err := deliver(ctx)
	o := Outcome{Provider: provider, At: s.d.Now()}
	switch {
	case err == nil:
		o.Status, o.ProviderID, o.RequestID, o.Sandbox = Submitted, rc.ProviderID, rc.RequestID, rc.Sandbox
	case KindOf(err) == Ambiguous:
		o.Status = Unknown
	default:
		o.Status = Failed
	}
	if err != nil {
		e := AsError(err)
		o.RequestID, o.ErrorCode, o.ErrorText = e.RequestID, e.Code, e.Error()
		if o.ErrorCode == "" {
			o.ErrorCode = e.Kind.String()
		}
	}
	// The outcome is written with a context of its own: the provider has
	// already answered, and a caller that went away must not lose the record.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if ferr := s.d.Store.FinishMessage(wctx, m.ID, o); ferr != nil {
		s.d.Log.ErrorContext(ctx, "record outcome after send", "message_id", m.ID, "status", o.Status,
			"provider_id", o.ProviderID, "err", ferr)
	}
	log := s.d.Log.With("message_id", m.ID, "channel", m.Channel, "group", m.GroupID, "provider", provider,
		"status", o.Status, "recipients", len(m.Recipients))
	if err != nil {
		log.WarnContext(ctx, "send failed", "kind", KindOf(err), "code", o.ErrorCode, "err", err)
		return Sent{MessageID: m.ID}, err
	}
	log.InfoContext(ctx, "sent", "provider_id", rc.ProviderID, "sandbox", rc.Sandbox)
	return Sent{MessageID: m.ID, Receipt: rc}, nil
}
