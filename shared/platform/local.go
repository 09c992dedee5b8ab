package platform

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Serve serves the function's handler over plain HTTP on ln until ctx is
// done, then shuts down gracefully: it stops accepting, waits up to ten
// seconds for the requests in flight, and returns nil. Every request gets a
// request id in its context: the caller's X-Request-Id when it is a sane
// one, else a new one, echoed in the reply's X-Request-Id.
func (f *Function) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           f.localHandler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(f.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	f.log.Info("serving HTTP", "function", f.name, "addr", ln.Addr().String(), "build", BuildInfo())
	select {
	case err := <-errc:
		return fmt.Errorf("platform: serve HTTP on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("platform: shut down HTTP server on %s: %w", ln.Addr(), err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("platform: serve HTTP on %s: %w", ln.Addr(), err)
	}
	f.log.Info("HTTP server stopped", "function", f.name)
	return nil
}

// localHandler wraps the handler with a request id and panic recovery.
func (f *Function) localHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !saneRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		r = r.WithContext(WithRequestID(r.Context(), id))
		tw := &trackingWriter{ResponseWriter: w}
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p)
			}
			f.logPanic(r.Context(), p)
			if tw.wrote {
				panic(http.ErrAbortHandler) // too late for a 500: cut the reply short
			}
			out := panicReply(id)
			h := w.Header()
			clear(h)
			h.Set("X-Request-Id", id)
			for k, vs := range out.header {
				h[k] = vs
			}
			w.WriteHeader(out.status)
			_, _ = w.Write(out.body)
		}()
		if f.serveHealth(tw, r) {
			return
		}
		f.h.ServeHTTP(tw, r)
	})
}

// saneRequestID reports whether a caller's request id may go into logs: 1 to
// 128 letters, digits and -_.:
func saneRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// trackingWriter notes whether the handler has started its reply.
type trackingWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *trackingWriter) WriteHeader(code int) {
	if code >= 200 {
		w.wrote = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *trackingWriter) Write(p []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the server's writer.
func (w *trackingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
