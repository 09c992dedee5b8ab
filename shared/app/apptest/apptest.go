// Package apptest holds what the end-to-end tests of the functions share:
// a configuration from a map, a real SQLite store in a temporary folder, a
// log that can be searched, and a request served in-process with the
// deadline the platform would set.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/app"
	"github.com/seed4ddb146e/notify/shared/config"
	"github.com/seed4ddb146e/notify/shared/httpapi"
	"github.com/seed4ddb146e/notify/shared/httpapi/openapitest"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/sqlite"
)

// Function is one function built as in production, over a real store.
type Function struct {
	Handler http.Handler
	Store   *sqlite.Store
	Logs    *bytes.Buffer
}

// NoProxy clears the proxy variables, so that SDKs that honour them reach
// the fakes on 127.0.0.1. It clears them for the rest of the test binary's
// run, not with t.Setenv for one test: a test that calls t.Setenv cannot
// run in parallel with others.
func NoProxy() {
	noProxy.Do(func() {
		for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"} {
			os.Setenv(k, "")
		}
	})
}

var noProxy sync.Once

// Build loads a configuration from vars, opens a fresh SQLite store, and
// builds the function with build. In a test (not a benchmark) the handler
// checks every exchange against httpapi.OpenAPI (openapitest). Proxy
// variables are cleared (NoProxy).
func Build(t testing.TB, build app.Builder, vars map[string]string) *Function {
	t.Helper()
	NoProxy()
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "notify.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// Tests keep every log line to search; benchmarks format lines at the
	// production level, as a function writing to stderr does, and drop them.
	logs := new(bytes.Buffer)
	var w io.Writer = logs
	level := slog.LevelDebug
	if _, bench := t.(*testing.B); bench {
		w, level = io.Discard, slog.LevelInfo
	}
	h, err := build(context.Background(), cfg, st, slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})))
	if err != nil {
		t.Fatal(err)
	}
	if _, bench := t.(*testing.B); !bench {
		// Every exchange of a test must be one the OpenAPI document
		// describes; benchmarks measure the handler alone.
		c, err := openapitest.New(httpapi.OpenAPI)
		if err != nil {
			t.Fatal(err)
		}
		h = c.Handler(t, h)
	}
	return &Function{Handler: h, Store: st, Logs: logs}
}

// Merge returns base with extra laid over it.
func Merge(base, extra map[string]string) map[string]string {
	m := make(map[string]string, len(base)+len(extra))
	for k, v := range base {
		m[k] = v
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// Post serves a JSON POST to path in-process, with a deadline of timeout,
// and decodes the JSON reply into rep. hdr sets headers; an empty value
// removes one.
func (f *Function) Post(t testing.TB, path, body string, hdr map[string]string, timeout time.Duration, rep any) (int, http.Header) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	r := httptest.NewRequestWithContext(ctx, http.MethodPost, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		if v == "" {
			r.Header.Del(k)
		} else {
			r.Header.Set(k, v)
		}
	}
	w := httptest.NewRecorder()
	f.Handler.ServeHTTP(w, r)
	if err := json.Unmarshal(w.Body.Bytes(), rep); err != nil {
		t.Fatalf("reply %d is not JSON: %q", w.Code, w.Body.String())
	}
	return w.Code, w.Header()
}

// Record returns the stored record of message id.
func (f *Function) Record(t testing.TB, id string) *notify.Message {
	t.Helper()
	m, err := f.Store.Message(context.Background(), id)
	if err != nil {
		t.Fatalf("record %s: %v", id, err)
	}
	return m
}

// Wait polls cond every 20 ms for up to 5 s, for a fake that finishes work
// the gateway gave up waiting for, and reports whether it came true.
func Wait(cond func() bool) bool {
	for i := 0; i < 250; i++ {
		if cond() {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cond()
}

// AwayFromMinuteEnd waits, when less than 5 s of the current minute is
// left, for the next one: per-minute limits count in fixed windows, and a
// test that sends twice within a minute must not straddle two.
func AwayFromMinuteEnd() {
	now := time.Now()
	if left := now.Truncate(time.Minute).Add(time.Minute).Sub(now); left < 5*time.Second {
		time.Sleep(left + 10*time.Millisecond)
	}
}
