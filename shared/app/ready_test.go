package app_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/app"
	"github.com/seed4ddb146e/notify/shared/config"
	"github.com/seed4ddb146e/notify/shared/platform"
	"github.com/seed4ddb146e/notify/shared/store/postgres/pgtest"
)

// TestReadyPostgresFrozen asks a function's local server GET /readyz, with
// the store a function opens (LazyStore) on PostgreSQL: ready, then not
// ready within the check's second while the server is frozen, then ready
// again after the thaw.
func TestReadyPostgresFrozen(t *testing.T) {
	var server pgtest.Cluster // a server of its own: the other tests never see it frozen
	t.Cleanup(func() {
		if err := server.Stop(); err != nil {
			t.Error(err)
		}
	})
	db := server.Database(t)
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"NOTIFY_DATABASE_URL": db, "NOTIFY_GROUPS": `[{"id":"g","channels":["sms"]}]`,
			"NOTIFY_STORE_TIMEOUT": "5s"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := app.LazyStore(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f, err := platform.New(http.NotFoundHandler(), platform.Options{Name: "sms", Ready: st.Ping})
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
	t.Cleanup(func() { cancel(); <-served })
	ready := func(want int) {
		t.Helper()
		start := time.Now()
		res, err := http.Get("http://" + ln.Addr().String() + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("GET /readyz = %d %s; want %d", res.StatusCode, body, want)
		}
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("GET /readyz took %v; want about a second at most", took)
		}
	}
	ready(http.StatusOK)
	thaw := server.Freeze(t)
	ready(http.StatusServiceUnavailable)
	thaw()
	ready(http.StatusOK)
}
