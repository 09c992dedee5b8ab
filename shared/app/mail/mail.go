// Package mail wires the mail function: the store, the SMTP server its
// configuration names (or the sandbox, without one), the core service and
// the HTTP handler.
package mail

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/seed4ddb146e/notify/shared/app"
	"github.com/seed4ddb146e/notify/shared/config"
	"github.com/seed4ddb146e/notify/shared/httpapi"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/sandbox"
	"github.com/seed4ddb146e/notify/shared/provider/smtpmail"
)

// New builds the mail function's handler over st. Nothing here touches the
// network: each send dials the SMTP server.
func New(ctx context.Context, cfg config.Config, st notify.Store, log *slog.Logger) (http.Handler, error) {
	d := app.Deps(cfg, st, log)
	d.MailFrom, d.MaxAttachmentBytes = cfg.SMTP.From, cfg.SMTP.MaxAttachmentBytes
	var err error
	d.Mail, d.MailProvider, err = app.Provider(ctx, log, cfg.SMTP.URL != "", smtpmail.Name, func() (notify.Mailer, error) {
		return smtpmail.New(smtpmail.Config{URL: cfg.SMTP.URL, From: cfg.SMTP.From})
	}, notify.Mailer(sandbox.New(log).Keeping(sandbox.InboxFrom(ctx))), "mail", "SMTP server (NOTIFY_SMTP_URL)")
	if err != nil {
		return nil, err
	}
	return httpapi.Mail(notify.NewService(d), cfg.SMTP.MaxAttachmentBytes, log), nil
}
