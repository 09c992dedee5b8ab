package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Deps are what a Service is built from. Log nil discards logs; Now nil is
// time.Now.
type Deps struct {
	Groups Groups
	// Store keeps every record the service reads and writes.
	Store Store
	// SMS sends text messages; SMSProvider names it in records ("aliyun",
	// "sandbox", ...).
	SMS         SMSSender
	SMSProvider string
	// Voice places text-to-speech calls; VoiceProvider names it.
	Voice         Caller
	VoiceProvider string
	// Mail sends e-mail; MailProvider names it. MailFrom is the sender of
	// groups without their own; MaxAttachmentBytes bounds the decoded total
	// of a message's attachments.
	Mail               Mailer
	MailProvider       string
	MailFrom           string
	MaxAttachmentBytes int
	// Queriers ask the provider of a channel about messages no report has
	// settled RefreshAfter (0: DefaultRefreshAfter) after they were sent,
	// and about messages whose send never recorded its outcome
	// ReconcileAfter (0: DefaultReconcileAfter) after they were recorded.
	Queriers map[Channel]Querier
	// SMSQueriers ask each SMS provider that can be asked, by its name,
	// about the messages it took; they come before Queriers[SMS].
	SMSQueriers    map[string]Querier
	RefreshAfter   time.Duration
	ReconcileAfter time.Duration
	// SMSRoutes are the SMS providers in the gateway's order of
	// preference; nil is SMS alone, named SMSProvider, sending any
	// template code. Templates maps logical templates to each provider's
	// id; Retry is how a provider is tried again, Sleep (nil: a timer) how
	// the retries wait.
	SMSRoutes []Route
	Templates Templates
	Retry     RetryPolicy
	Sleep     func(context.Context, time.Duration) error
	// CodeKeys hash verification codes, made and checked as CodePolicy
	// says (its zero fields are the defaults); nil turns the code
	// endpoints off.
	CodeKeys   *CodeKeyring
	CodePolicy CodePolicy
	// EventSender delivers the groups' webhook events; nil turns delivery
	// off (the stores still write the events of groups with a webhook).
	// EventLease (0: DefaultEventLease) is how long a delivery holds its
	// event; EventBackoff (nil: the jittered EventBackoff) when a failed
	// one is tried again.
	EventSender  EventSender
	EventLease   time.Duration
	EventBackoff func(attempt int) (time.Duration, bool)
	// Retention is how long scheduled work (Tick) keeps messages (0:
	// DefaultRetention; never less than SettleWithin).
	Retention time.Duration
	Log       *slog.Logger
	Now       func() time.Time
}

// Service runs the send pipeline: authorize the group, validate, record the
// message, send it through the provider, record the outcome, reply.
type Service struct {
	d Deps
}

// NewService returns a Service over d.
func NewService(d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.RefreshAfter == 0 {
		d.RefreshAfter = DefaultRefreshAfter
	}
	if d.ReconcileAfter == 0 {
		d.ReconcileAfter = DefaultReconcileAfter
	}
	if d.SMSRoutes == nil && d.SMS != nil {
		d.SMSRoutes = []Route{{Name: d.SMSProvider, Sender: d.SMS, Any: true}}
	}
	if d.Sleep == nil {
		d.Sleep = sleep
	}
	if d.EventLease == 0 {
		d.EventLease = DefaultEventLease
	}
	if d.EventBackoff == nil {
		d.EventBackoff = EventBackoff
	}
	if d.Retention == 0 {
		d.Retention = DefaultRetention
	}
	// A message is kept while the scheduled work may still ask about it
	// (and its webhook events, retried for about 28 hours, with it).
	d.Retention = max(d.Retention, SettleWithin)
	// A policy out of range is refused by config; here the defaults fill
	// its zero fields.
	d.CodePolicy, _ = d.CodePolicy.Check()
	return &Service{d: d}
}

// Now returns the time on the service's clock.
func (s *Service) Now() time.Time { return s.d.Now() }

// Idempotency returns the store of Idempotency-Key replies, nil when there
// is none.
func (s *Service) Idempotency() IdempotencyStore {
	if s.d.Store == nil {
		return nil
	}
	return s.d.Store
}

// Sent is the reply to a send: our message id, and the provider's acceptance
// when it accepted the message.
type Sent struct {
	MessageID string
	Channel   Channel
	Provider  string // the provider that took the message
	Acceptance
	// Unrecorded is true when the provider took the message but its
	// outcome could not be written: the record stays accepted, a queue
	// redelivery is not sent again, and a report or a status query
	// settles it.
	Unrecorded bool
}

// send records m, calls deliver, and records what became of it. It is the
// part of the pipeline every channel shares.
//
// A message from a queue is keyed by its queue message id: when the queue
// delivers it again (SQS and MNS deliver at least once; an FC push is
// retried whole), the record found under the key answers, and nothing is
// sent twice. Only a message whose earlier attempt failed is sent again.
//
// The send counts against its limits as it is recorded (in the same
// transaction, when the store can), so that a queue message delivered twice
// at once is counted once: over a limit, the record is failed and nothing
// is sent. A send that certainly did not happen gives its limits back.
func (s *Service) send(ctx context.Context, m *Message, p plan) (Sent, error) {
	now := s.d.Now()
	key, earlier, fromQueue := messageKeys(ctx, m.GroupID, now)
	if p.queueKey != "" {
		key, earlier, fromQueue = p.queueKey, "", true
	}
	if key != "" {
		m.QueueKey = key
		prev, err := s.named(ctx, key, earlier, now)
		switch {
		case err != nil:
			s.d.Log.ErrorContext(ctx, "look up the record of a named message", "queue_key", m.QueueKey, "err", err)
			return Sent{}, &Error{Op: string(m.Channel) + ".record", Kind: Unavailable, Reason: ReasonStoreUnavailable,
				Unsent: true, Err: err}
		case prev != nil:
			return s.replay(ctx, prev, fromQueue)
		}
	}
	if m.ID == "" {
		m.ID = NewID(now)
	}
	m.Provider = p.provider
	m.Status = Accepted
	m.CreatedAt, m.UpdatedAt = now, now
	quotas := s.quotas(p.limits, m.Recipients)
	if sent, err := s.recordBeforeSend(ctx, m, p.limits, now, quotas); err != nil {
		return sent, err
	}
	if p.prepare != nil {
		if err := p.prepare(ctx); err != nil {
			s.refuse(ctx, m, err)
			s.returnLimits(ctx, now, quotas)
			return Sent{MessageID: m.ID}, err
		}
	}
	began := time.Now()
	rc, provider, err := p.deliver(ctx)
	return s.recordOutcome(ctx, m, rc, provider, err, time.Since(began), now, quotas)
}

// recordBeforeSend records m, counting quotas, before it is sent. Its
// error is the reply to a send that must not go out: the store did not
// answer, another delivery of the message is in flight, a limit or the
// station's balance refused it (then the refusal is recorded).
func (s *Service) recordBeforeSend(ctx context.Context, m *Message, l *limited, now time.Time, quotas []Quota) (Sent, error) {
	op := string(m.Channel) + ".record"
	refused, wait, err := s.record(ctx, m, now, quotas)
	if err != nil {
		switch k := KindOf(err); {
		case k == Conflict:
			// Another delivery of the same queue message (or another start
			// of the same task) is being sent right now; the queue tries
			// again later and finds its record.
			return Sent{}, &Error{Op: op, Kind: Conflict, Reason: ReasonInFlight, Err: err}
		case k == Insufficient && m.Spend != nil:
			// The station cannot pay for it: nothing was written.
			err = &Error{Op: op, Kind: Insufficient, Reason: ReasonBalanceTooLow, Err: fmt.Errorf(
				"the station's balance is too low: the send costs %d units; nothing was sent", m.Spend.Units)}
			s.recordRefused(ctx, m, err)
			return Sent{MessageID: m.ID}, err
		}
		s.d.Log.ErrorContext(ctx, "record message before send", "channel", m.Channel, "group", m.GroupID, "err", err)
		return Sent{}, &Error{Op: op, Kind: Unavailable, Reason: ReasonStoreUnavailable, Unsent: true, Err: err}
	}
	if refused >= 0 {
		lerr := s.limitError(ctx, l, quotas[refused], wait)
		s.recordRefused(ctx, m, lerr) // nothing was written
		return Sent{MessageID: m.ID}, lerr
	}
	return Sent{}, nil
}

// recordOutcome records what provider answered to the send of m (rc, or
// err), gives back the quotas taken at taken when it certainly did not
// send it, logs the send and returns the reply.
func (s *Service) recordOutcome(ctx context.Context, m *Message, rc Acceptance, provider string, err error,
	latency time.Duration, taken time.Time, quotas []Quota) (Sent, error) {
	o := Outcome{Provider: provider, At: s.d.Now()}
	switch {
	case err == nil:
		o.Status, o.ProviderID, o.RequestID, o.Sandbox = Submitted, rc.ProviderID, rc.RequestID, rc.Sandbox
	case KindOf(err) == Ambiguous:
		o.Status = Unknown
	default:
		o.Status = Failed
		s.returnLimits(ctx, taken, quotas)
	}
	if err != nil {
		e := AsError(err)
		o.RequestID, o.ErrorCode, o.ErrorText = e.RequestID, e.Code, e.Error()
		if o.ErrorCode == "" {
			o.ErrorCode = e.Kind.String()
		}
	}
	// The outcome is written with a context of its own: the provider has
	// already answered, and a caller that went away must not lose the record.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	wrote := time.Now()
	ferr := s.d.Store.FinishMessage(wctx, m.ID, o)
	if ferr != nil && o.Status != Failed && KindOf(ferr) != NotFound && KindOf(ferr) != Conflict &&
		time.Since(wrote) < outcomeRetryWithin {
		// Once more, on the connection the pool makes next: one that died
		// under the first write (a database restarted, a connection
		// dropped) would otherwise leave a message the provider took
		// accepted, a retry of its request answered 504 rather than its
		// reply. Writing a send's outcome again writes the same: a
		// failure, which also gives back what it spent, is not retried;
		// nor is a write that failed slowly (a store that hangs), whose
		// second try would hold the reply as long again.
		select {
		case <-time.After(outcomeRetryAfter):
			ferr = s.d.Store.FinishMessage(wctx, m.ID, o)
		case <-wctx.Done():
		}
	}
	if ferr != nil {
		// The provider id is in this line: it is how the record is
		// settled by hand if no report comes.
		s.d.Log.ErrorContext(ctx, "record outcome after send", "message_id", m.ID, "status", o.Status,
			"provider_id", o.ProviderID, "err", ferr)
	}
	log := s.d.Log.With("message_id", m.ID, "channel", m.Channel, "group", m.GroupID, "provider", provider,
		"status", o.Status, "recipients", len(m.Recipients), "latency_ms", latency.Milliseconds())
	if err != nil {
		log.WarnContext(ctx, "send failed", "kind", KindOf(err), "code", o.ErrorCode, "err", err)
		return Sent{MessageID: m.ID}, err
	}
	log.InfoContext(ctx, "sent", "provider_id", rc.ProviderID, "sandbox", rc.Sandbox)
	return Sent{MessageID: m.ID, Channel: m.Channel, Provider: provider, Acceptance: rc, Unrecorded: ferr != nil}, nil
}

// named returns the live record of the message named key, or of its
// earlier name when that record is younger than RequestKeyTTL; nil for
// none.
func (s *Service) named(ctx context.Context, key, earlier string, now time.Time) (*Message, error) {
	for _, k := range []string{key, earlier} {
		if k == "" {
			continue
		}
		prev, err := s.d.Store.MessageByQueueKey(ctx, k)
		switch {
		case err == nil && (k == key || now.Sub(prev.CreatedAt) < RequestKeyTTL):
			return prev, nil
		case err != nil && KindOf(err) != NotFound:
			return nil, err
		}
	}
	return nil, nil
}

// record writes m before it is sent, and counts quotas in the same
// transaction: it returns the index of a quota at its Max (nothing
// written, nothing counted), or -1.
func (s *Service) record(ctx context.Context, m *Message, now time.Time, quotas []Quota) (refused int, wait time.Duration, err error) {
	if g := s.d.Groups[m.GroupID]; g != nil && g.Webhook != nil {
		m.Webhook = true
	}
	if len(quotas) == 0 {
		return -1, 0, s.d.Store.CreateMessage(ctx, m)
	}
	return s.d.Store.CreateMessageTakingQuotas(ctx, m, now, quotas)
}

// refuse records m, which was never sent, as failed for err.
func (s *Service) refuse(ctx context.Context, m *Message, err error) {
	e := AsError(err)
	o := Outcome{Status: Failed, Provider: m.Provider, ErrorCode: e.Reason, ErrorText: e.Error(), At: s.d.Now(),
		Refused: true}
	if o.ErrorCode == "" {
		o.ErrorCode = e.Kind.String()
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if ferr := s.d.Store.FinishMessage(wctx, m.ID, o); ferr != nil {
		s.d.Log.ErrorContext(ctx, "record a refused message", "message_id", m.ID, "reason", o.ErrorCode, "err", ferr)
	}
}

// recordRefused records m, which was refused before it was recorded, as
// failed for err. A message paid for by a station spends nothing, but its
// record still links its task.
func (s *Service) recordRefused(ctx context.Context, m *Message, err error) {
	e := AsError(err)
	m.Status, m.ErrorCode, m.ErrorText = Failed, e.Reason, e.Error()
	if m.Spend != nil {
		sp := *m.Spend
		sp.Units = 0
		m.Spend = &sp
	}
	if cerr := s.d.Store.CreateMessage(ctx, m); cerr != nil {
		level := slog.LevelError
		if KindOf(cerr) == Conflict {
			// Another start of its task, or delivery of its queue
			// message, was recorded meanwhile: that record stands.
			level = slog.LevelWarn
		}
		s.d.Log.Log(ctx, level, "record a refused message", "message_id", m.ID, "reason", m.ErrorCode, "err", cerr)
	}
}

// plan is how send sends one message: provider is the provider recorded
// before sending (the first choice); limits, when set, what the send
// counts against; deliver sends it and names the provider that took it,
// or gave the last error.
type plan struct {
	provider string
	queueKey string   // the record's QueueKey, over any the context gives
	limits   *limited // nil: the send counts against no limit
	// prepare, when set, runs once the limits let the send through and
	// before it: an error refuses the send (a verification code within
	// its cooldown).
	prepare func(context.Context) error
	deliver func(context.Context) (Acceptance, string, error)
}

// via makes a plan's deliver of a channel with one provider.
func via(provider string, f func(context.Context) (Acceptance, error)) func(context.Context) (Acceptance, string, error) {
	return func(ctx context.Context) (Acceptance, string, error) {
		rc, err := f(ctx)
		return rc, provider, err
	}
}

// outcomeRetryAfter is how long recordOutcome waits before it writes an
// outcome again whose first write failed, within outcomeRetryWithin.
const (
	outcomeRetryAfter  = 100 * time.Millisecond
	outcomeRetryWithin = time.Second
)

// InFlightFor is how long after its record a queue message's send may
// still be under way: longer than any function's timeout (10 s in the
// deploy files) and as long as SQS's visibility timeout, so that a
// redelivery the queue makes after a 409 finds the first send ended.
const InFlightFor = time.Minute

// failedInDelivery reports whether m failed after a provider took it: a
// report or a status lookup said it did not arrive. The store says so
// (Taken), or its provider id, or, when its send was in doubt and the
// lookup found it by its OutId (Aliyun's give no BizId), its reports.
// A message that failed otherwise was never taken, and may be sent again.
func (s *Service) failedInDelivery(ctx context.Context, m *Message) (bool, error) {
	if m.Status != Failed {
		return false, nil
	}
	if m.Taken || m.ProviderID != "" {
		return true, nil
	}
	reports, err := s.d.Store.Reports(ctx, m.ID)
	return len(reports) > 0, err
}

// replay answers a queue message delivered again (or a task started
// again, or a request retried with its Idempotency-Key after its first
// attempt died) with what became of the first attempt, without sending
// anything. A failed prev is one a provider took (failedInDelivery): its
// callers send again one that failed before any provider took it.
func (s *Service) replay(ctx context.Context, prev *Message, fromQueue bool) (Sent, error) {
	log := s.d.Log.With("message_id", prev.ID, "queue_key", prev.QueueKey, "status", prev.Status)
	switch {
	case prev.Status == Submitted, prev.Status == Delivered, prev.Status == Failed:
		// A provider took it.
		log.InfoContext(ctx, "message asked for again; already sent, not sent again")
		return Sent{MessageID: prev.ID, Provider: prev.Provider, Acceptance: Acceptance{ProviderID: prev.ProviderID, RequestID: prev.RequestID,
			Code: "OK", Message: "OK (already sent)", Sandbox: prev.Sandbox}}, nil
	case fromQueue && prev.Status == Accepted && s.d.Now().Sub(prev.CreatedAt) < InFlightFor:
		// Another delivery of the message may be sending it right now: the
		// queue tries again later, when that one has ended. Acknowledged
		// now, the message would be lost if that send then failed in a way
		// worth retrying (the queue retries the delivery it deleted).
		log.InfoContext(ctx, "queue message delivered again while its first send may be under way; the queue tries again")
		return Sent{}, &Error{Op: string(prev.Channel) + ".replay", Kind: Conflict, Reason: ReasonInFlight,
			Err: errors.New("another delivery of this queue message is being sent right now; the queue tries again later")}
	case fromQueue:
		// Accepted long enough ago for its send to have ended, or unknown:
		// the first delivery may have reached the provider. Sending again
		// could send twice; the record is settled by a report or a status
		// query instead.
		log.WarnContext(ctx, "queue message delivered again while its first send is in doubt; not sent again")
		return Sent{MessageID: prev.ID}, &Error{Op: string(prev.Channel) + ".replay", Kind: Ambiguous, Reason: ReasonRedeliveredInDoubt,
			Err: errors.New("an earlier delivery of this queue message may have been sent")}
	default:
		// The first attempt was recorded and never finished (its process
		// died, or its store stopped answering mid-send): it may have
		// reached the provider.
		log.WarnContext(ctx, "request retried with its Idempotency-Key while its first send is in doubt; not sent again")
		return Sent{MessageID: prev.ID}, &Error{Op: string(prev.Channel) + ".replay", Kind: Ambiguous, Reason: ReasonProviderOutcomeUnknown,
			Err: errors.New("an earlier request with this Idempotency-Key was recorded and may have reached the provider; " +
				"it is not sent again: its status query, or a report, settles it")}
	}
}

// RecordRefusal keeps a record of a queue message the gateway refused for
// good before recording it (malformed, unauthorized, invalid), so that a
// message dropped from its queue is not lost without a trace. groupID may be
// empty when the message did not say. It returns the record's id, or "" when
// the store could not keep it.
func (s *Service) RecordRefusal(ctx context.Context, ch Channel, groupID string, refusal error) string {
	o, _ := OriginFrom(ctx)
	now := s.d.Now()
	e := AsError(refusal)
	m := &Message{ID: NewID(now), GroupID: groupID, Channel: ch, Status: Failed, ErrorCode: e.Reason,
		ErrorText: e.Error(), CreatedAt: now, UpdatedAt: now}
	if o.MessageID != "" {
		m.QueueKey = o.Source + ":" + o.MessageID
	}
	if m.ErrorCode == "" {
		m.ErrorCode = e.Kind.String()
	}
	if err := s.d.Store.CreateMessage(ctx, m); err != nil {
		s.d.Log.ErrorContext(ctx, "record refused queue message", "queue_key", m.QueueKey, "reason", m.ErrorCode, "err", err)
		return ""
	}
	s.d.Log.WarnContext(ctx, "queue message refused and recorded as failed", "message_id", m.ID, "queue_key", m.QueueKey,
		"reason", m.ErrorCode)
	return m.ID
}
