package sqlite

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/internal/sqltext"
)

var _ notify.ScheduledStore = (*Store)(nil)

// claimUnsettledSQL marks checked at $1 up to $4 messages no report has
// settled, created in [$2, $3) and not checked since $3, and returns them.
// Its WHERE clause is messages_unsettled's, for SQLite to use the index.
const claimUnsettledSQL = `UPDATE messages SET checked_at = $1 WHERE id IN (
	SELECT id FROM messages
	WHERE status IN ('accepted', 'submitted', 'unknown') AND sandbox = 0
		AND created_at >= $2 AND created_at < $3 AND checked_at < $3
	ORDER BY checked_at, created_at LIMIT $4)
RETURNING ` + sqltext.MessageColumns

// ClaimUnsettled returns up to n unsettled messages, those never checked
// or checked longest ago first, marked checked at now; the IMMEDIATE transaction of the one statement keeps a
// concurrent claim from taking them too.
func (s *Store) ClaimUnsettled(ctx context.Context, now, since, before time.Time, n int) ([]*notify.Message, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	defer s.wrote()
	rows, err := s.db.QueryContext(ctx, claimUnsettledSQL, formatTime(now), formatTime(since), formatTime(before), n)
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim unsettled messages: %w", err)
	}
	defer rows.Close()
	var ms []*notify.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: claim unsettled messages: %w", err)
		}
		ms = append(ms, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: claim unsettled messages: %w", err)
	}
	slices.SortFunc(ms, func(a, b *notify.Message) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return ms, nil
}

// Purge deletes, in one transaction, up to p.Limit rows of each kind that
// expired, as notify.ScheduledStore says.
func (s *Store) Purge(ctx context.Context, p notify.Purge) (notify.Purged, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return notify.Purged{}, err
	}
	defer done()
	defer s.wrote()
	var got notify.Purged
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return got, fmt.Errorf("sqlite: purge: begin: %w", err)
	}
	defer tx.Rollback()
	now, delivered, old := formatTime(p.Now), formatTime(p.DeliveredBefore), formatTime(p.MessagesBefore)
	counts := [...]*int64{sqltext.CountKeys: &got.Keys, sqltext.CountEvents: &got.Events,
		sqltext.CountMessages: &got.Messages, sqltext.CountReports: &got.Reports, sqltext.CountQuotas: &got.Quotas}
	for _, st := range sqltext.PurgeSteps(now, delivered, old, p.Limit, notify.IDBefore(p.MessagesBefore), quotaSweepSQL) {
		res, err := tx.ExecContext(ctx, st.Query, st.Args...)
		if err != nil {
			return notify.Purged{}, fmt.Errorf("sqlite: purge %s: %w", st.What, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return notify.Purged{}, fmt.Errorf("sqlite: purge %s: %w", st.What, err)
		}
		*counts[st.Count] += n
	}
	if err := tx.Commit(); err != nil {
		return notify.Purged{}, fmt.Errorf("sqlite: purge: commit: %w", err)
	}
	return got, nil
}
