package app

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/config"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/platform"
	"github.com/seed4ddb146e/notify/shared/store/sqlite"
)

var testNow = time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)

// TestLazyStore checks that the store opens on the first call that needs
// it, once however many calls race there, and that a failed open fails
// that call as Unavailable and is tried again by the next.
func TestLazyStore(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "notify.db")
	var opens, fails atomic.Int32
	fails.Store(1)
	l := newBoundedStore(config.Config{}, func(ctx context.Context) (Store, error) {
		opens.Add(1)
		if fails.Add(-1) >= 0 {
			return nil, errors.New("connection refused")
		}
		return sqlite.Open(ctx, path)
	})
	t.Cleanup(func() { l.Close() })
	if n := opens.Load(); n != 0 {
		t.Fatalf("%d opens before any call; want 0", n)
	}
	m := &notify.Message{ID: notify.NewID(testNow), GroupID: "g", Channel: notify.SMS, Recipients: []string{"13800138000"},
		Status: notify.Accepted, CreatedAt: testNow, UpdatedAt: testNow}
	err := l.CreateMessage(ctx, m)
	if k := notify.KindOf(err); k != notify.Unavailable {
		t.Fatalf("first call while the store is down: %v (kind %v); want kind unavailable", err, k)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := l.Message(ctx, m.ID)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if notify.KindOf(err) != notify.NotFound { // not_found: the first create never reached the store
			t.Errorf("call after the store came up: %v; want not_found", err)
		}
	}
	if n := opens.Load(); n != 2 {
		t.Errorf("%d opens; want 2 (the failed one, then one for all racing calls)", n)
	}
	if err := l.CreateMessage(ctx, m); err != nil {
		t.Fatal(err)
	}
	if got, err := l.Message(ctx, m.ID); err != nil || got.ID != m.ID {
		t.Errorf("Message = %v, %v; want the record", got, err)
	}
}

// TestLazyStoreOpenHangs checks that while an open hangs, each call waits
// for it within its own timeout, not behind the others, that they share
// one open, and that Close cancels it.
func TestLazyStoreOpenHangs(t *testing.T) {
	const timeout = 200 * time.Millisecond
	var opens atomic.Int32
	l := newBoundedStore(config.Config{StoreTimeout: timeout}, func(ctx context.Context) (Store, error) {
		opens.Add(1)
		<-ctx.Done() // a server that never answers
		return nil, ctx.Err()
	})
	var wg sync.WaitGroup
	took := make(chan time.Duration, 16)
	for range cap(took) {
		wg.Go(func() {
			start := time.Now()
			_, err := l.Message(context.Background(), "m")
			if k := notify.KindOf(err); k != notify.Unavailable {
				t.Errorf("call while the open hangs: %v (kind %v); want kind unavailable", err, k)
			}
			took <- time.Since(start)
		})
	}
	wg.Wait()
	close(took)
	for d := range took {
		if d > 5*timeout {
			t.Errorf("a call gave up after %v; want about %v", d, timeout)
		}
	}
	if n := opens.Load(); n != 1 {
		t.Errorf("%d opens; want 1, shared by every call", n)
	}
	done := make(chan error, 1)
	go func() { done <- l.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(minOpenTime / 2):
		t.Fatal("Close waited for the hung open to time out; want it cancelled")
	}
	if _, err := l.Message(context.Background(), "m"); notify.KindOf(err) != notify.Unavailable {
		t.Errorf("call after Close: %v; want kind unavailable", err)
	}
	if n := opens.Load(); n != 1 {
		t.Errorf("%d opens after Close; want none more", n)
	}
}

// TestLazyStoreRefusesUnknownStores checks that a URL this build cannot
// open is refused at once, without I/O.
func TestLazyStoreRefusesUnknownStores(t *testing.T) {
	for _, url := range []string{"mysql://x", "sqlite:"} {
		if _, err := LazyStore(config.Config{DatabaseURL: url}); err == nil {
			t.Errorf("LazyStore(%q) = nil error; want one", url)
		}
	}
	if _, err := LazyStore(config.Config{DatabaseURL: "postgres://nobody@127.0.0.1:1/none"}); err != nil {
		t.Errorf("LazyStore(postgres://...) = %v; want no error and no connection", err)
	}
}

// TestCloudPool: on Lambda and FC a PostgreSQL URL without pool_max_conns
// gets CloudPoolSize; one that sets it, and every local run, are left alone.
func TestCloudPool(t *testing.T) {
	const u = "postgres://notify:pw@db.internal:5432/notify?sslmode=require"
	for _, tt := range []struct {
		url  string
		rt   platform.Runtime
		want string
	}{
		{u, platform.Lambda, "pool_max_conns=2"},
		{u, platform.FC, "pool_max_conns=2"},
		{u, platform.Local, ""},
		{u + "&pool_max_conns=5", platform.Lambda, "pool_max_conns=5"},
	} {
		got := cloudPool(tt.url, tt.rt)
		if tt.want == "" && got != tt.url || tt.want != "" && !strings.Contains(got, tt.want) {
			t.Errorf("cloudPool(%q, %s) = %q; want %q in it", tt.url, tt.rt, got, tt.want)
		}
		if !strings.Contains(got, "sslmode=require") || !strings.Contains(got, "notify:pw@db.internal:5432/notify") {
			t.Errorf("cloudPool(%q, %s) = %q lost part of the URL", tt.url, tt.rt, got)
		}
	}
}
