package tencentsms_test

import (
	"context"
	"fmt"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/seed4ddb146e/notify/shared/provider/tencentsms"
)

// TestConnectionsKept: sends at once reuse the connections of the sends
// before them, rather than each opening one (a TCP and TLS handshake with
// the provider, and a socket left in TIME_WAIT) because the client kept
// only two idle.
func TestConnectionsKept(t *testing.T) {
	_, c := setup(t, nil)
	const parallel, rounds = tencentsms.MaxIdlePerHost / 2, 5
	var opened atomic.Int64
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		GotConn: func(i httptrace.GotConnInfo) {
			if !i.Reused {
				opened.Add(1)
			}
		},
	})
	for r := range rounds {
		var wg sync.WaitGroup
		for i := range parallel {
			wg.Go(func() {
				m := message
				m.PhoneNumbers = []string{fmt.Sprintf("138%04d%04d", r, i)}
				if _, err := c.SendSMS(ctx, m); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	// The first round opens up to one connection a send; the others
	// reuse them.
	if n := opened.Load(); n > parallel+parallel/2 {
		t.Errorf("%d sends, %d at once, opened %d connections; want at most %d", rounds*parallel, parallel, n, parallel+parallel/2)
	}
}
