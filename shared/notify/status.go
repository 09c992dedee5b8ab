package notify

import (
	"context"
	"errors"
	"time"
)

// MessageQuery selects one group's messages. Empty fields select all;
// From and To, when set, bound the creation time [From, To).
type MessageQuery struct {
	GroupID    string
	Channel    Channel
	Status     Status
	MessageID  string
	ProviderID string
	Recipient  string // canonical phone number
	From, To   time.Time
	Limit      int
	Offset     int
}

// MessageFinder finds messages for status queries.
type MessageFinder interface {
	// FindMessages returns the page of messages q asks for, newest first,
	// and how many match in all.
	FindMessages(ctx context.Context, q MessageQuery) ([]*Message, int, error)
}

// Querier asks a provider what became of a message it accepted, for the
// records no report has settled: Aliyun QuerySendDetails for SMS,
// QueryCallDetailByCallId for calls. It returns one Report per recipient
// the provider knows about; a provider that does not know yet returns none.
//
// A message without a provider id is one whose send never recorded its
// outcome (its process died mid-send): Query then looks it up by what was
// sent, where the provider's API allows (Aliyun SMS: the OutId, our
// message id, by number and day), and also reports a recipient the
// provider has but has not settled, as Submitted. Where the API does not
// allow it, Query returns a *NoLookup.
type Querier interface {
	Query(ctx context.Context, m *Message) ([]Report, error)
}

// NoLookup is a Querier's answer about a message without a provider id
// that its provider cannot find: Why says why.
type NoLookup struct{ Why string }

func (e *NoLookup) Error() string { return e.Why }

// Status query limits.
const (
	// DefaultRefreshAfter is how long after sending a status query asks
	// the provider about a message no report has settled.
	DefaultRefreshAfter = time.Minute
	// DefaultReconcileAfter is how long after it was recorded a message
	// still accepted (or unknown without a provider id) is taken for one
	// whose send died before recording its outcome, and looked up at the
	// provider. The longest send, every provider's timeout and retries
	// included, ends well within it.
	DefaultReconcileAfter = 5 * time.Minute

	// MaxRefreshed is how many messages of one status query are refreshed
	// from (or looked up at) the provider; the others are shown as they
	// stand, and the next query asks about them.
	MaxRefreshed = 10

	DefaultPageSize = 10
	MaxPageSize     = 50 // as QuerySendDetails
)

// StatusRequest is a decoded status query: the caller's credentials, the
// channel, and one way to name messages: MessageID, ProviderID (Aliyun
// BizId or CallId), or Recipient with SendDate (yyyyMMdd, China time).
type StatusRequest struct {
	Credentials
	Channel    Channel
	MessageID  string
	ProviderID string
	Recipient  string
	SendDate   string
	Page       int // from 1; 0 is 1
	PageSize   int // 0 is DefaultPageSize
	// Fields name the request's parameters in errors: the caller's
	// spelling of ProviderID and Recipient ("BizId", "PhoneNumber").
	ProviderIDField, RecipientField string
}

// MessageStatus is one message as a status query shows it: its record,
// where each recipient stands, and every report, oldest first.
type MessageStatus struct {
	*Message
	Recipients []RecipientStatus
	History    []Report
	// Events are the message's webhook events, oldest first, with where
	// their delivery stands: a dead one is shown here until the message
	// is deleted.
	Events []Event
}

// RecipientStatus is where one recipient of a message stands.
type RecipientStatus struct {
	Recipient string
	Status    Status
	Code      string
	Text      string
	At        time.Time // of the report that said so; zero without one
}

// StatusPage is a page of a status query's messages.
type StatusPage struct {
	Total, Page, PageSize int
	Messages              []MessageStatus
}

// Beijing is China's time zone (UTC+8, no summer time): the zone of the
// days that limits, SendDate and the SaaS routes count in.
var Beijing = time.FixedZone("CST", 8*3600)

// Status answers a status query: the caller's group's messages it names,
// with their recipients' states and history. A message still submitted or
// unknown RefreshAfter after it was sent is first refreshed from the
// provider (QuerySendDetails, QueryCallDetailByCallId), and what the
// provider says is recorded like a report.
func (s *Service) Status(ctx context.Context, r StatusRequest) (StatusPage, error) {
	if _, err := s.d.Groups.Authorize(r.Credentials, Request{Channel: r.Channel}); err != nil {
		return StatusPage{}, err
	}
	q, err := r.query()
	if err != nil {
		return StatusPage{}, err
	}
	ms, total, err := s.d.Store.FindMessages(ctx, q)
	if err != nil {
		return StatusPage{}, &Error{Op: "status.find", Kind: Unavailable, Reason: ReasonStoreUnavailable, Err: err}
	}
	page := StatusPage{Total: total, Page: q.Offset/q.Limit + 1, PageSize: q.Limit}
	asks := MaxRefreshed
	for _, m := range ms {
		m = s.refresh(ctx, m, &asks)
		history, err := s.d.Store.Reports(ctx, m.ID)
		if err != nil {
			return StatusPage{}, &Error{Op: "status.reports", Kind: Unavailable, Reason: ReasonStoreUnavailable, Err: err}
		}
		ms := MessageStatus{Message: m, Recipients: RecipientStates(m, history), History: history}
		if ms.Events, err = s.d.Store.MessageEvents(ctx, m.ID); err != nil {
			return StatusPage{}, &Error{Op: "status.events", Kind: Unavailable, Reason: ReasonStoreUnavailable, Err: err}
		}
		page.Messages = append(page.Messages, ms)
	}
	return page, nil
}

func (r *StatusRequest) query() (MessageQuery, error) {
	q := MessageQuery{GroupID: r.GroupID, Channel: r.Channel, MessageID: r.MessageID, ProviderID: r.ProviderID,
		Limit: r.PageSize, Offset: 0}
	switch {
	case r.PageSize == 0:
		q.Limit = DefaultPageSize
	case r.PageSize < 1 || r.PageSize > MaxPageSize:
		return q, Invalidf("PageSize", ReasonOutOfRange, "is %d; want 1 to %d", r.PageSize, MaxPageSize)
	}
	switch {
	case r.Page == 0:
	case r.Page < 1 || r.Page > 10000:
		return q, Invalidf("Page", ReasonOutOfRange, "is %d; want 1 to 10000", r.Page)
	default:
		q.Offset = (r.Page - 1) * q.Limit
	}
	if r.Recipient != "" || r.SendDate != "" {
		if r.Recipient == "" {
			return q, Invalidf(r.RecipientField, ReasonMissingField, "is required with SendDate")
		}
		if r.SendDate == "" {
			return q, Invalidf("SendDate", ReasonMissingField, "is required with %s (yyyyMMdd)", r.RecipientField)
		}
		day, err := time.ParseInLocation("20060102", r.SendDate, Beijing)
		if err != nil {
			return q, Invalidf("SendDate", ReasonInvalidField, "must be a date as yyyyMMdd")
		}
		q.From, q.To = day, day.AddDate(0, 0, 1)
		q.Recipient = r.Recipient
		if p, ok := NormalizePhone(r.Recipient); ok {
			q.Recipient = p
		}
	}
	if q.MessageID == "" && q.ProviderID == "" && q.Recipient == "" {
		return q, Invalidf("MessageId", ReasonMissingField, "name the messages: MessageId, %s, or %s with SendDate",
			r.ProviderIDField, r.RecipientField)
	}
	return q, nil
}

// refresh asks the provider about a message no report has settled, once it
// is old enough for the provider to know, and records the answer. On any
// failure the message is shown as it stands. Each ask takes one of *asks;
// with none left, the message is shown as it stands.
func (s *Service) refresh(ctx context.Context, m *Message, asks *int) *Message {
	if m.Sandbox || (m.Status != Accepted && m.Status != Submitted && m.Status != Unknown) || *asks <= 0 {
		return m
	}
	age := s.d.Now().Sub(m.CreatedAt)
	if m.ProviderID == "" {
		// Looked up at most once per ReconcileAfter: each lookup is
		// written, found or not, and moves UpdatedAt.
		if age < s.d.ReconcileAfter || s.d.Now().Sub(m.UpdatedAt) < s.d.ReconcileAfter {
			return m
		}
		*asks--
		return s.reconcile(ctx, m)
	}
	q := s.querier(m)
	if q == nil || age < s.d.RefreshAfter {
		return m
	}
	*asks--
	reports, err := q.Query(ctx, m)
	if err != nil {
		s.d.Log.WarnContext(ctx, "refresh status from the provider", "message_id", m.ID, "err", err)
		return m
	}
	return s.recordQueried(ctx, m, reports)
}

// reconcile settles a message whose send never recorded its outcome: its
// process died, or its store stopped answering, between recording it and
// the provider's answer. The provider is asked for it by what was sent;
// what it knows is recorded as a report would be. A message it does not
// know, or one it cannot be asked about, moves from accepted to unknown,
// with the reason: it may or may not have been sent, and a report may
// still settle it. See docs/guarantees.md.
func (s *Service) reconcile(ctx context.Context, m *Message) *Message {
	now := s.d.Now()
	why := "the provider has no message of this id"
	var reports []Report
	switch q := s.querier(m); {
	case q == nil:
		why = m.Provider + " cannot be asked about a message without its id"
	default:
		var err error
		reports, err = q.Query(ctx, m)
		var no *NoLookup
		switch {
		case errors.As(err, &no):
			why = m.Provider + " cannot find it: " + no.Why
		case err != nil:
			s.d.Log.WarnContext(ctx, "look up a message whose outcome was never recorded", "message_id", m.ID, "err", err)
			return m
		}
	}
	if len(reports) > 0 {
		for i := range reports {
			// The lookup's reports are the message's own, under a
			// provider id of the lookup's: reports are told apart by
			// provider id, and these have none.
			reports[i].MessageID = m.ID
			if reports[i].ProviderID == "" {
				reports[i].ProviderID = "lookup:" + m.ID
			}
		}
		return s.recordQueried(ctx, m, reports)
	}
	o := Outcome{Status: Unknown, Provider: m.Provider, RequestID: m.RequestID, ErrorCode: "outcome_lost",
		ErrorText: "the provider's answer to its send was never recorded, and " + why +
			"; it may or may not have been sent, and a report may still settle it", At: now}
	if err := s.d.Store.FinishMessage(ctx, m.ID, o); err != nil {
		s.d.Log.WarnContext(ctx, "record a lost outcome as unknown", "message_id", m.ID, "err", err)
		return m
	}
	s.d.Log.WarnContext(ctx, "a send's outcome was lost; the message is unknown", "message_id", m.ID, "why", why)
	return s.fresh(ctx, m)
}

// recordQueried records what a provider said of m, and returns m as it
// then stands.
func (s *Service) recordQueried(ctx context.Context, m *Message, reports []Report) *Message {
	for _, r := range reports {
		if _, err := s.d.Store.RecordReport(ctx, r); err != nil {
			s.d.Log.WarnContext(ctx, "record the provider's status", "message_id", m.ID, "err", err)
			return m
		}
	}
	return s.fresh(ctx, m)
}

// fresh reads m again, or returns it as it was.
func (s *Service) fresh(ctx context.Context, m *Message) *Message {
	if f, err := s.d.Store.Message(ctx, m.ID); err == nil {
		return f
	}
	return m
}

// querier returns what asks m's provider about it: the SMS provider's
// own, else the channel's, when m went through its provider; nil when
// none can.
func (s *Service) querier(m *Message) Querier {
	if q := s.d.SMSQueriers[m.Provider]; m.Channel == SMS && q != nil {
		return q
	}
	if m.Provider == s.providerOf(m.Channel) {
		return s.d.Queriers[m.Channel]
	}
	return nil
}

func (s *Service) providerOf(ch Channel) string {
	switch ch {
	case SMS:
		return s.d.SMSProvider
	case Voice:
		return s.d.VoiceProvider
	}
	return s.d.MailProvider
}

// RecipientStates is where each recipient of m stands: its latest final
// report, else its latest report, else the message's own status.
func RecipientStates(m *Message, history []Report) []RecipientStatus {
	out := make([]RecipientStatus, len(m.Recipients))
	idx := make(map[string]int, len(m.Recipients))
	for i, rc := range m.Recipients {
		out[i] = RecipientStatus{Recipient: rc, Status: m.Status}
		if m.Status == Delivered || m.Status == Failed {
			out[i].Code, out[i].Text = m.ErrorCode, ""
		}
		idx[rc] = i
	}
	final := make([]bool, len(out))
	for _, r := range history {
		i, ok := idx[r.Recipient]
		isFinal := r.Status == Delivered || r.Status == Failed
		if !ok || (final[i] && !isFinal) {
			continue
		}
		out[i] = RecipientStatus{Recipient: r.Recipient, Status: r.Status, Code: r.Code, Text: r.Text, At: r.At}
		final[i] = final[i] || isFinal
	}
	return out
}
