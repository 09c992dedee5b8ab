package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/seed4ddb146e/notify/shared/notify"
)

var _ notify.IdempotencyStore = (*Store)(nil)

// The statements of the Idempotency-Key records, the SQLite store's.
const (
	// claimSQL inserts a claim, or takes over a record that is dead:
	// expired, or unfinished past its lease by a retry of the same
	// request. A live record is left alone (no row changes), and is then
	// read back. Of concurrent claims of one key, the others wait for the
	// first to commit, then find its row live.
	claimSQL = `INSERT INTO idempotency (group_id, key, hash, status, reply, created_at, expires_at, lease_until)
VALUES ($1, $2, $3, 0, '\x'::bytea, $4, $5, $6)
ON CONFLICT (group_id, key) DO UPDATE SET hash = excluded.hash, status = 0, reply = '\x'::bytea,
	created_at = excluded.created_at, expires_at = excluded.expires_at, lease_until = excluded.lease_until
WHERE idempotency.expires_at < excluded.created_at
	OR (idempotency.status = 0 AND idempotency.lease_until < excluded.created_at AND idempotency.hash = excluded.hash)`
	heldSQL = `SELECT hash, status, reply, created_at, expires_at, lease_until
FROM idempotency WHERE group_id = $1 AND key = $2`
	completeSQL = `UPDATE idempotency SET status = $3, reply = $4 WHERE group_id = $1 AND key = $2`
	releaseSQL  = `DELETE FROM idempotency WHERE group_id = $1 AND key = $2 AND status = 0`
)

// ClaimIdempotency records k as being handled, or returns the live record
// that holds its key. Times are kept to the millisecond, as the messages'.
func (s *Store) ClaimIdempotency(ctx context.Context, k notify.Idempotency) (*notify.Idempotency, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	var times [3]time.Time
	for i, t := range []time.Time{k.CreatedAt, k.ExpiresAt, k.LeaseUntil} {
		var err error
		if times[i], err = dbTime("idempotency time", t); err != nil {
			return nil, fmt.Errorf("postgres: claim idempotency key: %w", err)
		}
	}
	group, key := text(k.GroupID), text(k.Key)
	for {
		tag, err := s.pool.Exec(ctx, claimSQL, group, key, text(k.Hash), times[0], times[1], times[2])
		if err != nil {
			return nil, fmt.Errorf("postgres: claim idempotency key: %w", err)
		}
		if tag.RowsAffected() == 1 {
			return nil, nil
		}
		held := notify.Idempotency{GroupID: k.GroupID, Key: k.Key}
		err = s.pool.QueryRow(ctx, heldSQL, group, key).
			Scan(&held.Hash, &held.Status, &held.Reply, &held.CreatedAt, &held.ExpiresAt, &held.LeaseUntil)
		if errors.Is(err, pgx.ErrNoRows) {
			continue // released between the two statements: claim again
		}
		if err != nil {
			return nil, fmt.Errorf("postgres: read idempotency key: %w", err)
		}
		held.CreatedAt, held.ExpiresAt, held.LeaseUntil = held.CreatedAt.UTC(), held.ExpiresAt.UTC(), held.LeaseUntil.UTC()
		return &held, nil
	}
}

// CompleteIdempotency stores the reply of the request that claimed the key.
func (s *Store) CompleteIdempotency(ctx context.Context, groupID, key string, status int, reply []byte) error {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return err
	}
	defer done()
	if reply == nil {
		reply = []byte{} // a nil slice is NULL
	}
	if _, err := s.pool.Exec(ctx, completeSQL, text(groupID), text(key), status, reply); err != nil {
		return fmt.Errorf("postgres: complete idempotency key: %w", err)
	}
	return nil
}

// ReleaseIdempotency forgets a claimed key that is still being handled.
func (s *Store) ReleaseIdempotency(ctx context.Context, groupID, key string) error {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return err
	}
	defer done()
	if _, err := s.pool.Exec(ctx, releaseSQL, text(groupID), text(key)); err != nil {
		return fmt.Errorf("postgres: release idempotency key: %w", err)
	}
	return nil
}
