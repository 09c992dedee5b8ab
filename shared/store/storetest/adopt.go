package storetest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// A report can beat the send's outcome to the store: a fast provider, a
// slow store, a retried outcome write. It is then an orphan, since no
// record has its provider id yet, until the outcome names that id.

// finishWith records outcome o of m's send, submitted by provider with id
// pid, and returns m as FinishMessage alone would leave it.
func finishWith(t *testing.T, st notify.Store, m *notify.Message, pid string) *notify.Message {
	t.Helper()
	o := notify.Outcome{Status: notify.Submitted, Provider: m.Provider, ProviderID: pid, RequestID: "req-" + pid,
		At: sentAt.Add(1500 * time.Millisecond)}
	if err := st.FinishMessage(t.Context(), m.ID, o); err != nil {
		t.Fatalf("FinishMessage(%s): %v", pid, err)
	}
	return finished(m, o)
}

// testReportAdoptedAtFinish: the outcome adopts the orphans of its
// provider id that are the message's: on its channel, to one of its
// recipients, or to none for a message of one. The message's status then
// comes from its reports, as when they come after the outcome.
func testReportAdoptedAtFinish(t *testing.T, st notify.Store) {
	const rcpt = "13800138000"
	t.Run("delivered", func(t *testing.T) {
		const pid = "900619746936498447^0"
		m := sentMessage(t, st, "aliyun", notify.SMS, "", notify.Accepted, rcpt)
		r := reportFor(m, rcpt, notify.Delivered)
		r.ProviderID = pid
		from := time.Now()
		checkResult(t, "the report before the outcome", record(t, st, r), notify.ReportResult{})
		f := finishWith(t, st, m, pid)
		to := time.Now()
		checkMessage(t, st, "after the outcome", updated(t, st, f, notify.Delivered, "", "", from, to))
		checkReports(t, reports(t, st, m.ID), []notify.Report{r}, m.ID, from, to)
		if rs := orphansOf(t, st, pid); len(rs) != 0 {
			t.Errorf("orphans %+v, want none", rs)
		}
		checkResult(t, "the report pushed again", record(t, st, r),
			notify.ReportResult{MessageID: m.ID, Duplicate: true, Status: notify.Delivered})
	})
	t.Run("only the message's", func(t *testing.T) {
		const pid = "900619746936498448^0"
		to2 := []string{rcpt, "13900139000"}
		m := sentMessage(t, st, "aliyun", notify.SMS, "", notify.Accepted, to2...)
		var mine, others []notify.Report
		from := time.Now()
		for _, tt := range []struct {
			edit  func(r *notify.Report)
			yours bool
		}{
			{func(r *notify.Report) {}, true},
			{func(r *notify.Report) { r.Recipient = "1390013****" }, false},
			{func(r *notify.Report) { r.Recipient = "" }, false}, // of a message of two
			{func(r *notify.Report) { r.Channel = notify.Voice }, false},
			{func(r *notify.Report) { r.Provider = "tencent" }, false},
			{func(r *notify.Report) { r.ProviderID = pid + "1" }, false},
		} {
			r := reportFor(m, rcpt, notify.Delivered)
			r.ProviderID = pid
			tt.edit(&r)
			record(t, st, r)
			if tt.yours {
				mine = append(mine, r)
			} else {
				others = append(others, r)
			}
		}
		f := finishWith(t, st, m, pid)
		to := time.Now()
		// One of two recipients delivered: still submitted.
		checkMessage(t, st, "after the outcome", f)
		checkReports(t, reports(t, st, m.ID), mine, m.ID, from, to)
		checkReports(t, orphansOf(t, st, pid), others, "", from, to)
		r := reportFor(m, to2[1], notify.Delivered)
		r.ProviderID = pid
		checkResult(t, "the other recipient's report", record(t, st, r), notify.ReportResult{MessageID: m.ID, Status: notify.Delivered})
	})
	t.Run("a call's reports without a recipient", func(t *testing.T) {
		const pid = "116012354148^102813780001"
		call := sentMessage(t, st, "aliyun", notify.Voice, "", notify.Accepted, rcpt)
		ringing := reportFor(call, "", notify.Submitted)
		ringing.ProviderID = pid
		answered := reportFor(call, "", notify.Delivered)
		answered.ProviderID = pid
		// The same push once with the number and once without: adopted,
		// they would be one report twice, and the one without stays out.
		answeredTo := answered
		answeredTo.Recipient = rcpt
		from := time.Now()
		for _, r := range []notify.Report{ringing, answered, answeredTo} {
			checkResult(t, fmt.Sprintf("%s %q before the outcome", r.Status, r.Recipient), record(t, st, r), notify.ReportResult{})
		}
		f := finishWith(t, st, call, pid)
		to := time.Now()
		ringing.Recipient = rcpt
		checkReports(t, reports(t, st, call.ID), []notify.Report{ringing, answeredTo}, call.ID, from, to)
		checkReports(t, orphansOf(t, st, pid), []notify.Report{answered}, "", from, to)
		checkMessage(t, st, "after the outcome", updated(t, st, f, notify.Delivered, "", "", from, to))
	})
	t.Run("an outcome without an id", func(t *testing.T) {
		m := sentMessage(t, st, "aliyun", notify.SMS, "", notify.Accepted, rcpt)
		r := reportFor(m, rcpt, notify.Delivered)
		const pid = "900619746936498449^0"
		r.ProviderID = pid
		from := time.Now()
		record(t, st, r)
		o := notify.Outcome{Status: notify.Unknown, Provider: "aliyun", ErrorCode: "ambiguous", ErrorText: "timed out", At: sentAt}
		if err := st.FinishMessage(t.Context(), m.ID, o); err != nil {
			t.Fatalf("FinishMessage: %v", err)
		}
		to := time.Now()
		checkMessage(t, st, "after the outcome", finished(m, o))
		checkReports(t, orphansOf(t, st, pid), []notify.Report{r}, "", from, to)
	})
}

// orphansOf returns the orphans whose provider id begins with pid.
func orphansOf(t *testing.T, st notify.Store, pid string) []notify.Report {
	t.Helper()
	var rs []notify.Report
	for _, r := range reports(t, st, "") {
		if strings.HasPrefix(r.ProviderID, pid) {
			rs = append(rs, r)
		}
	}
	return rs
}

// testReportAdoptedByOwnReport: a provider that gives each number an id of
// its own (Tencent's SerialNo) has its reports name only that id, which
// the send's own report of the number brings; a report before that
// report is adopted by it.
func testReportAdoptedByOwnReport(t *testing.T, st notify.Store) {
	to2 := []string{"13800138000", "13900139000"}
	m := sentMessage(t, st, "tencent", notify.SMS, "", notify.Accepted, to2...)
	early := notify.Report{Provider: "tencent", Channel: notify.SMS, ProviderID: "2433:0012", Recipient: to2[1],
		Status: notify.Delivered, Code: "DELIVRD"}
	from := time.Now()
	checkResult(t, "a report before the send's report", record(t, st, early), notify.ReportResult{})
	own := []notify.Report{
		{Provider: "tencent", Channel: notify.SMS, ProviderID: "2433:0011", Recipient: to2[0], Status: notify.Submitted, Code: "Ok", MessageID: m.ID},
		{Provider: "tencent", Channel: notify.SMS, ProviderID: "2433:0012", Recipient: to2[1], Status: notify.Submitted, Code: "Ok", MessageID: m.ID},
	}
	for i, r := range own {
		checkResult(t, fmt.Sprintf("the send's report %d", i+1), record(t, st, r), notify.ReportResult{MessageID: m.ID, Status: notify.Submitted})
	}
	to := time.Now()
	checkReports(t, reports(t, st, m.ID), []notify.Report{early, own[0], own[1]}, m.ID, from, to)
	if rs := reports(t, st, ""); len(rs) != 0 {
		t.Errorf("orphans %+v, want none", rs)
	}
	r := early
	r.ProviderID, r.Recipient = "2433:0011", to2[0]
	checkResult(t, "the first number's report", record(t, st, r), notify.ReportResult{MessageID: m.ID, Status: notify.Delivered})
}

// testReportSettledBeforeOutcome: reports that settled a message before
// its outcome was recorded (through the send's own reports) keep it
// settled: the outcome does not take it back to submitted.
func testReportSettledBeforeOutcome(t *testing.T, st notify.Store) {
	const rcpt = "13800138000"
	m := sentMessage(t, st, "tencent", notify.SMS, "", notify.Accepted, rcpt)
	own := notify.Report{Provider: "tencent", Channel: notify.SMS, ProviderID: "2433:0021", Recipient: rcpt,
		Status: notify.Submitted, Code: "Ok", MessageID: m.ID}
	record(t, st, own)
	r := notify.Report{Provider: "tencent", Channel: notify.SMS, ProviderID: "2433:0021", Recipient: rcpt,
		Status: notify.Delivered, Code: "DELIVRD"}
	checkResult(t, "the report", record(t, st, r), notify.ReportResult{MessageID: m.ID, Status: notify.Delivered})
	from := time.Now()
	f := finishWith(t, st, m, "2433:0021")
	to := time.Now()
	checkMessage(t, st, "after the outcome", updated(t, st, f, notify.Delivered, "", "", from, to))
}

// testReportAdoptRace races each report against the outcome that names
// its id: whichever the store records first, the report ends up the
// message's. (A PostgreSQL store whose report matched before the outcome
// committed, and whose outcome looked for orphans before the report
// committed, would lose it.)
func testReportAdoptRace(t *testing.T, st notify.Store) {
	const rcpt = "13800138000"
	for i := range 24 {
		pid := fmt.Sprintf("900619746936498%03d^0", 500+i)
		m := sentMessage(t, st, "aliyun", notify.SMS, "", notify.Accepted, rcpt)
		r := reportFor(m, rcpt, notify.Delivered)
		r.ProviderID = pid
		o := notify.Outcome{Status: notify.Submitted, Provider: "aliyun", ProviderID: pid, At: sentAt}
		start := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			<-start
			if _, err := st.RecordReport(t.Context(), r); err != nil {
				t.Errorf("RecordReport: %v", err)
			}
		})
		wg.Go(func() {
			<-start
			if err := st.FinishMessage(t.Context(), m.ID, o); err != nil {
				t.Errorf("FinishMessage: %v", err)
			}
		})
		close(start)
		wg.Wait()
		if rs := reports(t, st, m.ID); len(rs) != 1 {
			t.Fatalf("round %d: the message has %d reports, want 1 (orphans: %+v)", i, len(rs), reports(t, st, ""))
		}
		if got := readMessage(t, st, m); got.Status != notify.Delivered {
			t.Fatalf("round %d: the message is %s, want delivered", i, got.Status)
		}
	}
}

// testReportByOutID: a send whose outcome was unknown has no provider id,
// but the gateway sent our id as the OutId when the caller gave none, and
// Aliyun's reports echo it: such a report names its message, which takes
// the report's provider id, so that the later reports and queries of the
// send find it by that id.
func testReportByOutID(t *testing.T, st notify.Store) {
	const rcpt, pid = "13800138000", "900619746936498460^0"
	m := sentMessage(t, st, "aliyun", notify.SMS, "", notify.Unknown, rcpt, "13900139000")
	r := reportFor(m, rcpt, notify.Delivered)
	r.ProviderID, r.OutID = pid, m.ID
	from := time.Now()
	checkResult(t, "a report naming the message in out_id", record(t, st, r), notify.ReportResult{MessageID: m.ID, Status: notify.Submitted})
	to := time.Now()
	w := updated(t, st, m, notify.Submitted, m.ErrorCode, m.ErrorText, from, to)
	w.ProviderID = pid
	checkMessage(t, st, "after the report", w)
	checkReports(t, reports(t, st, m.ID), []notify.Report{r}, m.ID, from, to)
	// The other recipient's report finds the message by its id now.
	r2 := reportFor(m, "13900139000", notify.Delivered)
	r2.ProviderID = pid
	checkResult(t, "the other recipient's, without out_id", record(t, st, r2), notify.ReportResult{MessageID: m.ID, Status: notify.Delivered})

	t.Run("not the message's", func(t *testing.T) {
		theirs := sentMessage(t, st, "aliyun", notify.SMS, "", notify.Unknown, rcpt)
		theirs.OutID = "order-9" // sent with the caller's OutId, never ours
		theirs.ID = notify.NewID(sentAt)
		if err := st.CreateMessage(t.Context(), theirs); err != nil {
			t.Fatal(err)
		}
		known := sentMessage(t, st, "aliyun", notify.SMS, "900619746936498461^0", notify.Submitted, rcpt)
		unknown := sentMessage(t, st, "aliyun", notify.SMS, "", notify.Unknown, rcpt)
		voice := sentMessage(t, st, "aliyun", notify.Voice, "", notify.Unknown, rcpt)
		for _, tt := range []struct {
			name string
			r    notify.Report
		}{
			{"a message sent with the caller's OutId", withOutID(reportFor(theirs, rcpt, notify.Delivered), theirs.ID, "900619746936498462^0")},
			{"a message with a provider id already", withOutID(reportFor(known, rcpt, notify.Delivered), known.ID, "900619746936498463^0")},
			{"another number", withOutID(reportFor(unknown, "13700137000", notify.Delivered), unknown.ID, "900619746936498464^0")},
			{"another provider", withOutID(reportFor(unknown, rcpt, notify.Delivered), unknown.ID, "900619746936498465^0", "tencent")},
			{"another channel", withOutID(reportFor(voice, rcpt, notify.Delivered), unknown.ID, "900619746936498466^0")},
			{"no provider id", withOutID(reportFor(unknown, rcpt, notify.Delivered), unknown.ID, "")},
		} {
			checkResult(t, tt.name, record(t, st, tt.r), notify.ReportResult{})
		}
		checkMessage(t, st, "the message with the caller's OutId", stored(theirs))
		checkMessage(t, st, "the message with a provider id", known)
		checkMessage(t, st, "the unknown message", unknown)
		checkMessage(t, st, "the unknown call", voice)
	})
}

// withOutID returns r naming id in its out_id, with provider id pid, and
// from provider when one is given.
func withOutID(r notify.Report, id, pid string, provider ...string) notify.Report {
	r.OutID, r.ProviderID = id, pid
	if len(provider) > 0 {
		r.Provider = provider[0]
	}
	return r
}
