package app_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/fake/aliyun/acs"
)

// usage is what a long run must give back: goroutines, open file
// descriptors and the live heap.
type usage struct {
	goroutines, fds int
	heap            uint64
}

func measure() usage {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fds, _ := os.ReadDir("/proc/self/fd")
	return usage{runtime.NumGoroutine(), len(fds), ms.HeapAlloc}
}

// TestLongRunLeaks drives the local server with tens of thousands of
// requests of every kind (sends, retries with an Idempotency-Key, bodies
// that are not JSON or too large, unknown groups, callers that hang up
// mid-send, report pushes) and with the provider failing in each way
// (502, dropped connections, slow answers, a send accepted and the
// connection dropped), then checks that the goroutines and the open files
// come back to where they were after a first round. It takes minutes, so
// it runs only with NOTIFY_LEAK_ROUNDS set (5 rounds of 2,800 requests
// for 1); NOTIFY_LEAK_STORE=postgres runs it on PostgreSQL.
//
//	NOTIFY_LEAK_ROUNDS=5 go test -run TestLongRunLeaks -v ./shared/app/
func TestLongRunLeaks(t *testing.T) {
	rounds, _ := strconv.Atoi(os.Getenv("NOTIFY_LEAK_ROUNDS"))
	if rounds <= 0 {
		t.Skip("a long run: set NOTIFY_LEAK_ROUNDS")
	}
	if rounds == 1 {
		rounds = 5
	}
	db := "sqlite:" + filepath.Join(t.TempDir(), "notify.db")
	if os.Getenv("NOTIFY_LEAK_STORE") == "postgres" {
		db = pg.Database(t)
	}
	srv, fake, _ := localServer(t, db)
	var seq atomic.Int64
	round := func(n int) map[int]int {
		var mu sync.Mutex
		statuses := map[int]int{}
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: loadConcurrency}, Timeout: 30 * time.Second}
		defer client.CloseIdleConnections()
		// A caller that hangs up before the reply, often mid-send.
		hasty := &http.Client{Transport: &http.Transport{}, Timeout: 150 * time.Millisecond}
		defer hasty.CloseIdleConnections()
		post := func(c *http.Client, path, body string, h map[string]string) {
			req, err := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
			if err != nil {
				t.Error(err)
				return
			}
			req.Header.Set("Content-Type", "application/json")
			for k, v := range h {
				req.Header.Set(k, v)
			}
			status := -1
			if res, err := c.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				status = res.StatusCode
			}
			mu.Lock()
			statuses[status]++
			mu.Unlock()
		}
		run(n, func(i int) {
			number := fmt.Sprintf("139%08d", seq.Add(1))
			body := `{"GroupID":"load","PhoneNumbers":"` + number + `","SignName":"notify","TemplateCode":"SMS_0001","TemplateParam":"123456"}`
			switch i % 8 {
			case 0, 1:
				post(client, "/sms", body, nil)
			case 2:
				post(client, "/sms", body, map[string]string{"Idempotency-Key": "k" + number})
				post(client, "/sms", body, map[string]string{"Idempotency-Key": "k" + number})
			case 3:
				post(client, "/sms", `{"GroupID":"load",`, nil)
			case 4:
				post(client, "/sms", `{"GroupID":"nobody","PhoneNumbers":"13800138000"}`, nil)
			case 5:
				post(client, "/sms", strings.Repeat("x", 2<<20), nil)
			case 6:
				post(hasty, "/sms", body, map[string]string{"Idempotency-Key": "h" + number})
			case 7:
				// A report of a message the gateway never sent: kept as an orphan.
				post(client, "/callback/"+loadToken+"/aliyun/sms-report", `[{"phone_number":"`+number+
					`","send_time":"2026-11-24 10:00:00","report_time":"2026-11-24 10:00:03","success":true,`+
					`"err_code":"DELIVERED","err_msg":"ok","sms_size":"1","biz_id":"`+number+`^0"}]`, nil)
			}
		})
		return statuses
	}
	faulty := func(n int) map[int]int {
		fake.Fail(acs.Gateway(502, "ServiceUnavailable", "down").Times(n / 4))
		fake.Fail(acs.Drop().Times(n / 4))
		fake.Fail(acs.Slow(400 * time.Millisecond).Times(n / 4))
		fake.Fail(acs.AcceptThenDrop().Times(n / 4))
		defer fake.Heal()
		return round(n)
	}
	// A first round opens the store, the pools and the connections that
	// stay.
	t.Log(round(400), faulty(400))
	settled := func(base usage) (usage, bool) {
		// What a round leaves goes within the SDK's timeout (10 s) and
		// the idle connections' (the providers' 90 s at most, but every
		// client here closes its own).
		var u usage
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			if u = measure(); base.goroutines == 0 || u.goroutines <= base.goroutines+2 && u.fds <= base.fds+2 {
				return u, true
			}
		}
		return u, false
	}
	base, _ := settled(usage{})
	time.Sleep(11 * time.Second) // the first round's abandoned SDK calls end
	base = measure()
	for range rounds {
		t.Log(round(2000), faulty(800))
	}
	after, ok := settled(base)
	t.Logf("before %+v, after %+v", base, after)
	if !ok {
		buf := make([]byte, 1<<20)
		t.Errorf("leak: before %+v, after %+v; goroutines:\n%s", base, after, buf[:runtime.Stack(buf, true)])
	}
}
