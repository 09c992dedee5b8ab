package notify

import (
	"context"
	"slices"
	"time"
)

// The SaaS platform's SMS service: the tenants of one group are stations
// (StationID "T7442"), each with a balance of units bought in recharges.
// A caller adds a task (AddTask), then starts it (StartTask): the start
// spends one unit per recipient and sends the task's message through the
// normal send path. docs/saas.md describes the life cycle and the ledger.

// Spend is what a message costs a station: Units taken from the balance of
// Station (of the message's group) when the message is recorded. TaskID is
// the task the message sends; the record links the task to the message
// even when Units is 0 (a start refused before it was paid for). Prev is
// the task's message before this one ("" for a task never started): a task
// whose message is no longer Prev was started by someone else meanwhile,
// and is not started again.
type Spend struct {
	Station string
	TaskID  int64
	Units   int64
	Prev    string
}

// Task is a message a station means to send: recorded by AddTask, sent by
// StartTask.
type Task struct {
	ID           int64 // given by the store, from 1
	GroupID      string
	Station      string
	RestaurantID *int64  // nil when the caller gave none
	ReceiveName  *string // nil when the caller gave none
	Phone        string  // canonical (NormalizePhone)
	// Content is sms_content as the caller gave it: a JSON object whose
	// values are strings.
	Content      string
	BusinessType int
	// MessageID is the message of the task's last start; "" before it was
	// started.
	MessageID string
	CreatedAt time.Time
	StartedAt time.Time // zero before it was started
}

// Recharge is units a station bought, as an operator recorded them.
type Recharge struct {
	ID        int64 // given by the store: the recharge's row of the ledger
	GroupID   string
	Station   string
	ComboID   int64
	ComboName string
	Units     int64  // at least 1
	MoneyFen  int64  // what was paid, in fen, at least 0
	UnitPrice string // the price of a unit in fen as the operator gave it ("10", "9.5"); "" when not given
	Operator  string
	// DealCode is the payment's report ("到账凭证"); a group's recharges
	// with one DealCode are one recharge: a retry credits once.
	DealCode string
	Remark   string
	At       time.Time
}

// SendRecord is a task and what became of its message.
type SendRecord struct {
	Task
	// Status is the status of the task's message, "" when the task was
	// never started. ErrorText says why a failed one failed.
	Status    Status
	ErrorText string
}

// DayCount is how many of a station's started tasks, added on Day
// ("2006-01-02", Beijing time), have messages in Status.
type DayCount struct {
	Day    string
	Status Status
	N      int64
}

// StationFigures are a station's balance and what it bought in all.
type StationFigures struct {
	Station        string
	Balance        int64
	RechargedUnits int64
	RechargedFen   int64
}

// Page is where a listing starts and how much of it to return. A
// listing's items have an order and each has a key (a task's or a
// recharge's id in decimal, a station's id). Without Reverse, a page
// holds the Limit items after the one whose key is After ("" is the
// start), skipping Offset of them; with Reverse, the Limit items before
// After, still in the listing's order.
type Page struct {
	After   string
	Reverse bool
	Limit   int
	Offset  int
}

// Cut makes a page of items, read in the page's direction (reversed for
// Reverse) with one more than Limit, when there are: the first Limit of
// them, in the listing's order, and whether more follow.
func Cut[T any](p Page, items []T) ([]T, bool) {
	more := len(items) > p.Limit
	if more {
		items = items[:p.Limit]
	}
	if p.Reverse {
		slices.Reverse(items)
	}
	return items, more
}

// RechargeQuery selects a station's recharges, or every station's when
// Station is "", newest first (key: the recharge's id). From and To bound
// At, [From, To); zero is unbounded. Q,
// when set, must appear in the deal code, remark, operator or combo name.
type RechargeQuery struct {
	GroupID  string
	Station  string
	From, To time.Time
	Q        string
	Page     Page
}

// SendRecordQuery selects a station's tasks, newest first (key: the task
// id), added in [From, To). Search, when set, must appear in the phone
// number or the receiver's name, or equal the restaurant id. BusinessTypes
// and Statuses, when set, are the values kept; the Status "" stands for a
// task never started.
type SendRecordQuery struct {
	GroupID       string
	Station       string
	From, To      time.Time
	Search        string
	BusinessTypes []int
	Statuses      []Status
	Page          Page
}

// StationQuery selects a group's stations, by station id (the key). Stations,
// when set, are the ones kept; Q, when set, must appear in the station id.
type StationQuery struct {
	GroupID  string
	Stations []string
	Q        string
	Page     Page
}

// SaaSTotals are a group's figures over all its stations.
type SaaSTotals struct {
	Balance        int64 // units left in all balances
	RechargedUnits int64 // units bought in all
	RechargedFen   int64 // money paid in all
}

// SaaSStore keeps stations' tasks, balances and recharges. A balance is
// the sum of the station's ledger: each recharge, spend and refund is a
// row of it, written in the same transaction as the change it pays for,
// and no balance is ever below zero. The message store that implements it
// also honours Message.Spend:
//
//   - CreateMessage and CreateMessageTakingQuotas of a message with a Spend
//     link its task to it (Task.MessageID, StartedAt = CreatedAt) and, when
//     Units > 0, take Units from the station's balance and write a spend row
//     of the ledger, all in the transaction that records the message. A
//     balance below Units records nothing and is an *Error of kind
//     Insufficient, Reason "balance_too_low"; a task whose message is no
//     longer Spend.Prev records nothing and is one of kind Conflict, Reason
//     "task_started".
//   - FinishMessage with Status Failed gives back, in its own transaction,
//     the units a message spent (a refund row of the ledger), once.
type SaaSStore interface {
	// AddTask records t and sets t.ID.
	AddTask(ctx context.Context, t *Task) error
	// Task returns the task id of group; none is the not_found *Error.
	Task(ctx context.Context, groupID string, id int64) (*Task, error)
	// Recharge credits r.Units to r.Station and records r, in one
	// transaction. A recharge whose DealCode the group has used already is
	// not credited again: it reports replayed when that one has r's
	// station, combo, units and money, and is an *Error of kind Conflict,
	// Reason "deal_code_reused", when it has other values.
	Recharge(ctx context.Context, r Recharge) (replayed bool, err error)
	// Balance returns the units left to a station; a station never
	// recharged has 0.
	Balance(ctx context.Context, groupID, station string) (int64, error)
	// Recharges, SendRecords and Stations return a page of their listing,
	// and whether more items follow it in the page's direction.
	Recharges(ctx context.Context, q RechargeQuery) ([]Recharge, bool, error)
	SendRecords(ctx context.Context, q SendRecordQuery) ([]SendRecord, bool, error)
	Stations(ctx context.Context, q StationQuery) ([]StationFigures, bool, error)
	// DayCounts counts a station's started tasks added in [from, to) by
	// Beijing day and status of their messages; days without any are left
	// out.
	DayCounts(ctx context.Context, groupID, station string, from, to time.Time) ([]DayCount, error)
	// Totals returns a group's figures over all its stations.
	Totals(ctx context.Context, groupID string) (SaaSTotals, error)
}
