package app_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/store/postgres"
	"github.com/seed4ddb146e/notify/shared/store/postgres/pgtest"
)

// The tests of a stuck store: PostgreSQL frozen, a database port that
// accepts and never answers, SQLite locked by another connection. Each
// sends stuckRequests at once through the local server, and every one must
// get its 503 store_unavailable within stuckBound of being sent: the store
// timeout bounds each request's wait on its own, not one after another.
// docs/guarantees.md describes the bounds.
const (
	stuckRequests = 36
	stuckTimeout  = time.Second // NOTIFY_STORE_TIMEOUT in these tests
	stuckBound    = 3 * stuckTimeout
)

// TestStorePostgresFrozen freezes a PostgreSQL server (SIGSTOP to all its
// processes), once while the store is open with a pooled connection, once
// before the store was opened (a cold start), and then thaws it: every
// request meanwhile gets 503 within the bound, and the next one after the
// thaw is sent.
func TestStorePostgresFrozen(t *testing.T) {
	var server pgtest.Cluster // a server of its own: the other tests never see it frozen
	t.Cleanup(func() {
		if err := server.Stop(); err != nil {
			t.Error(err)
		}
	})
	db := server.Database(t)
	if err := postgres.Migrate(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"NOTIFY_STORE_TIMEOUT": stuckTimeout.String()}
	t.Run("open", func(t *testing.T) {
		srv, _, _ := localServerWith(t, db, vars)
		if status, rep := sendOne(t, srv.URL, "13900000001"); status != 200 {
			t.Fatalf("before the freeze: %d %+v; want 200", status, rep)
		}
		thaw := server.Freeze(t)
		stuckBurst(t, srv.URL)
		thaw()
		if status, rep := sendOne(t, srv.URL, "13900000002"); status != 200 {
			t.Errorf("after the thaw: %d %+v; want 200", status, rep)
		}
	})
	t.Run("cold", func(t *testing.T) {
		srv, _, _ := localServerWith(t, db, vars)
		thaw := server.Freeze(t)
		stuckBurst(t, srv.URL)
		thaw()
		if status, rep := sendOne(t, srv.URL, "13900000003"); status != 200 {
			t.Errorf("after the thaw: %d %+v; want 200", status, rep)
		}
	})
}

// TestStoreHungPort points the store at a port that accepts connections
// and never answers: every request gets 503 within the bound, at once,
// not one open attempt after another.
func TestStoreHungPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held, never read nor answered
			mu.Unlock()
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	url := "postgres://notify@" + ln.Addr().String() + "/notify?sslmode=disable"
	srv, _, _ := localServerWith(t, url, map[string]string{"NOTIFY_STORE_TIMEOUT": stuckTimeout.String()})
	stuckBurst(t, srv.URL)
	mu.Lock()
	n := len(conns)
	mu.Unlock()
	if n == 0 {
		t.Errorf("nothing connected to the hung port")
	}
}

// TestStoreSQLiteLocked holds the write lock of the store's SQLite file
// from another connection (BEGIN IMMEDIATE, as another process writing
// would): every send gets 503 within the bound, and the next one after the
// lock is let go is sent.
func TestStoreSQLiteLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify.db")
	srv, _, _ := localServerWith(t, "sqlite:"+path, map[string]string{"NOTIFY_STORE_TIMEOUT": stuckTimeout.String()})
	if status, rep := sendOne(t, srv.URL, "13900000001"); status != 200 {
		t.Fatalf("before the lock: %d %+v; want 200", status, rep)
	}
	other, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	lock, err := other.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if _, err := lock.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	stuckBurst(t, srv.URL)
	if _, err := lock.ExecContext(t.Context(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if status, rep := sendOne(t, srv.URL, "13900000002"); status != 200 {
		t.Errorf("after the lock: %d %+v; want 200", status, rep)
	}
}

// stuckReply is what the tests read of a reply.
type stuckReply struct{ Code, Reason, Message string }

// sendOne sends a verification code to number, and returns the reply.
func sendOne(t *testing.T, base, number string) (int, stuckReply) {
	t.Helper()
	c := &http.Client{Timeout: 10 * stuckBound}
	var rep stuckReply
	return postJSON(c, base+"/sms", stuckBody(number), &rep), rep
}

func stuckBody(number string) string {
	return `{"GroupID":"load","PhoneNumbers":"` + number +
		`","SignName":"notify","TemplateCode":"SMS_0001","TemplateParam":"123456"}`
}

// stuckBurst sends stuckRequests at once, and checks that every one got
// 503 store_unavailable within stuckBound. It logs how long the replies
// took.
func stuckBurst(t *testing.T, base string) {
	t.Helper()
	// A client timeout well past the bound, so that a store that holds
	// requests fails the test rather than hang it.
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: stuckRequests}, Timeout: 2 * stuckBound}
	defer c.CloseIdleConnections()
	type result struct {
		status int
		rep    stuckReply
		took   time.Duration
		err    error
	}
	results := make([]result, stuckRequests)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range results {
		wg.Go(func() {
			<-start
			t0 := time.Now()
			r := &results[i]
			res, err := c.Post(base+"/sms", "application/json", bytes.NewReader([]byte(stuckBody(fmt.Sprintf("138%08d", i)))))
			if err == nil {
				r.status = res.StatusCode
				err = json.NewDecoder(res.Body).Decode(&r.rep)
				res.Body.Close()
			}
			r.took, r.err = time.Since(t0), err
		})
	}
	close(start)
	wg.Wait()
	took := make([]time.Duration, len(results))
	for i, r := range results {
		took[i] = r.took
		switch {
		case r.err != nil:
			t.Errorf("request %d: no reply after %v: %v", i, r.took.Round(time.Millisecond), r.err)
		case r.status != http.StatusServiceUnavailable || r.rep.Reason != "store_unavailable":
			t.Errorf("request %d: %d %+v; want 503 store_unavailable", i, r.status, r.rep)
		case r.took > stuckBound:
			t.Errorf("request %d: 503 after %v; want it within %v", i, r.took.Round(time.Millisecond), stuckBound)
		}
	}
	slices.Sort(took)
	t.Logf("%d requests at once, store timeout %v: replies after %v (first), %v (median), %v (last)",
		len(took), stuckTimeout, took[0].Round(time.Millisecond), took[len(took)/2].Round(time.Millisecond),
		took[len(took)-1].Round(time.Millisecond))
}
