package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// RunCodes runs the contract of notify.CodeStore against the stores open
// returns, a fresh one for each test. Beyond the interface's comments:
//
//   - IssuedAt and ExpiresAt are kept to the millisecond (truncated), and
//     now is compared with the kept ExpiresAt.
//   - A refused issue, a revoke or verify of an unknown key, and any call
//     with a cancelled context write nothing; the cancelled call fails with
//     an error wrapping context.Canceled.
//   - A key that fails CodeKey.Check is that *notify.Error, for every
//     method.
func RunCodes(t *testing.T, open func(t *testing.T) notify.CodeStore) {
	for _, tc := range []struct {
		name string
		test func(*testing.T, notify.CodeStore)
	}{
		{"IssueVerify", testCodeIssueVerify},
		{"Mismatch", testCodeMismatch},
		{"AttemptsExceeded", testCodeAttemptsExceeded},
		{"LastAttemptRight", testCodeLastAttemptRight},
		{"Expired", testCodeExpired},
		{"Cooldown", testCodeCooldown},
		{"Replace", testCodeReplace},
		{"Revoke", testCodeRevoke},
		{"Rotation", testCodeRotation},
		{"KeysApart", testCodeKeysApart},
		{"InvalidKey", testCodeInvalidKey},
		{"Purge", testCodePurge},
		{"ConcurrentVerify", testCodeConcurrentVerify},
		{"ConcurrentIssue", testCodeConcurrentIssue},
		{"Cancelled", testCodeCancelled},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.test(t, open(t)) })
	}
}

// The policy the tests issue and check codes with.
const (
	codeTTL      = 5 * time.Minute
	codeCooldown = time.Minute
	codeAttempts = 5
)

// codeAt is when the tests' first codes are issued.
var codeAt = time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)

// codeSecret stands for the gateway's code secret.
var codeSecret = []byte("storetest code secret, 32 bytes or more")

var codeKey = notify.CodeKey{GroupID: "ops", PhoneNumber: "13800138000", Scene: "login"}

// codeHash returns the hash of code for key, as the gateway keeps it.
func codeHash(key notify.CodeKey, code string) []byte {
	return notify.HashCode(codeSecret, key, notify.Code(code))
}

// issued returns the code for key, sent in message id at at.
func issued(key notify.CodeKey, code, id string, at time.Time) notify.IssuedCode {
	return notify.IssuedCode{Key: key, Hash: codeHash(key, code), MessageID: id, IssuedAt: at, ExpiresAt: at.Add(codeTTL)}
}

func mustIssue(t *testing.T, st notify.CodeStore, c notify.IssuedCode) {
	t.Helper()
	if err := st.IssueCode(context.Background(), c, codeCooldown); err != nil {
		t.Fatalf("IssueCode(%s, message %s, at %s): %v", c.Key.Scene, c.MessageID, c.IssuedAt.Format(time.RFC3339Nano), err)
	}
}

// verify checks code for key at at and fails t unless the result is want.
func verify(t *testing.T, st notify.CodeStore, key notify.CodeKey, code string, at time.Time, want notify.CodeResult) {
	t.Helper()
	got, err := st.VerifyCode(context.Background(), key, [][]byte{codeHash(key, code)}, at, codeAttempts)
	if err != nil {
		t.Fatalf("VerifyCode(%s/%s, at %s): %v", key.GroupID, key.Scene, at.Format(time.RFC3339Nano), err)
	}
	if got != want {
		t.Errorf("VerifyCode(%s/%s, at %s) = %+v, want %+v", key.GroupID, key.Scene, at.Format(time.RFC3339Nano), got, want)
	}
}

var (
	verified = notify.CodeResult{Verified: true}
	notFound = notify.CodeResult{Reason: notify.CodeNotFound}
	expired  = notify.CodeResult{Reason: notify.CodeExpired}
	exceeded = notify.CodeResult{Reason: notify.CodeAttemptsExceeded}
)

func mismatch(left int) notify.CodeResult {
	return notify.CodeResult{Reason: notify.CodeMismatch, AttemptsLeft: left}
}

// checkCooldown fails t unless err is the cooldown's Throttled error with
// RetryAfter want.
func checkCooldown(t *testing.T, call string, err error, want time.Duration) {
	t.Helper()
	var e *notify.Error
	if !errors.As(err, &e) || e.Kind != notify.Throttled || e.Reason != notify.ReasonCooldown || e.RetryAfter != want {
		t.Errorf("%s = %#v (%v); want a Throttled *notify.Error, Reason %q, RetryAfter %v", call, e, err, notify.ReasonCooldown, want)
	}
}

func testCodeIssueVerify(t *testing.T, st notify.CodeStore) {
	mustIssue(t, st, issued(codeKey, "042917", "m1", codeAt))
	verify(t, st, codeKey, "042917", codeAt.Add(time.Minute), verified)
	// Used once: gone.
	verify(t, st, codeKey, "042917", codeAt.Add(time.Minute+time.Second), notFound)
	// Its cooldown still holds: using a code does not let a new one out
	// sooner than the provider would.
	err := st.IssueCode(context.Background(), issued(codeKey, "555555", "m2", codeAt.Add(30*time.Second)), codeCooldown)
	checkCooldown(t, "IssueCode after a verified code, within its cooldown", err, 30*time.Second)
	mustIssue(t, st, issued(codeKey, "555555", "m2", codeAt.Add(codeCooldown)))
	verify(t, st, codeKey, "555555", codeAt.Add(codeCooldown+time.Second), verified)
}

func testCodeMismatch(t *testing.T, st notify.CodeStore) {
	mustIssue(t, st, issued(codeKey, "042917", "m1", codeAt))
	for left := codeAttempts - 1; left >= 2; left-- {
		verify(t, st, codeKey, "042918", codeAt.Add(time.Second), mismatch(left))
	}
	// Attempts are kept per code, whatever the guess.
	verify(t, st, codeKey, "999999", codeAt.Add(time.Second), mismatch(1))
	verify(t, st, codeKey, "042917", codeAt.Add(2*time.Second), verified)
}

func testCodeAttemptsExceeded(t *testing.T, st notify.CodeStore) {
	mustIssue(t, st, issued(codeKey, "042917", "m1", codeAt))
	for left := codeAttempts - 1; left >= 0; left-- {
		verify(t, st, codeKey, "000000", codeAt.Add(time.Second), mismatch(left))
	}
	// Void: the right code no longer verifies, nor does a wrong one spend
	// anything.
	verify(t, st, codeKey, "042917", codeAt.Add(2*time.Second), exceeded)
	verify(t, st, codeKey, "000000", codeAt.Add(2*time.Second), exceeded)
	// Expiry comes first.
	verify(t, st, codeKey, "042917", codeAt.Add(codeTTL), expired)
	// A new code starts afresh.
	mustIssue(t, st, issued(codeKey, "318000", "m2", codeAt.Add(codeCooldown)))
	verify(t, st, codeKey, "000000", codeAt.Add(codeCooldown+time.Second), mismatch(codeAttempts-1))
	verify(t, st, codeKey, "318000", codeAt.Add(codeCooldown+time.Second), verified)
}

func testCodeLastAttemptRight(t *testing.T, st notify.CodeStore) {
	mustIssue(t, st, issued(codeKey, "042917", "m1", codeAt))
	for left := codeAttempts - 1; left >= 1; left-- {
		verify(t, st, codeKey, "000000", codeAt.Add(time.Second), mismatch(left))
	}
	verify(t, st, codeKey, "042917", codeAt.Add(time.Second), verified)

	// The limit is the caller's: a lower one holds at once, ...
	mustIssue(t, st, issued(codeKey, "318000", "m2", codeAt.Add(codeCooldown)))
	for left := codeAttempts - 1; left >= codeAttempts-3; left-- {
		verify(t, st, codeKey, "000000", codeAt.Add(codeCooldown+time.Second), mismatch(left))
	}
	limited := func(code string, limit int, want notify.CodeResult) {
		t.Helper()
		got, err := st.VerifyCode(context.Background(), codeKey, [][]byte{codeHash(codeKey, code)}, codeAt.Add(2*codeCooldown+time.Second), limit)
		if err != nil || got != want {
			t.Errorf("VerifyCode(at most %d attempts) = %+v, %v; want %+v", limit, got, err, want)
		}
	}
	limited("318000", 3, exceeded)
	// ... and a code void under one stays void under a higher one.
	mustIssue(t, st, issued(codeKey, "271828", "m3", codeAt.Add(2*codeCooldown)))
	limited("000000", 1, mismatch(0))
	limited("271828", codeAttempts, exceeded)
}

func testCodeExpired(t *testing.T, st notify.CodeStore) {
	// Nanoseconds are dropped: the code expires at .123 s.
	at := codeAt.Add(123_456_789 * time.Nanosecond)
	mustIssue(t, st, issued(codeKey, "042917", "m1", at))
	end := codeAt.Add(codeTTL + 123*time.Millisecond)
	verify(t, st, codeKey, "000000", end.Add(-time.Millisecond), mismatch(codeAttempts-1))
	verify(t, st, codeKey, "042917", end, expired)
	verify(t, st, codeKey, "042917", end.Add(time.Hour), expired)
	// Expired checks spend nothing, and a check at a time before the
	// expiry still works (instances' clocks differ).
	verify(t, st, codeKey, "000000", end.Add(-time.Second), mismatch(codeAttempts-2))
	verify(t, st, codeKey, "042917", end.Add(-time.Second), verified)
}

func testCodeCooldown(t *testing.T, st notify.CodeStore) {
	ctx := context.Background()
	mustIssue(t, st, issued(codeKey, "042917", "m1", codeAt))
	for _, tc := range []struct {
		after time.Duration
		want  time.Duration
	}{
		{0, codeCooldown},
		{time.Second, 59 * time.Second},
		{1500 * time.Millisecond, 59 * time.Second}, // 58.5 s, rounded up
		{59*time.Second + 999*time.Millisecond, time.Second},
	} {
		err := st.IssueCode(ctx, issued(codeKey, "111111", "m2", codeAt.Add(tc.after)), codeCooldown)
		checkCooldown(t, fmt.Sprintf("IssueCode %v after the first", tc.after), err, tc.want)
	}
	// The refused codes were not kept: the first one stands, with all its
	// attempts.
	verify(t, st, codeKey, "111111", codeAt.Add(time.Minute), mismatch(codeAttempts-1))
	verify(t, st, codeKey, "042917", codeAt.Add(time.Minute), verified)
}

func testCodeReplace(t *testing.T, st notify.CodeStore) {
	mustIssue(t, st, issued(codeKey, "042917", "m1", codeAt))
	verify(t, st, codeKey, "000000", codeAt.Add(time.Second), mismatch(codeAttempts-1))
	mustIssue(t, st, issued(codeKey, "318000", "m2", codeAt.Add(codeCooldown)))
	// The old code is gone, and the new one has every attempt.
	verify(t, st, codeKey, "042917", codeAt.Add(codeCooldown+time.Second), mismatch(codeAttempts-1))
	verify(t, st, codeKey, "318000", codeAt.Add(codeCooldown+time.Second), verified)
	// The new code's expiry is its own.
	mustIssue(t, st, issued(codeKey, "271828", "m3", codeAt.Add(2*codeCooldown)))
	verify(t, st, codeKey, "271828", codeAt.Add(2*codeCooldown+codeTTL-time.Millisecond), verified)
}

func testCodeRevoke(t *testing.T, st notify.CodeStore) {
	ctx := context.Background()
	mustIssue(t, st, issued(codeKey, "042917", "m1", codeAt))
	if err := st.RevokeCode(ctx, codeKey, "m0"); err != nil {
		t.Fatalf("RevokeCode(another message): %v", err)
	}
	verify(t, st, codeKey, "000000", codeAt.Add(time.Second), mismatch(codeAttempts-1))
	if err := st.RevokeCode(ctx, codeKey, "m1"); err != nil {
		t.Fatalf("RevokeCode(m1): %v", err)
	}
	verify(t, st, codeKey, "042917", codeAt.Add(time.Second), notFound)
	// No cooldown holds a revoked code.
	mustIssue(t, st, issued(codeKey, "318000", "m2", codeAt.Add(2*time.Second)))
	mustIssue(t, st, issued(codeKey, "271828", "m3", codeAt.Add(2*time.Second+codeCooldown)))
	// The revoke of an older message, late, leaves the newer code alone.
	if err := st.RevokeCode(ctx, codeKey, "m2"); err != nil {
		t.Fatalf("RevokeCode(m2): %v", err)
	}
	verify(t, st, codeKey, "271828", codeAt.Add(2*codeCooldown), verified)
	if err := st.RevokeCode(ctx, notify.CodeKey{GroupID: "nobody", PhoneNumber: "13900139000", Scene: "login"}, "m9"); err != nil {
		t.Errorf("RevokeCode of an unknown key: %v", err)
	}
}

func testCodeRotation(t *testing.T, st notify.CodeStore) {
	old, cur := []byte("the old secret, still verifying codes"), []byte("the current secret, hashing new codes")
	c := issued(codeKey, "042917", "m1", codeAt)
	c.Hash = notify.HashCode(old, codeKey, "042917")
	mustIssue(t, st, c)
	check := func(hashes [][]byte, want notify.CodeResult) {
		t.Helper()
		got, err := st.VerifyCode(context.Background(), codeKey, hashes, codeAt.Add(time.Second), codeAttempts)
		if err != nil || got != want {
			t.Errorf("VerifyCode(%d hashes) = %+v, %v; want %+v", len(hashes), got, err, want)
		}
	}
	check([][]byte{notify.HashCode(cur, codeKey, "042917")}, mismatch(codeAttempts-1))
	// Both wrong: one attempt, not one per hash.
	check([][]byte{notify.HashCode(cur, codeKey, "000000"), notify.HashCode(old, codeKey, "000000")}, mismatch(codeAttempts-2))
	check([][]byte{notify.HashCode(cur, codeKey, "042917"), notify.HashCode(old, codeKey, "042917")}, verified)
}

func testCodeKeysApart(t *testing.T, st notify.CodeStore) {
	others := []notify.CodeKey{
		{GroupID: "billing", PhoneNumber: codeKey.PhoneNumber, Scene: codeKey.Scene},
		{GroupID: codeKey.GroupID, PhoneNumber: "13800138001", Scene: codeKey.Scene},
		{GroupID: codeKey.GroupID, PhoneNumber: "+85261234567", Scene: codeKey.Scene},
		{GroupID: codeKey.GroupID, PhoneNumber: codeKey.PhoneNumber, Scene: "reset_password"},
		{GroupID: codeKey.GroupID, PhoneNumber: codeKey.PhoneNumber, Scene: "Login"},
	}
	mustIssue(t, st, issued(codeKey, "042917", "m1", codeAt))
	for _, k := range others {
		// The stored hash itself, presented for another key, finds nothing
		// there: keys are apart in the store, not only in the hash.
		got, err := st.VerifyCode(context.Background(), k, [][]byte{codeHash(codeKey, "042917")}, codeAt.Add(time.Second), codeAttempts)
		if err != nil || got != notFound {
			t.Errorf("VerifyCode(%+v) with the code of %+v = %+v, %v; want %+v", k, codeKey, got, err, notFound)
		}
		// No cooldown across keys.
		mustIssue(t, st, issued(k, "318000", "m-"+k.GroupID+k.PhoneNumber+k.Scene, codeAt.Add(time.Second)))
		verify(t, st, k, "000000", codeAt.Add(2*time.Second), mismatch(codeAttempts-1))
	}
	// None of it touched codeKey's code or its attempts.
	verify(t, st, codeKey, "042917", codeAt.Add(3*time.Second), verified)
	for _, k := range others {
		verify(t, st, k, "318000", codeAt.Add(3*time.Second), verified)
	}
}

func testCodeInvalidKey(t *testing.T, st notify.CodeStore) {
	ctx := context.Background()
	for _, tc := range []struct {
		key   notify.CodeKey
		field string
	}{
		{notify.CodeKey{PhoneNumber: "13800138000", Scene: "login"}, "GroupID"},
		{notify.CodeKey{GroupID: "ops", PhoneNumber: "+8613800138000", Scene: "login"}, "PhoneNumber"},
		{notify.CodeKey{GroupID: "ops", PhoneNumber: "13800138000\x00", Scene: "login"}, "PhoneNumber"},
		{notify.CodeKey{GroupID: "ops", PhoneNumber: "13800138000", Scene: "log in"}, "Scene"},
		{notify.CodeKey{GroupID: "ops\xff", PhoneNumber: "13800138000", Scene: "login"}, "GroupID"},
	} {
		check := func(call string, err error) {
			t.Helper()
			var e *notify.Error
			if !errors.As(err, &e) || e.Kind != notify.Invalid || e.Field != tc.field {
				t.Errorf("%s(%q) = %v; want an Invalid *notify.Error for %s", call, tc.key, err, tc.field)
			}
		}
		check("IssueCode", st.IssueCode(ctx, issued(tc.key, "042917", "m1", codeAt), codeCooldown))
		_, err := st.VerifyCode(ctx, tc.key, [][]byte{codeHash(tc.key, "042917")}, codeAt, codeAttempts)
		check("VerifyCode", err)
		check("RevokeCode", st.RevokeCode(ctx, tc.key, "m1"))
	}
}

func testCodePurge(t *testing.T, st notify.CodeStore) {
	ctx := context.Background()
	keys := make([]notify.CodeKey, 4)
	for i := range keys {
		keys[i] = notify.CodeKey{GroupID: "ops", PhoneNumber: fmt.Sprintf("1380013800%d", i), Scene: "login"}
		mustIssue(t, st, issued(keys[i], "042917", fmt.Sprint("m", i), codeAt.Add(time.Duration(i)*time.Minute)))
	}
	verify(t, st, keys[0], "042917", codeAt.Add(time.Second), verified) // used codes go too
	// keys[0] and keys[1] expired at or before the purge's time.
	n, err := st.PurgeCodes(ctx, codeAt.Add(codeTTL+time.Minute))
	if err != nil || n != 2 {
		t.Fatalf("PurgeCodes = %d, %v; want 2 codes purged", n, err)
	}
	// The purged keys take a new code at once; the others keep theirs.
	mustIssue(t, st, issued(keys[0], "111111", "m4", codeAt.Add(codeTTL+time.Minute)))
	err = st.IssueCode(ctx, issued(keys[2], "111111", "m5", codeAt.Add(2*time.Minute+time.Second)), codeCooldown)
	checkCooldown(t, "IssueCode of a code the purge left", err, 59*time.Second)
	verify(t, st, keys[1], "042917", codeAt.Add(time.Minute), notFound)
	verify(t, st, keys[2], "042917", codeAt.Add(3*time.Minute), verified)
	verify(t, st, keys[3], "042917", codeAt.Add(3*time.Minute), verified)
	if n, err := st.PurgeCodes(ctx, codeAt); err != nil || n != 0 {
		t.Errorf("PurgeCodes(before any expiry) = %d, %v; want 0", n, err)
	}
}

// codeWorkers is how many goroutines race for one code.
const codeWorkers = 16

func testCodeConcurrentVerify(t *testing.T, st notify.CodeStore) {
	mustIssue(t, st, issued(codeKey, "042917", "m1", codeAt))
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		results = make([]notify.CodeResult, codeWorkers)
		errs    = make([]error, codeWorkers)
	)
	for i := range codeWorkers {
		wg.Go(func() {
			<-start
			results[i], errs[i] = st.VerifyCode(context.Background(), codeKey, [][]byte{codeHash(codeKey, "042917")},
				codeAt.Add(time.Second), codeAttempts)
		})
	}
	close(start)
	wg.Wait()
	won := 0
	for i, r := range results {
		switch {
		case errs[i] != nil:
			t.Errorf("verify %d: %v", i, errs[i])
		case r == verified:
			won++
		case r != notFound:
			t.Errorf("verify %d = %+v; want it verified or %+v", i, r, notFound)
		}
	}
	if won != 1 {
		t.Errorf("%d of %d concurrent checks of one right code were verified, want 1", won, codeWorkers)
	}
}

func testCodeConcurrentIssue(t *testing.T, st notify.CodeStore) {
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make([]error, codeWorkers)
	)
	for i := range codeWorkers {
		wg.Go(func() {
			<-start
			c := issued(codeKey, fmt.Sprintf("%06d", i), fmt.Sprint("m", i), codeAt.Add(time.Duration(i)*time.Millisecond))
			errs[i] = st.IssueCode(context.Background(), c, codeCooldown)
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		var e *notify.Error
		switch {
		case err == nil && winner < 0:
			winner = i
		case err == nil:
			t.Errorf("issues %d and %d both succeeded within the cooldown", winner, i)
		case !errors.As(err, &e) || e.Kind != notify.Throttled || e.Reason != notify.ReasonCooldown:
			t.Errorf("issue %d: %v; want it kept or refused for the cooldown", i, err)
		}
	}
	if winner < 0 {
		t.Fatalf("none of %d concurrent issues succeeded", codeWorkers)
	}
	// The winner's code is the one kept.
	verify(t, st, codeKey, fmt.Sprintf("%06d", (winner+1)%codeWorkers), codeAt.Add(time.Second), mismatch(codeAttempts-1))
	verify(t, st, codeKey, fmt.Sprintf("%06d", winner), codeAt.Add(time.Second), verified)
}

func testCodeCancelled(t *testing.T, st notify.CodeStore) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	check := func(call string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s(cancelled) = %v, want an error wrapping context.Canceled", call, err)
		}
	}
	check("IssueCode", st.IssueCode(cancelled, issued(codeKey, "042917", "m1", codeAt), codeCooldown))
	verify(t, st, codeKey, "042917", codeAt.Add(time.Second), notFound)

	mustIssue(t, st, issued(codeKey, "042917", "m1", codeAt))
	for range codeAttempts + 1 {
		_, err := st.VerifyCode(cancelled, codeKey, [][]byte{codeHash(codeKey, "000000")}, codeAt.Add(time.Second), codeAttempts)
		check("VerifyCode", err)
	}
	check("RevokeCode", st.RevokeCode(cancelled, codeKey, "m1"))
	_, err := st.PurgeCodes(cancelled, codeAt.Add(time.Hour))
	check("PurgeCodes", err)
	// The code is there, with every attempt.
	verify(t, st, codeKey, "000000", codeAt.Add(time.Second), mismatch(codeAttempts-1))

	_, err = st.VerifyCode(cancelled, codeKey, [][]byte{codeHash(codeKey, "042917")}, codeAt.Add(time.Second), codeAttempts)
	check("VerifyCode(right code)", err)
	verify(t, st, codeKey, "042917", codeAt.Add(time.Second), verified)
}
