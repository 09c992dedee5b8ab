// Package sqlite keeps message records in an SQLite database file, through
// modernc.org/sqlite (pure Go, no cgo). It is the store for local runs and
// for a function instance that owns its disk; hosts that share records use
// the PostgreSQL store. Both keep the contract of shared/store/storetest.
//
// Open creates the file if needed and brings its schema up to date. The
// file is in WAL mode with synchronous=NORMAL ("?synchronous=full" in the
// path asks for FULL), and a Store holds one connection, with its
// statements prepared once, and a second that only checkpoints the WAL,
// in the background.
//
// docs/stores.md has the rest: what NORMAL risks and FULL costs, why one
// connection, group commit, checkpoints, queue keys, times, and the
// measurements.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/internal/gate"
	"github.com/seed4ddb146e/notify/shared/store/internal/sqltext"
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Store keeps message records in one SQLite database. It is safe for
// concurrent use.
type Store struct {
	gate *gate.Gate
	db   *sql.DB
	// The statements the methods run, prepared when the store opens.
	create, finish, finishAlone, byID, byQueueKey *sql.Stmt
	idExists                                      *sql.Stmt
	quotaTake, quotaSweep                         *sql.Stmt
	taskStart, balanceTake, ledgerSpend           *sql.Stmt
	ledgerRefund, balanceGiveBack, taskByID       *sql.Stmt
	eventsOfReports, eventsOfFailure              *sql.Stmt
	savepoint, rollbackTo, release                *sql.Stmt      // a group's write's savepoint
	sweeps                                        sqltext.Sweeps // which quota takes sweep
	committer                                     *committer     // the group commits of the writes a send makes
	checkpointer                                  *checkpointer  // nil for ":memory:", which has no WAL
}

var _ notify.Store = (*Store)(nil)

// busyTimeout is how long a statement waits for another connection's write
// lock before it fails with "database is locked".
const busyTimeout = 5 * time.Second

// Options are a Store's settings beyond its path.
type Options struct {
	// Timeout bounds each call, its wait for the store to open included;
	// 0 leaves calls bounded by their context alone.
	Timeout time.Duration
}

// New returns the store of the database file at path without opening it:
// its first call opens it, creating it if needed, and applies the
// migrations it lacks. The path ":memory:" is a private in-memory
// database, gone at Close, for tests. The text after the last "?" in path
// is its settings, as a URL query: "synchronous=full" or
// "synchronous=normal" (the default); any other setting or value is an
// error, at once. A file whose name holds "?" is named by ending its path
// with "?".
func New(path string, o Options) (*Store, error) {
	file, synchronous, err := parsePath(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if file == "" {
		return nil, fmt.Errorf("sqlite: open: empty path")
	}
	s := &Store{}
	s.gate = gate.New(o.Timeout, func(ctx context.Context) error { return s.open(ctx, file, synchronous) })
	return s, nil
}

// Open opens the database file at path, as New says, within ctx: New,
// opened at once.
func Open(ctx context.Context, path string) (*Store, error) {
	s, err := New(path, Options{})
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

// StartOpen starts the store's open in the background, as its first call
// would, unless it is open or opening, and returns at once; the calls that
// come before the open ends wait for it. An open that fails is started
// again by the next call.
func (s *Store) StartOpen() { s.gate.Start() }

// open opens file, brings its schema up to date and prepares the
// statements; on an error it leaves nothing open.
func (s *Store) open(ctx context.Context, file, synchronous string) error {
	conn, err := msqlite.NewConnector(dsn(file, synchronous))
	if err != nil {
		return fmt.Errorf("sqlite: open %s: %w", file, err)
	}
	db := sql.OpenDB(conn)
	// One connection (docs/stores.md says why). It also keeps ":memory:" one
	// database: the pool keeps its idle connection for good.
	db.SetMaxOpenConns(1)
	if err := setWAL(ctx, db); err != nil {
		db.Close()
		if why := cantOpen(file, err); why != nil {
			return fmt.Errorf("sqlite: open %s: %w: %w", file, err, why)
		}
		return fmt.Errorf("sqlite: open %s: %w", file, err)
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err == nil {
		err = migrate(ctx, db, sub)
	}
	if err != nil {
		db.Close()
		return fmt.Errorf("sqlite: migrate %s: %w", file, err)
	}
	s.db = db
	if err := s.prepare(ctx); err != nil {
		s.closeDB()
		return fmt.Errorf("sqlite: open %s: %w", file, err)
	}
	if file != ":memory:" {
		// The checkpointer's connection comes from the same connector,
		// which holds only the name. It opens now, as the store's has: a
		// relative path names the same file, and a file it cannot open
		// fails the open.
		cdb := sql.OpenDB(conn)
		if err := cdb.PingContext(ctx); err != nil {
			cdb.Close()
			s.closeDB()
			return fmt.Errorf("sqlite: open %s for checkpoints: %w", file, err)
		}
		s.checkpointer = startCheckpointer(cdb)
	}
	s.committer = newCommitter()
	go s.loop()
	return nil
}

// parsePath splits Open's path into the file and its synchronous setting,
// in the spelling of SQLite's pragma.
func parsePath(path string) (file, synchronous string, err error) {
	file, query := path, ""
	if i := strings.LastIndexByte(path, '?'); i >= 0 {
		file, query = path[:i], path[i+1:]
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", "", fmt.Errorf("read the settings after \"?\": %w", err)
	}
	synchronous = "NORMAL"
	for _, k := range slices.Sorted(maps.Keys(q)) {
		v := q[k]
		switch {
		case k != "synchronous":
			return "", "", fmt.Errorf("unknown setting %q (a file name holding \"?\" is written with a \"?\" after it)", k)
		case len(v) != 1:
			return "", "", fmt.Errorf("synchronous is set %d times", len(v))
		case strings.EqualFold(v[0], "full"):
			synchronous = "FULL"
		case strings.EqualFold(v[0], "normal"):
			synchronous = "NORMAL"
		default:
			return "", "", fmt.Errorf("synchronous=%s: want full or normal", v[0])
		}
	}
	return file, synchronous, nil
}

// cantOpen finds the cause SQLITE_CANTOPEN does not name: a missing
// directory or a directory in the file's place. It returns nil for other
// errors and causes it cannot tell.
func cantOpen(path string, err error) error {
	var e *msqlite.Error
	if !errors.As(err, &e) || e.Code()&0xff != sqlite3.SQLITE_CANTOPEN || path == ":memory:" {
		return nil
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%s is a directory", path)
	}
	if _, err := os.Stat(filepath.Dir(path)); err != nil {
		return err
	}
	return nil
}

// dsn is the driver's name for the database at path with its settings. A
// file path becomes a file: URI so that "?" or "#" in it stays part of it.
func dsn(path, synchronous string) string {
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(busyTimeout.Milliseconds()))
	q.Set("_foreign_keys", "1")
	q.Set("_synchronous", synchronous)
	q.Set("_txlock", "immediate")
	// Commits checkpoint only once the store's checkpointer has fallen
	// behind (checkpoint.go).
	q.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", walLimit))
	// Temporary files in memory: the savepoint of each write in a group
	// journals the pages the write changes, and that journal, past 64 KiB,
	// would spill to a file in the temporary directory, written page by
	// page on the committer's one thread (docs/stores.md, "Group commit").
	q.Add("_pragma", "temp_store(MEMORY)")
	if path == ":memory:" {
		return path + "?" + q.Encode()
	}
	u := url.URL{Scheme: "file", OmitHost: true, Path: path, RawQuery: q.Encode()}
	return u.String()
}

// setWAL switches the database file to WAL journal mode, which the file
// keeps. The switch takes the write lock while already holding a read lock,
// and SQLite does not wait for that (busy_timeout does not apply): of two
// processes opening a new file at once, one gets SQLITE_BUSY at once. So it
// is done once here, retried until busyTimeout, rather than on every new
// connection.
func setWAL(ctx context.Context, db *sql.DB) error {
	ctx, cancel := context.WithTimeout(ctx, busyTimeout)
	defer cancel()
	var mode string
	err := whileBusy(ctx, func() error { return db.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode) })
	switch {
	case err != nil && ctx.Err() != nil: // still busy at busyTimeout
		return fmt.Errorf("set WAL journal mode: %w", err)
	case err != nil:
		return err
	case mode != "wal" && mode != "memory":
		return fmt.Errorf("set WAL journal mode: the database stays in %s mode", mode)
	}
	return nil
}

// whileBusy calls try until it returns nil or an error other than
// SQLITE_BUSY, pausing between tries (from 1 ms, doubling up to 50 ms,
// with jitter). When ctx ends first, it returns the last SQLITE_BUSY with
// ctx's cause.
func whileBusy(ctx context.Context, try func() error) error {
	delay := time.Millisecond
	for {
		err := try()
		var e *msqlite.Error
		if err == nil || !errors.As(err, &e) || e.Code()&0xff != sqlite3.SQLITE_BUSY {
			return err
		}
		t := time.NewTimer(delay + rand.N(delay))
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (%w)", err, context.Cause(ctx))
		case <-t.C:
		}
		delay = min(2*delay, 50*time.Millisecond)
	}
}

// prepare prepares the statements the Store runs, on its one connection.
// Parsing them on every call cost about a quarter of the Store's time.
func (s *Store) prepare(ctx context.Context) error {
	for _, st := range []struct {
		stmt  **sql.Stmt
		query string
	}{
		{&s.create, sqltext.CreateMessage},
		{&s.finish, sqltext.FinishMessage},
		{&s.finishAlone, sqltext.FinishAlone},
		{&s.byID, sqltext.MessageByID},
		{&s.byQueueKey, sqltext.MessageByQueueKey},
		{&s.idExists, sqltext.IDExists},
		{&s.quotaTake, quotaTakeSQL},
		{&s.quotaSweep, quotaSweepSQL},
		{&s.taskStart, sqltext.TaskStart},
		{&s.balanceTake, sqltext.BalanceTake},
		{&s.ledgerSpend, sqltext.LedgerSpend},
		{&s.ledgerRefund, sqltext.LedgerRefund},
		{&s.balanceGiveBack, sqltext.BalanceGiveBack},
		{&s.taskByID, sqltext.TaskByID},
		{&s.eventsOfReports, eventsFromReportsSQL},
		{&s.eventsOfFailure, eventsFromFailureSQL},
		{&s.savepoint, "SAVEPOINT w"},
		{&s.rollbackTo, "ROLLBACK TO w"},
		{&s.release, "RELEASE w"},
	} {
		stmt, err := s.db.PrepareContext(ctx, st.query)
		if err != nil {
			return fmt.Errorf("prepare %.40q...: %w", st.query, err)
		}
		*st.stmt = stmt
	}
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
	if err := s.db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// Close closes the database, once it is open; an open in flight is
// cancelled first. Calls after Close return errors.
func (s *Store) Close() error {
	if !s.gate.Close() {
		return nil
	}
	if err := s.closeDB(); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// closeDB commits the writes queued, stops the checkpoints, and closes the
// prepared statements and the database.
func (s *Store) closeDB() error {
	if s.committer != nil {
		s.committer.stop()
	}
	var errs []error
	if s.checkpointer != nil {
		errs = append(errs, s.checkpointer.stop())
	}
	for _, stmt := range []*sql.Stmt{s.create, s.finish, s.finishAlone, s.byID, s.byQueueKey, s.idExists, s.quotaTake,
		s.quotaSweep, s.taskStart, s.balanceTake, s.ledgerSpend, s.ledgerRefund, s.balanceGiveBack, s.taskByID,
		s.eventsOfReports, s.eventsOfFailure, s.savepoint, s.rollbackTo, s.release} {
		if stmt != nil {
			errs = append(errs, stmt.Close())
		}
	}
	errs = append(errs, s.db.Close())
	return errors.Join(errs...)
}

// timeLayout is how times are stored: UTC, milliseconds, fixed width.
const timeLayout = "2006-01-02T15:04:05.000Z"

func formatTime(t time.Time) string {
	return t.UTC().Format(timeLayout)
}

func parseTime(s string) (time.Time, error) {
	return time.ParseInLocation(timeLayout, s, time.UTC)
}

// checkTime rejects times the fixed-width layout cannot hold.
func checkTime(name string, t time.Time) error {
	if y := t.UTC().Year(); y < 0 || y > 9999 {
		return fmt.Errorf("%s %s is outside years 0-9999", name, t.UTC().Format(time.RFC3339))
	}
	return nil
}

// CreateMessage records m. A message with m.ID already recorded is an
// *notify.Error of kind Internal with Reason "duplicate_id"; a queue key
// that a record holds (any but a failed one not Taken: notify.Message) is one of
// kind Conflict with Reason "duplicate_queue_message". Either way nothing
// is written. A message with a Spend is recorded in a transaction that
// also spends (see spend); one without, nearly every one, in one
// statement.
func (s *Store) CreateMessage(ctx context.Context, m *notify.Message) error {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return err
	}
	defer done()
	if err := checkTime("created_at", m.CreatedAt); err != nil {
		return fmt.Errorf("sqlite: create message %s: %w", m.ID, err)
	}
	if err := checkTime("updated_at", m.UpdatedAt); err != nil {
		return fmt.Errorf("sqlite: create message %s: %w", m.ID, err)
	}
	rcpt, err := encodeRecipients(m)
	if err != nil {
		return err
	}
	err = s.inGroup(ctx, func(ctx context.Context, tx *sql.Tx) (bool, error) {
		if err := s.createIn(ctx, tx, m, rcpt); err != nil {
			return false, err
		}
		if m.Spend != nil {
			return false, s.spend(ctx, tx, m)
		}
		return false, nil
	})
	return groupError("create message "+m.ID, err)
}

// createIn records m, whose recipients are rcpt, in tx.
func (s *Store) createIn(ctx context.Context, tx *sql.Tx, m *notify.Message, rcpt []byte) error {
	res, err := tx.StmtContext(ctx, s.create).ExecContext(ctx, createArgs(m, rcpt)...)
	if err != nil {
		return fmt.Errorf("sqlite: create message %s: %w", m.ID, err)
	}
	return s.created(ctx, tx.StmtContext(ctx, s.idExists), m, res)
}

// groupError is the error of a write of a group that did what: the
// write's own, as it is, or the group's, which says what the write was.
func groupError(what string, err error) error {
	var ne *notify.Error
	if err == nil || errors.As(err, &ne) || strings.HasPrefix(err.Error(), "sqlite: ") {
		return err
	}
	return fmt.Errorf("sqlite: %s: %w", what, err)
}

// encodeRecipients returns m's recipients as the JSON list the table
// keeps; none is [].
func encodeRecipients(m *notify.Message) ([]byte, error) {
	recipients := m.Recipients
	if recipients == nil {
		recipients = []string{}
	}
	rcpt, err := json.Marshal(recipients)
	if err != nil {
		return nil, fmt.Errorf("sqlite: create message %s: encode recipients: %w", m.ID, err)
	}
	return rcpt, nil
}

// createArgs are the arguments of sqltext.CreateMessage for m, whose
// recipients are rcpt as JSON.
func createArgs(m *notify.Message, rcpt []byte) []any {
	return []any{m.ID, m.GroupID, string(m.Channel), string(rcpt), m.SignName, m.Template, m.Params, m.OutID,
		m.QueueKey, m.Provider, string(m.Status), m.ProviderID, m.RequestID, m.ErrorCode, m.ErrorText, m.Sandbox,
		formatTime(m.CreatedAt), formatTime(m.UpdatedAt), m.Webhook}
}

// created checks the result of sqltext.CreateMessage for m: nothing inserted
// means its id or its queue key is taken. Records are never deleted, so an id
// taken then is taken now. idExists runs sqltext.IDExists (in the create's
// transaction, if it had one).
func (s *Store) created(ctx context.Context, idExists *sql.Stmt, m *notify.Message, res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: create message %s: %w", m.ID, err)
	}
	if n != 0 {
		return nil
	}
	var idTaken bool
	if err := idExists.QueryRowContext(ctx, m.ID).Scan(&idTaken); err != nil {
		return fmt.Errorf("sqlite: create message %s: look for the id after a conflict: %w", m.ID, err)
	}
	if idTaken {
		return &notify.Error{Op: "sqlite.CreateMessage", Kind: notify.Internal, Reason: notify.ReasonDuplicateID,
			Err: fmt.Errorf("message %s already exists", m.ID)}
	}
	return &notify.Error{Op: "sqlite.CreateMessage", Kind: notify.Conflict, Reason: notify.ReasonDuplicateQueueMessage,
		Err: fmt.Errorf("message %s: queue key %q is held by another record", m.ID, m.QueueKey)}
}

// FinishMessage records outcome o of the send of message id. An unknown id
// is an *notify.Error of kind NotFound with Reason "not_found". An outcome
// other than failed for a failed record whose queue key another record has
// taken since is one of kind Conflict with Reason "duplicate_queue_message",
// and the record stays as it was.
//
// A message with reports, which came before its outcome, is finished in a
// transaction that also adopts the orphans o's provider id names (see
// RecordReport) and works out its status from its reports; so is a failed
// one, which also gets back what it spent (Message.Spend), once. Any other
// message, nearly every one, is finished in one statement, which checks
// that it has no reports: reports are recorded in IMMEDIATE transactions,
// so one that beats the statement is seen, and one that comes after it
// finds the message by o's provider id.
func (s *Store) FinishMessage(ctx context.Context, id string, o notify.Outcome) error {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return err
	}
	defer done()
	if err := checkTime("outcome time", o.At); err != nil {
		return fmt.Errorf("sqlite: finish message %s: %w", id, err)
	}
	args := []any{id, string(o.Status), o.Provider, o.ProviderID, o.RequestID, o.ErrorCode, o.ErrorText, o.Sandbox,
		formatTime(o.At)}
	err = s.inGroup(ctx, func(ctx context.Context, tx *sql.Tx) (bool, error) {
		if o.Status != notify.Failed {
			res, err := tx.StmtContext(ctx, s.finishAlone).ExecContext(ctx, args...)
			if err != nil {
				return false, finishError(id, err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return false, fmt.Errorf("sqlite: finish message %s: %w", id, err)
			}
			if n == 1 {
				return false, nil
			}
			// An unknown id, or a message with reports.
		}
		return false, s.finishWithReports(ctx, tx, id, o, args, time.Now())
	})
	return groupError("finish message "+id, err)
}

// finishWithReports finishes message id with o (args are
// sqltext.FinishMessage's) in tx, adopts the orphans o's provider id names,
// settles the message, and, when o is a failure, refunds what the message
// spent.
func (s *Store) finishWithReports(ctx context.Context, tx *sql.Tx, id string, o notify.Outcome, args []any, now time.Time) error {
	res, err := tx.StmtContext(ctx, s.finish).ExecContext(ctx, args...)
	if err != nil {
		return finishError(id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: finish message %s: %w", id, err)
	}
	if n == 0 {
		return notFound("sqlite.FinishMessage", id)
	}
	m, err := firstMatch(ctx, tx, reportMessageSQL, nil, id)
	if err == nil && m == nil {
		err = errors.New("gone within its transaction")
	}
	if err == nil && o.ProviderID != "" {
		err = adopt(ctx, tx, m, o.Provider, o.ProviderID)
	}
	if err == nil {
		_, err = settle(ctx, tx, m, now)
	}
	if err != nil {
		return fmt.Errorf("sqlite: finish message %s: settle it from its reports: %w", id, err)
	}
	if o.Status == notify.Failed {
		if err := s.refund(ctx, tx, id, o.At); err != nil {
			return fmt.Errorf("sqlite: finish message %s: refund what it spent: %w", id, err)
		}
	}
	if m.webhook && !o.Refused {
		if err := s.emitEvents(ctx, tx, id, now); err != nil {
			return fmt.Errorf("sqlite: finish message %s: %w", id, err)
		}
	}
	return nil
}

// finishError is the error of sqltext.FinishMessage for message id.
func finishError(id string, err error) error {
	// The one unique index an update can break is messages_queue_key.
	var e *msqlite.Error
	if errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE {
		return &notify.Error{Op: "sqlite.FinishMessage", Kind: notify.Conflict, Reason: notify.ReasonDuplicateQueueMessage,
			Err: fmt.Errorf("message %s: its queue key is held by another record: %w", id, err)}
	}
	return fmt.Errorf("sqlite: finish message %s: %w", id, err)
}

// Message returns the record of message id. An unknown id is an
// *notify.Error of kind NotFound with Reason "not_found".
func (s *Store) Message(ctx context.Context, id string) (*notify.Message, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	m, err := scanMessage(s.byID.QueryRowContext(ctx, id))
	if err == sql.ErrNoRows {
		return nil, notFound("sqlite.Message", id)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: read message %s: %w", id, err)
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
	m, err := scanMessage(s.byQueueKey.QueryRowContext(ctx, key))
	if err == sql.ErrNoRows {
		return nil, &notify.Error{Op: "sqlite.MessageByQueueKey", Kind: notify.NotFound, Reason: notify.ReasonNotFound,
			Err: fmt.Errorf("no live message for queue key %q", key)}
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: read the message of queue key %q: %w", key, err)
	}
	return m, nil
}

// scanMessage reads a row of sqltext.SelectMessages. Its errors name no
// message: the caller's do.
func scanMessage(row interface{ Scan(...any) error }) (*notify.Message, error) {
	var (
		m                notify.Message
		rcpt             string
		created, updated string
		channel, status  string
		answer, answered string
	)
	err := row.Scan(&m.ID, &m.GroupID, &channel, &rcpt, &m.SignName, &m.Template, &m.Params, &m.OutID,
		&m.QueueKey, &m.Provider, &status, &m.ProviderID, &m.RequestID, &m.ErrorCode, &m.ErrorText, &m.Sandbox,
		&created, &updated, &m.Taken, &answer, &answered)
	if err != nil {
		return nil, err
	}
	m.Channel, m.Status, m.Answer = notify.Channel(channel), notify.Status(status), notify.Status(answer)
	if answered != "" {
		if m.AnsweredAt, err = parseTime(answered); err != nil {
			return nil, fmt.Errorf("answered_at: %w", err)
		}
	}
	if err := json.Unmarshal([]byte(rcpt), &m.Recipients); err != nil {
		return nil, fmt.Errorf("decode recipients: %w", err)
	}
	if m.CreatedAt, err = parseTime(created); err != nil {
		return nil, fmt.Errorf("created_at: %w", err)
	}
	if m.UpdatedAt, err = parseTime(updated); err != nil {
		return nil, fmt.Errorf("updated_at: %w", err)
	}
	return &m, nil
}

func notFound(op, id string) *notify.Error {
	return &notify.Error{Op: op, Kind: notify.NotFound, Reason: notify.ReasonNotFound, Err: fmt.Errorf("no message %s", id)}
}
