package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/internal/sqltext"
)

var _ notify.EventStore = (*Store)(nil)

// eventsFromReportsSQL is sqltext.EventsFromReports with the index of a
// report's recipient among its message's.
var eventsFromReportsSQL = fmt.Sprintf(sqltext.EventsFromReports,
	`(SELECT (j.n - 1)::text FROM jsonb_array_elements_text(m.recipients) WITH ORDINALITY AS j(v, n)
		WHERE j.v = r.recipient LIMIT 1)`)

// The outbox statements that differ from SQLite's.
const (
	// eventsFromFailureSQL is the SQLite store's: an event for each
	// recipient of failed message $1 without a final report, due at $2,
	// "evt_<message>_<index from 0>f".
	eventsFromFailureSQL = `INSERT INTO events (` + sqltext.EventColumns + `)
SELECT 'evt_' || m.id || '_' || (j.key - 1) || 'f', m.group_id, m.id, 'message.failed', m.channel, j.value, 'failed',
	m.error_code, m.error_text, m.out_id, m.provider, m.provider_id, '', m.updated_at, 'pending', $2,
	COALESCE(t.station_id, ''), COALESCE(t.id, 0)
FROM messages m CROSS JOIN jsonb_array_elements_text(m.recipients) WITH ORDINALITY AS j(value, key)` + sqltext.EventTask + `
WHERE m.id = $1 AND m.webhook AND m.status = 'failed'
	AND NOT EXISTS (SELECT 1 FROM reports r WHERE r.message_id = m.id AND r.recipient = j.value
		AND r.status IN ('delivered', 'failed'))
ON CONFLICT DO NOTHING`
	// claimEventsSQL leases up to $3 events due at $1 until $2, skipping
	// those another claim holds locked.
	claimEventsSQL = `UPDATE events SET attempts = attempts + 1, next_at = $2
WHERE id IN (SELECT id FROM events WHERE state = 'pending' AND next_at <= $1
	ORDER BY next_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
RETURNING id, group_id, message_id, type, channel, recipient, status, code, text, out_id, provider,
	provider_id, sign_name, happened_at, state, attempts, next_at, last_status, last_error, done_at, station_id, task_id`
)

// emitEvents writes, in tx, the events of message id as it now stands, as
// the SQLite store's emitEvents does, in one round trip.
func emitEvents(ctx context.Context, tx pgx.Tx, id string, now time.Time) error {
	b := &pgx.Batch{}
	queueEvents(b, id, now)
	br := tx.SendBatch(ctx, b)
	err := readEvents(br)
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return err
}

// queueEvents queues the statements of the events of message id, due at
// now, in b; readEvents reads their results.
func queueEvents(b *pgx.Batch, id string, now time.Time) {
	b.Queue(eventsFromReportsSQL, id, now, now.Add(-notify.KeepDelivered))
	b.Queue(eventsFromFailureSQL, id, now)
}

// readEvents reads the results of queueEvents's statements from br.
func readEvents(br pgx.BatchResults) error {
	if _, err := br.Exec(); err != nil {
		return fmt.Errorf("write the webhook events of its reports: %w", err)
	}
	if _, err := br.Exec(); err != nil {
		return fmt.Errorf("write the webhook events of its failure: %w", err)
	}
	return nil
}

// ClaimEvents leases up to n due events, as notify.EventStore says: rows
// another claim has locked are skipped, so concurrent claims get disjoint
// events.
func (s *Store) ClaimEvents(ctx context.Context, now time.Time, lease time.Duration, n int) ([]notify.Event, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	now, err = dbTime("claim time", now)
	if err != nil {
		return nil, fmt.Errorf("postgres: claim webhook events: %w", err)
	}
	n = min(max(n, 0), notify.MaxEventsClaim)
	evs, err := scanEvents(ctx, s.pool, claimEventsSQL, now, now.Add(lease), n)
	if err != nil {
		return nil, fmt.Errorf("postgres: claim webhook events: %w", err)
	}
	slices.SortFunc(evs, func(a, b notify.Event) int { return strings.Compare(a.ID, b.ID) })
	return evs, nil
}

// FinishEvent records an attempt at event id.
func (s *Store) FinishEvent(ctx context.Context, id string, a notify.Attempt) error {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return err
	}
	defer done()
	at, err := dbTime("attempt time", a.At)
	if err != nil {
		return fmt.Errorf("postgres: record a delivery of webhook event %s: %w", id, err)
	}
	switch {
	case a.Err == nil:
		_, err = s.pool.Exec(ctx, sqltext.EventDelivered, text(id), at, a.Status)
	case a.NextAt.IsZero():
		_, err = s.pool.Exec(ctx, sqltext.EventDie, text(id), at, a.Status, attemptError(a.Err))
	default:
		var next time.Time
		if next, err = dbTime("retry time", a.NextAt); err == nil {
			_, err = s.pool.Exec(ctx, sqltext.EventRetry, text(id), next, a.Status, attemptError(a.Err))
		}
	}
	if err != nil {
		return fmt.Errorf("postgres: record a delivery of webhook event %s: %w", id, err)
	}
	return nil
}

// MessageEvents returns the events of message id, oldest first.
func (s *Store) MessageEvents(ctx context.Context, id string) ([]notify.Event, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	evs, err := scanEvents(ctx, s.pool, sqltext.EventsOfMessage, text(id))
	if err != nil {
		return nil, fmt.Errorf("postgres: read the webhook events of message %s: %w", id, err)
	}
	return evs, nil
}

// attemptError is an attempt's error as kept: valid text of at most 500
// bytes.
func attemptError(err error) string {
	s := text(err.Error())
	if len(s) > 500 {
		s = strings.ToValidUTF8(s[:500], "")
	}
	return s
}

// scanEvents runs sql, which selects events, on q, and returns them.
func scanEvents(ctx context.Context, q querier, sql string, args ...any) ([]notify.Event, error) {
	var evs []notify.Event
	err := each(ctx, q, sql, args, func(r pgx.Rows) error {
		var (
			e               notify.Event
			channel, status string
			done            *time.Time
		)
		err := r.Scan(&e.ID, &e.GroupID, &e.MessageID, &e.Type, &channel, &e.Recipient, &status, &e.Code, &e.Text,
			&e.OutID, &e.Provider, &e.ProviderID, &e.SignName, &e.At, &e.State, &e.Attempts, &e.NextAt,
			&e.LastStatus, &e.LastError, &done, &e.Station, &e.TaskID)
		if err != nil {
			return err
		}
		e.Channel, e.Status = notify.Channel(channel), notify.Status(status)
		e.At, e.NextAt = e.At.UTC(), e.NextAt.UTC()
		if done != nil && e.State == notify.EventDone {
			e.DeliveredAt = done.UTC()
		}
		evs = append(evs, e)
		return nil
	})
	return evs, err
}
