package postgres_test

import (
	"testing"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/storetest"
)

func TestLimitsContract(t *testing.T) {
	storetest.RunLimits(t, func(t *testing.T) notify.LimitStore { return open(t, pg.Database(t)) })
}

func TestQuotaCreatorContract(t *testing.T) {
	storetest.RunQuotaCreator(t, func(t *testing.T) notify.Store { return open(t, pg.Database(t)) })
}

// TestLimitsTwoStores races takes of one quota through two Stores, two
// pools on one database, as two function instances would: only the
// database's row locks keep their counts apart.
func TestLimitsTwoStores(t *testing.T) {
	url := pg.Database(t)
	storetest.RaceQuotas(t, open(t, url), open(t, url))
}

// TestLimitsSweep is storetest.CheckSweeps: which takes delete the
// windows that ended.
func TestLimitsSweep(t *testing.T) {
	url := pg.Database(t)
	storetest.CheckSweeps(t, open(t, url), open(t, url), func(t *testing.T) int {
		var n int
		if err := connect(t, url).QueryRow(t.Context(), `SELECT count(*) FROM quotas`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	})
}

// BenchmarkTakeQuotas is storetest.BenchTakeQuotas: one transaction of
// two round trips (begin and the batch, then commit).
func BenchmarkTakeQuotas(b *testing.B) { storetest.BenchTakeQuotas(b, open(b, pg.Database(b))) }

// TestLimitsExecModes runs the contract in pgx's other ways of sending a
// statement: a pooler in transaction mode needs exec (see the package
// doc), and simple_protocol sends a batch as one multi-statement query.
func TestLimitsExecModes(t *testing.T) {
	for _, mode := range []string{"exec", "simple_protocol"} {
		t.Run(mode, func(t *testing.T) {
			storetest.RunLimits(t, func(t *testing.T) notify.LimitStore {
				return open(t, pg.Database(t)+"&default_query_exec_mode="+mode)
			})
		})
	}
}
