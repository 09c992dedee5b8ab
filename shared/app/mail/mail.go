// Package mail wires the mail function: the store, the SMTP server its
// configuration names (or the sandbox, without one), the core service and
// the HTTP handler.
package mail

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/seed4ddb146e/notify/shared/config"
	"github.com/seed4ddb146e/notify/shared/httpapi"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/sandbox"
	"github.com/seed4ddb146e/notify/shared/provider/smtpmail"
)

// New builds the mail function's handler over st. Nothing here touches the
// network: each send dials the SMTP server.
func New(ctx context.Context, cfg config.Config, st notify.Store, log *slog.Logger) (http.Handler, error) {
	d := notify.Deps{Groups: notify.NewGroups(cfg.Groups), Store: st, Log: log,
		MailFrom: cfg.SMTP.From, MaxAttachmentBytes: cfg.SMTP.MaxAttachmentBytes}
	if cfg.SMTP.URL != "" {
		c, err := smtpmail.New(smtpmail.Config{URL: cfg.SMTP.URL, From: cfg.SMTP.From})
		if err != nil {
			return nil, err
		}
		d.Mail, d.MailProvider = c, smtpmail.Name
	} else {
		log.WarnContext(ctx, "no SMTP server (NOTIFY_SMTP_URL): mail goes to the sandbox and is not sent")
		d.Mail, d.MailProvider = sandbox.New(log), sandbox.Name
	}
	return httpapi.Mail(notify.NewService(d), cfg.SMTP.MaxAttachmentBytes, log), nil
}
