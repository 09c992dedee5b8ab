package sqlite_test

import (
	"path/filepath"
	"testing"

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

// TestLimitsSweep is storetest.CheckSweeps: which takes delete the
// windows that ended.
func TestLimitsSweep(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify.db")
	storetest.CheckSweeps(t, openFile(t, path), openFile(t, path), func(t *testing.T) int {
		var n int
		if err := rawDB(t, path).QueryRow(`SELECT count(*) FROM quotas`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	})
}

// BenchmarkTakeQuotas is storetest.BenchTakeQuotas: one IMMEDIATE
// transaction.
func BenchmarkTakeQuotas(b *testing.B) {
	storetest.BenchTakeQuotas(b, openFile(b, filepath.Join(b.TempDir(), "notify.db")))
}
