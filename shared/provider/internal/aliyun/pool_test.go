package aliyun

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	"github.com/alibabacloud-go/tea/tea"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// client is what the test's pool makes: the key it was made with.
type client struct{ key string }

// TestPoolRotation gets and puts clients from many goroutines while the
// keys change: a client is always made for the keys in force when it was
// got, and after the last change every client got signs with the last keys.
func TestPoolRotation(t *testing.T) {
	keys := keysFor("k0")
	s, err := Check("pkg", "h", Config{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	var made sync.Map // *client -> the keys in force when it was made
	p := NewPool(s, func(c *openapi.Config) (*client, error) {
		return &client{key: tea.StringValue(c.AccessKeyId)}, nil
	})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				before := keys.Current().AccessKeyID
				c, creds, lane, _ := p.get()
				after := keys.Current().AccessKeyID
				if c.key != before && c.key != after {
					t.Errorf("goroutine %d: got a client for %s while the keys went from %s to %s", g, c.key, before, after)
				}
				made.Store(c, c.key)
				if g == 0 && i%20 == 0 {
					keys.Set(notify.AccessKeys{AccessKeyID: fmt.Sprint("k", i/20+1), AccessKeySecret: "s"})
				}
				p.put(c, creds, lane, true)
			}
		}()
	}
	wg.Wait()
	last := keys.Current().AccessKeyID
	for range 10 {
		c, creds, lane, _ := p.get()
		if c.key != last {
			t.Fatalf("after the last change, a client for %s; want %s", c.key, last)
		}
		p.put(c, creds, lane, true)
	}
	if n := len(p.idle); n > maxIdle {
		t.Errorf("%d idle clients, want at most %d", n, maxIdle)
	}
	if p.busy != [lanes]int{} {
		t.Errorf("calls in progress by lane %v after every call ended; want none", p.busy)
	}
}

// TestPoolLanes: a call takes a client of the lane with the fewest calls
// in progress, so that calls at once spread over tea's HTTP clients; one
// call at a time always takes lane 0's, and its idle client.
func TestPoolLanes(t *testing.T) {
	s, err := Check("pkg", "h", Config{Keys: keysFor("k")})
	if err != nil {
		t.Fatal(err)
	}
	var made []int
	p := NewPool(s, func(c *openapi.Config) (*client, error) {
		made = append(made, tea.IntValue(c.ConnectTimeout)-s.TimeoutMillis)
		return &client{key: tea.StringValue(c.AccessKeyId)}, nil
	})
	for range 3 {
		c, creds, lane, _ := p.get()
		if lane != 0 {
			t.Errorf("one call at a time took lane %d; want 0", lane)
		}
		p.put(c, creds, lane, true)
	}
	type held struct {
		c     *client
		creds *notify.AccessKeys
		lane  int
	}
	var hs []held
	count := map[int]int{}
	for range 2 * lanes {
		c, creds, lane, _ := p.get()
		hs = append(hs, held{c, creds, lane})
		count[lane]++
	}
	for lane := range lanes {
		if count[lane] != 2 {
			t.Errorf("%d calls at once: lane %d has %d; want 2 on each lane (%v)", 2*lanes, lane, count[lane], count)
		}
	}
	for _, h := range hs {
		p.put(h.c, h.creds, h.lane, true)
	}
	// Lane 0's first client was reused; every other call at once made
	// one of its lane, with the lane's own ConnectTimeout.
	if len(made) != 2*lanes {
		t.Fatalf("made %d clients; want %d", len(made), 2*lanes)
	}
	for i, lane := range made[1:] {
		if lane < 0 || lane >= lanes {
			t.Errorf("client %d made with ConnectTimeout off by %d; want a lane, 0 to %d", i+1, lane, lanes-1)
		}
	}
}

// TestDoGivesTheClientBack: whatever becomes of a call (an answer, an
// error, a panic, a context done before it starts or while it runs), the
// client it took goes back to the pool once the SDK is done with it, and
// the next call reuses it: none is held for good. A call whose context
// was done before it started took a client and never gave it back, one
// more at every such call in a long-lived instance.
func TestDoGivesTheClientBack(t *testing.T) {
	var made atomic.Int32
	s, err := Check("pkg", "h", Config{Keys: keysFor("k")})
	if err != nil {
		t.Fatal(err)
	}
	p := NewPool(s, func(c *openapi.Config) (*client, error) {
		made.Add(1)
		return &client{key: tea.StringValue(c.AccessKeyId)}, nil
	})
	done, cancel := context.WithCancel(context.Background())
	cancel()
	ok := func(*client) (Answer, error) { return Answer{Code: "OK", ID: "1"}, nil }
	slow := func(*client) (Answer, error) { time.Sleep(50 * time.Millisecond); return Answer{Code: "OK"}, nil }
	for _, c := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		call func(*client) (Answer, error)
	}{
		{"answer", background, ok},
		{"context done before", func() (context.Context, context.CancelFunc) { return done, func() {} }, ok},
		{"error", background, func(*client) (Answer, error) { return Answer{}, fmt.Errorf("refused") }},
		{"panic", background, func(*client) (Answer, error) { panic("not a map") }},
		{"context done while it runs", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 10*time.Millisecond)
		}, slow},
	} {
		ctx, cancel := c.ctx()
		Do(ctx, "op", p, c.call)
		cancel()
		deadline := time.Now().Add(5 * time.Second)
		for idle(p) == 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if n := idle(p); n != 1 {
			t.Errorf("%s: %d clients idle after the call, want the one it took back", c.name, n)
		}
	}
	if n := made.Load(); n != 1 {
		t.Errorf("the pool made %d clients for calls one at a time, want 1", n)
	}
}

func background() (context.Context, context.CancelFunc) { return context.Background(), func() {} }

// idle returns how many idle clients p keeps.
func idle[C any](p *Pool[C]) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle)
}

// newTestPool returns a Pool of test clients.
func newTestPool(t *testing.T) *Pool[*client] {
	t.Helper()
	s, err := Check("pkg", "h", Config{Keys: keysFor("k")})
	if err != nil {
		t.Fatal(err)
	}
	return NewPool(s, func(c *openapi.Config) (*client, error) { return &client{key: tea.StringValue(c.AccessKeyId)}, nil })
}

// keysFor returns Keys of the AccessKey id with a secret.
func keysFor(id string) *notify.Keys {
	return notify.NewKeys(notify.AccessKeys{AccessKeyID: id, AccessKeySecret: "s"})
}
