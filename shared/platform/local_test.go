package platform

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestServeLocal(t *testing.T) {
	rec := &recorder{}
	f, err := New(rec, Options{Name: "sms"})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- f.Serve(ctx, ln) }()
	base := "http://" + ln.Addr().String()

	tests := []struct {
		name, method, path, requestID, body string
		wantStatus                          int
		wantID                              string // "" : a new 32-digit id
	}{
		{"caller's id", "POST", "/sms", "trace-abc.1", `{"GroupID":"demo"}`, 201, "trace-abc.1"},
		{"insane id replaced", "POST", "/sms", "two words", `{"GroupID":"demo"}`, 201, ""},
		{"status", "POST", "/sms", "", `{"status":503}`, 503, ""},
		{"panic", "GET", "/panic", "p-1", "", 500, "p-1"},
		{"after the panic", "POST", "/sms", "", `{}`, 201, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, base+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.requestID != "" {
				req.Header.Set("X-Request-Id", tt.requestID)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d; body %s", resp.StatusCode, tt.wantStatus, body)
			}
			id := resp.Header.Get("X-Request-Id")
			if tt.wantID != "" && id != tt.wantID || tt.wantID == "" && (len(id) != 32 || id == tt.requestID) {
				t.Errorf("X-Request-Id = %q, want %q (or a new 32-digit id)", id, tt.wantID)
			}
			if tt.name == "panic" {
				var reply struct {
					Code      string
					RequestID string `json:"RequestId"`
				}
				if err := json.Unmarshal(body, &reply); err != nil || reply.Code != "ERROR" || reply.RequestID != "p-1" {
					t.Errorf("panic reply = %s, want the 500 JSON body with RequestId p-1", body)
				}
				if resp.Header.Get("Set-Cookie") != "" {
					t.Errorf("the panic reply kept headers of the failed handler: %v", resp.Header)
				}
				return
			}
			seen := rec.requests()
			last := seen[len(seen)-1]
			if last.RequestID != id {
				t.Errorf("handler saw request id %q, reply says %q", last.RequestID, id)
			}
			if last.Origin != nil {
				t.Errorf("an HTTP request carried an origin: %+v", last.Origin)
			}
		})
	}
	cancel()
	if err := <-served; err != nil {
		t.Errorf("Serve after cancel = %v, want nil", err)
	}
	if _, err := http.Get(base + "/sms"); err == nil {
		t.Error("the server still answers after shutdown")
	}
}

// TestServeHealth asks the local server's health routes, with a readiness
// check that answers, fails, or hangs past the second it is given.
func TestServeHealth(t *testing.T) {
	tests := []struct {
		name       string
		ready      func(context.Context) error
		path       string
		wantStatus int
		wantBody   string
	}{
		{"healthz", nil, "/healthz", 200, `{"status":"ok"}`},
		{"healthz, store down", func(context.Context) error { return errors.New("down") }, "/healthz", 200, `{"status":"ok"}`},
		{"readyz, no check", nil, "/readyz", 200, `{"status":"ok"}`},
		{"readyz", func(context.Context) error { return nil }, "/readyz", 200, `{"status":"ok"}`},
		{"readyz, store down", func(context.Context) error {
			return errors.New("dial postgres://u:secret@db.internal:5432: refused")
		}, "/readyz", 503, `{"status":"unavailable","reason":"store_unavailable"}`},
		{"readyz, store hung", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() },
			"/readyz", 503, `{"status":"unavailable","reason":"store_unavailable"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			f, err := New(rec, Options{Name: "sms", Ready: tt.ready})
			if err != nil {
				t.Fatal(err)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			served := make(chan error, 1)
			go func() { served <- f.Serve(ctx, ln) }()
			defer func() { cancel(); <-served }()
			start := time.Now()
			resp, err := http.Get("http://" + ln.Addr().String() + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if took := time.Since(start); took > 3*readyTimeout {
				t.Errorf("took %v; want at most %v", took, 3*readyTimeout)
			}
			if resp.StatusCode != tt.wantStatus || strings.TrimSpace(string(body)) != tt.wantBody {
				t.Errorf("GET %s = %d %s; want %d %s", tt.path, resp.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
			if len(rec.requests()) != 0 {
				t.Errorf("the function's handler saw %s", tt.path)
			}
		})
	}
}

// TestListenAddr: the local server listens on this machine only unless
// NOTIFY_HOST says otherwise.
func TestListenAddr(t *testing.T) {
	for _, tc := range []struct{ host, port, want string }{
		{"", "", "127.0.0.1:8010"},
		{"", "9000", "127.0.0.1:9000"},
		{"0.0.0.0", "", "0.0.0.0:8010"},
		{"::1", "8011", "[::1]:8011"},
		// A value read from a file keeps its newline; Load drops spaces
		// around PORT, and so does the listen.
		{"0.0.0.0 ", "9000\n", "0.0.0.0:9000"},
	} {
		env := map[string]string{"NOTIFY_HOST": tc.host, "PORT": tc.port}
		if got := listenAddr(func(k string) string { return env[k] }); got != tc.want {
			t.Errorf("NOTIFY_HOST=%q PORT=%q: %s; want %s", tc.host, tc.port, got, tc.want)
		}
	}
}

// TestCheckHost: NOTIFY_HOST is an IP address or a host name; anything
// else is refused naming it, before the server says it is serving.
func TestCheckHost(t *testing.T) {
	for _, tc := range []struct {
		host string
		ok   bool
	}{
		{"", true}, {"127.0.0.1", true}, {"0.0.0.0", true}, {"::", true}, {"::1", true}, {"localhost", true},
		{"gateway.internal", true}, {"host-1.example.com.", true}, {" 0.0.0.0\n", true},
		// What net.Listen takes and an operator may write: a link-local
		// address with its zone, a Docker container's name.
		{"fe80::1%eth0", true}, {"notify_gateway_1", true}, {"1.2.3.4%eth0", false}, {"fe80::1%", false},
		{"999.1.1.1", false}, {"1.2.3", false}, {"[::1]", false}, {"0.0.0.0:8010", false}, {"my host", false},
		{"-bad.example.com", false}, {"a..b", false},
	} {
		err := CheckHost(func(k string) string { return map[string]string{"NOTIFY_HOST": tc.host}[k] })
		if (err == nil) != tc.ok || err != nil && !strings.HasPrefix(err.Error(), "NOTIFY_HOST: ") {
			t.Errorf("CheckHost(%q) = %v; want ok %v, an error naming NOTIFY_HOST", tc.host, err, tc.ok)
		}
	}
}
