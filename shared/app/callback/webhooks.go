package callback

import (
	"context"

	"github.com/seed4ddb146e/notify/shared/config"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/platform"
	"github.com/seed4ddb146e/notify/shared/webhook"
)

// sender delivers the groups' webhook events with shared/webhook.
type sender struct{ s *webhook.Sender }

var _ notify.EventSender = sender{}

// newSender returns the sender cfg allows: to public https URLs only; to
// private addresses too under NOTIFY_WEBHOOK_ALLOW_PRIVATE; and, when
// serving locally, to plain http on loopback, where a developer's
// receiver runs.
func newSender(cfg config.Config) sender {
	local := cfg.Runtime == platform.Local
	return sender{webhook.NewSender(webhook.Policy{AllowPrivate: cfg.WebhookAllowPrivate || local,
		AllowLoopbackHTTP: local})}
}

// SendEvent POSTs e to w, signed under w's secrets.
func (s sender) SendEvent(ctx context.Context, w notify.Webhook, e *notify.Event) (int, bool, error) {
	secrets := make([]webhook.Secret, 0, len(w.Secrets))
	for _, sec := range w.Secrets {
		// config.Load checked every secret.
		if k, err := webhook.ParseSecret(sec.Reveal()); err == nil {
			secrets = append(secrets, k)
		}
	}
	r := s.s.Deliver(ctx, webhook.Endpoint{URL: w.URL, Secrets: secrets}, webhook.Event{ID: e.ID, Body: e.Body()})
	return r.Status, r.Retry, r.Err
}
