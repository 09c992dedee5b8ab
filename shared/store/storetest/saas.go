package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// RunSaaS runs the contract of notify.SaaSStore, and of Message.Spend,
// against stores from open, which returns a new, empty store for each
// subtest. ledgerSum returns the sum of the units of a station's ledger
// rows, read under the store: a balance must always equal it. Beyond the
// interfaces' comments:
//
//   - A task reads back as added: every string byte for byte, RestaurantID
//     and ReceiveName nil when nil and set (to zero or "" too) when set,
//     CreatedAt in UTC truncated to the millisecond. AddTask records a task
//     not yet started: MessageID "" and StartedAt zero. Ids are 1, 2, 3...
//     in the order tasks are added, over all groups.
//   - A Spend names a task of its message's group and of its Station; any
//     other (unknown, another station's or group's) is an *notify.Error of
//     kind NotFound with Reason "not_found", and nothing is recorded. A task
//     started again links the new message, when its Prev is the task's
//     message; with another Prev (a start since), Conflict "task_started",
//     and nothing is recorded. StartedAt is the message's CreatedAt, as
//     stored.
//   - CreateMessageTakingQuotas refused by a quota, and any create refused
//     (a balance too low, a queue key held), records, counts and spends
//     nothing.
//   - A recharge of fewer than 1 unit or of negative money is an error and
//     credits nothing. A deal code is one group's: another group may use
//     it. A replay may differ from the first recharge in anything but its
//     station, combo, units and money.
//   - FinishMessage with Status Failed refunds a message that spent, once
//     however many times it is called; no other status refunds, reports or
//     not.
//   - Search, Q: a substring compared byte for byte (case matters); a
//     SendRecordQuery's Search also finds a task whose restaurant id, in
//     decimal, equals it (and only equals). Zero From and To are
//     unbounded, in DayCounts too.
//   - Listings: SendRecords and Recharges by id, newest first, Stations by
//     station id, ascending (byte order). A recharge listing holds
//     recharges only, never spends or refunds. Stations lists the stations
//     with a balance (those ever recharged). Without Reverse, a page holds
//     the items strictly after the one keyed After ("" is the start, and
//     After need not be any item's key), skipping Offset of them, at most
//     Limit; more says at least one item follows the page. With Reverse,
//     the items strictly before After ("" is the end), skipping the Offset
//     nearest it, at most Limit, in the listing's order; more says at least
//     one item precedes the page. An After that is not a decimal of an id
//     listing is an *notify.Error of kind Invalid, Field "page_obj",
//     Reason "invalid_field". Callers keep Limit in 1..100.
//   - DayCounts are ordered by Day, then by Status.
func RunSaaS(t *testing.T, open func(t *testing.T) notify.Store, ledgerSum func(t *testing.T, st notify.Store, group, station string) int64) {
	for _, tc := range []struct {
		name string
		test func(*testing.T, saas)
	}{
		{"Task", testSaaSTask},
		{"Recharge", testSaaSRecharge},
		{"Spend", testSaaSSpend},
		{"SpendTakingQuotas", testSaaSSpendTakingQuotas},
		{"Refund", testSaaSRefund},
		{"SendRecords", testSaaSSendRecords},
		{"Recharges", testSaaSRecharges},
		{"Stations", testSaaSStations},
		{"DayCounts", testSaaSDayCounts},
		{"Totals", testSaaSTotals},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.test(t, saas{open(t), ledgerSum}) })
	}
}

// saas is a store under test and the way to sum its ledger.
type saas struct {
	st        notify.Store
	ledgerSum func(t *testing.T, st notify.Store, group, station string) int64
}

// saasAt is when the messages of these tests are made: 2025-03-14T16:30Z,
// with nanoseconds the store must drop.
var saasAt = time.Date(2025, 3, 15, 0, 30, 0, 123_456_789, notify.Beijing)

// add records task and returns it.
func (s saas) add(t *testing.T, task *notify.Task) *notify.Task {
	t.Helper()
	if err := s.st.AddTask(t.Context(), task); err != nil {
		t.Fatalf("AddTask(%s, %s): %v", task.GroupID, task.Station, err)
	}
	return task
}

// newTask records a task of group's station.
func (s saas) newTask(t *testing.T, group, station string) *notify.Task {
	t.Helper()
	return s.add(t, &notify.Task{GroupID: group, Station: station, Phone: "13800138000",
		Content: `{"name":"张三"}`, BusinessType: 1, CreatedAt: saasAt})
}

// recharge records r and fails t unless it credits.
func (s saas) recharge(t *testing.T, r notify.Recharge) {
	t.Helper()
	if replayed, err := s.st.Recharge(t.Context(), r); err != nil || replayed {
		t.Fatalf("Recharge(%s, %s, %d units, deal %q) = %v, %v; want false, nil", r.GroupID, r.Station, r.Units,
			r.DealCode, replayed, err)
	}
}

// credit recharges group's station with units, without a deal code.
func (s saas) credit(t *testing.T, group, station string, units int64) {
	t.Helper()
	s.recharge(t, notify.Recharge{GroupID: group, Station: station, ComboID: 1, ComboName: "基础包", Units: units,
		MoneyFen: 10 * units, At: saasAt})
}

// checkBalance fails t unless group's station has want units, and its
// ledger sums to them.
func (s saas) checkBalance(t *testing.T, group, station string, want int64) {
	t.Helper()
	got, err := s.st.Balance(t.Context(), group, station)
	if err != nil {
		t.Fatalf("Balance(%s, %s): %v", group, station, err)
	}
	if got != want {
		t.Errorf("Balance(%s, %s) = %d, want %d", group, station, got, want)
	}
	if sum := s.ledgerSum(t, s.st, group, station); sum != want {
		t.Errorf("the ledger of %s, %s sums to %d, want %d", group, station, sum, want)
	}
}

// startMessage returns an accepted SMS to task's phone that spends units
// of task's station, replacing task's MessageID.
func startMessage(task *notify.Task, units int64) *notify.Message {
	return &notify.Message{ID: notify.NewID(saasAt), GroupID: task.GroupID, Channel: notify.SMS,
		Recipients: []string{task.Phone}, SignName: "测试", Template: "SMS_1", Params: task.Content,
		Provider: "aliyun", Status: notify.Accepted, CreatedAt: saasAt, UpdatedAt: saasAt,
		Spend: &notify.Spend{Station: task.Station, TaskID: task.ID, Units: units, Prev: task.MessageID}}
}

// start records a message that starts task, spending units, and fails t
// on an error. task's MessageID becomes the message's.
func (s saas) start(t *testing.T, task *notify.Task, units int64) *notify.Message {
	t.Helper()
	m := startMessage(task, units)
	if err := s.st.CreateMessage(t.Context(), m); err != nil {
		t.Fatalf("CreateMessage(start task %d, %d units): %v", task.ID, units, err)
	}
	task.MessageID = m.ID
	return m
}

// finish records an outcome of status for m.
func (s saas) finish(t *testing.T, m *notify.Message, status notify.Status, errText string) {
	t.Helper()
	o := notify.Outcome{Status: status, Provider: m.Provider, ErrorText: errText, At: saasAt.Add(time.Second)}
	if status == notify.Failed {
		o.ErrorCode = "isv.MOBILE_NUMBER_ILLEGAL"
	}
	if err := s.st.FinishMessage(t.Context(), m.ID, o); err != nil {
		t.Fatalf("FinishMessage(%s, %s): %v", m.ID, status, err)
	}
}

// checkStarted fails t unless task was last started by m (nil: never).
func (s saas) checkStarted(t *testing.T, task *notify.Task, m *notify.Message) {
	t.Helper()
	got, err := s.st.Task(t.Context(), task.GroupID, task.ID)
	if err != nil {
		t.Fatalf("Task(%s, %d): %v", task.GroupID, task.ID, err)
	}
	wantID, wantAt := "", time.Time{}
	if m != nil {
		wantID, wantAt = m.ID, m.CreatedAt.UTC().Truncate(time.Millisecond)
	}
	if got.MessageID != wantID || !got.StartedAt.Equal(wantAt) || got.StartedAt.Location() != time.UTC {
		t.Errorf("task %d: MessageID %q, StartedAt %s; want %q, %s", task.ID, got.MessageID,
			got.StartedAt.Format(time.RFC3339Nano+" MST"), wantID, wantAt.Format(time.RFC3339Nano))
	}
}

// checkNotRecorded fails t unless m was not recorded.
func (s saas) checkNotRecorded(t *testing.T, m *notify.Message) {
	t.Helper()
	_, err := s.st.Message(t.Context(), m.ID)
	checkReason(t, "Message(refused start)", err, notify.NotFound, "not_found")
}

func testSaaSTask(t *testing.T, s saas) {
	ctx := t.Context()
	rid, name, zero, empty := int64(9007199254740993), "张三 'O''Brien'", int64(0), ""
	tasks := []*notify.Task{
		{GroupID: "ops", Station: "T7442", RestaurantID: &rid, ReceiveName: &name, Phone: "13800138000",
			Content: `{"name":"张三","emoji":"😀👍🏽","quote":"\"a\\b\"","nl":"x\ny"}`, BusinessType: 3, CreatedAt: saasAt},
		{GroupID: "ops", Station: "T7442", Phone: "+85291234567", Content: "{}",
			CreatedAt: time.Date(1999, 12, 31, 23, 59, 59, 999_999_999, time.UTC)},
		{GroupID: "other", Station: "T7442", RestaurantID: &zero, ReceiveName: &empty, Phone: "13900139000",
			Content: `{"a":""}`, BusinessType: -1, CreatedAt: saasAt.Add(1500 * time.Microsecond)},
		{GroupID: "ops", Station: "A-1", Phone: "13700137000", Content: `{}`, BusinessType: 2, CreatedAt: saasAt},
	}
	for i, task := range tasks {
		s.add(t, task)
		if want := int64(i + 1); task.ID != want {
			t.Errorf("task %d added: ID = %d, want %d", i, task.ID, want)
		}
	}
	for i, task := range tasks {
		got, err := s.st.Task(ctx, task.GroupID, task.ID)
		if err != nil {
			t.Errorf("Task(%s, %d): %v", task.GroupID, task.ID, err)
			continue
		}
		want := *task
		want.CreatedAt = task.CreatedAt.UTC().Truncate(time.Millisecond)
		for _, d := range taskDiff(got, &want) {
			t.Errorf("task %d: %s", i, d)
		}
	}
	for _, tc := range []struct {
		group string
		id    int64
	}{{"ops", 99}, {"ops", 0}, {"ops", tasks[2].ID}, {"other", tasks[0].ID}, {"", tasks[0].ID}} {
		got, err := s.st.Task(ctx, tc.group, tc.id)
		checkReason(t, fmt.Sprintf("Task(%q, %d)", tc.group, tc.id), err, notify.NotFound, "not_found")
		if got != nil {
			t.Errorf("Task(%q, %d) = task %+v, want nil", tc.group, tc.id, got)
		}
	}
}

// taskDiff lists the fields in which got differs from want; want's times
// must already be in UTC at millisecond precision.
func taskDiff(got, want *notify.Task) []string {
	var d []string
	if got.ID != want.ID {
		d = append(d, fmt.Sprintf("ID = %d, want %d", got.ID, want.ID))
	}
	for _, f := range []struct{ name, got, want string }{
		{"GroupID", got.GroupID, want.GroupID},
		{"Station", got.Station, want.Station},
		{"RestaurantID", show(got.RestaurantID), show(want.RestaurantID)},
		{"ReceiveName", show(got.ReceiveName), show(want.ReceiveName)},
		{"Phone", got.Phone, want.Phone},
		{"Content", got.Content, want.Content},
		{"BusinessType", strconv.Itoa(got.BusinessType), strconv.Itoa(want.BusinessType)},
		{"MessageID", got.MessageID, want.MessageID},
	} {
		if f.got != f.want {
			d = append(d, fmt.Sprintf("%s = %q, want %q", f.name, f.got, f.want))
		}
	}
	for _, f := range []struct {
		name      string
		got, want time.Time
	}{{"CreatedAt", got.CreatedAt, want.CreatedAt}, {"StartedAt", got.StartedAt, want.StartedAt}} {
		if !f.got.Equal(f.want) || f.got.Location() != time.UTC {
			d = append(d, fmt.Sprintf("%s = %s, want %s", f.name, f.got.Format(time.RFC3339Nano+" MST"),
				f.want.Format(time.RFC3339Nano)))
		}
	}
	return d
}

// show prints what p points to, or nil.
func show[T any](p *T) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprintf("&%#v", *p)
}

func testSaaSRecharge(t *testing.T, s saas) {
	ctx := t.Context()
	s.checkBalance(t, "ops", "T7442", 0)
	plain := notify.Recharge{GroupID: "ops", Station: "T7442", ComboID: 1, ComboName: "基础包", Units: 100,
		MoneyFen: 1000, UnitPrice: "10", Operator: "alice", Remark: "首充", At: saasAt}
	s.recharge(t, plain)
	again := plain
	again.At = saasAt.Add(time.Minute)
	s.recharge(t, again)
	s.checkBalance(t, "ops", "T7442", 200)

	deal := notify.Recharge{GroupID: "ops", Station: "T7442", ComboID: 2, ComboName: "Pro 包", Units: 500,
		MoneyFen: 4750, UnitPrice: "9.5", Operator: "bob", DealCode: "PAY-2025-0001", Remark: "到账",
		At: saasAt.Add(2 * time.Minute)}
	s.recharge(t, deal)
	s.checkBalance(t, "ops", "T7442", 700)
	retry := deal
	retry.ComboName, retry.UnitPrice, retry.Operator, retry.Remark = "renamed", "9", "carol", "retry"
	retry.At = saasAt.Add(time.Hour)
	if replayed, err := s.st.Recharge(ctx, retry); err != nil || !replayed {
		t.Errorf("Recharge(the deal code again) = %v, %v; want true, nil", replayed, err)
	}
	for _, tc := range []struct {
		name string
		edit func(r *notify.Recharge)
	}{
		{"station", func(r *notify.Recharge) { r.Station = "T9000" }},
		{"combo", func(r *notify.Recharge) { r.ComboID = 3 }},
		{"units", func(r *notify.Recharge) { r.Units++ }},
		{"money", func(r *notify.Recharge) { r.MoneyFen = 0 }},
	} {
		r := deal
		tc.edit(&r)
		replayed, err := s.st.Recharge(ctx, r)
		checkReason(t, "Recharge(the deal code, another "+tc.name+")", err, notify.Conflict, "deal_code_reused")
		if replayed {
			t.Errorf("Recharge(the deal code, another %s) reports a replay", tc.name)
		}
	}
	s.checkBalance(t, "ops", "T7442", 700)
	s.checkBalance(t, "ops", "T9000", 0)

	other := deal
	other.GroupID = "other"
	s.recharge(t, other)
	s.checkBalance(t, "other", "T7442", 500)

	for _, r := range []notify.Recharge{
		{GroupID: "ops", Station: "T7442", ComboID: 1, Units: 0, MoneyFen: 0, At: saasAt},
		{GroupID: "ops", Station: "T7442", ComboID: 1, Units: -5, MoneyFen: 0, At: saasAt},
		{GroupID: "ops", Station: "T7442", ComboID: 1, Units: 5, MoneyFen: -1, At: saasAt},
		{GroupID: "ops", Station: "T7442", ComboID: 1, Units: 0, DealCode: "PAY-ZERO", At: saasAt},
	} {
		if replayed, err := s.st.Recharge(ctx, r); err == nil {
			t.Errorf("Recharge(%d units, %d fen) = %v, nil; want an error", r.Units, r.MoneyFen, replayed)
		}
	}
	s.checkBalance(t, "ops", "T7442", 700)

	got, more, err := s.st.Recharges(ctx, notify.RechargeQuery{GroupID: "ops", Station: "T7442", Page: notify.Page{Limit: 100}})
	if err != nil {
		t.Fatalf("Recharges: %v", err)
	}
	checkRecharges(t, "Recharges", got, []notify.Recharge{deal, again, plain})
	if more {
		t.Errorf("Recharges of the whole listing: more = true")
	}
}

// checkRecharges compares recharges listed with those recorded, but for
// their ids, which must be set and decreasing.
func checkRecharges(t *testing.T, call string, got, want []notify.Recharge) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s = %d recharges %+v, want %d", call, len(got), got, len(want))
		return
	}
	for i, g := range got {
		if g.ID < 1 || (i > 0 && g.ID >= got[i-1].ID) {
			t.Errorf("%s: recharge %d has ID %d, want a positive id below the one before", call, i, g.ID)
		}
		w := want[i]
		if !g.At.Equal(w.At.UTC().Truncate(time.Millisecond)) || g.At.Location() != time.UTC {
			t.Errorf("%s: recharge %d: At = %s, want %s in UTC", call, i, g.At.Format(time.RFC3339Nano+" MST"),
				w.At.UTC().Truncate(time.Millisecond).Format(time.RFC3339Nano))
		}
		g.ID, g.At, w.At = 0, time.Time{}, time.Time{}
		if g != w {
			t.Errorf("%s: recharge %d = %+v\nwant %+v", call, i, g, w)
		}
	}
}

func testSaaSSpend(t *testing.T, s saas) {
	ctx := t.Context()
	t.Run("spends", func(t *testing.T) {
		s.credit(t, "ops", "S1", 2)
		task := s.newTask(t, "ops", "S1")
		m := s.start(t, task, 1)
		s.checkBalance(t, "ops", "S1", 1)
		s.checkStarted(t, task, m)
		if _, err := s.st.Message(ctx, m.ID); err != nil {
			t.Errorf("Message(started): %v", err)
		}
	})
	t.Run("balance too low", func(t *testing.T) {
		s.credit(t, "ops", "S2", 1)
		for _, tc := range []struct {
			station string
			units   int64
		}{{"S2", 2}, {"S3", 1}} {
			task := s.newTask(t, "ops", tc.station)
			m := startMessage(task, tc.units)
			err := s.st.CreateMessage(ctx, m)
			checkReason(t, fmt.Sprintf("CreateMessage(%d units of %s)", tc.units, tc.station), err,
				notify.Insufficient, "balance_too_low")
			s.checkNotRecorded(t, m)
			s.checkStarted(t, task, nil)
		}
		s.checkBalance(t, "ops", "S2", 1)
		s.checkBalance(t, "ops", "S3", 0)
	})
	t.Run("no units", func(t *testing.T) {
		task := s.newTask(t, "ops", "S4")
		m := s.start(t, task, 0)
		s.checkStarted(t, task, m)
		s.checkBalance(t, "ops", "S4", 0)
	})
	t.Run("not the station's task", func(t *testing.T) {
		s.credit(t, "ops", "S5", 5)
		s.credit(t, "other", "S5", 5)
		own := s.newTask(t, "ops", "S5")
		others := []*notify.Task{s.newTask(t, "ops", "S6"), s.newTask(t, "other", "S5"),
			{GroupID: "ops", Station: "S5", ID: 999, Phone: "13800138000"}}
		for _, task := range others {
			m := startMessage(task, 1)
			m.GroupID, m.Spend.Station = "ops", "S5"
			err := s.st.CreateMessage(ctx, m)
			checkReason(t, fmt.Sprintf("CreateMessage(start task %d of %s, %s)", task.ID, task.GroupID, task.Station),
				err, notify.NotFound, "not_found")
			s.checkNotRecorded(t, m)
		}
		s.checkStarted(t, own, nil)
		s.checkStarted(t, others[0], nil)
		s.checkStarted(t, others[1], nil)
		s.checkBalance(t, "ops", "S5", 5)
		s.checkBalance(t, "other", "S5", 5)
	})
	t.Run("started since", func(t *testing.T) {
		// Two starts of one task read it before either linked it: the
		// second finds another message where it expected none.
		s.credit(t, "ops", "S8", 5)
		task := s.newTask(t, "ops", "S8")
		stale := *task
		first := s.start(t, task, 1)
		m := startMessage(&stale, 1)
		err := s.st.CreateMessage(ctx, m)
		checkReason(t, "CreateMessage(start since started)", err, notify.Conflict, "task_started")
		s.checkNotRecorded(t, m)
		s.checkStarted(t, task, first)
		s.checkBalance(t, "ops", "S8", 4)
		// Started again after the first: it replaces it.
		s.finish(t, first, notify.Failed, "")
		again := s.start(t, task, 1)
		s.checkStarted(t, task, again)
		s.checkBalance(t, "ops", "S8", 4)
	})
	t.Run("queue key held", func(t *testing.T) {
		s.credit(t, "ops", "S7", 5)
		task := s.newTask(t, "ops", "S7")
		holder := queued("sqs:saas")
		create(t, s.st, holder)
		m := startMessage(task, 1)
		m.QueueKey = holder.QueueKey
		err := s.st.CreateMessage(ctx, m)
		checkReason(t, "CreateMessage(start, queue key held)", err, notify.Conflict, "duplicate_queue_message")
		s.checkNotRecorded(t, m)
		s.checkStarted(t, task, nil)
		s.checkBalance(t, "ops", "S7", 5)
	})
}

func testSaaSSpendTakingQuotas(t *testing.T, s saas) {
	ctx := t.Context()
	quota := func(key string) []notify.Quota { return []notify.Quota{{Key: key, Max: 1, Window: time.Minute}} }
	// takeAlone takes quota key with a message that spends nothing.
	takeAlone := func(key string) int {
		t.Helper()
		refused, _, err := s.st.CreateMessageTakingQuotas(ctx, newMessage(), limitAt, quota(key))
		if err != nil {
			t.Fatalf("CreateMessageTakingQuotas(no spend, %s): %v", key, err)
		}
		return refused
	}
	s.credit(t, "ops", "Q1", 5)
	task := s.newTask(t, "ops", "Q1")

	if refused := takeAlone("q1"); refused != -1 {
		t.Fatalf("the first take of q1 was refused (%d)", refused)
	}
	m := startMessage(task, 1)
	refused, wait, err := s.st.CreateMessageTakingQuotas(ctx, m, limitAt, quota("q1"))
	if err != nil || refused != 0 || wait != minuteLeft {
		t.Errorf("CreateMessageTakingQuotas(start, q1 at its Max) = %d, %v, %v; want 0, %v, nil", refused, wait, err, minuteLeft)
	}
	s.checkNotRecorded(t, m)
	s.checkStarted(t, task, nil)
	s.checkBalance(t, "ops", "Q1", 5)

	m = startMessage(task, 6)
	_, _, err = s.st.CreateMessageTakingQuotas(ctx, m, limitAt, quota("q2"))
	checkReason(t, "CreateMessageTakingQuotas(6 units of 5)", err, notify.Insufficient, "balance_too_low")
	s.checkNotRecorded(t, m)
	s.checkStarted(t, task, nil)
	s.checkBalance(t, "ops", "Q1", 5)
	if refused := takeAlone("q2"); refused != -1 {
		t.Errorf("the refused start counted q2: a take after it was refused (%d)", refused)
	}

	m = startMessage(task, 2)
	refused, _, err = s.st.CreateMessageTakingQuotas(ctx, m, limitAt, quota("q3"))
	if err != nil || refused != -1 {
		t.Fatalf("CreateMessageTakingQuotas(start, 2 units of 5) = %d, %v; want -1, nil", refused, err)
	}
	if _, err := s.st.Message(ctx, m.ID); err != nil {
		t.Errorf("Message(started): %v", err)
	}
	s.checkStarted(t, task, m)
	s.checkBalance(t, "ops", "Q1", 3)
	if refused := takeAlone("q3"); refused != 0 {
		t.Errorf("the start did not count q3: a take after it passed (%d)", refused)
	}
}

func testSaaSRefund(t *testing.T, s saas) {
	ctx := t.Context()
	s.credit(t, "ops", "R1", 5)
	first := s.newTask(t, "ops", "R1")
	m := s.start(t, first, 2)
	s.checkBalance(t, "ops", "R1", 3)
	for range 2 {
		s.finish(t, m, notify.Failed, "号码停机")
		s.checkBalance(t, "ops", "R1", 5)
	}

	m = s.start(t, s.newTask(t, "ops", "R1"), 1)
	for _, status := range []notify.Status{notify.Submitted, notify.Unknown, notify.Delivered} {
		s.finish(t, m, status, "")
		s.checkBalance(t, "ops", "R1", 4)
	}

	free := s.start(t, s.newTask(t, "ops", "R1"), 0)
	s.finish(t, free, notify.Failed, "")
	plain := newMessage()
	create(t, s.st, plain)
	s.finish(t, plain, notify.Failed, "")
	s.checkBalance(t, "ops", "R1", 4)

	rs := s.st
	m = s.start(t, s.newTask(t, "ops", "R1"), 1)
	s.checkBalance(t, "ops", "R1", 3)
	r := notify.Report{Provider: m.Provider, Channel: m.Channel, ProviderID: "sid-1", Recipient: m.Recipients[0],
		Status: notify.Submitted, Code: "Ok", MessageID: m.ID}
	if res, err := rs.RecordReport(ctx, r); err != nil || res.MessageID != m.ID {
		t.Fatalf("RecordReport(the send's own report) = %+v, %v; want it matched to %s", res, err, m.ID)
	}
	s.finish(t, m, notify.Failed, "")
	s.checkBalance(t, "ops", "R1", 4)
	s.finish(t, m, notify.Failed, "")
	s.checkBalance(t, "ops", "R1", 4)

	again := s.start(t, first, 1)
	s.checkStarted(t, first, again)
	s.checkBalance(t, "ops", "R1", 3)
}

// i64 and str return pointers to their arguments.
func i64(v int64) *int64   { return &v }
func str(v string) *string { return &v }

// checkPaging checks the pages of a listing whose items' keys, in the
// listing's order, are keys, against what a Page says it holds: walked
// forward and back with small limits, and from after and before each key
// and each of others (keys no item has), at each offset. before reports
// whether key a comes before key b in the listing's order; list returns a
// page's keys and its more.
func checkPaging(t *testing.T, keys, others []string, before func(a, b string) bool,
	list func(p notify.Page) ([]string, bool, error)) {
	t.Helper()
	page := func(p notify.Page) ([]string, bool) {
		t.Helper()
		got, more, err := list(p)
		if err != nil {
			t.Fatalf("page %+v: %v", p, err)
		}
		return got, more
	}
	for _, limit := range []int{1, 2, 3} {
		var fwd, back []string
		for after := ""; ; {
			got, more := page(notify.Page{After: after, Limit: limit})
			fwd = append(fwd, got...)
			if !more || len(got) == 0 || len(fwd) > len(keys) {
				break
			}
			after = got[len(got)-1]
		}
		for after := ""; ; {
			got, more := page(notify.Page{After: after, Reverse: true, Limit: limit})
			back = append(slices.Clone(got), back...)
			if !more || len(got) == 0 || len(back) > len(keys) {
				break
			}
			after = got[0]
		}
		if !slices.Equal(fwd, keys) {
			t.Errorf("walked forward %d at a time: %q, want %q", limit, fwd, keys)
		}
		if !slices.Equal(back, keys) {
			t.Errorf("walked back %d at a time: %q, want %q", limit, back, keys)
		}
	}
	for _, after := range append(append([]string{""}, keys...), others...) {
		for offset := range len(keys) + 2 {
			for _, limit := range []int{1, 2, 3, 100} {
				for _, reverse := range []bool{false, true} {
					p := notify.Page{After: after, Reverse: reverse, Limit: limit, Offset: offset}
					got, more := page(p)
					want, wantMore := wantPage(keys, p, before)
					if !slices.Equal(got, want) || more != wantMore {
						t.Errorf("page %+v = %q, more %v; want %q, more %v", p, got, more, want, wantMore)
					}
				}
			}
		}
	}
}

// wantPage returns the keys of the page p of a listing of keys, and
// whether more items follow it (precede it, with Reverse).
func wantPage(keys []string, p notify.Page, before func(a, b string) bool) ([]string, bool) {
	var rest []string // the items in p's direction, nearest After first
	if p.Reverse {
		for _, k := range slices.Backward(keys) {
			if p.After == "" || before(k, p.After) {
				rest = append(rest, k)
			}
		}
	} else {
		for _, k := range keys {
			if p.After == "" || before(p.After, k) {
				rest = append(rest, k)
			}
		}
	}
	rest = rest[min(p.Offset, len(rest)):]
	n := min(p.Limit, len(rest))
	page := slices.Clone(rest[:n])
	if p.Reverse {
		slices.Reverse(page)
	}
	return page, len(rest) > n
}

// newerID reports whether id key a is above b, as newest-first listings
// order them.
func newerID(a, b string) bool {
	x, errA := strconv.ParseInt(a, 10, 64)
	y, errB := strconv.ParseInt(b, 10, 64)
	if errA != nil || errB != nil {
		panic(fmt.Sprintf("keys %q, %q are not ids", a, b))
	}
	return x > y
}

// checkInvalidAfter fails t unless err is the error of an After that is
// not an id.
func checkInvalidAfter(t *testing.T, call string, err error) {
	t.Helper()
	var e *notify.Error
	if !errors.As(err, &e) || e.Kind != notify.Invalid || e.Field != "page_obj" || e.Reason != "invalid_field" {
		t.Errorf("%s = %v; want an *notify.Error of kind invalid, Field page_obj, Reason invalid_field", call, err)
	}
}

// badAfters are page keys that are not ids.
var badAfters = []string{"abc", "1.5", "1e3", " 1", "0x10"}

func testSaaSSendRecords(t *testing.T, s saas) {
	ctx := t.Context()
	base := time.Date(2025, 3, 14, 8, 0, 0, 0, time.UTC)
	rows := []struct {
		task    notify.Task
		status  notify.Status // "": never started
		errText string
	}{
		{notify.Task{GroupID: "ops", Station: "T7442", RestaurantID: i64(42), ReceiveName: str("张三"), Phone: "13800138000", BusinessType: 1}, notify.Submitted, ""},
		{notify.Task{GroupID: "ops", Station: "T9000", RestaurantID: i64(42), Phone: "13800138000", BusinessType: 1}, notify.Submitted, ""},
		{notify.Task{GroupID: "ops", Station: "T7442", Phone: "13912345678", BusinessType: 2}, "", ""},
		{notify.Task{GroupID: "other", Station: "T7442", RestaurantID: i64(42), Phone: "13800138000", BusinessType: 1}, notify.Submitted, ""},
		{notify.Task{GroupID: "ops", Station: "T7442", RestaurantID: i64(4200), ReceiveName: str("李四"), Phone: "13700137000", BusinessType: 1}, notify.Failed, "号码停机"},
		{notify.Task{GroupID: "ops", Station: "T7442", RestaurantID: i64(7), ReceiveName: str("王42"), Phone: "13600136000", BusinessType: 3}, notify.Accepted, ""},
		{notify.Task{GroupID: "ops", Station: "T7442", ReceiveName: str("Zhao"), Phone: "13500135042", BusinessType: 2}, notify.Delivered, ""},
	}
	var all []notify.SendRecord // T7442's of ops, newest first
	for i, r := range rows {
		task := r.task
		task.Content = fmt.Sprintf(`{"n":"%d"}`, i)
		task.CreatedAt = base.Add(time.Duration(i) * time.Hour)
		s.add(t, &task)
		if r.status != "" {
			m := s.start(t, &task, 0)
			if r.status != notify.Accepted {
				s.finish(t, m, r.status, r.errText)
			}
			task.MessageID, task.StartedAt = m.ID, m.CreatedAt.UTC().Truncate(time.Millisecond)
		}
		if task.GroupID == "ops" && task.Station == "T7442" {
			all = slices.Insert(all, 0, notify.SendRecord{Task: task, Status: r.status, ErrorText: r.errText})
		}
	}
	query := func(edit func(q *notify.SendRecordQuery)) notify.SendRecordQuery {
		q := notify.SendRecordQuery{GroupID: "ops", Station: "T7442", Page: notify.Page{Limit: 100}}
		if edit != nil {
			edit(&q)
		}
		return q
	}

	got, more, err := s.st.SendRecords(ctx, query(nil))
	if err != nil {
		t.Fatalf("SendRecords: %v", err)
	}
	if len(got) != len(all) || more {
		t.Fatalf("SendRecords = %d records, more %v; want %d, false: %+v", len(got), more, len(all), got)
	}
	for i, g := range got {
		w := all[i]
		for _, d := range taskDiff(&g.Task, &w.Task) {
			t.Errorf("record %d: %s", i, d)
		}
		if g.Status != w.Status || g.ErrorText != w.ErrorText {
			t.Errorf("record %d: Status %q, ErrorText %q; want %q, %q", i, g.Status, g.ErrorText, w.Status, w.ErrorText)
		}
	}

	for _, tc := range []struct {
		name string
		edit func(q *notify.SendRecordQuery)
		want []int64
	}{
		{"restaurant, name or phone", func(q *notify.SendRecordQuery) { q.Search = "42" }, []int64{7, 6, 1}},
		{"name", func(q *notify.SendRecordQuery) { q.Search = "张" }, []int64{1}},
		{"phone", func(q *notify.SendRecordQuery) { q.Search = "138001" }, []int64{1}},
		{"restaurant equal", func(q *notify.SendRecordQuery) { q.Search = "4200" }, []int64{5}},
		{"restaurant part", func(q *notify.SendRecordQuery) { q.Search = "420" }, nil},
		{"case", func(q *notify.SendRecordQuery) { q.Search = "zhao" }, nil},
		{"business type", func(q *notify.SendRecordQuery) { q.BusinessTypes = []int{2} }, []int64{7, 3}},
		{"business types", func(q *notify.SendRecordQuery) { q.BusinessTypes = []int{1, 3} }, []int64{6, 5, 1}},
		{"never started", func(q *notify.SendRecordQuery) { q.Statuses = []notify.Status{""} }, []int64{3}},
		{"failed", func(q *notify.SendRecordQuery) { q.Statuses = []notify.Status{notify.Failed} }, []int64{5}},
		{"statuses", func(q *notify.SendRecordQuery) { q.Statuses = []notify.Status{notify.Submitted, notify.Accepted} }, []int64{6, 1}},
		{"never started or delivered", func(q *notify.SendRecordQuery) { q.Statuses = []notify.Status{"", notify.Delivered} }, []int64{7, 3}},
		{"from, to", func(q *notify.SendRecordQuery) { q.From, q.To = base.Add(2*time.Hour), base.Add(5*time.Hour) }, []int64{5, 3}},
		{"from", func(q *notify.SendRecordQuery) { q.From = base.Add(4 * time.Hour).In(notify.Beijing) }, []int64{7, 6, 5}},
		{"to", func(q *notify.SendRecordQuery) { q.To = base.Add(2 * time.Hour) }, []int64{1}},
		{"search and status", func(q *notify.SendRecordQuery) {
			q.Search, q.Statuses = "42", []notify.Status{notify.Submitted}
		}, []int64{1}},
		{"other station", func(q *notify.SendRecordQuery) { q.Station = "T9000" }, []int64{2}},
		{"other group", func(q *notify.SendRecordQuery) { q.GroupID = "other" }, []int64{4}},
		{"unknown station", func(q *notify.SendRecordQuery) { q.Station = "T0" }, nil},
	} {
		got, more, err := s.st.SendRecords(ctx, query(tc.edit))
		if err != nil {
			t.Errorf("%s: SendRecords: %v", tc.name, err)
			continue
		}
		var ids []int64
		for _, r := range got {
			ids = append(ids, r.ID)
		}
		if !slices.Equal(ids, tc.want) || more {
			t.Errorf("%s: SendRecords = tasks %v, more %v; want %v, false", tc.name, ids, more, tc.want)
		}
	}

	lister := func(edit func(q *notify.SendRecordQuery)) func(p notify.Page) ([]string, bool, error) {
		return func(p notify.Page) ([]string, bool, error) {
			q := query(edit)
			q.Page = p
			got, more, err := s.st.SendRecords(ctx, q)
			var keys []string
			for _, r := range got {
				keys = append(keys, strconv.FormatInt(r.ID, 10))
			}
			return keys, more, err
		}
	}
	others := []string{"0", "2", "4", "100"}
	t.Run("paging", func(t *testing.T) {
		checkPaging(t, []string{"7", "6", "5", "3", "1"}, others, newerID, lister(nil))
	})
	t.Run("paging filtered", func(t *testing.T) {
		checkPaging(t, []string{"6", "5", "1"}, append(others, "3", "7"), newerID,
			lister(func(q *notify.SendRecordQuery) { q.BusinessTypes = []int{1, 3} }))
	})
	for _, after := range badAfters {
		for _, reverse := range []bool{false, true} {
			_, _, err := s.st.SendRecords(ctx, query(func(q *notify.SendRecordQuery) {
				q.Page.After, q.Page.Reverse = after, reverse
			}))
			checkInvalidAfter(t, fmt.Sprintf("SendRecords(After %q, Reverse %v)", after, reverse), err)
		}
	}
}

func testSaaSRecharges(t *testing.T, s saas) {
	ctx := t.Context()
	at := time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	rs := []notify.Recharge{
		{GroupID: "ops", Station: "T7442", ComboID: 1, ComboName: "基础包", Units: 100, MoneyFen: 1000, UnitPrice: "10",
			Operator: "alice", DealCode: "PAY-001", Remark: "首充", At: at},
		{GroupID: "ops", Station: "T9000", ComboID: 1, ComboName: "基础包", Units: 100, MoneyFen: 1000, UnitPrice: "10",
			Operator: "bob", DealCode: "PAY-002", Remark: "首充", At: at.Add(day)},
		{GroupID: "ops", Station: "T7442", ComboID: 2, ComboName: "Pro 包", Units: 1000, MoneyFen: 9500, UnitPrice: "9.5",
			Operator: "bob", Remark: "续费 promo", At: at.Add(2 * day)},
		{GroupID: "other", Station: "T7442", ComboID: 1, ComboName: "基础包", Units: 100, MoneyFen: 1000,
			Operator: "bob", DealCode: "PAY-003", Remark: "首充", At: at.Add(3 * day)},
		{GroupID: "ops", Station: "T7442", ComboID: 1, ComboName: "基础包", Units: 100, MoneyFen: 1000, UnitPrice: "10",
			Operator: "carol", DealCode: "WX-77", At: at.Add(4*day + 1500*time.Microsecond).In(notify.Beijing)},
		{GroupID: "ops", Station: "T7442", ComboID: 3, ComboName: "大客户", Units: 5000, MoneyFen: 40000,
			Operator: "bob", DealCode: "PAY-004", Remark: "年付", At: at.Add(5 * day)},
	}
	for i, r := range rs {
		s.recharge(t, r)
		if i == 2 {
			// A spend and a refund between recharges: ledger rows that are
			// not recharges.
			m := s.start(t, s.newTask(t, "ops", "T7442"), 3)
			s.finish(t, m, notify.Failed, "")
		}
	}
	pick := func(is ...int) []notify.Recharge {
		var want []notify.Recharge
		for _, i := range is {
			want = append(want, rs[i])
		}
		return want
	}
	query := func(edit func(q *notify.RechargeQuery)) notify.RechargeQuery {
		q := notify.RechargeQuery{GroupID: "ops", Station: "T7442", Page: notify.Page{Limit: 100}}
		if edit != nil {
			edit(&q)
		}
		return q
	}
	var keys []string
	for _, tc := range []struct {
		name string
		edit func(q *notify.RechargeQuery)
		want []notify.Recharge
	}{
		{"all", nil, pick(5, 4, 2, 0)},
		{"deal code", func(q *notify.RechargeQuery) { q.Q = "PAY-00" }, pick(5, 0)},
		{"remark", func(q *notify.RechargeQuery) { q.Q = "promo" }, pick(2)},
		{"operator", func(q *notify.RechargeQuery) { q.Q = "bob" }, pick(5, 2)},
		{"combo name, case", func(q *notify.RechargeQuery) { q.Q = "Pro" }, pick(2)},
		{"combo names", func(q *notify.RechargeQuery) { q.Q = "包" }, pick(4, 2, 0)},
		{"case", func(q *notify.RechargeQuery) { q.Q = "wx" }, nil},
		{"from, to", func(q *notify.RechargeQuery) { q.From, q.To = at.Add(2*day), at.Add(5*day) }, pick(4, 2)},
		{"from", func(q *notify.RechargeQuery) { q.From = at.Add(4 * day).In(notify.Beijing) }, pick(5, 4)},
		{"to", func(q *notify.RechargeQuery) { q.To = at.Add(time.Millisecond) }, pick(0)},
		{"other station", func(q *notify.RechargeQuery) { q.Station = "T9000" }, pick(1)},
		{"every station", func(q *notify.RechargeQuery) { q.Station = "" }, pick(5, 4, 2, 1, 0)},
		{"other group", func(q *notify.RechargeQuery) { q.GroupID = "other" }, pick(3)},
	} {
		got, more, err := s.st.Recharges(ctx, query(tc.edit))
		if err != nil {
			t.Errorf("%s: Recharges: %v", tc.name, err)
			continue
		}
		checkRecharges(t, tc.name+": Recharges", got, tc.want)
		if more {
			t.Errorf("%s: Recharges of the whole listing: more = true", tc.name)
		}
		if tc.edit == nil {
			for _, r := range got {
				keys = append(keys, strconv.FormatInt(r.ID, 10))
			}
		}
	}
	if len(keys) != 4 {
		t.Fatalf("the listing has %d keys, want 4", len(keys))
	}
	top, _ := strconv.ParseInt(keys[0], 10, 64)
	others := []string{"0", strconv.FormatInt(top+1, 10), strconv.FormatInt(top+1000, 10)}
	checkPaging(t, keys, others, newerID, func(p notify.Page) ([]string, bool, error) {
		got, more, err := s.st.Recharges(ctx, query(func(q *notify.RechargeQuery) { q.Page = p }))
		var keys []string
		for _, r := range got {
			keys = append(keys, strconv.FormatInt(r.ID, 10))
		}
		return keys, more, err
	})
	for _, after := range badAfters {
		_, _, err := s.st.Recharges(ctx, query(func(q *notify.RechargeQuery) { q.Page.After = after }))
		checkInvalidAfter(t, fmt.Sprintf("Recharges(After %q)", after), err)
	}
}

func testSaaSStations(t *testing.T, s saas) {
	ctx := t.Context()
	for _, r := range []struct {
		group, station string
		units, fen     int64
	}{
		{"ops", "T2", 100, 1000}, {"ops", "T10", 200, 1800}, {"ops", "A5", 50, 500}, {"ops", "T1", 10, 100},
		{"ops", "T3", 30, 300}, {"ops", "T2", 100, 900}, {"other", "T2", 70, 700},
	} {
		s.recharge(t, notify.Recharge{GroupID: r.group, Station: r.station, ComboID: 1, Units: r.units, MoneyFen: r.fen, At: saasAt})
	}
	s.start(t, s.newTask(t, "ops", "T10"), 7)
	s.newTask(t, "ops", "T9")
	all := []notify.StationFigures{
		{Station: "A5", Balance: 50, RechargedUnits: 50, RechargedFen: 500},
		{Station: "T1", Balance: 10, RechargedUnits: 10, RechargedFen: 100},
		{Station: "T10", Balance: 193, RechargedUnits: 200, RechargedFen: 1800},
		{Station: "T2", Balance: 200, RechargedUnits: 200, RechargedFen: 1900},
		{Station: "T3", Balance: 30, RechargedUnits: 30, RechargedFen: 300},
	}
	query := func(edit func(q *notify.StationQuery)) notify.StationQuery {
		q := notify.StationQuery{GroupID: "ops", Page: notify.Page{Limit: 100}}
		if edit != nil {
			edit(&q)
		}
		return q
	}
	for _, tc := range []struct {
		name string
		edit func(q *notify.StationQuery)
		want []notify.StationFigures
	}{
		{"all", nil, all},
		{"none kept", func(q *notify.StationQuery) { q.Stations = []string{} }, all},
		{"kept", func(q *notify.StationQuery) { q.Stations = []string{"T2", "T10", "nope", "T9"} }, []notify.StationFigures{all[2], all[3]}},
		{"q", func(q *notify.StationQuery) { q.Q = "T1" }, all[1:3]},
		{"q, case", func(q *notify.StationQuery) { q.Q = "t1" }, nil},
		{"kept and q", func(q *notify.StationQuery) { q.Stations, q.Q = []string{"T2", "T10", "A5"}, "T" }, all[2:4]},
		{"other group", func(q *notify.StationQuery) { q.GroupID = "other" }, []notify.StationFigures{{Station: "T2", Balance: 70, RechargedUnits: 70, RechargedFen: 700}}},
		{"unknown group", func(q *notify.StationQuery) { q.GroupID = "nobody" }, nil},
	} {
		got, more, err := s.st.Stations(ctx, query(tc.edit))
		if err != nil {
			t.Errorf("%s: Stations: %v", tc.name, err)
			continue
		}
		if !slices.Equal(got, tc.want) || more {
			t.Errorf("%s: Stations = %+v, more %v\nwant %+v, false", tc.name, got, more, tc.want)
		}
	}
	lister := func(edit func(q *notify.StationQuery)) func(p notify.Page) ([]string, bool, error) {
		return func(p notify.Page) ([]string, bool, error) {
			q := query(edit)
			q.Page = p
			got, more, err := s.st.Stations(ctx, q)
			var keys []string
			for _, f := range got {
				keys = append(keys, f.Station)
			}
			return keys, more, err
		}
	}
	ascending := func(a, b string) bool { return a < b }
	others := []string{"0", "B", "T", "T9", "Z"}
	checkPaging(t, []string{"A5", "T1", "T10", "T2", "T3"}, others, ascending, lister(nil))
	checkPaging(t, []string{"T1", "T10", "T2", "T3"}, append(others, "A5"), ascending,
		lister(func(q *notify.StationQuery) { q.Q = "T" }))
}

func testSaaSDayCounts(t *testing.T, s saas) {
	ctx := t.Context()
	at := func(v string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			panic(err)
		}
		return tm
	}
	for _, r := range []struct {
		group, station, created string
		status                  notify.Status // "": never started
	}{
		{"ops", "T7442", "2025-03-13T15:59:59.999Z", notify.Submitted},
		{"ops", "T7442", "2025-03-14T15:59:59.999Z", notify.Submitted},
		{"ops", "T7442", "2025-03-14T16:00:00Z", notify.Submitted},
		{"ops", "T7442", "2025-03-14T16:30:00Z", notify.Failed},
		{"ops", "T7442", "2025-03-15T10:00:00Z", notify.Submitted},
		{"ops", "T7442", "2025-03-15T12:00:00Z", ""},
		{"ops", "T7442", "2025-03-16T01:00:00+08:00", notify.Accepted},
		{"ops", "T7442", "2025-03-17T01:00:00Z", notify.Delivered},
		{"ops", "T9000", "2025-03-15T01:00:00Z", notify.Submitted},
		{"other", "T7442", "2025-03-15T01:00:00Z", notify.Submitted},
	} {
		task := s.add(t, &notify.Task{GroupID: r.group, Station: r.station, Phone: "13800138000", Content: "{}",
			CreatedAt: at(r.created)})
		if r.status != "" {
			m := s.start(t, task, 0)
			if r.status != notify.Accepted {
				s.finish(t, m, r.status, "")
			}
		}
	}
	dc := func(day string, status notify.Status, n int64) notify.DayCount {
		return notify.DayCount{Day: day, Status: status, N: n}
	}
	for _, tc := range []struct {
		name     string
		station  string
		from, to time.Time
		want     []notify.DayCount
	}{
		{"days", "T7442", at("2025-03-14T00:00:00Z"), at("2025-03-18T00:00:00Z"), []notify.DayCount{
			dc("2025-03-14", notify.Submitted, 1), dc("2025-03-15", notify.Failed, 1), dc("2025-03-15", notify.Submitted, 2),
			dc("2025-03-16", notify.Accepted, 1), dc("2025-03-17", notify.Delivered, 1)}},
		{"from, to", "T7442", at("2025-03-15T00:00:00+08:00"), at("2025-03-15T10:00:00Z"), []notify.DayCount{
			dc("2025-03-15", notify.Failed, 1), dc("2025-03-15", notify.Submitted, 1)}},
		{"unbounded", "T7442", time.Time{}, time.Time{}, []notify.DayCount{
			dc("2025-03-13", notify.Submitted, 1), dc("2025-03-14", notify.Submitted, 1), dc("2025-03-15", notify.Failed, 1),
			dc("2025-03-15", notify.Submitted, 2), dc("2025-03-16", notify.Accepted, 1), dc("2025-03-17", notify.Delivered, 1)}},
		{"none", "T7442", at("2025-04-01T00:00:00Z"), at("2025-05-01T00:00:00Z"), nil},
		{"other station", "T9000", time.Time{}, time.Time{}, []notify.DayCount{dc("2025-03-15", notify.Submitted, 1)}},
	} {
		got, err := s.st.DayCounts(ctx, "ops", tc.station, tc.from, tc.to)
		if err != nil {
			t.Errorf("%s: DayCounts: %v", tc.name, err)
			continue
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: DayCounts = %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
}

func testSaaSTotals(t *testing.T, s saas) {
	ctx := t.Context()
	for _, r := range []notify.Recharge{
		{GroupID: "ops", Station: "T1", ComboID: 1, Units: 100, MoneyFen: 1000, At: saasAt},
		{GroupID: "ops", Station: "T2", ComboID: 1, Units: 50, MoneyFen: 450, At: saasAt},
		{GroupID: "other", Station: "T1", ComboID: 1, Units: 1000, MoneyFen: 9000, At: saasAt},
	} {
		s.recharge(t, r)
	}
	s.start(t, s.newTask(t, "ops", "T1"), 3)
	for group, want := range map[string]notify.SaaSTotals{
		"ops":    {Balance: 147, RechargedUnits: 150, RechargedFen: 1450},
		"other":  {Balance: 1000, RechargedUnits: 1000, RechargedFen: 9000},
		"nobody": {},
	} {
		if got, err := s.st.Totals(ctx, group); err != nil || got != want {
			t.Errorf("Totals(%s) = %+v, %v; want %+v, nil", group, got, err, want)
		}
	}
}

// RaceSaaS starts 80 tasks of a station that has 40 units at once, each
// spending a unit, through a and b in turn (two stores on one database
// stand for two function instances), and sends one recharge with a deal
// code three times at once. It fails t unless exactly 40 starts spend,
// the other 40 are refused for the balance, and the recharge credits
// once.
func RaceSaaS(t *testing.T, a, b notify.Store, ledgerSum func(t *testing.T, st notify.Store, group, station string) int64) {
	const units, starts, recharges = 40, 80, 3
	s := saas{a, ledgerSum}
	stores := []notify.Store{a, b}
	s.credit(t, "ops", "RACE", units)
	tasks := make([]*notify.Task, starts)
	for i := range tasks {
		tasks[i] = s.newTask(t, "ops", "RACE")
	}
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make([]error, starts)
	)
	for i, task := range tasks {
		wg.Go(func() {
			<-start
			errs[i] = stores[i%2].CreateMessage(context.Background(), startMessage(task, 1))
		})
	}
	close(start)
	wg.Wait()
	spent := 0
	for i, err := range errs {
		if err == nil {
			spent++
		} else if e := notify.AsError(err); e.Kind != notify.Insufficient || e.Reason != "balance_too_low" {
			t.Errorf("start %d: CreateMessage: %v; want nil or balance_too_low", i, err)
		}
	}
	if spent != units {
		t.Errorf("%d of %d concurrent starts of a unit each spent, of a balance of %d", spent, starts, units)
	}
	s.checkBalance(t, "ops", "RACE", 0)

	r := notify.Recharge{GroupID: "ops", Station: "RACE", ComboID: 1, Units: 10, MoneyFen: 100, DealCode: "PAY-RACE", At: saasAt}
	replayed := make([]bool, recharges)
	errs = make([]error, recharges)
	start = make(chan struct{})
	for i := range recharges {
		wg.Go(func() {
			<-start
			replayed[i], errs[i] = stores[i%2].Recharge(context.Background(), r)
		})
	}
	close(start)
	wg.Wait()
	credited := 0
	for i, err := range errs {
		if err != nil {
			t.Errorf("recharge %d: %v", i, err)
		} else if !replayed[i] {
			credited++
		}
	}
	if credited != 1 {
		t.Errorf("%d of %d concurrent recharges with one deal code credited, want 1", credited, recharges)
	}
	s.checkBalance(t, "ops", "RACE", r.Units)
}

// BenchStart records a message that spends a unit of a station, and its
// outcome, as the start of a task does: BenchCreateFinish's work, and the
// task's link, the spend and its row of the ledger. Each op starts the
// same task again.
func BenchStart(b *testing.B, st notify.Store) {
	ctx := b.Context()
	if _, err := st.Recharge(ctx, notify.Recharge{GroupID: "ops", Station: "T7442", ComboID: 1, Units: 1 << 40,
		At: time.Now()}); err != nil {
		b.Fatal(err)
	}
	task := &notify.Task{GroupID: "ops", Station: "T7442", Phone: "13800138000", Content: `{"code":"123456"}`,
		BusinessType: 1, CreatedAt: time.Now()}
	if err := st.AddTask(ctx, task); err != nil {
		b.Fatal(err)
	}
	m, o := BenchMessage()
	m.Spend = &notify.Spend{Station: task.Station, TaskID: task.ID, Units: 1}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		m.Spend.Prev, m.ID = m.ID, fmt.Sprintf("%032x", i)
		if err := st.CreateMessage(ctx, m); err != nil {
			b.Fatal(err)
		}
		if err := st.FinishMessage(ctx, m.ID, o); err != nil {
			b.Fatal(err)
		}
	}
}
