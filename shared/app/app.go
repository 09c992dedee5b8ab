// Package app holds what every function's wiring shares: Run, a function
// binary's whole life; the store a configuration names; the choice between
// a real provider and the sandbox; the cold-start warnings. The wiring of
// each function is a package of its own below app (app/sms, ...), so that a
// function's binary links only the providers it uses.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"

	"github.com/seed4ddb146e/notify/shared/config"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/platform"
	sandboxpkg "github.com/seed4ddb146e/notify/shared/provider/sandbox"
	"github.com/seed4ddb146e/notify/shared/secrets"
)

// WarnKeyless logs, at cold start, each group that callers reach by GroupID
// alone, as the legacy API did (docs/legacy.md): anyone who learns the id
// can send; and each two groups that hold the same key.
func WarnKeyless(ctx context.Context, log *slog.Logger, cfg config.Config) {
	for _, id := range cfg.KeylessGroups {
		log.WarnContext(ctx, "group has no API keys: callers are authorized by GroupID alone", "group", id)
	}
	for _, pair := range cfg.SharedKeys {
		log.WarnContext(ctx, "two groups hold the same API key: a caller with it may name either",
			"group", pair[1], "other_group", pair[0])
	}
}

// Builder makes a function's handler from its configuration and store.
type Builder func(ctx context.Context, cfg config.Config, st notify.Store, log *slog.Logger) (http.Handler, error)

// AsBuilder returns build, which returns its function's own handler type,
// as a Builder.
func AsBuilder[H http.Handler](build func(ctx context.Context, cfg config.Config, st notify.Store, log *slog.Logger) (H, error)) Builder {
	return func(ctx context.Context, cfg config.Config, st notify.Store, log *slog.Logger) (http.Handler, error) {
		h, err := build(ctx, cfg, st, log)
		if err != nil {
			return nil, err // not h: a nil *T would be a non-nil http.Handler
		}
		return h, nil
	}
}

// Run is the whole life of a function binary: read the environment once,
// with the values of the secret NOTIFY_SECRETS names laid over it (see
// package secrets) unless this is a local invoke, start opening the store
// in the background, build the handler, and hand it to the platform (AWS
// Lambda, Aliyun FC 3, or a local HTTP server). queuePath is the route queue messages are replayed
// to. It returns only when the function cannot start or its local server
// stops.
//
// An error before the runtime loop starts is also reported to AWS Lambda's
// Runtime API (platform.ReportInitError), so that the invocation that
// started the instance fails with it.
func Run(name, queuePath string, build Builder) (err error) {
	serving := false
	defer func() {
		if err != nil && !serving {
			platform.ReportInitError(os.Getenv, err) // no secret can set the runtime's address
		}
	}()
	ctx := context.Background()
	gc := platform.TuneGC(os.Getenv)
	flag := config.LocalInvoke(os.Getenv) // no secret can set it
	local := flag != ""
	if local && !haveSQLite {
		// A deployed build: a local invoke here would answer every request
		// OK and send nothing.
		return fmt.Errorf("%s: cannot start: %s (a local invoke: every message to the sandbox) in a build "+
			"without the embedded store, as the deployed builds are: unset it where the function is deployed, "+
			"or, for sam local invoke or s local invoke, build with EMBEDDED_STORE=1", name, flag)
	}
	// A local invoke does not read the secret: it holds the deployment's
	// database and groups, which a local invoke must not reach.
	var env *secrets.Env // nil: not read
	var getenv func(string) string
	if local {
		getenv = config.LocalInvokeEnv(os.Getenv)
	} else {
		var err error
		if env, err = secrets.Overlay(ctx, os.Getenv, config.Variables); err != nil {
			return fmt.Errorf("%s: cannot start: %w", name, err)
		}
		getenv = env.Getenv
	}
	log := platform.Logger(os.Stderr, platform.LogLevel(getenv))
	rt := platform.RuntimeOf(getenv)
	if rt != platform.Local && !local {
		log = platform.WithMetrics(log, rt == platform.Lambda)
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return fmt.Errorf("%s: cannot start: %w", name, err)
	}
	st, err := newStore(cfg)
	if err != nil {
		return fmt.Errorf("%s: cannot start: %w", name, err)
	}
	defer st.Close()
	// The connection the first send needs is dialed while the rest of the
	// start runs, and the runtime loop's first poll does not wait for it;
	// the rest of the open waits for a request that needs the store, and
	// one that does not never pays for it. docs/guarantees.md, "Opening
	// the store".
	st.StartOpen()
	// The cold start's one line, with the build: a local server's
	// "serving HTTP" line has it already.
	if rt != platform.Local {
		log.InfoContext(ctx, "function starting", "function", name, "runtime", string(rt), "build", platform.BuildInfo(),
			"gc", gc.LogValue())
	}
	if env != nil && env.Secret != "" {
		log.InfoContext(ctx, "configuration read from a secret", "secret", env.Secret, "variables", env.Names,
			"took_ms", float64(env.Took.Microseconds())/1000)
	}
	if local {
		log.InfoContext(ctx, "local invoke: embedded defaults where unset, every message to the sandbox",
			"function", name, "database", config.RedactURL(cfg.DatabaseURL))
		if id := os.Getenv(secrets.Variable); id != "" {
			log.InfoContext(ctx, "local invoke: the secret is not read", "secret", id)
		}
	}
	WarnKeyless(ctx, log, cfg)
	h, err := build(ctx, cfg, st, log)
	if err != nil {
		return fmt.Errorf("%s: cannot start: %w", name, err)
	}
	o := platform.Options{Name: name, QueuePath: queuePath, Log: log, Getenv: getenv, Ready: st.Ping}
	if keys := cfg.Aliyun.Keys; keys != nil {
		o.AccessKeys = func(c notify.AccessKeys) {
			if keys.Set(c) {
				log.InfoContext(ctx, "Aliyun credentials replaced by the invocation's", "function", name)
			}
		}
	}
	serving = true
	return platform.Start(h, o)
}

const sandboxName = sandboxpkg.Name

// Deps returns the parts of notify.Deps every function has: its groups, its
// store, its log, and the verification codes' keys when they are set.
func Deps(cfg config.Config, st notify.Store, log *slog.Logger) notify.Deps {
	d := notify.Deps{Groups: notify.NewGroups(cfg.Groups), Store: st, Log: log, RefreshAfter: cfg.StatusRefreshAfter,
		ReconcileAfter: cfg.StatusReconcileAfter, Retention: cfg.Retention}
	if len(cfg.Codes.Secrets) > 0 {
		// config.Load checked the secrets: NewCodeKeyring cannot refuse them.
		if keys, err := notify.NewCodeKeyring(cfg.Codes.Secrets...); err == nil {
			d.CodeKeys, d.CodePolicy = keys, cfg.Codes.Policy
		}
	}
	return d
}

// Provider returns the provider a function sends through, and its name for
// records: the real one, made by build, when configured; otherwise sandbox,
// with a warning at cold start that what (such as "SMS") will not be sent
// and which setting (such as "ALIBABA_CLOUD_ACCESS_KEY_ID") would change it.
func Provider[T any](ctx context.Context, log *slog.Logger, configured bool, name string, build func() (T, error),
	sandbox T, what, setting string) (T, string, error) {
	if !configured {
		Warn(ctx, log, "no "+setting+": "+what+" goes to the sandbox and is not sent")
		return sandbox, sandboxName, nil
	}
	p, err := build()
	return p, name, err
}

type warnedKey struct{}

// WithWarnedOnce returns ctx in which Warn logs each warning once: for a
// process that builds several functions, such as the local server, whose
// functions would each warn of the same missing setting.
func WithWarnedOnce(ctx context.Context) context.Context {
	return context.WithValue(ctx, warnedKey{}, new(sync.Map))
}

// Warn logs a cold-start warning, once per process when ctx comes from
// WithWarnedOnce.
func Warn(ctx context.Context, log *slog.Logger, msg string) {
	if m, ok := ctx.Value(warnedKey{}).(*sync.Map); ok {
		if _, seen := m.LoadOrStore(msg, true); seen {
			return
		}
	}
	log.WarnContext(ctx, msg)
}
