package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/postgres/pgtest"
)

// groupStore opens a store on a database of its own.
func groupStore(t *testing.T) (*Store, string) {
	t.Helper()
	url := testPG.Database(t)
	s, err := Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, url
}

var groupNow = time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)

// groupMessage returns an accepted message with id and queue key key.
func groupMessage(id, key string) *notify.Message {
	return &notify.Message{ID: id, GroupID: "ops", Channel: notify.SMS, Recipients: []string{"13800138000"},
		Template: "SMS_1", Params: `{}`, QueueKey: key, Provider: "sandbox", Status: notify.Accepted,
		CreatedAt: groupNow, UpdatedAt: groupNow}
}

// createCall returns a call of CreateMessageTakingQuotas for m with one
// quota per key, each with at most max uses in an hour, as
// CreateMessageTakingQuotas would queue it.
func createCall(t *testing.T, ctx context.Context, m *notify.Message, max int, keys ...string) *call[create] {
	t.Helper()
	var qs []notify.Quota
	for _, k := range keys {
		qs = append(qs, notify.Quota{Key: k, Max: max, Window: time.Hour})
	}
	args, err := createArgs(m)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := quotaWindows(groupNow, qs, true)
	if err != nil {
		t.Fatal(err)
	}
	return newCall(ctx, create{m: m, args: args, now: groupNow, at: groupNow, qs: qs, ws: ws})
}

// uses returns the uses counted in key's window at groupNow.
func uses(t *testing.T, s *Store, key string) int {
	t.Helper()
	var n int
	err := s.pool.QueryRow(t.Context(), `SELECT coalesce(sum(uses), 0) FROM quotas WHERE key = $1`, key).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// reason returns the Reason of err's *notify.Error, or "".
func reason(err error) string {
	if e := notify.AsError(err); e != nil {
		return e.Reason
	}
	return ""
}

// exists says whether message id is recorded.
func exists(t *testing.T, s *Store, id string) bool {
	t.Helper()
	_, err := s.Message(t.Context(), id)
	if err != nil && notify.KindOf(err) != notify.NotFound {
		t.Fatal(err)
	}
	return err == nil
}

// TestCreateGroup: a group with records that cannot be written as asked
// (an id taken, a queue key held, a quota at its Max) writes the others,
// counts each of their quotas once, and leaves the rest to run alone,
// which then answers each as it would have been answered without groups.
func TestCreateGroup(t *testing.T) {
	s, _ := groupStore(t)
	ctx := t.Context()
	if err := s.CreateMessage(ctx, groupMessage("taken", "")); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateMessage(ctx, groupMessage("holder", "key-held")); err != nil {
		t.Fatal(err)
	}
	if refused, _, err := s.TakeQuotas(ctx, groupNow, []notify.Quota{{Key: "full", Max: 1, Window: time.Hour}}); err != nil || refused >= 0 {
		t.Fatalf("TakeQuotas = %d, %v", refused, err)
	}
	calls := []*call[create]{
		createCall(t, ctx, groupMessage("a", ""), 1, "n:a", "shared"),
		createCall(t, ctx, groupMessage("b", "key-b"), 5, "n:b", "shared"),
		createCall(t, ctx, groupMessage("taken", ""), 5, "n:taken"),
		createCall(t, ctx, groupMessage("c", "key-held"), 5, "n:c"),
		createCall(t, ctx, groupMessage("d", ""), 1, "full", "n:d"),
		createCall(t, ctx, groupMessage("e", ""), 1),
	}
	s.createGroup(calls)
	alone := map[string]bool{"taken": true, "c": true, "d": true}
	for _, c := range calls {
		id := c.arg.m.ID
		if c.alone != alone[id] || c.err != nil || c.refused != -1 {
			t.Errorf("%s: alone %v, err %v, refused %d; want alone %v, no error, -1", id, c.alone, c.err, c.refused, alone[id])
		}
		if id != "taken" && exists(t, s, id) == alone[id] {
			t.Errorf("%s: recorded %v after the group, want %v", id, !alone[id], !alone[id])
		}
	}
	for key, want := range map[string]int{"n:a": 1, "n:b": 1, "shared": 2, "n:taken": 0, "n:c": 0, "n:d": 0, "full": 1} {
		if got := uses(t, s, key); got != want {
			t.Errorf("uses of %s = %d after the group, want %d", key, got, want)
		}
	}
	// Alone, each gets the answer it would have had. (The group sorted
	// calls.)
	byID := map[string]create{}
	for _, c := range calls {
		byID[c.arg.m.ID] = c.arg
	}
	if _, _, err := s.createAlone(ctx, byID["taken"]); reason(err) != notify.ReasonDuplicateID {
		t.Errorf("taken alone: %v, want duplicate_id", err)
	}
	if _, _, err := s.createAlone(ctx, byID["c"]); reason(err) != notify.ReasonDuplicateQueueMessage {
		t.Errorf("c alone: %v, want duplicate_queue_message", err)
	}
	if refused, wait, err := s.createAlone(ctx, byID["d"]); refused != 0 || wait <= 0 || err != nil {
		t.Errorf("d alone = %d, %v, %v; want quota 0 refused", refused, wait, err)
	}
}

// TestCreateGroupGivesBack: a record whose write fails (its id is taken)
// takes a quota's last use before another record of its group asks for
// it. The group is rolled back, both run alone, and the second gets the
// use the first gave back: what each would have got without groups.
func TestCreateGroupGivesBack(t *testing.T) {
	s, _ := groupStore(t)
	ctx := t.Context()
	if err := s.CreateMessage(ctx, groupMessage("a-taken", "")); err != nil {
		t.Fatal(err)
	}
	// Sorted by id, a-taken's take comes before b's.
	calls := []*call[create]{
		createCall(t, ctx, groupMessage("b", ""), 1, "one"),
		createCall(t, ctx, groupMessage("a-taken", ""), 1, "one"),
	}
	s.createGroup(calls)
	for _, c := range calls {
		if !c.alone {
			t.Errorf("%s: written by the group (err %v), want it alone", c.arg.m.ID, c.err)
		}
	}
	if exists(t, s, "b") || uses(t, s, "one") != 0 {
		t.Fatalf("the group wrote: b recorded %v, uses %d", exists(t, s, "b"), uses(t, s, "one"))
	}
	for _, c := range calls {
		refused, _, err := s.createAlone(ctx, c.arg)
		if c.arg.m.ID == "b" && (refused != -1 || err != nil) {
			t.Errorf("b alone = %d, %v; want it recorded", refused, err)
		}
	}
	if !exists(t, s, "b") || uses(t, s, "one") != 1 {
		t.Errorf("b recorded %v, uses %d; want true, 1", exists(t, s, "b"), uses(t, s, "one"))
	}
}

// TestCreateGroupCallerGone: a group with a caller that has given up
// writes nothing; the others run alone.
func TestCreateGroupCallerGone(t *testing.T) {
	s, _ := groupStore(t)
	gone, cancel := context.WithCancel(t.Context())
	cancel()
	calls := []*call[create]{
		createCall(t, t.Context(), groupMessage("live", ""), 5, "n:live"),
		createCall(t, gone, groupMessage("gone", ""), 5, "n:gone"),
	}
	s.createGroup(calls)
	for _, c := range calls {
		if !c.alone || c.err != nil {
			t.Errorf("%s: alone %v, err %v; want alone, no error", c.arg.m.ID, c.alone, c.err)
		}
	}
	if exists(t, s, "live") || exists(t, s, "gone") || uses(t, s, "n:live") != 0 {
		t.Error("the group wrote records")
	}
}

// TestCreateGroupLockTimeout: a quota's row held by a transaction that
// does not end (an instance frozen mid-write) fails the group that wants
// it after groupLockTimeout, not when its callers give up, and its other
// records are then written alone at once.
func TestCreateGroupLockTimeout(t *testing.T) {
	s, url := groupStore(t)
	other, err := pgxpool.New(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	w, err := quotaWindows(groupNow, []notify.Quota{{Key: "held", Max: 5, Window: time.Hour}}, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(t.Context(), quotaTakeSQL, w[0].key, w[0].start, w[0].end, 5); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	calls := []*call[create]{
		createCall(t, ctx, groupMessage("waits", ""), 5, "held"),
		createCall(t, ctx, groupMessage("free", ""), 5, "n:free"),
	}
	ended := make(chan struct{})
	go func() { s.createGroup(calls); close(ended) }()
	select {
	case <-ended:
	case <-time.After(30 * time.Second):
		tx.Rollback(context.Background())
		<-ended
		t.Fatal("the group still waited for a held row after 30 s")
	}
	for _, c := range calls {
		if !c.alone {
			t.Errorf("%s: written by the group (err %v), want it alone", c.arg.m.ID, c.err)
		}
	}
	free := calls[0].arg // sorted by the group
	if free.m.ID != "free" {
		free = calls[1].arg
	}
	if refused, _, err := s.createAlone(ctx, free); refused != -1 || err != nil {
		t.Errorf("free alone = %d, %v", refused, err)
	}
}

// TestGroupsTakeWhatQueued: calls that queue while a group runs make one
// group of the next, and each caller gets its own answer.
func TestGroupsTakeWhatQueued(t *testing.T) {
	s, _ := groupStore(t)
	ctx := t.Context()
	if err := s.CreateMessage(ctx, groupMessage("dup", "")); err != nil {
		t.Fatal(err)
	}
	// A loop is said to run, so that calls only queue.
	s.creates.mu.Lock()
	s.creates.running = true
	s.creates.mu.Unlock()
	const n = 20
	errs := make([]error, n+1)
	refused := make([]int, n+1)
	var wg sync.WaitGroup
	for i := range n + 1 {
		wg.Go(func() {
			id, max := fmt.Sprintf("m%02d", i), 10
			if i == n {
				id = "dup"
			}
			m := groupMessage(id, "")
			refused[i], _, errs[i] = s.CreateMessageTakingQuotas(ctx, m, groupNow,
				[]notify.Quota{{Key: "shared", Max: max, Window: time.Hour}})
		})
	}
	for queued := 0; queued < n+1; {
		time.Sleep(time.Millisecond)
		s.creates.mu.Lock()
		queued = len(s.creates.queue)
		s.creates.mu.Unlock()
	}
	before := s.creates.groups.Load()
	go s.creates.serve(false)
	wg.Wait()
	if g := s.creates.groups.Load() - before; g != 1 {
		t.Errorf("%d calls queued together ran in %d groups, want 1", n+1, g)
	}
	recorded := 0
	for i := range n {
		switch {
		case errs[i] != nil:
			t.Errorf("m%02d: %v", i, errs[i])
		case refused[i] == -1:
			recorded++
			if !exists(t, s, fmt.Sprintf("m%02d", i)) {
				t.Errorf("m%02d answered recorded, and is not", i)
			}
		}
	}
	if recorded != 10 || uses(t, s, "shared") != 10 {
		t.Errorf("%d recorded, shared quota at %d; want 10, 10", recorded, uses(t, s, "shared"))
	}
	if reason(errs[n]) != notify.ReasonDuplicateID {
		t.Errorf("dup: %v, want duplicate_id", errs[n])
	}
}

// TestFinishGroup: outcomes written in one group, but for a message with
// reports and an unknown id, which run alone; and a group with an
// outcome the database refuses (its queue key taken since it failed),
// which writes nothing and leaves every outcome to run alone.
func TestFinishGroup(t *testing.T) {
	s, _ := groupStore(t)
	ctx := t.Context()
	for _, m := range []*notify.Message{groupMessage("plain", ""), groupMessage("reported", ""),
		groupMessage("failed", "k"), groupMessage("other", "")} {
		if err := s.CreateMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	// A report that came before its message's outcome, an orphan.
	_, err := s.RecordReport(ctx, notify.Report{Provider: "sandbox", Channel: notify.SMS, ProviderID: "p-reported",
		Recipient: "13800138000", Status: notify.Delivered, Raw: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	// failed's queue key is taken by another record once it failed.
	if err := s.FinishMessage(ctx, "failed", notify.Outcome{Status: notify.Failed, At: groupNow}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateMessage(ctx, groupMessage("retry", "k")); err != nil {
		t.Fatal(err)
	}
	outcome := func(id string) *call[finish] {
		o := notify.Outcome{Status: notify.Submitted, Provider: "sandbox", ProviderID: "p-" + id, At: groupNow.Add(time.Second)}
		at, _ := dbTime("t", o.At)
		args := []any{id, string(o.Status), o.Provider, o.ProviderID, o.RequestID, o.ErrorCode, o.ErrorText, o.Sandbox, at}
		return newCall(ctx, finish{id, o, args})
	}
	calls := []*call[finish]{outcome("plain"), outcome("reported"), outcome("unknown")}
	s.finishGroup(calls)
	for _, c := range calls {
		if want := c.arg.id != "plain"; c.alone != want {
			t.Errorf("%s: alone %v, want %v", c.arg.id, c.alone, want)
		}
	}
	if m, err := s.Message(ctx, "plain"); err != nil || m.Status != notify.Submitted || m.ProviderID != "p-plain" {
		t.Errorf("plain after the group: %+v, %v", m, err)
	}
	if err := s.finishAlone(ctx, "reported", calls[1].arg.o, calls[1].arg.args); err != nil {
		t.Fatal(err)
	}
	if m, err := s.Message(ctx, "reported"); err != nil || m.Status != notify.Delivered {
		t.Errorf("reported after its outcome alone: %+v, %v; want delivered, from its report", m, err)
	}
	if err := s.finishAlone(ctx, "unknown", calls[2].arg.o, calls[2].arg.args); notify.KindOf(err) != notify.NotFound {
		t.Errorf("unknown alone: %v, want not found", err)
	}

	calls = []*call[finish]{outcome("other"), outcome("failed")}
	s.finishGroup(calls)
	for _, c := range calls {
		if !c.alone {
			t.Errorf("%s: written by a group that failed", c.arg.id)
		}
	}
	if m, err := s.Message(ctx, "other"); err != nil || m.Status != notify.Accepted {
		t.Errorf("other after a group that failed: %+v, %v; want it accepted", m, err)
	}
	f := outcome("failed")
	if err := s.finishAlone(ctx, "failed", f.arg.o, f.arg.args); reason(err) != notify.ReasonDuplicateQueueMessage {
		t.Errorf("failed alone: %v, want duplicate_queue_message", err)
	}
}

// frozenStore opens a store on a server of its own (the other tests never
// see it frozen), through a proxy that freezes the server the first time,
// once armed, a client sends trigger.
func frozenStore(t *testing.T, trigger string) (s *Store, arm func(), frozen func() bool, thaw func()) {
	var server pgtest.Cluster
	t.Cleanup(func() {
		if err := server.Stop(); err != nil {
			t.Error(err)
		}
	})
	var (
		mu       sync.Mutex
		armed    bool
		isFrozen bool
		thawIt   = func() {}
	)
	proxied := FreezingProxy(t, server.Database(t), []byte(trigger), func() {
		mu.Lock()
		defer mu.Unlock()
		if armed {
			armed, isFrozen, thawIt = false, true, server.Freeze(t)
		}
	})
	s, err := Open(t.Context(), proxied)
	if err != nil {
		t.Fatal(err)
	}
	thaw = func() {
		mu.Lock()
		defer mu.Unlock()
		thawIt()
		thawIt = func() {}
	}
	t.Cleanup(func() {
		thaw()
		s.Close()
	})
	arm = func() { mu.Lock(); armed = true; mu.Unlock() }
	frozen = func() bool { mu.Lock(); defer mu.Unlock(); return isFrozen }
	return s, arm, frozen, thaw
}

// holdGroups makes s's calls of records queue, as behind a group that
// runs, until serve is called.
func holdGroups(s *Store) (serve func()) {
	s.creates.mu.Lock()
	s.creates.running = true
	s.creates.mu.Unlock()
	return func() { go s.creates.serve(false) }
}

// waitFor waits until cond holds, or fails t after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting after 10 s for %s", what)
		}
	}
}

// queuedCalls returns how many calls of records s has queued.
func queuedCalls(s *Store) int {
	s.creates.mu.Lock()
	defer s.creates.mu.Unlock()
	return len(s.creates.queue)
}

// TestGroupCommitFrozen: the server freezes as a group's COMMIT goes out,
// and some of its callers, whose contexts have no deadline, give up. Each
// of those returns at once, as a write alone does, with an error that
// wraps its context's (before, all waited for as long as the server
// stayed frozen); the caller that stays gets its answer once the server
// thaws. The same freeze at the group's batch (its BEGIN), where the
// group ends and the caller that stays writes alone, and a write alone,
// are the controls.
func TestGroupCommitFrozen(t *testing.T) {
	for _, tt := range []struct {
		name        string
		leave, stay int
		trigger     string
	}{{"commit", 2, 1, "COMMIT\x00"}, {"batch", 2, 1, "BEGIN\x00"}, {"alone", 1, 0, "COMMIT\x00"}} {
		t.Run(tt.name, func(t *testing.T) {
			s, arm, frozen, thaw := frozenStore(t, tt.trigger)
			serve := holdGroups(s)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			left, stayed := make(chan error, tt.leave), make(chan error, tt.stay)
			for i := range tt.leave + tt.stay {
				go func() {
					if i < tt.leave {
						left <- s.CreateMessage(ctx, groupMessage(fmt.Sprintf("m%d", i), ""))
					} else {
						stayed <- s.CreateMessage(t.Context(), groupMessage(fmt.Sprintf("m%d", i), ""))
					}
				}()
			}
			waitFor(t, "the calls to queue", func() bool { return queuedCalls(s) == tt.leave+tt.stay })
			arm()
			serve()
			waitFor(t, "the server to freeze", frozen)
			time.Sleep(200 * time.Millisecond)
			cancel()
			deadline := time.After(5 * time.Second)
			for i := range tt.leave {
				select {
				case err := <-left:
					if !errors.Is(err, context.Canceled) {
						t.Errorf("a caller that gave up: %v, want an error that wraps context.Canceled", err)
					}
				case <-deadline:
					t.Fatalf("%d of %d callers still waited 5 s after they gave up, the server frozen", tt.leave-i, tt.leave)
				}
			}
			thaw()
			for i := range tt.stay {
				if err := <-stayed; err != nil {
					t.Errorf("the caller that stayed: %v", err)
				}
				if !exists(t, s, fmt.Sprintf("m%d", tt.leave+i)) {
					t.Errorf("the record of the caller that stayed is missing")
				}
			}
		})
	}
}

// TestGroupRetryAnswersDropped: a record whose id is taken leaves its
// group's first try, and its caller is answered then: it goes on alone,
// and when it gives up, it returns at once, while the group's second try
// is frozen at its COMMIT. (Before, it was answered with the others, after
// the second try, as long as the server stayed frozen.)
func TestGroupRetryAnswersDropped(t *testing.T) {
	s, arm, frozen, thaw := frozenStore(t, "COMMIT\x00")
	if err := s.CreateMessage(t.Context(), groupMessage("dup", "")); err != nil {
		t.Fatal(err)
	}
	serve := holdGroups(s)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	gone, stayed := make(chan error, 1), make(chan error, 2)
	go func() { gone <- s.CreateMessage(ctx, groupMessage("dup", "")) }()
	for i := range 2 {
		go func() { stayed <- s.CreateMessage(t.Context(), groupMessage(fmt.Sprintf("stay%d", i), "")) }()
	}
	waitFor(t, "the calls to queue", func() bool { return queuedCalls(s) == 3 })
	arm()
	serve()
	waitFor(t, "the server to freeze", frozen)
	time.Sleep(200 * time.Millisecond)
	cancel()
	select {
	case err := <-gone:
		if err == nil {
			t.Error("the duplicate was recorded")
		}
	case <-time.After(5 * time.Second):
		thaw()
		t.Fatalf("a caller whose record left its group still waited 5 s for the group's frozen COMMIT (then: %v)", <-gone)
	}
	thaw()
	for range 2 {
		if err := <-stayed; err != nil {
			t.Errorf("a caller that stayed: %v", err)
		}
	}
}

// TestLeaderRunsItsOwn: a write that finds no group running runs alone in
// its caller's goroutine, even when others queue before it takes the
// queue (between the two locks of do and serve); those are the next
// group's, which another goroutine runs.
func TestLeaderRunsItsOwn(t *testing.T) {
	var mu sync.Mutex
	var groups [][]int
	release := make(chan struct{}) // holds a group of the writes behind the leader's
	g := &grouper[int]{}
	g.run = func(calls []*call[int]) {
		var group []int
		for _, c := range calls {
			group = append(group, c.arg)
		}
		mu.Lock()
		groups = append(groups, group)
		mu.Unlock()
		if group[len(group)-1] != 1 {
			<-release
		}
	}
	// The state do leaves for serve(true) when others queue in between.
	calls := []*call[int]{newCall(t.Context(), 1), newCall(t.Context(), 2), newCall(t.Context(), 3)}
	g.queue, g.running = slices.Clone(calls), true
	served := make(chan struct{})
	go func() { g.serve(true); close(served) }()
	select {
	case <-served:
	case <-time.After(10 * time.Second):
		close(release)
		t.Fatal("the leader still ran the writes queued behind its own after 10 s")
	}
	close(release)
	for _, c := range calls {
		<-c.done
	}
	mu.Lock()
	defer mu.Unlock()
	if len(groups) != 2 || !slices.Equal(groups[0], []int{1}) || !slices.Equal(groups[1], []int{2, 3}) {
		t.Errorf("groups %v, want [[1] [2 3]]", groups)
	}
}

// TestGrouperStress: callers that come over a second, groups of random
// length (some longer than handOffAfter, so that the queue is handed
// over), half of which ignore their callers, and callers whose contexts
// end at random. Every caller returns, no write runs twice, and once all
// have returned the grouper is idle, its queue empty.
func TestGrouperStress(t *testing.T) {
	for round := range 4 {
		var mu sync.Mutex
		ran := map[int]int{}
		g := &grouper[int]{}
		g.run = func(calls []*call[int]) {
			mu.Lock()
			for _, c := range calls {
				ran[c.arg]++
			}
			mu.Unlock()
			k := g.groups.Load()
			ctx, release := groupContext(calls)
			defer release()
			if k%2 == 0 {
				ctx = context.Background()
			}
			select {
			case <-time.After(time.Duration(k%7) * 25 * time.Millisecond): // 0-150 ms
			case <-ctx.Done():
			}
		}
		var wg sync.WaitGroup
		for i := range 200 {
			wg.Go(func() {
				time.Sleep(time.Duration(i*i%997) * time.Millisecond)
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%11)*20*time.Millisecond)
				defer cancel()
				if i%3 == 0 {
					ctx = context.Background()
				}
				g.do(ctx, i)
			})
		}
		ended := make(chan struct{})
		go func() { wg.Wait(); close(ended) }()
		select {
		case <-ended:
		case <-time.After(60 * time.Second):
			t.Fatalf("round %d: callers still waited after 60 s", round)
		}
		mu.Lock()
		for id, k := range ran {
			if k > 1 {
				t.Errorf("round %d: write %d ran %d times", round, id, k)
			}
		}
		mu.Unlock()
		waitFor(t, "the grouper to stop", func() bool {
			g.mu.Lock()
			defer g.mu.Unlock()
			if !g.running && len(g.queue) != 0 {
				t.Fatalf("round %d: no group runs, %d writes queued", round, len(g.queue))
			}
			return !g.running
		})
	}
}

// TestGroupAnswersUnderDeadlines: 600 sends over 0.4 s on one quota, with
// deadlines of 0.5 to 65 ms, some cancelled early, some with a queue key
// taken. A send answered recorded is; one answered otherwise, but for a
// COMMIT it gave up on, is not; the quotas count exactly the records, and
// at most Max.
func TestGroupAnswersUnderDeadlines(t *testing.T) {
	s, _ := groupStore(t)
	const n, max = 600, 150
	type answer struct {
		refused int
		err     error
	}
	answers := make([]answer, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			time.Sleep(time.Duration(i*7%400) * time.Millisecond)
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%17)*4*time.Millisecond+500*time.Microsecond)
			if i%5 == 0 {
				ctx, cancel = context.WithTimeout(context.Background(), 30*time.Second)
			}
			defer cancel()
			if i%7 == 3 {
				go func() { time.Sleep(time.Duration(i%5) * time.Millisecond); cancel() }()
			}
			m := groupMessage(fmt.Sprintf("m%04d", i), "")
			if i%23 == 0 {
				m.QueueKey = fmt.Sprintf("k%d", i%3)
			}
			r, _, err := s.CreateMessageTakingQuotas(ctx, m, groupNow, []notify.Quota{
				{Key: "shared", Max: max, Window: time.Hour}, {Key: fmt.Sprintf("own%d", i%4), Max: 1000, Window: time.Hour}})
			answers[i] = answer{r, err}
		})
	}
	wg.Wait()
	recorded := 0
	for i, a := range answers {
		id := fmt.Sprintf("m%04d", i)
		ok := exists(t, s, id)
		switch {
		case a.err == nil && a.refused == -1:
			if !ok {
				t.Errorf("%s answered recorded, and is not", id)
			}
		case a.err != nil && strings.Contains(strings.ToLower(a.err.Error()), "commit"):
			// Given up with its COMMIT out: either.
		case ok:
			t.Errorf("%s answered %d, %v, and is recorded", id, a.refused, a.err)
		}
		if ok {
			recorded++
		}
	}
	own := 0
	for k := range 4 {
		own += uses(t, s, fmt.Sprintf("own%d", k))
	}
	if shared := uses(t, s, "shared"); shared != recorded || own != recorded || shared > max {
		t.Errorf("%d recorded; the shared quota at %d, the others at %d; Max %d", recorded, shared, own, max)
	}
}

// TestFinishAnswersUnderDeadlines: 300 outcomes over 0.2 s, with
// deadlines of 0.3 to 25 ms: an outcome answered written is.
func TestFinishAnswersUnderDeadlines(t *testing.T) {
	s, _ := groupStore(t)
	const n = 300
	for i := range n {
		if err := s.CreateMessage(t.Context(), groupMessage(fmt.Sprintf("m%04d", i), "")); err != nil {
			t.Fatal(err)
		}
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			time.Sleep(time.Duration(i*7%200) * time.Millisecond)
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%13)*2*time.Millisecond+300*time.Microsecond)
			defer cancel()
			if i%4 == 0 {
				ctx = context.Background()
			}
			errs[i] = s.FinishMessage(ctx, fmt.Sprintf("m%04d", i), notify.Outcome{Status: notify.Submitted,
				Provider: "sandbox", ProviderID: fmt.Sprintf("p%d", i), At: groupNow.Add(time.Second)})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			continue
		}
		if m, err := s.Message(t.Context(), fmt.Sprintf("m%04d", i)); err != nil || m.Status != notify.Submitted {
			t.Errorf("m%04d answered written: %+v, %v", i, m, err)
		}
	}
}

// TestFinishGroupTakesReportLocks: a group of outcomes takes the report
// lock of each provider id before it writes: with one held by a
// transaction that does not end (an instance frozen while it records a
// report), the group gives up after groupLockTimeout, in each exec mode,
// and its outcomes go alone.
func TestFinishGroupTakesReportLocks(t *testing.T) {
	for _, mode := range []string{"cache_statement", "exec", "simple_protocol"} {
		t.Run(mode, func(t *testing.T) {
			url := testPG.Database(t)
			s, err := Open(t.Context(), url+"&default_query_exec_mode="+mode)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ctx := t.Context()
			for _, id := range []string{"held", "free"} {
				if err := s.CreateMessage(ctx, groupMessage(id, "")); err != nil {
					t.Fatal(err)
				}
			}
			tx, err := s.pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(context.Background())
			if _, err := tx.Exec(ctx, reportLockSQL, reportLock("sandbox", "p-held")); err != nil {
				t.Fatal(err)
			}
			cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			var calls []*call[finish]
			for _, id := range []string{"held", "free"} {
				o := notify.Outcome{Status: notify.Submitted, Provider: "sandbox", ProviderID: "p-" + id, At: groupNow}
				args := []any{id, string(o.Status), o.Provider, o.ProviderID, o.RequestID, o.ErrorCode, o.ErrorText, o.Sandbox, groupNow}
				calls = append(calls, newCall(cctx, finish{id, o, args}))
			}
			start := time.Now()
			s.finishGroup(calls)
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("the group waited %v for a held report lock", d)
			}
			for _, c := range calls {
				if !c.alone {
					t.Errorf("%s: written by a group that could not have its report lock", c.arg.id)
				}
			}
		})
	}
}
