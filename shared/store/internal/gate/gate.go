// Package gate opens a store on its first use and bounds every call on it.
//
// Both stores hold a Gate and begin each method with Enter: the first call
// starts the store's open (connecting, applying migrations), unless Start
// began it already, later calls wait for that one open, and each call gets
// a context bounded by the store's timeout. A function starts the open as
// it starts, and its runtime loop does not wait for it; a store that does
// not answer fails calls in bounded time (docs/guarantees.md).
package gate

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// MinOpenTime is the least time an open is given, however short the call
// timeout: a function's whole timeout, which bounded a first request's
// open, migrations included, before opens ran on their own.
const MinOpenTime = 10 * time.Second

// ErrClosed is the error of a call on a closed store.
var ErrClosed = errors.New("the store is closed")

// Gate runs a store's open once it is needed, and bounds each call by a
// timeout.
//
// An open runs on its own, within max(timeout, MinOpenTime), and calls
// wait for it each within its own deadline, not one after another: of the
// calls that find the store not open yet, the first starts the open, and
// the others, and those that come later, wait for that one open until it
// ends or their deadline passes. A call that gives up leaves the open
// running, for the next calls; an open that fails is started again by the
// next call.
type Gate struct {
	open    func(context.Context) error
	timeout time.Duration
	ready   atomic.Bool

	mu      sync.Mutex
	opening *opening // the open in flight, or nil
	opened  bool     // an open succeeded: there is something to close
	closed  bool
}

// opening is an open in flight. When done is closed, err is its outcome.
type opening struct {
	done   chan struct{}
	cancel context.CancelFunc
	err    error
}

// New returns a Gate over open, which connects the store and brings its
// schema up to date. A timeout of 0 leaves calls unbounded but by their
// own context.
func New(timeout time.Duration, open func(context.Context) error) *Gate {
	return &Gate{open: open, timeout: timeout}
}

// Enter returns ctx bounded by the gate's timeout, once the store is open:
// it opens it, or waits for the open in flight, within that bound. A store
// that is closed, or that could not be opened in time, is an *notify.Error
// of kind Unavailable. The caller must call done when its call ends.
func (g *Gate) Enter(ctx context.Context) (_ context.Context, done context.CancelFunc, err error) {
	done = func() {}
	if g.timeout > 0 {
		ctx, done = context.WithTimeout(ctx, g.timeout)
	}
	if !g.ready.Load() {
		if err := g.Wait(ctx); err != nil {
			done()
			return nil, nil, notify.E("store.open", notify.Unavailable, err)
		}
	}
	return ctx, done, nil
}

// Wait opens the store, or waits for the open in flight, until ctx is
// done, and returns the open's error: ErrClosed after Close.
func (g *Gate) Wait(ctx context.Context) error {
	g.mu.Lock()
	if g.ready.Load() {
		g.mu.Unlock()
		return nil
	}
	if g.closed {
		g.mu.Unlock()
		return ErrClosed
	}
	o := g.opening
	if o == nil {
		o = g.startLocked()
	}
	g.mu.Unlock()
	select {
	case <-o.done:
		return o.err
	case <-ctx.Done():
		return fmt.Errorf("the store is not open yet: %w", context.Cause(ctx))
	}
}

// Open opens the store now, within ctx alone, not the bounds of a lazy
// open, unless it is open already, and returns the open's error: for a
// caller that opens the store before it uses it, such as a command that
// applies the migrations and may wait as long as they take. An open in
// flight is waited for instead, until ctx is done.
func (g *Gate) Open(ctx context.Context) error {
	g.mu.Lock()
	if g.ready.Load() || g.closed || g.opening != nil {
		g.mu.Unlock()
		return g.Wait(ctx)
	}
	octx, cancel := context.WithCancel(ctx)
	o := &opening{done: make(chan struct{}), cancel: cancel}
	g.opening = o
	g.mu.Unlock()
	g.run(octx, o)
	return o.err
}

// Start starts an open on its own, as the first call would, unless the
// store is open, opening or closed, and returns at once: for a function
// that begins connecting while the rest of its start runs, so that its
// first request finds the store open or half open. An open that fails
// leaves the store as before it: the next call starts another.
func (g *Gate) Start() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ready.Load() || g.closed || g.opening != nil {
		return
	}
	g.startLocked()
}

// startLocked starts an open on its own, within max(timeout, MinOpenTime);
// g.mu is held.
func (g *Gate) startLocked() *opening {
	ctx, cancel := context.WithTimeout(context.Background(), max(g.timeout, MinOpenTime))
	o := &opening{done: make(chan struct{}), cancel: cancel}
	g.opening = o
	go g.run(ctx, o)
	return o
}

// run runs open o.
func (g *Gate) run(ctx context.Context, o *opening) {
	defer o.cancel()
	err := g.open(ctx)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.opening = nil
	g.opened = g.opened || err == nil
	if err == nil && g.closed {
		err = ErrClosed
	}
	if err == nil {
		g.ready.Store(true)
	}
	o.err = err
	close(o.done)
}

// Close marks the gate closed, so that every call after it fails, and
// cancels an open in flight, waiting for it to end. It reports whether an
// open succeeded, and so left something to close; it does once.
func (g *Gate) Close() (opened bool) {
	g.mu.Lock()
	g.closed = true
	o := g.opening
	g.mu.Unlock()
	if o != nil {
		o.cancel()
		<-o.done
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.ready.Store(false)
	opened, g.opened = g.opened, false
	return opened
}
