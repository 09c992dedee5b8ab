package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/internal/sqltext"
)

var _ notify.CodeStore = (*Store)(nil)

// The statements of the verification codes (migration 006). IssueCode and
// VerifyCode read and then write in one transaction, which the Store's
// connections begin IMMEDIATE: it holds the file's write lock from its
// first statement, so that checks of one code, from any connection or
// process, run one after the other.
const (
	codeIssueSQL = `INSERT INTO codes (group_id, phone_number, scene, hash, message_id, attempts, used, issued_at, expires_at,
	sealed, escalate_at, escalate_to, escalated)
VALUES ($1, $2, $3, $4, $5, 0, 0, $6, $7, $8, $9, $10, 0)
ON CONFLICT (group_id, phone_number, scene) DO UPDATE SET hash = excluded.hash, message_id = excluded.message_id,
	attempts = 0, used = 0, issued_at = excluded.issued_at, expires_at = excluded.expires_at,
	sealed = excluded.sealed, escalate_at = excluded.escalate_at, escalate_to = excluded.escalate_to, escalated = 0,
	` + sqltext.CodeKeepReplaced
	// codeRestoreSQL puts back the code that the code of message $4
	// replaced (migration 011), as it was, without an escalation.
	codeRestoreSQL = `UPDATE codes SET ` + sqltext.CodePutBack + `,
	sealed = x'', escalate_at = NULL, escalate_to = '', escalated = 0,
	prev_hash = x'', prev_message_id = '', prev_attempts = 0, prev_used = 0, prev_issued_at = '', prev_expires_at = ''` +
		sqltext.CodePutBackWhere
	// codeForgetSQL forgets the code of message $4 where a later one
	// keeps it to put back: a code revoked is never put back.
	codeForgetSQL = `UPDATE codes SET prev_hash = x'', prev_message_id = ''` + sqltext.CodeKeyWhere + ` AND prev_message_id = $4`
	codeReadSQL   = `SELECT hash, attempts, used, expires_at FROM codes` + sqltext.CodeKeyWhere
	// codeDueSQL finds the codes due for escalation at $1 (migration 009),
	// through the partial index codes_escalate.
	codeDueSQL = `SELECT group_id, phone_number, scene, sealed, message_id, expires_at, escalate_to FROM codes
WHERE escalate_at IS NOT NULL AND escalated = 0 AND escalate_at <= $1 AND expires_at > $1
	AND used = 0 AND length(hash) > 0 AND length(sealed) > 0
ORDER BY escalate_at LIMIT $2`
	codeClaimSQL = `UPDATE codes SET escalated = 1, sealed = x''` + sqltext.CodeKeyWhere
)

// IssueCode keeps c as the live code of its key, replacing any earlier one,
// unless the earlier one was issued less than cooldown before c: then it
// returns notify.CooldownError and keeps nothing.
func (s *Store) IssueCode(ctx context.Context, c notify.IssuedCode, cooldown time.Duration) error {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return err
	}
	defer done()
	defer s.wrote()
	if err := s.issueCode(ctx, c, cooldown); err != nil {
		return fmt.Errorf("sqlite: issue %s code of group %s: %w", c.Key.Scene, c.Key.GroupID, err)
	}
	return nil
}

func (s *Store) issueCode(ctx context.Context, c notify.IssuedCode, cooldown time.Duration) error {
	if err := checkIssued(c, cooldown); err != nil {
		return err
	}
	k := c.Key
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var issued string
	switch err := tx.QueryRowContext(ctx, sqltext.CodeIssued, k.GroupID, k.PhoneNumber, k.Scene).Scan(&issued); {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return fmt.Errorf("read the earlier code: %w", err)
	default:
		prev, err := parseTime(issued)
		if err != nil {
			return fmt.Errorf("read the earlier code: issued_at: %w", err)
		}
		// Both times as kept: to the millisecond.
		if left := prev.Add(cooldown).Sub(c.IssuedAt.Truncate(time.Millisecond)); left > 0 {
			return notify.CooldownError("sqlite.IssueCode", left)
		}
	}
	var escalateAt any // NULL: never
	if !c.EscalateAt.IsZero() {
		escalateAt = formatTime(c.EscalateAt)
	}
	sealed := c.Sealed
	if sealed == nil {
		sealed = []byte{} // x'', not NULL
	}
	if _, err := tx.ExecContext(ctx, codeIssueSQL, k.GroupID, k.PhoneNumber, k.Scene, c.Hash, c.MessageID,
		formatTime(c.IssuedAt), formatTime(c.ExpiresAt), sealed, escalateAt, string(c.EscalateTo)); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// checkIssued refuses what no store should keep.
func checkIssued(c notify.IssuedCode, cooldown time.Duration) error {
	if err := c.Key.Check(); err != nil {
		return err
	}
	if len(c.Hash) == 0 {
		return errors.New("no hash")
	}
	if !c.ExpiresAt.After(c.IssuedAt) {
		return fmt.Errorf("expires at %s, not after it is issued", c.ExpiresAt.UTC().Format(time.RFC3339Nano))
	}
	if cooldown < 0 {
		return fmt.Errorf("cooldown %v is negative", cooldown)
	}
	if err := c.CheckEscalation(); err != nil {
		return err
	}
	if err := checkTime("issued_at", c.IssuedAt); err != nil {
		return err
	}
	if err := checkTime("escalate_at", c.EscalateAt); err != nil {
		return err
	}
	return checkTime("expires_at", c.ExpiresAt)
}

// RevokeCode forgets the code of key sent in message messageID, if that is
// still its code, and puts back the code it replaced, if any.
func (s *Store) RevokeCode(ctx context.Context, key notify.CodeKey, messageID string) error {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return err
	}
	defer done()
	defer s.wrote()
	if err := key.Check(); err != nil {
		return fmt.Errorf("sqlite: revoke code: %w", err)
	}
	if err := s.revokeCode(ctx, key, messageID); err != nil {
		return fmt.Errorf("sqlite: revoke %s code of group %s, message %s: %w", key.Scene, key.GroupID, messageID, err)
	}
	return nil
}

// revokeCode puts back the code that the code of messageID replaced, if
// it replaced one, else deletes it; and where a later code replaced it,
// it makes sure that one's revoke will not put it back.
func (s *Store) revokeCode(ctx context.Context, key notify.CodeKey, messageID string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range []string{codeRestoreSQL, sqltext.CodeRevoke, codeForgetSQL} {
		if _, err := tx.ExecContext(ctx, q, key.GroupID, key.PhoneNumber, key.Scene, messageID); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// VerifyCode checks the code of key at now against hashes, and counts the
// check, in one IMMEDIATE transaction.
func (s *Store) VerifyCode(ctx context.Context, key notify.CodeKey, hashes [][]byte, now time.Time, maxAttempts int) (notify.CodeResult, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return notify.CodeResult{}, err
	}
	defer done()
	defer s.wrote()
	res, err := s.verifyCode(ctx, key, hashes, now, maxAttempts)
	if err != nil {
		return notify.CodeResult{}, fmt.Errorf("sqlite: verify %s code of group %s: %w", key.Scene, key.GroupID, err)
	}
	return res, nil
}

func (s *Store) verifyCode(ctx context.Context, key notify.CodeKey, hashes [][]byte, now time.Time, maxAttempts int) (notify.CodeResult, error) {
	if err := notify.CheckVerify(key, hashes, maxAttempts); err != nil {
		return notify.CodeResult{}, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return notify.CodeResult{}, err
	}
	defer tx.Rollback()
	var (
		k       notify.KeptCode
		expires string
	)
	err = tx.QueryRowContext(ctx, codeReadSQL, key.GroupID, key.PhoneNumber, key.Scene).Scan(&k.Hash, &k.Attempts, &k.Used, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return notify.CodeResult{Reason: notify.CodeNotFound}, nil
	}
	if err != nil {
		return notify.CodeResult{}, fmt.Errorf("read: %w", err)
	}
	if k.ExpiresAt, err = parseTime(expires); err != nil {
		return notify.CodeResult{}, fmt.Errorf("read: expires_at: %w", err)
	}
	res, changed := k.Check(hashes, now, maxAttempts)
	if !changed {
		return res, nil // nothing to write: the deferred Rollback ends the transaction
	}
	update := sqltext.CodeCheck
	if len(k.Hash) == 0 {
		update = sqltext.CodeWipe
	}
	if _, err := tx.ExecContext(ctx, update, key.GroupID, key.PhoneNumber, key.Scene, k.Attempts, k.Used, k.Hash); err != nil {
		return notify.CodeResult{}, fmt.Errorf("count the check: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return notify.CodeResult{}, fmt.Errorf("commit: %w", err)
	}
	return res, nil
}

// PurgeCodes forgets every code that expired at or before before, and
// returns how many.
func (s *Store) PurgeCodes(ctx context.Context, before time.Time) (int64, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return 0, err
	}
	defer done()
	defer s.wrote()
	if err := checkTime("purge time", before); err != nil {
		return 0, fmt.Errorf("sqlite: purge codes: %w", err)
	}
	res, err := s.db.ExecContext(ctx, sqltext.CodePurge, formatTime(before))
	if err != nil {
		return 0, fmt.Errorf("sqlite: purge codes: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqlite: purge codes: %w", err)
	}
	return n, nil
}

// ClaimEscalations returns up to limit codes due for escalation at now and
// marks them escalated, their sealed copies wiped, in one IMMEDIATE
// transaction: the file's one writer at a time, so that no two claims, from
// any connection or process, return one code.
func (s *Store) ClaimEscalations(ctx context.Context, now time.Time, limit int) ([]notify.Escalation, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	defer s.wrote()
	es, err := s.claimEscalations(ctx, now, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim codes due for escalation: %w", err)
	}
	return es, nil
}

func (s *Store) claimEscalations(ctx context.Context, now time.Time, limit int) ([]notify.Escalation, error) {
	if err := checkTime("claim time", now); err != nil {
		return nil, err
	}
	if limit < 1 {
		return nil, nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, codeDueSQL, formatTime(now), limit)
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	var es []notify.Escalation
	for rows.Next() {
		var (
			e       notify.Escalation
			expires string
		)
		if err := rows.Scan(&e.Key.GroupID, &e.Key.PhoneNumber, &e.Key.Scene, &e.Sealed, &e.MessageID, &expires, &e.EscalateTo); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read: %w", err)
		}
		if e.ExpiresAt, err = parseTime(expires); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read: expires_at: %w", err)
		}
		es = append(es, e)
	}
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	for _, e := range es {
		if _, err := tx.ExecContext(ctx, codeClaimSQL, e.Key.GroupID, e.Key.PhoneNumber, e.Key.Scene); err != nil {
			return nil, fmt.Errorf("mark escalated: %w", err)
		}
	}
	if len(es) == 0 {
		return nil, nil // nothing to write: the deferred Rollback ends the transaction
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return es, nil
}
