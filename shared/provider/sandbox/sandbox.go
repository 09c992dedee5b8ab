// Package sandbox is the provider for local runs and for deployments without
// credentials: it accepts every message, sends nothing, and answers with ids
// that say so. Records of sandboxed messages are kept like any other, marked
// sandbox, so a developer can follow a message through the gateway without a
// cloud account.
package sandbox

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// Name is the provider name the sandbox gives in records.
const Name = notify.ProviderSandbox

// Provider accepts SMS, voice calls and mail without sending them.
type Provider struct {
	log   *slog.Logger
	inbox *Inbox // nil: keeps nothing
}

var (
	_ notify.SMSSender = (*Provider)(nil)
	_ notify.Caller    = (*Provider)(nil)
	_ notify.Mailer    = (*Provider)(nil)
)

// New returns a sandbox provider that logs what it accepts to log (nil
// discards). It logs counts and ids, never template parameters, which may
// hold verification codes.
func New(log *slog.Logger) *Provider {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Provider{log: log}
}

func (p *Provider) accept(ctx context.Context, id, what string, n int) (notify.Acceptance, error) {
	if err := ctx.Err(); err != nil {
		return notify.Acceptance{}, notify.E("sandbox."+what, notify.Transient, err)
	}
	p.log.InfoContext(ctx, "sandbox accepted; nothing sent", "what", what, "message_id", id, "recipients", n)
	return notify.Acceptance{
		ProviderID: "sandbox-" + id,
		RequestID:  "sandbox-" + id,
		Code:       "OK",
		Message:    "OK (sandbox: not sent)",
		Sandbox:    true,
	}, nil
}

// Keeping returns p keeping each message it accepts in in (nil: none),
// parameters whole: only the console of a local run shows them.
func (p *Provider) Keeping(in *Inbox) *Provider {
	q := *p
	q.inbox = in
	return &q
}

// SendSMS accepts m.
func (p *Provider) SendSMS(ctx context.Context, m notify.TextMessage) (notify.Acceptance, error) {
	rc, err := p.accept(ctx, m.ID, "sms", len(m.PhoneNumbers))
	if err == nil {
		p.inbox.keep(Letter{At: time.Now(), MessageID: m.ID, Channel: notify.SMS, To: m.PhoneNumbers,
			SignName: m.SignName, Template: m.TemplateCode, Params: m.Params})
	}
	return rc, err
}

// Call accepts c.
func (p *Provider) Call(ctx context.Context, c notify.VoiceCall) (notify.Acceptance, error) {
	rc, err := p.accept(ctx, c.ID, "tts", 1)
	if err == nil {
		p.inbox.keep(Letter{At: time.Now(), MessageID: c.ID, Channel: notify.Voice, To: []string{c.CalledNumber},
			Template: c.TtsCode, Params: c.Params})
	}
	return rc, err
}

// SendMail accepts e.
func (p *Provider) SendMail(ctx context.Context, e notify.Email) (notify.Acceptance, error) {
	rc, err := p.accept(ctx, e.ID, "mail", len(e.To)+len(e.Cc)+len(e.Bcc))
	if err == nil {
		text := e.Text
		if text == "" {
			text = e.HTML
		}
		p.inbox.keep(Letter{At: time.Now(), MessageID: e.ID, Channel: notify.Mail,
			To: slices.Concat(e.To, e.Cc, e.Bcc), Subject: e.Subject, Text: text})
	}
	return rc, err
}
