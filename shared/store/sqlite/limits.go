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

var _ notify.LimitStore = (*Store)(nil)

// The statements of the send limits (migration 005). TakeQuotas runs them
// in one transaction, which the Store's connections begin IMMEDIATE: it
// holds the file's write lock from its first statement, so that takes of
// one quota, from any connection or process, run one after the other.
const (
	// quotaTakeSQL counts one use in a quota's window, unless the window
	// holds $4 (the quota's Max) already: then it changes no row. (No
	// RETURNING: the count of changed rows says it, and an Exec costs
	// less than a query.)
	quotaTakeSQL = `INSERT INTO quotas (key, window_start, uses, expires_at) VALUES ($1, $2, 1, $3)
ON CONFLICT (key, window_start) DO UPDATE SET uses = quotas.uses + 1 WHERE quotas.uses < $4`
	// quotaSweepSQL deletes at most $2 windows, of any key, that ended at
	// or before $1. The takes that sweep (sqltext.Sweeps) delete twice
	// as many as the takes between them may add, so the table holds about
	// the live windows, whether or not a key is used again.
	quotaSweepSQL = `DELETE FROM quotas WHERE (key, window_start) IN (
	SELECT key, window_start FROM quotas WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2)`
)

// TakeQuotas counts one use of every quota in qs in its window at now, all
// or none, in one IMMEDIATE transaction, stopping at the first quota in
// qs that is at its Max. A key that appears several times in qs counts a
// use for each. A quota with Max below 1, or a Window that
// is not a whole number of milliseconds (times are kept to the
// millisecond), is an error, and nothing is counted. Errors name quotas
// by their index in qs, never by key: keys hold phone numbers.
func (s *Store) TakeQuotas(ctx context.Context, now time.Time, qs []notify.Quota) (refused int, retryAfter time.Duration, err error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return -1, 0, err
	}
	defer done()
	defer s.wrote()
	refused, retryAfter, err = s.takeQuotas(ctx, now, qs)
	if err != nil {
		return -1, 0, fmt.Errorf("sqlite: take %d quotas: %w", len(qs), err)
	}
	return refused, retryAfter, nil
}

func (s *Store) takeQuotas(ctx context.Context, now time.Time, qs []notify.Quota) (int, time.Duration, error) {
	if len(qs) == 0 {
		return -1, 0, nil
	}
	ws, err := quotaWindows(now, qs, true)
	if err != nil {
		return -1, 0, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return -1, 0, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if i, wait, err := s.takeIn(ctx, tx, now, qs, ws); i >= 0 || err != nil {
		// The deferred Rollback gives back the uses counted so far.
		return i, wait, err
	}
	if err := tx.Commit(); err != nil {
		return -1, 0, fmt.Errorf("commit: %w", err)
	}
	return -1, 0, nil
}

// takeIn counts the uses of qs at now in tx, and returns the index of the
// first quota at its Max, with the time until its window ends, or -1.
func (s *Store) takeIn(ctx context.Context, tx *sql.Tx, now time.Time, qs []notify.Quota, ws []quotaWindow) (int, time.Duration, error) {
	take := tx.StmtContext(ctx, s.quotaTake)
	for i, q := range qs {
		res, err := take.ExecContext(ctx, q.Key, ws[i].start, ws[i].end, q.Max)
		if err != nil {
			return -1, 0, fmt.Errorf("count quota %d: %w", i, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return -1, 0, fmt.Errorf("count quota %d: %w", i, err)
		} else if n == 0 {
			return i, ws[i].ends.Sub(now), nil
		}
	}
	if n := s.sweeps.Due(len(qs)); n > 0 {
		if _, err := tx.StmtContext(ctx, s.quotaSweep).ExecContext(ctx, formatTime(now), n); err != nil {
			return -1, 0, fmt.Errorf("delete expired windows: %w", err)
		}
	}
	return -1, 0, nil
}

// CreateMessageTakingQuotas is CreateMessage and TakeQuotas in one
// transaction, all or none: when a quota is at its Max it records
// nothing, counts nothing, and returns the quota's index and the time
// until its window ends; otherwise -1. A send pays for one write
// transaction before it goes out, not two. What m.Spend spends is taken
// in the same transaction, once the quotas are counted.
func (s *Store) CreateMessageTakingQuotas(ctx context.Context, m *notify.Message, now time.Time, qs []notify.Quota) (int, time.Duration, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return -1, 0, err
	}
	defer done()
	if err := checkTime("created_at", m.CreatedAt); err != nil {
		return -1, 0, fmt.Errorf("sqlite: create message %s: %w", m.ID, err)
	}
	if err := checkTime("updated_at", m.UpdatedAt); err != nil {
		return -1, 0, fmt.Errorf("sqlite: create message %s: %w", m.ID, err)
	}
	rcpt, err := encodeRecipients(m)
	if err != nil {
		return -1, 0, err
	}
	ws, err := quotaWindows(now, qs, true)
	if err != nil {
		return -1, 0, fmt.Errorf("sqlite: take %d quotas: %w", len(qs), err)
	}
	refused, wait := -1, time.Duration(0)
	err = s.inGroup(ctx, func(ctx context.Context, tx *sql.Tx) (bool, error) {
		refused, wait = -1, 0
		if err := s.createIn(ctx, tx, m, rcpt); err != nil {
			return false, err
		}
		i, w, err := s.takeIn(ctx, tx, now, qs, ws)
		if err != nil {
			return false, fmt.Errorf("sqlite: take %d quotas: %w", len(qs), err)
		}
		if i >= 0 {
			refused, wait = i, w
			return true, nil // nothing recorded, nothing counted
		}
		if m.Spend != nil {
			return false, s.spend(ctx, tx, m)
		}
		return false, nil
	})
	if err != nil {
		return -1, 0, groupError("create message "+m.ID, err)
	}
	return refused, wait, nil
}

// ReturnQuotas gives back one use of every quota in qs in its window at
// taken, in one transaction; a use is never returned below zero, and a
// window with no row (never taken, or swept after it ended) is left alone.
func (s *Store) ReturnQuotas(ctx context.Context, taken time.Time, qs []notify.Quota) error {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return err
	}
	defer done()
	defer s.wrote()
	if err := s.returnQuotas(ctx, taken, qs); err != nil {
		return fmt.Errorf("sqlite: return %d quotas: %w", len(qs), err)
	}
	return nil
}

func (s *Store) returnQuotas(ctx context.Context, taken time.Time, qs []notify.Quota) error {
	if len(qs) == 0 {
		return nil
	}
	ws, err := quotaWindows(taken, qs, false)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	for i, q := range qs {
		if _, err := tx.ExecContext(ctx, sqltext.QuotaReturn, q.Key, ws[i].start); err != nil {
			return fmt.Errorf("return quota %d: %w", i, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// quotaWindow is a quota's window as the quotas table keeps it.
type quotaWindow struct {
	start, end string    // formatted
	ends       time.Time // end, to tell the time left
}

// quotaWindows returns the windows of qs at t. It refuses a quota no store
// should count: one with a Window that is not a positive whole number of
// milliseconds, or, when take is set, a Max below 1.
func quotaWindows(t time.Time, qs []notify.Quota, take bool) ([]quotaWindow, error) {
	if err := checkTime("time", t); err != nil {
		return nil, err
	}
	ws := make([]quotaWindow, len(qs))
	for i, q := range qs {
		if take && q.Max < 1 {
			return nil, fmt.Errorf("quota %d: at most %d uses: want at least 1", i, q.Max)
		}
		if q.Window < time.Millisecond || q.Window%time.Millisecond != 0 {
			return nil, fmt.Errorf("quota %d: window %v: want a positive whole number of milliseconds", i, q.Window)
		}
		start := q.WindowStart(t)
		end := start.Add(q.Window)
		if err := errors.Join(checkTime("window start", start), checkTime("window end", end)); err != nil {
			return nil, fmt.Errorf("quota %d: %w", i, err)
		}
		ws[i] = quotaWindow{start: formatTime(start), end: formatTime(end), ends: end}
	}
	return ws, nil
}
