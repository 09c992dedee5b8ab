// Package pgtest runs a throwaway PostgreSQL server for the tests of one
// test binary, and gives each test a database of its own on it:
//
//	var pg pgtest.Cluster
//
//	func TestMain(m *testing.M) { pg.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		url := pg.Database(t) // postgres://postgres@/t_1f3c...?host=/tmp/pgtest-123
//		...
//	}
//
// The server starts at the first Database, in memory, on a unix socket.
// docs/stores.md says how it runs, where it finds PostgreSQL's binaries,
// and what NOTIFY_TEST_POSTGRES_URL changes.
package pgtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// EnvURL names the variable that points the tests at a running server.
const EnvURL = "NOTIFY_TEST_POSTGRES_URL"

// Superuser is the role Database's URLs name on a cluster pgtest started.
const Superuser = "postgres"

// startTimeout bounds initdb and the server's start.
const startTimeout = time.Minute

// Cluster is a throwaway PostgreSQL server shared by the tests of one test
// binary. The zero value is ready to use; it starts at the first Database.
// A test binary that uses it must call Main (or Stop) from TestMain.
type Cluster struct {
	// BinDir is where initdb and postgres are; "" looks them up
	// (docs/stores.md says where).
	BinDir string

	mu      sync.Mutex
	started bool
	admin   string // a URL of the maintenance database, as the superuser
	err     error  // why the server could not start
	dir     string // the cluster's folder: data/, the socket, the log
	cmd     *exec.Cmd
	exited  chan struct{} // closed when postgres has exited
	waitErr error         // postgres's exit status, once exited is closed
}

// errMissing marks a start that failed for want of an installation.
var errMissing = errors.New("PostgreSQL is not installed")

// Main runs the tests of m, stops the server if one was started, and exits
// with the tests' status. Call it from TestMain.
func (c *Cluster) Main(m *testing.M) {
	code := m.Run()
	if err := c.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// Database creates a new, empty database for t, owned by the superuser,
// and returns its URL. The database is dropped when t ends. When
// PostgreSQL is not installed, Database skips t, or fails it under CI.
func (c *Cluster) Database(t testing.TB) string {
	t.Helper()
	admin, err := c.start()
	if errors.Is(err, errMissing) {
		if ci := os.Getenv("CI"); ci != "" && ci != "false" && ci != "0" {
			t.Fatalf("pgtest: %v; CI=%s must run the PostgreSQL tests: install PostgreSQL 15 first (apt-get install postgresql-15)", err, ci)
		}
		t.Skipf("pgtest: %v; install it to run this test: apt-get install postgresql-15 (or set %s)", err, EnvURL)
	}
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	name := "t_" + randomHex(8)
	if err := c.exec(admin, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := c.exec(admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// Server returns where the server dbURL names listens, as pgx dials it:
// "unix" and the socket's path for a server pgtest started, "tcp" and
// host:port for one EnvURL names on a port. A test's proxy forwards
// there.
func Server(dbURL string) (network, address string, err error) {
	cfg, err := pgconn.ParseConfig(dbURL)
	if err != nil {
		return "", "", fmt.Errorf("pgtest: %w", err)
	}
	network, address = pgconn.NetworkAddress(cfg.Host, cfg.Port)
	return network, address, nil
}

// Proxy serves the server dbURL names on l, for a test that wants to see
// or change what passes: for each connection l accepts, it dials the
// server and hands both to serve, which owns them and returns at once (it
// runs on the accepting goroutine). It returns the URL that connects
// through l, which is a unix socket named .s.PGSQL.<port> or a port on
// 127.0.0.1. l is closed when tb ends.
func Proxy(tb testing.TB, l net.Listener, dbURL string, serve func(client, server net.Conn)) string {
	tb.Helper()
	network, address, err := Server(dbURL)
	if err != nil {
		tb.Fatal(err)
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	q := u.Query()
	if a, ok := l.Addr().(*net.UnixAddr); ok {
		dir, file := filepath.Split(a.Name)
		port, ok := strings.CutPrefix(file, ".s.PGSQL.")
		if !ok {
			tb.Fatalf("pgtest: proxy socket %s: want a name .s.PGSQL.<port>", a.Name)
		}
		u.Host = ""
		q.Set("host", filepath.Clean(dir))
		q.Set("port", port)
	} else {
		u.Host = l.Addr().String()
		q.Del("host")
		q.Del("port")
		q.Set("sslmode", "disable")
	}
	u.RawQuery = q.Encode()
	var wg sync.WaitGroup
	tb.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial(network, address)
			if err != nil {
				c.Close()
				continue
			}
			serve(c, s)
		}
	})
	return u.String()
}

// Freeze stops every process of the server with SIGSTOP (the postmaster
// first, so that it starts no more, then each of its children: the
// backends and the background workers) until t ends or thaw is called,
// which sends them SIGCONT. Meanwhile the kernel still accepts
// connections, which are never answered, and statements on open
// connections never return: a server whose host hangs. Call it after
// Database, so that the server runs; a server that EnvURL names cannot be
// frozen, and t is skipped.
func (c *Cluster) Freeze(t testing.TB) (thaw func()) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd == nil || c.cmd.Process == nil {
		t.Skipf("pgtest: Freeze needs a server pgtest started (not one %s names), after Database", EnvURL)
	}
	postmaster := c.cmd.Process.Pid
	if err := syscall.Kill(postmaster, syscall.SIGSTOP); err != nil {
		t.Fatalf("pgtest: freeze the server: %v", err)
	}
	// Each child of the postmaster leads a process group of its own
	// (setsid), so they are stopped one by one.
	pids := append(children(postmaster), postmaster)
	for _, pid := range pids[:len(pids)-1] {
		syscall.Kill(pid, syscall.SIGSTOP) // one that exited meanwhile is gone
	}
	var once sync.Once
	thaw = func() {
		once.Do(func() {
			for _, pid := range pids {
				syscall.Kill(pid, syscall.SIGCONT)
			}
		})
	}
	t.Cleanup(thaw)
	return thaw
}

// children returns the processes whose parent is pid, from /proc.
func children(pid int) []int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var pids []int
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		// "pid (comm) state ppid ...": comm may hold spaces and ")".
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 2 || f[1] != strconv.Itoa(pid) {
			continue
		}
		if child, err := strconv.Atoi(filepath.Base(filepath.Dir(path))); err == nil {
			pids = append(pids, child)
		}
	}
	return pids
}

// Stop stops the server pgtest started, if any, and removes its folder. A
// server that EnvURL names is left alone. Database fails after Stop.
func (c *Cluster) Stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.started, c.err = true, errors.New("the cluster is stopped")
	if c.dir == "" {
		return nil
	}
	return c.shutdown()
}

// start starts the server unless it has been, and returns the URL of its
// maintenance database or why it could not start.
func (c *Cluster) start() (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started {
		return c.admin, c.err
	}
	c.started = true
	if env := os.Getenv(EnvURL); env != "" {
		c.admin = env
		return c.admin, nil
	}
	if err := c.boot(); err != nil {
		c.err = err
		if c.dir != "" {
			if cerr := c.shutdown(); cerr != nil {
				c.err = fmt.Errorf("%w (and cleaning up: %v)", err, cerr)
			}
		}
	}
	return c.admin, c.err
}

// boot runs initdb and starts postgres, and waits until it accepts
// connections.
func (c *Cluster) boot() error {
	bin, err := c.binDir()
	if err != nil {
		return err
	}
	cred, err := credential()
	if err != nil {
		return err
	}
	c.dir, err = tempDir()
	if err != nil {
		return err
	}
	if cred != nil {
		if err := os.Chown(c.dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return fmt.Errorf("give %s to user %s: %w", c.dir, Superuser, err)
		}
	}
	data := filepath.Join(c.dir, "data")
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()

	initdb := c.command(ctx, cred, filepath.Join(bin, "initdb"), "--pgdata="+data, "--username="+Superuser,
		"--encoding=UTF8", "--locale=C", "--auth=trust", "--no-sync", "--no-instructions")
	if out, err := initdb.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb %s: %w\n%s", data, err, out)
	}
	hba := filepath.Join(c.dir, "pg_hba.conf")
	if err := writeFile(hba, "local all "+Superuser+" trust\nlocal all all scram-sha-256\n", cred); err != nil {
		return err
	}
	logPath := filepath.Join(c.dir, "postgres.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	// Not bound to ctx: the server outlives boot.
	c.cmd = c.command(context.Background(), cred, filepath.Join(bin, "postgres"), "-D", data, "-k", c.dir,
		"-c", "listen_addresses=", "-c", "hba_file="+hba,
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "jit=off")
	c.cmd.Stdout, c.cmd.Stderr = logFile, logFile
	c.cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT
	if err := c.cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	c.exited = make(chan struct{})
	go func() {
		c.waitErr = c.cmd.Wait()
		close(c.exited)
	}()

	c.admin = (&url.URL{Scheme: "postgres", User: url.User(Superuser), Path: "/postgres",
		RawQuery: url.Values{"host": {c.dir}, "sslmode": {"disable"}}.Encode()}).String()
	for delay := 5 * time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		err := c.exec(c.admin, "SELECT 1")
		if err == nil {
			return nil
		}
		select {
		case <-c.exited:
			log, _ := os.ReadFile(logPath)
			return fmt.Errorf("postgres exited at start: %v\n%s", c.waitErr, log)
		case <-ctx.Done():
			log, _ := os.ReadFile(logPath)
			return fmt.Errorf("postgres did not accept connections within %v: %v\n%s", startTimeout, err, log)
		case <-time.After(delay):
		}
	}
}

// shutdown stops postgres, if it runs, and removes the folder.
func (c *Cluster) shutdown() error {
	var errs []error
	if c.cmd != nil && c.exited != nil {
		// SIGQUIT is the immediate shutdown: no checkpoint, the
		// folder goes anyway.
		if err := c.cmd.Process.Signal(syscall.SIGQUIT); err != nil && !errors.Is(err, os.ErrProcessDone) {
			errs = append(errs, fmt.Errorf("stop postgres: %w", err))
		}
		select {
		case <-c.exited:
		case <-time.After(30 * time.Second):
			c.cmd.Process.Kill()
			<-c.exited
		}
		c.cmd = nil
	}
	if err := os.RemoveAll(c.dir); err != nil {
		errs = append(errs, fmt.Errorf("remove the cluster: %w", err))
	}
	c.dir = ""
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	return nil
}

// command runs bin as the user cred names, or as this process's user when
// cred is nil, in the cluster's folder, killed if ctx ends first, with an environment that holds no
// PG* variable and selects the C locale.
func (c *Cluster) command(ctx context.Context, cred *syscall.Credential, bin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = c.dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C", "TZ=UTC"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	return cmd
}

// binDir returns the folder of initdb and postgres.
func (c *Cluster) binDir() (string, error) {
	has := func(dir string) bool {
		for _, b := range []string{"initdb", "postgres"} {
			if fi, err := os.Stat(filepath.Join(dir, b)); err != nil || fi.IsDir() {
				return false
			}
		}
		return true
	}
	if c.BinDir != "" {
		if !has(c.BinDir) {
			return "", fmt.Errorf("%w: no initdb and postgres in %s", errMissing, c.BinDir)
		}
		return c.BinDir, nil
	}
	candidates := []string{"/usr/lib/postgresql/15/bin"}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		candidates = append(candidates, strings.TrimSpace(string(out)))
	}
	versions, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(versions, func(a, b string) int { return majorOf(b) - majorOf(a) })
	candidates = append(candidates, versions...)
	if initdb, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(initdb); err == nil {
			candidates = append(candidates, filepath.Dir(real))
		}
	}
	for _, dir := range candidates {
		if has(dir) {
			return dir, nil
		}
	}
	return "", fmt.Errorf("%w: no initdb and postgres in %s, nor on the PATH", errMissing, strings.Join(candidates, ", "))
}

// majorOf reads the version from /usr/lib/postgresql/<version>/bin.
func majorOf(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// credential returns the user postgres is to run as: nil for this
// process's own, the user "postgres" when this process is root.
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(Superuser)
	if err != nil {
		return nil, fmt.Errorf("%w: initdb refuses to run as root, and the user %s to run it as is missing: %v",
			errMissing, Superuser, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("user %s: uid %q: %w", Superuser, u.Uid, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("user %s: gid %q: %w", Superuser, u.Gid, err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// maxSocketPath is the longest path a unix socket may have on Linux, less
// its terminating NUL.
const maxSocketPath = 107

// tempDir makes the cluster's folder: in /dev/shm where there is one, since
// memory is where a cluster without fsync belongs (CREATE DATABASE takes
// 10 ms there, 200 ms on a busy virtual disk), else in the temporary
// directory. The path must leave room for the socket's (".s.PGSQL.5432").
// It first removes the folders that test binaries which died before their
// end left there, and records its own binary as the owner of the new one.
func tempDir() (string, error) {
	parent := os.TempDir()
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		parent = "/dev/shm"
	}
	if len(parent)+len("/pgtest-0123456789/.s.PGSQL.5432.lock") > maxSocketPath {
		parent = "/tmp"
	}
	removeStale(parent)
	dir, err := os.MkdirTemp(parent, "pgtest-")
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644)
	}
	if err != nil {
		return dir, fmt.Errorf("make the cluster's folder: %w", err)
	}
	return dir, nil
}

// ownerFile, in a cluster's folder, holds the process id of the test binary
// that made it.
const ownerFile = "owner.pid"

// removeStale removes the clusters' folders in parent whose test binary
// has exited. A binary killed (by go test's -timeout, say) takes its
// server along, through the parent-death signal, but leaves the folder.
func removeStale(parent string) {
	dirs, _ := filepath.Glob(filepath.Join(parent, "pgtest-*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(string(b))
		if err != nil || pid <= 0 || !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
			continue
		}
		os.RemoveAll(dir)
	}
}

// writeFile writes a file the server reads, owned by the user it runs as.
func writeFile(path, content string, cred *syscall.Credential) error {
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return err
	}
	if cred != nil {
		return os.Chown(path, int(cred.Uid), int(cred.Gid))
	}
	return nil
}

// exec runs one statement on the database admin names, on a connection of
// its own.
func (c *Cluster) exec(admin, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
