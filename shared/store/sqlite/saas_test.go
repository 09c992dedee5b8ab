package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/sqlite"
	"github.com/seed4ddb146e/notify/shared/store/storetest"
)

// ledgerSum sums a station's ledger under the Store.
func ledgerSum(t *testing.T, st notify.Store, group, station string) int64 {
	t.Helper()
	sum, err := st.(*sqlite.Store).LedgerSum(t.Context(), group, station)
	if err != nil {
		t.Fatalf("sum the ledger of %s, %s: %v", group, station, err)
	}
	return sum
}

func TestSaaSContract(t *testing.T) {
	storetest.RunSaaS(t, func(t *testing.T) notify.Store {
		return openFile(t, filepath.Join(t.TempDir(), "notify.db"))
	}, ledgerSum)
}

func TestSaaSContractMemory(t *testing.T) {
	storetest.RunSaaS(t, func(t *testing.T) notify.Store { return openFile(t, ":memory:") }, ledgerSum)
}

// TestSaaSTwoStores races starts of one station's tasks, and one
// recharge, through two Stores on one file, as two function instances
// sharing a disk would: only the IMMEDIATE transactions keep the balance
// right.
func TestSaaSTwoStores(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify.db")
	storetest.RaceSaaS(t, openFile(t, path), openFile(t, path), ledgerSum)
}

// BenchmarkStart is storetest.BenchStart: BenchmarkCreateFinish's work,
// with the create a transaction that also links a task and spends a unit.
func BenchmarkStart(b *testing.B) {
	storetest.BenchStart(b, openFile(b, filepath.Join(b.TempDir(), "notify.db")))
}
