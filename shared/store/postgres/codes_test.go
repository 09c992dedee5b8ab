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
