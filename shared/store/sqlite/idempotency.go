package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/seed4ddb146e/notify/shared/notify"
)

var _ notify.IdempotencyStore = (*Store)(nil)

// claimSQL inserts a claim, or takes over a record that is dead: expired,
// or unfinished past its lease by a retry of the same request. A live
// record is left alone (no row changes), and is then read back.
const claimSQL = `INSERT INTO idempotency (group_id, key, hash, status, reply, created_at, expires_at, lease_until)
VALUES ($1, $2, $3, 0, x'', $4, $5, $6)
ON CONFLICT (group_id, key) DO UPDATE SET hash = excluded.hash, status = 0, reply = x'',
	created_at = excluded.created_at, expires_at = excluded.expires_at, lease_until = excluded.lease_until
WHERE idempotency.expires_at < excluded.created_at
	OR (idempotency.status = 0 AND idempotency.lease_until < excluded.created_at AND idempotency.hash = excluded.hash)`

// ClaimIdempotency records k as being handled, or returns the live record
// that holds its key.
func (s *Store) ClaimIdempotency(ctx context.Context, k notify.Idempotency) (*notify.Idempotency, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	defer s.wrote()
	res, err := s.db.ExecContext(ctx, claimSQL, k.GroupID, k.Key, k.Hash, formatTime(k.CreatedAt),
		formatTime(k.ExpiresAt), formatTime(k.LeaseUntil))
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim idempotency key: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, fmt.Errorf("sqlite: claim idempotency key: %w", err)
	} else if n == 1 {
		return nil, nil
	}
	var (
		held                      = notify.Idempotency{GroupID: k.GroupID, Key: k.Key}
		created, expires, leaseTo string
	)
	err = s.db.QueryRowContext(ctx, `SELECT hash, status, reply, created_at, expires_at, lease_until
FROM idempotency WHERE group_id = $1 AND key = $2`, k.GroupID, k.Key).
		Scan(&held.Hash, &held.Status, &held.Reply, &created, &expires, &leaseTo)
	if errors.Is(err, sql.ErrNoRows) {
		// Released between the two statements: claim again.
		return s.ClaimIdempotency(ctx, k)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: read idempotency key: %w", err)
	}
	if held.CreatedAt, err = parseTime(created); err == nil {
		if held.ExpiresAt, err = parseTime(expires); err == nil {
			held.LeaseUntil, err = parseTime(leaseTo)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: read idempotency key: %w", err)
	}
	return &held, nil
}

// CompleteIdempotency stores the reply of the request that claimed the key.
func (s *Store) CompleteIdempotency(ctx context.Context, groupID, key string, status int, reply []byte) error {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return err
	}
	defer done()
	defer s.wrote()
	if reply == nil {
		reply = []byte{}
	}
	_, err = s.db.ExecContext(ctx, `UPDATE idempotency SET status = $3, reply = $4 WHERE group_id = $1 AND key = $2`,
		groupID, key, status, reply)
	if err != nil {
		return fmt.Errorf("sqlite: complete idempotency key: %w", err)
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
	defer s.wrote()
	_, err = s.db.ExecContext(ctx, `DELETE FROM idempotency WHERE group_id = $1 AND key = $2 AND status = 0`, groupID, key)
	if err != nil {
		return fmt.Errorf("sqlite: release idempotency key: %w", err)
	}
	return nil
}
