package app_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seed4ddb146e/notify/shared/app"
	mailapp "github.com/seed4ddb146e/notify/shared/app/mail"
	"github.com/seed4ddb146e/notify/shared/config"
	"github.com/seed4ddb146e/notify/shared/fake/smtpd"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/postgres/pgtest"
)

// freezeOnCreate freezes the PostgreSQL server once, just before a
// message's record goes out, after its Idempotency-Key was claimed.
type freezeOnCreate struct {
	notify.Store
	armed  atomic.Bool
	freeze func()
}

func (f *freezeOnCreate) CreateMessage(ctx context.Context, m *notify.Message) error {
	if f.armed.CompareAndSwap(true, false) {
		f.freeze()
	}
	return f.Store.CreateMessage(ctx, m)
}

// TestStoreFrozenMidInsert: the server freezes as a mail's record is sent
// to it, so the call gives up at the store timeout and the reply is 503,
// nothing sent. When the server thaws, it must not write that record after
// all: the caller was told nothing happened, and a retry with its key
// would find a record of a send that never was, and never send it.
func TestStoreFrozenMidInsert(t *testing.T) {
	var server pgtest.Cluster // a server of its own: the other tests never see it frozen
	t.Cleanup(func() {
		if err := server.Stop(); err != nil {
			t.Error(err)
		}
	})
	db := server.Database(t)
	smtp := smtpd.Start(t, smtpd.Config{Mode: smtpd.Plain})
	vars := map[string]string{"NOTIFY_GROUPS": `[{"id":"load","channels":["mail"]}]`, "NOTIFY_SMTP_URL": smtp.URL(),
		"NOTIFY_MAIL_FROM": "gw@example.com", "NOTIFY_DATABASE_URL": db, "NOTIFY_STORE_TIMEOUT": stuckTimeout.String()}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	inner, err := app.LazyStore(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inner.Close() })
	var thaw func()
	st := &freezeOnCreate{Store: inner, freeze: func() { thaw = server.Freeze(t) }}
	h, err := mailapp.New(t.Context(), cfg, st, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	post := func(key string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/mail",
			strings.NewReader(`{"group_id":"load","subject":"s","to":"a@example.com","body":"hello"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if status := post("warm"); status != 200 {
		t.Fatalf("before the freeze: %d", status)
	}
	st.armed.Store(true)
	if status := post("k-1"); status != 503 {
		t.Fatalf("frozen as the record went out: %d; want 503", status)
	}
	thaw()
	conn, err := pgx.Connect(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	// The thawed server runs what it had buffered at once; look a few
	// times.
	for range 5 {
		var n int
		if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM messages WHERE queue_key LIKE 'http:load:k-1#%'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("the thawed server wrote %d records of the request it answered 503 to; want none", n)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if status := post("k-2"); status != 200 || len(smtp.Messages()) != 2 {
		t.Errorf("after the thaw: %d, %d mails; want 200 and the second mail", status, len(smtp.Messages()))
	}
}
