package sqlite_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/storetest"
)

func TestLimitsContract(t *testing.T) {
	storetest.RunLimits(t, func(t *testing.T) notify.LimitStore {
		return openFile(t, filepath.Join(t.TempDir(), "notify.db"))
	})
}

func TestQuotaCreatorContract(t *testing.T) {
	storetest.RunQuotaCreator(t, func(t *testing.T) notify.Store {
		return openFile(t, filepath.Join(t.TempDir(), "notify.db"))
	})
}

func TestLimitsContractMemory(t *testing.T) {
	storetest.RunLimits(t, func(t *testing.T) notify.LimitStore { return openFile(t, ":memory:") })
}

// TestLimitsTwoStores races takes of one quota through two Stores on one
// file, as two function instances sharing a disk would: each has its own
// connection, so only the IMMEDIATE transaction keeps their counts apart.
func TestLimitsTwoStores(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify.db")
	storetest.RaceQuotas(t, openFile(t, path), openFile(t, path))
}

// TestLimitsSweep checks that takes delete the windows that ended, of any
// key, so that the numbers sent to once do not stay in the table.
func TestLimitsSweep(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify.db")
	st := openFile(t, path)
	at := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	for i := range 50 {
		q := notify.Quota{Key: fmt.Sprintf("sms:verification:ops:1380013%04d:m", i), Max: 1, Window: time.Minute}
		if refused, _, err := st.TakeQuotas(t.Context(), at.Add(time.Duration(i)*time.Second), []notify.Quota{q}); err != nil || refused != -1 {
			t.Fatalf("take %d: TakeQuotas = %d, %v", i, refused, err)
		}
	}
	// Two minutes later every window above has ended; each take of one
	// quota sweeps up to two of them.
	later := at.Add(3 * time.Minute)
	q := notify.Quota{Key: "group:ops:d", Max: 1000, Window: 24 * time.Hour}
	for i := range 30 {
		if refused, _, err := st.TakeQuotas(t.Context(), later, []notify.Quota{q}); err != nil || refused != -1 {
			t.Fatalf("take %d after: TakeQuotas = %d, %v", i, refused, err)
		}
	}
	var n int
	if err := rawDB(t, path).QueryRow(`SELECT count(*) FROM quotas`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("quotas holds %d rows after the sweeps, want 1 (the group's live day)", n)
	}
}

// BenchmarkTakeQuotas is storetest.BenchTakeQuotas: one IMMEDIATE
// transaction.
func BenchmarkTakeQuotas(b *testing.B) {
	storetest.BenchTakeQuotas(b, openFile(b, filepath.Join(b.TempDir(), "notify.db")))
}
