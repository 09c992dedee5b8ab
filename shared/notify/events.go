package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// Status webhooks: a group that configures a webhook is told, by one signed
// POST per event, what became of its messages. An event is written to an
// outbox (EventStore) in the same transaction as the state change that
// causes it, and delivered later by the scheduled work (Tick), so none is
// lost when a process dies between the two. docs/webhooks.md describes the
// events and their delivery.

// The types of events.
const (
	// EventDelivered: a report says a message reached one recipient.
	EventDelivered = "message.delivered"
	// EventFailed: a message did not reach one recipient, by a report or
	// because it was certainly not sent.
	EventFailed = "message.failed"
	// EventInbound: an inbound reply, a person answering by SMS (Aliyun
	// SmsUp). Its wire name keeps the word reply.
	EventInbound = "reply.received"
)

// The states of an event's delivery.
const (
	EventPending   = "pending"   // to be delivered at NextAt
	EventDone      = "delivered" // the receiver answered 2xx
	EventDead      = "dead"      // every attempt failed, or the group has no webhook
	MaxEventsClaim = 100         // the most events one ClaimEvents returns
)

// Webhook is where a group's events go: an https URL and the secrets they
// are signed under (two during a rotation), as the group's configuration
// has them.
type Webhook struct {
	URL     string
	Secrets []Secret
}

// Event is one change a group is told of. What it says is fixed when it is
// written; its delivery moves on.
type Event struct {
	ID        string // stable: a receiver de-duplicates by it
	GroupID   string
	MessageID string // the message it is about; for a reply, "" or the message answered
	Type      string // EventDelivered, EventFailed, EventInbound
	Channel   Channel
	Recipient string // the recipient, or the number an inbound reply came from
	Status    Status // Delivered or Failed; "" for an inbound reply
	Code      string // the provider's code; an inbound reply's destination code
	Text      string // the provider's words; an inbound reply's content
	OutID     string // the caller's OutId of the message
	Provider  string
	// ProviderID is the provider's id of the message; an inbound reply's sequence id.
	ProviderID string
	SignName   string    // an inbound reply's sign name
	At         time.Time // when it happened, as well as the gateway knows
	// Station and TaskID name the SaaS task the message sent, if any: the
	// event is the task's outcome.
	Station string
	TaskID  int64

	// Delivery.
	State       string // EventPending, EventDone, EventDead
	Attempts    int
	NextAt      time.Time
	LastStatus  int    // the receiver's last HTTP status, 0 when none came
	LastError   string // why the last attempt failed
	DeliveredAt time.Time
}

// Body is the event as its receiver gets it: JSON in the Standard Webhooks
// shape, {"type", "timestamp", "data"}. It depends only on what the event
// says, so every attempt sends the same bytes.
func (e *Event) Body() []byte {
	type task struct {
		StationID string `json:"station_id"`
		TaskID    int64  `json:"task_id"`
	}
	type data struct {
		EventID    string `json:"event_id"`
		GroupID    string `json:"group_id"`
		MessageID  string `json:"message_id,omitempty"`
		Channel    string `json:"channel,omitempty"`
		Recipient  string `json:"recipient,omitempty"`
		From       string `json:"from,omitempty"`
		Status     string `json:"status,omitempty"`
		Code       string `json:"code,omitempty"`
		Text       string `json:"text,omitempty"`
		Content    string `json:"content,omitempty"`
		DestCode   string `json:"dest_code,omitempty"`
		SignName   string `json:"sign_name,omitempty"`
		OutID      string `json:"out_id,omitempty"`
		Provider   string `json:"provider,omitempty"`
		ProviderID string `json:"provider_id,omitempty"`
		SequenceID string `json:"sequence_id,omitempty"`
		Task       *task  `json:"task,omitempty"`
	}
	d := data{EventID: e.ID, GroupID: e.GroupID, MessageID: e.MessageID, Channel: string(e.Channel),
		Provider: e.Provider, OutID: e.OutID}
	if e.TaskID != 0 {
		d.Task = &task{e.Station, e.TaskID}
	}
	if e.Type == EventInbound {
		d.From, d.Content, d.DestCode, d.SignName, d.SequenceID = e.Recipient, e.Text, e.Code, e.SignName, e.ProviderID
	} else {
		d.Recipient, d.Status, d.Code, d.Text, d.ProviderID = e.Recipient, string(e.Status), e.Code, e.Text, e.ProviderID
	}
	b, _ := json.Marshal(struct {
		Type      string `json:"type"`
		Timestamp string `json:"timestamp"`
		Data      data   `json:"data"`
	}{e.Type, e.At.UTC().Format(time.RFC3339Nano), d})
	return b
}

// Attempt is what became of one delivery of an event.
type Attempt struct {
	At     time.Time
	Status int   // the receiver's HTTP status; 0 when none came
	Err    error // nil: delivered
	// NextAt is when to try again; zero: never (the event is dead).
	NextAt time.Time
}

// EventStore is the outbox. The stores write events themselves, in the
// transactions that change a message's state (FinishMessage,
// RecordReport, RecordReply); EventStore hands them out for delivery.
type EventStore interface {
	// ClaimEvents leases up to n pending events due at now (NextAt at or
	// before it), oldest first: each is counted an attempt and made due
	// again at now+lease, so that a delivery that dies mid-way is retried
	// after the lease, and concurrent claims (two timer runs, two
	// instances) never get the same event within it.
	ClaimEvents(ctx context.Context, now time.Time, lease time.Duration, n int) ([]Event, error)
	// FinishEvent records attempt a of event id: delivered (a.Err nil),
	// pending again at a.NextAt, or dead (a.NextAt zero).
	FinishEvent(ctx context.Context, id string, a Attempt) error
	// MessageEvents returns the events of message id, oldest first.
	MessageEvents(ctx context.Context, messageID string) ([]Event, error)
}

// EventSender delivers one event to a webhook. A result with Err nil is
// delivered; retry false means no later attempt can succeed (an address
// the policy refuses).
type EventSender interface {
	SendEvent(ctx context.Context, w Webhook, e *Event) (status int, retry bool, err error)
}

// DefaultEventLease is how long a claimed event is held by its delivery:
// longer than one delivery may take (the sender's 5 s timeout) and the
// rest of its batch.
const DefaultEventLease = 2 * time.Minute

// errNoWebhook is why the events of a group without a webhook are dead.
var errNoWebhook = errors.New("the group has no webhook configured")

// DeliverEvents claims up to n due events and delivers them, at most
// parallel at once, and returns how many it claimed and how many were
// delivered. An event whose delivery failed is made due again after the
// group's backoff (Deps.EventBackoff), or dead after its last attempt.
func (s *Service) DeliverEvents(ctx context.Context, n, parallel int) (claimed, delivered int, err error) {
	if s.d.EventSender == nil {
		return 0, 0, nil
	}
	evs, err := s.d.Store.ClaimEvents(ctx, s.d.Now(), s.d.EventLease, n)
	if err != nil {
		return 0, 0, fmt.Errorf("claim webhook events: %w", err)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		sema = make(chan struct{}, max(parallel, 1))
	)
	for i := range evs {
		wg.Add(1)
		sema <- struct{}{}
		go func(e *Event) {
			defer func() { <-sema; wg.Done() }()
			if s.deliver(ctx, e) {
				mu.Lock()
				delivered++
				mu.Unlock()
			}
		}(&evs[i])
	}
	wg.Wait()
	return len(evs), delivered, nil
}

// deliver makes one attempt at e and records it; it reports whether e
// was delivered.
func (s *Service) deliver(ctx context.Context, e *Event) bool {
	a := Attempt{}
	retry := false
	if g := s.d.Groups[e.GroupID]; g == nil || g.Webhook == nil {
		a.Err = errNoWebhook
	} else {
		a.Status, retry, a.Err = s.d.EventSender.SendEvent(ctx, *g.Webhook, e)
	}
	a.At = s.d.Now()
	if a.Err != nil && ctx.Err() != nil {
		// The run's own deadline cut it off, not the receiver: the lease
		// runs out and a later run tries again.
		s.d.Log.WarnContext(ctx, "webhook delivery cut off by the run's deadline; it will be retried", "event_id", e.ID)
		return false
	}
	if a.Err != nil && retry {
		if d, ok := s.d.EventBackoff(e.Attempts); ok {
			a.NextAt = a.At.Add(d)
		}
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.d.Store.FinishEvent(wctx, e.ID, a); err != nil {
		// The lease runs out and the event is tried again: at least once.
		s.d.Log.WarnContext(ctx, "record a webhook delivery", "event_id", e.ID, "err", err)
		return false
	}
	switch {
	case a.Err == nil:
		s.d.Log.InfoContext(ctx, "webhook event delivered", "event_id", e.ID, "group", e.GroupID, "type", e.Type,
			"attempt", e.Attempts, "status", a.Status)
	case a.NextAt.IsZero():
		s.d.Log.ErrorContext(ctx, "webhook event dead: no more attempts", "event_id", e.ID, "group", e.GroupID,
			"type", e.Type, "attempts", e.Attempts, "status", a.Status, "err", a.Err)
	default:
		s.d.Log.WarnContext(ctx, "webhook delivery failed; it will be retried", "event_id", e.ID, "group", e.GroupID,
			"attempt", e.Attempts, "status", a.Status, "next_at", a.NextAt, "err", a.Err)
	}
	return a.Err == nil
}

// EventSchedule is when a failed delivery is tried again, after the
// attempt before: the Standard Webhooks specification's suggestion, about
// 27 hours and a half in all, so that a receiver down for a day still gets
// the event. After the last, the event is dead.
var EventSchedule = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour,
	5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

// EventBackoff returns how long after failed attempt n (from 1) the next
// comes, spread by a tenth less to a fifth more, so that the events of a
// receiver that comes back do not all arrive at once, and so that the
// attempts span at least 24 hours however they fall; ok is false after the
// last attempt.
func EventBackoff(n int) (d time.Duration, ok bool) {
	if n < 1 || n > len(EventSchedule) {
		return 0, false
	}
	d = EventSchedule[n-1]
	return d + time.Duration((rand.Float64()*0.3-0.1)*float64(d)), true
}

// InboundGroup names the group with a webhook an inbound reply is for: the
// one such group that may use its sign name (a group that names no sign
// names may use any). With none, or more than one, it is "": the reply is
// kept, and no group is told of it.
func (gs Groups) InboundGroup(r Inbound) string {
	found := ""
	for id, g := range gs {
		if g.Webhook == nil || (len(g.SignNames) > 0 && !slices.Contains(g.SignNames, r.SignName)) {
			continue
		}
		if found != "" {
			return ""
		}
		found = id
	}
	return found
}
