package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// RaceLostOutcome races, through stores (two Stores on one database stand
// for two function instances), the two writes that may settle a message
// whose send never recorded its outcome: one instance's reconciliation,
// which found nothing and records the outcome lost (unknown), and a report
// of the message by our id (another instance's lookup, or the provider's
// push naming it by its OutId). Whichever comes first, the message ends
// as its report says: a report is the provider's word, and a message
// left unknown beside it would be asked about again and again, its report
// each time a duplicate that changes nothing.
func RaceLostOutcome(t *testing.T, stores ...notify.Store) {
	t.Helper()
	const rounds = 100
	ctx := context.Background()
	wrong := 0
	for round := range rounds {
		at := time.Now().Add(-10 * time.Minute)
		m := newMessage()
		m.ID, m.CreatedAt, m.UpdatedAt, m.Recipients, m.OutID = notify.NewID(at), at, at, m.Recipients[:1], ""
		if err := stores[0].CreateMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
		status, code := notify.Delivered, "DELIVERED"
		if round%2 == 1 {
			status, code = notify.Failed, "IS_CLOSE"
		}
		var (
			wg    sync.WaitGroup
			start = make(chan struct{})
		)
		wg.Go(func() {
			<-start
			if err := stores[round%len(stores)].FinishMessage(ctx, m.ID, notify.Outcome{Status: notify.Unknown,
				Provider: m.Provider, ErrorCode: "outcome_lost", ErrorText: "lost", At: time.Now()}); err != nil {
				t.Errorf("round %d: FinishMessage: %v", round, err)
			}
		})
		wg.Go(func() {
			<-start
			if _, err := stores[(round+1)%len(stores)].RecordReport(ctx, notify.Report{MessageID: m.ID, Provider: m.Provider,
				Channel: m.Channel, ProviderID: "lookup:" + m.ID, Recipient: m.Recipients[0], Status: status, Code: code}); err != nil {
				t.Errorf("round %d: RecordReport: %v", round, err)
			}
		})
		close(start)
		wg.Wait()
		got, err := stores[0].Message(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != status {
			if wrong++; wrong <= 3 {
				t.Errorf("round %d: a lost outcome raced a %s report of the message: the message is %s; want %s",
					round, status, got.Status, status)
			}
		}
	}
	if wrong > 0 {
		t.Errorf("%d of %d messages did not end as their report said", wrong, rounds)
	}
}
