package functions_test

import (
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/store/postgres/pgtest"
)

// TestStoreDialsAtStart checks that each function, on either runtime,
// dials its database while it starts, before any request, so that the
// server's process for the connection its first send needs is under way.
// (That the pool's first connection is this one, shared/store/postgres's
// tests check.)
func TestStoreDialsAtStart(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the function binaries")
	}
	dir := binaries(t)
	for _, fn := range functions {
		for _, fl := range flavors {
			t.Run(fn+"/"+fl.name, func(t *testing.T) {
				t.Parallel()
				db, accepted := silentDatabase(t)
				emu := fl.new()
				t.Cleanup(emu.Close)
				c := startChild(t, filepath.Join(dir, fn), env(emu, db))
				select {
				case <-accepted:
				case <-time.After(20 * time.Second):
					t.Fatalf("%s did not dial its database within 20 s of its start, before any request\n%s", fn, c.out)
				}
			})
		}
	}
}

// TestRefusalDoesNotWaitForTheStore checks that a request that needs no
// store does not wait for it: against a database that accepts the
// connection and never answers, the function dials before its first
// request, and refuses that request (an unknown group; the callback's
// wrong token).
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
			select {
			case <-accepted:
			case <-time.After(20 * time.Second):
				t.Fatalf("%s did not dial its database within 20 s of its start\n%s", fn, c.out)
			}
			payload, status := refusedEvent(t, fn)
			res, err := c.invoke(emu, payload)
			if err != nil {
				t.Fatalf("refused request: %v\n%s", err, c.out)
			}
			checkColdReply(t, fn, res, status)
		})
	}
}

// silentDatabase returns the URL of a server on 127.0.0.1 that accepts
// connections and never answers, with a connect timeout of a minute, and
// a channel that receives a value as it accepts each (up to 16 unread).
func silentDatabase(t testing.TB) (string, <-chan struct{}) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	accepted := make(chan struct{}, 16)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(io.Discard, c) // until the client hangs up
			}()
			select {
			case accepted <- struct{}{}:
			default:
			}
		}
	}()
	return "postgres://notify@" + l.Addr().String() + "/notify?sslmode=disable&connect_timeout=60", accepted
}

// distantDatabase returns a URL of the PostgreSQL server at dbURL through
// a proxy on 127.0.0.1 that holds each chunk of either side's stream for
// delay before it forwards it, as a server farther away would: a round
// trip takes 2*delay more.
func distantDatabase(tb testing.TB, dbURL string, delay time.Duration) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	forward := func(dst, src net.Conn) {
		defer dst.Close()
		buf := make([]byte, 64<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				time.Sleep(delay)
				if _, err := dst.Write(buf[:n]); err != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}
	return pgtest.Proxy(tb, l, dbURL, func(c, s net.Conn) {
		go forward(s, c)
		go forward(c, s)
	})
}
