// Package tts wires the tts function: the store, the voice provider its
// configuration names (Aliyun Dyvmsapi, or the sandbox without
// credentials), the core service and the HTTP handler.
package tts

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/seed4ddb146e/notify/shared/app"
	"github.com/seed4ddb146e/notify/shared/config"
	"github.com/seed4ddb146e/notify/shared/httpapi"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/aliyunvoice"
	"github.com/seed4ddb146e/notify/shared/provider/sandbox"
)

// New builds the tts function's handler over st. Nothing here touches the
// network: the Aliyun client is made on the first call.
func New(ctx context.Context, cfg config.Config, st notify.Store, log *slog.Logger) (http.Handler, error) {
	d := app.Deps(cfg, st, log)
	var err error
	if d.Voice, d.VoiceProvider, err = Voice(ctx, cfg, log); err != nil {
		return nil, err
	}
	if q, ok := d.Voice.(notify.Querier); ok {
		d.Queriers = map[notify.Channel]notify.Querier{notify.Voice: q}
	}
	return httpapi.TTS(notify.NewService(d), log), nil
}

// Voice returns the voice provider cfg configures, Aliyun Dyvmsapi, or the
// sandbox, with a warning, and its name. The sms function places its
// voice verification codes through it too.
func Voice(ctx context.Context, cfg config.Config, log *slog.Logger) (notify.Caller, string, error) {
	a := cfg.Aliyun
	return app.Provider(ctx, log, a.Configured(), aliyunvoice.Name, func() (notify.Caller, error) {
		return aliyunvoice.New(aliyunvoice.Config{Keys: a.Keys, Endpoint: a.VoiceEndpoint})
	}, notify.Caller(sandbox.New(log).Keeping(sandbox.InboxFrom(ctx))), "a voice call", "Aliyun credentials (ALIBABA_CLOUD_ACCESS_KEY_ID)")
}
