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
//   - ClaimEscalations returns each due code once, with its fields as
//     issued (ExpiresAt to the millisecond) and the sealed bytes as given;
//     an issue whose escalation fields fail IssuedCode.CheckEscalation is
//     refused and keeps nothing.
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
		{"RevokeRestores", testCodeRevokeRestores},
		{"RevokeSpent", testCodeRevokeSpent},
		{"Rotation", testCodeRotation},
		{"KeysApart", testCodeKeysApart},
		{"InvalidKey", testCodeInvalidKey},
		{"Purge", testCodePurge},
		{"ConcurrentVerify", testCodeConcurrentVerify},
		{"ConcurrentIssue", testCodeConcurrentIssue},
		{"Cancelled", testCodeCancelled},
		{"ClaimDue", testClaimDue},
		{"ClaimNotEscalating", testClaimNotEscalating},
		{"ClaimExpired", testClaimExpired},
		{"ClaimSpent", testClaimSpent},
		{"ClaimReplaced", testClaimReplaced},
		{"ClaimLimit", testClaimLimit},
		{"ClaimConcurrent", testClaimConcurrent},
		{"ClaimInvalid", testClaimInvalid},
		{"ClaimCancelled", testClaimCancelled},
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

// testCodeRevokeSpent: a revoke puts nothing back behind a code that was
// verified, voided or escalated (one live code at most, and never one
// beside a code that may have reached the number), and leaves an escalated
// code in place.
func testCodeRevokeSpent(t *testing.T, st notify.CodeStore) {
	ctx := context.Background()
	keys := make([]notify.CodeKey, 3)
	for i := range keys {
		keys[i] = notify.CodeKey{GroupID: "spent", PhoneNumber: fmt.Sprintf("1390013900%d", i), Scene: "login"}
		mustIssue(t, st, issued(keys[i], "042917", "a", codeAt))
		mustIssue(t, st, escalating(keys[i], "318000", "b", codeAt.Add(codeCooldown)))
	}
	later := codeAt.Add(codeCooldown + time.Second)
	verify(t, st, keys[0], "318000", later, verified)
	for left := codeAttempts - 1; left >= 0; left-- {
		verify(t, st, keys[1], "000000", later, mismatch(left))
	}
	if es := claimCodes(t, st, codeAt.Add(codeCooldown+escalateAfter), 10); len(es) != 1 || es[0].Key != keys[2] {
		t.Fatalf("ClaimEscalations = %+v; want keys[2]'s", es)
	}
	for _, k := range keys {
		if err := st.RevokeCode(ctx, k, "b"); err != nil {
			t.Fatalf("RevokeCode(%+v): %v", k, err)
		}
	}
	at := codeAt.Add(codeCooldown + escalateAfter + time.Second)
	verify(t, st, keys[0], "042917", at, notFound)
	verify(t, st, keys[1], "042917", at, notFound)
	// The escalated code stays, and the first is not put back beside it.
	verify(t, st, keys[2], "042917", at, mismatch(codeAttempts-1))
	verify(t, st, keys[2], "318000", at, verified)
}

// testCodeRevokeRestores: the revoke of a code that replaced another puts
// that one back as it was, once: a resend that failed leaves the code the
// caller has.
func testCodeRevokeRestores(t *testing.T, st notify.CodeStore) {
	ctx := context.Background()
	revoke := func(id string) {
		t.Helper()
		if err := st.RevokeCode(ctx, codeKey, id); err != nil {
			t.Fatalf("RevokeCode(%s): %v", id, err)
		}
	}
	mustIssue(t, st, issued(codeKey, "042917", "m1", codeAt))
	verify(t, st, codeKey, "000000", codeAt.Add(time.Second), mismatch(codeAttempts-1))
	mustIssue(t, st, issued(codeKey, "318000", "m2", codeAt.Add(codeCooldown)))
	revoke("m2")
	// The first code is back, its spent check with it, and the second gone.
	verify(t, st, codeKey, "318000", codeAt.Add(codeCooldown+time.Second), mismatch(codeAttempts-2))
	verify(t, st, codeKey, "042917", codeAt.Add(codeCooldown+time.Second), verified)
	// Its cooldown is its own: over, so a new code may be issued at once.
	mustIssue(t, st, issued(codeKey, "271828", "m3", codeAt.Add(codeCooldown+2*time.Second)))
	revoke("m3")
	// The code put back was used: it stays used.
	verify(t, st, codeKey, "042917", codeAt.Add(codeCooldown+3*time.Second), notFound)
	// Once put back, nothing is left to put back: the next revoke deletes.
	revoke("m1")
	mustIssue(t, st, issued(codeKey, "161803", "m4", codeAt.Add(codeCooldown+4*time.Second)))
	revoke("m4")
	verify(t, st, codeKey, "161803", codeAt.Add(codeCooldown+5*time.Second), notFound)
	// A revoke that comes after a later code replaced the revoked one: the
	// later code stays, and its own revoke does not put back a code that
	// never reached the number.
	mustIssue(t, st, issued(codeKey, "112358", "m7", codeAt.Add(codeCooldown+6*time.Second)))
	mustIssue(t, st, issued(codeKey, "132134", "m8", codeAt.Add(2*codeCooldown+6*time.Second)))
	revoke("m7")
	verify(t, st, codeKey, "000000", codeAt.Add(2*codeCooldown+7*time.Second), mismatch(codeAttempts-1))
	revoke("m8")
	verify(t, st, codeKey, "112358", codeAt.Add(2*codeCooldown+8*time.Second), notFound)
	// A code put back past its expiry is expired.
	mustIssue(t, st, issued(codeKey, "577215", "m5", codeAt.Add(2*codeCooldown)))
	mustIssue(t, st, issued(codeKey, "141421", "m6", codeAt.Add(2*codeCooldown+codeTTL)))
	revoke("m6")
	if got, err := st.VerifyCode(ctx, codeKey, [][]byte{codeHash(codeKey, "577215")}, codeAt.Add(2*codeCooldown+codeTTL+time.Second),
		codeAttempts); err != nil || got.Verified || got.Reason != notify.CodeExpired {
		t.Errorf("the code put back after its expiry: %+v, %v; want expired", got, err)
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

// escalateAfter is when the tests' escalating codes are due.
const escalateAfter = 45 * time.Second

// escalating returns the code for key, sent in message id at at, that
// escalates by voice escalateAfter later. Its sealed bytes are the store's
// to keep, not to read: any bytes do.
func escalating(key notify.CodeKey, code, id string, at time.Time) notify.IssuedCode {
	c := issued(key, code, id, at)
	c.Sealed = []byte("sealed " + code + " for " + id)
	c.EscalateAt, c.EscalateTo = at.Add(escalateAfter), notify.EscalateToVoice
	return c
}

// claimCodes claims up to limit codes at at, failing t on an error.
func claimCodes(t *testing.T, st notify.CodeStore, at time.Time, limit int) []notify.Escalation {
	t.Helper()
	es, err := st.ClaimEscalations(context.Background(), at, limit)
	if err != nil {
		t.Fatalf("ClaimEscalations(at %s, %d): %v", at.Format(time.RFC3339Nano), limit, err)
	}
	return es
}

// claimNone fails t unless a claim at at finds nothing.
func claimNone(t *testing.T, st notify.CodeStore, at time.Time, why string) {
	t.Helper()
	if es := claimCodes(t, st, at, 10); len(es) != 0 {
		t.Errorf("ClaimEscalations(at %s) %s = %d codes (first of message %s), want none", at.Format(time.RFC3339Nano), why,
			len(es), es[0].MessageID)
	}
}

func testClaimDue(t *testing.T, st notify.CodeStore) {
	at := codeAt.Add(123_456_789 * time.Nanosecond) // kept as .123 s
	c := escalating(codeKey, "042917", "m1", at)
	c.EscalateTo = notify.EscalateToNextProvider
	mustIssue(t, st, c)
	due := codeAt.Add(escalateAfter + 123*time.Millisecond)
	claimNone(t, st, due.Add(-time.Millisecond), "before the code is due")
	es := claimCodes(t, st, due, 10)
	want := notify.Escalation{Key: codeKey, Sealed: c.Sealed, MessageID: "m1", ExpiresAt: codeAt.Add(codeTTL + 123*time.Millisecond),
		EscalateTo: notify.EscalateToNextProvider}
	if len(es) != 1 || !sameEscalation(es[0], want) {
		t.Fatalf("ClaimEscalations(due) = %+v, want [%+v]", es, want)
	}
	claimNone(t, st, due, "after the code was claimed")
	claimNone(t, st, due.Add(time.Minute), "after the code was claimed")
	// The claim leaves the code itself alone: it still verifies.
	verify(t, st, codeKey, "042917", due.Add(time.Second), verified)
}

func sameEscalation(a, b notify.Escalation) bool {
	return a.Key == b.Key && string(a.Sealed) == string(b.Sealed) && a.MessageID == b.MessageID &&
		a.ExpiresAt.Equal(b.ExpiresAt) && a.EscalateTo == b.EscalateTo
}

func testClaimNotEscalating(t *testing.T, st notify.CodeStore) {
	mustIssue(t, st, issued(codeKey, "042917", "m1", codeAt))
	claimNone(t, st, codeAt.Add(codeTTL-time.Millisecond), "of a code that does not escalate")
}

func testClaimExpired(t *testing.T, st notify.CodeStore) {
	c := escalating(codeKey, "042917", "m1", codeAt)
	mustIssue(t, st, c)
	claimNone(t, st, c.ExpiresAt, "of an expired code")
	claimNone(t, st, c.ExpiresAt.Add(time.Hour), "of an expired code")
	// Not claimed, it is still due before it expires (clocks differ).
	if es := claimCodes(t, st, c.ExpiresAt.Add(-time.Millisecond), 10); len(es) != 1 {
		t.Errorf("ClaimEscalations(just before expiry) = %d codes, want 1", len(es))
	}
}

func testClaimSpent(t *testing.T, st notify.CodeStore) {
	ctx := context.Background()
	keys := make([]notify.CodeKey, 4)
	for i := range keys {
		keys[i] = notify.CodeKey{GroupID: "ops", PhoneNumber: fmt.Sprintf("1380013800%d", i), Scene: "login"}
		mustIssue(t, st, escalating(keys[i], "042917", fmt.Sprint("m", i), codeAt))
	}
	// keys[0] verified, keys[1] void, keys[2] revoked: none escalates.
	verify(t, st, keys[0], "042917", codeAt.Add(time.Second), verified)
	for left := codeAttempts - 1; left >= 0; left-- {
		verify(t, st, keys[1], "000000", codeAt.Add(time.Second), mismatch(left))
	}
	if err := st.RevokeCode(ctx, keys[2], "m2"); err != nil {
		t.Fatal(err)
	}
	// A wrong guess that leaves attempts does not spend the escalation.
	verify(t, st, keys[3], "000000", codeAt.Add(time.Second), mismatch(codeAttempts-1))
	es := claimCodes(t, st, codeAt.Add(escalateAfter), 10)
	if len(es) != 1 || es[0].Key != keys[3] {
		t.Errorf("ClaimEscalations after a verify, a void, a revoke and a wrong guess = %+v; want only %+v", es, keys[3])
	}
}

func testClaimReplaced(t *testing.T, st notify.CodeStore) {
	mustIssue(t, st, escalating(codeKey, "042917", "m1", codeAt))
	// A new code that does not escalate replaces the first and its escalation.
	mustIssue(t, st, issued(codeKey, "318000", "m2", codeAt.Add(codeCooldown)))
	claimNone(t, st, codeAt.Add(codeCooldown), "of a code replaced by one that does not escalate")
	// One that does brings its own time and sealed code.
	third := escalating(codeKey, "271828", "m3", codeAt.Add(2*codeCooldown))
	mustIssue(t, st, third)
	claimNone(t, st, third.EscalateAt.Add(-time.Millisecond), "before the new code is due")
	es := claimCodes(t, st, third.EscalateAt, 10)
	if len(es) != 1 || es[0].MessageID != "m3" || string(es[0].Sealed) != string(third.Sealed) {
		t.Fatalf("ClaimEscalations after the code was replaced = %+v, want the new code's", es)
	}
	// Claimed, then replaced: the replacement escalates afresh.
	fourth := escalating(codeKey, "161803", "m4", codeAt.Add(3*codeCooldown))
	mustIssue(t, st, fourth)
	if es := claimCodes(t, st, fourth.EscalateAt, 10); len(es) != 1 || es[0].MessageID != "m4" {
		t.Errorf("ClaimEscalations of a code replacing a claimed one = %+v, want m4's", es)
	}
}

func testClaimLimit(t *testing.T, st notify.CodeStore) {
	const n = 5
	for i := range n {
		k := notify.CodeKey{GroupID: "ops", PhoneNumber: fmt.Sprintf("1380013800%d", i), Scene: "login"}
		mustIssue(t, st, escalating(k, "042917", fmt.Sprint("m", i), codeAt.Add(time.Duration(i)*time.Second)))
	}
	due := codeAt.Add(escalateAfter + n*time.Second)
	if es := claimCodes(t, st, due, 0); len(es) != 0 {
		t.Errorf("ClaimEscalations(limit 0) = %d codes, want none", len(es))
	}
	var got []string
	for _, want := range []int{2, 2, 1, 0} {
		es := claimCodes(t, st, due, 2)
		if len(es) != want {
			t.Fatalf("ClaimEscalations(limit 2) = %d codes, want %d", len(es), want)
		}
		for _, e := range es {
			got = append(got, e.MessageID)
		}
	}
	// The longest due go first.
	if fmt.Sprint(got[:2]) != "[m0 m1]" && fmt.Sprint(got[:2]) != "[m1 m0]" {
		t.Errorf("first claim took %v, want m0 and m1, the longest due", got[:2])
	}
	checkDisjoint(t, got, n)
}

// checkDisjoint fails t unless ids are m0 to m<n-1>, each once.
func checkDisjoint(t *testing.T, ids []string, n int) {
	t.Helper()
	seen := make(map[string]int, len(ids))
	for _, id := range ids {
		seen[id]++
	}
	for i := range n {
		if id := fmt.Sprint("m", i); seen[id] != 1 {
			t.Errorf("code of %s claimed %d times, want once", id, seen[id])
		}
	}
	if len(ids) != n {
		t.Errorf("%d codes claimed in all, want %d", len(ids), n)
	}
}

// ClaimConcurrently issues n due codes on st, then claims them from
// workers goroutines at once, each through its own store of stores in turn
// and up to limit codes a call until one finds none, and fails t unless
// every code was claimed exactly once. The stores' tests call it with two
// stores on one database, as two instances of the timer would.
func ClaimConcurrently(t *testing.T, stores []notify.CodeStore, n, workers, limit int) {
	for i := range n {
		k := notify.CodeKey{GroupID: "ops", PhoneNumber: fmt.Sprintf("138%08d", i), Scene: "login"}
		mustIssue(t, stores[0], escalating(k, "042917", fmt.Sprint("m", i), codeAt))
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		start = make(chan struct{})
		got   []string
	)
	for w := range workers {
		wg.Go(func() {
			st := stores[w%len(stores)]
			<-start
			for {
				es, err := st.ClaimEscalations(context.Background(), codeAt.Add(escalateAfter), limit)
				if err != nil {
					t.Errorf("worker %d: ClaimEscalations: %v", w, err)
					return
				}
				if len(es) == 0 {
					return
				}
				mu.Lock()
				for _, e := range es {
					got = append(got, e.MessageID)
				}
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	checkDisjoint(t, got, n)
}

func testClaimConcurrent(t *testing.T, st notify.CodeStore) {
	ClaimConcurrently(t, []notify.CodeStore{st}, 40, codeWorkers, 3)
}

func testClaimInvalid(t *testing.T, st notify.CodeStore) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		edit func(c *notify.IssuedCode)
	}{
		{"sealed without a time", func(c *notify.IssuedCode) { c.EscalateAt = time.Time{}; c.EscalateTo = "" }},
		{"a time without a sealed code", func(c *notify.IssuedCode) { c.Sealed = nil }},
		{"a time without a way", func(c *notify.IssuedCode) { c.EscalateTo = "" }},
		{"an unknown way", func(c *notify.IssuedCode) { c.EscalateTo = "fax" }},
		{"due as it expires", func(c *notify.IssuedCode) { c.EscalateAt = c.ExpiresAt }},
	} {
		c := escalating(codeKey, "042917", "m1", codeAt)
		tc.edit(&c)
		if err := st.IssueCode(ctx, c, codeCooldown); err == nil {
			t.Errorf("IssueCode(%s) succeeded, want an error", tc.name)
		}
	}
	verify(t, st, codeKey, "042917", codeAt.Add(time.Second), notFound)
}

func testClaimCancelled(t *testing.T, st notify.CodeStore) {
	mustIssue(t, st, escalating(codeKey, "042917", "m1", codeAt))
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := st.ClaimEscalations(cancelled, codeAt.Add(escalateAfter), 10); !errors.Is(err, context.Canceled) {
		t.Errorf("ClaimEscalations(cancelled) = %v, want an error wrapping context.Canceled", err)
	}
	if es := claimCodes(t, st, codeAt.Add(escalateAfter), 10); len(es) != 1 {
		t.Errorf("ClaimEscalations after a cancelled one = %d codes, want the code still due", len(es))
	}
}
