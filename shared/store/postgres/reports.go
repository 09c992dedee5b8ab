package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/internal/sqltext"
)

var _ notify.ReportStore = (*Store)(nil)

// The statements of the reports that differ from the SQLite store's (the
// rest are in sqltext): the match picks the message in SQL and locks its
// row.
const (
	// reportMatchSQL finds the newest message a report names and locks
	// it (FOR UPDATE) until the transaction ends, so that reports for one
	// message work out its status one after the other. provider_id <> ''
	// lets it use the partial index messages_provider_id, and keeps a
	// report without an id from matching the records no provider
	// accepted. A report without a recipient names a message of one.
	reportMatchSQL = `SELECT id, recipients, status, channel, webhook FROM messages
WHERE provider = $1 AND provider_id = $2 AND provider_id <> '' AND channel = $3
	AND (recipients @> jsonb_build_array($4::text) OR ($4::text = '' AND jsonb_array_length(recipients) = 1))
ORDER BY created_at DESC, id DESC
LIMIT 1
FOR UPDATE`
	// reportMessageSQL locks the message a report names by our id, as
	// the gateway's own reports of a send name it.
	reportMessageSQL = `SELECT id, recipients, status, channel, webhook FROM messages WHERE id = $1 FOR UPDATE`
	// reportByOutIDSQL is the SQLite store's, locking the message.
	reportByOutIDSQL = `SELECT id, recipients, status, channel, webhook FROM messages
WHERE id = $1 AND provider = $2 AND channel = $3 AND provider_id = '' AND out_id = ''
FOR UPDATE`
	// reportLockSQL takes a report lock (reportLock) until the end of
	// the transaction.
	reportLockSQL = `SELECT pg_advisory_xact_lock($1)`
)

// RecordReport keeps r and moves the message it names along its life
// cycle, in one transaction, as the SQLite store does. The message is the
// newest record with r's provider, provider id and channel that has
// r.Recipient among its recipients; with none (an unknown id, a masked or
// unknown number), r is kept as an orphan, with MessageID "". A report
// that names no recipient at all (Aliyun's VoiceCallReport does not) names
// the one recipient of a message that has only one, and is kept as that
// recipient's; of any other message it is an orphan. The same report
// recorded before (provider, provider id, channel, recipient, status and
// code) is a Duplicate and changes nothing, even when it was an orphan then
// and would match now. A report whose provider id no record has yet may
// still name its message by our id in OutID, which the message then takes
// its provider id from. An orphan is adopted when the id it names comes:
// by FinishMessage with that provider id, by the send's own report of a
// number's id (one with MessageID set), or by a report that gave its
// message that id through OutID; the last two adopt the orphans of their
// id here.
//
// A report with a provider id is recorded under that id's report lock
// (reportLock), which FinishMessage takes too: without it, a report
// could look for its message before the outcome naming its id commits,
// and the outcome look for orphans before the report commits, and the
// report would stay an orphan.
//
// The matched message's row stays locked (SELECT ... FOR UPDATE) until the
// commit, so that concurrent reports for one message, from any instance,
// work out its status one after the other, each seeing the reports of
// those before it.
//
// The message's status is then worked out from its final reports, the
// latest one recorded for each recipient: delivered when every recipient's
// is delivered; failed when every recipient has one and one failed, with
// that report's code and text as the error (a delivered message has
// none). Short of that, a message still accepted or unknown becomes
// submitted, since the provider evidently has it. A delivered or failed
// message never moves. UpdatedAt is set when the status changes.
func (s *Store) RecordReport(ctx context.Context, r notify.Report) (notify.ReportResult, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return notify.ReportResult{}, err
	}
	defer done()
	res, err := s.recordReport(ctx, r, time.Now())
	if err != nil {
		// Errors name the provider's id, never the recipient.
		return notify.ReportResult{}, fmt.Errorf("postgres: record %s report for %q: %w", r.Provider, r.ProviderID, err)
	}
	return res, nil
}

func (s *Store) recordReport(ctx context.Context, r notify.Report, now time.Time) (notify.ReportResult, error) {
	now, err := dbTime("report time", now)
	if err != nil {
		return notify.ReportResult{}, err
	}
	r.Provider, r.ProviderID, r.Recipient = text(r.Provider), text(r.ProviderID), text(r.Recipient)
	r.Channel, r.Status = notify.Channel(text(string(r.Channel))), notify.Status(text(string(r.Status)))
	r.Code, r.Text, r.OutID = text(r.Code), text(r.Text), text(r.OutID)
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return notify.ReportResult{}, fmt.Errorf("begin: %w", err)
	}
	defer rollback(ctx, tx)
	if r.ProviderID != "" {
		if _, err := tx.Exec(ctx, reportLockSQL, reportLock(r.Provider, r.ProviderID)); err != nil {
			return notify.ReportResult{}, fmt.Errorf("lock: %w", err)
		}
	}
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
		raw = []byte{} // a nil slice is NULL
	}
	tag, err := tx.Exec(ctx, sqltext.ReportInsert, res.MessageID, r.Provider, string(r.Channel), r.ProviderID,
		r.Recipient, string(r.Status), r.Code, r.Text, r.OutID, reportTime(r.At), now, raw)
	if err != nil {
		return notify.ReportResult{}, fmt.Errorf("insert: %w", err)
	}
	if tag.RowsAffected() == 0 {
		res.Duplicate = true
		return res, nil // nothing was written: the deferred rollback ends the transaction
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
			if err := emitEvents(ctx, tx, m.id, now); err != nil {
				return notify.ReportResult{}, fmt.Errorf("message %s: %w", m.id, err)
			}
		}
	}
	if err := tx.Commit(ctx); err != nil {
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

// reportLock is the key of the advisory lock that serializes, for one
// provider id, recording its reports and recording the outcome that names
// it; both pass provider and providerID as stored (text). (A key in the space of migrationLock: a collision, at odds of 2^-64,
// would only make the two wait for each other.)
func reportLock(provider, providerID string) int64 {
	h := fnv.New64a()
	h.Write([]byte("notify reports\x00"))
	h.Write([]byte(provider))
	h.Write([]byte{0})
	h.Write([]byte(providerID))
	return int64(h.Sum64())
}

// adopt makes m's the orphans of provider's id pid on m's channel that name
// one of its recipients, as the SQLite store's adopt does.
func adopt(ctx context.Context, tx pgx.Tx, m *matched, provider, pid string) error {
	type orphan struct {
		id        int64
		recipient string
	}
	var (
		orphans []orphan
		o       orphan
	)
	err := each(ctx, tx, sqltext.Orphans, []any{provider, pid, string(m.channel)}, func(r pgx.Rows) error {
		if err := r.Scan(&o.id, &o.recipient); err != nil {
			return err
		}
		if m.names(o.recipient) {
			orphans = append(orphans, o)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, o := range orphans {
		if o.recipient == "" {
			o.recipient = m.recipients[0]
		}
		if _, err := tx.Exec(ctx, sqltext.Adopt, m.id, o.recipient, o.id); err != nil {
			return err
		}
	}
	return nil
}

// matchReport returns the message r names, locked, or nil, as the SQLite
// store's matchReport does.
func matchReport(ctx context.Context, tx pgx.Tx, r notify.Report) (*matched, error) {
	if r.MessageID != "" {
		return scanMatch(tx.QueryRow(ctx, reportMessageSQL, r.MessageID))
	}
	m, err := scanMatch(tx.QueryRow(ctx, reportMatchSQL, r.Provider, r.ProviderID, string(r.Channel), r.Recipient))
	if m != nil || err != nil {
		return m, err
	}
	if r.Recipient != "" {
		var id string
		err = tx.QueryRow(ctx, sqltext.ReportByRecipientID, r.Provider, r.ProviderID, string(r.Channel), r.Recipient).Scan(&id)
		if err == nil {
			return scanMatch(tx.QueryRow(ctx, reportMessageSQL, id))
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return nil, err
		}
	}
	if r.OutID == "" || r.ProviderID == "" {
		return nil, nil
	}
	m, err = scanMatch(tx.QueryRow(ctx, reportByOutIDSQL, r.OutID, r.Provider, string(r.Channel)))
	if m == nil || err != nil || !m.names(r.Recipient) {
		return nil, err
	}
	if _, err := tx.Exec(ctx, sqltext.LearnID, m.id, r.ProviderID); err != nil {
		return nil, fmt.Errorf("record the provider id %q of message %s: %w", r.ProviderID, m.id, err)
	}
	m.learned = true
	return m, nil
}

// scanMatch reads the message of a match query; none is nil.
func scanMatch(q pgx.Row) (*matched, error) {
	var (
		m               matched
		rcpt            []byte
		status, channel string
	)
	err := q.Scan(&m.id, &rcpt, &status, &channel, &m.webhook)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(rcpt, &m.recipients); err != nil {
		return nil, fmt.Errorf("message %s: decode recipients: %w", m.id, err)
	}
	if len(m.recipients) == 0 {
		return nil, fmt.Errorf("message %s has no recipients", m.id) // the match needs one
	}
	m.status, m.channel = notify.Status(status), notify.Channel(channel)
	return &m, nil
}

// settle works out m's status from its reports (notify.Settle), records
// it if it changed, and returns it.
func settle(ctx context.Context, tx pgx.Tx, m *matched, now time.Time) (notify.Status, error) {
	if m.status == notify.Delivered || m.status == notify.Failed {
		return m.status, nil
	}
	var (
		finals []notify.Report
		f      notify.Report
		status string
	)
	err := each(ctx, tx, sqltext.ReportFinals, []any{m.id, string(notify.Delivered), string(notify.Failed)}, func(r pgx.Rows) error {
		if err := r.Scan(&f.Recipient, &status, &f.Code, &f.Text); err != nil {
			return err
		}
		f.Status = notify.Status(status)
		finals = append(finals, f)
		return nil
	})
	if err != nil {
		return "", err
	}
	next, code, text, moves := notify.Settle(m.status, m.recipients, finals)
	if !moves {
		return m.status, nil
	}
	if next == notify.Submitted {
		// The error of an unknown send stays: it is the history of the
		// send, and the message is not settled yet.
		_, err = tx.Exec(ctx, sqltext.ReportSubmit, m.id, string(next), now,
			string(notify.Accepted), string(notify.Unknown))
	} else {
		_, err = tx.Exec(ctx, sqltext.ReportSettle, m.id, string(next), code, text, now,
			string(notify.Delivered), string(notify.Failed))
	}
	if err != nil {
		return "", err
	}
	return next, nil
}

// reportTime is how a provider's time is stored: NULL when it did not say,
// or said something the SQLite store cannot hold either (outside years
// 0-9999 in UTC); a report is worth more than its timestamp.
func reportTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t, err := dbTime("", t)
	if err != nil {
		return nil
	}
	return &t
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
	now, err := dbTime("inbound reply time", time.Now())
	if err != nil {
		return false, fmt.Errorf("postgres: record %s inbound reply %q: %w", r.Provider, r.SequenceID, err)
	}
	raw := []byte(r.Raw)
	if raw == nil {
		raw = []byte{}
	}
	args := []any{text(r.Provider), text(r.SequenceID), text(r.Recipient), text(r.Content), text(r.DestCode),
		text(r.SignName), reportTime(r.At), now, raw}
	if r.GroupID == "" {
		tag, err := s.pool.Exec(ctx, sqltext.InboundInsert, args...)
		if err != nil {
			return false, fmt.Errorf("postgres: record %s inbound reply %q: %w", r.Provider, r.SequenceID, err)
		}
		return tag.RowsAffected() == 1, nil
	}
	// An inbound reply for a group with a webhook is kept with its event.
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("postgres: record %s inbound reply %q: begin: %w", r.Provider, r.SequenceID, err)
	}
	defer rollback(ctx, tx)
	var id int64
	err = tx.QueryRow(ctx, sqltext.InboundInsertID, args...).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err == nil {
		_, err = tx.Exec(ctx, sqltext.InboundEvent, id, text(r.GroupID), now)
	}
	if err == nil {
		err = tx.Commit(ctx)
	}
	if err != nil {
		return false, fmt.Errorf("postgres: record %s inbound reply %q: %w", r.Provider, r.SequenceID, err)
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
	var (
		rs              []notify.Report
		r               notify.Report
		channel, status string
		reported        *time.Time
		raw             []byte
	)
	err = each(ctx, s.pool, sqltext.Reports, []any{text(messageID)}, func(row pgx.Rows) error {
		err := row.Scan(&r.MessageID, &r.Provider, &channel, &r.ProviderID, &r.Recipient, &status,
			&r.Code, &r.Text, &r.OutID, &reported, &r.ReceivedAt, &raw)
		if err != nil {
			return err
		}
		got := r
		got.Channel, got.Status = notify.Channel(channel), notify.Status(status)
		if reported != nil {
			got.At = reported.UTC()
		}
		got.ReceivedAt = got.ReceivedAt.UTC()
		if len(raw) > 0 {
			got.Raw = append(json.RawMessage(nil), raw...)
		}
		rs = append(rs, got)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: read the reports of message %s: %w", messageID, err)
	}
	return rs, nil
}
