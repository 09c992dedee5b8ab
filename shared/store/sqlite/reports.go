package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/internal/sqltext"
)

var _ notify.ReportStore = (*Store)(nil)

// The statements of the reports that differ from the PostgreSQL store's
// (the rest are in sqltext): there the match must also lock the message
// (FOR UPDATE), which SQLite's IMMEDIATE transaction does for the whole
// file.
const (
	// reportMatchSQL finds the messages a report may name, newest first.
	// provider_id <> '' lets SQLite use the partial index
	// messages_provider_id, and keeps a report without an id from
	// matching the records no provider accepted.
	reportMatchSQL = `SELECT id, recipients, status, channel, webhook FROM messages
WHERE provider = $1 AND provider_id = $2 AND provider_id <> '' AND channel = $3
ORDER BY created_at DESC, id DESC`
	// reportMessageSQL finds the message a report names by our id, as
	// the gateway's own reports of a send name it.
	reportMessageSQL = `SELECT id, recipients, status, channel, webhook FROM messages WHERE id = $1`
	// reportByOutIDSQL finds the message a report names by our id in its
	// out_id, which the gateway sends as OutId when the caller gave none:
	// a message whose outcome was unknown, so that no provider id was
	// recorded. sqltext.LearnID then records the report's.
	reportByOutIDSQL = `SELECT id, recipients, status, channel, webhook FROM messages
WHERE id = $1 AND provider = $2 AND channel = $3 AND provider_id = '' AND out_id = ''`
)

// RecordReport keeps r and moves the message it names along its life
// cycle, in one transaction. The message is the newest record with r's
// provider, provider id and channel that has r.Recipient among its
// recipients; with none (an unknown id, a masked or unknown number), r is
// kept as an orphan, with MessageID "". A report that names no recipient
// at all (Aliyun's VoiceCallReport does not) names the one recipient of a
// message that has only one, a call always, and is kept as that
// recipient's; of any other message it is an orphan. The same report
// recorded before (provider, provider id, channel, recipient, status and
// code) is a Duplicate and changes nothing, even when it was an orphan
// then and would match now.
//
// A report whose provider id no record has yet may still name its message
// by our id in OutID, as the gateway sends it (see matchReport): a send
// whose outcome was unknown then gets the report and its provider id.
//
// An orphan is adopted when the id it names comes: by FinishMessage with
// that provider id, by the send's own report of a number's id (one with
// MessageID set), or by a report that gave its message that id through
// OutID; the last two adopt the orphans of their id here.
//
// The message then moves as notify.Settle says; UpdatedAt is set when its
// status changes.
func (s *Store) RecordReport(ctx context.Context, r notify.Report) (notify.ReportResult, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return notify.ReportResult{}, err
	}
	defer done()
	defer s.wrote()
	res, err := s.recordReport(ctx, r, time.Now())
	if err != nil {
		// Errors name the provider's id, never the recipient.
		return notify.ReportResult{}, fmt.Errorf("sqlite: record %s report for %q: %w", r.Provider, r.ProviderID, err)
	}
	return res, nil
}

func (s *Store) recordReport(ctx context.Context, r notify.Report, now time.Time) (notify.ReportResult, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return notify.ReportResult{}, err
	}
	defer tx.Rollback()
	m, err := matchReport(ctx, tx, r)
	if err != nil {
		return notify.ReportResult{}, fmt.Errorf("find its message: %w", err)
	}
	var res notify.ReportResult
	if m != nil {
		res.MessageID, res.Status = m.id, m.status
		if r.Recipient == "" {
			r.Recipient = m.recipients[0]
		}
	}
	raw := []byte(r.Raw)
	if raw == nil {
		raw = []byte{}
	}
	ins, err := tx.ExecContext(ctx, sqltext.ReportInsert, res.MessageID, r.Provider, string(r.Channel), r.ProviderID,
		r.Recipient, string(r.Status), r.Code, r.Text, r.OutID, reportTime(r.At), formatTime(now), raw)
	if err != nil {
		return notify.ReportResult{}, fmt.Errorf("insert: %w", err)
	}
	n, err := ins.RowsAffected()
	if err != nil {
		return notify.ReportResult{}, fmt.Errorf("insert: %w", err)
	}
	if n == 0 {
		res.Duplicate = true
		return res, nil // nothing was written: the deferred Rollback ends the transaction
	}
	if m != nil && (r.MessageID != "" || m.learned) && r.ProviderID != "" {
		if err := adopt(ctx, tx, m, r.Provider, r.ProviderID); err != nil {
			return notify.ReportResult{}, fmt.Errorf("adopt the earlier reports of its id: %w", err)
		}
	}
	if m != nil {
		if res.Status, err = settle(ctx, tx, m, now); err != nil {
			return notify.ReportResult{}, fmt.Errorf("settle message %s: %w", m.id, err)
		}
		if m.webhook {
			if err := s.emitEvents(ctx, tx, m.id, now); err != nil {
				return notify.ReportResult{}, fmt.Errorf("message %s: %w", m.id, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return notify.ReportResult{}, fmt.Errorf("commit: %w", err)
	}
	return res, nil
}

// matched is the message a report names.
type matched struct {
	id         string
	recipients []string
	status     notify.Status
	channel    notify.Channel
	webhook    bool // its group had a webhook: its final states write events
	learned    bool // the report's provider id is the message's now
}

// names reports whether a report for recipient names m: one of its
// recipients, or none for a message of one.
func (m *matched) names(recipient string) bool {
	return slices.Contains(m.recipients, recipient) || (recipient == "" && len(m.recipients) == 1)
}

// adopt makes m's the orphans of provider's id pid on m's channel that name
// one of its recipients (a report without one then reads back with m's
// one). An orphan that would then be the same report as one kept already
// (pushed once without the number and once with it) stays an orphan.
func adopt(ctx context.Context, tx *sql.Tx, m *matched, provider, pid string) error {
	rows, err := tx.QueryContext(ctx, sqltext.Orphans, provider, pid, string(m.channel))
	if err != nil {
		return err
	}
	type orphan struct {
		id        int64
		recipient string
	}
	var orphans []orphan
	for rows.Next() {
		var o orphan
		if err := rows.Scan(&o.id, &o.recipient); err != nil {
			rows.Close()
			return err
		}
		if m.names(o.recipient) {
			orphans = append(orphans, o)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, o := range orphans {
		if o.recipient == "" {
			o.recipient = m.recipients[0]
		}
		if _, err := tx.ExecContext(ctx, sqltext.Adopt, m.id, o.recipient, o.id); err != nil {
			return err
		}
	}
	return nil
}

// matchReport returns the message r names, or nil: the one r.MessageID
// names when set (the gateway's own reports of a send); else the newest
// with r's provider id that has r's recipient; else the message a report
// recorded at the send gives r's provider id and recipient; else, for a
// report with a provider id, the message its OutID names, when that
// message has no provider id (its outcome was unknown) and no OutId of the
// caller's, which then takes r's provider id (m.learned).
func matchReport(ctx context.Context, tx *sql.Tx, r notify.Report) (*matched, error) {
	if r.MessageID != "" {
		return firstMatch(ctx, tx, reportMessageSQL, nil, r.MessageID)
	}
	m, err := firstMatch(ctx, tx, reportMatchSQL, &r.Recipient, r.Provider, r.ProviderID, string(r.Channel))
	if m != nil || err != nil {
		return m, err
	}
	if r.Recipient != "" {
		var id string
		err = tx.QueryRowContext(ctx, sqltext.ReportByRecipientID, r.Provider, r.ProviderID, string(r.Channel), r.Recipient).Scan(&id)
		if err == nil {
			return firstMatch(ctx, tx, reportMessageSQL, nil, id)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
	}
	if r.OutID == "" || r.ProviderID == "" {
		return nil, nil
	}
	m, err = firstMatch(ctx, tx, reportByOutIDSQL, &r.Recipient, r.OutID, r.Provider, string(r.Channel))
	if m == nil || err != nil {
		return m, err
	}
	if _, err := tx.ExecContext(ctx, sqltext.LearnID, m.id, r.ProviderID); err != nil {
		return nil, fmt.Errorf("record the provider id %q of message %s: %w", r.ProviderID, m.id, err)
	}
	m.learned = true
	return m, nil
}

// firstMatch runs the match query q and returns the first message it finds
// that has *recipient among its recipients (a message of one when
// *recipient is ""); with recipient nil, the first message.
func firstMatch(ctx context.Context, tx *sql.Tx, q string, recipient *string, args ...any) (*matched, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			m                     matched
			rcpt, status, channel string
		)
		if err := rows.Scan(&m.id, &rcpt, &status, &channel, &m.webhook); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(rcpt), &m.recipients); err != nil {
			return nil, fmt.Errorf("message %s: decode recipients: %w", m.id, err)
		}
		if recipient == nil || m.names(*recipient) {
			m.status, m.channel = notify.Status(status), notify.Channel(channel)
			return &m, rows.Err()
		}
	}
	return nil, rows.Err()
}

// settle works out m's status from its reports (notify.Settle), records
// it if it changed, and returns it.
func settle(ctx context.Context, tx *sql.Tx, m *matched, now time.Time) (notify.Status, error) {
	if m.status == notify.Delivered || m.status == notify.Failed {
		return m.status, nil
	}
	rows, err := tx.QueryContext(ctx, sqltext.ReportFinals, m.id, string(notify.Delivered), string(notify.Failed))
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var finals []notify.Report
	for rows.Next() {
		var (
			f      notify.Report
			status string
		)
		if err := rows.Scan(&f.Recipient, &status, &f.Code, &f.Text); err != nil {
			return "", err
		}
		f.Status = notify.Status(status)
		finals = append(finals, f)
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	next, code, text, moves := notify.Settle(m.status, m.recipients, finals)
	if !moves {
		return m.status, nil
	}
	if next == notify.Submitted {
		// The error of an unknown send stays: it is the history of the
		// send, and the message is not settled yet.
		_, err = tx.ExecContext(ctx, sqltext.ReportSubmit, m.id, string(next), formatTime(now),
			string(notify.Accepted), string(notify.Unknown))
	} else {
		_, err = tx.ExecContext(ctx, sqltext.ReportSettle, m.id, string(next), code, text, formatTime(now),
			string(notify.Delivered), string(notify.Failed))
	}
	if err != nil {
		return "", err
	}
	return next, nil
}

// reportTime is how a provider's time is stored: "" when it did not say,
// or said something the fixed-width layout cannot hold (year 0 in Beijing
// is year -1 in UTC); a report is worth more than its timestamp.
func reportTime(t time.Time) string {
	if t.IsZero() || checkTime("", t) != nil {
		return ""
	}
	return formatTime(t)
}

// RecordInbound keeps r once per provider and sequence id, and reports
// whether it was new. An inbound reply without a sequence id cannot be told from
// another, and is always kept.
func (s *Store) RecordInbound(ctx context.Context, r notify.Inbound) (bool, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return false, err
	}
	defer done()
	defer s.wrote()
	raw := []byte(r.Raw)
	if raw == nil {
		raw = []byte{}
	}
	now := formatTime(time.Now())
	args := []any{r.Provider, r.SequenceID, r.Recipient, r.Content, r.DestCode, r.SignName, reportTime(r.At), now, raw}
	if r.GroupID == "" {
		res, err := s.db.ExecContext(ctx, sqltext.InboundInsert, args...)
		if err != nil {
			return false, fmt.Errorf("sqlite: record %s inbound reply %q: %w", r.Provider, r.SequenceID, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return false, fmt.Errorf("sqlite: record %s inbound reply %q: %w", r.Provider, r.SequenceID, err)
		}
		return n == 1, nil
	}
	// A reply for a group with a webhook is kept with its event.
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("sqlite: record %s inbound reply %q: begin: %w", r.Provider, r.SequenceID, err)
	}
	defer tx.Rollback()
	var id int64
	err = tx.QueryRowContext(ctx, sqltext.InboundInsertID, args...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err == nil {
		_, err = tx.ExecContext(ctx, sqltext.InboundEvent, id, r.GroupID, now)
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		return false, fmt.Errorf("sqlite: record %s inbound reply %q: %w", r.Provider, r.SequenceID, err)
	}
	return true, nil
}

// Reports returns the reports recorded for message id, oldest first; the
// id "" lists the orphans.
func (s *Store) Reports(ctx context.Context, messageID string) ([]notify.Report, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	rows, err := s.db.QueryContext(ctx, sqltext.Reports, messageID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read the reports of message %s: %w", messageID, err)
	}
	defer rows.Close()
	var rs []notify.Report
	for rows.Next() {
		var (
			r                  notify.Report
			channel, status    string
			reported, received string
			raw                []byte
		)
		if err := rows.Scan(&r.MessageID, &r.Provider, &channel, &r.ProviderID, &r.Recipient, &status, &r.Code,
			&r.Text, &r.OutID, &reported, &received, &raw); err != nil {
			return nil, fmt.Errorf("sqlite: read the reports of message %s: %w", messageID, err)
		}
		r.Channel, r.Status = notify.Channel(channel), notify.Status(status)
		if len(raw) > 0 {
			r.Raw = raw
		}
		if reported != "" {
			if r.At, err = parseTime(reported); err != nil {
				return nil, fmt.Errorf("sqlite: read the reports of message %s: reported_at: %w", messageID, err)
			}
		}
		if r.ReceivedAt, err = parseTime(received); err != nil {
			return nil, fmt.Errorf("sqlite: read the reports of message %s: received_at: %w", messageID, err)
		}
		rs = append(rs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: read the reports of message %s: %w", messageID, err)
	}
	return rs, nil
}
