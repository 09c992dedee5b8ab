// Command notify serves every function of the gateway from one local HTTP
// server, on embedded defaults: with no environment at all it listens on
// :8010, authorizes the group "demo" for every channel (and as the SaaS
// platform whose stations use the SaaS routes), keeps records in an
// SQLite file in the temporary directory, and sends through the sandbox
// providers, so that nothing leaves the machine. Set the same environment
// variables as the cloud functions (README.md) to change any of that.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
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
)

// defaults are the embedded settings a bare `make run` starts with.
var defaults = map[string]string{
	"NOTIFY_GROUPS": `[{"id":"demo","channels":["sms","tts","mail"],
		"codes":{"*":{"sign_name":"notify","template":"SMS_DEMO_CODE","tts_template":"TTS_DEMO_CODE"}},
		"saas":{"combos":[{"id":1,"name":"套餐包: 2000条","price":"200.00","sms_nums":2000,"unit":"条","unit_price":10},
		                  {"id":4,"name":"自定义套餐包","price":"0.00","sms_nums":0,"unit":"条","unit_price":10}],
		        "business_types":{"0":{"template":"SMS_1001"},"1":{"template":"SMS_1002"},
		                          "2":{"template":"SMS_184105379","params":{"code":"verify_code"}}},
		        "provider_units":30366}}]`,
	// A fixed key for local runs only: codes are hashed under it.
	"NOTIFY_CODE_SECRET": "local-demo-code-secret-not-for-deployments",
}

func getenv(k string) string {
	if v, ok := os.LookupEnv(k); ok {
		return v
	}
	return defaults[k]
}

func main() {
	log := platform.Logger(os.Stderr, slog.LevelInfo)
	var cmd string
	if len(os.Args) > 1 {
		cmd = os.Args[1]
	}
	if cmd != "" && cmd != "migrate" {
		fmt.Fprintf(os.Stderr, "usage: notify [migrate]\n  (no argument) serve every function locally\n  migrate       apply the store's schema migrations and exit\n")
		os.Exit(2)
	}
	if err := run(context.Background(), log, cmd); err != nil {
		log.Error("notify stopped", "err", err)
		os.Exit(1)
	}
}

// run opens the store the configuration names, which applies its
// migrations, and then either stops there (migrate: for deployments that
// migrate before they roll out) or serves every function.
func run(ctx context.Context, log *slog.Logger, cmd string) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if cmd == "migrate" {
		log.InfoContext(ctx, "store migrated", "database", redact(cfg.DatabaseURL))
		return nil
	}
	return serve(ctx, log, cfg, st)
}

// redact drops the password from a database URL for the log.
func redact(u string) string {
	if p, err := url.Parse(u); err == nil && p.User != nil {
		return p.Redacted()
	}
	return u
}

// serve serves every function's routes on one local HTTP server, and runs
// the scheduled work of a function that has some (callback's) every
// NOTIFY_TICK_EVERY, as its timer trigger does in the clouds.
func serve(ctx context.Context, log *slog.Logger, cfg config.Config, st notify.Store) error {
	app.WarnKeyless(ctx, log, cfg)
	mux := http.NewServeMux()
	var (
		routes []string
		ticker platform.Ticker
	)
	for _, fn := range []struct {
		name  string
		build app.Builder
	}{{"sms", smsapp.New}, {"tts", ttsapp.New}, {"mail", mailapp.New}, {"callback", app.AsBuilder(callbackapp.New)}} {
		h, err := fn.build(ctx, cfg, st, log)
		if err != nil {
			return fmt.Errorf("%s: %w", fn.name, err)
		}
		if t, ok := h.(platform.Ticker); ok {
			ticker = t
		}
		// Each function's handler serves its own routes below its name,
		// and the sms function the Alidayu gateway's, below /gw/.
		mux.Handle("/"+fn.name, h)
		mux.Handle("/"+fn.name+"/", h)
		if fn.name == "sms" {
			mux.Handle("/gw/", h)
			mux.Handle(httpapi.OpenAPIPath, h) // every function serves it; one is enough
		}
		routes = append(routes, httpapi.Routes[fn.name]...)
	}
	log.InfoContext(ctx, "notify serving locally", "port", cfg.Port, "database", redact(cfg.DatabaseURL),
		"routes", strings.Join(routes, ", "))
	var h http.Handler = mux
	if ticker != nil {
		h = scheduled{mux, ticker} // Start ticks it, and stops with the server
	}
	return platform.Start(h, platform.Options{Name: "notify", Log: log, Getenv: getenv})
}

// scheduled is the local server's handler when a function does scheduled
// work: the routes, and that function's Tick.
type scheduled struct {
	http.Handler
	platform.Ticker
}
