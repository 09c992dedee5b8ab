// Package storetest is the contract every notify.Store keeps, as a test
// suite that each implementation's tests run:
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) notify.Store {
//			st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "notify.db"))
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { st.Close() })
//			return st
//		})
//	}
//
// docs/stores.md states the contract; RunIdempotency, RunReports and the
// other Run functions check the stores' further interfaces.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// Run runs the contract against stores from open, which returns a new, empty
// store for each subtest and closes it in t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) notify.Store) {
	tests := []struct {
		name string
		test func(*testing.T, notify.Store)
	}{
		{"CreateRead", testCreateRead},
		{"Finish", testFinish},
		{"NotFound", testNotFound},
		{"Duplicate", testDuplicate},
		{"Concurrent", testConcurrent},
		{"Cancelled", testCancelled},
		{"QueueKeyHeld", testQueueKeyHeld},
		{"QueueKeyFailed", testQueueKeyFailed},
		{"QueueKeyRevive", testQueueKeyRevive},
		{"QueueKeyNotFound", testQueueKeyNotFound},
		{"QueueKeyConcurrent", testQueueKeyConcurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.test(t, open(t)) })
	}
}

// created is a creation time with nanoseconds the store must drop.
var created = time.Date(2025, 3, 14, 23, 59, 59, 999_999_999, notify.Beijing)

// newMessage returns an accepted SMS message with every field set.
func newMessage() *notify.Message {
	return &notify.Message{
		ID:         notify.NewID(created),
		GroupID:    "ops",
		Channel:    notify.SMS,
		Recipients: []string{"13800138000", "+85291234567"},
		SignName:   "阿里云短信测试",
		Template:   "SMS_154950909",
		Params:     `{"code":"123456"}`,
		OutID:      "order-42",
		Provider:   "aliyun",
		Status:     notify.Accepted,
		CreatedAt:  created,
		UpdatedAt:  created,
	}
}

func testCreateRead(t *testing.T, st notify.Store) {
	many := make([]string, notify.MaxPhoneNumbers)
	for i := range many {
		many[i] = fmt.Sprintf("138%08d", i)
	}
	tests := []struct {
		name string
		edit func(m *notify.Message)
	}{
		{"sms", func(m *notify.Message) {}},
		{"every field", func(m *notify.Message) {
			m.Channel = notify.Voice
			m.Params = `{"name":"张三","emoji":"😀👍🏽","quote":"\"a\\b\"","nl":"x\ny","esc":"\u00e9\u0000"}`
			m.OutID = "外部-id/1?#%"
			m.QueueKey = "sqs:059f36b4-87a3-44ab-83d2-661975830a7d"
			m.Status = notify.Submitted
			m.ProviderID = "900619746936498440^0"
			m.RequestID = "F655A8D5-B967-440B-8683-DAD6FF8DE990"
			m.ErrorCode = "isv.BUSINESS_LIMIT_CONTROL"
			m.ErrorText = "触发分钟级流控Permits:1 'quoted'; DROP TABLE messages; --"
			m.Sandbox = true
			m.UpdatedAt = created.Add(1500*time.Millisecond + 42*time.Microsecond)
		}},
		{"zero values", func(m *notify.Message) {
			*m = notify.Message{ID: m.ID}
		}},
		{"empty recipients", func(m *notify.Message) { m.Recipients = []string{} }},
		{"many recipients", func(m *notify.Message) { m.Recipients = many }},
		{"queue key", func(m *notify.Message) { m.QueueKey = "mns-queue:0BC1EEA24A8D52B1-1-1793F1D02A4-200000004" }},
		{"mail recipients", func(m *notify.Message) {
			m.Channel = notify.Mail
			m.Recipients = []string{"ops@example.com", "用户@例子.广告", `"odd, name"@example.org`}
		}},
		{"times", func(m *notify.Message) {
			m.CreatedAt = time.Date(1969, 12, 31, 23, 59, 59, 1_000_500, time.UTC)
			m.UpdatedAt = time.Date(9999, 12, 31, 23, 59, 59, 999_000_000, time.UTC)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			m := newMessage()
			m.ID = tt.name + "-" + m.ID
			tt.edit(m)
			want := *m
			want.CreatedAt = m.CreatedAt.UTC().Truncate(time.Millisecond)
			want.UpdatedAt = m.UpdatedAt.UTC().Truncate(time.Millisecond)
			if err := st.CreateMessage(ctx, m); err != nil {
				t.Fatalf("CreateMessage: %v", err)
			}
			got, err := st.Message(ctx, m.ID)
			if err != nil {
				t.Fatalf("Message: %v", err)
			}
			for _, d := range diff(got, &want) {
				t.Error(d)
			}
		})
	}
}

func testFinish(t *testing.T, st notify.Store) {
	at := created.Add(1234567 * time.Microsecond)
	tests := []struct {
		name string
		o    notify.Outcome
	}{
		{"submitted", notify.Outcome{Status: notify.Submitted, Provider: "aliyun", ProviderID: "900619746936498440^0",
			RequestID: "F655A8D5-B967-440B-8683-DAD6FF8DE990", At: at}},
		{"failed", notify.Outcome{Status: notify.Failed, Provider: "tencent", RequestID: "req-1",
			ErrorCode: "isv.MOBILE_NUMBER_ILLEGAL", ErrorText: "号码格式错误", At: at}},
		{"unknown", notify.Outcome{Status: notify.Unknown, Provider: "aliyun", ErrorCode: "ambiguous",
			ErrorText: "aliyunsms.SendSms: context deadline exceeded", At: at}},
		{"sandbox", notify.Outcome{Status: notify.Submitted, Provider: "sandbox", ProviderID: "sandbox-1",
			Sandbox: true, At: at}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			m := newMessage()
			m.ErrorCode, m.ErrorText, m.Sandbox = "stale", "stale", true
			if err := st.CreateMessage(ctx, m); err != nil {
				t.Fatalf("CreateMessage: %v", err)
			}
			if err := st.FinishMessage(ctx, m.ID, tt.o); err != nil {
				t.Fatalf("FinishMessage: %v", err)
			}
			got, err := st.Message(ctx, m.ID)
			if err != nil {
				t.Fatalf("Message: %v", err)
			}
			want := finished(m, tt.o)
			for _, d := range diff(got, want) {
				t.Error(d)
			}
		})
	}

	t.Run("last wins", func(t *testing.T) {
		ctx := t.Context()
		m := newMessage()
		if err := st.CreateMessage(ctx, m); err != nil {
			t.Fatalf("CreateMessage: %v", err)
		}
		for _, o := range tests {
			if err := st.FinishMessage(ctx, m.ID, o.o); err != nil {
				t.Fatalf("FinishMessage %s: %v", o.name, err)
			}
		}
		got, err := st.Message(ctx, m.ID)
		if err != nil {
			t.Fatalf("Message: %v", err)
		}
		for _, d := range diff(got, finished(m, tests[len(tests)-1].o)) {
			t.Error(d)
		}
	})
}

// finished is m as it should read after FinishMessage(o).
func finished(m *notify.Message, o notify.Outcome) *notify.Message {
	w := *m
	w.Status, w.Provider, w.ProviderID, w.RequestID = o.Status, o.Provider, o.ProviderID, o.RequestID
	w.ErrorCode, w.ErrorText, w.Sandbox = o.ErrorCode, o.ErrorText, o.Sandbox
	w.CreatedAt = m.CreatedAt.UTC().Truncate(time.Millisecond)
	w.UpdatedAt = o.At.UTC().Truncate(time.Millisecond)
	w.Answer, w.AnsweredAt = o.Status, w.UpdatedAt
	return &w
}

func testNotFound(t *testing.T, st notify.Store) {
	ctx := t.Context()
	known := newMessage()
	if err := st.CreateMessage(ctx, known); err != nil {
		t.Fatalf("CreateMessage: %v", err)
	}
	const id = "0123456789abcdef0123456789abcdef"
	err := st.FinishMessage(ctx, id, notify.Outcome{Status: notify.Submitted, At: created})
	checkReason(t, "FinishMessage(unknown)", err, notify.NotFound, "not_found")
	_, err = st.Message(ctx, id)
	checkReason(t, "Message(unknown)", err, notify.NotFound, "not_found")
	_, err = st.Message(ctx, "")
	checkReason(t, `Message("")`, err, notify.NotFound, "not_found")
}

func testDuplicate(t *testing.T, st notify.Store) {
	tests := []struct {
		name             string
		queueKey, second string // the queue keys of the record and of the duplicate
	}{
		{"http", "", ""},
		{"queue key free", "", "sqs:dup-1"},
		{"queue key held", "sqs:dup-2", "sqs:dup-2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			m := newMessage()
			m.QueueKey = tt.queueKey
			if err := st.CreateMessage(ctx, m); err != nil {
				t.Fatalf("CreateMessage: %v", err)
			}
			again := newMessage()
			again.ID, again.GroupID, again.QueueKey, again.Status = m.ID, "intruder", tt.second, notify.Failed
			err := st.CreateMessage(ctx, again)
			checkReason(t, "CreateMessage(duplicate)", err, notify.Internal, "duplicate_id")
			if err != nil && !strings.Contains(err.Error(), m.ID) {
				t.Errorf("CreateMessage(duplicate) error %q does not name the id %s", err, m.ID)
			}
			got, err := st.Message(ctx, m.ID)
			if err != nil {
				t.Fatalf("Message: %v", err)
			}
			for _, d := range diff(got, stored(m)) {
				t.Error("after duplicate: " + d)
			}
		})
	}
}

// stored is m as it should read back after CreateMessage.
func stored(m *notify.Message) *notify.Message {
	w := *m
	w.CreatedAt = m.CreatedAt.UTC().Truncate(time.Millisecond)
	w.UpdatedAt = m.UpdatedAt.UTC().Truncate(time.Millisecond)
	return &w
}

// workers is how many goroutines write at once in testConcurrent.
const workers = 32

func testConcurrent(t *testing.T, st notify.Store) {
	ctx := t.Context()
	ms := make([]*notify.Message, workers)
	for i := range ms {
		ms[i] = newMessage()
		ms[i].Recipients = []string{fmt.Sprintf("138%08d", i)}
	}
	outcome := func(i int) notify.Outcome {
		return notify.Outcome{Status: notify.Submitted, Provider: "aliyun", ProviderID: fmt.Sprintf("biz-%d", i),
			RequestID: fmt.Sprintf("req-%d", i), At: created.Add(time.Duration(i) * time.Millisecond)}
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, m := range ms {
		wg.Go(func() {
			<-start
			if err := st.CreateMessage(ctx, m); err != nil {
				t.Errorf("worker %d: CreateMessage: %v", i, err)
				return
			}
			if _, err := st.Message(ctx, m.ID); err != nil {
				t.Errorf("worker %d: Message: %v", i, err)
			}
			if err := st.FinishMessage(ctx, m.ID, outcome(i)); err != nil {
				t.Errorf("worker %d: FinishMessage: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	for i, m := range ms {
		got, err := st.Message(ctx, m.ID)
		if err != nil {
			t.Errorf("Message %d: %v", i, err)
			continue
		}
		for _, d := range diff(got, finished(m, outcome(i))) {
			t.Errorf("message %d: %s", i, d)
		}
	}
}

func testCancelled(t *testing.T, st notify.Store) {
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	ctx := t.Context()

	m := newMessage()
	if err := st.CreateMessage(cancelled, m); !errors.Is(err, context.Canceled) {
		t.Errorf("CreateMessage(cancelled) = %v, want an error wrapping context.Canceled", err)
	}
	_, err := st.Message(ctx, m.ID)
	checkReason(t, "Message after a cancelled create", err, notify.NotFound, "not_found")

	if err := st.CreateMessage(ctx, m); err != nil {
		t.Fatalf("CreateMessage: %v", err)
	}
	o := notify.Outcome{Status: notify.Submitted, Provider: "aliyun", ProviderID: "biz", At: created}
	if err := st.FinishMessage(cancelled, m.ID, o); !errors.Is(err, context.Canceled) {
		t.Errorf("FinishMessage(cancelled) = %v, want an error wrapping context.Canceled", err)
	}
	if got, err := st.Message(ctx, m.ID); err != nil {
		t.Errorf("Message: %v", err)
	} else if got.Status != notify.Accepted || got.ProviderID != "" {
		t.Errorf("after a cancelled finish: status %q, provider id %q; want %q, \"\"", got.Status, got.ProviderID, notify.Accepted)
	}
	if got, err := st.Message(cancelled, m.ID); !errors.Is(err, context.Canceled) {
		t.Errorf("Message(cancelled) = %v, %v; want an error wrapping context.Canceled", got, err)
	}

	q := newMessage()
	q.QueueKey = "sqs:cancelled"
	if err := st.CreateMessage(cancelled, q); !errors.Is(err, context.Canceled) {
		t.Errorf("CreateMessage(cancelled, queue key) = %v, want an error wrapping context.Canceled", err)
	}
	_, err = st.MessageByQueueKey(ctx, q.QueueKey)
	checkReason(t, "MessageByQueueKey after a cancelled create", err, notify.NotFound, "not_found")
	if err := st.CreateMessage(ctx, q); err != nil {
		t.Fatalf("CreateMessage(queue key): %v", err)
	}
	if got, err := st.MessageByQueueKey(cancelled, q.QueueKey); !errors.Is(err, context.Canceled) {
		t.Errorf("MessageByQueueKey(cancelled) = %v, %v; want an error wrapping context.Canceled", got, err)
	}
}

// queued returns a new accepted message that came from queue message key.
func queued(key string) *notify.Message {
	m := newMessage()
	m.QueueKey = key
	return m
}

// create records m or fails t.
func create(t *testing.T, st notify.Store, m *notify.Message) {
	t.Helper()
	if err := st.CreateMessage(t.Context(), m); err != nil {
		t.Fatalf("CreateMessage(%s, queue key %q): %v", m.ID, m.QueueKey, err)
	}
}

// finish records o for m or fails t, and returns m as it should read after.
func finish(t *testing.T, st notify.Store, m *notify.Message, o notify.Outcome) *notify.Message {
	t.Helper()
	if err := st.FinishMessage(t.Context(), m.ID, o); err != nil {
		t.Fatalf("FinishMessage(%s, %s): %v", m.ID, o.Status, err)
	}
	return finished(m, o)
}

// outcomeOf returns an outcome of status s.
func outcomeOf(s notify.Status) notify.Outcome {
	o := notify.Outcome{Status: s, Provider: "aliyun", ProviderID: "biz-" + string(s), RequestID: "req-" + string(s),
		At: created.Add(time.Second)}
	if s == notify.Failed {
		o.ProviderID, o.ErrorCode, o.ErrorText = "", "isp.SYSTEM_ERROR", "系统错误"
	}
	return o
}

// checkRecord fails t unless the record of want.ID reads as want.
func checkRecord(t *testing.T, st notify.Store, what string, want *notify.Message) {
	t.Helper()
	got, err := st.Message(t.Context(), want.ID)
	if err != nil {
		t.Errorf("%s: Message: %v", what, err)
		return
	}
	for _, d := range diff(got, want) {
		t.Errorf("%s: %s", what, d)
	}
}

// checkHolder fails t unless MessageByQueueKey(key) returns want.
func checkHolder(t *testing.T, st notify.Store, key string, want *notify.Message) {
	t.Helper()
	got, err := st.MessageByQueueKey(t.Context(), key)
	if err != nil {
		t.Errorf("MessageByQueueKey(%q): %v", key, err)
		return
	}
	for _, d := range diff(got, want) {
		t.Errorf("MessageByQueueKey(%q): %s", key, d)
	}
}

// testQueueKeyHeld creates a record with a key another record holds, in
// each status that holds it.
func testQueueKeyHeld(t *testing.T, st notify.Store) {
	for _, s := range []notify.Status{notify.Accepted, notify.Submitted, notify.Delivered, notify.Unknown} {
		t.Run(string(s), func(t *testing.T) {
			ctx := t.Context()
			key := "sqs:held-" + string(s)
			first := queued(key)
			create(t, st, first)
			want := stored(first)
			if s != notify.Accepted {
				want = finish(t, st, first, outcomeOf(s))
			}
			again := queued(key)
			err := st.CreateMessage(ctx, again)
			checkReason(t, "CreateMessage(key held)", err, notify.Conflict, "duplicate_queue_message")
			_, err = st.Message(ctx, again.ID)
			checkReason(t, "Message(refused record)", err, notify.NotFound, "not_found")
			checkRecord(t, st, "the holder", want)
			checkHolder(t, st, key, want)

			other := queued("sqs:other-" + string(s))
			create(t, st, other)
			checkHolder(t, st, other.QueueKey, stored(other))
		})
	}
}

// testQueueKeyFailed retries a queue message after its send failed, twice.
func testQueueKeyFailed(t *testing.T, st notify.Store) {
	ctx := t.Context()
	const key = "sqs:retried"
	first := queued(key)
	create(t, st, first)
	firstFailed := finish(t, st, first, outcomeOf(notify.Failed))

	second := queued(key)
	create(t, st, second)
	checkHolder(t, st, key, stored(second))
	err := st.CreateMessage(ctx, queued(key))
	checkReason(t, "CreateMessage(key held by the retry)", err, notify.Conflict, "duplicate_queue_message")

	secondFailed := finish(t, st, second, outcomeOf(notify.Failed))
	third := queued(key)
	create(t, st, third)
	thirdDone := finish(t, st, third, outcomeOf(notify.Submitted))
	checkHolder(t, st, key, thirdDone)

	checkRecord(t, st, "first try", firstFailed)
	checkRecord(t, st, "second try", secondFailed)
}

// testQueueKeyRevive finishes a failed record as submitted after a retry
// took its key.
func testQueueKeyRevive(t *testing.T, st notify.Store) {
	ctx := t.Context()
	const key = "mns-queue:revived"
	first := queued(key)
	create(t, st, first)
	firstFailed := finish(t, st, first, outcomeOf(notify.Failed))
	second := queued(key)
	create(t, st, second)

	err := st.FinishMessage(ctx, first.ID, outcomeOf(notify.Delivered))
	checkReason(t, "FinishMessage(failed record, key held)", err, notify.Conflict, "duplicate_queue_message")
	checkRecord(t, st, "after the refused finish", firstFailed)
	checkHolder(t, st, key, stored(second))

	again := outcomeOf(notify.Failed)
	again.ErrorCode, again.At = "isv.OUT_OF_SERVICE", created.Add(2*time.Second)
	checkRecord(t, st, "failed again", finish(t, st, first, again))
	checkHolder(t, st, key, finish(t, st, second, outcomeOf(notify.Submitted)))
}

func testQueueKeyNotFound(t *testing.T, st notify.Store) {
	create(t, st, newMessage())
	failed := queued("sqs:failed")
	create(t, st, failed)
	finish(t, st, failed, outcomeOf(notify.Failed))
	for _, key := range []string{"sqs:unknown", "", "sqs:failed", "sqs:FAILED"} {
		got, err := st.MessageByQueueKey(t.Context(), key)
		checkReason(t, fmt.Sprintf("MessageByQueueKey(%q)", key), err, notify.NotFound, "not_found")
		if got != nil {
			t.Errorf("MessageByQueueKey(%q) = record %s, want nil", key, got.ID)
		}
	}
}

// queueWorkers is how many goroutines create records with one queue key at
// once in testQueueKeyConcurrent.
const queueWorkers = 16

// testQueueKeyConcurrent has one queue message delivered to several
// workers at once.
func testQueueKeyConcurrent(t *testing.T, st notify.Store) {
	const key = "sqs:concurrent"
	ms := make([]*notify.Message, queueWorkers)
	errs := make([]error, queueWorkers)
	for i := range ms {
		ms[i] = queued(key)
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, m := range ms {
		wg.Go(func() {
			<-start
			errs[i] = st.CreateMessage(t.Context(), m)
		})
	}
	close(start)
	wg.Wait()
	var winner *notify.Message
	for i, err := range errs {
		if err == nil {
			if winner != nil {
				t.Errorf("workers %s and %s both created a record with queue key %s", winner.ID, ms[i].ID, key)
			}
			winner = ms[i]
			continue
		}
		checkReason(t, fmt.Sprintf("worker %d: CreateMessage", i), err, notify.Conflict, "duplicate_queue_message")
	}
	if winner == nil {
		t.Fatalf("none of %d workers created a record with queue key %s", queueWorkers, key)
	}
	checkHolder(t, st, key, stored(winner))
}

// checkReason fails t unless err is an *notify.Error of kind k with reason.
func checkReason(t *testing.T, call string, err error, k notify.Kind, reason string) {
	t.Helper()
	var e *notify.Error
	if !errors.As(err, &e) {
		t.Errorf("%s = %v, want an *notify.Error with Reason %q", call, err, reason)
		return
	}
	if e.Kind != k || e.Reason != reason {
		t.Errorf("%s: Kind %v, Reason %q; want %v, %q (error: %v)", call, e.Kind, e.Reason, k, reason, err)
	}
}

// diff lists the fields in which got differs from want; want's times must
// already be in UTC at millisecond precision.
func diff(got, want *notify.Message) []string {
	var d []string
	str := func(field, g, w string) {
		if g != w {
			d = append(d, fmt.Sprintf("%s = %q, want %q", field, g, w))
		}
	}
	str("ID", got.ID, want.ID)
	str("GroupID", got.GroupID, want.GroupID)
	str("Channel", string(got.Channel), string(want.Channel))
	if !slices.Equal(got.Recipients, want.Recipients) {
		d = append(d, fmt.Sprintf("Recipients = %d %.200q, want %d %.200q",
			len(got.Recipients), got.Recipients, len(want.Recipients), want.Recipients))
	}
	str("SignName", got.SignName, want.SignName)
	str("Template", got.Template, want.Template)
	str("Params", got.Params, want.Params)
	str("OutID", got.OutID, want.OutID)
	str("QueueKey", got.QueueKey, want.QueueKey)
	str("Provider", got.Provider, want.Provider)
	str("Status", string(got.Status), string(want.Status))
	str("ProviderID", got.ProviderID, want.ProviderID)
	str("RequestID", got.RequestID, want.RequestID)
	str("ErrorCode", got.ErrorCode, want.ErrorCode)
	str("ErrorText", got.ErrorText, want.ErrorText)
	if got.Sandbox != want.Sandbox {
		d = append(d, fmt.Sprintf("Sandbox = %v, want %v", got.Sandbox, want.Sandbox))
	}
	if got.Taken != want.Taken {
		d = append(d, fmt.Sprintf("Taken = %v, want %v", got.Taken, want.Taken))
	}
	tm := func(field string, g, w time.Time) {
		if !g.Equal(w) || g.Location() != time.UTC {
			d = append(d, fmt.Sprintf("%s = %s, want %s", field,
				g.Format(time.RFC3339Nano+" MST"), w.Format(time.RFC3339Nano+" MST")))
		}
	}
	tm("CreatedAt", got.CreatedAt, want.CreatedAt)
	tm("UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	str("Answer", string(got.Answer), string(want.Answer))
	if !got.AnsweredAt.Equal(want.AnsweredAt) || (!got.AnsweredAt.IsZero() && got.AnsweredAt.Location() != time.UTC) {
		d = append(d, fmt.Sprintf("AnsweredAt = %s, want %s", got.AnsweredAt.Format(time.RFC3339Nano+" MST"),
			want.AnsweredAt.Format(time.RFC3339Nano+" MST")))
	}
	return d
}
