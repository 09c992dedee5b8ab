// Package sqlite keeps message records in an SQLite database file, through
// modernc.org/sqlite (pure Go, no cgo). It is the store for local runs and
// for a function instance that owns its disk. Several processes on one host
// may share a file; hosts sharing a network file system may not (WAL needs
// shared memory): use the PostgreSQL store there.
//
// Open creates the file if needed and brings its schema up to date from the
// numbered files in migrations/, each applied once, in an IMMEDIATE
// transaction, and recorded in the schema_migrations table.
//
// The file is in WAL journal mode, and the connection has foreign keys on, a
// busy timeout of 5 s (cut short by the caller's context) and
// synchronous=FULL. A message is recorded before its SMS is sent, so the
// record must survive a power cut as well as a crash: FULL syncs the WAL at
// every commit, NORMAL only at checkpoints, so a power cut may undo its last
// commits. The price, from BenchmarkCreateFinish (one insert and one update,
// two commits) on ext4 on a virtual disk: 0.51 ms per op with FULL against
// 0.15 ms with NORMAL, both 77 allocations and 3.0 kB. Against a provider
// call of tens to hundreds of milliseconds, the 0.36 ms is worth paying.
//
// A Store holds one connection. Writes to SQLite are serial anyway; with a
// pool, 64 goroutines writing at once waited for each other in SQLite's busy
// handler, which polls with sleeps of up to 100 ms: 25 ms per op and 2.7 s
// for the slowest, close to the busy timeout and its "database is locked".
// With one connection they queue in database/sql instead, where the context
// is watched: 0.55 ms per op, 0.2 s for the slowest. The busy timeout is left
// for other processes on the same file.
//
// Times are stored as UTC text with millisecond precision
// ("2006-01-02T15:04:05.000Z", which sorts as text and reads in the sqlite3
// shell); finer parts are truncated. The statements the Store runs use $N
// placeholders and nothing PostgreSQL does not also speak.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Store keeps message records in one SQLite database. It is safe for
// concurrent use.
type Store struct {
	db *sql.DB
}

var _ notify.Store = (*Store)(nil)

// busyTimeout is how long a statement waits for another connection's write
// lock before it fails with "database is locked".
const busyTimeout = 5 * time.Second

// Open opens the database file at path, creating it if needed, and applies
// the migrations it lacks. The path ":memory:" opens a private in-memory
// database, gone at Close, for tests.
func Open(ctx context.Context, path string) (*Store, error) {
	return open(ctx, path, "FULL")
}

// open is Open with the synchronous setting chosen, for the benchmark that
// compares them.
func open(ctx context.Context, path, synchronous string) (*Store, error) {
	if path == "" {
		return nil, fmt.Errorf("sqlite: open: empty path")
	}
	conn, err := msqlite.NewConnector(dsn(path, synchronous))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db := sql.OpenDB(conn)
	// One connection (see the package doc). It also keeps ":memory:" one
	// database: the pool keeps its idle connection for good.
	db.SetMaxOpenConns(1)
	if err := setWAL(ctx, db); err != nil {
		db.Close()
		if why := cantOpen(path, err); why != nil {
			return nil, fmt.Errorf("sqlite: open %s: %w: %w", path, err, why)
		}
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: migrate %s: %w", path, err)
	}
	if err := migrate(ctx, db, sub); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: migrate %s: %w", path, err)
	}
	return &Store{db: db}, nil
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
	delay := time.Millisecond
	for {
		var mode string
		err := db.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode)
		if err == nil {
			if mode != "wal" && mode != "memory" {
				return fmt.Errorf("set WAL journal mode: the database stays in %s mode", mode)
			}
			return nil
		}
		var e *msqlite.Error
		if !errors.As(err, &e) || e.Code()&0xff != sqlite3.SQLITE_BUSY {
			return err
		}
		t := time.NewTimer(delay + rand.N(delay))
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("set WAL journal mode: %w (%w)", err, context.Cause(ctx))
		case <-t.C:
		}
		delay = min(2*delay, 50*time.Millisecond)
	}
}

// Close closes the database. Calls after Close return errors.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
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
// *notify.Error of kind Internal with Reason "duplicate_id", and the record
// stays as it was.
func (s *Store) CreateMessage(ctx context.Context, m *notify.Message) error {
	if err := checkTime("created_at", m.CreatedAt); err != nil {
		return fmt.Errorf("sqlite: create message %s: %w", m.ID, err)
	}
	if err := checkTime("updated_at", m.UpdatedAt); err != nil {
		return fmt.Errorf("sqlite: create message %s: %w", m.ID, err)
	}
	recipients := m.Recipients
	if recipients == nil {
		recipients = []string{}
	}
	rcpt, err := json.Marshal(recipients)
	if err != nil {
		return fmt.Errorf("sqlite: create message %s: encode recipients: %w", m.ID, err)
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO messages (id, group_id, channel, recipients, sign_name,
	template, params, out_id, provider, status, provider_id, request_id, error_code, error_text, sandbox,
	created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
ON CONFLICT (id) DO NOTHING`,
		m.ID, m.GroupID, string(m.Channel), string(rcpt), m.SignName,
		m.Template, m.Params, m.OutID, m.Provider, string(m.Status), m.ProviderID, m.RequestID, m.ErrorCode, m.ErrorText, m.Sandbox,
		formatTime(m.CreatedAt), formatTime(m.UpdatedAt))
	if err != nil {
		return fmt.Errorf("sqlite: create message %s: %w", m.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: create message %s: %w", m.ID, err)
	}
	if n == 0 {
		return &notify.Error{Op: "sqlite.CreateMessage", Kind: notify.Internal, Reason: "duplicate_id",
			Err: fmt.Errorf("message %s already exists", m.ID)}
	}
	return nil
}

// FinishMessage records outcome o of the send of message id. An unknown id
// is an *notify.Error of kind Invalid with Reason "not_found".
func (s *Store) FinishMessage(ctx context.Context, id string, o notify.Outcome) error {
	if err := checkTime("outcome time", o.At); err != nil {
		return fmt.Errorf("sqlite: finish message %s: %w", id, err)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE messages SET status = $2, provider = $3, provider_id = $4,
	request_id = $5, error_code = $6, error_text = $7, sandbox = $8, updated_at = $9
WHERE id = $1`,
		id, string(o.Status), o.Provider, o.ProviderID, o.RequestID, o.ErrorCode, o.ErrorText, o.Sandbox, formatTime(o.At))
	if err != nil {
		return fmt.Errorf("sqlite: finish message %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: finish message %s: %w", id, err)
	}
	if n == 0 {
		return notFound("sqlite.FinishMessage", id)
	}
	return nil
}

// Message returns the record of message id. An unknown id is an
// *notify.Error of kind Invalid with Reason "not_found".
func (s *Store) Message(ctx context.Context, id string) (*notify.Message, error) {
	var (
		m                notify.Message
		rcpt             string
		created, updated string
		channel, status  string
	)
	err := s.db.QueryRowContext(ctx, `SELECT id, group_id, channel, recipients, sign_name, template, params,
	out_id, provider, status, provider_id, request_id, error_code, error_text, sandbox, created_at, updated_at
FROM messages WHERE id = $1`, id).Scan(&m.ID, &m.GroupID, &channel, &rcpt, &m.SignName, &m.Template, &m.Params,
		&m.OutID, &m.Provider, &status, &m.ProviderID, &m.RequestID, &m.ErrorCode, &m.ErrorText, &m.Sandbox,
		&created, &updated)
	if err == sql.ErrNoRows {
		return nil, notFound("sqlite.Message", id)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: read message %s: %w", id, err)
	}
	m.Channel, m.Status = notify.Channel(channel), notify.Status(status)
	if err := json.Unmarshal([]byte(rcpt), &m.Recipients); err != nil {
		return nil, fmt.Errorf("sqlite: read message %s: decode recipients: %w", id, err)
	}
	if m.CreatedAt, err = parseTime(created); err != nil {
		return nil, fmt.Errorf("sqlite: read message %s: created_at: %w", id, err)
	}
	if m.UpdatedAt, err = parseTime(updated); err != nil {
		return nil, fmt.Errorf("sqlite: read message %s: updated_at: %w", id, err)
	}
	return &m, nil
}

func notFound(op, id string) *notify.Error {
	return &notify.Error{Op: op, Kind: notify.Invalid, Reason: "not_found", Err: fmt.Errorf("no message %s", id)}
}
