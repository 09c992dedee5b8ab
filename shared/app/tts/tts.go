// Package tts wires the tts function: the store, the voice provider its
// configuration names (Aliyun Dyvmsapi, or the sandbox without
// credentials), the core service and the HTTP handler.
package tts

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/seed4ddb146e/notify/shared/config"
	"github.com/seed4ddb146e/notify/shared/httpapi"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/aliyunvoice"
	"github.com/seed4ddb146e/notify/shared/provider/sandbox"
)

// New builds the tts function's handler over st. Nothing here touches the
// network: the Aliyun client is made on the first call.
func New(ctx context.Context, cfg config.Config, st notify.Store, log *slog.Logger) (http.Handler, error) {
	d := notify.Deps{Groups: notify.NewGroups(cfg.Groups), Store: st, Log: log}
	if cfg.Aliyun.Configured() {
		c, err := aliyunvoice.New(aliyunvoice.Config{AccessKeyID: cfg.Aliyun.AccessKeyID, AccessKeySecret: cfg.Aliyun.AccessKeySecret,
			SecurityToken: cfg.Aliyun.SecurityToken, Endpoint: cfg.Aliyun.VoiceEndpoint})
		if err != nil {
			return nil, err
		}
		d.Voice, d.VoiceProvider = c, aliyunvoice.Name
	} else {
		log.WarnContext(ctx, "no Aliyun credentials (ALIBABA_CLOUD_ACCESS_KEY_ID): voice calls go to the sandbox and are not placed")
		d.Voice, d.VoiceProvider = sandbox.New(log), sandbox.Name
	}
	return httpapi.TTS(notify.NewService(d), log), nil
}
