package platform

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// seen is what the test handler saw of one request: the fields of the
// *http.Request an adapter built.
type seen struct {
	Method        string         `json:"method"`
	RequestURI    string         `json:"requestURI"`
	Path          string         `json:"path"`
	Query         url.Values     `json:"query"`
	Host          string         `json:"host"`
	RemoteAddr    string         `json:"remoteAddr"`
	Header        http.Header    `json:"header"`
	Cookies       []string       `json:"cookies"`
	ContentLength int64          `json:"contentLength"`
	Body          string         `json:"body"` // "base64:..." when not UTF-8
	RequestID     string         `json:"requestId"`
	Deadline      string         `json:"deadline"`
	Origin        *notify.Origin `json:"origin"`
}

// pngHead is the reply of /binary: bytes no text decoder accepts.
var pngHead = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff")

// recorder is the handler of the adapter tests. It records each request
// and answers by script:
//
//   - /panic sets a cookie, then panics;
//   - /binary replies 200 image/png with pngHead;
//   - a JSON body {"status":N} gets status N and {"Code":"ERROR","Message":"asked for N"};
//   - anything else gets 201, two X-Multi values, two cookies and a JSON body.
//
// It is a Ticker too: each Tick is recorded in ticks, with the request id
// and deadline its context carries, and returns tickErr.
type recorder struct {
	mu      sync.Mutex
	seen    []seen
	ticks   []tick
	tickErr error
}

// tick is what the test handler saw of one Tick: what its context carries.
type tick struct {
	RequestID string `json:"requestId"`
	Deadline  string `json:"deadline"`
}

func (rec *recorder) Tick(ctx context.Context) error {
	s := tick{RequestID: RequestID(ctx)}
	if d, ok := ctx.Deadline(); ok {
		s.Deadline = d.UTC().Format(time.RFC3339)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.ticks = append(rec.ticks, s)
	return rec.tickErr
}

func (rec *recorder) ticked() []tick {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]tick(nil), rec.ticks...)
}

func (rec *recorder) requests() []seen {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]seen(nil), rec.seen...)
}

// requestsInOrder returns the requests in the order of the messages of the
// queue event payload, which run at once and so reach the handler in any
// order; the requests of any other event, as they came.
func (rec *recorder) requestsInOrder(payload []byte) []seen {
	reqs := rec.requests()
	k, err := Detect(payload)
	if err != nil {
		return reqs
	}
	ms, err := decodeQueue(k, payload)
	if err != nil {
		return reqs
	}
	at := make(map[string]int, len(ms))
	for i, m := range ms {
		at[m.id] = i
	}
	slices.SortStableFunc(reqs, func(a, b seen) int {
		if a.Origin == nil || b.Origin == nil {
			return 0
		}
		return at[a.Origin.MessageID] - at[b.Origin.MessageID]
	})
	return reqs
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		panic(err)
	}
	s := seen{Method: r.Method, RequestURI: r.RequestURI, Path: r.URL.Path, Query: r.URL.Query(), Host: r.Host,
		RemoteAddr: r.RemoteAddr, Header: r.Header, ContentLength: r.ContentLength, Body: string(body),
		RequestID: RequestID(r.Context()), Cookies: []string{}}
	if !utf8.Valid(body) {
		s.Body = "base64:" + base64.StdEncoding.EncodeToString(body)
	}
	for _, c := range r.Cookies() {
		s.Cookies = append(s.Cookies, c.Name+"="+c.Value)
	}
	if d, ok := r.Context().Deadline(); ok {
		s.Deadline = d.UTC().Format(time.RFC3339)
	}
	if o, ok := notify.OriginFrom(r.Context()); ok {
		s.Origin = &o
	}
	rec.mu.Lock()
	rec.seen = append(rec.seen, s)
	rec.mu.Unlock()

	var ask struct{ Status int }
	_ = json.Unmarshal(body, &ask)
	switch {
	case r.URL.Path == "/panic":
		w.Header().Set("Set-Cookie", "half=done")
		panic("test handler: asked to panic")
	case r.URL.Path == "/binary":
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(pngHead)
	case ask.Status != 0:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(ask.Status)
		fmt.Fprintf(w, `{"Code":"ERROR","Message":"asked for %d"}`, ask.Status)
	default:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Add("X-Multi", "a")
		w.Header().Add("X-Multi", "b")
		w.Header().Add("Set-Cookie", "session=xyz; Path=/; HttpOnly")
		w.Header().Add("Set-Cookie", "theme=light; Path=/")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"Code":"OK","Message":"created"}`)
		w.Header().Set("X-Too-Late", "after WriteHeader")
	}
}

// fixedDeadline is the deadline of every in-process invocation.
var fixedDeadline = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func invocationContext() (context.Context, context.CancelFunc) {
	return context.WithDeadline(WithRequestID(context.Background(), "req-test"), fixedDeadline)
}
