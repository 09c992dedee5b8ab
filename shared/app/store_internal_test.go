package app

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/config"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/platform"
)

// TestLazyStore checks that the store is not opened, nor its file made,
// before the first call, and that a call opens it.
func TestLazyStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify.db")
	st, err := LazyStore(config.Config{DatabaseURL: "sqlite:" + path})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the database file before any call: %v; want none", err)
	}
	if _, err := st.Message(t.Context(), "m"); notify.KindOf(err) != notify.NotFound {
		t.Fatalf("first call: %v; want not_found from an opened store", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the database file after the first call: %v", err)
	}
}

// TestOpenStoreIsNotBoundedByTheStoreTimeout: OpenStore (notify migrate,
// the local server) waits for the open, migrations included, as long as
// it takes, whatever NOTIFY_STORE_TIMEOUT says; the calls after it are
// bounded.
func TestOpenStoreIsNotBoundedByTheStoreTimeout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify.db")
	st, err := OpenStore(t.Context(), config.Config{DatabaseURL: "sqlite:" + path, StoreTimeout: time.Nanosecond})
	if err != nil {
		t.Fatalf("OpenStore with a store timeout of 1ns: %v; want the store open", err)
	}
	defer st.Close()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the database file: %v", err)
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
