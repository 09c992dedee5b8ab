package platform

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

// timerEvents are the shapes of a timer event, one per trigger.
var timerEvents = map[string]string{
	"fc timer":         `{"triggerTime":"2023-12-26T07:49:00Z","triggerName":"timer","payload":""}`,
	"scheduler":        `{"source":"aws.scheduler","detail-type":"Scheduled Event","time":"2024-01-01T12:00:00Z","detail":{}}`,
	"eventbridge rule": `{"version":"0","id":"x","detail-type":"Scheduled Event","source":"aws.events","detail":{}}`,
}

// A timer event calls Tick with the invocation's deadline and request id,
// answers null, and the platform logs the tick with the function's name
// and its duration.
func TestTimerTicks(t *testing.T) {
	for name, payload := range timerEvents {
		for hostName, h := range map[string]host{"lambda": onLambda, "fc": onFC} {
			t.Run(name+" on "+hostName, func(t *testing.T) {
				rec := &recorder{}
				var logs bytes.Buffer
				f, err := New(rec, Options{Name: "callback", QueuePath: "/callback/queue/aliyun", Log: slog.New(slog.NewJSONHandler(&logs, nil))})
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithDeadline(context.Background(), fixedDeadline)
				defer cancel()
				reply, err := f.invoke(ctx, []byte(payload), invocation{host: h, requestID: "req-tick"})
				if err != nil || string(reply) != "null" {
					t.Fatalf("invoke = %s, %v; want null", reply, err)
				}
				ticks, reqs := rec.ticked(), rec.requests()
				if len(ticks) != 1 || ticks[0].Deadline != fixedDeadline.Format(time.RFC3339) || ticks[0].RequestID != "req-tick" {
					t.Errorf("ticks %+v; want one, with deadline %v and request id req-tick", ticks, fixedDeadline)
				}
				if len(reqs) != 0 {
					t.Errorf("the handler served %+v; want no request", reqs)
				}
				for _, part := range []string{`"msg":"timer tick done"`, `"function":"callback"`, `"duration_ms":`, `"request_id":"req-tick"`} {
					if !strings.Contains(logs.String(), part) {
						t.Errorf("log lacks %s:\n%s", part, logs.String())
					}
				}
			})
		}
	}
}

// Tick's error, or its panic, fails the invocation, which is logged.
func TestTimerFails(t *testing.T) {
	errBusy := errors.New("store busy")
	tests := []struct {
		name    string
		h       http.Handler
		wantErr string
		is      error
	}{
		{"tick error", &recorder{tickErr: errBusy}, "platform: timer tick failed after ", errBusy},
		{"tick panic", panicTicker{}, "platform: timer tick failed after ", nil},
		{"no Tick", http.NotFoundHandler(), "platform: function callback does no scheduled work, but a timer event arrived", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			f, err := New(tt.h, Options{Name: "callback", QueuePath: "/q", Log: slog.New(slog.NewJSONHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			reply, err := f.Invoke(context.Background(), []byte(timerEvents["fc timer"]))
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) || tt.is != nil && !errors.Is(err, tt.is) {
				t.Fatalf("Invoke = %s, %v; want error %q (wrapping %v)", reply, err, tt.wantErr, tt.is)
			}
			if !strings.Contains(logs.String(), `"msg":"invocation failed"`) || strings.Contains(logs.String(), "timer tick done") {
				t.Errorf("log:\n%s\nwant the failed invocation, and no tick done", logs.String())
			}
		})
	}
}

type panicTicker struct{ http.Handler }

func (panicTicker) Tick(context.Context) error { panic("asked to panic") }

// chanTicker sends the context of each Tick on c, and fails the tick.
type chanTicker chan context.Context

func (c chanTicker) Tick(ctx context.Context) error {
	c <- ctx
	return errors.New("a failed tick is logged, and the ticker goes on")
}

// RunTicker ticks every period, each tick with a deadline and its own
// request id, and stops when its context is done.
func TestRunTicker(t *testing.T) {
	ticks := make(chanTicker)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopped := make(chan struct{})
	var logs syncBuffer
	go func() {
		defer close(stopped)
		RunTicker(ctx, ticks, 10*time.Millisecond, slog.New(LogHandler(slog.NewJSONHandler(&logs, nil))))
	}()
	ids := map[string]bool{}
	for i := range 2 {
		select {
		case tctx := <-ticks:
			d, ok := tctx.Deadline()
			if !ok || time.Until(d) < 4*time.Second || time.Until(d) > 5*time.Second {
				t.Errorf("tick %d: deadline %v (%v), want one about 5 s away", i, d, ok)
			}
			ids[RequestID(tctx)] = true
		case <-time.After(10 * time.Second):
			t.Fatalf("%d ticks in 10 s, want 2", i)
		}
	}
	if len(ids) != 2 || ids[""] {
		t.Errorf("request ids %v, want two, distinct", ids)
	}
	cancel()
	for done := false; !done; {
		select {
		case <-ticks: // a tick that began before the cancel
		case <-stopped:
			done = true
		case <-time.After(10 * time.Second):
			t.Fatal("RunTicker still runs 10 s after its context was cancelled")
		}
	}
	if !strings.Contains(logs.String(), `"msg":"timer tick failed"`) || !strings.Contains(logs.String(), `"request_id":`) {
		t.Errorf("log:\n%s\nwant the failed ticks, with request ids", logs.String())
	}
}

func TestTickEvery(t *testing.T) {
	tests := []struct {
		v       string
		want    time.Duration
		wantErr bool
	}{
		{"", time.Minute, false},
		{"0", 0, false},
		{"off", 0, false},
		{"0s", 0, false},
		{"30s", 30 * time.Second, false},
		{"-1m", 0, true},
		{"often", 0, true},
		{"60", 0, true},
		{"30s\n", 30 * time.Second, false},
	}
	for _, tt := range tests {
		got, err := TickEvery(func(k string) string {
			if k == "NOTIFY_TICK_EVERY" {
				return tt.v
			}
			return ""
		})
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("TickEvery(%q) = %v, %v; want %v, error %v", tt.v, got, err, tt.want, tt.wantErr)
		}
	}
}
