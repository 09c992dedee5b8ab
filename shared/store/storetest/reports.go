package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// RunReports runs the contract of notify.ReportStore against stores from
// open, which returns a new, empty store for each subtest. Beyond the interface's comments:
//
//   - A report names a message by provider, provider id and channel, and
//     one of the message's recipients, compared as stored. Any other
//     report (an unknown id, another provider's or channel's, a masked or
//     unknown number) is an orphan: kept with MessageID "" and listed by
//     Reports(ctx, ""). It changes no message.
//   - A report with no Recipient (Aliyun's intermediate call states name
//     none) names the one recipient of a message that has exactly one,
//     and reads back with that Recipient; to a message of several it is
//     an orphan.
//   - The same report is one with the same provider, provider id,
//     channel, recipient, status and code: an SMS and a call that share a
//     provider id do not share reports. A report without a provider id
//     (the gateway's own of a number the provider refused) is the same
//     only as one of the same message.
//   - A report reads back as recorded: every string byte for byte, Raw
//     byte for byte, At in UTC truncated to the millisecond (zero when the
//     provider did not say), with MessageID and ReceivedAt (the time it
//     was recorded, truncated likewise) set.
//   - A report that moves a message's status marks it Taken, as does an
//     outcome written after reports of its own: a failed message Taken
//     keeps its queue key (Run's contract).
//   - A report leaves Answer and AnsweredAt as the outcome wrote them.
//   - A message's status comes from the latest final report of each
//     recipient: delivered when all are delivered (ErrorCode and ErrorText
//     cleared), failed when all have one and one failed (its Code and Text
//     as ErrorCode and ErrorText). Short of that, an accepted or unknown
//     message becomes submitted, its error kept; a submitted one stays. A
//     delivered or failed message never changes. UpdatedAt is the time the
//     status changed.
//   - A report with a provider id that matches no message that way names,
//     by its OutID, the message of that id, provider, channel and one of
//     its recipients that has no provider id and was created without an
//     OutID (the gateway sends its own id as the OutId then), and that
//     message takes the report's provider id.
//   - An orphan is adopted when the id it names comes: FinishMessage with
//     a provider id, and the send's own report of a number's id (MessageID
//     set), make the orphans of that provider, id and channel the
//     message's, each whose recipient is one of the message's, or none for
//     a message of one (it then reads back with that one, unless that makes
//     it a report kept already: it stays an orphan). The message's status
//     is then worked out from all its reports, and FinishMessage does not
//     take back a status its reports settled. Run concurrently, a report
//     and the outcome naming its id always meet.
//   - Of concurrent calls with one report, exactly one records it.
//   - A call with a cancelled context fails with an error that wraps
//     context.Canceled, and writes nothing.
func RunReports(t *testing.T, open func(t *testing.T) notify.Store) {
	for _, tc := range []struct {
		name string
		test func(*testing.T, notify.Store)
	}{
		{"Delivered", testReportDelivered},
		{"Duplicate", testReportDuplicate},
		{"Orphan", testReportOrphan},
		{"AllRecipients", testReportAllRecipients},
		{"SettlesUnknown", testReportSettlesUnknown},
		{"FailedHoldsQueueKey", testReportFailedHoldsQueueKey},
		{"AnswerKept", testReportAnswerKept},
		{"NeverBackwards", testReportNeverBackwards},
		{"NotItsMessage", testReportNotItsMessage},
		{"NoRecipient", testReportNoRecipient},
		{"PerRecipientIDs", testReportPerRecipientIDs},
		{"RefusedTwice", testReportRefusedTwice},
		{"AdoptedAtFinish", testReportAdoptedAtFinish},
		{"AdoptedByOwnReport", testReportAdoptedByOwnReport},
		{"SettledBeforeOutcome", testReportSettledBeforeOutcome},
		{"AdoptRace", testReportAdoptRace},
		{"ByOutID", testReportByOutID},
		{"Concurrent", testReportConcurrent},
		{"Cancelled", testReportCancelled},
		{"Replies", testInbound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.test(t, open(t))
		})
	}
}

// sentAt is when the messages of these tests were sent.
var sentAt = time.Date(2026, 5, 20, 9, 30, 0, 0, time.UTC)

// sentMessage records a message that provider took with id pid, in status,
// to recipients, and returns it as it reads back.
func sentMessage(t *testing.T, st notify.Store, provider string, ch notify.Channel, pid string, status notify.Status,
	recipients ...string) *notify.Message {
	t.Helper()
	m := &notify.Message{ID: notify.NewID(sentAt), GroupID: "ops", Channel: ch, Recipients: recipients,
		SignName: "测试", Template: "SMS_1", Params: `{"code":"1234"}`, Provider: provider, Status: status,
		ProviderID: pid, RequestID: "req-" + pid, CreatedAt: sentAt, UpdatedAt: sentAt}
	if status == notify.Unknown {
		m.ErrorCode, m.ErrorText = "ambiguous", "the provider did not answer in time"
	}
	if status == notify.Failed {
		m.ErrorCode, m.ErrorText = "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号"
	}
	if err := st.CreateMessage(t.Context(), m); err != nil {
		t.Fatalf("CreateMessage: %v", err)
	}
	return stored(m)
}

// reportFor returns a report for m to recipient: delivered, or failed
// with a carrier's code.
func reportFor(m *notify.Message, recipient string, status notify.Status) notify.Report {
	r := notify.Report{Provider: m.Provider, Channel: m.Channel, ProviderID: m.ProviderID, Recipient: recipient,
		Status: status, Code: "DELIVERED", Text: "用户接收成功", OutID: m.OutID,
		At:  time.Date(2026, 5, 20, 17, 30, 5, 123_456_789, notify.Beijing),
		Raw: []byte(fmt.Sprintf(`{"biz_id":%q,"phone_number":%q,"success":true}`, m.ProviderID, recipient))}
	switch status {
	case notify.Failed:
		r.Code, r.Text = "MK:0001", "用户停机"
	case notify.Submitted:
		r.Code, r.Text = "200101", "呼叫中"
	}
	return r
}

func record(t *testing.T, st notify.Store, r notify.Report) notify.ReportResult {
	t.Helper()
	res, err := st.RecordReport(t.Context(), r)
	if err != nil {
		t.Fatalf("RecordReport(%s %s %s): %v", r.ProviderID, r.Status, r.Code, err)
	}
	return res
}

func checkResult(t *testing.T, what string, got, want notify.ReportResult) {
	t.Helper()
	if got != want {
		t.Errorf("%s: RecordReport = %+v, want %+v", what, got, want)
	}
}

// readMessage returns the record of m.
func readMessage(t *testing.T, st notify.Store, m *notify.Message) *notify.Message {
	t.Helper()
	got, err := st.Message(t.Context(), m.ID)
	if err != nil {
		t.Fatalf("Message: %v", err)
	}
	return got
}

// checkMessage compares the record of want.ID with want.
func checkMessage(t *testing.T, st notify.Store, what string, want *notify.Message) {
	t.Helper()
	for _, d := range diff(readMessage(t, st, want), want) {
		t.Errorf("%s: %s", what, d)
	}
}

// updated is m after a report changed its status to status at some time
// in [from, to]: it returns m with that status and error, Taken, and
// UpdatedAt as the record has it, after checking that it lies in the
// window.
func updated(t *testing.T, st notify.Store, m *notify.Message, status notify.Status, code, text string,
	from, to time.Time) *notify.Message {
	t.Helper()
	got := readMessage(t, st, m)
	if got.UpdatedAt.Before(from.Truncate(time.Millisecond)) || got.UpdatedAt.After(to) {
		t.Errorf("UpdatedAt = %s, want the time of the report, in [%s, %s]", got.UpdatedAt.Format(time.RFC3339Nano),
			from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano))
	}
	w := *m
	w.Status, w.ErrorCode, w.ErrorText, w.UpdatedAt = status, code, text, got.UpdatedAt
	w.Taken = true // a report moved it
	return &w
}

// reports returns the reports of message id ("" for the orphans).
func reports(t *testing.T, st notify.Store, id string) []notify.Report {
	t.Helper()
	rs, err := st.Reports(t.Context(), id)
	if err != nil {
		t.Fatalf("Reports(%q): %v", id, err)
	}
	return rs
}

// checkReports compares reports read back with those recorded, as
// messageID's, in [from, to].
func checkReports(t *testing.T, got, want []notify.Report, messageID string, from, to time.Time) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d reports read back, want %d: %+v", len(got), len(want), got)
	}
	for i, g := range got {
		w := want[i]
		if g.Provider != w.Provider || g.Channel != w.Channel || g.ProviderID != w.ProviderID || g.Recipient != w.Recipient ||
			g.Status != w.Status || g.Code != w.Code || g.Text != w.Text || g.OutID != w.OutID || g.MessageID != messageID {
			t.Errorf("report %d = %+v\nwant %+v with MessageID %q", i, g, w, messageID)
		}
		if wat := w.At.UTC().Truncate(time.Millisecond); !g.At.Equal(wat) || (!g.At.IsZero() && g.At.Location() != time.UTC) {
			t.Errorf("report %d: At = %s, want %s in UTC", i, g.At.Format(time.RFC3339Nano+" MST"), wat.Format(time.RFC3339Nano))
		}
		if !bytes.Equal(g.Raw, w.Raw) {
			t.Errorf("report %d: Raw = %q, want %q", i, g.Raw, w.Raw)
		}
		if g.ReceivedAt.Location() != time.UTC || g.ReceivedAt.Before(from.Truncate(time.Millisecond)) || g.ReceivedAt.After(to) {
			t.Errorf("report %d: ReceivedAt = %s, want a UTC time in [%s, %s]", i, g.ReceivedAt.Format(time.RFC3339Nano+" MST"),
				from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano))
		}
	}
}

func testReportDelivered(t *testing.T, st notify.Store) {
	for _, ch := range []notify.Channel{notify.SMS, notify.Voice} {
		t.Run(string(ch), func(t *testing.T) {
			m := sentMessage(t, st, "aliyun", ch, "900619746936498440^0", notify.Submitted, "13800138000")
			r := reportFor(m, "13800138000", notify.Delivered)
			from := time.Now()
			res := record(t, st, r)
			to := time.Now()
			checkResult(t, "report", res, notify.ReportResult{MessageID: m.ID, Status: notify.Delivered})
			checkMessage(t, st, "after the report", updated(t, st, m, notify.Delivered, "", "", from, to))
			checkReports(t, reports(t, st, m.ID), []notify.Report{r}, m.ID, from, to)
			if rs := reports(t, st, ""); len(rs) != 0 {
				t.Errorf("orphans %+v, want none", rs)
			}
		})
	}
	t.Run("without time or raw", func(t *testing.T) {
		m := sentMessage(t, st, "tencent", notify.SMS, "5000:1045710669157053657849499619", notify.Submitted, "+85291234567")
		r := reportFor(m, "+85291234567", notify.Failed)
		r.At, r.Raw, r.Text, r.OutID = time.Time{}, nil, "", ""
		from := time.Now()
		res := record(t, st, r)
		to := time.Now()
		checkResult(t, "report", res, notify.ReportResult{MessageID: m.ID, Status: notify.Failed})
		checkMessage(t, st, "after the report", updated(t, st, m, notify.Failed, "MK:0001", "", from, to))
		checkReports(t, reports(t, st, m.ID), []notify.Report{r}, m.ID, from, to)
	})
}

func testReportDuplicate(t *testing.T, st notify.Store) {
	m := sentMessage(t, st, "aliyun", notify.SMS, "900619746936498441^0", notify.Submitted, "13800138000")
	r := reportFor(m, "13800138000", notify.Delivered)
	from := time.Now()
	record(t, st, r)
	to := time.Now()
	after := readMessage(t, st, m)
	// The same report, pushed again, with the provider's other words and
	// time: the same provider, id, recipient, status and code.
	again := r
	again.Text, again.At, again.Raw = "again", r.At.Add(time.Minute), []byte(`{"again":true}`)
	for i := range 2 {
		res := record(t, st, again)
		checkResult(t, fmt.Sprintf("push %d", i+2), res, notify.ReportResult{MessageID: m.ID, Duplicate: true, Status: notify.Delivered})
	}
	checkMessage(t, st, "after duplicates", after)
	checkReports(t, reports(t, st, m.ID), []notify.Report{r}, m.ID, from, to)
}

func testReportOrphan(t *testing.T, st notify.Store) {
	m := sentMessage(t, st, "aliyun", notify.SMS, "900619746936498442^0", notify.Submitted, "13800138000")
	orphan := reportFor(m, "13800138000", notify.Delivered)
	orphan.ProviderID = "123456789012345678^0"
	from := time.Now()
	res := record(t, st, orphan)
	to := time.Now()
	checkResult(t, "orphan", res, notify.ReportResult{})
	checkResult(t, "orphan again", record(t, st, orphan), notify.ReportResult{Duplicate: true})
	checkReports(t, reports(t, st, ""), []notify.Report{orphan}, "", from, to)
	checkMessage(t, st, "the message with another id", m)
	if rs := reports(t, st, m.ID); len(rs) != 0 {
		t.Errorf("reports of the message with another id: %+v, want none", rs)
	}
}

func testReportAllRecipients(t *testing.T, st notify.Store) {
	to3 := []string{"13800138000", "13900139000", "+85291234567"}
	for _, tt := range []struct {
		name     string
		statuses []notify.Status // of the reports for to3, in order
		status   notify.Status   // of the message after all three
		code     string
	}{
		{"all delivered", []notify.Status{notify.Delivered, notify.Delivered, notify.Delivered}, notify.Delivered, ""},
		{"one failed", []notify.Status{notify.Delivered, notify.Failed, notify.Delivered}, notify.Failed, "MK:0001"},
		{"the last failed", []notify.Status{notify.Delivered, notify.Delivered, notify.Failed}, notify.Failed, "MK:0001"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := sentMessage(t, st, "aliyun", notify.SMS, "9006197469364985"+tt.name, notify.Submitted, to3...)
			var want []notify.Report
			from := time.Now()
			for i, rcpt := range to3 {
				r := reportFor(m, rcpt, tt.statuses[i])
				want = append(want, r)
				res := record(t, st, r)
				if i < len(to3)-1 {
					checkResult(t, fmt.Sprintf("report %d of 3", i+1), res, notify.ReportResult{MessageID: m.ID, Status: notify.Submitted})
					checkMessage(t, st, fmt.Sprintf("after report %d of 3", i+1), m)
				} else {
					checkResult(t, "report 3 of 3", res, notify.ReportResult{MessageID: m.ID, Status: tt.status})
				}
			}
			to := time.Now()
			text := ""
			if tt.code != "" {
				text = "用户停机"
			}
			checkMessage(t, st, "after all reports", updated(t, st, m, tt.status, tt.code, text, from, to))
			checkReports(t, reports(t, st, m.ID), want, m.ID, from, to)
		})
	}
	t.Run("a later report for the same recipient", func(t *testing.T) {
		// The latest final report of each recipient counts.
		m := sentMessage(t, st, "aliyun", notify.SMS, "900619746936498443^0", notify.Submitted, to3[:2]...)
		record(t, st, reportFor(m, to3[0], notify.Failed))
		record(t, st, reportFor(m, to3[0], notify.Delivered))
		from := time.Now()
		res := record(t, st, reportFor(m, to3[1], notify.Delivered))
		to := time.Now()
		checkResult(t, "last report", res, notify.ReportResult{MessageID: m.ID, Status: notify.Delivered})
		checkMessage(t, st, "after all reports", updated(t, st, m, notify.Delivered, "", "", from, to))
	})
}

// testReportPerRecipientIDs is a provider that gives each number an id of
// its own (Tencent's SerialNo): the gateway records each number's part of
// the answer as a report naming the message, and the provider's reports,
// which name only a number's id, find the message through it.
func testReportPerRecipientIDs(t *testing.T, st notify.Store) {
	to3 := []string{"13800138000", "13900139000", "13700137000"}
	m := sentMessage(t, st, "tencent", notify.SMS, "2433:0001", notify.Submitted, to3...)
	own := []notify.Report{
		{Provider: "tencent", Channel: notify.SMS, ProviderID: "2433:0001", Recipient: to3[0], Status: notify.Submitted, Code: "Ok", MessageID: m.ID},
		{Provider: "tencent", Channel: notify.SMS, ProviderID: "2433:0002", Recipient: to3[1], Status: notify.Submitted, Code: "Ok", MessageID: m.ID},
		{Provider: "tencent", Channel: notify.SMS, Recipient: to3[2], Status: notify.Failed,
			Code: "FailedOperation.PhoneNumberInBlacklist", MessageID: m.ID},
	}
	for i, r := range own {
		checkResult(t, fmt.Sprintf("the send's report %d", i+1), record(t, st, r),
			notify.ReportResult{MessageID: m.ID, Status: notify.Submitted})
	}
	// A report for the second number names only its own id.
	r := notify.Report{Provider: "tencent", Channel: notify.SMS, ProviderID: "2433:0002", Recipient: to3[1],
		Status: notify.Delivered, Code: "DELIVRD"}
	checkResult(t, "report for the second number", record(t, st, r), notify.ReportResult{MessageID: m.ID, Status: notify.Submitted})
	r.ProviderID, r.Recipient = "2433:0001", to3[0]
	checkResult(t, "report for the first number, the last one pending", record(t, st, r),
		notify.ReportResult{MessageID: m.ID, Status: notify.Failed})
	// Another number's id does not match a number it was not given to.
	r.ProviderID, r.Recipient = "2433:0002", to3[2]
	checkResult(t, "an id with the wrong number", record(t, st, r), notify.ReportResult{})
}

func testReportSettlesUnknown(t *testing.T, st notify.Store) {
	for _, tt := range []struct {
		name       string
		from       notify.Status
		recipients []string
		report     notify.Status
		status     notify.Status // after the report
		keepsError bool
	}{
		{"unknown, delivered", notify.Unknown, []string{"13800138000"}, notify.Delivered, notify.Delivered, false},
		{"unknown, failed", notify.Unknown, []string{"13800138000"}, notify.Failed, notify.Failed, false},
		{"unknown, one of two delivered", notify.Unknown, []string{"13800138000", "13900139000"}, notify.Delivered,
			notify.Submitted, true},
		{"unknown, call under way", notify.Unknown, []string{"13800138000"}, notify.Submitted, notify.Submitted, true},
		{"accepted, call under way", notify.Accepted, []string{"13800138000"}, notify.Submitted, notify.Submitted, true},
		{"accepted, delivered", notify.Accepted, []string{"13800138000"}, notify.Delivered, notify.Delivered, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := sentMessage(t, st, "aliyun", notify.Voice, "116012354148^"+tt.name, tt.from, tt.recipients...)
			from := time.Now()
			res := record(t, st, reportFor(m, tt.recipients[0], tt.report))
			to := time.Now()
			checkResult(t, "report", res, notify.ReportResult{MessageID: m.ID, Status: tt.status})
			code, text := "", ""
			switch {
			case tt.keepsError:
				code, text = m.ErrorCode, m.ErrorText
			case tt.status == notify.Failed:
				code, text = "MK:0001", "用户停机"
			}
			checkMessage(t, st, "after the report", updated(t, st, m, tt.status, code, text, from, to))
		})
	}
}

// testReportAnswerKept settles a submitted message by a report, and checks
// that the provider's answer is still there to read.
func testReportAnswerKept(t *testing.T, st notify.Store) {
	const rcpt = "13800138000"
	m := sentMessage(t, st, "aliyun", notify.SMS, "", notify.Accepted, rcpt)
	answered := sentAt.Add(1500 * time.Millisecond)
	if err := st.FinishMessage(t.Context(), m.ID, notify.Outcome{Status: notify.Submitted, Provider: "aliyun",
		ProviderID: "biz-answer", At: answered}); err != nil {
		t.Fatalf("FinishMessage: %v", err)
	}
	m.ProviderID = "biz-answer"
	record(t, st, reportFor(m, rcpt, notify.Delivered))
	got := readMessage(t, st, m)
	if got.Status != notify.Delivered || got.Answer != notify.Submitted ||
		!got.AnsweredAt.Equal(answered.UTC().Truncate(time.Millisecond)) || got.AnsweredAt.Location() != time.UTC {
		t.Errorf("after the report: status %s, answer %s at %s; want delivered, submitted at %s", got.Status,
			got.Answer, got.AnsweredAt.Format(time.RFC3339Nano), answered.UTC().Format(time.RFC3339Nano))
	}
}

// testReportFailedHoldsQueueKey fails queued messages after a provider
// took them, and checks that a redelivery of their queue message finds
// them and cannot record another.
func testReportFailedHoldsQueueKey(t *testing.T, st notify.Store) {
	const rcpt = "13800138000"
	for _, tt := range []struct {
		name string
		fail func(t *testing.T, m *notify.Message)
	}{
		{"by a report", func(t *testing.T, m *notify.Message) {
			finish(t, st, m, notify.Outcome{Status: notify.Submitted, Provider: "aliyun", ProviderID: "biz-" + m.ID,
				At: sentAt})
			m.ProviderID = "biz-" + m.ID
			record(t, st, reportFor(m, rcpt, notify.Failed))
		}},
		{"by a lookup", func(t *testing.T, m *notify.Message) {
			// An outcome in doubt, then the provider's answer to a lookup by
			// OutId, which names no id of its own.
			finish(t, st, m, notify.Outcome{Status: notify.Unknown, Provider: "aliyun", ErrorCode: "ambiguous",
				At: sentAt})
			r := reportFor(m, rcpt, notify.Failed)
			r.ProviderID, r.MessageID = "lookup:"+m.ID, m.ID
			record(t, st, r)
		}},
		{"by its outcome after its own report", func(t *testing.T, m *notify.Message) {
			r := reportFor(m, rcpt, notify.Failed)
			r.ProviderID, r.MessageID = "sid-"+m.ID, m.ID
			record(t, st, r)
			if err := st.FinishMessage(t.Context(), m.ID, notify.Outcome{Status: notify.Failed, Provider: "tencent",
				ErrorCode: "FailedOperation", At: sentAt}); err != nil {
				t.Fatalf("FinishMessage: %v", err)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := sentMessage(t, st, "aliyun", notify.SMS, "", notify.Accepted, rcpt)
			m.QueueKey = "sqs:taken-" + m.ID
			m.ID = notify.NewID(sentAt)
			create(t, st, m)
			tt.fail(t, m)
			got := readMessage(t, st, m)
			if got.Status != notify.Failed || !got.Taken {
				t.Fatalf("after the failure: status %s, Taken %v; want failed, Taken", got.Status, got.Taken)
			}
			checkHolder(t, st, m.QueueKey, got)
			again := queued(m.QueueKey)
			err := st.CreateMessage(t.Context(), again)
			checkReason(t, "CreateMessage(key of a message a provider took)", err, notify.Conflict, "duplicate_queue_message")
		})
	}
}

func testReportNeverBackwards(t *testing.T, st notify.Store) {
	const rcpt = "13800138000"
	t.Run("delivered", func(t *testing.T) {
		m := sentMessage(t, st, "aliyun", notify.Voice, "116012354149^1", notify.Submitted, rcpt)
		record(t, st, reportFor(m, rcpt, notify.Delivered))
		delivered := readMessage(t, st, m)
		for _, s := range []notify.Status{notify.Failed, notify.Submitted} {
			res := record(t, st, reportFor(m, rcpt, s))
			checkResult(t, "a "+string(s)+" report after delivery", res, notify.ReportResult{MessageID: m.ID, Status: notify.Delivered})
		}
		checkMessage(t, st, "after later reports", delivered)
		if rs := reports(t, st, m.ID); len(rs) != 3 {
			t.Errorf("%d reports kept, want all 3", len(rs))
		}
	})
	t.Run("failed", func(t *testing.T) {
		m := sentMessage(t, st, "aliyun", notify.SMS, "900619746936498444^0", notify.Failed, rcpt)
		res := record(t, st, reportFor(m, rcpt, notify.Delivered))
		checkResult(t, "a delivered report for a failed message", res, notify.ReportResult{MessageID: m.ID, Status: notify.Failed})
		checkMessage(t, st, "after the report", m)
	})
}

func testReportNotItsMessage(t *testing.T, st notify.Store) {
	const rcpt = "13800138000"
	m := sentMessage(t, st, "aliyun", notify.SMS, "900619746936498445^0", notify.Submitted, rcpt)
	noID := sentMessage(t, st, "aliyun", notify.SMS, "", notify.Accepted, rcpt)
	var orphans []notify.Report
	from := time.Now()
	for _, tt := range []struct {
		name string
		edit func(r *notify.Report)
	}{
		{"another number", func(r *notify.Report) { r.Recipient = "13900139000" }},
		{"a masked number", func(r *notify.Report) { r.Recipient = "1380013****" }},
		{"the number in another form", func(r *notify.Report) { r.Recipient = "+86" + rcpt }},
		{"another provider", func(r *notify.Report) { r.Provider = "tencent" }},
		{"another channel", func(r *notify.Report) { r.Channel = notify.Voice }},
		{"no provider id", func(r *notify.Report) { r.ProviderID = "" }},
		{"a prefix of the id", func(r *notify.Report) { r.ProviderID = "900619746936498445" }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := reportFor(m, rcpt, notify.Delivered)
			tt.edit(&r)
			checkResult(t, "report", record(t, st, r), notify.ReportResult{})
			orphans = append(orphans, r)
		})
	}
	to := time.Now()
	checkMessage(t, st, "the message", m)
	checkMessage(t, st, "the message without a provider id", noID)
	checkReports(t, reports(t, st, ""), orphans, "", from, to)
}

func testReportNoRecipient(t *testing.T, st notify.Store) {
	call := sentMessage(t, st, "aliyun", notify.Voice, "116012354148^102813780000", notify.Accepted, "13800138000")
	ringing := reportFor(call, "", notify.Submitted)
	from := time.Now()
	res := record(t, st, ringing)
	to := time.Now()
	checkResult(t, "ringing", res, notify.ReportResult{MessageID: call.ID, Status: notify.Submitted})
	checkResult(t, "ringing again", record(t, st, ringing), notify.ReportResult{MessageID: call.ID, Duplicate: true,
		Status: notify.Submitted})
	ringing.Recipient = "13800138000"
	checkReports(t, reports(t, st, call.ID), []notify.Report{ringing}, call.ID, from, to)
	checkMessage(t, st, "the call", updated(t, st, call, notify.Submitted, "", "", from, to))

	two := sentMessage(t, st, "aliyun", notify.SMS, "900619746936498447^0", notify.Submitted, "13800138000", "13900139000")
	checkResult(t, "no recipient, two to choose from", record(t, st, reportFor(two, "", notify.Delivered)), notify.ReportResult{})
	checkMessage(t, st, "the message to two", two)
}

func testReportConcurrent(t *testing.T, st notify.Store) {
	m := sentMessage(t, st, "tencent", notify.SMS, "5000:1045710669157053657849499620", notify.Submitted, "13800138000")
	r := reportFor(m, "13800138000", notify.Delivered)
	const pushes = 8
	results := make([]notify.ReportResult, pushes)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			<-start
			res, err := st.RecordReport(t.Context(), r)
			if err != nil {
				t.Errorf("push %d: RecordReport: %v", i, err)
			}
			results[i] = res
		})
	}
	close(start)
	wg.Wait()
	recorded := 0
	for i, res := range results {
		if !res.Duplicate {
			recorded++
		}
		if res.MessageID != m.ID || res.Status != notify.Delivered {
			t.Errorf("push %d: RecordReport = %+v, want message %s delivered", i, res, m.ID)
		}
	}
	if recorded != 1 {
		t.Errorf("%d of %d concurrent pushes of one report were recorded, want exactly 1", recorded, pushes)
	}
	if rs := reports(t, st, m.ID); len(rs) != 1 {
		t.Errorf("%d reports kept, want 1", len(rs))
	}
}

func testReportCancelled(t *testing.T, st notify.Store) {
	m := sentMessage(t, st, "aliyun", notify.SMS, "900619746936498446^0", notify.Submitted, "13800138000")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := st.RecordReport(ctx, reportFor(m, "13800138000", notify.Delivered)); !errors.Is(err, context.Canceled) {
		t.Errorf("RecordReport with a cancelled context = %v, want context.Canceled", err)
	}
	if _, err := st.RecordInbound(ctx, notify.Inbound{Provider: "aliyun", Recipient: "13800138000", SequenceID: "1"}); !errors.Is(err, context.Canceled) {
		t.Errorf("RecordReply with a cancelled context = %v, want context.Canceled", err)
	}
	checkMessage(t, st, "after a cancelled report", m)
	if rs := reports(t, st, m.ID); len(rs) != 0 {
		t.Errorf("reports %+v, want none", rs)
	}
	if isNew, err := st.RecordInbound(t.Context(), notify.Inbound{Provider: "aliyun", Recipient: "13800138000", SequenceID: "1"}); err != nil || !isNew {
		t.Errorf("RecordReply after the cancelled one = %v, %v; want it new", isNew, err)
	}
}

func testInbound(t *testing.T, st notify.Store) {
	reply := notify.Inbound{Provider: "aliyun", Recipient: "13800138000", Content: "TD 退订", DestCode: "1234",
		SignName: "签名", SequenceID: "1234567890", At: time.Date(2026, 5, 20, 17, 31, 0, 0, notify.Beijing),
		Raw: []byte(`{"sequence_id":1234567890}`)}
	other := reply
	other.SequenceID = "1234567891"
	tencent := reply
	tencent.Provider = "tencent"
	noID := reply
	noID.SequenceID, noID.Raw, noID.At = "", nil, time.Time{}
	for _, tt := range []struct {
		name string
		r    notify.Inbound
		new  bool
	}{
		{"first", reply, true},
		{"again", reply, false},
		{"again, other words", func() notify.Inbound { r := reply; r.Content = "x"; return r }(), false},
		{"another sequence id", other, true},
		{"another provider", tencent, true},
		{"no sequence id", noID, true},
		{"no sequence id again", noID, true},
	} {
		isNew, err := st.RecordInbound(t.Context(), tt.r)
		if err != nil || isNew != tt.new {
			t.Errorf("%s: RecordReply = %v, %v; want %v", tt.name, isNew, err, tt.new)
		}
	}
}

// testReportRefusedTwice is a provider that refuses one number of two
// messages with the same code (Tencent's blacklist): each refusal the
// gateway records, which has no provider id, is its own message's, and
// settles that message's number as failed. They are not one report:
// the key of the same report is a provider id, and a refusal has none.
func testReportRefusedTwice(t *testing.T, st notify.Store) {
	to2 := []string{"13800138000", "13900139000"}
	for i, pid := range []string{"2433:0101", "2433:0201"} {
		m := sentMessage(t, st, "tencent", notify.SMS, pid, notify.Submitted, to2...)
		own := []notify.Report{
			{Provider: "tencent", Channel: notify.SMS, ProviderID: pid, Recipient: to2[0], Status: notify.Submitted,
				Code: "Ok", MessageID: m.ID},
			{Provider: "tencent", Channel: notify.SMS, Recipient: to2[1], Status: notify.Failed,
				Code: "FailedOperation.PhoneNumberInBlacklist", Text: "blacklisted", MessageID: m.ID},
		}
		for j, r := range own {
			checkResult(t, fmt.Sprintf("message %d: the send's report %d", i+1, j+1), record(t, st, r),
				notify.ReportResult{MessageID: m.ID, Status: notify.Submitted})
		}
		r := notify.Report{Provider: "tencent", Channel: notify.SMS, ProviderID: pid, Recipient: to2[0],
			Status: notify.Delivered, Code: "DELIVRD"}
		checkResult(t, fmt.Sprintf("message %d: the first number delivered", i+1), record(t, st, r),
			notify.ReportResult{MessageID: m.ID, Status: notify.Failed})
		if rs := reports(t, st, m.ID); len(rs) != 3 {
			t.Errorf("message %d: %d reports %+v; want 3, the refusal among them", i+1, len(rs), rs)
		}
	}
}
