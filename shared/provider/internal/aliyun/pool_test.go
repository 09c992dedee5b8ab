package aliyun

import (
	"fmt"
	"sync"
	"testing"

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
				c, _ := p.Get()
				after := keys.Current().AccessKeyID
				if c.key != before && c.key != after {
					t.Errorf("goroutine %d: got a client for %s while the keys went from %s to %s", g, c.key, before, after)
				}
				made.Store(c, c.key)
				if g == 0 && i%20 == 0 {
					keys.Set(notify.AccessKeys{AccessKeyID: fmt.Sprint("k", i/20+1), AccessKeySecret: "s"})
				}
				p.Put(c)
			}
		}()
	}
	wg.Wait()
	last := keys.Current().AccessKeyID
	for range 10 {
		if c, _ := p.Get(); c.key != last {
			t.Fatalf("after the last change, a client for %s; want %s", c.key, last)
		}
	}
	if n := len(p.idle); n > maxIdle {
		t.Errorf("%d idle clients, want at most %d", n, maxIdle)
	}
}

// keysFor returns Keys of the AccessKey id with a secret.
func keysFor(id string) *notify.Keys {
	return notify.NewKeys(notify.AccessKeys{AccessKeyID: id, AccessKeySecret: "s"})
}
