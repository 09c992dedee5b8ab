package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// RunLimits runs the contract of notify.LimitStore against the stores open
// returns, a fresh one for each test. Beyond the interface's comments:
//
//   - Windows are those of Quota.WindowStart: a day window ends at midnight
//     Beijing time, and retryAfter is exactly its end less now.
//   - A key that appears several times in one call counts a use for each.
//   - When several quotas are at their Max, the first of them in qs is
//     the one refused.
//   - A quota with Max below 1, or a Window of no whole milliseconds, is
//     an error, and nothing of the call is counted. No error holds a key
//     (keys hold phone numbers).
//   - A call with a cancelled context fails with an error wrapping
//     context.Canceled, and counts or returns nothing.
//   - Of concurrent takes of one quota, exactly Max are counted, and none
//     fails (RaceQuotas).
func RunLimits(t *testing.T, open func(t *testing.T) notify.LimitStore) {
	for _, tc := range []struct {
		name string
		test func(*testing.T, notify.LimitStore)
	}{
		{"Windows", testLimitWindows},
		{"NextWindow", testLimitNextWindow},
		{"AllOrNone", testLimitAllOrNone},
		{"FirstRefused", testLimitFirstRefused},
		{"RepeatedKey", testLimitRepeatedKey},
		{"KeysApart", testLimitKeysApart},
		{"Return", testLimitReturn},
		{"Invalid", testLimitInvalid},
		{"Concurrent", func(t *testing.T, st notify.LimitStore) { RaceQuotas(t, st) }},
		{"ConcurrentOrders", testLimitConcurrentOrders},
		{"Cancelled", testLimitCancelled},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.test(t, open(t)) })
	}
}

// limitAt is when the tests take quotas: 18:17:42.5 in Beijing. The time
// left at limitAt in its minute, hour and day windows (the day ends at
// midnight Beijing time, 16:00 UTC) follows.
var limitAt = time.Date(2026, 6, 1, 10, 17, 42, 500_000_000, time.UTC)

const (
	minuteLeft = 17*time.Second + 500*time.Millisecond
	hourLeft   = 42*time.Minute + minuteLeft
	dayLeft    = 5*time.Hour + hourLeft
)

// The quotas of one verification SMS to one number, as notify takes them.
const (
	limitNumber = "13800138000"
	limitKey    = "sms:verification:ops:" + limitNumber
)

// take calls TakeQuotas and fails t on an error.
func take(t *testing.T, st notify.LimitStore, now time.Time, qs ...notify.Quota) (int, time.Duration) {
	t.Helper()
	refused, wait, err := st.TakeQuotas(context.Background(), now, qs)
	if err != nil {
		t.Fatalf("TakeQuotas(%s, %d quotas): %v", now.Format(time.RFC3339Nano), len(qs), err)
	}
	return refused, wait
}

// mustTake fails t unless TakeQuotas counts every quota in qs.
func mustTake(t *testing.T, st notify.LimitStore, now time.Time, qs ...notify.Quota) {
	t.Helper()
	if refused, wait := take(t, st, now, qs...); refused != -1 {
		t.Fatalf("TakeQuotas(%s) refused quota %d (retry after %v), want all counted", now.Format(time.RFC3339Nano), refused, wait)
	}
}

// mustRefuse fails t unless TakeQuotas refuses quota i of qs with
// retryAfter wait.
func mustRefuse(t *testing.T, st notify.LimitStore, now time.Time, i int, wait time.Duration, qs ...notify.Quota) {
	t.Helper()
	if gotI, gotWait := take(t, st, now, qs...); gotI != i || gotWait != wait {
		t.Fatalf("TakeQuotas(%s) = %d, %v; want quota %d refused, retry after %v", now.Format(time.RFC3339Nano), gotI, gotWait, i, wait)
	}
}

func testLimitWindows(t *testing.T, st notify.LimitStore) {
	// 17:30 UTC is 01:30 the next day in Beijing: its day ends 22.5 h on.
	late := time.Date(2026, 6, 1, 17, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		q    notify.Quota
		now  time.Time
		left time.Duration // the time left in the window at now
	}{
		{"minute", notify.Quota{Key: limitKey + ":m", Max: 1, Window: time.Minute}, limitAt, minuteLeft},
		{"hour", notify.Quota{Key: limitKey + ":h", Max: 5, Window: time.Hour}, limitAt, hourLeft},
		{"day", notify.Quota{Key: limitKey + ":d", Max: 10, Window: 24 * time.Hour}, limitAt, dayLeft},
		{"day after UTC midnight in Beijing", notify.Quota{Key: "group:ops:d", Max: 3, Window: 24 * time.Hour}, late, 22*time.Hour + 30*time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i := range tc.q.Max {
				// Spread over the window, up to its last millisecond.
				at := tc.now.Add(time.Duration(i) * (tc.left - time.Millisecond) / time.Duration(max(1, tc.q.Max-1)))
				mustTake(t, st, at, tc.q)
			}
			mustRefuse(t, st, tc.now, 0, tc.left, tc.q)
			mustRefuse(t, st, tc.now.Add(tc.left-time.Millisecond), 0, time.Millisecond, tc.q)
		})
	}
}

func testLimitNextWindow(t *testing.T, st notify.LimitStore) {
	for _, q := range []notify.Quota{
		{Key: limitKey + ":m", Max: 2, Window: time.Minute},
		{Key: limitKey + ":d", Max: 2, Window: 24 * time.Hour},
	} {
		mustTake(t, st, limitAt, q, q)
		_, wait := take(t, st, limitAt, q)
		end := limitAt.Add(wait)
		mustRefuse(t, st, end.Add(-time.Millisecond), 0, time.Millisecond, q)
		// The next window counts afresh.
		mustTake(t, st, end, q, q)
		mustRefuse(t, st, end, 0, q.Window, q)
	}
}

func testLimitAllOrNone(t *testing.T, st notify.LimitStore) {
	a := notify.Quota{Key: limitKey + ":m", Max: 1, Window: time.Minute}
	b := notify.Quota{Key: "group:ops:d", Max: 1, Window: 24 * time.Hour}
	mustTake(t, st, limitAt, b)
	mustRefuse(t, st, limitAt, 1, dayLeft, a, b)
	// a was not counted: its one use is still there.
	mustTake(t, st, limitAt, a)
	mustRefuse(t, st, limitAt, 0, minuteLeft, a)
}

func testLimitFirstRefused(t *testing.T, st notify.LimitStore) {
	m := notify.Quota{Key: limitKey + ":m", Max: 1, Window: time.Minute}
	h := notify.Quota{Key: limitKey + ":h", Max: 1, Window: time.Hour}
	fresh := notify.Quota{Key: "sms:verification:ops:13900139000:m", Max: 1, Window: time.Minute}
	mustTake(t, st, limitAt, m, h)
	mustRefuse(t, st, limitAt, 1, hourLeft, fresh, h, m)
	mustRefuse(t, st, limitAt, 1, minuteLeft, fresh, m, h)
	mustRefuse(t, st, limitAt, 0, hourLeft, h, fresh, m)
	mustTake(t, st, limitAt, fresh)
}

func testLimitRepeatedKey(t *testing.T, st notify.LimitStore) {
	group := notify.Quota{Key: "group:ops:d", Max: 3, Window: 24 * time.Hour}
	// One send to four numbers takes the group's daily cap four times:
	// the fourth is refused, and nothing is counted.
	mustRefuse(t, st, limitAt, 3, dayLeft, group, group, group, group)
	mustTake(t, st, limitAt, group, group)
	mustRefuse(t, st, limitAt, 1, dayLeft, group, group)
	mustTake(t, st, limitAt, group)
	mustRefuse(t, st, limitAt, 0, dayLeft, group)
}

func testLimitKeysApart(t *testing.T, st notify.LimitStore) {
	qs := []notify.Quota{
		{Key: limitKey + ":m", Max: 1, Window: time.Minute},
		{Key: "sms:verification:ops:13900139000:m", Max: 1, Window: time.Minute},
		{Key: "sms:verification:ops2:" + limitNumber + ":m", Max: 1, Window: time.Minute},
		{Key: "tts:ops:" + limitNumber + ":m", Max: 1, Window: time.Minute},
	}
	for _, q := range qs {
		mustTake(t, st, limitAt, q)
	}
	for _, q := range qs {
		mustRefuse(t, st, limitAt, 0, minuteLeft, q)
	}
}

func testLimitReturn(t *testing.T, st notify.LimitStore) {
	ctx := context.Background()
	m := notify.Quota{Key: limitKey + ":m", Max: 1, Window: time.Minute}
	group := notify.Quota{Key: "group:ops:d", Max: 2, Window: 24 * time.Hour}
	mustTake(t, st, limitAt, m, group, group)
	mustRefuse(t, st, limitAt, 0, minuteLeft, m)
	// Given back later, in the window it was taken in.
	if err := st.ReturnQuotas(ctx, limitAt, []notify.Quota{m, group, group}); err != nil {
		t.Fatalf("ReturnQuotas: %v", err)
	}
	mustTake(t, st, limitAt.Add(time.Second), m, group)
	mustRefuse(t, st, limitAt, 0, minuteLeft, m)
	// Never below zero: two more returns of the group's one use free one.
	for range 2 {
		if err := st.ReturnQuotas(ctx, limitAt, []notify.Quota{group}); err != nil {
			t.Fatalf("ReturnQuotas: %v", err)
		}
	}
	mustTake(t, st, limitAt, group, group)
	mustRefuse(t, st, limitAt, 0, dayLeft, group)
	// A return gives back one use, not more.
	if err := st.ReturnQuotas(ctx, limitAt, []notify.Quota{group}); err != nil {
		t.Fatalf("ReturnQuotas: %v", err)
	}
	mustTake(t, st, limitAt, group)
	mustRefuse(t, st, limitAt, 0, dayLeft, group)
	// A window never taken, or an earlier one, is fine and frees nothing
	// now.
	unused := notify.Quota{Key: "tts:ops:" + limitNumber + ":h", Max: 1, Window: time.Hour}
	if err := st.ReturnQuotas(ctx, limitAt.Add(-time.Minute), []notify.Quota{unused, m}); err != nil {
		t.Fatalf("ReturnQuotas of windows never taken: %v", err)
	}
	mustRefuse(t, st, limitAt, 0, minuteLeft, m)
	if err := st.ReturnQuotas(ctx, limitAt, nil); err != nil {
		t.Errorf("ReturnQuotas of no quotas: %v", err)
	}
}

func testLimitInvalid(t *testing.T, st notify.LimitStore) {
	ok := notify.Quota{Key: limitKey + ":m", Max: 1, Window: time.Minute}
	for _, tc := range []struct {
		name string
		q    notify.Quota
	}{
		{"max 0", notify.Quota{Key: limitKey + ":h", Max: 0, Window: time.Hour}},
		{"max -1", notify.Quota{Key: limitKey + ":h", Max: -1, Window: time.Hour}},
		{"no window", notify.Quota{Key: limitKey + ":h", Max: 1}},
		{"negative window", notify.Quota{Key: limitKey + ":h", Max: 1, Window: -time.Minute}},
		{"sub-millisecond window", notify.Quota{Key: limitKey + ":h", Max: 1, Window: 1500 * time.Microsecond}},
	} {
		refused, _, err := st.TakeQuotas(context.Background(), limitAt, []notify.Quota{ok, tc.q})
		if err == nil {
			t.Errorf("%s: TakeQuotas = %d, nil; want an error", tc.name, refused)
			continue
		}
		if strings.Contains(err.Error(), limitNumber) {
			t.Errorf("%s: TakeQuotas error %q holds the phone number", tc.name, err)
		}
	}
	if refused, wait, err := st.TakeQuotas(context.Background(), limitAt, nil); refused != -1 || wait != 0 || err != nil {
		t.Errorf("TakeQuotas of no quotas = %d, %v, %v; want -1, 0, nil", refused, wait, err)
	}
	// None of the failed calls counted ok.
	mustTake(t, st, limitAt, ok)
	mustRefuse(t, st, limitAt, 0, minuteLeft, ok)
}

// RaceQuotas takes one quota of Max 5 from 20 goroutines at once, spread
// over stores (two Stores on one database stand for two function
// instances), and fails t unless exactly 5 are counted and none fails.
func RaceQuotas(t *testing.T, stores ...notify.LimitStore) {
	const takers, limit = 20, 5
	q := notify.Quota{Key: limitKey + ":d", Max: limit, Window: 24 * time.Hour}
	group := notify.Quota{Key: "group:ops:d", Max: 1000, Window: 24 * time.Hour}
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		mu      sync.Mutex
		counted int
	)
	for i := range takers {
		wg.Go(func() {
			<-start
			refused, _, err := stores[i%len(stores)].TakeQuotas(context.Background(), limitAt, []notify.Quota{q, group})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				t.Errorf("taker %d: TakeQuotas: %v", i, err)
			case refused == -1:
				counted++
			case refused != 0:
				t.Errorf("taker %d: TakeQuotas refused quota %d, want 0 (the number's) or none", i, refused)
			}
		})
	}
	close(start)
	wg.Wait()
	if counted != limit {
		t.Errorf("%d of %d concurrent takes of a quota of %d on %d stores were counted, want %d", counted, takers, limit, len(stores), limit)
	}
	// The group's cap counted exactly the takes that were.
	over := notify.Quota{Key: group.Key, Max: limit + 1, Window: group.Window}
	if refused, _ := take(t, stores[0], limitAt, over); refused != -1 {
		t.Errorf("the group's cap after %d takes counted is full; want one use left of %d", limit, limit+1)
	}
	if refused, _ := take(t, stores[0], limitAt, over); refused != 0 {
		t.Errorf("the group's cap counted more than the %d takes that were", limit)
	}
}

// testLimitConcurrentOrders takes two numbers' quotas in both orders at
// once, as two sends to [a, b] and [b, a] do: a store that locks rows as
// they come may deadlock; none may fail.
func testLimitConcurrentOrders(t *testing.T, st notify.LimitStore) {
	const takers, limit = 16, 6
	a := notify.Quota{Key: limitKey + ":d", Max: limit, Window: 24 * time.Hour}
	b := notify.Quota{Key: "sms:verification:ops:13900139000:d", Max: limit, Window: 24 * time.Hour}
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		mu      sync.Mutex
		counted int
	)
	for i := range takers {
		qs := []notify.Quota{a, b}
		if i%2 == 1 {
			qs = []notify.Quota{b, a}
		}
		wg.Go(func() {
			<-start
			refused, _, err := st.TakeQuotas(context.Background(), limitAt, qs)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				t.Errorf("taker %d: TakeQuotas: %v", i, err)
			case refused == -1:
				counted++
			}
		})
	}
	close(start)
	wg.Wait()
	if counted != limit {
		t.Errorf("%d of %d concurrent takes of two quotas of %d were counted, want %d", counted, takers, limit, limit)
	}
}

func testLimitCancelled(t *testing.T, st notify.LimitStore) {
	q := notify.Quota{Key: limitKey + ":m", Max: 1, Window: time.Minute}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if refused, _, err := st.TakeQuotas(ctx, limitAt, []notify.Quota{q}); !errors.Is(err, context.Canceled) {
		t.Errorf("TakeQuotas with a cancelled context = %d, %v; want an error wrapping context.Canceled", refused, err)
	}
	mustTake(t, st, limitAt, q)
	if err := st.ReturnQuotas(ctx, limitAt, []notify.Quota{q}); !errors.Is(err, context.Canceled) {
		t.Errorf("ReturnQuotas with a cancelled context = %v; want an error wrapping context.Canceled", err)
	}
	mustRefuse(t, st, limitAt, 0, minuteLeft, q)
}

// CheckSweeps checks which takes delete the quota windows that ended, of
// any key, so that the numbers sent to once do not stay in the table: a
// store's first take never does (it is a cold start's), and every
// SweepEvery-th (16th) deletes up to 32 windows per quota it takes. a
// and b are two stores of one database, b not used before; rows counts
// the windows the database holds.
func CheckSweeps(t *testing.T, a, b notify.LimitStore, rows func(t *testing.T) int) {
	at := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	for i := range 50 {
		q := notify.Quota{Key: fmt.Sprintf("sms:verification:ops:1380013%04d:m", i), Max: 1, Window: time.Minute}
		mustTake(t, a, at.Add(time.Duration(i)*time.Second), q)
	}
	// Three minutes later every window above has ended.
	later := at.Add(3 * time.Minute)
	day := notify.Quota{Key: "group:ops:d", Max: 1000, Window: 24 * time.Hour}
	for i := 1; i <= 32; i++ {
		mustTake(t, b, later, day)
		want := 51 // the 50 ended windows and the day's
		switch {
		case i >= 32:
			want = 1
		case i >= 16:
			want = 51 - 32
		}
		if n := rows(t); n != want {
			t.Fatalf("after take %d of a new store: %d quota windows; want %d", i, n, want)
		}
	}
}
