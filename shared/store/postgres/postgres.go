// Package postgres keeps message records in a PostgreSQL database. It is
// the store for deployments, where function instances on many hosts share
// the records; the sqlite store is for local runs and for an instance that
// owns its disk. Both keep the contract of shared/store/storetest.
//
// Open connects with a URL (postgres://user:password@host:5432/notify,
// with pgx's settings) and brings the schema up to date; Migrate does only
// the latter. The Store speaks PostgreSQL through pgx v5 and its pool,
// pgxpool, with pgx's own types, and runs the SQLite store's statements
// with the same errors.
//
// docs/stores.md has the rest: what pgxpool costs a function, the URL's
// pool settings, poolers in transaction mode, the migrations' lock, the
// password kept out of errors, times and text, and the measurements.
package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/internal/gate"
	"github.com/seed4ddb146e/notify/shared/store/internal/sqltext"
)

// Store keeps message records in one PostgreSQL database. It is safe for
// concurrent use.
type Store struct {
	pool *pgxpool.Pool
	gate *gate.Gate
	pre  *predial // StartOpen's dial (predial.go)

	// The groups of the writes of sends (group.go).
	creates  grouper[create]
	finishes grouper[finish]

	sweeps sqltext.Sweeps // which quota takes sweep
}

var _ notify.Store = (*Store)(nil)

// Options are a Store's settings beyond its URL.
type Options struct {
	// Timeout bounds each call, its wait for the store to open included;
	// 0 leaves calls bounded by their context alone.
	Timeout time.Duration
}

// New returns the store of the database at url without connecting to it:
// its first call connects and applies the migrations it lacks. A URL that
// cannot be read is an error at once. docs/stores.md describes the URL and
// the pool.
func New(url string, o Options) (*Store, error) {
	cfg, hide, err := parseURL(url)
	if err != nil {
		return nil, err
	}
	// A pool that keeps connections open makes them as it starts: a dial
	// ahead would only add one.
	var pre *predial
	if cfg.MinConns == 0 && cfg.MinIdleConns == 0 {
		pre = newPredial(&cfg.ConnConfig.Config)
	}
	// The pool connects on demand: at the first call, unless the URL asks
	// for connections kept open (pool_min_conns).
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, hide.wrap("postgres: open "+where(cfg), err)
	}
	s := &Store{pool: pool, pre: pre}
	s.creates.run = s.createGroup
	s.finishes.run = s.finishGroup
	s.gate = gate.New(o.Timeout, func(ctx context.Context) error {
		sub, err := fs.Sub(migrations, "migrations")
		if err == nil {
			err = migrate(ctx, s.pool, sub)
		}
		if err != nil {
			return hide.wrap("postgres: migrate "+where(cfg), err)
		}
		return nil
	})
	return s, nil
}

// Open connects to the database at url and applies the migrations it
// lacks, within ctx: New, opened at once.
func Open(ctx context.Context, url string) (*Store, error) {
	s, err := New(url, Options{})
	if err != nil {
		return nil, err
	}
	if err := s.Open(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Open opens the store now, within ctx alone, unless it is open already:
// for a caller that wants it open before its first call, as a command that
// migrates does.
func (s *Store) Open(ctx context.Context) error { return s.gate.Open(ctx) }

// StartOpen dials the database in the background and returns at once,
// for a function's start: the first call's open then begins its
// connection with the server's process already forked. It is the pool's
// first connection if that comes within half a second; else it is closed.
// A pool that keeps connections open (pool_min_conns,
// pool_min_idle_conns) has made them already, and StartOpen does nothing.
// The rest of the open (pgx's types, the startup, the schema's version)
// waits for a call, so that a request refused at the door costs no more
// than the dial. predial.go says why.
func (s *Store) StartOpen() { s.pre.start() }

// Close closes the pool's connections, waiting for those in use to be
// returned; an open in flight is cancelled first, and a connection
// StartOpen dialed is closed. Calls after Close return errors.
func (s *Store) Close() error {
	s.gate.Close()
	s.pre.close()
	s.pool.Close()
	return nil
}

// Ping runs a trivial query, to tell whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return err
	}
	defer done()
	var one int
	if err := s.pool.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// uniqueViolation is PostgreSQL's SQLSTATE for a broken unique index.
const uniqueViolation = "23505"

// CreateMessage records m. A message with m.ID already recorded is an
// *notify.Error of kind Internal with Reason "duplicate_id"; a queue key
// that a record holds (any but a failed one not Taken: notify.Message) is one of
// kind Conflict with Reason "duplicate_queue_message". Either way nothing
// is written. A message with a Spend is recorded in a transaction that
// also starts its task and spends its units.
//
// The record is written as CreateMessageTakingQuotas writes one, without
// quotas: in a transaction whose COMMIT is sent only once the insert has
// answered. An insert sent alone commits itself whenever the server runs
// it: on a server frozen mid-call, that is after the call gave up and the
// sender was told nothing was written, and a retry of the request would
// find a record of a send that never happened. A call that gives up before
// its COMMIT leaves a transaction the server rolls back when it finds the
// connection closed. The price is one more round trip.
func (s *Store) CreateMessage(ctx context.Context, m *notify.Message) error {
	_, _, err := s.CreateMessageTakingQuotas(ctx, m, m.CreatedAt, nil)
	return err
}

// createArgs are the arguments of sqltext.CreateMessage for m.
func createArgs(m *notify.Message) ([]any, error) {
	created, err := dbTime("created_at", m.CreatedAt)
	if err == nil {
		err = checkSpend(m.Spend)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: create message %s: %w", m.ID, err)
	}
	updated, err := dbTime("updated_at", m.UpdatedAt)
	if err != nil {
		return nil, fmt.Errorf("postgres: create message %s: %w", m.ID, err)
	}
	recipients := make([]string, len(m.Recipients))
	for i, r := range m.Recipients {
		recipients[i] = text(r)
	}
	rcpt, err := json.Marshal(recipients)
	if err != nil {
		return nil, fmt.Errorf("postgres: create message %s: encode recipients: %w", m.ID, err)
	}
	return []any{text(m.ID), text(m.GroupID), text(string(m.Channel)), string(rcpt), text(m.SignName), text(m.Template),
		text(m.Params), text(m.OutID), text(m.QueueKey), text(m.Provider), text(string(m.Status)),
		text(m.ProviderID), text(m.RequestID), text(m.ErrorCode), text(m.ErrorText), m.Sandbox, created, updated,
		m.Webhook}, nil
}

// createConflict is the error of a sqltext.CreateMessage that inserted
// nothing: the id or the queue key is taken. Records are never deleted, so an
// id taken then is taken now.
func createConflict(ctx context.Context, c querier, m *notify.Message) error {
	var idTaken bool
	if err := c.QueryRow(ctx, sqltext.IDExists, text(m.ID)).Scan(&idTaken); err != nil {
		return fmt.Errorf("postgres: create message %s: look for the id after a conflict: %w", m.ID, err)
	}
	if idTaken {
		return &notify.Error{Op: "postgres.CreateMessage", Kind: notify.Internal, Reason: notify.ReasonDuplicateID,
			Err: fmt.Errorf("message %s already exists", m.ID)}
	}
	return &notify.Error{Op: "postgres.CreateMessage", Kind: notify.Conflict, Reason: notify.ReasonDuplicateQueueMessage,
		Err: fmt.Errorf("message %s: queue key %q is held by another record", m.ID, m.QueueKey)}
}

// FinishMessage records outcome o of the send of message id. An unknown id
// is an *notify.Error of kind NotFound with Reason "not_found". An outcome
// other than failed for a failed record whose queue key another record has
// taken since is one of kind Conflict with Reason "duplicate_queue_message",
// and the record stays as it was.
//
// As in the SQLite store, a message with reports, which came before its
// outcome, is finished in a transaction that also adopts the orphans o's
// provider id names and works out its status from its reports; one
// without, in one statement that checks it has none. An outcome with a
// provider id takes that id's report lock first (reportLock), in the same
// round trip: a report for the id that is being recorded then either
// commits first, and the check sees it, or waits, and finds the message.
// A failed outcome gives back what the message spent (refundSQL) in the
// same transaction, and round trip. Any other is written in a group, with
// the outcomes of the other sends that come meanwhile (group.go).
func (s *Store) FinishMessage(ctx context.Context, id string, o notify.Outcome) error {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return err
	}
	defer done()
	at, err := dbTime("outcome time", o.At)
	if err != nil {
		return fmt.Errorf("postgres: finish message %s: %w", id, err)
	}
	args := []any{text(id), text(string(o.Status)), text(o.Provider), text(o.ProviderID), text(o.RequestID),
		text(o.ErrorCode), text(o.ErrorText), o.Sandbox, at}
	if o.Status != notify.Failed {
		// An outcome that is not a failure goes in a group (group.go).
		r := s.finishes.do(ctx, finish{id, o, args})
		if r.err != nil {
			if !r.named {
				r.err = fmt.Errorf("postgres: finish message %s: %w", id, r.err)
			}
			return r.err
		}
		if !r.alone {
			return nil
		}
	}
	return s.finishAlone(ctx, id, o, args)
}

// finishAlone is FinishMessage outside a group; args are
// sqltext.FinishMessage's.
func (s *Store) finishAlone(ctx context.Context, id string, o notify.Outcome, args []any) error {
	tag, err := s.finishBatch(ctx, id, o, args)
	if err != nil {
		return finishError(id, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	// An unknown id, or a message with reports.
	return s.finishWithReports(ctx, id, o, args)
}

// finishBatch runs sqltext.FinishAlone with args in one round trip and one
// transaction: under the report lock of o's provider id, if it has one,
// and followed, if o is a failure, by the refund of the message and its
// webhook events (none for a refused one).
//
// An outcome other than a failure commits without waiting for the WAL to
// reach the disk (asyncCommitSQL): the record before the send was
// committed synchronously, and is what keeps the message from being sent
// twice; an outcome a crash loses leaves it accepted, and the scheduled
// work settles it by asking the provider. A failure, which gives back
// what the message spent, waits as every other commit does.
func (s *Store) finishBatch(ctx context.Context, id string, o notify.Outcome, args []any) (pgconn.CommandTag, error) {
	b := &pgx.Batch{}
	async := o.Status != notify.Failed
	if async {
		b.Queue(asyncCommitSQL)
	}
	if o.ProviderID != "" {
		b.Queue(reportLockSQL, reportLock(text(o.Provider), text(o.ProviderID)))
	}
	b.Queue(sqltext.FinishAlone, args...)
	if o.Status == notify.Failed {
		b.Queue(refundSQL, text(id), string(notify.Failed))
		if !o.Refused {
			b.Queue(eventsFromFailureSQL, text(id), time.Now())
		}
	}
	res := s.pool.SendBatch(ctx, b)
	var err error
	if async {
		_, err = res.Exec()
	}
	if err == nil && o.ProviderID != "" {
		_, err = res.Exec()
	}
	var tag pgconn.CommandTag
	if err == nil {
		tag, err = res.Exec()
	}
	if err == nil && o.Status == notify.Failed {
		_, err = res.Exec()
		if err == nil && !o.Refused {
			_, err = res.Exec()
		}
	}
	if cerr := res.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

// asyncCommitSQL lets the transaction it runs in commit without waiting
// for its WAL to be flushed (synchronous_commit off, for that transaction
// alone).
const asyncCommitSQL = `SELECT set_config('synchronous_commit', 'off', true)`

// finishWithReports finishes message id with o (args are
// sqltext.FinishMessage's), adopts the orphans o's provider id names, and
// settles the message, in one transaction.
func (s *Store) finishWithReports(ctx context.Context, id string, o notify.Outcome, args []any) error {
	now, err := dbTime("time", time.Now())
	if err != nil {
		return fmt.Errorf("postgres: finish message %s: %w", id, err)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: finish message %s: begin: %w", id, err)
	}
	defer rollback(ctx, tx)
	if o.ProviderID != "" {
		if _, err := tx.Exec(ctx, reportLockSQL, reportLock(text(o.Provider), text(o.ProviderID))); err != nil {
			return fmt.Errorf("postgres: finish message %s: lock its reports: %w", id, err)
		}
	}
	tag, err := tx.Exec(ctx, sqltext.FinishMessage, args...)
	if err != nil {
		return finishError(id, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("postgres.FinishMessage", id)
	}
	m, err := scanMatch(tx.QueryRow(ctx, reportMessageSQL, text(id)))
	if err == nil && m == nil {
		err = errors.New("gone within its transaction")
	}
	if err == nil && o.ProviderID != "" {
		err = adopt(ctx, tx, m, text(o.Provider), text(o.ProviderID))
	}
	if err == nil {
		_, err = settle(ctx, tx, m, now)
	}
	if err == nil && o.Status == notify.Failed {
		_, err = tx.Exec(ctx, refundSQL, text(id), string(notify.Failed))
	}
	if err == nil && m.webhook && !o.Refused {
		err = emitEvents(ctx, tx, text(id), now)
	}
	if err == nil {
		err = tx.Commit(ctx)
	}
	if err != nil {
		return fmt.Errorf("postgres: finish message %s: settle it from its reports: %w", id, err)
	}
	return nil
}

// finishError is the error of sqltext.FinishMessage for message id.
func finishError(id string, err error) error {
	// The one unique index an update can break is messages_queue_key.
	var e *pgconn.PgError
	if errors.As(err, &e) && e.Code == uniqueViolation {
		return &notify.Error{Op: "postgres.FinishMessage", Kind: notify.Conflict, Reason: notify.ReasonDuplicateQueueMessage,
			Err: fmt.Errorf("message %s: its queue key is held by another record: %w", id, err)}
	}
	return fmt.Errorf("postgres: finish message %s: %w", id, err)
}

// Message returns the record of message id. An unknown id is an
// *notify.Error of kind NotFound with Reason "not_found".
func (s *Store) Message(ctx context.Context, id string) (*notify.Message, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	m, err := scanMessage(s.pool.QueryRow(ctx, sqltext.MessageByID, text(id)).Scan)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("postgres.Message", id)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: read message %s: %w", id, err)
	}
	return m, nil
}

// MessageByQueueKey returns the record that holds queue key key: not
// failed, or failed and Taken (notify.Message). None, or the key "", is an
// *notify.Error of kind NotFound with Reason "not_found".
func (s *Store) MessageByQueueKey(ctx context.Context, key string) (*notify.Message, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	m, err := scanMessage(s.pool.QueryRow(ctx, sqltext.MessageByQueueKey, text(key)).Scan)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, &notify.Error{Op: "postgres.MessageByQueueKey", Kind: notify.NotFound, Reason: notify.ReasonNotFound,
			Err: fmt.Errorf("no live message for queue key %q", key)}
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: read the message of queue key %q: %w", key, err)
	}
	return m, nil
}

// scanMessage reads a row of sqltext.SelectMessages with scan (a pgx.Row's
// or pgx.Rows's Scan). Its errors name no message: the caller's do.
func scanMessage(scan func(dest ...any) error) (*notify.Message, error) {
	var (
		m                notify.Message
		rcpt             []byte
		created, updated time.Time
		channel, status  string
		answer           string
		answered         *time.Time
	)
	err := scan(&m.ID, &m.GroupID, &channel, &rcpt, &m.SignName, &m.Template, &m.Params, &m.OutID,
		&m.QueueKey, &m.Provider, &status, &m.ProviderID, &m.RequestID, &m.ErrorCode, &m.ErrorText, &m.Sandbox,
		&created, &updated, &m.Taken, &answer, &answered)
	if err != nil {
		return nil, err
	}
	m.Channel, m.Status, m.Answer = notify.Channel(channel), notify.Status(status), notify.Status(answer)
	if answered != nil {
		m.AnsweredAt = answered.UTC()
	}
	if err := json.Unmarshal(rcpt, &m.Recipients); err != nil {
		return nil, fmt.Errorf("decode recipients: %w", err)
	}
	m.CreatedAt, m.UpdatedAt = created.UTC(), updated.UTC()
	return &m, nil
}

func notFound(op, id string) *notify.Error {
	return &notify.Error{Op: op, Kind: notify.NotFound, Reason: notify.ReasonNotFound, Err: fmt.Errorf("no message %s", id)}
}

// dbTime returns t as it is stored: in UTC, truncated to the millisecond.
// It refuses the times the SQLite store cannot hold.
func dbTime(name string, t time.Time) (time.Time, error) {
	t = t.UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		return time.Time{}, fmt.Errorf("%s %s is outside years 0-9999", name, t.Format(time.RFC3339))
	}
	return t.Add(-time.Duration(t.Nanosecond() % int(time.Millisecond))), nil
}

// text returns s as PostgreSQL's text can hold it: each NUL byte, and each
// run of bytes that is not UTF-8, becomes U+FFFD.
func text(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// querier runs statements: the pool, one of its connections, or a
// transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// each runs sql on q and calls f with each row it returns, until f returns
// an error.
func each(ctx context.Context, q querier, sql string, args []any, f func(r pgx.Rows) error) error {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := f(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// rollback rolls tx back, unless it was committed. Deferred, it ends the
// transaction however the function returns, a panic included. Callers
// pass their call's context, whose cancellation it ignores, so that the
// connection goes back to the pool; a server that does not answer within
// rollbackTime loses it instead (pgx closes a connection whose ROLLBACK
// failed, and the server rolls back the transaction of a connection it
// finds closed).
func rollback(ctx context.Context, tx pgx.Tx) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTime)
	defer cancel()
	tx.Rollback(ctx)
}
