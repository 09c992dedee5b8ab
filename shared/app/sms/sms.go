// Package sms wires the sms function: the store, the SMS provider its
// configuration names (Aliyun Dysmsapi, or the sandbox without
// credentials), the core service and the HTTP handler.
package sms

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/seed4ddb146e/notify/shared/config"
	"github.com/seed4ddb146e/notify/shared/httpapi"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/aliyunsms"
	"github.com/seed4ddb146e/notify/shared/provider/sandbox"
)

// New builds the sms function's handler over st. Nothing here touches the
// network: the Aliyun client is made on the first send.
func New(ctx context.Context, cfg config.Config, st notify.Store, log *slog.Logger) (http.Handler, error) {
	d := notify.Deps{Groups: notify.NewGroups(cfg.Groups), Store: st, Log: log}
	if cfg.Aliyun.Configured() {
		c, err := aliyunsms.New(aliyunsms.Config{AccessKeyID: cfg.Aliyun.AccessKeyID, AccessKeySecret: cfg.Aliyun.AccessKeySecret,
			SecurityToken: cfg.Aliyun.SecurityToken, Endpoint: cfg.Aliyun.SMSEndpoint})
		if err != nil {
			return nil, err
		}
		d.SMS, d.SMSProvider = c, aliyunsms.Name
	} else {
		log.WarnContext(ctx, "no Aliyun credentials (ALIBABA_CLOUD_ACCESS_KEY_ID): SMS goes to the sandbox and is not sent")
		d.SMS, d.SMSProvider = sandbox.New(log), sandbox.Name
	}
	return httpapi.SMS(notify.NewService(d), log), nil
}
