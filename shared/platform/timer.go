package platform

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Ticker is a handler that also does scheduled work: a timer trigger (an
// FC timer, an AWS EventBridge schedule) calls Tick with the invocation's
// context, whose deadline is the runtime's, and locally RunTicker calls it
// every period. Tick should start no work it cannot finish before ctx's
// deadline; the next tick picks up what is left. Its error fails the
// invocation, which the platform logs.
type Ticker interface {
	Tick(ctx context.Context) error
}

// tick runs the handler's Tick for a timer event and returns the reply
// for the runtime: null.
func (f *Function) tick(ctx context.Context) (any, error) {
	t, ok := f.h.(Ticker)
	if !ok {
		return nil, fmt.Errorf("platform: function %s does no scheduled work, but a %s event arrived", f.name, Timer)
	}
	return nil, runTick(ctx, t, f.log.With("function", f.name))
}

// runTick calls t.Tick once and logs that it was done, and how long it
// took. A panic in Tick becomes its error, so that the process lives on.
func runTick(ctx context.Context, t Ticker, log *slog.Logger) (err error) {
	began := time.Now()
	defer func() {
		if p := recover(); p != nil {
			log.ErrorContext(ctx, "scheduled work panicked", "panic", fmt.Sprint(p))
			err = fmt.Errorf("scheduled work panicked: %v", p)
		}
		took := time.Since(began)
		if err != nil {
			err = fmt.Errorf("platform: timer tick failed after %v: %w", took.Round(time.Millisecond), err)
			return
		}
		log.InfoContext(ctx, "timer tick done", "duration_ms", took.Milliseconds())
	}()
	return t.Tick(ctx)
}

// RunTicker calls t.Tick every period until ctx is done, as a timer trigger
// would, for local runs: each call gets its own request id and a deadline
// a little shorter than the period (at least 5 s), and a call that fails is
// logged, not retried. The first call comes one period after the start. It
// returns when ctx is done and the call in flight has returned.
func RunTicker(ctx context.Context, t Ticker, every time.Duration, log *slog.Logger) {
	log.InfoContext(ctx, "ticker started", "every", every.String())
	tk := time.NewTicker(every)
	defer tk.Stop()
	timeout := max(every-5*time.Second, 5*time.Second)
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
		tctx, cancel := context.WithTimeout(WithRequestID(ctx, newRequestID()), timeout)
		if err := runTick(tctx, t, log); err != nil {
			log.ErrorContext(tctx, "timer tick failed", "err", err)
		}
		cancel()
	}
}

// TickEvery reads NOTIFY_TICK_EVERY, the period of RunTicker in local
// runs: a Go duration such as 30s; empty is one minute; "0" or "off" turns
// the ticker off, which TickEvery reports as 0.
func TickEvery(getenv func(string) string) (time.Duration, error) {
	v := strings.TrimSpace(getenv("NOTIFY_TICK_EVERY"))
	switch v {
	case "":
		return time.Minute, nil
	case "0", "off":
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err == nil && d < 0 {
		err = errors.New("negative")
	}
	if err != nil {
		return 0, fmt.Errorf("platform: NOTIFY_TICK_EVERY %q is no period (such as 30s, or off): %w", v, err)
	}
	return d, nil
}
