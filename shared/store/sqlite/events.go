package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/internal/sqltext"
)

var _ notify.EventStore = (*Store)(nil)

// eventsFromReportsSQL is sqltext.EventsFromReports with the index of a
// report's recipient among its message's.
var eventsFromReportsSQL = fmt.Sprintf(sqltext.EventsFromReports,
	`(SELECT j.key FROM json_each(m.recipients) j WHERE j.value = r.recipient)`)

// The outbox statements that differ from PostgreSQL's.
const (
	// eventsFromFailureSQL writes a failed event for each recipient of
	// failed message $1 that has no final report, due at $2: the
	// message was certainly not sent, or failed as a whole.
	// "evt_<message>_<index of the recipient>f".
	eventsFromFailureSQL = `INSERT INTO events (` + sqltext.EventColumns + `)
SELECT 'evt_' || m.id || '_' || j.key || 'f', m.group_id, m.id, 'message.failed', m.channel, j.value, 'failed',
	m.error_code, m.error_text, m.out_id, m.provider, m.provider_id, '', m.updated_at, 'pending', $2,
	COALESCE(t.station_id, ''), COALESCE(t.id, 0)
FROM messages m CROSS JOIN json_each(m.recipients) j` + sqltext.EventTask + `
WHERE m.id = $1 AND m.webhook AND m.status = 'failed'
	AND NOT EXISTS (SELECT 1 FROM reports r WHERE r.message_id = m.id AND r.recipient = j.value
		AND r.status IN ('delivered', 'failed'))
ON CONFLICT DO NOTHING`
	// claimEventsSQL leases up to $3 events due at $1 until $2.
	claimEventsSQL = `UPDATE events SET attempts = attempts + 1, next_at = $2
WHERE id IN (SELECT id FROM events WHERE state = 'pending' AND next_at <= $1
	ORDER BY next_at, id LIMIT $3)
RETURNING id, group_id, message_id, type, channel, recipient, status, code, text, out_id, provider,
	provider_id, sign_name, happened_at, state, attempts, next_at, last_status, last_error, done_at, station_id, task_id`
)

// emitEvents writes, in tx, the events of message id as it now stands: one
// per final report and, when it failed, one per recipient without one.
// The events' ids make writing them twice harmless.
func (s *Store) emitEvents(ctx context.Context, tx *sql.Tx, id string, now time.Time) error {
	at := formatTime(now)
	since := formatTime(now.Add(-notify.KeepDelivered))
	if _, err := tx.StmtContext(ctx, s.eventsOfReports).ExecContext(ctx, id, at, since); err != nil {
		return fmt.Errorf("write the webhook events of its reports: %w", err)
	}
	if _, err := tx.StmtContext(ctx, s.eventsOfFailure).ExecContext(ctx, id, at); err != nil {
		return fmt.Errorf("write the webhook events of its failure: %w", err)
	}
	return nil
}

// ClaimEvents leases up to n due events, as notify.EventStore says; the
// IMMEDIATE transaction of the one statement keeps another claim out.
func (s *Store) ClaimEvents(ctx context.Context, now time.Time, lease time.Duration, n int) ([]notify.Event, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	defer s.wrote()
	n = min(max(n, 0), notify.MaxEventsClaim)
	rows, err := s.db.QueryContext(ctx, claimEventsSQL, formatTime(now), formatTime(now.Add(lease)), n)
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim webhook events: %w", err)
	}
	evs, err := scanEvents(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim webhook events: %w", err)
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
	defer s.wrote()
	switch {
	case a.Err == nil:
		_, err = s.db.ExecContext(ctx, sqltext.EventDelivered, id, formatTime(a.At), a.Status)
	case a.NextAt.IsZero():
		_, err = s.db.ExecContext(ctx, sqltext.EventDie, id, formatTime(a.At), a.Status, attemptError(a.Err))
	default:
		_, err = s.db.ExecContext(ctx, sqltext.EventRetry, id, formatTime(a.NextAt), a.Status, attemptError(a.Err))
	}
	if err != nil {
		return fmt.Errorf("sqlite: record a delivery of webhook event %s: %w", id, err)
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
	rows, err := s.db.QueryContext(ctx, sqltext.EventsOfMessage, id)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read the webhook events of message %s: %w", id, err)
	}
	evs, err := scanEvents(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read the webhook events of message %s: %w", id, err)
	}
	return evs, nil
}

// attemptError is an attempt's error as kept: at most 500 bytes.
func attemptError(err error) string {
	s := strings.ToValidUTF8(err.Error(), "?")
	if len(s) > 500 {
		s = strings.ToValidUTF8(s[:500], "")
	}
	return s
}

func scanEvents(rows *sql.Rows) ([]notify.Event, error) {
	defer rows.Close()
	var evs []notify.Event
	for rows.Next() {
		var (
			e                      notify.Event
			channel, status        string
			happened, next, doneAt string
		)
		err := rows.Scan(&e.ID, &e.GroupID, &e.MessageID, &e.Type, &channel, &e.Recipient, &status, &e.Code, &e.Text,
			&e.OutID, &e.Provider, &e.ProviderID, &e.SignName, &happened, &e.State, &e.Attempts, &next,
			&e.LastStatus, &e.LastError, &doneAt, &e.Station, &e.TaskID)
		if err != nil {
			return nil, err
		}
		e.Channel, e.Status = notify.Channel(channel), notify.Status(status)
		if e.At, err = parseTime(happened); err != nil {
			return nil, fmt.Errorf("event %s: %w", e.ID, err)
		}
		if e.NextAt, err = parseTime(next); err != nil {
			return nil, fmt.Errorf("event %s: %w", e.ID, err)
		}
		if doneAt != "" && e.State == notify.EventDone {
			if e.DeliveredAt, err = parseTime(doneAt); err != nil {
				return nil, fmt.Errorf("event %s: %w", e.ID, err)
			}
		}
		evs = append(evs, e)
	}
	return evs, rows.Err()
}
