package storetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// RunEvents runs the contract of the outbox (notify.EventStore) and the
// scheduled work's reads and deletes (notify.ScheduledStore) against
// stores from open:
//
//   - A message of a group with a webhook (Message.Webhook) gets one event
//     per final report (message.delivered, message.failed) and, when it
//     is finished as failed, one message.failed per recipient without a
//     final report, written with the change; a duplicate report, or
//     finishing it again, writes none. A refused one (Outcome.Refused) and
//     other messages get none.
//   - A reply with a GroupID gets a reply.received event, once.
//   - ClaimEvents leases due events: a claimed event is not claimed again
//     before its lease ends, and is after it, an attempt more; concurrent
//     claims get disjoint events. FinishEvent records a delivery, a retry
//     at NextAt, or death.
//   - ClaimUnsettled returns the unsettled, non-sandbox messages created in
//     its window, once per window, those never claimed before those
//     claimed longest ago; Purge deletes what expired and nothing else,
//     its cut-offs taken to the millisecond, as the times it compares.
func RunEvents(t *testing.T, open func(t *testing.T) notify.Store) {
	tests := []struct {
		name string
		test func(*testing.T, notify.Store)
	}{
		{"FailureEvents", testFailureEvents},
		{"ReportEvents", testReportEvents},
		{"ReplyEvents", testInboundEvents},
		{"ClaimLease", testEventClaimLease},
		{"ClaimConcurrent", testEventClaimConcurrent},
		{"ClaimUnsettled", testClaimUnsettled},
		{"ClaimUnsettledBacklog", testClaimUnsettledBacklog},
		{"Purge", testPurge},
		{"PurgeToTheMillisecond", testPurgeToTheMillisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.test(t, open(t))
		})
	}
}

// hooked is a message of a group with a webhook, submitted to aliyun.
func hooked(t *testing.T, st notify.Store, providerID string) *notify.Message {
	t.Helper()
	m := newMessage()
	m.ID = notify.NewID(time.Now())
	m.Webhook = true
	if err := st.CreateMessage(t.Context(), m); err != nil {
		t.Fatalf("CreateMessage: %v", err)
	}
	if providerID != "" {
		o := notify.Outcome{Status: notify.Submitted, Provider: "aliyun", ProviderID: providerID, At: created}
		if err := st.FinishMessage(t.Context(), m.ID, o); err != nil {
			t.Fatalf("FinishMessage: %v", err)
		}
	}
	return m
}

func messageEvents(t *testing.T, st notify.Store, id string) []notify.Event {
	t.Helper()
	evs, err := st.MessageEvents(t.Context(), id)
	if err != nil {
		t.Fatalf("MessageEvents(%s): %v", id, err)
	}
	return evs
}

func testFailureEvents(t *testing.T, st notify.Store) {
	ctx := t.Context()
	m := hooked(t, st, "")
	o := notify.Outcome{Status: notify.Failed, Provider: "aliyun", ErrorCode: "isv.BUSINESS_LIMIT_CONTROL",
		ErrorText: "触发流控", At: created}
	for range 2 {
		if err := st.FinishMessage(ctx, m.ID, o); err != nil {
			t.Fatalf("FinishMessage: %v", err)
		}
	}
	evs := messageEvents(t, st, m.ID)
	if len(evs) != 2 {
		t.Fatalf("events of a failed message of 2 = %+v; want 2", evs)
	}
	for i, e := range evs {
		if e.Type != notify.EventFailed || e.Status != notify.Failed || e.Code != o.ErrorCode || e.Text != o.ErrorText ||
			e.GroupID != m.GroupID || e.MessageID != m.ID || e.OutID != m.OutID || e.State != notify.EventPending ||
			e.Attempts != 0 || !slices.Contains(m.Recipients, e.Recipient) || e.ID == "" {
			t.Errorf("event %d = %+v; want a pending message.failed of %s for one of %v", i, e, m.ID, m.Recipients)
		}
	}
	if evs[0].Recipient == evs[1].Recipient || evs[0].ID == evs[1].ID {
		t.Errorf("events %+v: want one per recipient, each its own id", evs)
	}

	plain := newMessage()
	plain.ID = notify.NewID(time.Now())
	if err := st.CreateMessage(ctx, plain); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishMessage(ctx, plain.ID, o); err != nil {
		t.Fatal(err)
	}
	if evs := messageEvents(t, st, plain.ID); len(evs) != 0 {
		t.Errorf("events of a message without a webhook = %+v; want none", evs)
	}

	// A message the gateway refused before sending (a code within its
	// cooldown) was answered so: no event.
	refused := hooked(t, st, "")
	ro := notify.Outcome{Status: notify.Failed, Provider: "aliyun", ErrorCode: notify.ReasonCooldown,
		ErrorText: "a code was sent for this number and scene within the cooldown", At: created, Refused: true}
	if err := st.FinishMessage(ctx, refused.ID, ro); err != nil {
		t.Fatal(err)
	}
	if evs := messageEvents(t, st, refused.ID); len(evs) != 0 {
		t.Errorf("events of a refused message = %+v; want none", evs)
	}
}

func testReportEvents(t *testing.T, st notify.Store) {
	ctx := t.Context()
	m := hooked(t, st, "900619746936498440^0")
	report := func(recipient string, status notify.Status, code string) {
		t.Helper()
		r := notify.Report{Provider: "aliyun", Channel: notify.SMS, ProviderID: "900619746936498440^0",
			Recipient: recipient, Status: status, Code: code, At: created}
		if _, err := st.RecordReport(ctx, r); err != nil {
			t.Fatalf("RecordReport: %v", err)
		}
	}
	report(m.Recipients[0], notify.Submitted, "")
	if evs := messageEvents(t, st, m.ID); len(evs) != 0 {
		t.Fatalf("events after an intermediate report = %+v; want none", evs)
	}
	report(m.Recipients[0], notify.Delivered, "DELIVERED")
	report(m.Recipients[0], notify.Delivered, "DELIVERED") // pushed again
	report(m.Recipients[0], notify.Delivered, "DELIVRD")   // said again, in other words (a lookup)
	evs := messageEvents(t, st, m.ID)
	if len(evs) != 1 || evs[0].Type != notify.EventDelivered || evs[0].Recipient != m.Recipients[0] ||
		evs[0].Code != "DELIVERED" || evs[0].ProviderID != "900619746936498440^0" {
		t.Fatalf("events after a delivered report, twice = %+v; want one message.delivered", evs)
	}
	report(m.Recipients[1], notify.Failed, "MOBILE_NOT_ON_SERVICE")
	evs = messageEvents(t, st, m.ID)
	if len(evs) != 2 || evs[1].Type != notify.EventFailed || evs[1].Recipient != m.Recipients[1] {
		t.Fatalf("events after a failed report for the other = %+v; want a message.failed more", evs)
	}
	got, err := st.Message(ctx, m.ID)
	if err != nil || got.Status != notify.Failed {
		t.Fatalf("message = %+v, %v; want failed", got, err)
	}

	// Reports that came before the outcome naming their id: the outcome
	// adopts them, settles the message and writes its events.
	e := hooked(t, st, "")
	for _, rcpt := range e.Recipients {
		if _, err := st.RecordReport(ctx, notify.Report{Provider: "aliyun", Channel: notify.SMS, ProviderID: "early-1",
			Recipient: rcpt, Status: notify.Delivered, Code: "DELIVERED", At: created}); err != nil {
			t.Fatal(err)
		}
	}
	if evs := messageEvents(t, st, e.ID); len(evs) != 0 {
		t.Fatalf("events of orphans = %+v; want none before the outcome", evs)
	}
	if err := st.FinishMessage(ctx, e.ID, notify.Outcome{Status: notify.Submitted, Provider: "aliyun",
		ProviderID: "early-1", At: created}); err != nil {
		t.Fatal(err)
	}
	evs = messageEvents(t, st, e.ID)
	if len(evs) != len(e.Recipients) || evs[0].Type != notify.EventDelivered || evs[1].Type != notify.EventDelivered {
		t.Errorf("events after the outcome of a message with %d delivered reports = %+v; want one message.delivered each",
			len(e.Recipients), evs)
	}
	if got, err := st.Message(ctx, e.ID); err != nil || got.Status != notify.Delivered {
		t.Errorf("message = %+v, %v; want delivered", got, err)
	}

	// A send that failed for certain, and then a failed report for one
	// of its recipients: one event each.
	f := hooked(t, st, "")
	if err := st.FinishMessage(ctx, f.ID, notify.Outcome{Status: notify.Failed, Provider: "aliyun", ProviderID: "f-1",
		ErrorCode: "isv.OUT_OF_SERVICE", At: created}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RecordReport(ctx, notify.Report{Provider: "aliyun", Channel: notify.SMS, ProviderID: "f-1",
		Recipient: f.Recipients[0], Status: notify.Failed, Code: "MK:0001"}); err != nil {
		t.Fatal(err)
	}
	if evs := messageEvents(t, st, f.ID); len(evs) != 2 {
		t.Errorf("events of a failed send of 2 and a failed report of one = %+v; want 2, one a recipient", evs)
	}
}

func testInboundEvents(t *testing.T, st notify.Store) {
	ctx := t.Context()
	r := notify.Inbound{Provider: "aliyun", Recipient: "13800138000", Content: "退订", DestCode: "1234",
		SignName: "阿里云短信测试", SequenceID: "1234567", At: created, GroupID: "ops"}
	for range 2 {
		if _, err := st.RecordInbound(ctx, r); err != nil {
			t.Fatalf("RecordReply: %v", err)
		}
	}
	r.SequenceID, r.GroupID = "7654321", ""
	if _, err := st.RecordInbound(ctx, r); err != nil {
		t.Fatalf("RecordReply: %v", err)
	}
	evs, err := st.ClaimEvents(ctx, time.Now(), time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Type != notify.EventInbound || evs[0].GroupID != "ops" || evs[0].Text != "退订" ||
		evs[0].Recipient != "13800138000" || evs[0].ProviderID != "1234567" || evs[0].SignName != r.SignName {
		t.Fatalf("events of a reply recorded twice and one without a group = %+v; want one reply.received", evs)
	}
}

// failedEvents makes a webhook message of two recipients fail, and
// returns the ids of its two events.
func failedEvents(t *testing.T, st notify.Store) []string {
	t.Helper()
	m := hooked(t, st, "")
	if err := st.FinishMessage(t.Context(), m.ID, notify.Outcome{Status: notify.Failed, ErrorCode: "x", At: created}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range messageEvents(t, st, m.ID) {
		ids = append(ids, e.ID)
	}
	return ids
}

func claimIDs(t *testing.T, st notify.Store, now time.Time, n int) []string {
	t.Helper()
	evs, err := st.ClaimEvents(t.Context(), now, time.Minute, n)
	if err != nil {
		t.Fatalf("ClaimEvents: %v", err)
	}
	var ids []string
	for _, e := range evs {
		ids = append(ids, e.ID)
	}
	slices.Sort(ids)
	return ids
}

func testEventClaimLease(t *testing.T, st notify.Store) {
	ctx := t.Context()
	ids := failedEvents(t, st)
	now := time.Now().Add(time.Second)
	if got := claimIDs(t, st, now, 10); !slices.Equal(got, ids) {
		t.Fatalf("first claim = %v; want %v", got, ids)
	}
	if got := claimIDs(t, st, now.Add(59*time.Second), 10); len(got) != 0 {
		t.Fatalf("claim within the lease = %v; want none", got)
	}
	later := now.Add(time.Minute)
	evs, err := st.ClaimEvents(ctx, later, time.Minute, 10)
	if err != nil || len(evs) != 2 || evs[0].Attempts != 2 {
		t.Fatalf("claim after the lease = %+v, %v; want both, attempt 2", evs, err)
	}
	// One delivered, one to be retried, then dead.
	if err := st.FinishEvent(ctx, ids[0], notify.Attempt{At: later, Status: 204}); err != nil {
		t.Fatal(err)
	}
	retryAt := later.Add(5 * time.Minute)
	if err := st.FinishEvent(ctx, ids[1], notify.Attempt{At: later, Status: 503, Err: errors.New("answered 503"),
		NextAt: retryAt}); err != nil {
		t.Fatal(err)
	}
	if got := claimIDs(t, st, retryAt.Add(-time.Second), 10); len(got) != 0 {
		t.Fatalf("claim before the retry = %v; want none", got)
	}
	if got := claimIDs(t, st, retryAt, 10); !slices.Equal(got, ids[1:]) {
		t.Fatalf("claim at the retry = %v; want %v", got, ids[1:])
	}
	if err := st.FinishEvent(ctx, ids[1], notify.Attempt{At: retryAt, Err: errors.New("dial tcp: refused")}); err != nil {
		t.Fatal(err)
	}
	if got := claimIDs(t, st, retryAt.Add(48*time.Hour), 10); len(got) != 0 {
		t.Fatalf("claim after delivery and death = %v; want none", got)
	}
	evs, err = st.MessageEvents(ctx, messageOf(t, st, ids[0]))
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]notify.Event{}
	for _, e := range evs {
		states[e.ID] = e
	}
	if e := states[ids[0]]; e.State != notify.EventDone || e.LastStatus != 204 || !e.DeliveredAt.Equal(later.UTC().Truncate(time.Millisecond)) {
		t.Errorf("delivered event = %+v; want delivered at %v, 204", e, later)
	}
	if e := states[ids[1]]; e.State != notify.EventDead || e.LastError != "dial tcp: refused" || e.Attempts != 3 {
		t.Errorf("dead event = %+v; want dead after 3 attempts, with its last error", e)
	}
}

// messageOf returns the message id in event id "evt_<message>_...".
func messageOf(t *testing.T, _ notify.Store, id string) string {
	t.Helper()
	if len(id) < 4+32 {
		t.Fatalf("event id %q names no message", id)
	}
	return id[4 : 4+32]
}

func testEventClaimConcurrent(t *testing.T, st notify.Store) {
	var want []string
	for range 15 {
		want = append(want, failedEvents(t, st)...)
	}
	slices.Sort(want)
	now := time.Now().Add(time.Second)
	var (
		mu  sync.Mutex
		got []string
		wg  sync.WaitGroup
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				evs, err := st.ClaimEvents(context.WithoutCancel(t.Context()), now, time.Minute, 3)
				if err != nil {
					t.Errorf("ClaimEvents: %v", err)
					return
				}
				if len(evs) == 0 {
					return
				}
				mu.Lock()
				for _, e := range evs {
					got = append(got, e.ID)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("4 claimers got %d events (%d distinct); want each of %d once", len(got), len(slices.Compact(slices.Clone(got))), len(want))
	}
}

func testClaimUnsettled(t *testing.T, st notify.Store) {
	ctx := t.Context()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	mk := func(age time.Duration, status notify.Status, sandbox bool) string {
		t.Helper()
		m := newMessage()
		m.CreatedAt = now.Add(-age)
		m.UpdatedAt = m.CreatedAt
		m.ID = notify.NewID(m.CreatedAt)
		m.Status, m.Sandbox = status, sandbox
		if err := st.CreateMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
		return m.ID
	}
	old := []string{mk(time.Hour, notify.Accepted, false), mk(2*time.Hour, notify.Submitted, false),
		mk(3*time.Hour, notify.Unknown, false)}
	recent := mk(time.Minute, notify.Submitted, false) // too recent, at first
	mk(time.Hour, notify.Submitted, true)              // the sandbox's
	mk(time.Hour, notify.Delivered, false)             // settled
	mk(100*time.Hour, notify.Submitted, false)         // too old
	since, before := now.Add(-72*time.Hour), now.Add(-5*time.Minute)
	claim := func(now, before time.Time) []string {
		t.Helper()
		ms, err := st.ClaimUnsettled(ctx, now, since, before, 10)
		if err != nil {
			t.Fatalf("ClaimUnsettled: %v", err)
		}
		var ids []string
		for _, m := range ms {
			ids = append(ids, m.ID)
		}
		return ids
	}
	want := slices.Clone(old)
	slices.Reverse(want) // oldest first
	if got := claim(now, before); !slices.Equal(got, want) {
		t.Fatalf("claim = %v; want %v, oldest first", got, want)
	}
	if got := claim(now.Add(time.Minute), before.Add(time.Minute)); len(got) != 0 {
		t.Fatalf("claim a minute later = %v; want none (checked)", got)
	}
	want = append(want, recent)
	if got := claim(now.Add(6*time.Minute), now.Add(time.Minute)); !slices.Equal(got, want) {
		t.Fatalf("claim once the window passed the check = %v; want %v", got, want)
	}
}

// testClaimUnsettledBacklog: with more unsettled messages than the claims
// between two checks take, the ones never asked about come before those
// asked about already: oldest first would ask about the oldest again and
// again, and never about the newest.
func testClaimUnsettledBacklog(t *testing.T, st notify.Store) {
	ctx := t.Context()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	var ids []string // oldest first
	for i := range 4 {
		m := newMessage()
		m.CreatedAt = now.Add(-time.Hour + time.Duration(i)*time.Minute)
		m.UpdatedAt, m.ID, m.Status = m.CreatedAt, notify.NewID(m.CreatedAt), notify.Submitted
		if err := st.CreateMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	claim := func(now time.Time) []string {
		t.Helper()
		ms, err := st.ClaimUnsettled(ctx, now, now.Add(-72*time.Hour), now.Add(-5*time.Minute), 2)
		if err != nil {
			t.Fatalf("ClaimUnsettled: %v", err)
		}
		var got []string
		for _, m := range ms {
			got = append(got, m.ID)
		}
		return got
	}
	if got := claim(now); !slices.Equal(got, ids[:2]) {
		t.Fatalf("first claim = %v; want the two oldest %v", got, ids[:2])
	}
	if got := claim(now.Add(6 * time.Minute)); !slices.Equal(got, ids[2:]) {
		t.Fatalf("claim after the check window = %v; want the two never asked about %v", got, ids[2:])
	}
	if got := claim(now.Add(7 * time.Minute)); !slices.Equal(got, ids[:2]) {
		t.Fatalf("claim after = %v; want the two asked about longest ago %v", got, ids[:2])
	}
}

func testPurge(t *testing.T, st notify.Store) {
	ctx := t.Context()
	now := time.Now().UTC()
	// A message older than the retention, with a report and an event; a
	// newer one with a delivered event older than KeepDelivered.
	oldAt := now.Add(-200 * 24 * time.Hour)
	old := newMessage()
	old.CreatedAt, old.UpdatedAt, old.ID, old.Webhook = oldAt, oldAt, notify.NewID(oldAt), true
	old.Recipients = old.Recipients[:1]
	if err := st.CreateMessage(ctx, old); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishMessage(ctx, old.ID, notify.Outcome{Status: notify.Submitted, Provider: "aliyun",
		ProviderID: "old-1", At: oldAt}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RecordReport(ctx, notify.Report{Provider: "aliyun", Channel: notify.SMS, ProviderID: "old-1",
		Recipient: old.Recipients[0], Status: notify.Delivered, Code: "DELIVERED"}); err != nil {
		t.Fatal(err)
	}
	keep := hooked(t, st, "keep-1")
	if _, err := st.RecordReport(ctx, notify.Report{Provider: "aliyun", Channel: notify.SMS, ProviderID: "keep-1",
		Recipient: keep.Recipients[0], Status: notify.Delivered, Code: "DELIVERED"}); err != nil {
		t.Fatal(err)
	}
	kevs := messageEvents(t, st, keep.ID)
	if len(kevs) != 1 {
		t.Fatalf("events = %+v; want 1", kevs)
	}
	doneAt := now.Add(-8 * 24 * time.Hour)
	if _, err := st.ClaimEvents(ctx, now, time.Minute, 10); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishEvent(ctx, kevs[0].ID, notify.Attempt{At: doneAt, Status: 200}); err != nil {
		t.Fatal(err)
	}
	// An expired idempotency key and a live one.
	for i, exp := range []time.Time{now.Add(-time.Hour), now.Add(time.Hour)} {
		k := notify.Idempotency{GroupID: "ops", Key: []string{"expired", "live"}[i], Hash: "h",
			CreatedAt: exp.Add(-24 * time.Hour), ExpiresAt: exp, LeaseUntil: exp.Add(-23 * time.Hour)}
		if _, err := st.ClaimIdempotency(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	// A quota window that ended ten minutes ago, and a day's that runs;
	// the takes of a few quotas do not sweep (sqltext.Sweeps).
	ended := notify.Quota{Key: "sms:verification:ops:13800138000:m", Max: 2, Window: time.Minute}
	live := notify.Quota{Key: "group:ops:d", Max: 2, Window: 24 * time.Hour}
	if refused, _, err := st.TakeQuotas(ctx, now.Add(-10*time.Minute), []notify.Quota{ended}); err != nil || refused != -1 {
		t.Fatalf("TakeQuotas 10 minutes ago = %d, %v", refused, err)
	}
	if refused, _, err := st.TakeQuotas(ctx, now, []notify.Quota{live}); err != nil || refused != -1 {
		t.Fatalf("TakeQuotas = %d, %v", refused, err)
	}
	p := notify.Purge{Now: now, DeliveredBefore: now.Add(-7 * 24 * time.Hour), MessagesBefore: now.Add(-180 * 24 * time.Hour),
		Limit: 100}
	got, err := st.Purge(ctx, p)
	if err != nil {
		t.Fatalf("Purge: %v", err)
	}
	if got.Keys != 1 || got.Messages != 1 || got.Reports != 1 || got.Events != 2 || got.Quotas != 1 {
		t.Errorf("Purge = %+v; want 1 key, 1 message, 1 report, 2 events, 1 quota window", got)
	}
	// The day's window kept its use: one more is its Max.
	if refused, _, err := st.TakeQuotas(ctx, now, []notify.Quota{live, live}); err != nil || refused != 1 {
		t.Errorf("two more uses of a window of Max 2 with one use after the purge: TakeQuotas = %d, %v; want 1 refused", refused, err)
	}
	if _, err := st.Message(ctx, old.ID); notify.AsError(err).Reason != "not_found" {
		t.Errorf("old message after the purge: %v; want not_found", err)
	}
	if m, err := st.Message(ctx, keep.ID); err != nil {
		t.Errorf("new message after the purge: %+v, %v; want kept", m, err)
	}
	if evs := messageEvents(t, st, keep.ID); len(evs) != 0 {
		t.Errorf("delivered event done 8 days ago: %+v; want purged", evs)
	}
	if again, err := st.Purge(ctx, p); err != nil || again != (notify.Purged{}) {
		t.Errorf("second Purge = %+v, %v; want nothing left", again, err)
	}
}

// testPurgeToTheMillisecond: Purge's cut-offs are taken to the
// millisecond, as every time a store keeps, so that both stores delete
// the same rows: a key that expired at E and an event delivered at D are
// kept by a purge at E or D and half a millisecond, and deleted by one a
// millisecond later.
func testPurgeToTheMillisecond(t *testing.T, st notify.Store) {
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Millisecond)
	expired := now.Add(-time.Hour)
	k := notify.Idempotency{GroupID: "ops", Key: "ms", Hash: "h", CreatedAt: expired.Add(-24 * time.Hour),
		ExpiresAt: expired, LeaseUntil: expired.Add(-23 * time.Hour)}
	if _, err := st.ClaimIdempotency(ctx, k); err != nil {
		t.Fatal(err)
	}
	m := hooked(t, st, "ms-1")
	if _, err := st.RecordReport(ctx, notify.Report{Provider: "aliyun", Channel: notify.SMS, ProviderID: "ms-1",
		Recipient: m.Recipients[0], Status: notify.Delivered, Code: "DELIVERED"}); err != nil {
		t.Fatal(err)
	}
	evs := messageEvents(t, st, m.ID)
	if len(evs) != 1 {
		t.Fatalf("events = %+v; want 1", evs)
	}
	done := now.Add(-8 * 24 * time.Hour)
	if _, err := st.ClaimEvents(ctx, time.Now(), time.Minute, 10); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishEvent(ctx, evs[0].ID, notify.Attempt{At: done, Status: 200}); err != nil {
		t.Fatal(err)
	}
	old := now.Add(-400 * 24 * time.Hour) // no message that old
	half := 500 * time.Microsecond
	got, err := st.Purge(ctx, notify.Purge{Now: expired.Add(half), DeliveredBefore: done.Add(half), MessagesBefore: old,
		Limit: 100})
	if err != nil {
		t.Fatalf("Purge: %v", err)
	}
	if got.Keys != 0 || got.Events != 0 {
		t.Errorf("Purge half a millisecond after the key expired and the event was delivered = %+v; want both kept", got)
	}
	got, err = st.Purge(ctx, notify.Purge{Now: expired.Add(time.Millisecond), DeliveredBefore: done.Add(time.Millisecond),
		MessagesBefore: old, Limit: 100})
	if err != nil {
		t.Fatalf("Purge: %v", err)
	}
	if got.Keys != 1 || got.Events != 1 {
		t.Errorf("Purge a millisecond after = %+v; want the key and the event deleted", got)
	}
}

// CheckPurgedEventNotWrittenAgain: a delivered event deleted after
// notify.KeepDelivered is not written again, and so not delivered again,
// when a later report of its message (another recipient's, as a status
// query may record days later) writes that message's events. age sets,
// with st's own statements, the time every report was received and every
// event happened and ended to at: the test makes them eight days old.
func CheckPurgedEventNotWrittenAgain(t *testing.T, st notify.Store, age func(t *testing.T, at time.Time)) {
	t.Helper()
	ctx := t.Context()
	sent := time.Now().Add(-8 * 24 * time.Hour)
	m := &notify.Message{ID: notify.NewID(sent), GroupID: "ops", Channel: notify.SMS,
		Recipients: []string{"13800138000", "13900139000"}, Provider: "aliyun", Status: notify.Submitted,
		ProviderID: "900619746936498440^0", CreatedAt: sent, UpdatedAt: sent, Webhook: true}
	if err := st.CreateMessage(ctx, m); err != nil {
		t.Fatal(err)
	}
	report := func(rcpt string) {
		t.Helper()
		if _, err := st.RecordReport(ctx, notify.Report{Provider: "aliyun", Channel: notify.SMS, ProviderID: m.ProviderID,
			Recipient: rcpt, Status: notify.Delivered, Code: "DELIVERED"}); err != nil {
			t.Fatal(err)
		}
	}
	report(m.Recipients[0])
	evs, err := st.ClaimEvents(ctx, time.Now(), time.Minute, 10)
	if err != nil || len(evs) != 1 {
		t.Fatalf("ClaimEvents = %+v, %v; want the first recipient's event", evs, err)
	}
	if err := st.FinishEvent(ctx, evs[0].ID, notify.Attempt{At: time.Now(), Status: 204}); err != nil {
		t.Fatal(err)
	}
	age(t, sent.Add(time.Minute))
	now := time.Now()
	if n, err := st.Purge(ctx, notify.Purge{Now: now, DeliveredBefore: now.Add(-notify.KeepDelivered),
		MessagesBefore: now.Add(-notify.DefaultRetention), Limit: 100}); err != nil || n.Events != 1 {
		t.Fatalf("Purge = %+v, %v; want the delivered event deleted", n, err)
	}
	report(m.Recipients[1])
	all, err := st.MessageEvents(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	var pending []notify.Event
	for _, e := range all {
		if e.State == notify.EventPending {
			pending = append(pending, e)
		}
	}
	if len(pending) != 1 || pending[0].Recipient != m.Recipients[1] {
		t.Errorf("pending events after the second recipient's report = %+v; want its own alone", pending)
	}
}
