package postgres_test

import (
	"bytes"
	"fmt"
	"net"
	"net/url"
	"os"
	execpkg "os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/postgres"
	"github.com/seed4ddb146e/notify/shared/store/storetest"
)

// TestThroughPgBouncer runs the store's contracts through PgBouncer in
// transaction mode, as behind RDS Proxy or a shared pooler: each
// transaction may land on another server connection, so the store must
// keep no session state between them. With default_query_exec_mode=exec
// it prepares no named statement; "groups" sends many at once, so that
// records and outcomes are written in groups. Without Debian's pgbouncer the test
// skips, and fails under CI (.ci/run installs it).
func TestThroughPgBouncer(t *testing.T) {
	bin, err := execpkg.LookPath("pgbouncer")
	if err != nil {
		if _, err = os.Stat("/usr/sbin/pgbouncer"); err == nil {
			bin = "/usr/sbin/pgbouncer"
		}
	}
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("no pgbouncer: .ci/run installs Debian's package")
		}
		t.Skip("no pgbouncer on this machine (apt-get install pgbouncer)")
	}
	through := func(t *testing.T) *postgres.Store {
		return open(t, pgbouncer(t, bin, pg.Database(t))+"&default_query_exec_mode=exec")
	}
	t.Run("messages", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) notify.Store { return through(t) })
	})
	t.Run("reports", func(t *testing.T) {
		storetest.RunReports(t, func(t *testing.T) notify.Store { return through(t) })
	})
	t.Run("events", func(t *testing.T) {
		storetest.RunEvents(t, func(t *testing.T) notify.Store { return through(t) })
	})
	t.Run("limits", func(t *testing.T) {
		storetest.RunLimits(t, func(t *testing.T) notify.LimitStore { return through(t) })
	})
	t.Run("codes", func(t *testing.T) {
		storetest.RunCodes(t, func(t *testing.T) notify.CodeStore { return through(t) })
	})
	t.Run("idempotency", func(t *testing.T) {
		storetest.RunIdempotency(t, func(t *testing.T) notify.IdempotencyStore { return through(t) })
	})
	t.Run("groups", func(t *testing.T) {
		// Groups of records and outcomes, from two instances through the
		// pooler and one beside it.
		db := pg.Database(t)
		via := pgbouncer(t, bin, db) + "&default_query_exec_mode=exec"
		groupsUnderLoad(t, db, open(t, via), open(t, via), open(t, db))
	})
}

// pgbouncer starts PgBouncer in transaction mode in front of the database
// at dbURL until t ends, and returns the URL of the database through it.
func pgbouncer(t *testing.T, bin, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	name := u.Path[1:]
	pw, _ := u.User.Password()
	password := ""
	if pw != "" {
		password = " password=" + pw
	}
	// The server: host and port in the URL, or (a Unix socket) in its query.
	host, sport := u.Hostname(), u.Port()
	if host == "" {
		host = u.Query().Get("host")
	}
	if sport == "" {
		sport = u.Query().Get("port")
	}
	if sport == "" {
		sport = "5432"
	}
	// PgBouncer refuses to run as root: as root, it runs as the user the
	// PostgreSQL package made, from a directory that user can read.
	dir, err := os.MkdirTemp("", "pgbouncer-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	ini := fmt.Sprintf(`[databases]
%s = host=%s port=%s dbname=%s user=%s%s
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s
pool_mode = transaction
default_pool_size = 4
max_client_conn = 200
ignore_startup_parameters = extra_float_digits,search_path,options
logfile = %s
`, name, host, sport, name, u.User.Username(), password, port, filepath.Join(dir, "users.txt"),
		filepath.Join(dir, "pgbouncer.log"))
	users := fmt.Sprintf("%q %q\n", u.User.Username(), pw)
	for f, body := range map[string]string{"pgbouncer.ini": ini, "users.txt": users, "pgbouncer.log": ""} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(body), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	cmd := execpkg.Command(bin, filepath.Join(dir, "pgbouncer.ini"))
	if os.Geteuid() == 0 {
		pu, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("pgbouncer will not run as root, and there is no user postgres: %v", err)
		}
		uid, _ := strconv.Atoi(pu.Uid)
		gid, _ := strconv.Atoi(pu.Gid)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		if err := os.Chmod(filepath.Join(dir, "pgbouncer.log"), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	var stderr lockedBuffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			break
		}
		if i == 200 {
			log, _ := os.ReadFile(filepath.Join(dir, "pgbouncer.log"))
			t.Fatalf("pgbouncer does not listen: %v\n%s%s\n%s", err, log, stderr.String(), ini)
		}
		time.Sleep(25 * time.Millisecond)
	}
	through := *u
	through.Host = fmt.Sprintf("127.0.0.1:%d", port)
	q := through.Query()
	q.Del("host")
	q.Del("port")
	q.Set("sslmode", "disable")
	through.RawQuery = q.Encode()
	return through.String()
}

// lockedBuffer is an output two goroutines may write.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
