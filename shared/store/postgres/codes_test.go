package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/postgres"
	"github.com/seed4ddb146e/notify/shared/store/storetest"
)

func TestCodesContract(t *testing.T) {
	storetest.RunCodes(t, func(t *testing.T) notify.CodeStore { return open(t, pg.Database(t)) })
}

// TestCodesTwoStores races issues and checks of one code through two
// Stores, two pools on one database, as two function instances would:
// only the database keeps them apart.
func TestCodesTwoStores(t *testing.T) {
	url := pg.Database(t)
	stores := []*postgres.Store{open(t, url), open(t, url)}
	key := notify.CodeKey{GroupID: "ops", PhoneNumber: "13800138000", Scene: "login"}
	secret := []byte("a code secret of at least 32 bytes")
	at := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	const rounds, workers = 3, 16
	for round := range rounds {
		issuedAt := at.Add(time.Duration(round) * time.Minute)
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			issued []notify.IssuedCode
		)
		for i := range workers {
			wg.Go(func() {
				code := notify.Code([]byte{'0' + byte(i%10), '0' + byte(i/10), '0', '0', '0', '0'})
				c := notify.IssuedCode{Key: key, Hash: notify.HashCode(secret, key, code), MessageID: "m",
					IssuedAt: issuedAt, ExpiresAt: issuedAt.Add(5 * time.Minute)}
				err := stores[i%2].IssueCode(context.Background(), c, time.Minute)
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					issued = append(issued, c)
				} else if e := notify.AsError(err); e.Kind != notify.Throttled || e.Reason != notify.ReasonCooldown {
					t.Errorf("round %d: IssueCode on store %d: %v; want it kept or refused for the cooldown", round, i%2, err)
				}
			})
		}
		wg.Wait()
		if len(issued) != 1 {
			t.Fatalf("round %d: %d of %d concurrent issues were kept, want 1", round, len(issued), workers)
		}
		won := 0
		for i := range workers {
			wg.Go(func() {
				res, err := stores[i%2].VerifyCode(context.Background(), key, [][]byte{issued[0].Hash}, issuedAt.Add(time.Second), 5)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err != nil:
					t.Errorf("round %d: VerifyCode on store %d: %v", round, i%2, err)
				case res.Verified:
					won++
				case res.Reason != notify.CodeNotFound:
					t.Errorf("round %d: VerifyCode on store %d = %+v, want verified or not_found", round, i%2, res)
				}
			})
		}
		wg.Wait()
		if won != 1 {
			t.Errorf("round %d: %d of %d checks of one code on two stores were verified, want 1", round, won, workers)
		}
	}
}

// BenchmarkVerifyCode is storetest.BenchVerifyCode: a check is begin, the
// locked read, the count and the commit.
func BenchmarkVerifyCode(b *testing.B) { storetest.BenchVerifyCode(b, open(b, pg.Database(b))) }

// TestClaimEscalationsTwoStores claims due codes through two Stores, two
// pools on one database, as two instances of the timer would: each code
// goes to one of them, once.
func TestClaimEscalationsTwoStores(t *testing.T) {
	url := pg.Database(t)
	storetest.ClaimConcurrently(t, []notify.CodeStore{open(t, url), open(t, url)}, 60, 8, 4)
}

// TestSealedWiped checks that the sealed copy of a code goes when its hash
// does (verified, void) and when its escalation is claimed, and stays
// through a wrong guess.
func TestSealedWiped(t *testing.T) {
	url := pg.Database(t)
	st := open(t, url)
	ctx := t.Context()
	secret := []byte("a code secret of at least 32 bytes")
	at := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		scene  string
		checks []string // codes checked, in order
		claim  bool
		kept   bool
	}{
		{"verified", []string{"042917"}, false, false},
		{"void", []string{"1", "2", "3", "4", "5"}, false, false},
		{"wrong_once", []string{"000000"}, false, true},
		{"claimed", nil, true, false},
	} {
		key := notify.CodeKey{GroupID: "ops", PhoneNumber: "13800138000", Scene: tc.scene}
		c := notify.IssuedCode{Key: key, Hash: notify.HashCode(secret, key, "042917"), MessageID: "m", IssuedAt: at,
			ExpiresAt: at.Add(5 * time.Minute), Sealed: []byte("sealed"), EscalateAt: at.Add(4 * time.Minute), EscalateTo: notify.EscalateToVoice}
		if tc.claim {
			c.EscalateAt = at.Add(time.Minute) // the only one due at the claim
		}
		if err := st.IssueCode(ctx, c, time.Minute); err != nil {
			t.Fatal(err)
		}
		for _, code := range tc.checks {
			if _, err := st.VerifyCode(ctx, key, [][]byte{notify.HashCode(secret, key, notify.Code(code))}, at.Add(time.Second), 5); err != nil {
				t.Fatal(err)
			}
		}
		if tc.claim {
			if es, err := st.ClaimEscalations(ctx, at.Add(time.Minute), 10); err != nil || len(es) != 1 {
				t.Fatalf("%s: ClaimEscalations = %d codes, %v; want 1", tc.scene, len(es), err)
			}
		}
		var n int
		err := connect(t, url).QueryRow(ctx, `SELECT length(sealed) FROM codes WHERE scene = $1`, tc.scene).Scan(&n)
		if err != nil || (n > 0) != tc.kept {
			t.Errorf("%s: %d sealed bytes kept (%v); want kept %v", tc.scene, n, err, tc.kept)
		}
	}
}
