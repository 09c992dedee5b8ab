// Package sms wires the sms function: the store, the SMS provider its
// configuration names (Aliyun Dysmsapi, or the sandbox without
// credentials), the core service and the HTTP handler.
package sms

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/seed4ddb146e/notify/shared/app"
	"github.com/seed4ddb146e/notify/shared/config"
	"github.com/seed4ddb146e/notify/shared/httpapi"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/aliyunsms"
	"github.com/seed4ddb146e/notify/shared/provider/sandbox"
)

// New builds the sms function's handler over st. Nothing here touches the
// network: the Aliyun client is made on the first send.
func New(ctx context.Context, cfg config.Config, st notify.Store, log *slog.Logger) (http.Handler, error) {
	d := app.Deps(cfg, st, log)
	a := cfg.Aliyun
	var err error
	d.SMS, d.SMSProvider, err = app.Provider(ctx, log, a.Configured(), aliyunsms.Name, func() (notify.SMSSender, error) {
		return aliyunsms.New(aliyunsms.Config{AccessKeyID: a.AccessKeyID, AccessKeySecret: a.AccessKeySecret,
			SecurityToken: a.SecurityToken, Endpoint: a.SMSEndpoint})
	}, notify.SMSSender(sandbox.New(log)), "SMS", "Aliyun credentials (ALIBABA_CLOUD_ACCESS_KEY_ID)")
	if err != nil {
		return nil, err
	}
	if q, ok := d.SMS.(notify.Querier); ok {
		d.Queriers = map[notify.Channel]notify.Querier{notify.SMS: q}
	}
	return httpapi.SMS(notify.NewService(d), log), nil
}
