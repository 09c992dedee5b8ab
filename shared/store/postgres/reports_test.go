package postgres_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/storetest"
)

func TestIdempotencyContract(t *testing.T) {
	storetest.RunIdempotency(t, func(t *testing.T) notify.IdempotencyStore { return open(t, pg.Database(t)) })
}

func TestReportsContract(t *testing.T) {
	storetest.RunReports(t, func(t *testing.T) notify.Store { return open(t, pg.Database(t)) })
}

// TestReportsRecipientsConcurrent pushes the delivered reports of every
// recipient of one message at once: each report's transaction must see
// those committed before it (the message row is locked), so the last one
// settles the message whatever the order.
func TestReportsRecipientsConcurrent(t *testing.T) {
	st := open(t, pg.Database(t))
	at := time.Date(2026, 5, 20, 9, 30, 0, 0, time.UTC)
	recipients := make([]string, 8)
	for i := range recipients {
		recipients[i] = fmt.Sprintf("1380013800%d", i)
	}
	m := &notify.Message{ID: notify.NewID(at), GroupID: "ops", Channel: notify.SMS, Recipients: recipients,
		Provider: "aliyun", Status: notify.Submitted, ProviderID: "900619746936498440^0", CreatedAt: at, UpdatedAt: at}
	if err := st.CreateMessage(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	var (
		wg       sync.WaitGroup
		start    = make(chan struct{})
		statuses = make([]notify.Status, len(recipients))
	)
	for i, rcpt := range recipients {
		wg.Go(func() {
			<-start
			res, err := st.RecordReport(t.Context(), notify.Report{Provider: "aliyun", Channel: notify.SMS,
				ProviderID: m.ProviderID, Recipient: rcpt, Status: notify.Delivered, Code: "DELIVERED"})
			if err != nil || res.MessageID != m.ID || res.Duplicate {
				t.Errorf("report of %s: RecordReport = %+v, %v; want it recorded for %s", rcpt, res, err, m.ID)
			}
			statuses[i] = res.Status
		})
	}
	close(start)
	wg.Wait()
	if n := len(slices.DeleteFunc(slices.Clone(statuses), func(s notify.Status) bool { return s != notify.Delivered })); n != 1 {
		t.Errorf("statuses after each report = %q, want exactly one delivered (the last)", statuses)
	}
	got, err := st.Message(t.Context(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != notify.Delivered {
		t.Errorf("status after every recipient's delivered report = %q, want %q", got.Status, notify.Delivered)
	}
}

func TestFindMessages(t *testing.T) {
	st := open(t, pg.Database(t))
	day := time.Date(2026, 5, 19, 16, 0, 0, 0, time.UTC) // 2026-05-20 in China
	mk := func(id, group string, ch notify.Channel, pid string, at time.Time, rcpt ...string) {
		t.Helper()
		m := &notify.Message{ID: id, GroupID: group, Channel: ch, Recipients: rcpt, Provider: "aliyun",
			Status: notify.Submitted, ProviderID: pid, CreatedAt: at, UpdatedAt: at}
		if err := st.CreateMessage(t.Context(), m); err != nil {
			t.Fatalf("CreateMessage(%s): %v", id, err)
		}
	}
	mk("a", "ops", notify.SMS, "p1", day.Add(time.Hour), "13800138000")
	mk("b", "ops", notify.SMS, "p2", day.Add(2*time.Hour), "13800138000", "13900139000")
	mk("c", "ops", notify.SMS, "", day.Add(3*time.Hour), "13900139000")
	mk("d", "ops", notify.Voice, "p4", day.Add(4*time.Hour), "13800138000")
	mk("e", "other", notify.SMS, "p5", day.Add(5*time.Hour), "13800138000")
	mk("f", "ops", notify.SMS, "p6", day.Add(-time.Millisecond), "13800138000")
	mk("g", "ops", notify.SMS, "p7", day.Add(24*time.Hour), "13800138000")
	mk("h", "ops", notify.SMS, "p8", day.Add(6*time.Hour), `138001380%`, `13800138000"]`)
	for _, tt := range []struct {
		name  string
		q     notify.MessageQuery
		ids   []string
		total int
	}{
		{"by id", notify.MessageQuery{MessageID: "b"}, []string{"b"}, 1},
		{"by id of another channel", notify.MessageQuery{MessageID: "d"}, nil, 0},
		{"by provider id", notify.MessageQuery{ProviderID: "p2"}, []string{"b"}, 1},
		{"by recipient and day", notify.MessageQuery{Recipient: "13800138000", From: day, To: day.Add(24 * time.Hour)},
			[]string{"b", "a"}, 2},
		{"recipient elements whole", notify.MessageQuery{Recipient: "1380013800", From: day, To: day.Add(24 * time.Hour)},
			nil, 0},
		{"recipient with LIKE's and JSON's characters", notify.MessageQuery{Recipient: `138001380%`}, []string{"h"}, 1},
		{"recipient with a quote", notify.MessageQuery{Recipient: `13800138000"]`}, []string{"h"}, 1},
		{"every day", notify.MessageQuery{Recipient: "13800138000"}, []string{"g", "b", "a", "f"}, 4},
		{"page", notify.MessageQuery{Recipient: "13800138000", Limit: 2, Offset: 1}, []string{"b", "a"}, 4},
		{"past the end", notify.MessageQuery{Recipient: "13800138000", Limit: 2, Offset: 4}, nil, 4},
	} {
		t.Run(tt.name, func(t *testing.T) {
			q := tt.q
			if q.GroupID == "" {
				q.GroupID = "ops"
			}
			if q.Channel == "" {
				q.Channel = notify.SMS
			}
			if q.Limit == 0 {
				q.Limit = 10
			}
			ms, total, err := st.FindMessages(t.Context(), q)
			if err != nil {
				t.Fatalf("FindMessages: %v", err)
			}
			var ids []string
			for _, m := range ms {
				ids = append(ids, m.ID)
			}
			if !slices.Equal(ids, tt.ids) || total != tt.total {
				t.Errorf("FindMessages = %q, %d; want %q, %d", ids, total, tt.ids, tt.total)
			}
		})
	}
}

// BenchmarkRecordReport is storetest.BenchRecordReport.
func BenchmarkRecordReport(b *testing.B) {
	storetest.BenchRecordReport(b, func(b *testing.B) notify.Store { return open(b, pg.Database(b)) })
}

// TestLostOutcomeTwoStores races a lost outcome and a report of the
// message through two Stores on one database (storetest.RaceLostOutcome).
func TestLostOutcomeTwoStores(t *testing.T) {
	url := pg.Database(t)
	storetest.RaceLostOutcome(t, open(t, url), open(t, url))
}
