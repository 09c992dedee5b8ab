package gate

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// enter is one call through g: Enter, then done.
func enter(g *Gate) error {
	_, done, err := g.Enter(context.Background())
	if err == nil {
		done()
	}
	return err
}

// TestOpensOnFirstUse checks that the store opens on the first call that
// needs it, once however many calls race there, and that a failed open
// fails that call as Unavailable and is tried again by the next.
func TestOpensOnFirstUse(t *testing.T) {
	var opens, fails atomic.Int32
	fails.Store(1)
	g := New(0, func(ctx context.Context) error {
		opens.Add(1)
		time.Sleep(10 * time.Millisecond) // long enough for the racing calls to meet
		if fails.Add(-1) >= 0 {
			return errors.New("connection refused")
		}
		return nil
	})
	t.Cleanup(func() { g.Close() })
	if n := opens.Load(); n != 0 {
		t.Fatalf("%d opens before any call; want 0", n)
	}
	err := enter(g)
	if k := notify.KindOf(err); k != notify.Unavailable {
		t.Fatalf("first call while the store is down: %v (kind %v); want kind unavailable", err, k)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() { errs <- enter(g) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("call after the store came up: %v", err)
		}
	}
	if n := opens.Load(); n != 2 {
		t.Errorf("%d opens; want 2 (the failed one, then one for all racing calls)", n)
	}
	if err := enter(g); err != nil || opens.Load() != 2 {
		t.Errorf("call on the open store: %v, %d opens; want nil, still 2", err, opens.Load())
	}
	if !g.Close() {
		t.Error("Close of an opened gate reports nothing to close")
	}
	if err := enter(g); notify.KindOf(err) != notify.Unavailable || !errors.Is(err, ErrClosed) {
		t.Errorf("call after Close: %v; want kind unavailable, ErrClosed", err)
	}
}

// TestBound checks that a call's context carries the gate's timeout, and
// that a gate without one leaves the caller's context alone.
func TestBound(t *testing.T) {
	g := New(time.Minute, func(context.Context) error { return nil })
	ctx, done, err := g.Enter(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	dl, ok := ctx.Deadline()
	done()
	if !ok || time.Until(dl) > time.Minute || time.Until(dl) < 50*time.Second {
		t.Errorf("deadline %v, %v; want about a minute away", dl, ok)
	}
	if ctx.Err() == nil {
		t.Error("done did not cancel the call's context")
	}
	g = New(0, func(context.Context) error { return nil })
	ctx, done, err = g.Enter(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	if _, ok := ctx.Deadline(); ok {
		t.Error("a gate without a timeout set a deadline")
	}
}

// TestOpenHangs checks that while an open hangs, each call waits for it
// within its own timeout, not behind the others, that they share one
// open, and that Close cancels it.
func TestOpenHangs(t *testing.T) {
	const timeout = 200 * time.Millisecond
	var opens atomic.Int32
	g := New(timeout, func(ctx context.Context) error {
		opens.Add(1)
		<-ctx.Done() // a server that never answers
		return ctx.Err()
	})
	var wg sync.WaitGroup
	took := make(chan time.Duration, 16)
	for range cap(took) {
		wg.Go(func() {
			start := time.Now()
			err := enter(g)
			if k := notify.KindOf(err); k != notify.Unavailable {
				t.Errorf("call while the open hangs: %v (kind %v); want kind unavailable", err, k)
			}
			took <- time.Since(start)
		})
	}
	wg.Wait()
	close(took)
	for d := range took {
		if d > 5*timeout {
			t.Errorf("a call gave up after %v; want about %v", d, timeout)
		}
	}
	if n := opens.Load(); n != 1 {
		t.Errorf("%d opens; want 1, shared by every call", n)
	}
	closed := make(chan bool, 1)
	go func() { closed <- g.Close() }()
	select {
	case opened := <-closed:
		if opened {
			t.Error("Close after an open that never ended reports something to close")
		}
	case <-time.After(MinOpenTime / 2):
		t.Fatal("Close waited for the hung open to time out; want it cancelled")
	}
	if err := enter(g); notify.KindOf(err) != notify.Unavailable {
		t.Errorf("call after Close: %v; want kind unavailable", err)
	}
	if n := opens.Load(); n != 1 {
		t.Errorf("%d opens after Close; want none more", n)
	}
}

// TestOpenDuringClose checks that an open that succeeds while Close waits
// for it is reported for closing, and that its caller is told the store
// is closed.
func TestOpenDuringClose(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	g := New(0, func(ctx context.Context) error {
		close(started)
		<-release // the open ends, successfully, after Close began
		return nil
	})
	waited := make(chan error, 1)
	go func() { waited <- g.Wait(context.Background()) }()
	<-started
	closed := make(chan bool)
	go func() { closed <- g.Close() }()
	time.Sleep(10 * time.Millisecond)
	close(release)
	if !<-closed {
		t.Error("an open that succeeded during Close was not reported for closing")
	}
	if err := <-waited; !errors.Is(err, ErrClosed) {
		t.Errorf("the caller of the open: %v; want ErrClosed", err)
	}
}

// TestOpenTakesItsTime checks that Open runs the open within its caller's
// context alone: an open longer than the gate's timeout succeeds, where a
// call through Enter gives up, and the store is then open for every call.
func TestOpenTakesItsTime(t *testing.T) {
	const timeout = 20 * time.Millisecond
	g := New(timeout, func(ctx context.Context) error {
		select {
		case <-time.After(10 * timeout): // a long migration
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	defer g.Close()
	if err := g.Open(t.Context()); err != nil {
		t.Fatalf("Open: %v; want the open to take its time", err)
	}
	if err := enter(g); err != nil {
		t.Errorf("a call after Open: %v", err)
	}
}

// TestStart checks that Start begins the open without waiting for it,
// that calls meanwhile join that open rather than start another, that a
// failed one is started again by a later call, and that Start does nothing
// on an open or closed gate.
func TestStart(t *testing.T) {
	var opens atomic.Int32
	began := make(chan struct{})
	release := make(chan error)
	g := New(time.Minute, func(ctx context.Context) error {
		if opens.Add(1) > 1 {
			return nil
		}
		close(began)
		select {
		case err := <-release:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	t.Cleanup(func() { g.Close() })
	g.Start() // returns at once: nobody releases the open yet
	g.Start()
	select {
	case <-began:
	case <-time.After(10 * time.Second):
		t.Fatal("no open 10 s after Start")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, _, err := g.Enter(ctx); notify.KindOf(err) != notify.Unavailable {
		t.Fatalf("call that gives up during the started open: %v; want kind unavailable", err)
	}
	if n := opens.Load(); n != 1 {
		t.Fatalf("%d opens after two Starts and a call; want 1", n)
	}
	release <- errors.New("connection refused")
	// A call may still meet the failed open on its way out; the one after
	// it opens the store anew.
	var err error
	for range 100 {
		if err = enter(g); err == nil {
			break
		}
	}
	if err != nil || opens.Load() != 2 {
		t.Fatalf("calls after the started open failed: %v, %d opens; want nil, 2", err, opens.Load())
	}
	g.Start()
	if n := opens.Load(); n != 2 {
		t.Errorf("%d opens after Start on an open store; want 2", n)
	}
	g.Close()
	g.Start()
	if n := opens.Load(); n != 2 {
		t.Errorf("%d opens after Start on a closed gate; want 2", n)
	}
}
