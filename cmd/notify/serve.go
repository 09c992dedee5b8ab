package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"strings"

	"github.com/seed4ddb146e/notify/shared/app"
	callbackapp "github.com/seed4ddb146e/notify/shared/app/callback"
	mailapp "github.com/seed4ddb146e/notify/shared/app/mail"
	smsapp "github.com/seed4ddb146e/notify/shared/app/sms"
	ttsapp "github.com/seed4ddb146e/notify/shared/app/tts"
	"github.com/seed4ddb146e/notify/shared/config"
	"github.com/seed4ddb146e/notify/shared/httpapi"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/platform"
	"github.com/seed4ddb146e/notify/shared/provider/sandbox"
)

// serveCmd serves every function's routes on one local HTTP server, and
// runs the scheduled work of a function that has some (callback's) every
// NOTIFY_TICK_EVERY, as its timer trigger does in the clouds.
type serveCmd struct{}

func (serveCmd) Run(ctx context.Context, std streams, getenv env) error {
	log := platform.Logger(std.err, platform.LogLevel(getenv))
	gc := platform.TuneGC(getenv)
	cfg, st, err := openStore(ctx, getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	app.WarnKeyless(ctx, log, cfg)
	h, routes, err := gatewayHandler(ctx, log, cfg, st)
	if err != nil {
		return err
	}
	log.InfoContext(ctx, "notify serving locally", "port", cfg.Port, "database", config.RedactURL(cfg.DatabaseURL),
		"routes", strings.Join(routes, ", "), "build", platform.BuildInfo(), "gc", gc.LogValue())
	return platform.Start(h, platform.Options{Name: "notify", Log: log, Getenv: getenv, Ready: st.Ping})
}

// migrateCmd opens the store, which applies its migrations, and stops
// there: for deployments that migrate before they roll out.
type migrateCmd struct{}

func (migrateCmd) Run(ctx context.Context, std streams, getenv env) error {
	log := platform.Logger(std.err, platform.LogLevel(getenv))
	cfg, st, err := openStore(ctx, getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	log.InfoContext(ctx, "store migrated", "database", config.RedactURL(cfg.DatabaseURL))
	return nil
}

// versionCmd prints the build.
type versionCmd struct{}

func (versionCmd) Run(std streams) error {
	b := platform.BuildInfo()
	fmt.Fprintf(std.out, "notify %s\n", b.Version)
	if b.Revision != "" {
		modified := ""
		if b.Modified {
			modified = " (modified)"
		}
		fmt.Fprintf(std.out, "revision %s%s, %s\n", b.Revision, modified, b.Time)
	}
	fmt.Fprintf(std.out, "%s %s/%s\n", b.GoVersion, b.OS, b.Arch)
	return nil
}

// openStore reads the configuration and opens the store it names, which
// applies its migrations.
func openStore(ctx context.Context, getenv env) (config.Config, notify.Store, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return config.Config{}, nil, err
	}
	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return config.Config{}, nil, err
	}
	return cfg, st, nil
}

// gatewayHandler returns the handler of every function's routes, and the
// routes: the scheduled handler when a function does scheduled work.
func gatewayHandler(ctx context.Context, log *slog.Logger, cfg config.Config, st notify.Store) (http.Handler, []string, error) {
	mux := http.NewServeMux()
	// What the sandbox would have sent, for the console's inbox.
	inbox := sandbox.NewInbox(0)
	// The functions are built with it, and warn of a missing setting once.
	bctx := app.WithWarnedOnce(sandbox.WithInbox(ctx, inbox))
	var (
		routes   []string
		ticker   platform.Ticker
		callback http.Handler
	)
	for _, fn := range []struct {
		name  string
		build app.Builder
	}{{"sms", smsapp.New}, {"tts", ttsapp.New}, {"mail", mailapp.New}, {"callback", app.AsBuilder(callbackapp.New)}} {
		h, err := fn.build(bctx, cfg, st, log)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", fn.name, err)
		}
		if t, ok := h.(platform.Ticker); ok {
			ticker = t
		}
		// Each function's handler serves its own routes below its name,
		// and the sms function the Alidayu gateway's, below /gw/.
		mux.Handle("/"+fn.name, h)
		mux.Handle("/"+fn.name+"/", h)
		switch fn.name {
		case "sms":
			mux.Handle("/gw/", h)
			mux.Handle(httpapi.OpenAPIPath, h) // every function serves it; one is enough
		case "callback":
			callback = h
			// The web console, and the way to it from the server's root.
			mux.Handle("/console", h)
			mux.Handle("/console/", h)
			mux.Handle("GET /{$}", http.RedirectHandler("/console/messages", http.StatusSeeOther))
		}
		routes = append(routes, httpapi.Routes[fn.name]...)
	}
	// Any other path: 404 no_such_route, as a function answers one below
	// its name, not the mux's plain text.
	notFound := httpapi.NotFound(log, "the routes GET "+httpapi.OpenAPIPath+" lists")
	mux.Handle("/", notFound)
	// A path that is not clean is 404 too, as the functions answer it,
	// rather than the mux's redirect to its clean form.
	clean := httpapi.CleanPaths(mux, notFound)
	// A receipt's path holds the callback token: the callback function
	// refuses one that is not clean (404), where the mux would redirect it
	// to its clean form, the token in the Location header. So does every
	// path whose clean form is the callback's: //callback/…, /x/../callback/….
	var root http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(path.Clean(r.URL.Path), "/callback/") {
			callback.ServeHTTP(w, r)
			return
		}
		clean.ServeHTTP(w, r)
	})
	if ticker != nil {
		return scheduled{root, ticker}, routes, nil // Start ticks it, and stops with the server
	}
	return root, routes, nil
}

// scheduled is the local server's handler when a function does scheduled
// work: the routes, and that function's Tick.
type scheduled struct {
	http.Handler
	platform.Ticker
}
