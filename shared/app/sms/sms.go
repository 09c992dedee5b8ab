// Package sms wires the sms function: the store, the SMS providers its
// configuration names (Aliyun Dysmsapi, Tencent Cloud SMS, Cloopen, in the
// configured order; the sandbox when none is), the template registry, the
// core service and the HTTP handler.
package sms

import (
	"context"
	"log/slog"
	"net/http"
	"slices"

	"github.com/seed4ddb146e/notify/shared/app"
	ttsapp "github.com/seed4ddb146e/notify/shared/app/tts"
	"github.com/seed4ddb146e/notify/shared/config"
	"github.com/seed4ddb146e/notify/shared/httpapi"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/aliyunsms"
	"github.com/seed4ddb146e/notify/shared/provider/cloopensms"
	"github.com/seed4ddb146e/notify/shared/provider/sandbox"
	"github.com/seed4ddb146e/notify/shared/provider/tencentsms"
)

// New builds the sms function's handler over st. Nothing here touches the
// network: each provider's client is made on its first send.
func New(ctx context.Context, cfg config.Config, st notify.Store, log *slog.Logger) (http.Handler, error) {
	d, err := Deps(ctx, cfg, st, log)
	if err != nil {
		return nil, err
	}
	return httpapi.SMS(notify.NewService(d), log), nil
}

// Deps returns the core's dependencies for sending SMS and calls: the
// store's parts (app.Deps), the SMS routes, the template registry, the
// voice provider, and the providers that answer status lookups.
func Deps(ctx context.Context, cfg config.Config, st notify.Store, log *slog.Logger) (notify.Deps, error) {
	d := app.Deps(cfg, st, log)
	routes, err := Routes(ctx, cfg, log)
	if err != nil {
		return d, err
	}
	d.SMSRoutes = routes
	d.Templates = notify.NewTemplates(cfg.Templates)
	// Verification codes may be read out in a call (Channel "tts").
	if d.Voice, d.VoiceProvider, err = ttsapp.Voice(ctx, cfg, log); err != nil {
		return d, err
	}
	d.Queriers, d.SMSQueriers = map[notify.Channel]notify.Querier{}, map[string]notify.Querier{}
	for _, r := range routes {
		if q, ok := r.Sender.(notify.Querier); ok {
			d.SMSQueriers[r.Name] = q
		}
	}
	if q, ok := d.Voice.(notify.Querier); ok {
		d.Queriers[notify.Voice] = q
	}
	if i := slices.IndexFunc(routes, func(r notify.Route) bool { return r.Name == aliyunsms.Name }); i >= 0 {
		d.SMS, d.SMSProvider = routes[i].Sender, aliyunsms.Name
		if q, ok := d.SMS.(notify.Querier); ok {
			d.Queriers[notify.SMS] = q
		}
	}
	return d, nil
}

// Routes returns the SMS providers cfg configures, in its order
// (NOTIFY_SMS_PROVIDERS, else Aliyun, Tencent, Cloopen); with none, the
// sandbox, with a warning.
func Routes(ctx context.Context, cfg config.Config, log *slog.Logger) ([]notify.Route, error) {
	var routes []notify.Route
	order := cfg.SMSProviders
	if len(order) == 0 {
		order = config.SMSProviders
	}
	for _, name := range order {
		var (
			s   notify.SMSSender
			err error
			r   = notify.Route{Name: name}
		)
		switch a, t, c := cfg.Aliyun, cfg.Tencent, cfg.Cloopen; {
		case name == notify.ProviderAliyun && a.Configured():
			r.Any = true
			s, err = aliyunsms.New(aliyunsms.Config{Keys: a.Keys, Endpoint: a.SMSEndpoint})
		case name == notify.ProviderTencent && t.Configured():
			r.Positional = true
			s, err = tencentsms.New(tencentsms.Config{SecretID: t.SecretID, SecretKey: t.SecretKey, SDKAppID: t.AppID,
				Region: t.Region, Endpoint: t.Endpoint})
		case name == notify.ProviderCloopen && c.Configured():
			r.Positional = true
			s, err = cloopensms.New(cloopensms.Config{AccountSID: c.AccountSID, AuthToken: c.AuthToken, AppID: c.AppID,
				Endpoint: c.Endpoint})
		default:
			continue
		}
		if err != nil {
			return nil, err
		}
		r.Sender = s
		routes = append(routes, r)
	}
	if len(routes) == 0 {
		app.Warn(ctx, log, "no SMS provider configured (ALIBABA_CLOUD_ACCESS_KEY_ID, TENCENTCLOUD_SECRET_ID or "+
			"NOTIFY_CLOOPEN_ACCOUNT_SID): SMS goes to the sandbox and is not sent")
		routes = []notify.Route{{Name: sandbox.Name, Sender: sandbox.New(log).Keeping(sandbox.InboxFrom(ctx)), Any: true, Sandbox: true}}
	}
	return routes, nil
}
