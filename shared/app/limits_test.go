package app_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/seed4ddb146e/notify/shared/app"
	smsapp "github.com/seed4ddb146e/notify/shared/app/sms"
	"github.com/seed4ddb146e/notify/shared/config"
)

// TestLimitsAcrossInstances runs two sms function instances, each with a
// store of its own on one PostgreSQL database, and sends one number more
// codes than its daily limit from both at once: the limit holds across
// them.
func TestLimitsAcrossInstances(t *testing.T) {
	t.Parallel()
	const perDay, sends = 5, 24
	vars := map[string]string{
		"NOTIFY_GROUPS":       `[{"id":"shop","channels":["sms"],"limits":{"verification":{"per_minute":0,"per_hour":0,"per_day":5}}}]`,
		"NOTIFY_DATABASE_URL": pg.Database(t),
	}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var instances []*httptest.Server
	for range 2 {
		st, err := app.OpenStore(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		h, err := smsapp.New(ctx, cfg, st, slog.New(slog.NewJSONHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		instances = append(instances, srv)
	}
	body := `{"GroupID":"shop","PhoneNumbers":"13800138000","SignName":"notify","TemplateCode":"SMS_0001","TemplateParam":"123456"}`
	var ok, limited, other atomic.Int32
	var wg sync.WaitGroup
	for i := range sends {
		wg.Go(func() {
			var rep struct{ Code, Reason string }
			switch status := postJSON(http.DefaultClient, instances[i%2].URL+"/sms", body, &rep); {
			case status == 200:
				ok.Add(1)
			case status == 429 && rep.Reason == "rate_limited":
				limited.Add(1)
			default:
				other.Add(1)
				t.Errorf("reply %d %+v", status, rep)
			}
		})
	}
	wg.Wait()
	if ok.Load() != perDay || limited.Load() != sends-perDay {
		t.Errorf("%d sent and %d refused of %d; want %d sent, the rest refused", ok.Load(), limited.Load(), sends, perDay)
	}
}
