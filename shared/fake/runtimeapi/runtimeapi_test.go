package runtimeapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// runtimeClient plays the part of a function's runtime loop.
type runtimeClient struct {
	t      *testing.T
	base   string // http://addr/prefix
	client *http.Client
}

func (c runtimeClient) next() (http.Header, string) {
	c.t.Helper()
	resp, err := c.client.Get(c.base + "/invocation/next")
	if err != nil {
		c.t.Fatalf("GET next: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("GET next: status %d, want 200", resp.StatusCode)
	}
	return resp.Header, string(body)
}

func (c runtimeClient) post(id, kind, body string) int {
	c.t.Helper()
	resp, err := c.client.Post(c.base+"/invocation/"+id+"/"+kind, "application/json", strings.NewReader(body))
	if err != nil {
		c.t.Fatalf("POST %s: %v", kind, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

type result struct {
	body []byte
	err  error
}

func TestEmulators(t *testing.T) {
	tests := []struct {
		name     string
		new      func() *Emulator
		env      string
		prefix   string
		idHeader string
		required []string // headers the SDK fails without
		okStatus int
	}{
		{"lambda", NewLambda, "AWS_LAMBDA_RUNTIME_API=", "/2018-06-01/runtime", "Lambda-Runtime-Aws-Request-Id",
			[]string{"Lambda-Runtime-Deadline-Ms", "Lambda-Runtime-Invoked-Function-Arn", "Lambda-Runtime-Trace-Id"}, 202},
		{"fc", NewFC, "FC_RUNTIME_API=", "/2020-11-11/runtime", "X-Fc-Request-Id",
			[]string{"X-Fc-Function-Deadline", "X-Fc-Function-Timeout"}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emu := tt.new()
			defer emu.Close()
			if got := emu.Env(); got != tt.env+emu.Addr() || !strings.HasPrefix(emu.Addr(), "127.0.0.1:") {
				t.Errorf("Env() = %q, Addr() = %q", got, emu.Addr())
			}
			c := runtimeClient{t: t, base: "http://" + emu.Addr() + tt.prefix, client: &http.Client{}}
			ctx := context.Background()

			// A successful invocation.
			done := make(chan result, 1)
			go func() {
				b, err := emu.InvokeWith(ctx, Invocation{Payload: []byte(`{"a":1}`), RequestID: "r1", Timeout: 10 * time.Second,
					Header: http.Header{"X-Fc-Retry-Count": {"2"}}})
				done <- result{b, err}
			}()
			h, body := c.next()
			if body != `{"a":1}` || h.Get(tt.idHeader) != "r1" {
				t.Errorf("next = %s with %s %q, want {\"a\":1} and r1", body, tt.idHeader, h.Get(tt.idHeader))
			}
			for _, name := range tt.required {
				if h.Get(name) == "" {
					t.Errorf("next lacks header %s", name)
				}
			}
			deadlineName := tt.required[0]
			ms, err := strconv.ParseInt(h.Get(deadlineName), 10, 64)
			if d := time.UnixMilli(ms); err != nil || d.Before(time.Now()) || d.After(time.Now().Add(11*time.Second)) {
				t.Errorf("%s = %q, want about 10s from now", deadlineName, h.Get(deadlineName))
			}
			if got := h.Get("X-Fc-Retry-Count"); got != "2" {
				t.Errorf("extra header X-Fc-Retry-Count = %q, want 2", got)
			}
			if got := c.post("r1", "response", `{"ok":true}`); got != tt.okStatus {
				t.Errorf("POST response status = %d, want %d", got, tt.okStatus)
			}
			if r := <-done; r.err != nil || string(r.body) != `{"ok":true}` {
				t.Errorf("Invoke = %s, %v; want {\"ok\":true}", r.body, r.err)
			}

			// A failed invocation.
			go func() {
				b, err := emu.Invoke(ctx, []byte(`{}`))
				done <- result{b, err}
			}()
			h, _ = c.next()
			id := h.Get(tt.idHeader)
			if got := c.post(id, "error", `{"errorMessage":"boom","errorType":"errorString"}`); got != tt.okStatus {
				t.Errorf("POST error status = %d, want %d", got, tt.okStatus)
			}
			r := <-done
			var fe *FunctionError
			if !errors.As(r.err, &fe) || fe.Message != "boom" || fe.Type != "errorString" || fe.RequestID != id {
				t.Errorf("Invoke error = %v, want a FunctionError boom/errorString for %s", r.err, id)
			}

			// Replies for ids not in flight, and unknown paths.
			if got := c.post(id, "response", `{}`); got != http.StatusBadRequest {
				t.Errorf("second reply for %s: status %d, want 400", id, got)
			}
			if got := c.post("r1", "done", `{}`); got != http.StatusNotFound {
				t.Errorf("POST .../done: status %d, want 404", got)
			}
		})
	}
}

// Close must not wait for a runtime blocked in GET next, nor leave an
// Invoke hanging.
func TestCloseReleasesWaiters(t *testing.T) {
	for _, emu := range []*Emulator{NewLambda(), NewFC()} {
		prefix := "/2018-06-01/runtime"
		if strings.HasPrefix(emu.Env(), "FC_") {
			prefix = "/2020-11-11/runtime"
		}
		polled := make(chan struct{})
		go func() {
			resp, err := http.Get("http://" + emu.Addr() + prefix + "/invocation/next")
			if err == nil {
				resp.Body.Close()
			}
			close(polled)
		}()
		for emu.waiting.Load() == 0 { // until the GET is blocked in the emulator
			time.Sleep(time.Millisecond)
		}
		closed := make(chan struct{})
		go func() {
			emu.Close()
			close(closed)
		}()
		select {
		case <-closed:
		case <-time.After(30 * time.Second):
			t.Fatal("Close deadlocked on a runtime waiting in GET next")
		}
		<-polled
		if _, err := emu.Invoke(context.Background(), []byte(`{}`)); !errors.Is(err, ErrClosed) {
			t.Errorf("Invoke after Close = %v, want ErrClosed", err)
		}
	}
}
