package notify

import (
	"context"
	"errors"
	"time"
)

// Scheduled work: what has no request to ride on, run by a timer trigger
// every minute (Tick). Each run escalates the verification codes not
// delivered in time, delivers due webhook events, settles the messages no
// report has settled (in half the time left, then again after the purge),
// deletes what has expired, and delivers the events those wrote, each in
// bounded batches, and stops starting work when its time is nearly up. Two runs
// at once (a slow one overlapping the next tick, or two instances) do
// each piece of work once: every batch is claimed in the store first.
// docs/webhooks.md describes it.

// Scheduled work's bounds.
const (
	// DefaultRetention is how long messages, their reports and events
	// are kept: NOTIFY_RETENTION_DAYS, 180 days by default. The SaaS
	// stations' records and ledgers are kept for good.
	DefaultRetention = 180 * 24 * time.Hour
	// KeepDelivered is how long a delivered webhook event is kept, to be
	// shown with its message; a dead one is kept with its message.
	KeepDelivered = 7 * 24 * time.Hour
	// SettleWithin is how long after sending a message the scheduled work
	// asks its provider about it: providers push reports for up to 72
	// hours, and forget a message soon after.
	SettleWithin = 72 * time.Hour
	// TickMargin is how long before its deadline a run stops starting
	// work: enough for a delivery under way (5 s) to end. A run with less
	// than twice that left keeps half of it.
	TickMargin = 10 * time.Second
	// DefaultTickBudget is how long a run without a deadline works.
	DefaultTickBudget = 50 * time.Second

	// deliveryTime is the longest one delivery takes: the sender's 5 s
	// timeout, and the record of the attempt.
	deliveryTime = 6 * time.Second
	// escalationTime is the longest one escalation takes: its provider's
	// 10 s timeout, and its records.
	escalationTime = 12 * time.Second
	eventBatch     = 50
	eventParallel  = 8
	settleBatch    = 20
	purgeBatch     = 500
)

// ScheduledStore is what the scheduled work reads and deletes.
type ScheduledStore interface {
	// ClaimUnsettled returns up to n messages, oldest first, still
	// accepted, submitted or unknown, not sent by the sandbox, created in
	// [since, before), and not claimed since before; it marks them
	// claimed at now, so that two runs at once do not both ask about one.
	// It takes those never claimed first, then those claimed longest ago,
	// the oldest first among equals: with a backlog larger than the runs
	// between two claims of one message take, oldest first alone would
	// take the oldest again and again, and never the newest.
	ClaimUnsettled(ctx context.Context, now, since, before time.Time, n int) ([]*Message, error)
	// Purge deletes at most p.Limit rows of each kind that expired: the
	// idempotency keys expired at p.Now, the windows of the send limits
	// that ended by then (Quotas), the webhook events delivered
	// before p.DeliveredBefore, and the messages recorded before
	// p.MessagesBefore with their reports and events, but not the
	// messages of the SaaS stations' tasks and ledgers; with them, the
	// orphan reports and the replies received before it.
	Purge(ctx context.Context, p Purge) (Purged, error)
}

// Purge is what a ScheduledStore.Purge deletes.
type Purge struct {
	Now             time.Time
	DeliveredBefore time.Time
	MessagesBefore  time.Time
	Limit           int
}

// Purged counts what a Purge deleted.
type Purged struct {
	Keys, Events, Messages, Reports, Codes, Quotas int64
}

func (p *Purged) add(q Purged) {
	p.Keys += q.Keys
	p.Events += q.Events
	p.Messages += q.Messages
	p.Reports += q.Reports
	p.Codes += q.Codes
	p.Quotas += q.Quotas
}

func (p Purged) full(limit int) bool {
	l := int64(limit)
	return p.Keys >= l || p.Events >= l || p.Messages >= l || p.Reports >= l || p.Quotas >= l
}

// TickReport is what one run of the scheduled work did.
type TickReport struct {
	Claimed, Delivered int // webhook events
	Checked            int // unsettled messages asked about
	Escalated          int // verification codes sent again
	Purged             Purged
}

// Tick runs the scheduled work once, until its work is done or ctx's
// deadline (less TickMargin, or half the time left when that is shorter)
// is near; without a deadline it works for
// DefaultTickBudget. A step that fails is logged, and the others still
// run; the error joins every step's.
func (s *Service) Tick(ctx context.Context) (TickReport, error) {
	start := s.d.Now()
	stop := time.Now().Add(DefaultTickBudget)
	end := stop // when the run must be over
	if d, ok := ctx.Deadline(); ok {
		end = d
		// A short deadline (a local ticker's, 5 s) keeps half of
		// what is left, rather than all of it.
		stop = d.Add(-min(TickMargin, time.Until(d)/2))
	}
	timeLeft := func() bool { return ctx.Err() == nil && time.Now().Before(stop) }
	var (
		r    TickReport
		errs []error
	)
	fail := func(step string, err error) {
		s.d.Log.ErrorContext(ctx, "scheduled work: "+step, "err", err)
		errs = append(errs, err)
	}
	deliver := func() {
		for timeLeft() && s.d.EventSender != nil {
			// No more events than the time left can deliver, should
			// every receiver take its whole timeout: a delivery the
			// deadline cuts off is an attempt spent for nothing.
			n := min(eventBatch, max(1, int(time.Until(end)/deliveryTime))*eventParallel)
			claimed, delivered, err := s.DeliverEvents(ctx, n, eventParallel)
			r.Claimed, r.Delivered = r.Claimed+claimed, r.Delivered+delivered
			if err != nil {
				fail("deliver webhook events", err)
				return
			}
			if claimed < n {
				return
			}
		}
	}
	// Codes first: one lives minutes, and its escalation is due now;
	// events and lookups can wait for the next run. No more codes are
	// claimed than the time left can send, should every send take its
	// provider's whole timeout: a claimed code is never claimed again.
	for timeLeft() && s.d.CodeKeys != nil {
		want := min(settleBatch, max(1, int(time.Until(end)/escalationTime)))
		n, err := s.EscalateCodes(ctx, want)
		r.Escalated += n
		if err != nil {
			fail("escalate undelivered codes", err)
			break
		}
		if n < want {
			break
		}
	}
	deliver()
	// Settling takes at most half the time left, what expired is deleted,
	// and settling goes on with the rest: lookups come back every
	// ReconcileAfter for 72 hours, and a backlog of them that fills every
	// run must not keep the purge from ever running.
	settled := false
	settle := func(until func() bool) {
		for !settled && until() {
			n, err := s.settleSome(ctx, until)
			r.Checked += n
			if err != nil {
				fail("settle messages", err)
				settled = true
			}
			if n < settleBatch {
				settled = true
			}
		}
	}
	half := time.Now().Add(time.Until(stop) / 2)
	settle(func() bool { return timeLeft() && time.Now().Before(half) })
	if timeLeft() {
		if err := s.purge(ctx, &r.Purged, timeLeft); err != nil {
			fail("delete what expired", err)
		}
	}
	settle(timeLeft)
	// What settling and escalating told, at once.
	if r.Checked > 0 || r.Escalated > 0 {
		deliver()
	}
	s.d.Log.InfoContext(ctx, "scheduled work done", "events_claimed", r.Claimed, "events_delivered", r.Delivered,
		"messages_checked", r.Checked, "codes_escalated", r.Escalated, "purged_keys", r.Purged.Keys,
		"purged_events", r.Purged.Events, "purged_messages", r.Purged.Messages, "purged_codes", r.Purged.Codes,
		"purged_quota_windows", r.Purged.Quotas, "took_ms", s.d.Now().Sub(start).Milliseconds())
	return r, errors.Join(errs...)
}

// settleSome claims a batch of unsettled messages and asks their
// providers about them, as a status query would, while timeLeft, and
// returns how many it claimed. One claimed and not asked about is claimed
// again after ReconcileAfter.
func (s *Service) settleSome(ctx context.Context, timeLeft func() bool) (int, error) {
	now := s.d.Now()
	ms, err := s.d.Store.ClaimUnsettled(ctx, now, now.Add(-SettleWithin), now.Add(-s.d.ReconcileAfter), settleBatch)
	if err != nil {
		return 0, err
	}
	asks := len(ms)
	for _, m := range ms {
		if !timeLeft() {
			break
		}
		s.refresh(ctx, m, &asks)
	}
	return len(ms), nil
}

// purge deletes what expired, in batches, while there is time.
func (s *Service) purge(ctx context.Context, total *Purged, timeLeft func() bool) error {
	now := s.d.Now()
	p := Purge{Now: now, DeliveredBefore: now.Add(-KeepDelivered), MessagesBefore: now.Add(-s.d.Retention),
		Limit: purgeBatch}
	if s.d.CodeKeys != nil {
		n, err := s.d.Store.PurgeCodes(ctx, now)
		if err != nil {
			return err
		}
		total.Codes += n
	}
	for timeLeft() {
		got, err := s.d.Store.Purge(ctx, p)
		total.add(got)
		if err != nil {
			return err
		}
		if !got.full(p.Limit) {
			return nil
		}
	}
	return nil
}
