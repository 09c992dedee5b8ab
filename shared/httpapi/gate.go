package httpapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// Large bodies: a body of more than largeBody bytes is read only once the
// gate has room for it, and at most largeBodyBudget bytes of them are being
// read, decoded and sent at once; a body over the budget goes in alone.
// A mail takes about four times its body's size in memory on its way
// through (the body, the decoded attachments, the SMTP library's encoded
// copy of each attachment and the garbage they leave), so the budget keeps
// a burst of large mails near 100 MB (docs/limits.md).
const (
	largeBody       = 64 << 10 // the sms and tts routes' whole limit: only mail goes through the gate
	largeBodyBudget = 24 << 20
	// largeBodyWait is how long a large body waits for room before the
	// reply is 503 with Retry-After: well inside the local server's
	// ReadTimeout, so that the body can still be read once admitted.
	largeBodyWait = 10 * time.Second
	// retryBusy is the Retry-After of that 503, in seconds.
	retryBusy = 2
)

// gate admits large request bodies within a budget of bytes, first come
// first served. When the last large body in flight is done, it returns the
// memory they took to the operating system at once: the Go runtime gives it
// back only slowly, and an instance is killed when its resident memory
// passes its size.
type gate struct {
	budget int64
	wait   time.Duration
	// pace is how long a body of n bytes may take to arrive once admitted
	// (bodyReadTime when nil).
	pace func(n int64) time.Duration
	// idle runs, outside the lock, when the last large body is done.
	idle func()

	mu      sync.Mutex
	held    int64
	waiters []*waiter // in arrival order
}

// waiter is a body waiting for room: ready is closed once it is admitted.
type waiter struct {
	n     int64
	ready chan struct{}
}

func newGate(budget int64, wait time.Duration) *gate {
	return &gate{budget: budget, wait: wait, idle: debug.FreeOSMemory}
}

// acquire waits until n bytes fit the budget, or ctx is done. A body larger
// than the whole budget waits for the gate to be empty.
func (g *gate) acquire(ctx context.Context, n int64) error {
	n = min(n, g.budget)
	g.mu.Lock()
	if len(g.waiters) == 0 && g.held+n <= g.budget {
		g.held += n
		g.mu.Unlock()
		return nil
	}
	w := &waiter{n: n, ready: make(chan struct{})}
	g.waiters = append(g.waiters, w)
	g.mu.Unlock()
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
	}
	g.mu.Lock()
	select {
	case <-w.ready: // admitted as ctx ended: give the room back
		g.mu.Unlock()
		g.release(n)
		return ctx.Err()
	default:
	}
	for i, o := range g.waiters {
		if o == w {
			g.waiters = append(g.waiters[:i], g.waiters[i+1:]...)
			break
		}
	}
	g.admit() // w may have been the head that held the others back
	g.mu.Unlock()
	return ctx.Err()
}

// release gives back n bytes taken by acquire.
func (g *gate) release(n int64) {
	n = min(n, g.budget)
	g.mu.Lock()
	g.held -= n
	g.admit()
	idle := g.held == 0
	g.mu.Unlock()
	if idle && g.idle != nil {
		g.idle()
	}
}

// admit lets in the waiters at the head of the line that fit. g.mu is held.
func (g *gate) admit() {
	for len(g.waiters) > 0 && g.held+g.waiters[0].n <= g.budget {
		w := g.waiters[0]
		g.waiters = g.waiters[1:]
		g.held += w.n
		close(w.ready)
	}
}

// gated serves an endpoint once the gate has room for the request's body.
// Bodies of at most largeBody bytes, and bodies that say they are over the
// endpoint's limit, pass at once: the endpoint reads the first quickly
// and refuses the second unread.
type gated struct {
	gate *gate
	e    *endpoint
}

func (g gated) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := r.ContentLength
	if n < 0 && r.Method == http.MethodPost {
		// Unknown (chunked): as large as it may be, unless it ends
		// within largeBody, which is read to find out, as a small
		// body is read at once.
		n = g.e.limit
		if small := peekSmall(r); small {
			n = r.ContentLength
		}
	}
	if r.Method != http.MethodPost || n <= largeBody || n > g.e.limit {
		g.e.ServeHTTP(w, r)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), g.gate.wait)
	err := g.gate.acquire(ctx, n)
	cancel()
	if err != nil {
		// Read what the caller is still sending, into nothing, before
		// the reply: a caller blocked writing its body on a connection
		// that closes gets a broken pipe, not this 503 and its
		// Retry-After. It costs a buffer, at the pace a gated body keeps.
		_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(g.gate.paceOf(n)))
		_, _ = io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, g.e.limit))
		w.Header().Set("Retry-After", strconv.Itoa(retryBusy))
		he := &httpError{status: http.StatusServiceUnavailable, err: &notify.Error{Op: "admit", Kind: notify.Throttled,
			Reason: notify.ReasonBusy, Err: errors.New("the gateway is busy with other large requests; retry in a moment")}}
		writeError(w, r, g.e.log, he, g.e.idField, "")
		return
	}
	defer g.gate.release(n)
	// A body that holds the gate must come at a fair pace: one that
	// trickles in would keep others out for the server's whole read
	// timeout. Where the body is already in memory (a function's event),
	// there is no deadline to set, and nothing to wait for.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(g.gate.paceOf(n)))
	g.e.ServeHTTP(w, r)
}

// peekSmall reads up to largeBody+1 bytes of r's body, of undeclared
// length, and puts them back in front of the rest. It reports whether the
// body ended within largeBody; r's ContentLength is then its length. A
// body that failed to be read is small too: the endpoint answers its
// error, as it does for a small body.
func peekSmall(r *http.Request) bool {
	buf := make([]byte, 0, bytes.MinRead)
	b := bytes.NewBuffer(buf)
	_, err := b.ReadFrom(io.LimitReader(r.Body, largeBody+1))
	switch {
	case err != nil:
		r.Body = readCloser{io.MultiReader(b, errReader{err}), r.Body}
		return true
	case b.Len() <= largeBody:
		r.Body, r.ContentLength = readCloser{b, r.Body}, int64(b.Len())
		return true
	}
	r.Body = readCloser{io.MultiReader(b, r.Body), r.Body}
	return false
}

// readCloser reads from Reader and closes Closer.
type readCloser struct {
	io.Reader
	io.Closer
}

// errReader fails every read with err.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// Pace of a gated body: bodyReadTime(n) is the longest a body of n bytes
// may take to arrive once admitted, minBodyRate bytes a second after a
// start of bodyReadSlack.
const (
	minBodyRate   = 1 << 20
	bodyReadSlack = 5 * time.Second
)

// paceOf is how long a body of n bytes may take to arrive once admitted.
func (g *gate) paceOf(n int64) time.Duration {
	if g.pace != nil {
		return g.pace(n)
	}
	return bodyReadTime(n)
}

func bodyReadTime(n int64) time.Duration {
	return bodyReadSlack + time.Duration(n)*time.Second/minBodyRate
}
