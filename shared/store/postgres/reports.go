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
	"github.com/jackc/pgx/v5/pgxpool"
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
	// reportByOutIDProbeSQL looks, without a lock, for the message
	// reportByOutIDSQL would lock.
	reportByOutIDProbeSQL = `SELECT id FROM messages
WHERE id = $1 AND provider = $2 AND channel = $3 AND provider_id = '' AND out_id = ''`
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
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return notify.ReportResult{}, fmt.Errorf("connect: %w", err)
	}
	// A connection released inside the transaction is closed rather than
	// reused: the server then rolls the transaction back.
	defer c.Release()
	defer func() {
		if c.Conn().PgConn().TxStatus() != 'I' {
			// As rollback does: within rollbackTime, whatever ctx allows.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTime)
			defer cancel()
			end(rctx, c, "ROLLBACK")
		}
	}()

	// The report's statements go in three batches, a round trip each when
	// the connection has run them before (docs/stores.md, "Round trips of a report"):
	// BEGIN, the report lock and the likeliest match; the insert and the
	// message's final reports; the move of its status, its events and
	// COMMIT. Only the rarer matches and adoptions take more.
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	if r.ProviderID != "" {
		b.Queue(reportLockSQL, reportLock(r.Provider, r.ProviderID))
	}
	sql, args := firstMatch(r)
	b.Queue(sql, args...)
	br := c.SendBatch(ctx, b)
	_, err = br.Exec()
	err = label("begin", err)
	if err == nil && r.ProviderID != "" {
		_, err = br.Exec()
		err = label("lock", err)
	}
	var m *matched
	if err == nil {
		m, err = scanMatch(br.QueryRow())
		err = label("find its message", err)
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err == nil && m == nil && r.MessageID == "" {
		m, err = matchFurther(ctx, c, r)
		err = label("find its message", err)
	}
	if err != nil {
		return notify.ReportResult{}, err
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
	// The orphans of the report's id, if it adopts them, are the
	// message's before its final reports are read. A report with nothing
	// to do after its insert (an orphan, or one for a settled message of
	// a group without a webhook) commits in the insert's batch, if it has
	// a provider id: then its report lock keeps any other writer of its
	// row away, and the insert cannot wait. One without could wait for
	// another's insert of the same report, while its caller gives up, and
	// the COMMIT behind it would then write what the call said it failed
	// to.
	adopting := m != nil && (r.MessageID != "" || m.learned) && r.ProviderID != ""
	settling := m != nil && !settled(m.status)
	hooked := m != nil && m.webhook
	closing := !adopting && !settling && !hooked && r.ProviderID != ""
	b = &pgx.Batch{}
	b.Queue(sqltext.ReportInsert, res.MessageID, r.Provider, string(r.Channel), r.ProviderID,
		r.Recipient, string(r.Status), r.Code, r.Text, r.OutID, reportTime(r.At), now, raw)
	if settling && !adopting {
		b.Queue(sqltext.ReportFinals, finalsArgs(m)...)
	}
	if closing {
		b.Queue("COMMIT")
	}
	br = c.SendBatch(ctx, b)
	tag, err := br.Exec()
	err = label("insert", err)
	var finals []notify.Report
	if err == nil && settling && !adopting {
		finals, err = readFinals(br.Query())
		err = label("settle message "+m.id, err)
	}
	if err == nil && closing {
		err = readCommit(br)
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return notify.ReportResult{}, err
	}
	if tag.RowsAffected() == 0 {
		res.Duplicate = true
		// Nothing was written: the batch's COMMIT, or else the deferred
		// ROLLBACK, ends the transaction.
		return res, nil
	}
	if closing {
		return res, nil
	}
	if adopting {
		if err := adopt(ctx, c, m, r.Provider, r.ProviderID); err != nil {
			return notify.ReportResult{}, fmt.Errorf("adopt the earlier reports of its id: %w", err)
		}
		if settling {
			if finals, err = readFinals(c.Query(ctx, sqltext.ReportFinals, finalsArgs(m)...)); err != nil {
				return notify.ReportResult{}, fmt.Errorf("settle message %s: %w", m.id, err)
			}
		}
	}

	b = &pgx.Batch{}
	moves := false
	if settling {
		var next notify.Status
		var code, text string
		if next, code, text, moves = notify.Settle(m.status, m.recipients, finals); moves {
			sql, args := settleUpdate(m, next, code, text, now)
			b.Queue(sql, args...)
			res.Status = next
		}
	}
	if hooked {
		queueEvents(b, m.id, now)
	}
	b.Queue("COMMIT")
	br = c.SendBatch(ctx, b)
	if moves {
		_, err = br.Exec()
		err = label("settle message "+m.id, err)
	}
	if err == nil && hooked {
		err = readEvents(br)
		err = label("message "+m.id, err)
	}
	if err == nil {
		err = readCommit(br)
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return notify.ReportResult{}, err
	}
	return res, nil
}

// readCommit reads the result of a COMMIT queued in a batch: the COMMIT
// of a failed transaction rolls it back, and is an error.
func readCommit(br pgx.BatchResults) error {
	tag, err := br.Exec()
	return label("commit", answered("COMMIT", tag, err))
}

// label is err said to come from what; nil stays nil.
func label(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
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
func adopt(ctx context.Context, q querier, m *matched, provider, pid string) error {
	type orphan struct {
		id        int64
		recipient string
	}
	var (
		orphans []orphan
		o       orphan
	)
	err := each(ctx, q, sqltext.Orphans, []any{provider, pid, string(m.channel)}, func(r pgx.Rows) error {
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
		if _, err := q.Exec(ctx, sqltext.Adopt, m.id, o.recipient, o.id); err != nil {
			return err
		}
	}
	return nil
}

// firstMatch is the query of the message r names that is tried first:
// by our id when r names it, else by provider id and recipient, locking
// the message (FOR UPDATE).
func firstMatch(r notify.Report) (string, []any) {
	if r.MessageID != "" {
		return reportMessageSQL, []any{r.MessageID}
	}
	return reportMatchSQL, []any{r.Provider, r.ProviderID, string(r.Channel), r.Recipient}
}

// matchFurther returns the message r names, locked, or nil, when
// firstMatch's query found none and r does not name our id: as the SQLite
// store's matchReport does after its first query, by the message another
// report of the same id and recipient matched, then by r's OutID. Both
// are looked for in one round trip, the second without a lock; the
// message found is then locked, and the OutID's checked again under the
// lock.
func matchFurther(ctx context.Context, c *pgxpool.Conn, r notify.Report) (*matched, error) {
	byRecipient := r.Recipient != ""
	byOutID := r.OutID != "" && r.ProviderID != ""
	if !byRecipient && !byOutID {
		return nil, nil
	}
	b := &pgx.Batch{}
	if byRecipient {
		b.Queue(sqltext.ReportByRecipientID, r.Provider, r.ProviderID, string(r.Channel), r.Recipient)
	}
	if byOutID {
		b.Queue(reportByOutIDProbeSQL, r.OutID, r.Provider, string(r.Channel))
	}
	br := c.SendBatch(ctx, b)
	var recipientsID, outID string
	var err error
	if byRecipient {
		err = ignoreNoRows(br.QueryRow().Scan(&recipientsID))
	}
	if err == nil && byOutID {
		err = ignoreNoRows(br.QueryRow().Scan(&outID))
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		return nil, err
	case recipientsID != "":
		return scanMatch(c.QueryRow(ctx, reportMessageSQL, recipientsID))
	case outID == "":
		return nil, nil
	}
	m, err := scanMatch(c.QueryRow(ctx, reportByOutIDSQL, r.OutID, r.Provider, string(r.Channel)))
	if m == nil || err != nil || !m.names(r.Recipient) {
		return nil, err
	}
	if _, err := c.Exec(ctx, sqltext.LearnID, m.id, r.ProviderID); err != nil {
		return nil, fmt.Errorf("record the provider id %q of message %s: %w", r.ProviderID, m.id, err)
	}
	m.learned = true
	return m, nil
}

// ignoreNoRows is err, or nil for pgx.ErrNoRows.
func ignoreNoRows(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	return err
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
func settle(ctx context.Context, q querier, m *matched, now time.Time) (notify.Status, error) {
	if settled(m.status) {
		return m.status, nil
	}
	finals, err := readFinals(q.Query(ctx, sqltext.ReportFinals, finalsArgs(m)...))
	if err != nil {
		return "", err
	}
	next, code, text, moves := notify.Settle(m.status, m.recipients, finals)
	if !moves {
		return m.status, nil
	}
	sql, args := settleUpdate(m, next, code, text, now)
	if _, err := q.Exec(ctx, sql, args...); err != nil {
		return "", err
	}
	return next, nil
}

// settled reports whether a message with status st has settled: it no
// longer moves.
func settled(st notify.Status) bool { return st == notify.Delivered || st == notify.Failed }

// finalsArgs are the arguments of sqltext.ReportFinals for m.
func finalsArgs(m *matched) []any {
	return []any{m.id, string(notify.Delivered), string(notify.Failed)}
}

// readFinals reads the rows of sqltext.ReportFinals, and closes them.
func readFinals(rows pgx.Rows, err error) ([]notify.Report, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var (
		finals []notify.Report
		f      notify.Report
		status string
	)
	for rows.Next() {
		if err := rows.Scan(&f.Recipient, &status, &f.Code, &f.Text); err != nil {
			return nil, err
		}
		f.Status = notify.Status(status)
		finals = append(finals, f)
	}
	return finals, rows.Err()
}

// settleUpdate is the statement that moves m to next, with the error
// code and text that go with it, at now.
func settleUpdate(m *matched, next notify.Status, code, text string, now time.Time) (string, []any) {
	if next == notify.Submitted {
		// The error of an unknown send stays: it is the history of the
		// send, and the message is not settled yet.
		return sqltext.ReportSubmit, []any{m.id, string(next), now, string(notify.Accepted), string(notify.Unknown)}
	}
	return sqltext.ReportSettle, []any{m.id, string(next), code, text, now, string(notify.Delivered), string(notify.Failed)}
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
