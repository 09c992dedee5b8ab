package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/internal/sqltext"
)

var _ notify.CodeStore = (*Store)(nil)

// The statements of the verification codes (migration 006): the SQLite
// store's, except that IssueCode needs no transaction and VerifyCode locks
// the code's row.
const (
	// codeIssueSQL inserts a code, or replaces the key's earlier one if
	// that was issued at or before $8: the new one's time less the
	// cooldown. Of concurrent issues for one key, the others wait for the
	// first to commit, then find its row too young to replace.
	codeIssueSQL = `INSERT INTO codes (group_id, phone_number, scene, hash, message_id, attempts, used, issued_at, expires_at,
	sealed, escalate_at, escalate_to, escalated)
VALUES ($1, $2, $3, $4, $5, 0, false, $6, $7, $9, $10, $11, false)
ON CONFLICT (group_id, phone_number, scene) DO UPDATE SET hash = excluded.hash, message_id = excluded.message_id,
	attempts = 0, used = false, issued_at = excluded.issued_at, expires_at = excluded.expires_at,
	sealed = excluded.sealed, escalate_at = excluded.escalate_at, escalate_to = excluded.escalate_to, escalated = false,
	` + sqltext.CodeKeepReplaced + `
WHERE codes.issued_at <= $8`
	// codeRestoreSQL puts back the code that the code of message $4
	// replaced (migration 010), as it was, without an escalation.
	codeRestoreSQL = `UPDATE codes SET ` + sqltext.CodePutBack + `,
	sealed = '\x'::bytea, escalate_at = NULL, escalate_to = '', escalated = false,
	prev_hash = '\x'::bytea, prev_message_id = '', prev_attempts = 0, prev_used = false, prev_issued_at = NULL,
	prev_expires_at = NULL` + sqltext.CodePutBackWhere
	// codeForgetSQL forgets the code of message $4 where a later one
	// keeps it to put back: a code revoked is never put back.
	codeForgetSQL = `UPDATE codes SET prev_hash = '\x'::bytea, prev_message_id = ''` + sqltext.CodeKeyWhere +
		` AND prev_message_id = $4`
	// codeReadSQL locks the code's row until the transaction ends, so that
	// checks of one code, from any instance, run one after the other.
	codeReadSQL = `SELECT hash, attempts, used, expires_at FROM codes` + sqltext.CodeKeyWhere + ` FOR UPDATE`
	// codeClaimSQL claims up to $2 codes due for escalation at $1
	// (migration 009) in one statement: the subquery locks the rows it
	// picks and skips the rows another transaction holds (another claim, a
	// check, an issue), so that concurrent claims, from any instance, take
	// disjoint sets and none waits; the update marks them escalated and
	// wipes their sealed copies, which RETURNING gives as they were.
	codeClaimSQL = `UPDATE codes AS c SET escalated = true, sealed = '\x'::bytea
FROM (SELECT group_id, phone_number, scene, sealed FROM codes
	WHERE escalate_at IS NOT NULL AND NOT escalated AND escalate_at <= $1 AND expires_at > $1
		AND NOT used AND hash <> '\x'::bytea AND sealed <> '\x'::bytea
	ORDER BY escalate_at LIMIT $2
	FOR UPDATE SKIP LOCKED) AS d
WHERE c.group_id = d.group_id AND c.phone_number = d.phone_number AND c.scene = d.scene
RETURNING c.group_id, c.phone_number, c.scene, d.sealed, c.message_id, c.expires_at, c.escalate_to`
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
	if err := s.issueCode(ctx, c, cooldown); err != nil {
		return fmt.Errorf("postgres: issue %s code of group %s: %w", c.Key.Scene, c.Key.GroupID, err)
	}
	return nil
}

func (s *Store) issueCode(ctx context.Context, c notify.IssuedCode, cooldown time.Duration) error {
	if err := checkIssued(c, cooldown); err != nil {
		return err
	}
	issued, err := dbTime("issued_at", c.IssuedAt)
	if err != nil {
		return err
	}
	expires, err := dbTime("expires_at", c.ExpiresAt)
	if err != nil {
		return err
	}
	var escalateAt *time.Time // NULL: never
	if !c.EscalateAt.IsZero() {
		at, err := dbTime("escalate_at", c.EscalateAt)
		if err != nil {
			return err
		}
		escalateAt = &at
	}
	sealed := c.Sealed
	if sealed == nil {
		sealed = []byte{} // '\x', not NULL
	}
	k, id, latest := c.Key, text(c.MessageID), issued.Add(-cooldown)
	// Another issue, revoke or purge of the key between the two statements
	// sends it round again; three rounds is more than any race takes.
	for range 3 {
		tag, err := s.pool.Exec(ctx, codeIssueSQL, k.GroupID, k.PhoneNumber, k.Scene, c.Hash, id, issued, expires, latest,
			sealed, escalateAt, string(c.EscalateTo))
		if err != nil {
			return fmt.Errorf("write: %w", err)
		}
		if tag.RowsAffected() == 1 {
			return nil
		}
		var prev time.Time
		err = s.pool.QueryRow(ctx, sqltext.CodeIssued, k.GroupID, k.PhoneNumber, k.Scene).Scan(&prev)
		if errors.Is(err, pgx.ErrNoRows) {
			continue // revoked or purged between the two statements: issue again
		}
		if err != nil {
			return fmt.Errorf("read the earlier code: %w", err)
		}
		if left := prev.Sub(latest); left > 0 {
			return notify.CooldownError("postgres.IssueCode", left)
		}
		// Replaced since by an older code (clocks differ): issue again.
	}
	return errors.New("the key's code changed under each of 3 tries")
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
	return c.CheckEscalation()
}

// RevokeCode forgets the code of key sent in message messageID, if that is
// still its code, and puts back the code it replaced, if any.
func (s *Store) RevokeCode(ctx context.Context, key notify.CodeKey, messageID string) error {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return err
	}
	defer done()
	if err := key.Check(); err != nil {
		return fmt.Errorf("postgres: revoke code: %w", err)
	}
	// One round trip, one implicit transaction: the code put back if it
	// replaced one, else deleted; and forgotten where a later code keeps
	// it to put back.
	b := &pgx.Batch{}
	for _, q := range []string{codeRestoreSQL, sqltext.CodeRevoke, codeForgetSQL} {
		b.Queue(q, key.GroupID, key.PhoneNumber, key.Scene, text(messageID))
	}
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("postgres: revoke %s code of group %s, message %s: %w", key.Scene, key.GroupID, messageID, err)
	}
	return nil
}

// VerifyCode checks the code of key at now against hashes, and counts the
// check, in one transaction that locks the code's row.
func (s *Store) VerifyCode(ctx context.Context, key notify.CodeKey, hashes [][]byte, now time.Time, maxAttempts int) (notify.CodeResult, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return notify.CodeResult{}, err
	}
	defer done()
	res, err := s.verifyCode(ctx, key, hashes, now, maxAttempts)
	if err != nil {
		return notify.CodeResult{}, fmt.Errorf("postgres: verify %s code of group %s: %w", key.Scene, key.GroupID, err)
	}
	return res, nil
}

func (s *Store) verifyCode(ctx context.Context, key notify.CodeKey, hashes [][]byte, now time.Time, maxAttempts int) (notify.CodeResult, error) {
	if err := notify.CheckVerify(key, hashes, maxAttempts); err != nil {
		return notify.CodeResult{}, err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return notify.CodeResult{}, fmt.Errorf("begin: %w", err)
	}
	defer rollback(ctx, tx)
	var k notify.KeptCode
	err = tx.QueryRow(ctx, codeReadSQL, key.GroupID, key.PhoneNumber, key.Scene).Scan(&k.Hash, &k.Attempts, &k.Used, &k.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return notify.CodeResult{Reason: notify.CodeNotFound}, nil
	}
	if err != nil {
		return notify.CodeResult{}, fmt.Errorf("read: %w", err)
	}
	res, changed := k.Check(hashes, now, maxAttempts)
	if !changed {
		return res, nil // nothing to write: the deferred rollback ends the transaction
	}
	update := sqltext.CodeCheck
	if len(k.Hash) == 0 {
		update = sqltext.CodeWipe
	}
	if _, err := tx.Exec(ctx, update, key.GroupID, key.PhoneNumber, key.Scene, k.Attempts, k.Used, k.Hash); err != nil {
		return notify.CodeResult{}, fmt.Errorf("count the check: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
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
	at, err := dbTime("purge time", before)
	if err != nil {
		return 0, fmt.Errorf("postgres: purge codes: %w", err)
	}
	tag, err := s.pool.Exec(ctx, sqltext.CodePurge, at)
	if err != nil {
		return 0, fmt.Errorf("postgres: purge codes: %w", err)
	}
	return tag.RowsAffected(), nil
}

// ClaimEscalations returns up to limit codes due for escalation at now and
// marks them escalated, their sealed copies wiped, in one statement
// (codeClaimSQL).
func (s *Store) ClaimEscalations(ctx context.Context, now time.Time, limit int) ([]notify.Escalation, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	at, err := dbTime("claim time", now)
	if err != nil {
		return nil, fmt.Errorf("postgres: claim codes due for escalation: %w", err)
	}
	if limit < 1 {
		return nil, nil
	}
	var es []notify.Escalation
	err = each(ctx, s.pool, codeClaimSQL, []any{at, limit}, func(r pgx.Rows) error {
		var (
			e  notify.Escalation
			to string
		)
		if err := r.Scan(&e.Key.GroupID, &e.Key.PhoneNumber, &e.Key.Scene, &e.Sealed, &e.MessageID, &e.ExpiresAt, &to); err != nil {
			return err
		}
		e.EscalateTo = notify.EscalateTo(to)
		es = append(es, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: claim codes due for escalation: %w", err)
	}
	return es, nil
}
