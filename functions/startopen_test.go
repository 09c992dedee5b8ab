package functions_test

import (
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestStoreOpensAtStart checks that each function, on either runtime,
// opens its store while it starts, before any request: connecting and
// reading the schema's version, so that its first send finds the
// connection open.
func TestStoreOpensAtStart(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the function binaries")
	}
	dir := binaries(t)
	for _, fn := range functions {
		for _, fl := range flavors {
			t.Run(fn+"/"+fl.name, func(t *testing.T) {
				t.Parallel()
				db := database(t)
				emu := fl.new()
				t.Cleanup(emu.Close)
				c := startChild(t, filepath.Join(dir, fn), env(emu, db))
				conn, err := pgx.Connect(t.Context(), db)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close(t.Context())
				// The open's last statement reads schema_migrations; the
				// connection then waits in the pool, idle.
				for deadline := time.Now().Add(20 * time.Second); ; {
					var n int
					err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity
						WHERE datname = current_database() AND pid <> pg_backend_pid()
							AND state = 'idle' AND query LIKE '%schema_migrations%'`).Scan(&n)
					if err != nil {
						t.Fatal(err)
					}
					if n > 0 {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("no connection of %s has read the schema's version 20 s after its start, "+
							"before any request\n%s", fn, c.out)
					}
					time.Sleep(10 * time.Millisecond)
				}
			})
		}
	}
}

// TestRefusalDoesNotWaitForTheStore checks that the open a function
// starts does not hold up a request that needs no store: against a
// database that accepts the connection and never answers, the function
// connects before its first request, and refuses that request (an unknown
// group; the callback's wrong token) while the connection still waits.
func TestRefusalDoesNotWaitForTheStore(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the function binaries")
	}
	dir := binaries(t)
	for _, fn := range []string{"sms", "callback"} {
		t.Run(fn, func(t *testing.T) {
			t.Parallel()
			db, accepted := silentDatabase(t)
			emu := flavors[0].new()
			t.Cleanup(emu.Close)
			c := startChild(t, filepath.Join(dir, fn), env(emu, db))
			var held *silentConn
			select {
			case held = <-accepted:
			case <-time.After(20 * time.Second):
				t.Fatalf("%s did not connect within 20 s of its start\n%s", fn, c.out)
			}
			payload, status := refusedEvent(t, fn)
			res, err := c.invoke(emu, payload)
			if err != nil {
				t.Fatalf("refused request: %v\n%s", err, c.out)
			}
			checkColdReply(t, fn, res, status)
			select {
			case <-held.closed:
				t.Errorf("the connection closed before the reply: the open gave up first (%s)", c.out)
			default:
			}
		})
	}
}

// silentConn is a connection silentDatabase accepted; closed is closed
// once the client has closed it.
type silentConn struct{ closed chan struct{} }

// silentDatabase returns the URL of a server on 127.0.0.1 that accepts
// connections and never answers, with a connect timeout of a minute, and
// the channel its connections arrive on.
func silentDatabase(t testing.TB) (string, <-chan *silentConn) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	accepted := make(chan *silentConn, 16)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			sc := &silentConn{closed: make(chan struct{})}
			go func() {
				defer close(sc.closed)
				defer c.Close()
				io.Copy(io.Discard, c) // until the client hangs up
			}()
			select {
			case accepted <- sc:
			default:
			}
		}
	}()
	return "postgres://notify@" + l.Addr().String() + "/notify?sslmode=disable&connect_timeout=60", accepted
}
