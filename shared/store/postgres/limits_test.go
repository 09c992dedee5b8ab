package postgres_test

import (
	"fmt"
	"testing"
	"time"

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

// TestLimitsSweep checks that takes delete the windows that ended, of any
// key, so that the numbers sent to once do not stay in the table.
func TestLimitsSweep(t *testing.T) {
	url := pg.Database(t)
	st := open(t, url)
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
	if err := connect(t, url).QueryRow(t.Context(), `SELECT count(*) FROM quotas`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("quotas holds %d rows after the sweeps, want 1 (the group's live day)", n)
	}
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
