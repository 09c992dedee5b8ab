// Package notify is the core of the notification gateway: the message kinds,
// the send pipeline (Service), the error Kind, and the small interfaces it
// consumes (Store, SMSSender). It imports no cloud SDK, no provider SDK and no
// HTTP framework: the edges (httpapi, platform, provider, store) adapt to it.
package notify

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"time"
)

// Channel is a way of reaching a person.
type Channel string

// The channels a group may be allowed to use.
const (
	SMS   Channel = "sms"
	Voice Channel = "tts"
	Mail  Channel = "mail"
)

// Status is where a message stands in its life cycle:
// accepted -> submitted -> delivered | failed | unknown.
type Status string

// The statuses of a message.
const (
	Accepted  Status = "accepted"  // recorded, not yet handed to a provider
	Submitted Status = "submitted" // a provider accepted it
	Delivered Status = "delivered" // a report says it arrived
	Failed    Status = "failed"    // it was certainly not sent, or a report says it failed
	Unknown   Status = "unknown"   // the provider may or may not have it; settled by a report or a query
)

// Message is the record of one send request: stored before anything is sent
// and updated with the outcome.
type Message struct {
	ID         string
	GroupID    string
	Channel    Channel
	Recipients []string
	SignName   string
	Template   string
	Params     string // the template parameters as a JSON object
	OutID      string
	// QueueKey names the queue message this record came from
	// ("<source>:<message id>"), "" for HTTP requests. At most one record
	// per key is in any status but failed, or failed and Taken: a
	// redelivered message finds it.
	QueueKey string
	// Spend, when set, is what the message costs a station of its group:
	// taken from the station's balance in the transaction that records the
	// message, and given back in the one that records it failed (the
	// provider certainly did not take it). See SaaSStore.
	Spend *Spend
	// Webhook is set on the records of a group with a webhook: the store
	// then writes an event (EventStore) with each final state of one of
	// its recipients. It is written with the record and not read back.
	Webhook    bool
	Provider   string
	Status     Status
	ProviderID string // Aliyun BizId or CallId, Tencent SerialNo, ...
	RequestID  string // the provider's request id
	ErrorCode  string
	ErrorText  string
	Sandbox    bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// Taken is set by the store on a record a provider spoke of: a report
	// or a status lookup settled it, or its outcome came after reports of
	// its own. A failed record Taken was sent, and holds its QueueKey: a
	// redelivery of its queue message is answered from it. A failed record
	// not Taken failed before any provider took it (or was written by a
	// version before Taken: failedInDelivery also reads its provider id
	// and reports), and a redelivery is sent again.
	Taken bool
	// Answer and AnsweredAt are the status of the send's outcome, as
	// FinishMessage wrote it, and its time: the provider's answer (or
	// the gateway's refusal), which a report's status and time may have
	// replaced in Status and UpdatedAt since. Empty and zero until then,
	// and on records older than the column.
	Answer     Status
	AnsweredAt time.Time
}

// refusalReasons are the error codes a record of a send the gateway
// refused keeps: a send limit, a code's cooldown, a station's balance, or
// the store not keeping the code before it went out. A provider's failure
// is recorded with the provider's code, or its error's Kind, never one of
// these.
var refusalReasons = []string{ReasonRateLimited, ReasonDailyCap, ReasonCooldown, ReasonBalanceTooLow,
	ReasonStoreUnavailable}

// Refused reports whether m's record is of a message the gateway refused
// before any provider saw it (Outcome.Refused, or a record written
// refused): failed for one of the gateway's own refusals, or with no
// provider at all (a queue message refused for good). Such a message was
// never sent.
func (m *Message) Refused() bool {
	return m.Status == Failed && (m.Provider == "" || slices.Contains(refusalReasons, m.ErrorCode))
}

// Outcome is what became of a send, written over the accepted record.
type Outcome struct {
	Status     Status
	Provider   string
	ProviderID string
	RequestID  string
	ErrorCode  string
	ErrorText  string
	Sandbox    bool
	At         time.Time
	// Refused marks the failure of a message the gateway refused before
	// any provider saw it (a code within its cooldown): its caller was
	// told in the reply, and the store writes no webhook event for it.
	Refused bool
}

// Store is everything the gateway keeps: messages, Idempotency-Key
// replies, delivery reports and inbound replies, send limits, verification
// codes, the SaaS platform's stations, webhook events and what scheduled
// work settles and deletes. Both stores under shared/store implement it
// whole, and shared/store/storetest holds them to it. A store opens itself
// on its first call (connecting, bringing its schema up to date) and
// bounds each call by its timeout; it must be closed.
type Store interface {
	MessageStore
	IdempotencyStore
	MessageFinder
	ReportStore
	LimitStore
	CodeStore
	SaaSStore
	EventStore
	ScheduledStore
	// Ping tells whether the store answers.
	Ping(ctx context.Context) error
	// Close releases the store; calls after it fail.
	Close() error
}

// MessageStore keeps message records.
type MessageStore interface {
	// CreateMessage durably records m before it is sent. A record whose
	// QueueKey another record holds (see Message.QueueKey) is an *Error of
	// kind Conflict.
	CreateMessage(ctx context.Context, m *Message) error
	// FinishMessage records the outcome of the send of message id.
	FinishMessage(ctx context.Context, id string, o Outcome) error
	// Message returns the record of message id; a missing one is an
	// *Error of kind NotFound with Reason "not_found".
	Message(ctx context.Context, id string) (*Message, error)
	// MessageByQueueKey returns the record that holds queue message key
	// (see Message.QueueKey); none is the not_found *Error.
	MessageByQueueKey(ctx context.Context, key string) (*Message, error)
}

// TextMessage is an SMS ready for a provider: validated and authorized.
type TextMessage struct {
	ID           string   // our message id
	PhoneNumbers []string // mainland 11-digit numbers or E.164 (+CC...)
	SignName     string
	TemplateCode string
	Params       string // a JSON object whose values are all strings, or ""
	// ParamList holds the template's values in the order a positional
	// template takes them (Tencent's TemplateParamSet, Cloopen's datas);
	// nil for a provider that names its parameters (Aliyun takes Params).
	ParamList []string
	OutID     string
}

// Acceptance is a provider's acceptance of a message.
type Acceptance struct {
	ProviderID string // Aliyun BizId
	RequestID  string
	Code       string // the provider's success code, "OK" for Aliyun
	Message    string
	Sandbox    bool // the sandbox accepted it and nothing left the machine
	// Recipients is set by a provider that answers for each number on its
	// own (Tencent SendSms): one entry per number sent, in request order.
	// The acceptance means at least one number was accepted; ProviderID is
	// then the first accepted number's id.
	Recipients []RecipientAcceptance
}

// RecipientAcceptance is one number's part of a provider's answer.
type RecipientAcceptance struct {
	Number     string // as in TextMessage.PhoneNumbers
	ProviderID string // the provider's id for this number (Tencent SerialNo); "" when refused
	Code       string // the provider's code for this number ("Ok" at Tencent)
	// Err is why the provider refused this number, an *Error; nil when it
	// accepted it.
	Err error
}

// SMSSender hands a text message to one SMS provider. An error is an *Error
// whose Kind says whether the provider certainly did not accept it
// (Transient, Throttled, Account, Rejected) or may have (Ambiguous).
type SMSSender interface {
	SendSMS(ctx context.Context, m TextMessage) (Acceptance, error)
}

// NewID returns a new message id: 32 hex digits, the first 12 of them the
// creation time in milliseconds, so ids sort by time.
func NewID(now time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16)
	_, _ = rand.Read(b[6:])
	return hex.EncodeToString(b[:])
}

// IDBefore returns the least id NewID can make at t: every id made before
// t is less than it.
func IDBefore(t time.Time) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(t.UnixMilli())<<16)
	return hex.EncodeToString(b[:6])
}
