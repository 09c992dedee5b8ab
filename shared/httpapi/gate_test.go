package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// The gate lets bodies in first come, first served: one that gives up
// lets in those it held back, and the last one out returns the memory.
func TestGateLine(t *testing.T) {
	idle := 0
	g := &gate{budget: 10, idle: func() { idle++ }}
	if err := g.acquire(context.Background(), 8); err != nil {
		t.Fatal(err)
	}
	ctxA, giveUp := context.WithCancel(context.Background())
	a := make(chan error)
	go func() { a <- g.acquire(ctxA, 5) }()
	waitFor(t, g, 1)
	b := make(chan error)
	go func() { b <- g.acquire(context.Background(), 2) }() // fits, but comes after a
	waitFor(t, g, 2)
	giveUp()
	if err := <-a; err == nil {
		t.Error("a was admitted; want it to give up")
	}
	if err := <-b; err != nil {
		t.Errorf("b: %v", err)
	}
	g.release(8)
	if idle != 0 {
		t.Errorf("idle ran with b still in")
	}
	g.release(2)
	if idle != 1 || g.held != 0 {
		t.Errorf("after the last release: idle ran %d times, %d bytes held; want once, 0", idle, g.held)
	}
	// A body over the whole budget waits for an empty gate, then goes in.
	if err := g.acquire(context.Background(), 50); err != nil || g.held != 10 {
		t.Errorf("a body over the budget: %v, %d held", err, g.held)
	}
	g.release(50)
}

// waitFor waits until n bodies wait at g.
func waitFor(t *testing.T, g *gate, n int) {
	t.Helper()
	for {
		g.mu.Lock()
		got := len(g.waiters)
		g.mu.Unlock()
		if got == n {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// A large body that finds no room in time is turned away with 503, a
// Retry-After and the reason busy; small bodies never wait.
func TestGatedBusy(t *testing.T) {
	inside, leave := make(chan struct{}), make(chan struct{})
	e := &endpoint{channel: notify.Mail, log: logOrDiscard(nil), limit: 4 << 20,
		send: func(r *http.Request, body []byte) (notify.Sent, error) {
			if len(body) > largeBody {
				inside <- struct{}{}
				<-leave
			}
			return notify.Sent{MessageID: "m"}, nil
		},
		reply: func(s notify.Sent) any { return map[string]string{"Code": "OK", "MessageId": s.MessageID} },
	}
	h := gated{gate: &gate{budget: 2 << 20, wait: time.Millisecond}, e: e}
	large := `{"x":"` + strings.Repeat("a", 3<<19) + `"}` // 1.5 MiB
	post := func(body string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/mail", strings.NewReader(body)))
		return w
	}

	first := make(chan *httptest.ResponseRecorder)
	go func() { first <- post(large) }()
	<-inside
	w := post(large)
	var rep errorReply
	if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "2" || rep.Reason != "busy" {
		t.Errorf("a second large body: %d, Retry-After %q, %+v; want 503, 2, busy", w.Code, w.Header().Get("Retry-After"), rep)
	}
	if w := post(`{"x":"small"}`); w.Code != http.StatusOK {
		t.Errorf("a small body beside a large one: %d %s", w.Code, w.Body)
	}
	close(leave)
	if w := <-first; w.Code != http.StatusOK {
		t.Errorf("the first large body: %d %s", w.Code, w.Body)
	}
	go func() { <-inside }()
	if w := post(large); w.Code != http.StatusOK {
		t.Errorf("a large body once the gate is free: %d %s", w.Code, w.Body)
	}
}

// A body that says it is over the limit is refused before any of it is
// read; one admitted through the gate that trickles in is cut off at its
// pace, 408, and gives its room back.
func TestGatedBodies(t *testing.T) {
	e := &endpoint{channel: notify.Mail, log: logOrDiscard(nil), limit: 4 << 20,
		send:  func(r *http.Request, body []byte) (notify.Sent, error) { return notify.Sent{MessageID: "m"}, nil },
		reply: func(s notify.Sent) any { return map[string]string{"Code": "OK", "MessageId": s.MessageID} },
	}
	g := &gate{budget: 2 << 20, wait: time.Millisecond, pace: func(int64) time.Duration { return 200 * time.Millisecond }}
	srv := httptest.NewServer(gated{gate: g, e: e})
	defer srv.Close()

	t.Run("declared over the limit", func(t *testing.T) {
		read := false
		req := httptest.NewRequest(http.MethodPost, "/mail", nil)
		req.Body = io.NopCloser(readFunc(func(p []byte) (int, error) { read = true; return 0, io.EOF }))
		req.ContentLength = e.limit + 1
		w := httptest.NewRecorder()
		gated{gate: g, e: e}.ServeHTTP(w, req)
		if w.Code != http.StatusRequestEntityTooLarge || read {
			t.Errorf("status %d, body read %v; want 413, unread", w.Code, read)
		}
	})

	t.Run("a trickle", func(t *testing.T) {
		conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /mail HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", 1<<20)
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusRequestTimeout {
			t.Errorf("status %d, want 408", res.StatusCode)
		}
		held := func() int64 { g.mu.Lock(); defer g.mu.Unlock(); return g.held }
		for i := 0; held() != 0; i++ { // the handler gives it back just after its reply
			if i == 200 {
				t.Fatalf("the gate still holds %d bytes", held())
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}

type readFunc func([]byte) (int, error)

func (f readFunc) Read(p []byte) (int, error) { return f(p) }

// A body that does not declare its length (chunked) goes past the gate
// when it turns out to be small, as a small body that declares it does;
// one that turns out large waits its turn as a large one does.
func TestGatedUndeclaredLength(t *testing.T) {
	inside, leave := make(chan struct{}), make(chan struct{})
	var got []int
	e := &endpoint{channel: notify.Mail, log: logOrDiscard(nil), limit: 4 << 20,
		send: func(r *http.Request, body []byte) (notify.Sent, error) {
			got = append(got, len(body))
			if len(body) > largeBody && r.Header.Get("X-Hold") != "" {
				inside <- struct{}{}
				<-leave
			}
			return notify.Sent{MessageID: "m"}, nil
		},
		reply: func(s notify.Sent) any { return map[string]string{"Code": "OK", "MessageId": s.MessageID} },
	}
	h := gated{gate: &gate{budget: 2 << 20, wait: time.Millisecond}, e: e}
	large := `{"x":"` + strings.Repeat("a", 3<<19) + `"}` // 1.5 MiB
	post := func(body string, declared, hold bool) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/mail", strings.NewReader(body))
		if !declared {
			r.Body, r.ContentLength = io.NopCloser(struct{ io.Reader }{strings.NewReader(body)}), -1
		}
		if hold {
			r.Header.Set("X-Hold", "1")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	first := make(chan *httptest.ResponseRecorder)
	go func() { first <- post(large, true, true) }()
	<-inside
	small := `{"x":"` + strings.Repeat("b", largeBody-16) + `"}` // just under the threshold
	if w := post(small, false, false); w.Code != http.StatusOK {
		t.Errorf("a small body of undeclared length beside a large one: %d %s", w.Code, w.Body)
	}
	if w := post(large, false, false); w.Code != http.StatusServiceUnavailable {
		t.Errorf("a large body of undeclared length beside a large one: %d; want 503", w.Code)
	}
	close(leave)
	if w := <-first; w.Code != http.StatusOK {
		t.Errorf("the first large body: %d %s", w.Code, w.Body)
	}
	if w := post(large, false, false); w.Code != http.StatusOK {
		t.Errorf("a large body of undeclared length once the gate is free: %d %s", w.Code, w.Body)
	}
	if want := []int{len(large), len(small), len(large)}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("the endpoint got bodies of %v bytes; want %v", got, want)
	}
	if w := post(strings.Repeat(" ", 5<<20), false, false); w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("a body of undeclared length over the limit: %d; want 413", w.Code)
	}
}
