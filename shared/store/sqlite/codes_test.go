package sqlite_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/sqlite"
	"github.com/seed4ddb146e/notify/shared/store/storetest"
)

func TestCodesContract(t *testing.T) {
	storetest.RunCodes(t, func(t *testing.T) notify.CodeStore {
		return openFile(t, filepath.Join(t.TempDir(), "notify.db"))
	})
}

func TestCodesContractMemory(t *testing.T) {
	storetest.RunCodes(t, func(t *testing.T) notify.CodeStore { return openFile(t, ":memory:") })
}

// TestCodesTwoStores checks one right code against two Stores on one file,
// as two function instances sharing a disk would: each has its own
// connection, so only the IMMEDIATE transaction keeps their checks apart.
func TestCodesTwoStores(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify.db")
	stores := []*sqlite.Store{openFile(t, path), openFile(t, path)}
	key := notify.CodeKey{GroupID: "ops", PhoneNumber: "13800138000", Scene: "login"}
	secret := []byte("a code secret of at least 32 bytes")
	at := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	const rounds, each = 4, 8
	for round := range rounds {
		issuedAt := at.Add(time.Duration(round) * time.Minute)
		code := notify.Code(string(rune('1'+round)) + "23456")
		c := notify.IssuedCode{Key: key, Hash: notify.HashCode(secret, key, code), MessageID: "m",
			IssuedAt: issuedAt, ExpiresAt: issuedAt.Add(5 * time.Minute)}
		if err := stores[round%2].IssueCode(t.Context(), c, time.Minute); err != nil {
			t.Fatalf("round %d: IssueCode: %v", round, err)
		}
		var (
			wg  sync.WaitGroup
			mu  sync.Mutex
			won int
		)
		for i := range 2 * each {
			wg.Go(func() {
				res, err := stores[i%2].VerifyCode(context.Background(), key, [][]byte{c.Hash}, issuedAt.Add(time.Second), 5)
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
			t.Errorf("round %d: %d of %d checks of one code on two stores were verified, want 1", round, won, 2*each)
		}
	}
}

// BenchmarkVerifyCode is storetest.BenchVerifyCode: a check is the read,
// the count and the commit of one IMMEDIATE transaction.
func BenchmarkVerifyCode(b *testing.B) {
	storetest.BenchVerifyCode(b, openFile(b, filepath.Join(b.TempDir(), "notify.db")))
}

// TestClaimEscalationsTwoStores claims due codes through two Stores on one
// file: each code goes to one of them, once.
func TestClaimEscalationsTwoStores(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify.db")
	storetest.ClaimConcurrently(t, []notify.CodeStore{openFile(t, path), openFile(t, path)}, 40, 4, 3)
}

// TestSealedWiped checks that the sealed copy of a code goes when its hash
// does (verified, void) and when its escalation is claimed, and stays
// through a wrong guess.
func TestSealedWiped(t *testing.T) {
	st := openFile(t, filepath.Join(t.TempDir(), "notify.db"))
	ctx := t.Context()
	secret := []byte("a code secret of at least 32 bytes")
	at := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		checks []string // codes checked, in order
		claim  bool
		kept   bool
	}{
		{"verified", []string{"042917"}, false, false},
		{"void", []string{"1", "2", "3", "4", "5"}, false, false},
		{"wrong once", []string{"000000"}, false, true},
		{"claimed", nil, true, false},
	} {
		key := notify.CodeKey{GroupID: "ops", PhoneNumber: "13800138000", Scene: strings.ReplaceAll(tc.name, " ", "_")}
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
				t.Fatalf("%s: ClaimEscalations = %d codes, %v; want 1", tc.name, len(es), err)
			}
		}
		n, err := st.SealedLen(ctx, key.GroupID, key.PhoneNumber, key.Scene)
		if err != nil || (n > 0) != tc.kept {
			t.Errorf("%s: %d sealed bytes kept (%v); want kept %v", tc.name, n, err, tc.kept)
		}
	}
}
