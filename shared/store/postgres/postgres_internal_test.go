package postgres

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		url     string
		conns   int32
		timeout time.Duration
	}{
		{"postgres://notify@db.internal/notify", defaultMaxConns, defaultConnectTimeout},
		{"postgresql://notify@db.internal/notify?pool_max_conns=10&connect_timeout=2", 10, 2 * time.Second},
		{"postgres:///notify?host=/run/postgresql&pool_max_conns=1", 1, defaultConnectTimeout},
	}
	for _, tt := range tests {
		cfg, _, err := parseURL(tt.url)
		if err != nil {
			t.Errorf("parseURL(%q): %v", tt.url, err)
			continue
		}
		if cfg.MaxConns != tt.conns || cfg.ConnConfig.ConnectTimeout != tt.timeout {
			t.Errorf("parseURL(%q): MaxConns %d, ConnectTimeout %v; want %d, %v", tt.url,
				cfg.MaxConns, cfg.ConnConfig.ConnectTimeout, tt.conns, tt.timeout)
		}
	}
}

func TestSecrets(t *testing.T) {
	const p = `pa:ss "é"`
	tests := []struct {
		text string
		want string
	}{
		{"password " + p + " here", "password xxxxx here"},
		{"escaped pa:ss%20%22%C3%A9%22 and pa%3Ass+%22%C3%A9%22", "escaped xxxxx and xxxxx"},
		{`quoted "pa:ss \"é\""`, `quoted "xxxxx"`},
		{"nothing to hide", "nothing to hide"},
	}
	s := secrets(nil).with(p).with("").with(p)
	if len(s) != 4 {
		t.Errorf("secrets = %q, want the 4 forms of %q once each", s, p)
	}
	for _, tt := range tests {
		if got := s.scrub(tt.text); got != tt.want {
			t.Errorf("scrub(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

// FuzzParseURL checks that a URL's password, in the user info or in the
// query, does not show in parseURL's errors. The URL asks for a pool of 0
// connections, so that it fails after pgx has read it.
func FuzzParseURL(f *testing.F) {
	for _, p := range []string{"s3cret-pw", `pa:ss@wo/rd?#%"é\ 1`, "ab%zzcd", "x@y", "5432/ab@cd", "p w d",
		"\x00nul", "p%40ss%2Fword", "a&pool_max_conns=5", "tab\there", "ab#cdef"} {
		f.Add(p, false)
		f.Add(p, true)
	}
	f.Fuzz(func(t *testing.T, password string, inQuery bool) {
		raw := func(p string) string {
			if inQuery {
				return "postgres://notify@db.internal:5432/notify?pool_max_conns=0&password=" + p
			}
			return "postgres://notify:" + p + "@db.internal:5432/notify?pool_max_conns=0"
		}
		_, _, err := parseURL(raw(password))
		if err == nil {
			return
		}
		full := raw(password)
		if inQuery {
			// An "&" ends the value: what follows is another setting.
			password, _, _ = strings.Cut(password, "&")
		}
		// Text that the error shows whatever the password: a password
		// that is part of it is not a leak.
		_, _, control := parseURL(raw("z"))
		known := errNotURL.Error() + "\n" + control.Error()
		forms := []string{password, strconv.Quote(password)}
		if p, err := url.PathUnescape(password); err == nil {
			forms = append(forms, p)
		}
		if p, err := url.QueryUnescape(password); err == nil {
			forms = append(forms, p)
		}
		for _, form := range forms {
			if len(form) >= 2 && form[0] == '"' {
				form = form[1 : len(form)-1]
			}
			if len(form) < 4 || strings.Contains(known, form) {
				continue
			}
			if strings.Contains(err.Error(), form) {
				t.Errorf("parseURL(%q) = %q, shows the password as %q", full, err, form)
			}
		}
	})
}

func TestDBTime(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*60*60)
	tests := []struct {
		in   time.Time
		want time.Time
	}{
		{time.Date(2025, 3, 14, 23, 59, 59, 999_999_999, shanghai), time.Date(2025, 3, 14, 15, 59, 59, 999_000_000, time.UTC)},
		{time.Date(1969, 12, 31, 23, 59, 59, 1_000_500, time.UTC), time.Date(1969, 12, 31, 23, 59, 59, 1_000_000, time.UTC)},
		{time.Date(0, 1, 1, 0, 0, 0, 999_999, time.UTC), time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)},
		{time.Time{}, time.Time{}},
	}
	for _, tt := range tests {
		got, err := dbTime("t", tt.in)
		if err != nil || !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("dbTime(%v) = %v, %v; want %v in UTC", tt.in, got, err, tt.want)
		}
	}
}

// TestAsyncCommitIsLocal checks that asyncCommitSQL, first in a batch as
// finishBatch sends it, turns synchronous_commit off for that batch's
// transaction, and for nothing after it on the connection.
func TestAsyncCommitIsLocal(t *testing.T) {
	ctx := t.Context()
	pool, err := pgxpool.New(ctx, testPG.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	// The tests' server runs with synchronous_commit off: this session
	// turns it on, as a production server has it.
	if _, err := conn.Exec(ctx, `SET synchronous_commit = on`); err != nil {
		t.Fatal(err)
	}
	show := func(q pgx.Row) string {
		var v string
		if err := q.Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	b := &pgx.Batch{}
	b.Queue(asyncCommitSQL)
	b.Queue(`SHOW synchronous_commit`)
	res := conn.SendBatch(ctx, b)
	if _, err := res.Exec(); err != nil {
		t.Fatal(err)
	}
	in := show(res.QueryRow())
	if err := res.Close(); err != nil {
		t.Fatal(err)
	}
	after := show(conn.QueryRow(ctx, `SHOW synchronous_commit`))
	if in != "off" || after != "on" {
		t.Errorf("synchronous_commit %q in the batch, %q after it; want off, then on", in, after)
	}
}

// TestSchemaCheckPreparesNothing checks that the open of an up-to-date
// database reads its schema's version in one round trip, as the unnamed
// statement, rather than first preparing a named statement that runs
// once per connection.
func TestSchemaCheckPreparesNothing(t *testing.T) {
	url := testPG.Database(t)
	if err := Migrate(t.Context(), url); err != nil {
		t.Fatal(err)
	}
	s, err := New(url+"&pool_max_conns=1", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	var n int
	err = s.pool.QueryRow(t.Context(), `SELECT count(*) FROM pg_prepared_statements`,
		pgx.QueryExecModeExec).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("the open left %d prepared statements on its connection; want 0", n)
	}
}
