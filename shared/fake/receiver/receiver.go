// Package receiver is a webhook receiver for tests: an http.Handler that
// checks each delivery's Standard Webhooks signature on its own (it does
// not use shared/webhook, so that a mistake there cannot hide here), keeps
// what arrived, and answers as the test scripts it: taken (204), or failed
// (503) for a number of attempts or for good.
package receiver

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Delivery is one request that reached the receiver.
type Delivery struct {
	ID        string // webhook-id
	Timestamp int64  // webhook-timestamp
	Body      []byte
	// Signed is whether a signature matched the secret and the timestamp
	// was within five minutes of the receiver's clock.
	Signed bool
	// Status is what the receiver answered: 204 taken, 401 a bad
	// signature, 503 a scripted failure.
	Status int
}

// Receiver is the webhook receiver.
type Receiver struct {
	key []byte

	mu       sync.Mutex
	got      []Delivery
	failures map[string]int // failed attempts so far, by event id
	failN    int            // fail each event's first failN attempts
	down     bool
	stall    time.Duration // how long to wait before reading a delivery
}

// Stall makes the receiver wait d (or until the sender gives up) before
// it answers each delivery.
func (r *Receiver) Stall(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stall = d
}

// New returns a receiver of deliveries signed under secret, written as
// the specification writes it ("whsec_" and base64) or as the key itself.
func New(secret string) *Receiver {
	key := []byte(secret)
	if b64, ok := strings.CutPrefix(secret, "whsec_"); ok {
		key, _ = base64.StdEncoding.DecodeString(b64)
	}
	return &Receiver{key: key, failures: map[string]int{}}
}

// FailFirst makes the receiver answer 503 to the first n attempts at
// each event.
func (r *Receiver) FailFirst(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failN = n
}

// Down makes the receiver answer 503 to everything, or not.
func (r *Receiver) Down(down bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.down = down
}

// Deliveries returns every request so far, in order.
func (r *Receiver) Deliveries() []Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Delivery(nil), r.got...)
}

// Taken counts the deliveries answered 204, by event id.
func (r *Receiver) Taken() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := map[string]int{}
	for _, d := range r.got {
		if d.Status == http.StatusNoContent {
			n[d.ID]++
		}
	}
	return n
}

func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	r.mu.Lock()
	stall := r.stall
	r.mu.Unlock()
	if stall > 0 { // after reading: the server then sees the sender hang up
		t := time.NewTimer(stall)
		defer t.Stop()
		select {
		case <-t.C:
		case <-req.Context().Done():
			return
		}
	}
	d := Delivery{ID: req.Header.Get("webhook-id"), Body: body}
	d.Timestamp, _ = strconv.ParseInt(req.Header.Get("webhook-timestamp"), 10, 64)
	d.Signed = r.verify(d, req.Header.Get("webhook-signature"))
	r.mu.Lock()
	switch {
	case !d.Signed || req.Method != http.MethodPost:
		d.Status = http.StatusUnauthorized
	case r.down || r.failures[d.ID] < r.failN:
		r.failures[d.ID]++
		d.Status = http.StatusServiceUnavailable
	default:
		d.Status = http.StatusNoContent
	}
	r.got = append(r.got, d)
	r.mu.Unlock()
	w.WriteHeader(d.Status)
}

// verify checks the signatures header against the one the secret makes:
// base64 HMAC-SHA256 of "<id>.<timestamp>.<body>", any of a space-separated
// list of "v1,<signature>", and a timestamp within five minutes.
func (r *Receiver) verify(d Delivery, header string) bool {
	if d.ID == "" || d.Timestamp == 0 {
		return false
	}
	if skew := time.Since(time.Unix(d.Timestamp, 0)); skew > 5*time.Minute || skew < -5*time.Minute {
		return false
	}
	mac := hmac.New(sha256.New, r.key)
	mac.Write([]byte(d.ID + "." + strconv.FormatInt(d.Timestamp, 10) + "."))
	mac.Write(d.Body)
	want := mac.Sum(nil)
	for _, sig := range strings.Fields(header) {
		b64, ok := strings.CutPrefix(sig, "v1,")
		if !ok {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}
