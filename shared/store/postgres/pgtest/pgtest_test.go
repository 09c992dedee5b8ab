package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
)

var pg Cluster

func TestMain(m *testing.M) { pg.Main(m) }

// connect opens a connection to url, closed at the end of the test.
func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatalf("connect to %s: %v", url, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// exists reports whether the server has database name.
func exists(t *testing.T, name string) bool {
	t.Helper()
	var n int
	if err := connect(t, pg.admin).QueryRow(t.Context(), `SELECT count(*) FROM pg_database WHERE datname = $1`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// TestDatabase checks that each test gets a database of its own, empty,
// dropped at its end.
func TestDatabase(t *testing.T) {
	names := make([]string, 2)
	for i := range names {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			raw := pg.Database(t)
			u, err := url.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			names[i] = strings.TrimPrefix(u.Path, "/")
			if !regexp.MustCompile(`^t_[0-9a-f]{16}$`).MatchString(names[i]) {
				t.Errorf("database %q, want t_ and 16 hex digits", names[i])
			}
			var db string
			var tables int
			conn := connect(t, raw)
			if err := conn.QueryRow(t.Context(), `SELECT current_database(),
	(SELECT count(*) FROM pg_tables WHERE schemaname = 'public')`).Scan(&db, &tables); err != nil {
				t.Fatal(err)
			}
			if db != names[i] || tables != 0 {
				t.Errorf("connected to %q holding %d tables, want %q holding none", db, tables, names[i])
			}
			if _, err := conn.Exec(t.Context(), `CREATE TABLE mine (x INTEGER)`); err != nil {
				t.Errorf("create a table: %v", err)
			}
		})
	}
	if names[0] == names[1] {
		t.Errorf("two tests got database %s", names[0])
	}
	for _, name := range names {
		if exists(t, name) {
			t.Errorf("database %s outlived its test", name)
		}
	}
}

// TestServer checks how the server pgtest starts is set up.
func TestServer(t *testing.T) {
	raw := pg.Database(t)
	if os.Getenv(EnvURL) != "" {
		t.Skipf("%s names the server", EnvURL)
	}
	conn := connect(t, raw)
	var got [5]string
	if err := conn.QueryRow(t.Context(), `SELECT current_setting('fsync'), current_setting('synchronous_commit'),
	current_setting('listen_addresses'), coalesce(inet_server_addr()::text, 'unix socket'),
	current_setting('server_encoding')`).Scan(&got[0], &got[1], &got[2], &got[3], &got[4]); err != nil {
		t.Fatal(err)
	}
	if want := [5]string{"off", "off", "", "unix socket", "UTF8"}; got != want {
		t.Errorf("fsync, synchronous_commit, listen_addresses, connection, encoding = %q, want %q", got, want)
	}
	if dir := filepath.Dir(pg.dir); runtime.GOOS == "linux" && dir != "/dev/shm" {
		t.Logf("the cluster is in %s, not in memory", dir)
	}
}

// TestPassword checks that roles other than the superuser give a password.
func TestPassword(t *testing.T) {
	raw := pg.Database(t)
	if os.Getenv(EnvURL) != "" {
		t.Skipf("%s names the server", EnvURL)
	}
	role := "pgtest_" + randomHex(4)
	admin := connect(t, raw)
	if _, err := admin.Exec(t.Context(), fmt.Sprintf(`CREATE ROLE %s LOGIN PASSWORD 'right'`, role)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.exec(pg.admin, "DROP ROLE "+role) })
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		password string
		ok       bool
	}{{"right", true}, {"wrong", false}, {"", false}} {
		u.User = url.UserPassword(role, tt.password)
		conn, err := pgx.Connect(t.Context(), u.String())
		if err == nil {
			conn.Close(t.Context())
		}
		if (err == nil) != tt.ok {
			t.Errorf("connect as %s with password %q: %v, want success %v", role, tt.password, err, tt.ok)
		}
	}
}

// recorder is a testing.TB that records a skip or a failure instead of
// ending the test.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper() {}

func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// TestMissing checks what Database does without PostgreSQL: skip, or fail
// under CI.
func TestMissing(t *testing.T) {
	t.Setenv(EnvURL, "")
	bin := t.TempDir()
	tests := []struct {
		ci       string
		skipped  bool
		contains string
	}{
		{"", true, "apt-get install postgresql-15"},
		{"false", true, "apt-get install postgresql-15"},
		{"true", false, "CI=true must run the PostgreSQL tests"},
		{"1", false, "CI=1 must run the PostgreSQL tests"},
	}
	for _, tt := range tests {
		t.Setenv("CI", tt.ci)
		c := &Cluster{BinDir: bin}
		r := &recorder{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.Database(r)
		}()
		<-done
		got, other := r.failed, r.skipped
		if tt.skipped {
			got, other = r.skipped, r.failed
		}
		if !strings.Contains(got, tt.contains) || !strings.Contains(got, "no initdb and postgres in "+bin) || other != "" {
			t.Errorf("CI=%q: skipped %q, failed %q; want it %s, saying %q", tt.ci, r.skipped, r.failed,
				map[bool]string{true: "skipped", false: "failed"}[tt.skipped], tt.contains)
		}
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
	}
}

// TestStop starts a cluster of its own and stops it.
func TestStop(t *testing.T) {
	if os.Getenv(EnvURL) != "" {
		t.Skipf("%s names the server", EnvURL)
	}
	var c Cluster
	t.Run("use", func(t *testing.T) { connect(t, c.Database(t)) })
	dir, pid := c.dir, c.cmd.Process.Pid
	if err := c.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the cluster's folder %s after Stop: %v, want it gone", dir, err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("postgres (pid %d) after Stop: %v, want it gone", pid, err)
	}
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Database(r)
	}()
	<-done
	if !strings.Contains(r.failed, "the cluster is stopped") {
		t.Errorf("Database after Stop: failed %q, skipped %q; want it failed: the cluster is stopped", r.failed, r.skipped)
	}
	if err := c.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

// TestRemoveStale checks that a cluster's folder goes once its test binary
// is gone, and only then.
func TestRemoveStale(t *testing.T) {
	parent := t.TempDir()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	dirs := map[string]string{ // folder: its owner.pid, "" for none
		"pgtest-dead":  strconv.Itoa(dead.Process.Pid),
		"pgtest-alive": strconv.Itoa(os.Getpid()),
		"pgtest-new":   "",
		"other":        strconv.Itoa(dead.Process.Pid),
	}
	for dir, pid := range dirs {
		if err := os.Mkdir(filepath.Join(parent, dir), 0o700); err != nil {
			t.Fatal(err)
		}
		if pid != "" {
			if err := os.WriteFile(filepath.Join(parent, dir, ownerFile), []byte(pid), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	removeStale(parent)
	for dir := range dirs {
		_, err := os.Stat(filepath.Join(parent, dir))
		if gone, want := os.IsNotExist(err), dir == "pgtest-dead"; gone != want {
			t.Errorf("%s removed: %v, want %v", dir, gone, want)
		}
	}
}
