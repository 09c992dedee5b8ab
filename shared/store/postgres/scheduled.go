package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/internal/sqltext"
)

var _ notify.ScheduledStore = (*Store)(nil)

// claimUnsettledSQL is the SQLite store's, skipping the rows a concurrent
// claim has locked.
const claimUnsettledSQL = `UPDATE messages SET checked_at = $1 WHERE id IN (
	SELECT id FROM messages
	WHERE status IN ('accepted', 'submitted', 'unknown') AND NOT sandbox
		AND created_at >= $2 AND created_at < $3 AND (checked_at IS NULL OR checked_at < $3)
	ORDER BY checked_at NULLS FIRST, created_at LIMIT $4
	FOR UPDATE SKIP LOCKED)
RETURNING ` + sqltext.MessageColumns

// ClaimUnsettled returns up to n unsettled messages, those never checked
// or checked longest ago first, marked checked at now; concurrent claims get disjoint messages.
func (s *Store) ClaimUnsettled(ctx context.Context, now, since, before time.Time, n int) ([]*notify.Message, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	var ms []*notify.Message
	ts := [3]time.Time{now, since, before}
	for i := range ts {
		ts[i] = ts[i].UTC().Truncate(time.Millisecond) // as dbTime
	}
	err = each(ctx, s.pool, claimUnsettledSQL, []any{ts[0], ts[1], ts[2], n}, func(r pgx.Rows) error {
		m, err := scanMessage(r.Scan)
		if err == nil {
			ms = append(ms, m)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: claim unsettled messages: %w", err)
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
	var got notify.Purged
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return got, fmt.Errorf("postgres: purge: begin: %w", err)
	}
	defer rollback(ctx, tx)
	// The cut-offs to the millisecond, as dbTime keeps times and the SQLite
	// store compares them: both delete the same rows.
	ms := func(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }
	now, delivered, old := ms(p.Now), ms(p.DeliveredBefore), ms(p.MessagesBefore)
	counts := [...]*int64{sqltext.CountKeys: &got.Keys, sqltext.CountEvents: &got.Events,
		sqltext.CountMessages: &got.Messages, sqltext.CountReports: &got.Reports, sqltext.CountQuotas: &got.Quotas}
	oldID := notify.IDBefore(p.MessagesBefore)
	for _, st := range sqltext.PurgeSteps(now, delivered, old, p.Limit, oldID, quotaSweepSQL) {
		switch st.Query {
		case sqltext.PurgeMessageReports:
			if err := purgeOldMessages(ctx, tx, old, p.Limit, oldID, &got); err != nil {
				return notify.Purged{}, err
			}
			continue
		case sqltext.PurgeMessageEvents, sqltext.PurgeMessages:
			continue // purgeOldMessages's
		}
		tag, err := tx.Exec(ctx, st.Query, st.Args...)
		if err != nil {
			return notify.Purged{}, fmt.Errorf("postgres: purge %s: %w", st.What, err)
		}
		*counts[st.Count] += tag.RowsAffected()
	}
	if err := tx.Commit(ctx); err != nil {
		return notify.Purged{}, fmt.Errorf("postgres: purge: commit: %w", err)
	}
	return got, nil
}

// The statements of purgeOldMessages.
const (
	// lockOldMessagesSQL locks the old messages a purge deletes
	// (sqltext.OldMessages), skipping those a report holds.
	lockOldMessagesSQL   = sqltext.OldMessages + ` FOR UPDATE OF m SKIP LOCKED`
	purgeReportsOfSQL    = `DELETE FROM reports WHERE message_id = ANY($1)`
	purgeEventsOfSQL     = `DELETE FROM events WHERE message_id = ANY($1)`
	purgeMessagesByIDSQL = `DELETE FROM messages WHERE id = ANY($1)`
)

// purgeOldMessages deletes, in tx, up to limit messages recorded before
// old (and with ids before oldID), with their reports and events. The
// messages are picked and locked first, and their reports and events
// deleted by id after: each of the SQLite store's three statements picks
// its messages again, at a snapshot of its own, and a purge running beside
// it (another instance's, or the next tick's) that deleted the first batch
// in between made the messages step of this one delete the next batch,
// whose reports nobody deleted. The lock also keeps out a report of one of
// them (a report locks its message): one that came first is in the
// snapshot of the deletes, one that comes later finds its message gone
// and is kept as an orphan, which a later purge deletes.
func purgeOldMessages(ctx context.Context, tx pgx.Tx, old time.Time, limit int, oldID string, got *notify.Purged) error {
	var ids []string
	err := each(ctx, tx, lockOldMessagesSQL, []any{old, limit, oldID}, func(r pgx.Rows) error {
		var id string
		err := r.Scan(&id)
		ids = append(ids, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: purge old messages: %w", err)
	}
	if len(ids) == 0 {
		return nil
	}
	for _, st := range []struct {
		what, query string
		n           *int64
	}{
		{"reports of old messages", purgeReportsOfSQL, &got.Reports},
		{"events of old messages", purgeEventsOfSQL, &got.Events},
		{"old messages", purgeMessagesByIDSQL, &got.Messages},
	} {
		tag, err := tx.Exec(ctx, st.query, ids)
		if err != nil {
			return fmt.Errorf("postgres: purge %s: %w", st.what, err)
		}
		*st.n += tag.RowsAffected()
	}
	return nil
}
