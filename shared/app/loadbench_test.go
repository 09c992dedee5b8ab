package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/platform"
)

// BenchmarkLoad drives POST /sms on the local server (the sms function's
// handler over the sandbox provider, as make run serves it) at 1, 8 and 32
// requests at once, on each store, and a bare net/http server that decodes
// the same JSON request and encodes a reply of the same shape, in the same
// run, interleaved: bare, sqlite, postgres at 1, then at 8, then at 32.
//
// Each sub-benchmark reports req/s, p50_ms and p99_ms; the gateway's also
// x_bare, its req/s over the bare server's at the same concurrency. Every
// request has a number of its own, so the per-number limits count but
// never refuse; the group's daily cap is off, as b.N may pass it.
//
//	go test -run '^$' -bench Load -benchtime 4000x ./shared/app
//
// The process's collector is set as the local server sets it
// (platform.TuneGC: GOGC 400 unless GOGC is set), for the bare server
// too; GOGC=100 in the environment measures Go's default.
func BenchmarkLoad(b *testing.B) {
	// The settings to put back: each setter returns the one it replaces.
	percent, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	debug.SetGCPercent(percent)
	platform.TuneGC(os.Getenv)
	b.Cleanup(func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	})
	bare := map[int]float64{}
	for _, n := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("bare/c=%d", n), func(b *testing.B) {
			srv := httptest.NewServer(bareSMS())
			defer srv.Close()
			bare[n] = drive(b, srv.URL, n)
		})
		for _, store := range []string{"sqlite", "postgres"} {
			b.Run(fmt.Sprintf("%s/c=%d", store, n), func(b *testing.B) {
				url := pg.Database(b)
				if store == "sqlite" {
					url = "sqlite:" + filepath.Join(b.TempDir(), "notify.db")
				}
				srv, _, _ := localServerWith(b, url, map[string]string{
					"NOTIFY_GROUPS":                   `[{"id":"load","channels":["sms"],"limits":{"daily_cap":0}}]`,
					"ALIBABA_CLOUD_ACCESS_KEY_ID":     "",
					"ALIBABA_CLOUD_ACCESS_KEY_SECRET": "",
					"NOTIFY_STORE_TIMEOUT":            "",
				})
				rate := drive(b, srv.URL, n)
				if bare[n] > 0 {
					b.ReportMetric(rate/bare[n], "x_bare")
				}
			})
		}
	}
}

// loadRun numbers the requests of every drive, so that no two share a
// phone number.
var loadRun atomic.Int64

// drive posts b.N sends to url/sms from n goroutines, after one warm-up
// send, and reports the rate and the latencies; it returns the rate.
func drive(b *testing.B, url string, n int) float64 {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n}, Timeout: time.Minute}
	defer client.CloseIdleConnections()
	send := func() (time.Duration, error) {
		number := fmt.Sprintf("13%09d", loadRun.Add(1))
		body := `{"GroupID":"load","PhoneNumbers":"` + number +
			`","SignName":"notify","TemplateCode":"SMS_0001","TemplateParam":"{\"code\":\"123456\"}"}`
		start := time.Now()
		var rep struct{ Code string }
		if status := postJSON(client, url+"/sms", body, &rep); status != 200 || rep.Code != "OK" {
			return 0, fmt.Errorf("send to %s: status %d, code %q", number, status, rep.Code)
		}
		return time.Since(start), nil
	}
	if _, err := send(); err != nil { // the store opens, the connections are made
		b.Fatal(err)
	}
	took := make([]time.Duration, b.N)
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range n {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(b.N); i = next.Add(1) - 1 {
				d, err := send()
				if err != nil {
					failed.Store(err)
					return
				}
				took[i] = d
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	slices.Sort(took)
	rate := float64(b.N) / elapsed.Seconds()
	b.ReportMetric(rate, "req/s")
	b.ReportMetric(ms(took[len(took)/2]), "p50_ms")
	b.ReportMetric(ms(took[min(len(took)-1, len(took)*99/100)]), "p99_ms")
	b.ReportMetric(0, "ns/op")
	return rate
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// bareSMS is the floor of BenchmarkLoad: an HTTP handler that decodes the
// legacy POST /sms request and encodes a reply of the same shape, and does
// nothing else.
func bareSMS() http.Handler {
	var id atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			GroupID, PhoneNumbers, SignName, TemplateCode, TemplateParam, OutId string
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || !strings.HasPrefix(r.URL.Path, "/sms") {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		n := id.Add(1)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(struct{ Code, Message, BizId, RequestId, MessageId string }{
			"OK", "OK", fmt.Sprintf("sandbox-%d", n), fmt.Sprintf("req-%d", n), fmt.Sprintf("%032x", n)})
	})
}
