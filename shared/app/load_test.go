package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/app"
	"github.com/seed4ddb146e/notify/shared/app/apptest"
	callbackapp "github.com/seed4ddb146e/notify/shared/app/callback"
	smsapp "github.com/seed4ddb146e/notify/shared/app/sms"
	"github.com/seed4ddb146e/notify/shared/config"
	"github.com/seed4ddb146e/notify/shared/fake/aliyun/dysmsapi"
	"github.com/seed4ddb146e/notify/shared/httpapi"
	"github.com/seed4ddb146e/notify/shared/httpapi/openapitest"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/postgres/pgtest"
)

var pg pgtest.Cluster

// TestMain clears the proxy variables for the whole run (apptest.NoProxy),
// so that SDKs that honour them reach the fakes on 127.0.0.1.
func TestMain(m *testing.M) {
	apptest.NoProxy()
	pg.Main(m)
}

const (
	loadRequests    = 2000
	loadConcurrency = 32
	loadToken       = "load-test-token-0123456789abcdef"
)

// TestLoad drives the local server (the sms and callback functions on one
// HTTP server, as make run serves them) with 2,000 sends at 32 at once
// against the fake Dysmsapi, then with their 2,000 delivery reports and
// 200 of them pushed again, on each store: every send is recorded and sent
// exactly once, every report lands once, and every message ends
// delivered. Throughput is logged (go test -v -run TestLoad).
func TestLoad(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("load test")
	}
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); load(t, "sqlite:"+filepath.Join(t.TempDir(), "notify.db")) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); load(t, pg.Database(t)) })
}

func load(t *testing.T, databaseURL string) {
	srv, fake, st := localServer(t, databaseURL)
	ctx := context.Background()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: loadConcurrency}, Timeout: 30 * time.Second}

	type sent struct{ number, bizID, messageID string }
	results := make([]sent, loadRequests)
	var failures atomic.Int64
	start := time.Now()
	run(loadRequests, func(i int) {
		number := fmt.Sprintf("138%08d", i)
		body := `{"GroupID":"load","PhoneNumbers":"` + number + `","SignName":"notify","TemplateCode":"SMS_0001","TemplateParam":"123456"}`
		var rep struct{ Code, BizId, MessageId string }
		if status := postJSON(client, srv.URL+"/sms", body, &rep); status != 200 || rep.Code != "OK" {
			failures.Add(1)
			return
		}
		results[i] = sent{number, rep.BizId, rep.MessageId}
	})
	sendTime := time.Since(start)
	if n := failures.Load(); n > 0 {
		t.Fatalf("%d of %d sends failed", n, loadRequests)
	}

	start = time.Now()
	pushes := loadRequests + loadRequests/10 // 200 reports pushed twice
	run(pushes, func(i int) {
		s := results[i%loadRequests]
		body := `[{"phone_number":"` + s.number + `","send_time":"2026-11-24 10:00:00","report_time":"2026-11-24 10:00:03",` +
			`"success":true,"err_code":"DELIVERED","err_msg":"用户接收成功","sms_size":"1","biz_id":"` + s.bizID + `"}]`
		var ack struct{ Code *int }
		if status := postJSON(client, srv.URL+"/callback/"+loadToken+"/aliyun/sms-report", body, &ack); status != 200 ||
			ack.Code == nil || *ack.Code != 0 {
			failures.Add(1)
		}
	})
	reportTime := time.Since(start)
	if n := failures.Load(); n > 0 {
		t.Fatalf("%d of %d report pushes failed", n, pushes)
	}

	// Zero lost, zero duplicated.
	if n := len(fake.Sends()); n != loadRequests {
		t.Errorf("the provider sent %d messages, want %d", n, loadRequests)
	}
	rs := st.(notify.ReportStore)
	seen := map[string]bool{}
	for _, s := range results {
		if seen[s.messageID] {
			t.Fatalf("message id %s given twice", s.messageID)
		}
		seen[s.messageID] = true
		m, err := st.Message(ctx, s.messageID)
		if err != nil {
			t.Fatalf("message %s lost: %v", s.messageID, err)
		}
		reports, err := rs.Reports(ctx, s.messageID)
		if err != nil {
			t.Fatal(err)
		}
		if m.Status != notify.Delivered || m.ProviderID != s.bizID || len(reports) != 1 {
			t.Fatalf("message %s: status %s, %d reports; want delivered with one report", s.messageID, m.Status, len(reports))
		}
	}
	t.Logf("%s: %d sends in %v (%.0f/s), %d report pushes in %v (%.0f/s), %d at once",
		strings.SplitN(databaseURL, ":", 2)[0], loadRequests, sendTime.Round(time.Millisecond),
		float64(loadRequests)/sendTime.Seconds(), pushes, reportTime.Round(time.Millisecond),
		float64(pushes)/reportTime.Seconds(), loadConcurrency)
}

// run calls f(0..n-1) from loadConcurrency goroutines.
func run(n int, f func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < loadConcurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}

func postJSON(c *http.Client, url, body string, v any) int {
	res, err := c.Post(url, "application/json", bytes.NewReader([]byte(body)))
	if err != nil {
		return 0
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		return 0
	}
	return res.StatusCode
}

// localServer serves the sms and callback functions on one HTTP server, as
// make run does, over the store at databaseURL (opened by the first request
// that needs it, as in a function), sending to a fake Dysmsapi.
// Reports are pushed with the token loadToken.
func localServer(t testing.TB, databaseURL string) (*httptest.Server, *dysmsapi.Server, notify.Store) {
	return localServerWith(t, databaseURL, nil)
}

// localServerWith is localServer with the variables of extra laid over
// its own.
func localServerWith(t testing.TB, databaseURL string, extra map[string]string) (*httptest.Server, *dysmsapi.Server, notify.Store) {
	t.Helper()
	fake := dysmsapi.New(dysmsapi.Config{AccessKeyID: "LTAI-load", AccessKeySecret: "load-secret"})
	fakeSrv := httptest.NewServer(fake)
	t.Cleanup(fakeSrv.Close)
	vars := map[string]string{
		"NOTIFY_GROUPS":                   `[{"id":"load","channels":["sms"]}]`,
		"ALIBABA_CLOUD_ACCESS_KEY_ID":     "LTAI-load",
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET": "load-secret",
		"NOTIFY_ALIYUN_SMS_ENDPOINT":      fakeSrv.URL,
		"NOTIFY_CALLBACK_TOKEN":           loadToken,
		"NOTIFY_DATABASE_URL":             databaseURL,
		// These tests check what happens, not how fast, on machines the
		// other test binaries keep busy: TestLoad's 32 requests at once,
		// under the race detector, may wait past the default for SQLite's
		// one connection. The stuck-store tests set their own.
		"NOTIFY_STORE_TIMEOUT": "30s",
	}
	maps.Copy(vars, extra)
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := app.LazyStore(cfg) // opened by the first requests, which join one open
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	mux := http.NewServeMux()
	for name, build := range map[string]app.Builder{"sms": smsapp.New, "callback": app.AsBuilder(callbackapp.New)} {
		h, err := build(ctx, cfg, st, log)
		if err != nil {
			t.Fatal(err)
		}
		mux.Handle("/"+name, h)
		mux.Handle("/"+name+"/", h)
		if name == "sms" {
			mux.Handle("/gw/", h) // the Alidayu routes
		}
	}
	var h http.Handler = mux
	if _, bench := t.(*testing.B); !bench {
		c, err := openapitest.New(httpapi.OpenAPI) // every exchange as the document says
		if err != nil {
			t.Fatal(err)
		}
		h = c.Handler(t, mux)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, fake, st
}
