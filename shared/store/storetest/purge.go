package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// RacePurge runs purges at once through stores (two Stores on one
// database stand for the scheduled work of two function instances, or a
// slow run overlapping the next tick), in small batches, over old
// messages that each have a report, while a late report of each comes, and
// fails t unless every message went with its reports: a purge that deleted a batch of messages without their
// reports would leave reports that name a message no longer kept, which
// no later purge deletes (they are not orphans), and the phone numbers in
// them would outlive the retention.
func RacePurge(t *testing.T, stores ...notify.Store) {
	t.Helper()
	const (
		rounds   = 5
		messages = 40
		limit    = 4
		workers  = 2 // per store
	)
	ctx := context.Background()
	now := time.Now().UTC()
	p := notify.Purge{Now: now, DeliveredBefore: now.Add(-notify.KeepDelivered), MessagesBefore: now.Add(-notify.DefaultRetention),
		Limit: limit}
	for round := range rounds {
		var (
			ids, pids []string
			rcpt      string
		)
		for i := range messages {
			at := now.Add(-200*24*time.Hour + time.Duration(round*messages+i)*time.Second)
			m := newMessage()
			m.ID, m.CreatedAt, m.UpdatedAt, m.Recipients = notify.NewID(at), at, at, m.Recipients[:1]
			if err := stores[0].CreateMessage(ctx, m); err != nil {
				t.Fatal(err)
			}
			pid := fmt.Sprintf("purge-%d-%d", round, i)
			if err := stores[0].FinishMessage(ctx, m.ID, notify.Outcome{Status: notify.Submitted, Provider: "aliyun",
				ProviderID: pid, At: at}); err != nil {
				t.Fatal(err)
			}
			if _, err := stores[0].RecordReport(ctx, notify.Report{Provider: "aliyun", Channel: notify.SMS, ProviderID: pid,
				Recipient: m.Recipients[0], Status: notify.Delivered, Code: "DELIVERED"}); err != nil {
				t.Fatal(err)
			}
			ids, pids, rcpt = append(ids, m.ID), append(pids, pid), m.Recipients[0]
		}
		var (
			wg      sync.WaitGroup
			start   = make(chan struct{})
			mu      sync.Mutex
			deleted int64
		)
		for i := range len(stores) * workers {
			st := stores[i%len(stores)]
			wg.Go(func() {
				<-start
				for {
					got, err := st.Purge(ctx, p)
					if err != nil {
						t.Errorf("round %d: Purge on store %d: %v", round, i%len(stores), err)
						return
					}
					mu.Lock()
					deleted += got.Messages
					mu.Unlock()
					if got.Messages == 0 && got.Reports == 0 {
						return
					}
				}
			})
		}
		// A late report of each message races the purges: it comes
		// before its message is deleted, and goes with it, or after,
		// and is an orphan.
		for i := range stores {
			st := stores[i]
			wg.Go(func() {
				<-start
				for j := i; j < len(pids); j += len(stores) {
					if _, err := st.RecordReport(ctx, notify.Report{Provider: "aliyun", Channel: notify.SMS,
						ProviderID: pids[j], Recipient: rcpt, Status: notify.Failed, Code: "LATE"}); err != nil {
						t.Errorf("round %d: RecordReport on store %d: %v", round, i, err)
					}
				}
			})
		}
		close(start)
		wg.Wait()
		// A purge that found every message it would take locked by a
		// report stopped early: what is left goes now.
		for {
			got, err := stores[0].Purge(ctx, p)
			if err != nil {
				t.Fatalf("round %d: Purge: %v", round, err)
			}
			if deleted += got.Messages; got.Messages == 0 && got.Reports == 0 {
				break
			}
		}
		if deleted != messages {
			t.Errorf("round %d: the purges deleted %d messages in all; want %d", round, deleted, messages)
		}
		left := 0
		for _, id := range ids {
			if _, err := stores[0].Message(ctx, id); notify.KindOf(err) != notify.NotFound {
				t.Errorf("round %d: message %s after the purges: %v; want not_found", round, id, err)
			}
			rs, err := stores[0].Reports(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			left += len(rs)
		}
		if left > 0 {
			t.Fatalf("round %d: %d of the %d reports of purged messages are left, naming messages no longer kept", round, left, messages)
		}
	}
}
