package storetest

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// RunIdempotency runs the contract of notify.IdempotencyStore against the
// stores open returns, a fresh one for each test.
func RunIdempotency(t *testing.T, open func(t *testing.T) notify.IdempotencyStore) {
	for _, tc := range []struct {
		name string
		test func(*testing.T, notify.IdempotencyStore)
	}{
		{"ClaimCompleteReplay", testClaimCompleteReplay},
		{"Release", testRelease},
		{"Expired", testIdempotencyExpired},
		{"StaleLease", testStaleLease},
		{"GroupsApart", testGroupsApart},
		{"ConcurrentClaims", testConcurrentClaims},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.test(t, open(t)) })
	}
}

var t0 = time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)

func claim(group, key, hash string, at time.Time) notify.Idempotency {
	return notify.Idempotency{GroupID: group, Key: key, Hash: hash, CreatedAt: at,
		ExpiresAt: at.Add(24 * time.Hour), LeaseUntil: at.Add(time.Minute)}
}

func mustClaim(t *testing.T, st notify.IdempotencyStore, k notify.Idempotency) *notify.Idempotency {
	t.Helper()
	held, err := st.ClaimIdempotency(context.Background(), k)
	if err != nil {
		t.Fatalf("ClaimIdempotency(%s/%s): %v", k.GroupID, k.Key, err)
	}
	return held
}

func testClaimCompleteReplay(t *testing.T, st notify.IdempotencyStore) {
	ctx := context.Background()
	if held := mustClaim(t, st, claim("g", "k1", "h1", t0)); held != nil {
		t.Fatalf("first claim found %+v", held)
	}
	held := mustClaim(t, st, claim("g", "k1", "h2", t0.Add(time.Second)))
	if held == nil || held.Status != 0 || held.Hash != "h1" || !held.CreatedAt.Equal(t0) || !held.LeaseUntil.Equal(t0.Add(time.Minute)) {
		t.Fatalf("claim while in flight = %+v; want the first claim, status 0", held)
	}
	reply := []byte(`{"Code":"OK","MessageId":"m1"}` + "\n\x00\xff")
	if err := st.CompleteIdempotency(ctx, "g", "k1", 200, reply); err != nil {
		t.Fatal(err)
	}
	held = mustClaim(t, st, claim("g", "k1", "h1", t0.Add(2*time.Hour)))
	if held == nil || held.Status != 200 || !bytes.Equal(held.Reply, reply) || held.Hash != "h1" {
		t.Fatalf("claim after completion = %+v; want status 200 and the reply", held)
	}
}

func testRelease(t *testing.T, st notify.IdempotencyStore) {
	ctx := context.Background()
	mustClaim(t, st, claim("g", "k", "h1", t0))
	if err := st.ReleaseIdempotency(ctx, "g", "k"); err != nil {
		t.Fatal(err)
	}
	if held := mustClaim(t, st, claim("g", "k", "h2", t0.Add(time.Second))); held != nil {
		t.Fatalf("claim after release found %+v", held)
	}
	if err := st.CompleteIdempotency(ctx, "g", "k", 504, []byte("x")); err != nil {
		t.Fatal(err)
	}
	// A completed record is not released.
	if err := st.ReleaseIdempotency(ctx, "g", "k"); err != nil {
		t.Fatal(err)
	}
	if held := mustClaim(t, st, claim("g", "k", "h2", t0.Add(time.Minute))); held == nil || held.Status != 504 {
		t.Fatalf("completed record after release = %+v; want it kept", held)
	}
	if err := st.ReleaseIdempotency(ctx, "g", "unknown"); err != nil {
		t.Errorf("release of an unknown key: %v", err)
	}
}

func testIdempotencyExpired(t *testing.T, st notify.IdempotencyStore) {
	mustClaim(t, st, claim("g", "k", "h1", t0))
	if err := st.CompleteIdempotency(context.Background(), "g", "k", 200, []byte("old")); err != nil {
		t.Fatal(err)
	}
	if held := mustClaim(t, st, claim("g", "k", "h2", t0.Add(24*time.Hour-time.Second))); held == nil {
		t.Fatal("a record inside its 24 hours was taken over")
	}
	if held := mustClaim(t, st, claim("g", "k", "h2", t0.Add(24*time.Hour+time.Second))); held != nil {
		t.Fatalf("an expired record still holds its key: %+v", held)
	}
	if held := mustClaim(t, st, claim("g", "k", "h3", t0.Add(24*time.Hour+30*time.Second))); held == nil || held.Hash != "h2" || held.Status != 0 {
		t.Fatalf("the new claim is not held: %+v", held)
	}
}

func testStaleLease(t *testing.T, st notify.IdempotencyStore) {
	mustClaim(t, st, claim("g", "k", "h1", t0))
	if held := mustClaim(t, st, claim("g", "k", "h1", t0.Add(59*time.Second))); held == nil {
		t.Fatal("a claim within its lease was taken over")
	}
	// Another request with the key, past the lease: the first request may
	// have sent its message before it died, so the key stays its own.
	if held := mustClaim(t, st, claim("g", "k", "h2", t0.Add(61*time.Second))); held == nil || held.Hash != "h1" {
		t.Fatalf("a claim of another request took over an unfinished one past its lease: %+v", held)
	}
	if held := mustClaim(t, st, claim("g", "k", "h1", t0.Add(61*time.Second))); held != nil {
		t.Fatalf("a claim past its lease still holds the key: %+v", held)
	}
}

func testGroupsApart(t *testing.T, st notify.IdempotencyStore) {
	mustClaim(t, st, claim("a", "k", "h", t0))
	if held := mustClaim(t, st, claim("b", "k", "h", t0)); held != nil {
		t.Fatalf("group b's key is held by group a: %+v", held)
	}
}

func testConcurrentClaims(t *testing.T, st notify.IdempotencyStore) {
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		won    int
		failed []error
	)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			held, err := st.ClaimIdempotency(context.Background(), claim("g", "race", "h", t0))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				failed = append(failed, err)
			case held == nil:
				won++
			}
		}()
	}
	wg.Wait()
	if won != 1 || len(failed) > 0 {
		t.Errorf("%d of 16 concurrent claims won (want 1); errors: %v", won, failed)
	}
}
