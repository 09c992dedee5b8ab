// Command echofn is a tiny function for the platform's process tests: it
// serves an echo handler through platform.Start on whichever runtime the
// environment names.
//
// Every request is answered with a JSON description of what the handler
// saw. The status is 200 unless the query or a JSON body asks for another
// ("status"); the path /panic, or a JSON body with "panic": true, panics.
// A timer event calls its Tick, which logs whether its context has a
// deadline.
package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/platform"
)

func main() {
	log := platform.Logger(os.Stderr, slog.LevelInfo)
	if err := platform.Start(echo{log}, platform.Options{Name: "echo", QueuePath: "/echo", Log: log}); err != nil {
		log.Error("echo function stopped", "err", err)
		os.Exit(1)
	}
}

// seen is what the handler saw of a request.
type seen struct {
	Method    string         `json:"method"`
	Path      string         `json:"path"`
	RawQuery  string         `json:"rawQuery"`
	Cookies   []string       `json:"cookies"`
	Body      string         `json:"body"`
	RequestID string         `json:"requestId"`
	Deadline  bool           `json:"deadline"`
	Origin    *notify.Origin `json:"origin"`
}

// echo is the handler; it logs one line per request.
type echo struct{ log *slog.Logger }

func (e echo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var ask struct {
		Status int  `json:"status"`
		Panic  bool `json:"panic"`
	}
	_ = json.Unmarshal(body, &ask)
	if r.URL.Path == "/panic" || ask.Panic {
		panic("echofn: asked to panic")
	}
	status := http.StatusOK
	if n, err := strconv.Atoi(r.URL.Query().Get("status")); err == nil {
		status = n
	} else if ask.Status != 0 {
		status = ask.Status
	}
	s := seen{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Body: string(body),
		RequestID: platform.RequestID(r.Context()), Cookies: []string{}}
	_, s.Deadline = r.Context().Deadline()
	for _, c := range r.Cookies() {
		s.Cookies = append(s.Cookies, c.Name+"="+c.Value)
	}
	if o, ok := notify.OriginFrom(r.Context()); ok {
		s.Origin = &o
	}
	e.log.InfoContext(r.Context(), "echo", "path", r.URL.Path, "status", status)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(s)
}

func (e echo) Tick(ctx context.Context) error {
	_, deadline := ctx.Deadline()
	e.log.InfoContext(ctx, "echo tick", "deadline", deadline)
	return nil
}
