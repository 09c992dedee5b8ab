package postgres_test

import (
	"sync"
	"testing"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/storetest"
)

// saasDBs knows the database of each store the SaaS tests open, for
// ledgerSum to read it under the store.
type saasDBs struct{ urls sync.Map } // notify.Store -> string

// open opens a store on url.
func (d *saasDBs) open(t *testing.T, url string) notify.Store {
	st := open(t, url)
	d.urls.Store(notify.Store(st), url)
	return st
}

// ledgerSum sums the units of a station's ledger rows, through a
// connection of its own.
func (d *saasDBs) ledgerSum(t *testing.T, st notify.Store, group, station string) int64 {
	t.Helper()
	url, ok := d.urls.Load(st)
	if !ok {
		t.Fatal("ledgerSum of a store the test did not open")
	}
	var sum int64
	err := connect(t, url.(string)).QueryRow(t.Context(),
		`SELECT COALESCE(sum(units), 0)::bigint FROM saas_ledger WHERE group_id = $1 AND station_id = $2`,
		group, station).Scan(&sum)
	if err != nil {
		t.Fatalf("sum the ledger of %s, %s: %v", group, station, err)
	}
	return sum
}

func TestSaaSContract(t *testing.T) {
	var dbs saasDBs
	storetest.RunSaaS(t, func(t *testing.T) notify.Store { return dbs.open(t, pg.Database(t)) }, dbs.ledgerSum)
}

// TestSaaSTwoStores races starts of one station's tasks, and one
// recharge, through two Stores on one database, as two function
// instances would: only the database's locks keep the balance right.
func TestSaaSTwoStores(t *testing.T) {
	var dbs saasDBs
	url := pg.Database(t)
	storetest.RaceSaaS(t, dbs.open(t, url), dbs.open(t, url), dbs.ledgerSum)
}

// TestSaaSExecMode runs the contract with each statement sent unprepared,
// as behind a pooler in transaction mode (docs/stores.md).
func TestSaaSExecMode(t *testing.T) {
	var dbs saasDBs
	storetest.RunSaaS(t, func(t *testing.T) notify.Store {
		return dbs.open(t, pg.Database(t)+"&default_query_exec_mode=exec")
	}, dbs.ledgerSum)
}

// BenchmarkStart is storetest.BenchStart: BenchmarkCreateFinish's work,
// and the start of a task that spends a unit, in a transaction of two
// round trips.
func BenchmarkStart(b *testing.B) { storetest.BenchStart(b, open(b, pg.Database(b))) }
