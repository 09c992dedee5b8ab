package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/postgres"
)

// The group commit's tests through the Store's methods; group_internal_test.go
// has those of the groups themselves.

// sendMessage returns an accepted message with id, created now.
func sendMessage(id string) *notify.Message {
	now := time.Now().UTC()
	return &notify.Message{ID: id, GroupID: "ops", Channel: notify.SMS, Recipients: []string{"13800138000"},
		Template: "SMS_1", Params: `{}`, Provider: "sandbox", Status: notify.Accepted, CreatedAt: now, UpdatedAt: now}
}

// holdRow locks the rows sql selects FOR UPDATE in a transaction of
// another connection, as an instance frozen in the middle of a write would
// hold them, until the test ends or release is called.
func holdRow(t *testing.T, url, sql string) (release func()) {
	t.Helper()
	tx, err := connect(t, url).Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	release = func() { tx.Rollback(context.Background()) }
	t.Cleanup(release)
	if _, err := tx.Exec(t.Context(), sql); err != nil {
		t.Fatal(err)
	}
	return release
}

// TestHeldRowHoldsUpOnlyItsSend: a send whose quota's row another
// instance holds waits for it, and a send made meanwhile that wants no
// held row is recorded at once. (When a group of one ran its write in the
// groups' goroutine, the second waited behind the first until its
// deadline.)
func TestHeldRowHoldsUpOnlyItsSend(t *testing.T) {
	url := pg.Database(t)
	st := open(t, url)
	now := time.Now().UTC()
	held := []notify.Quota{{Key: "held", Max: 100, Window: time.Hour}}
	if refused, _, err := st.TakeQuotas(t.Context(), now, held); err != nil || refused >= 0 {
		t.Fatalf("TakeQuotas = %d, %v", refused, err)
	}
	release := holdRow(t, url, `SELECT * FROM quotas WHERE key = 'held' FOR UPDATE`)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	waiting := make(chan error, 1)
	go func() {
		_, _, err := st.CreateMessageTakingQuotas(ctx, sendMessage("waits"), now, held)
		waiting <- err
	}()
	time.Sleep(300 * time.Millisecond) // it waits for the row

	free, cancelFree := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancelFree()
	refused, _, err := st.CreateMessageTakingQuotas(free, sendMessage("free"), now,
		[]notify.Quota{{Key: "n:free", Max: 5, Window: time.Hour}})
	if err != nil || refused != -1 {
		t.Errorf("a send that wants no held row = %d, %v; want it recorded at once", refused, err)
	}
	release()
	if err := <-waiting; err != nil {
		t.Errorf("the send that waited for the row: %v", err)
	}
}

// TestHeldRowHoldsUpOnlyItsOutcome: the same for outcomes, with the
// message's row held.
func TestHeldRowHoldsUpOnlyItsOutcome(t *testing.T) {
	url := pg.Database(t)
	st := open(t, url)
	for _, id := range []string{"held", "free"} {
		if err := st.CreateMessage(t.Context(), sendMessage(id)); err != nil {
			t.Fatal(err)
		}
	}
	release := holdRow(t, url, `SELECT * FROM messages WHERE id = 'held' FOR UPDATE`)
	outcome := func(pid string) notify.Outcome {
		return notify.Outcome{Status: notify.Submitted, Provider: "sandbox", ProviderID: pid, At: time.Now()}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	waiting := make(chan error, 1)
	go func() { waiting <- st.FinishMessage(ctx, "held", outcome("p-held")) }()
	time.Sleep(300 * time.Millisecond)

	free, cancelFree := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancelFree()
	if err := st.FinishMessage(free, "free", outcome("p-free")); err != nil {
		t.Errorf("an outcome that wants no held row: %v; want it written at once", err)
	}
	release()
	if err := <-waiting; err != nil {
		t.Errorf("the outcome that waited for the row: %v", err)
	}
}

// TestGroupsUnderLoad: rounds of 80 sends at once from three instances
// (one per exec mode) on one database, some with an id taken twice or a
// queue key held several times, all sharing a quota with room for 25 and
// each taking one of five per-number quotas. Every send answered
// recorded is, no other is, and the quotas count exactly the records;
// then their outcomes, at once, are each written.
func TestGroupsUnderLoad(t *testing.T) {
	url := pg.Database(t)
	groupsUnderLoad(t, url, open(t, url), open(t, url+"&default_query_exec_mode=exec"),
		open(t, url+"&default_query_exec_mode=simple_protocol"))
}

// groupsUnderLoad is TestGroupsUnderLoad's rounds, sent through stores in
// turn, on the database at url.
func groupsUnderLoad(t *testing.T, url string, stores ...*postgres.Store) {
	ctx := t.Context()
	db := connect(t, url)
	sum := func(pattern string) int {
		var n int
		if err := db.QueryRow(ctx, `SELECT coalesce(sum(uses), 0) FROM quotas WHERE key LIKE $1`, pattern).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	now := time.Now().UTC()
	const n, max = 80, 25
	for round := range 3 {
		recorded := make([]bool, n)
		ids := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			ids[i] = fmt.Sprintf("r%d-m%02d", round, i)
			if i%10 == 9 {
				ids[i] = ids[i-1] // taken twice
			}
			wg.Go(func() {
				m := sendMessage(ids[i])
				if i%7 == 3 {
					m.QueueKey = fmt.Sprintf("r%d-q%d", round, i%2) // held several times
				}
				qs := []notify.Quota{
					{Key: fmt.Sprintf("r%d-shared", round), Max: max, Window: time.Hour},
					{Key: fmt.Sprintf("r%d-n%d", round, i%5), Max: 10, Window: time.Hour},
				}
				refused, _, err := stores[i%len(stores)].CreateMessageTakingQuotas(ctx, m, now, qs)
				switch r := notify.AsError(err); {
				case err == nil:
					recorded[i] = refused == -1
				case r == nil || (r.Reason != notify.ReasonDuplicateID && r.Reason != notify.ReasonDuplicateQueueMessage):
					t.Errorf("%s: %v", ids[i], err)
				}
			})
		}
		wg.Wait()
		answered := map[string]bool{}
		for i, ok := range recorded {
			if ok && answered[ids[i]] {
				t.Errorf("%s answered recorded twice", ids[i])
			}
			answered[ids[i]] = answered[ids[i]] || ok
		}
		rows, err := db.Query(ctx, `SELECT id FROM messages WHERE id LIKE $1`, fmt.Sprintf("r%d-%%", round))
		if err != nil {
			t.Fatal(err)
		}
		var found int
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			found++
			if !answered[id] {
				t.Errorf("%s is recorded, and was answered not", id)
			}
		}
		rows.Close()
		want := 0
		for _, ok := range answered {
			if ok {
				want++
			}
		}
		if found != want {
			t.Errorf("round %d: %d records, %d answered recorded", round, found, want)
		}
		if shared := sum(fmt.Sprintf("r%d-shared", round)); shared != found || shared != max {
			t.Errorf("round %d: shared quota at %d, %d records; want both %d", round, shared, found, max)
		}
		if per := sum(fmt.Sprintf("r%d-n%%", round)); per != found {
			t.Errorf("round %d: per-number quotas at %d, %d records", round, per, found)
		}
		// The outcomes of the records, at once.
		var outcomes sync.WaitGroup
		i := 0
		for id, ok := range answered {
			if !ok {
				continue
			}
			st := stores[i%len(stores)]
			i++
			outcomes.Go(func() {
				err := st.FinishMessage(ctx, id, notify.Outcome{Status: notify.Submitted, Provider: "sandbox",
					ProviderID: "p-" + id, At: now})
				if err != nil {
					t.Errorf("finish %s: %v", id, err)
					return
				}
				if m, err := st.Message(ctx, id); err != nil || m.Status != notify.Submitted || m.ProviderID != "p-"+id {
					t.Errorf("%s after its outcome: %+v, %v", id, m, err)
				}
			})
		}
		outcomes.Wait()
	}
	// The writes came together, so some were written in groups of more
	// than one.
	var records, outcomes int64
	for _, st := range stores {
		r, o := st.Groups()
		records, outcomes = records+r, outcomes+o
	}
	if records >= 3*n || outcomes >= 3*max {
		t.Errorf("%d groups of records for %d records, %d groups of outcomes for %d outcomes: no write shared a group",
			records, 3*n, outcomes, 3*max)
	}
}
