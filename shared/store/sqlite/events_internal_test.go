package sqlite

import (
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// TestPurgedEventNotWrittenAgain: a delivered event deleted after
// notify.KeepDelivered is not written again, and so not delivered again,
// when a later report of its message (another recipient's, as a status
// query may record days later) writes that message's events.
func TestPurgedEventNotWrittenAgain(t *testing.T) {
	ctx := t.Context()
	s, _ := openFile(t)
	sent := time.Now().Add(-8 * 24 * time.Hour)
	m := &notify.Message{ID: notify.NewID(sent), GroupID: "ops", Channel: notify.SMS,
		Recipients: []string{"13800138000", "13900139000"}, Provider: "aliyun", Status: notify.Submitted,
		ProviderID: "900619746936498440^0", CreatedAt: sent, UpdatedAt: sent, Webhook: true}
	if err := s.CreateMessage(ctx, m); err != nil {
		t.Fatal(err)
	}
	report := func(rcpt string) {
		t.Helper()
		if _, err := s.RecordReport(ctx, notify.Report{Provider: "aliyun", Channel: notify.SMS, ProviderID: m.ProviderID,
			Recipient: rcpt, Status: notify.Delivered, Code: "DELIVERED"}); err != nil {
			t.Fatal(err)
		}
	}
	report(m.Recipients[0])
	evs, err := s.ClaimEvents(ctx, time.Now(), time.Minute, 10)
	if err != nil || len(evs) != 1 {
		t.Fatalf("ClaimEvents = %+v, %v; want the first recipient's event", evs, err)
	}
	if err := s.FinishEvent(ctx, evs[0].ID, notify.Attempt{At: time.Now(), Status: 204}); err != nil {
		t.Fatal(err)
	}
	// Eight days pass: the report and the delivery are that old.
	old := formatTime(sent.Add(time.Minute))
	if _, err := s.db.ExecContext(ctx, `UPDATE reports SET received_at = $1`, old); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE events SET happened_at = $1, done_at = $1`, old); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if n, err := s.Purge(ctx, notify.Purge{Now: now, DeliveredBefore: now.Add(-notify.KeepDelivered),
		MessagesBefore: now.Add(-notify.DefaultRetention), Limit: 100}); err != nil || n.Events != 1 {
		t.Fatalf("Purge = %+v, %v; want the delivered event deleted", n, err)
	}
	report(m.Recipients[1])
	evs = nil
	for _, e := range messageEventsOf(t, s, m.ID) {
		if e.State == notify.EventPending {
			evs = append(evs, e)
		}
	}
	if len(evs) != 1 || evs[0].Recipient != m.Recipients[1] {
		t.Errorf("pending events after the second recipient's report = %+v; want its own alone", evs)
	}
}

func messageEventsOf(t *testing.T, s *Store, id string) []notify.Event {
	t.Helper()
	evs, err := s.MessageEvents(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}
