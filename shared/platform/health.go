package platform

import (
	"context"
	"net/http"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// readyTimeout bounds a readiness check: a store that does not answer
// within it is not ready.
const readyTimeout = time.Second

// The replies of the local server's health routes. They never say more
// than the reason: no error text, which may name a host or hold a URL.
var (
	healthyReply     = []byte(`{"status":"ok"}` + "\n")
	unavailableReply = []byte(`{"status":"unavailable","reason":"` + notify.ReasonStoreUnavailable + `"}` + "\n")
)

// serveHealth answers GET /healthz (the process is up) and GET /readyz
// (Options.Ready answers within readyTimeout), and reports whether r was
// one of them.
func (f *Function) serveHealth(w http.ResponseWriter, r *http.Request) bool {
	if r.URL.Path != "/healthz" && r.URL.Path != "/readyz" {
		return false
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return true
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if r.URL.Path == "/readyz" && f.ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err := f.ready(ctx); err != nil {
			f.log.WarnContext(ctx, "not ready", "function", f.name, "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write(unavailableReply)
			return true
		}
	}
	_, _ = w.Write(healthyReply)
	return true
}
