package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/internal/gate"
	"github.com/seed4ddb146e/notify/shared/store/internal/sqltext"
	"github.com/seed4ddb146e/notify/shared/store/postgres"
	"github.com/seed4ddb146e/notify/shared/store/postgres/pgtest"
	"github.com/seed4ddb146e/notify/shared/store/storetest"
)

// pg is the server of the package's tests, internal and external.
var pg = postgres.Cluster()

func TestMain(m *testing.M) { pg.Main(m) }

// open opens a store on url and closes it at the end of the test.
func open(t testing.TB, url string) *postgres.Store {
	t.Helper()
	st, err := postgres.Open(t.Context(), url)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return st
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) notify.Store { return open(t, pg.Database(t)) })
}

// connect opens a plain connection to url, to look under the Store.
func connect(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// exec runs statements on url, as the role it names, or fails t.
func exec(t testing.TB, url string, sqls ...string) {
	t.Helper()
	conn := connect(t, url)
	for _, sql := range sqls {
		if _, err := conn.Exec(t.Context(), sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
}

// migrations names the rows schema_migrations holds once Open has run.
var migrations = []string{"1 001_messages.sql", "2 002_queue_key.sql", "3 003_idempotency.sql", "4 004_reports.sql", "5 005_quotas.sql", "6 006_codes.sql", "7 007_saas.sql", "8 008_events.sql", "9 009_code_escalation.sql", "10 010_code_restore.sql", "11 011_taken.sql", "12 012_report_refusals.sql", "13 013_answer.sql"}

// appliedMigrations lists schema_migrations as "version name applied_at".
func appliedMigrations(t *testing.T, url string) []string {
	t.Helper()
	rows, err := connect(t, url).Query(t.Context(),
		`SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	var got []string
	var (
		v    int
		name string
		at   time.Time
	)
	if _, err := pgx.ForEachRow(rows, []any{&v, &name, &at}, func() error {
		got = append(got, fmt.Sprint(v, " ", name, " ", at.UTC().Format(time.RFC3339Nano)))
		return nil
	}); err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	return got
}

// checkMigrations fails t unless rows (from appliedMigrations) are one for
// each of migrations.
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

// TestMigrateAgain reopens and migrates a database that is up to date:
// nothing changes, and the records stay.
func TestMigrateAgain(t *testing.T) {
	ctx := t.Context()
	url := pg.Database(t)
	st := open(t, url)
	if err := writeOne(ctx, st, "kept"); err != nil {
		t.Fatal(err)
	}
	before := appliedMigrations(t, url)
	checkMigrations(t, before)
	for i := range 2 {
		if err := postgres.Migrate(ctx, url); err != nil {
			t.Fatalf("Migrate %d: %v", i+1, err)
		}
	}
	if got, err := open(t, url).Message(ctx, "kept"); err != nil || got.ProviderID != "biz-kept" {
		t.Errorf("Message(kept) after migrating again = %+v, %v; want provider id biz-kept", got, err)
	}
	if after := appliedMigrations(t, url); !slices.Equal(after, before) {
		t.Errorf("schema_migrations after migrating again = %q, want it unchanged: %q", after, before)
	}
}

// TestConcurrentOpen has several instances open a new database at once:
// all succeed, each migration runs once, and each reads what the others
// write.
func TestConcurrentOpen(t *testing.T) {
	url := pg.Database(t)
	stores := make([]*postgres.Store, 4)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range stores {
		wg.Go(func() {
			<-start
			st, err := postgres.Open(t.Context(), url)
			if err != nil {
				t.Errorf("Open %d: %v", i, err)
				return
			}
			t.Cleanup(func() { st.Close() })
			stores[i] = st
		})
	}
	close(start)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	checkMigrations(t, appliedMigrations(t, url))
	const each = 8
	for i, st := range stores {
		for j := range each {
			wg.Go(func() {
				if err := writeOne(t.Context(), st, fmt.Sprintf("store%d-%d", i, j)); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	for i, st := range stores {
		checkWritten(t, st, fmt.Sprintf("store%d-", (i+1)%len(stores)), each)
	}
}

// TestLaterMigration adds a 999 the way a later change will, to a database
// the released schema made, and checks it runs once, and that the released
// migrations, which lack it, still open the database.
func TestLaterMigration(t *testing.T) {
	ctx := t.Context()
	url := pg.Database(t)
	open(t, url)
	later := schema(t, fstest.MapFS{"999_later.sql": {Data: []byte(
		"ALTER TABLE messages ADD COLUMN later_key TEXT NOT NULL DEFAULT '';\n" +
			"CREATE UNIQUE INDEX messages_later ON messages (group_id, later_key) WHERE later_key <> '';\n")}})
	// Plain ALTER TABLE fails if it runs twice.
	for range 2 {
		if err := postgres.MigrateFS(ctx, url, later); err != nil {
			t.Fatalf("migrate with 999: %v", err)
		}
	}
	rows := appliedMigrations(t, url)
	if len(rows) != len(migrations)+1 || !strings.HasPrefix(rows[len(migrations)], "999 999_later.sql ") {
		t.Errorf("schema_migrations after 999 = %q, want %q and 999", rows, migrations)
	}
	exec(t, url, `SELECT later_key FROM messages`)
	if err := postgres.Migrate(ctx, url); err != nil {
		t.Errorf("Migrate without 999 on a database that has it: %v", err)
	}
}

// schema returns the embedded migrations plus extra files.
func schema(t *testing.T, extra fstest.MapFS) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	names, err := fs.Glob(postgres.Migrations(), "*.sql")
	if err != nil || len(names) != len(migrations) {
		t.Fatalf("embedded migrations %q (%v), want %d", names, err, len(migrations))
	}
	for _, name := range names {
		b, err := fs.ReadFile(postgres.Migrations(), name)
		if err != nil {
			t.Fatal(err)
		}
		fsys[name] = &fstest.MapFile{Data: b}
	}
	for name, f := range extra {
		fsys[name] = f
	}
	return fsys
}

// TestFailedMigration checks that a migration failing halfway leaves
// nothing behind, and that the error names it.
func TestFailedMigration(t *testing.T) {
	ctx := t.Context()
	url := pg.Database(t)
	bad := schema(t, fstest.MapFS{"999_bad.sql": {Data: []byte(
		"CREATE TABLE half (x INTEGER);\nALTER TABLE nowhere ADD COLUMN y TEXT;\n")}})
	err := postgres.MigrateFS(ctx, url, bad)
	if err == nil || !strings.Contains(err.Error(), ": apply migration 999_bad.sql: ") {
		t.Fatalf("migrate with a bad 999 = %v, want an error naming it", err)
	}
	var tables []string
	rows, err := connect(t, url).Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	if tables, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		t.Fatal(err)
	}
	if len(tables) != 0 {
		t.Errorf("tables after a failed first migration = %q, want none: the released ones go with 999", tables)
	}
	// The released migrations still apply.
	open(t, url)
	checkMigrations(t, appliedMigrations(t, url))
}

// TestQueueKeyPlan checks that MessageByQueueKey's prepared statement can
// use the partial index whatever key it is given.
func TestQueueKeyPlan(t *testing.T) {
	ctx := t.Context()
	url := pg.Database(t)
	open(t, url)
	conn := connect(t, url)
	for _, sql := range []string{"SET enable_seqscan = off", "SET plan_cache_mode = force_generic_plan",
		"PREPARE by_queue_key(text) AS " + postgres.ByQueueKeySQL} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	rows, err := conn.Query(ctx, "EXPLAIN EXECUTE by_queue_key('sqs:1')")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(plan, "\n"); !strings.Contains(got, "messages_queue_key") {
		t.Errorf("plan of MessageByQueueKey does not use messages_queue_key:\n%s", got)
	}
}

// TestAdoptPlan checks that the adoption of an orphan looks for a report
// it would duplicate through reports_dedupe, rather than reading every
// report under the report lock (it did, while migration 012 made
// reports_dedupe partial).
func TestAdoptPlan(t *testing.T) {
	ctx := t.Context()
	url := pg.Database(t)
	open(t, url)
	conn := connect(t, url)
	for _, sql := range []string{"SET enable_seqscan = off", "SET plan_cache_mode = force_generic_plan",
		"PREPARE adopt(text, text, bigint) AS " + sqltext.Adopt} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	rows, err := conn.Query(ctx, "EXPLAIN EXECUTE adopt('m', '13800138000', 1)")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(plan, "\n"); !strings.Contains(got, "reports_dedupe") || strings.Contains(got, "Seq Scan") {
		t.Errorf("plan of Adopt scans reports rather than using reports_dedupe:\n%s", got)
	}
}

func TestPoolSize(t *testing.T) {
	url := pg.Database(t)
	tests := []struct {
		query string
		want  int32
	}{
		{"", 4},
		{"pool_max_conns=2", 2},
		{"pool_max_conns=16", 16},
	}
	for _, tt := range tests {
		u := url
		if tt.query != "" {
			u += "&" + tt.query
		}
		if got := open(t, u).PoolConfig().MaxConns; got != tt.want {
			t.Errorf("Open(%q): MaxConns = %d, want %d", tt.query, got, tt.want)
		}
	}
}

// password is a password with every character a URL must escape.
const password = `pa:ss@wo/rd?#%"é\ 1`

// withUser returns url with user and password instead of its own.
func withUser(t *testing.T, raw, user, password string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(user, password)
	return u.String()
}

// checkHidden fails t if err shows password in any form.
func checkHidden(t *testing.T, what string, err error, passwords ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s succeeded, want an error", what)
		return
	}
	for _, p := range passwords {
		q := strconv.Quote(p)
		for _, form := range []string{p, url.PathEscape(p), url.QueryEscape(p), q[1 : len(q)-1]} {
			if strings.Contains(err.Error(), form) {
				t.Errorf("%s = %q, shows the password as %q", what, err, form)
			}
		}
	}
}

// TestPassword logs in as a role that must give its password.
func TestPassword(t *testing.T) {
	admin := pg.Database(t)
	role := fmt.Sprintf("notify_%d", time.Now().UnixNano())
	db := strings.TrimPrefix(mustParse(t, admin).Path, "/")
	exec(t, admin, fmt.Sprintf(`CREATE ROLE %s LOGIN PASSWORD '%s'`, role, strings.ReplaceAll(password, "'", "''")),
		fmt.Sprintf(`ALTER DATABASE %s OWNER TO %s`, db, role))
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), admin)
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close(context.Background())
		for _, sql := range []string{"REASSIGN OWNED BY " + role + " TO CURRENT_USER", "DROP OWNED BY " + role,
			"DROP ROLE " + role} {
			if _, err := conn.Exec(context.Background(), sql); err != nil {
				t.Errorf("%s: %v", sql, err)
			}
		}
	})
	ctx := t.Context()
	right := withUser(t, admin, role, password)

	for _, wrong := range []string{password + "x", "another secret"} {
		st, err := postgres.Open(ctx, withUser(t, admin, role, wrong))
		if err == nil {
			st.Close()
			if os.Getenv(pgtest.EnvURL) != "" {
				t.Skipf("the server %s names accepts a wrong password", pgtest.EnvURL)
			}
			t.Fatal("Open with a wrong password succeeded")
		}
		checkHidden(t, "Open with a wrong password", err, wrong, password)
		if !strings.Contains(err.Error(), "password authentication failed") {
			t.Errorf("Open with a wrong password = %q, want it to say so", err)
		}
	}

	st := open(t, right)
	if err := writeOne(ctx, st, "by-role"); err != nil {
		t.Fatalf("write as %s: %v", role, err)
	}

	// The password changes under a running store, and its connections go:
	// the next ones fail to log in.
	exec(t, admin, fmt.Sprintf(`ALTER ROLE %s PASSWORD 'changed-password'`, role),
		fmt.Sprintf(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '%s'`, role))
	refused := false
	for i := 0; i < 5 && !refused; i++ {
		err := st.CreateMessage(ctx, message(fmt.Sprint("after-", i)))
		checkHidden(t, "CreateMessage after the password changed", err, password)
		refused = err != nil && strings.Contains(err.Error(), "password authentication failed")
	}
	if !refused {
		t.Error("no CreateMessage after the password changed failed to log in")
	}
	_, err := st.Message(ctx, "by-role")
	checkHidden(t, "Message after the password changed", err, password)
}

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestUnreachable opens servers that are not there.
func TestUnreachable(t *testing.T) {
	user := url.UserPassword("notify", password)
	tests := []struct {
		name string
		url  *url.URL
		want string // in the error
	}{
		{"refused", &url.URL{Scheme: "postgres", User: user, Host: "127.0.0.1:1", Path: "/notify"}, "connection refused"},
		{"no socket", &url.URL{Scheme: "postgres", User: user, Path: "/notify",
			RawQuery: url.Values{"host": {t.TempDir()}}.Encode()}, "no such file or directory"},
		{"password in the query", &url.URL{Scheme: "postgres", User: url.User("notify"), Host: "127.0.0.1:1",
			Path: "/notify", RawQuery: url.Values{"password": {password}}.Encode()}, "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := postgres.Open(t.Context(), tt.url.String())
			if err == nil {
				st.Close()
				t.Fatal("Open succeeded, want an error")
			}
			checkHidden(t, "Open", err, password)
			if !strings.HasPrefix(err.Error(), "postgres: migrate notify on ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open = %q, want a \"postgres: migrate notify on ...\" error saying %q", err, tt.want)
			}
			checkHidden(t, "Migrate", postgres.Migrate(t.Context(), tt.url.String()), password)
		})
	}
}

func TestOpenErrors(t *testing.T) {
	const notURL = "postgres: the database URL is not a postgres:// URL"
	tests := []struct {
		name   string
		url    string
		want   string // the error starts with it
		secret string // not in the error
	}{
		{"empty", "", notURL, ""},
		{"sqlite", "sqlite:/var/lib/notify/notify.db", notURL, ""},
		{"keywords", "host=db.internal user=notify password=kw-secret", notURL, "kw-secret"},
		{"/ in the password", "postgres://notify:ab/zq7x@db.internal/notify", notURL, "zq7x"},
		{"@ in the password", "postgres://notify:ab:cd@zq7x@127.0.0.1/notify", notURL, "zq7x"},
		{"? in the password", "postgres://notify:ab?zq7x@127.0.0.1/notify", notURL, "zq7x"},
		{"/ and @ in the password", "postgres://notify:5432/ab@zq7x@127.0.0.1/notify", notURL, "zq7x"},
		{"@ in the database", "postgres://notify:5432/ab@zq7x", notURL, "zq7x"},
		{"bad escape", "postgres://notify:ab%zzzq7x@127.0.0.1/notify", notURL, "zq7x"},
		{"bad port", "postgres://notify:port-secret@db.internal:99999/notify",
			"postgres: read the database URL: cannot parse `postgres://notify:xxxxx@db.internal:99999/notify`: invalid port",
			"port-secret"},
		{"bad pool size", "postgres://notify:pool-secret@db.internal/notify?pool_max_conns=many",
			"postgres: read the database URL: cannot parse `postgres://notify:xxxxx@db.internal/notify?pool_max_conns=many`: " +
				"cannot parse pool_max_conns", "pool-secret"},
		{"bad sslmode", "postgres://notify@db.internal/notify?sslmode=bogus&password=query-secret",
			"postgres: read the database URL: cannot parse `postgres://notify@db.internal/notify?sslmode=bogus&password=xxxxx`: " +
				"failed to configure TLS (sslmode is invalid)", "query-secret"},
		{"bad escape in the query", "postgres://notify@db.internal/notify?pool_max_conns=0&password=ab%zzq7x",
			"postgres: read the database URL: cannot parse `postgres://notify@db.internal/notify?pool_max_conns=0&password=xxxxx`: ",
			"zzq7x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := postgres.Open(t.Context(), tt.url)
			if err == nil {
				st.Close()
				t.Fatalf("Open(%q) succeeded, want an error", tt.url)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Open(%q) = %q, want it to start with %q", tt.url, err, tt.want)
			}
			if tt.secret != "" && strings.Contains(err.Error(), tt.secret) {
				t.Errorf("Open(%q) = %q, shows the password", tt.url, err)
			}
		})
	}
}

func TestOpenCancelled(t *testing.T) {
	url := pg.Database(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if st, err := postgres.Open(ctx, url); !errors.Is(err, context.Canceled) {
		if err == nil {
			st.Close()
		}
		t.Errorf("Open(cancelled) = %v, want an error wrapping context.Canceled", err)
	}
	if err := postgres.Migrate(ctx, url); !errors.Is(err, context.Canceled) {
		t.Errorf("Migrate(cancelled) = %v, want an error wrapping context.Canceled", err)
	}
	if rows := migrationCount(t, url); rows != 0 {
		t.Errorf("a cancelled Open migrated the database: %d rows in schema_migrations", rows)
	}
}

// migrationCount counts the rows of schema_migrations, 0 if it is missing.
func migrationCount(t *testing.T, url string) int {
	t.Helper()
	conn := connect(t, url)
	var exists bool
	if err := conn.QueryRow(t.Context(), `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil || !exists {
		return 0
	}
	var n int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestClosed(t *testing.T) {
	ctx := t.Context()
	st, err := postgres.Open(ctx, pg.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := writeOne(ctx, st, "before"); err != nil {
		t.Fatal(err)
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
			return st.FinishMessage(ctx, "before", notify.Outcome{Status: notify.Failed, At: time.Now()})
		}},
		{"Message", func() error { _, err := st.Message(ctx, "before"); return err }},
		{"MessageByQueueKey", func() error { _, err := st.MessageByQueueKey(ctx, "sqs:1"); return err }},
	}
	for _, c := range calls {
		if err := c.call(); !errors.Is(err, gate.ErrClosed) || notify.KindOf(err) != notify.Unavailable {
			t.Errorf("%s after Close = %v, want the store is closed, kind unavailable", c.name, err)
		}
	}
	if err := st.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestTimeRange(t *testing.T) {
	st := open(t, pg.Database(t))
	m := message("far")
	m.CreatedAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	err := st.CreateMessage(t.Context(), m)
	if want := "postgres: create message far: created_at 10000-01-01T00:00:00Z is outside years 0-9999"; err == nil || err.Error() != want {
		t.Errorf("CreateMessage(year 10000) = %v, want %q", err, want)
	}
	err = st.FinishMessage(t.Context(), "far", notify.Outcome{Status: notify.Failed, At: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)})
	if want := "postgres: finish message far: outcome time -0001-01-01T00:00:00Z is outside years 0-9999"; err == nil || err.Error() != want {
		t.Errorf("FinishMessage(year -1) = %v, want %q", err, want)
	}
	if _, err := st.Message(t.Context(), "far"); notify.KindOf(err) != notify.NotFound {
		t.Errorf("Message after a refused create = %v, want not found", err)
	}
}

// TestTimesInUTC checks that times read back in UTC, to the millisecond,
// whatever the session's TimeZone and however pgx sends the statements
// (results in the binary format, or in the text format, with the
// session's offset, in exec and simple_protocol modes).
func TestTimesInUTC(t *testing.T) {
	kathmandu := time.FixedZone("NPT", 5*3600+45*60)
	at := time.Date(2026, 11, 24, 9, 20, 14, 123_456_789, kathmandu)
	want := time.Date(2026, 11, 24, 3, 35, 14, 123_000_000, time.UTC)
	for _, mode := range []string{"cache_statement", "exec", "simple_protocol"} {
		t.Run(mode, func(t *testing.T) {
			ctx := t.Context()
			st := open(t, pg.Database(t)+"&timezone=America/St_Johns&default_query_exec_mode="+mode)
			m := message("utc")
			m.CreatedAt, m.UpdatedAt = at, at
			if err := st.CreateMessage(ctx, m); err != nil {
				t.Fatalf("CreateMessage: %v", err)
			}
			got, err := st.Message(ctx, m.ID)
			if err != nil {
				t.Fatalf("Message: %v", err)
			}
			task := &notify.Task{GroupID: "ops", Station: "s1", Phone: "13800138000", Content: `{}`, BusinessType: 1,
				CreatedAt: at}
			if err := st.AddTask(ctx, task); err != nil {
				t.Fatalf("AddTask: %v", err)
			}
			gotTask, err := st.Task(ctx, "ops", task.ID)
			if err != nil {
				t.Fatalf("Task: %v", err)
			}
			// The task's time is read as pgx gives it: in UTC only because
			// each connection asks pgx for it.
			for _, tt := range []struct {
				name string
				got  time.Time
			}{{"CreatedAt", got.CreatedAt}, {"UpdatedAt", got.UpdatedAt}, {"Task.CreatedAt", gotTask.CreatedAt}} {
				if tt.got != want {
					t.Errorf("%s = %v (%s), want %v", tt.name, tt.got, tt.got.Location(), want)
				}
			}
		})
	}
}

// TestText writes strings PostgreSQL's text cannot hold: they read back
// with U+FFFD in place of each NUL and each run of bytes that is not UTF-8.
func TestText(t *testing.T) {
	ctx := t.Context()
	st := open(t, pg.Database(t))
	m := message("nul\x00id")
	m.GroupID, m.SignName, m.Params = "ops\x00", "签名\xff\xfe名", "{\"a\":\"\x00\"}"
	m.Recipients = []string{"138\x0000138000", "\xc3"}
	if err := st.CreateMessage(ctx, m); err != nil {
		t.Fatalf("CreateMessage: %v", err)
	}
	o := notify.Outcome{Status: notify.Failed, Provider: "aliyun", ErrorCode: "E\x00", ErrorText: "bad \xe4\xb8 reply\x00",
		RequestID: "\xff", At: m.CreatedAt}
	if err := st.FinishMessage(ctx, m.ID, o); err != nil {
		t.Fatalf("FinishMessage: %v", err)
	}
	got, err := st.Message(ctx, m.ID)
	if err != nil {
		t.Fatalf("Message(%q): %v", m.ID, err)
	}
	tests := []struct{ field, got, want string }{
		{"ID", got.ID, "nul\uFFFDid"},
		{"GroupID", got.GroupID, "ops\uFFFD"},
		{"SignName", got.SignName, "签名\uFFFD名"},
		{"Params", got.Params, "{\"a\":\"\uFFFD\"}"},
		{"Recipients", strings.Join(got.Recipients, ","), "138\uFFFD00138000,\uFFFD"},
		{"ErrorCode", got.ErrorCode, "E\uFFFD"},
		{"ErrorText", got.ErrorText, "bad \uFFFD reply\uFFFD"},
		{"RequestID", got.RequestID, "\uFFFD"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.field, tt.got, tt.want)
		}
	}
}

// FuzzRoundTrip checks that what is created reads back, byte for byte when
// PostgreSQL's text can hold it, and that a time the store cannot hold is
// refused rather than mangled.
func FuzzRoundTrip(f *testing.F) {
	f.Add(`{"code":"123456"}`, "13800138000", "阿里云短信测试", int64(1741944413589), int64(999_999))
	f.Add(`{"name":"\u5f20\u4e09","e":"😀"}`, "用户@例子.广告", "", int64(-1), int64(0))
	f.Add("'); DROP TABLE messages; --", "", "\"", int64(253402300799999), int64(1))
	f.Add("\x00\xff", "[]", "\\", int64(-62135596800000), int64(0))
	st := open(f, pg.Database(f))
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, params, recipient, sign string, ms, ns int64) {
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
		params, recipient, sign = storable(params), storable(recipient), storable(sign)
		if got.Params != params || got.SignName != sign || len(got.Recipients) != 2 ||
			got.Recipients[0] != recipient || got.Recipients[1] != storable(m.Recipients[1]) {
			t.Errorf("read back Params %q, SignName %q, Recipients %q; want %q, %q, [%q %q]",
				got.Params, got.SignName, got.Recipients, params, sign, recipient, storable(m.Recipients[1]))
		}
		if want := at.UTC().Add(-time.Duration(at.Nanosecond() % 1e6)); !got.CreatedAt.Equal(want) {
			t.Errorf("CreatedAt = %v, want %v", got.CreatedAt, want)
		}
	})
}

// storable is s as the store keeps it.
func storable(s string) string {
	if utf8.ValidString(s) && !strings.Contains(s, "\x00") {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// BenchmarkCreateFinish is storetest.BenchCreateFinish.
func BenchmarkCreateFinish(b *testing.B) { storetest.BenchCreateFinish(b, open(b, pg.Database(b))) }

// BenchmarkCreateFinishParallel is storetest.BenchCreateFinishParallel, 16
// goroutines per CPU sharing the pool of 4 connections.
func BenchmarkCreateFinishParallel(b *testing.B) {
	storetest.BenchCreateFinishParallel(b, open(b, pg.Database(b)))
}

// ExampleOpen records a message and its outcome. It needs a server, so it
// is compiled but not run.
func ExampleOpen() {
	ctx := context.Background()
	st, err := postgres.Open(ctx, "postgres://notify:secret@db.internal:5432/notify?sslmode=verify-full")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()

	now := time.Now()
	m := &notify.Message{ID: notify.NewID(now), GroupID: "ops", Channel: notify.SMS,
		Recipients: []string{"13800138000"}, SignName: "阿里云短信测试", Template: "SMS_154950909",
		Params: `{"code":"1234"}`, Provider: "aliyun", Status: notify.Accepted, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateMessage(ctx, m); err != nil {
		fmt.Println(err)
		return
	}
	// ... the SMS is sent ...
	err = st.FinishMessage(ctx, m.ID, notify.Outcome{Status: notify.Submitted, Provider: "aliyun",
		ProviderID: "900619746936498440^0", At: time.Now()})
	if err != nil {
		fmt.Println(err)
	}
}

// TestOpenWithStandardConformingStringsOff checks that a database whose
// standard_conforming_strings is off (per database, role or server, as
// PostgreSQL still allows) opens, new or migrated, and serves calls.
func TestOpenWithStandardConformingStringsOff(t *testing.T) {
	for _, migrated := range []bool{false, true} {
		url := pg.Database(t)
		conn := connect(t, url)
		var name string
		if err := conn.QueryRow(t.Context(), `SELECT current_database()`).Scan(&name); err != nil {
			t.Fatal(err)
		}
		if migrated {
			if err := postgres.Migrate(t.Context(), url); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := conn.Exec(t.Context(), `ALTER DATABASE `+name+` SET standard_conforming_strings = off`); err != nil {
			t.Fatal(err)
		}
		st, err := postgres.Open(t.Context(), url)
		if err != nil {
			t.Errorf("migrated %v: Open: %v", migrated, err)
			continue
		}
		if _, err := st.Message(t.Context(), "x"); notify.KindOf(err) != notify.NotFound {
			t.Errorf("migrated %v: Message: %v; want not_found", migrated, err)
		}
		st.Close()
	}
}

// TestMigrationBehindLongTransaction starts a migration of the messages
// table while another session holds a transaction that read it (a long
// report query, a pg_dump): the migration waits for that transaction, and
// the sends of an instance already open, which queue behind the
// migration's lock, must not wait with it. Once the transaction ends, the
// migration is applied.
func TestMigrationBehindLongTransaction(t *testing.T) {
	ctx := t.Context()
	url := pg.Database(t)
	running := open(t, url)
	create := func(i int) error {
		now := time.Now()
		m := &notify.Message{ID: notify.NewID(now), GroupID: "ops", Channel: notify.SMS, Recipients: []string{"13800138000"},
			Provider: "aliyun", Status: notify.Accepted, CreatedAt: now, UpdatedAt: now}
		// Generous on a busy machine: a migration that waits for the
		// transaction holds the insert until it ends, far longer.
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		return running.CreateMessage(cctx, m)
	}
	if err := create(0); err != nil {
		t.Fatal(err)
	}
	long := connect(t, url)
	tx, err := long.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM messages`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	later := schema(t, fstest.MapFS{"999_later.sql": {Data: []byte("ALTER TABLE messages ADD COLUMN later_key TEXT NOT NULL DEFAULT '';\n")}})
	migrated := make(chan error, 1)
	go func() { migrated <- postgres.MigrateFS(ctx, url, later) }()
	// Wait for the migration to wait for the table.
	watch := connect(t, url)
	for deadline := time.Now().Add(30 * time.Second); ; {
		var waiting bool
		if err := watch.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE relation = 'messages'::regclass AND NOT granted)`).
			Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the migration never waited for the messages table")
		}
		time.Sleep(5 * time.Millisecond)
	}
	for i := range 5 {
		if err := create(i + 1); err != nil {
			t.Fatalf("a send of a running instance while a migration waits for a long transaction: %v", err)
		}
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-migrated; err != nil {
		t.Fatalf("the migration after the transaction ended: %v", err)
	}
	exec(t, url, `SELECT later_key FROM messages`)
}
