package notify

import (
	"context"
	"encoding/json"
	"time"
)

// Report is one delivery report: what a provider says became of one
// message to one recipient.
type Report struct {
	Provider   string  // "aliyun", "tencent" or "cloopen"
	Channel    Channel // SMS or Voice
	ProviderID string  // Aliyun biz_id or call_id, Tencent sid, Cloopen smsMessageSid
	// Recipient is the phone number in NormalizePhone's canonical form, or
	// as sent when it is masked ("1381111****") or not a number.
	Recipient string
	// Status is Delivered or Failed for a final report and Submitted for
	// an intermediate voice call state.
	Status Status
	Code   string // the provider's code: err_code, errmsg, status_code, deliverCode
	Text   string // the provider's words: err_msg, description, status_msg
	OutID  string // our OutId, when the provider echoes it
	// At is when the provider says it happened; zero when it does not say.
	At  time.Time
	Raw json.RawMessage // the record as it arrived
	// MessageID and ReceivedAt are set by the store: the message the
	// report matched ("" for an orphan) and when it was recorded. A
	// report the gateway makes itself of a send (one recipient's part of
	// a provider's answer) sets MessageID: the store matches it to that
	// message, and later reports with its ProviderID and Recipient too.
	MessageID  string
	ReceivedAt time.Time
}

// Inbound is an inbound reply (Aliyun SmsUp): an SMS a person sent back.
type Inbound struct {
	Provider   string // "aliyun"
	Recipient  string // the sender's phone number, canonical as in Report
	Content    string
	DestCode   string // the extension code it was sent to
	SignName   string
	SequenceID string // the provider's id for it
	At         time.Time
	Raw        json.RawMessage
	// GroupID, when set, is the group with a webhook the reply is for:
	// the store writes its event (EventInbound) with it.
	GroupID string
}

// ReportResult is what recording a report did.
type ReportResult struct {
	// MessageID is the message the report matched, "" for an orphan: a
	// report for a provider id and recipient no record has, kept as it
	// came.
	MessageID string
	// Duplicate is true when the same report was recorded before; nothing
	// changed.
	Duplicate bool
	// Status is the message's status after the report.
	Status Status
}

// ReportStore keeps delivery reports and inbound replies, and moves the
// messages they name along their life cycle.
type ReportStore interface {
	// RecordReport durably keeps r and, when it matches a message (by
	// provider, provider id and recipient), moves that message along its
	// life cycle: a message is delivered once every recipient has a
	// delivered report, failed once every recipient has a final report
	// and one failed. A report recorded before (same provider, provider id,
	// recipient, status and code; without a provider id, of the same
	// message too) changes nothing.
	RecordReport(ctx context.Context, r Report) (ReportResult, error)
	// RecordInbound durably keeps an inbound reply; one recorded before
	// (same provider and sequence id) is not kept twice. It reports whether
	// the reply was new.
	RecordInbound(ctx context.Context, r Inbound) (bool, error)
	// Reports returns the reports recorded for message id, oldest first.
	Reports(ctx context.Context, messageID string) ([]Report, error)
}

// Settle is the life-cycle rule reports apply to a message: given its
// status, its recipients and its final reports (Delivered or Failed) in the
// order they were recorded, it returns the status the message moves to, the
// error code and text that go with it, and whether it moves at all.
//
// Each recipient counts by its latest final report. The message is
// delivered when every recipient is; failed when every recipient has a
// final report and one failed, with the code and text of the latest failed
// one; short of that, a message still accepted or unknown becomes submitted,
// since the provider evidently has it. A delivered or failed message never
// moves.
func Settle(status Status, recipients []string, finals []Report) (next Status, code, text string, moves bool) {
	if status == Delivered || status == Failed {
		return status, "", "", false
	}
	latest := make(map[string]int, len(finals)) // recipient -> index of its latest final report
	for i, r := range finals {
		latest[r.Recipient] = i
	}
	settled, failed := 0, -1
	for _, rc := range recipients {
		i, ok := latest[rc]
		if !ok {
			continue
		}
		settled++
		if finals[i].Status == Failed && i > failed {
			failed = i
		}
	}
	switch {
	case settled == len(recipients) && failed < 0:
		return Delivered, "", "", true
	case settled == len(recipients):
		return Failed, finals[failed].Code, finals[failed].Text, true
	case status == Accepted || status == Unknown:
		return Submitted, "", "", true
	}
	return status, "", "", false
}
