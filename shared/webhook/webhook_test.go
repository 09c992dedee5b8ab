package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/webhook"
)

// The specification's own example: secret, id, timestamp, body and the
// signature any of its libraries computes.
func TestSignSpecExample(t *testing.T) {
	s, err := webhook.ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	got := webhook.Sign([]webhook.Secret{s}, "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

// receiver is a receiver written from the specification alone, without
// this package: it checks each event's signature and timestamp.
type receiver struct {
	key  []byte
	fail int // answer 503 to this many deliveries first
	mu   sync.Mutex
	got  []string // ids of events taken
	hits int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.hits++
	body, _ := io.ReadAll(r.Body)
	id, ts := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp")
	m := hmac.New(sha256.New, rc.key)
	m.Write([]byte(id + "." + ts + "." + string(body)))
	want := base64.StdEncoding.EncodeToString(m.Sum(nil))
	ok := false
	for _, sig := range strings.Split(r.Header.Get("webhook-signature"), " ") {
		if v, found := strings.CutPrefix(sig, "v1,"); found && hmac.Equal([]byte(v), []byte(want)) {
			ok = true
		}
	}
	sec, _ := strconv.ParseInt(ts, 10, 64)
	if !ok || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if rc.fail > 0 {
		rc.fail--
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	rc.got = append(rc.got, id)
}

func TestDeliver(t *testing.T) {
	old, _ := webhook.ParseSecret("an-old-secret-of-24-bytes!")
	current, _ := webhook.ParseSecret("whsec_" + base64.StdEncoding.EncodeToString([]byte("the-current-secret-32-bytes-long")))
	rc := &receiver{key: []byte("the-current-secret-32-bytes-long"), fail: 2}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	s := webhook.NewSender(webhook.Policy{AllowLoopbackHTTP: true})
	e := webhook.Endpoint{URL: srv.URL + "/hooks?token=x", Secrets: []webhook.Secret{old, current}} // rotating
	ev := webhook.Event{ID: "evt_1", Body: []byte(`{"type":"message.delivered"}`)}
	for i := 1; i <= 2; i++ {
		r := s.Deliver(context.Background(), e, ev)
		if r.OK() || r.Status != 503 || !r.Retry {
			t.Fatalf("attempt %d to a receiver that is down: %+v; want 503, to retry", i, r)
		}
		if strings.Contains(r.Err.Error(), "token=x") {
			t.Errorf("the error shows the URL's query: %v", r.Err)
		}
	}
	if r := s.Deliver(context.Background(), e, ev); !r.OK() || r.Status != 200 {
		t.Fatalf("third attempt: %+v; want delivered", r)
	}
	if len(rc.got) != 1 || rc.got[0] != "evt_1" || rc.hits != 3 {
		t.Errorf("the receiver took %v in %d requests; want evt_1 once, in 3", rc.got, rc.hits)
	}
	if r := s.Deliver(context.Background(), e, webhook.Event{ID: "big", Body: make([]byte, webhook.MaxBody+1)}); r.OK() || r.Retry {
		t.Errorf("a body over MaxBody: %+v; want refused for good", r)
	}
}

func TestVerify(t *testing.T) {
	key, _ := webhook.ParseSecret("whsec_" + base64.StdEncoding.EncodeToString([]byte("the-current-secret-32-bytes-long")))
	other, _ := webhook.ParseSecret("another-secret-of-24-bytes")
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"a":1}`)
	h := http.Header{}
	h.Set("webhook-id", "evt_2")
	h.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	h.Set("webhook-signature", "v1,bm90IGl0 "+webhook.Sign([]webhook.Secret{key}, "evt_2", now, body))
	if err := webhook.Verify([]webhook.Secret{other, key}, h, body, now.Add(time.Minute)); err != nil {
		t.Errorf("Verify: %v", err)
	}
	for name, check := range map[string]func() error{
		"another body":   func() error { return webhook.Verify([]webhook.Secret{key}, h, []byte(`{"a":2}`), now) },
		"another secret": func() error { return webhook.Verify([]webhook.Secret{other}, h, body, now) },
		"too late":       func() error { return webhook.Verify([]webhook.Secret{key}, h, body, now.Add(6*time.Minute)) },
		"no headers":     func() error { return webhook.Verify([]webhook.Secret{key}, http.Header{}, body, now) },
	} {
		if check() == nil {
			t.Errorf("%s: verified", name)
		}
	}
}

// TestSSRF: every URL that leads where a tenant's deliveries must not go
// is refused, at connect time for a name, before a byte is sent; a
// redirect is not followed.
func TestSSRF(t *testing.T) {
	hit := false
	inside := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit = true }))
	defer inside.Close()
	port := inside.URL[strings.LastIndex(inside.URL, ":")+1:]
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, inside.URL, http.StatusFound)
	}))
	defer redirect.Close()

	strict := webhook.NewSender(webhook.Policy{})
	ev := webhook.Event{ID: "evt_3", Body: []byte(`{}`)}
	for _, u := range []string{
		"https://127.0.0.1:" + port + "/",
		"https://localhost:" + port + "/", // a name that resolves to loopback
		"https://[::1]:" + port + "/",
		"https://10.1.2.3/",
		"https://192.168.0.1/",
		"https://169.254.169.254/latest/meta-data/",
		"https://100.100.100.200/latest/meta-data/",
		"https://0.0.0.0:" + port + "/",
		"https://[::ffff:127.0.0.1]:" + port + "/",
		"https://[64:ff9b::a9fe:a9fe]/latest/meta-data/", // NAT64 of 169.254.169.254
		"https://[64:ff9b::a00:1]/",                      // NAT64 of 10.0.0.1
		"https://[64:ff9b:1::a00:1]/",                    // local-use NAT64
		"https://198.18.0.1/",                            // benchmarking, routed inside by some clouds
		"https://0.1.2.3/",                               // "this network"
		"http://example.com/",                            // not https
		"http://127.0.0.1:" + port + "/",
		"ftp://example.com/",
		"https://user:pw@example.com/",
	} {
		r := strict.Deliver(context.Background(), webhook.Endpoint{URL: u}, ev)
		if r.OK() || r.Retry {
			t.Errorf("%s: %+v; want refused for good", u, r)
		}
	}
	if hit {
		t.Error("a refused URL was reached")
	}
	if r := strict.Deliver(context.Background(), webhook.Endpoint{URL: "https://127.0.0.1:1/"}, ev); !errors.Is(r.Err, webhook.ErrForbiddenAddress) {
		t.Errorf("loopback: %v; want ErrForbiddenAddress", r.Err)
	}

	// Under a policy that lets deliveries reach loopback over http, a
	// redirect to a server that would take the event is still not
	// followed: the 302 is the answer, and a failure.
	open := webhook.NewSender(webhook.Policy{AllowPrivate: true, AllowLoopbackHTTP: true})
	if r := open.Deliver(context.Background(), webhook.Endpoint{URL: redirect.URL}, ev); r.OK() || r.Status != http.StatusFound || hit {
		t.Errorf("a redirect: %+v, its target reached %v; want 302, not followed", r, hit)
	}
	if r := open.Deliver(context.Background(), webhook.Endpoint{URL: inside.URL}, ev); !r.OK() || !hit {
		t.Errorf("the target itself: %+v; want delivered", r)
	}
}

// FuzzVerify: any headers and body are checked without a panic, and only
// a body signed under the secret verifies.
func FuzzVerify(f *testing.F) {
	key := webhook.Secret("a-fuzzing-secret-24-bytes")
	now := time.Unix(1_800_000_000, 0)
	f.Add("evt_1", "1800000000", webhook.Sign([]webhook.Secret{key}, "evt_1", now, []byte("{}")), []byte("{}"))
	f.Add("x", "-1", "v1,", []byte(""))
	f.Add("x", "1800000000", "v1,!!! v2,abc v1,AAAA", []byte("x"))
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set("webhook-id", id)
		h.Set("webhook-timestamp", ts)
		h.Set("webhook-signature", sig)
		if webhook.Verify([]webhook.Secret{key}, h, body, now) == nil {
			sec, _ := strconv.ParseInt(h.Get("webhook-timestamp"), 10, 64)
			want := webhook.Sign([]webhook.Secret{key}, h.Get("webhook-id"), time.Unix(sec, 0), body)
			if !strings.Contains(h.Get("webhook-signature"), strings.TrimPrefix(want, "v1,")) {
				t.Fatalf("verified a signature that is not the body's: %q", sig)
			}
		}
	})
}

// FuzzCheckURL: a URL CheckURL takes is https, or http to a loopback host
// under AllowLoopbackHTTP alone; it has a host and no user information;
// and, written out, it is taken again as itself. A secret ParseSecret
// takes is at least 24 bytes.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"https://hooks.example.com/notify", "http://127.0.0.1:9/x", "http://localhost/", "http://[::1]:8/",
		"https://u:p@h/", "https:///x", "https://:443/", "//h/x", "http://127.0.0.1.nip.io/", "HTTPS://H/", "whsec_AAAA"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, raw string, loopbackHTTP bool) {
		if k, err := webhook.ParseSecret(raw); err == nil && len(k) < 24 {
			t.Fatalf("ParseSecret(%q) = %d bytes", raw, len(k))
		}
		p := webhook.Policy{AllowLoopbackHTTP: loopbackHTTP}
		u, err := p.CheckURL(raw)
		if err != nil {
			return
		}
		host := u.Hostname()
		a, aerr := netip.ParseAddr(host)
		loopback := host == "localhost" || (aerr == nil && a.IsLoopback())
		if host == "" || u.User != nil || !(u.Scheme == "https" || u.Scheme == "http" && loopbackHTTP && loopback) {
			t.Fatalf("CheckURL(%q) under %+v took %#v", raw, p, u)
		}
		again, err := p.CheckURL(u.String())
		if err != nil || again.String() != u.String() {
			t.Fatalf("CheckURL(%q) = %q, which it takes as %v, %v", raw, u, again, err)
		}
	})
}
