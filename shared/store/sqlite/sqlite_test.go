package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/internal/gate"
	"github.com/seed4ddb146e/notify/shared/store/sqlite"
	"github.com/seed4ddb146e/notify/shared/store/storetest"
)

// openFile opens a store on a new file and closes it at the end of the test.
func openFile(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return st
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) notify.Store {
		return openFile(t, filepath.Join(t.TempDir(), "notify.db"))
	})
}

func TestContractMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) notify.Store {
		return openFile(t, ":memory:")
	})
}

// migrations names the rows schema_migrations holds once Open has run.
var migrations = []string{"1 001_messages.sql", "2 002_queue_key.sql", "3 003_idempotency.sql", "4 004_reports.sql", "5 005_quotas.sql", "6 006_codes.sql", "7 007_messages_clustered.sql", "8 008_saas.sql", "9 009_events.sql", "10 010_code_escalation.sql", "11 011_code_restore.sql", "12 012_taken.sql", "13 013_report_refusals.sql", "14 014_answer.sql"}

// checkMigrations fails t unless schema_migrations rows (from
// appliedMigrations) are one for each of migrations.
func checkMigrations(t *testing.T, rows []string) {
	t.Helper()
	ok := len(rows) == len(migrations)
	for i := 0; ok && i < len(rows); i++ {
		ok = strings.HasPrefix(rows[i], migrations[i]+" ")
	}
	if !ok {
		t.Errorf("schema_migrations = %q, want one row for each of %q", rows, migrations)
	}
}

// message returns a new accepted message with id.
func message(id string) *notify.Message {
	now := time.Date(2025, 3, 14, 9, 26, 53, 589_000_000, time.UTC)
	return &notify.Message{ID: id, GroupID: "ops", Channel: notify.SMS, Recipients: []string{"13800138000"},
		SignName: "测试", Template: "SMS_1", Params: `{"code":"1234"}`, Provider: "sandbox",
		Status: notify.Accepted, CreatedAt: now, UpdatedAt: now}
}

// rawDB opens path with database/sql alone, to look under the Store.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// appliedMigrations lists schema_migrations as "version name applied_at".
func appliedMigrations(t *testing.T, path string) []string {
	t.Helper()
	rows, err := rawDB(t, path).QueryContext(t.Context(),
		`SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var v int
		var name, at string
		if err := rows.Scan(&v, &name, &at); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprint(v, " ", name, " ", at))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "notify.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := st.CreateMessage(ctx, message("kept")); err != nil {
		t.Fatalf("CreateMessage: %v", err)
	}
	if err := st.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	before := appliedMigrations(t, path)
	checkMigrations(t, before)

	st = openFile(t, path)
	got, err := st.Message(ctx, "kept")
	if err != nil {
		t.Fatalf("Message after reopening: %v", err)
	}
	if got.SignName != "测试" || got.Params != `{"code":"1234"}` {
		t.Errorf("after reopening: SignName %q, Params %q; want %q, %q", got.SignName, got.Params, "测试", `{"code":"1234"}`)
	}
	if after := appliedMigrations(t, path); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("schema_migrations after reopening = %q, want it unchanged: %q", after, before)
	}
}

// TestTwoStores has two Store values, as two function instances would, open
// a new file at once and write to it together.
func TestTwoStores(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify.db")
	stores := make([]*sqlite.Store, 2)
	var wg sync.WaitGroup
	for i := range stores {
		wg.Go(func() {
			st, err := sqlite.Open(t.Context(), path)
			if err != nil {
				t.Errorf("Open %d: %v", i, err)
				return
			}
			t.Cleanup(func() { st.Close() })
			stores[i] = st
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	const each = 16
	for i, st := range stores {
		for j := range each {
			wg.Go(func() {
				id := fmt.Sprintf("store%d-%d", i, j)
				if err := writeOne(t.Context(), st, id); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	// Each store reads what the other wrote.
	for i, st := range stores {
		checkWritten(t, st, fmt.Sprintf("store%d-", 1-i), each)
	}
}

// writeOne creates message id and finishes it as submitted with provider
// id "biz-"+id.
func writeOne(ctx context.Context, st notify.Store, id string) error {
	m := message(id)
	if err := st.CreateMessage(ctx, m); err != nil {
		return err
	}
	return st.FinishMessage(ctx, id, notify.Outcome{Status: notify.Submitted, Provider: "sandbox",
		ProviderID: "biz-" + id, At: m.CreatedAt.Add(time.Second)})
}

// checkWritten checks that writeOne wrote prefix0 .. prefix<n-1>.
func checkWritten(t *testing.T, st notify.Store, prefix string, n int) {
	t.Helper()
	for j := range n {
		id := prefix + strconv.Itoa(j)
		got, err := st.Message(t.Context(), id)
		if err != nil {
			t.Errorf("Message(%s): %v", id, err)
			continue
		}
		if got.Status != notify.Submitted || got.ProviderID != "biz-"+id {
			t.Errorf("Message(%s): status %q, provider id %q; want %q, %q", id, got.Status, got.ProviderID,
				notify.Submitted, "biz-"+id)
		}
	}
}

// childEnv, when set, makes the test binary a child of TestTwoProcesses:
// it writes to the file the variable names, under the prefix in childPrefix.
const (
	childEnv    = "NOTIFY_SQLITE_TEST_CHILD"
	childPrefix = "NOTIFY_SQLITE_TEST_PREFIX"
	childWrites = 20
)

// TestTwoProcesses starts two copies of the test binary that open one new
// file at the same time, migrate it and write to it, as two function
// instances on one host would.
func TestTwoProcesses(t *testing.T) {
	if path := os.Getenv(childEnv); path != "" {
		child(t, path, os.Getenv(childPrefix))
		return
	}
	path := filepath.Join(t.TempDir(), "notify.db")
	prefixes := []string{"a-", "b-"}
	cmds := make([]*exec.Cmd, len(prefixes))
	outs := make([]strings.Builder, len(prefixes))
	for i, p := range prefixes {
		cmds[i] = exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestTwoProcesses$", "-test.count=1")
		cmds[i].Env = append(os.Environ(), childEnv+"="+path, childPrefix+"="+p)
		cmds[i].Stdout, cmds[i].Stderr = &outs[i], &outs[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatalf("start child %s: %v", p, err)
		}
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("child %s: %v\n%s", prefixes[i], err, outs[i].String())
		}
	}
	st := openFile(t, path)
	for _, p := range prefixes {
		checkWritten(t, st, p, childWrites)
	}
	checkMigrations(t, appliedMigrations(t, path))
}

func child(t *testing.T, path, prefix string) {
	st := openFile(t, path)
	for j := range childWrites {
		if err := writeOne(t.Context(), st, prefix+strconv.Itoa(j)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("not a database, and long enough to be read as a header\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		want string // in the error
	}{
		{"empty path", "", "sqlite: open: empty path"},
		{"missing directory", filepath.Join(dir, "missing", "notify.db"), "sqlite: open " + filepath.Join(dir, "missing", "notify.db") +
			": unable to open database file (14): stat " + filepath.Join(dir, "missing") + ": no such file or directory"},
		{"a directory", dir, "sqlite: open " + dir + ": unable to open database file (14): " + dir + " is a directory"},
		{"not a database", file, "sqlite: open " + file + ": file is not a database"},
		{"settings only", "?synchronous=full", "sqlite: open: empty path"},
		{"unknown value", file + "?synchronous=off", "sqlite: open " + file + "?synchronous=off: synchronous=off: want full or normal"},
		{"unknown setting", file + "?sync=full", "sqlite: open " + file + `?sync=full: unknown setting "sync"`},
		{"setting twice", file + "?synchronous=full&synchronous=normal",
			"sqlite: open " + file + "?synchronous=full&synchronous=normal: synchronous is set 2 times"},
		{"bad query", file + "?synchronous=%zz", "sqlite: open " + file + `?synchronous=%zz: read the settings after "?": invalid URL escape "%zz"`},
		{"? in the name", filepath.Join(dir, "a?b.db"), "sqlite: open " + filepath.Join(dir, "a?b.db") + `: unknown setting "b.db"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := sqlite.Open(t.Context(), tt.path)
			if err == nil {
				st.Close()
				t.Fatalf("Open(%q) succeeded, want an error", tt.path)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Open(%q) = %q, want it to start with %q", tt.path, err, tt.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open created the missing directory: stat: %v", err)
	}
}

func TestOpenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	path := filepath.Join(t.TempDir(), "notify.db")
	if st, err := sqlite.Open(ctx, path); !errors.Is(err, context.Canceled) {
		if err == nil {
			st.Close()
		}
		t.Errorf("Open(cancelled) = %v, want an error wrapping context.Canceled", err)
	}
}

// TestOddPath opens a file whose name holds characters a URI would read as
// its query, fragment or escapes; the "?" after it says where the name ends.
func TestOddPath(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a?b=c#d %41 é.db")
	st := openFile(t, path+"?")
	if err := st.CreateMessage(t.Context(), message("odd")); err != nil {
		t.Fatalf("CreateMessage: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the database is not at %q: %v", path, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), filepath.Base(path)) {
			t.Errorf("unexpected file %q next to %q", e.Name(), filepath.Base(path))
		}
	}
}

func TestRelativePath(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	st := openFile(t, "notify.db")
	if err := st.CreateMessage(t.Context(), message("relative")); err != nil {
		t.Fatalf("CreateMessage: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "notify.db")); err != nil {
		t.Errorf("the database is not in the working directory: %v", err)
	}
}

func TestClosed(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "notify.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateMessage(ctx, message("before")); err != nil {
		t.Fatalf("CreateMessage: %v", err)
	}
	if err := st.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	calls := []struct {
		name string
		call func() error
	}{
		{"CreateMessage", func() error { return st.CreateMessage(ctx, message("after")) }},
		{"FinishMessage", func() error {
			return st.FinishMessage(ctx, "before", notify.Outcome{Status: notify.Submitted, At: time.Now()})
		}},
		{"Message", func() error { _, err := st.Message(ctx, "before"); return err }},
		{"MessageByQueueKey", func() error { _, err := st.MessageByQueueKey(ctx, "sqs:1"); return err }},
	}
	for _, c := range calls {
		err := c.call()
		if !errors.Is(err, gate.ErrClosed) || notify.KindOf(err) != notify.Unavailable {
			t.Errorf("%s after Close = %v, want the store is closed, kind unavailable", c.name, err)
		}
	}
	if err := st.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestTimeRange(t *testing.T) {
	st := openFile(t, ":memory:")
	m := message("far")
	m.CreatedAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	err := st.CreateMessage(t.Context(), m)
	if want := "sqlite: create message far: created_at 10000-01-01T00:00:00Z is outside years 0-9999"; err == nil || err.Error() != want {
		t.Errorf("CreateMessage(year 10000) = %v, want %q", err, want)
	}
	if _, err := st.Message(t.Context(), "far"); notify.KindOf(err) != notify.NotFound {
		t.Errorf("Message after a refused create = %v, want not found", err)
	}
}

// FuzzRoundTrip checks that what is created reads back byte for byte, and
// that a time the store cannot hold is refused rather than mangled.
func FuzzRoundTrip(f *testing.F) {
	f.Add(`{"code":"123456"}`, "13800138000", "阿里云短信测试", int64(1741944413589), int64(999_999))
	f.Add(`{"name":"\u5f20\u4e09","e":"😀"}`, "用户@例子.广告", "", int64(-1), int64(0))
	f.Add("\x00'); DROP TABLE messages; --", "", "\x00", int64(253402300799999), int64(1))
	f.Add("", "[]", "\"", int64(-62135596800000), int64(0))
	st, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, params, recipient, sign string, ms, ns int64) {
		if !utf8.ValidString(recipient) {
			t.Skip("recipients are JSON text: invalid UTF-8 would read back as U+FFFD")
		}
		at := time.UnixMilli(ms).Add(time.Duration(ns % 1e6))
		m := message(fmt.Sprint("fuzz-", n.Add(1)))
		m.Params, m.Recipients, m.SignName, m.CreatedAt = params, []string{recipient, recipient + "2"}, sign, at
		err := st.CreateMessage(t.Context(), m)
		if y := at.UTC().Year(); y < 0 || y > 9999 {
			if err == nil {
				t.Fatalf("CreateMessage with created_at %v succeeded, want an error", at)
			}
			return
		}
		if err != nil {
			t.Fatalf("CreateMessage: %v", err)
		}
		got, err := st.Message(t.Context(), m.ID)
		if err != nil {
			t.Fatalf("Message: %v", err)
		}
		if got.Params != params || got.SignName != sign || len(got.Recipients) != 2 ||
			got.Recipients[0] != recipient || got.Recipients[1] != recipient+"2" {
			t.Errorf("read back Params %q, SignName %q, Recipients %q; want %q, %q, [%q %q]",
				got.Params, got.SignName, got.Recipients, params, sign, recipient, recipient+"2")
		}
		if want := at.Truncate(time.Millisecond); !got.CreatedAt.Equal(want) {
			t.Errorf("CreatedAt = %v, want %v", got.CreatedAt, want)
		}
	})
}

func ExampleOpen() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "notify")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	st, err := sqlite.Open(ctx, filepath.Join(dir, "notify.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()

	now := time.Date(2025, 3, 14, 9, 26, 53, 589_793_238, time.UTC)
	m := &notify.Message{ID: notify.NewID(now), GroupID: "ops", Channel: notify.SMS,
		Recipients: []string{"13800138000"}, SignName: "阿里云短信测试", Template: "SMS_154950909",
		Params: `{"code":"1234"}`, Provider: "aliyun", Status: notify.Accepted, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateMessage(ctx, m); err != nil {
		fmt.Println(err)
		return
	}
	// ... the SMS is sent ...
	err = st.FinishMessage(ctx, m.ID, notify.Outcome{Status: notify.Submitted, Provider: "aliyun",
		ProviderID: "900619746936498440^0", At: now.Add(180 * time.Millisecond)})
	if err != nil {
		fmt.Println(err)
		return
	}
	got, err := st.Message(ctx, m.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(got.Status, got.ProviderID, got.Recipients, got.UpdatedAt.Format(time.RFC3339Nano))

	_, err = st.Message(ctx, "nope")
	fmt.Println(notify.KindOf(err), notify.AsError(err).Reason)
	// Output:
	// submitted 900619746936498440^0 [13800138000] 2025-03-14T09:26:53.769Z
	// not_found not_found
}

func ExampleStore_MessageByQueueKey() {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()

	now := time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)
	delivery := func(id string) *notify.Message {
		return &notify.Message{ID: id, GroupID: "ops", Channel: notify.SMS, Recipients: []string{"13800138000"},
			Template: "SMS_154950909", QueueKey: "sqs:059f36b4-87a3-44ab-83d2-661975830a7d",
			Status: notify.Accepted, CreatedAt: now, UpdatedAt: now}
	}
	first := delivery("first")
	fmt.Println(st.CreateMessage(ctx, first))

	// The queue delivers the message again: its record is found, not sent twice.
	err = st.CreateMessage(ctx, delivery("second"))
	fmt.Println(notify.KindOf(err), notify.AsError(err).Reason)
	m, err := st.MessageByQueueKey(ctx, first.QueueKey)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.ID, m.Status)

	// A failed send lets the next delivery try again.
	err = st.FinishMessage(ctx, first.ID, notify.Outcome{Status: notify.Failed, ErrorCode: "isp.SYSTEM_ERROR", At: now})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(st.CreateMessage(ctx, delivery("third")))
	// Output:
	// <nil>
	// conflict duplicate_queue_message
	// first accepted
	// <nil>
}

func TestIdempotencyContract(t *testing.T) {
	storetest.RunIdempotency(t, func(t *testing.T) notify.IdempotencyStore {
		st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "notify.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	})
}
