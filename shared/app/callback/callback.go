// Package callback wires the callback function, which takes the providers'
// delivery reports and Aliyun's inbound SMS, pushed over HTTP behind the
// secret path tokens of its configuration or delivered from a queue, and
// keeps them in the store, where they settle the messages they name. Its
// timer trigger runs the scheduled work (Function.Tick, notify.Service.Tick):
// it delivers the groups' webhook events, asks the providers about the
// messages no report settles, and deletes what expired; for that it
// links the SMS and voice providers too.
package callback

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"strings"

	smsapp "github.com/seed4ddb146e/notify/shared/app/sms"
	"github.com/seed4ddb146e/notify/shared/config"
	"github.com/seed4ddb146e/notify/shared/console"
	"github.com/seed4ddb146e/notify/shared/httpapi"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/platform"
	"github.com/seed4ddb146e/notify/shared/provider/sandbox"
)

// Function is the callback function's handler: the report routes, and
// the scheduled work its timer trigger runs.
type Function struct {
	http.Handler
	tick func(context.Context) error
}

var _ platform.Ticker = (*Function)(nil)

// Tick does the scheduled work, within ctx's deadline.
func (f *Function) Tick(ctx context.Context) error { return f.tick(ctx) }

// New builds the callback function's handler over st. Without any
// callback token it warns at cold start: every push over HTTP is then refused, and only queue messages
// are taken.
func New(ctx context.Context, cfg config.Config, st notify.Store, log *slog.Logger) (*Function, error) {
	cb := cfg.Callback
	if !cb.Configured() {
		log.WarnContext(ctx, "no NOTIFY_CALLBACK_TOKEN: every report pushed over HTTP is answered 404 and lost; "+
			"only queue messages are taken")
	}
	d, err := Deps(ctx, cfg, st, log)
	if err != nil {
		return nil, err
	}
	svc := notify.NewService(d)
	h := httpapi.CallbackWithInbound(st, httpapi.CallbackTokens{Aliyun: cb.Aliyun, Tencent: cb.Tencent, Cloopen: cb.Cloopen},
		d.Groups.InboundGroup, log)
	tick := func(ctx context.Context) error {
		_, err := svc.Tick(ctx)
		return err
	}
	if c, err := newConsole(ctx, cfg, st, d, svc, log); err != nil {
		return nil, err
	} else if c != nil {
		// Not a ServeMux: it would clean and redirect the report paths,
		// which the reports' handler answers as they come.
		reports := h
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if p := r.URL.Path; p == "/console" || strings.HasPrefix(p, "/console/") {
				c.ServeHTTP(w, r)
				return
			}
			reports.ServeHTTP(w, r)
		})
	}
	return &Function{Handler: h, tick: tick}, nil
}

// newConsole returns the web console the callback function serves under
// /console/, or nil when it is off: in the clouds without
// NOTIFY_CONSOLE_SECRET. A local run always has it, with a secret of its
// own when none is set, the sandbox's inbox, and sign-in by GroupID alone
// for groups without keys, as their callers send.
func newConsole(ctx context.Context, cfg config.Config, st notify.Store, d notify.Deps, svc *notify.Service,
	log *slog.Logger) (http.Handler, error) {
	local := cfg.Runtime == platform.Local
	secret := []byte(cfg.ConsoleSecret.Reveal())
	switch {
	case len(secret) == 0 && !local:
		log.InfoContext(ctx, "no NOTIFY_CONSOLE_SECRET: the web console (/console/) is off")
		return nil, nil
	case len(secret) == 0:
		secret = make([]byte, 32)
		_, _ = rand.Read(secret)
	}
	c := console.Config{Base: "/console/", Groups: d.Groups, Store: st, Service: svc, Secret: secret,
		AllowKeyless: local, Log: log}
	if local {
		c.Inbox = sandbox.InboxFrom(ctx)
	}
	return console.New(c)
}

// Deps returns the core's dependencies for the scheduled work: those of
// the sms function (the SMS and voice providers, which escalations send
// through and status lookups ask), and the sender of webhook events.
func Deps(ctx context.Context, cfg config.Config, st notify.Store, log *slog.Logger) (notify.Deps, error) {
	d, err := smsapp.Deps(ctx, cfg, st, log)
	d.EventSender = newSender(cfg)
	return d, err
}
