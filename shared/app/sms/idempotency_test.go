package sms_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/fake/aliyun/acs"
)

// raw serves body with an Idempotency-Key and returns the reply as sent.
func (g *gateway) raw(t *testing.T, body, key string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/sms", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Idempotency-Key", key)
	w := httptest.NewRecorder()
	g.Handler.ServeHTTP(w, r)
	return w
}

func TestIdempotencyKey(t *testing.T) {
	other := strings.Replace(seedBody, "654321", "111111", 1)
	t.Run("same key three times: one send, the same reply", func(t *testing.T) {
		g := newGateway(t, nil)
		first := g.raw(t, seedBody, "order-42")
		if first.Code != 200 || first.Header().Get("Idempotent-Replayed") != "" {
			t.Fatalf("first: %d %s", first.Code, first.Body)
		}
		for i := 0; i < 2; i++ {
			again := g.raw(t, seedBody, "order-42")
			if again.Code != 200 || again.Body.String() != first.Body.String() || again.Header().Get("Idempotent-Replayed") != "true" {
				t.Errorf("retry %d: %d %q %v; want the first reply replayed", i+1, again.Code, again.Body, again.Header())
			}
		}
		if n := len(g.fake.Sends()); n != 1 {
			t.Errorf("the provider sent %d messages, want 1", n)
		}
	})
	t.Run("same key, another body", func(t *testing.T) {
		g := newGateway(t, nil)
		g.raw(t, seedBody, "k")
		w := g.raw(t, other, "k")
		if w.Code != 422 || !strings.Contains(w.Body.String(), `"Reason":"idempotency_key_reused"`) {
			t.Errorf("reply %d %s; want 422 idempotency_key_reused", w.Code, w.Body)
		}
	})
	t.Run("scoped to the group", func(t *testing.T) {
		g := newGateway(t, nil)
		g.raw(t, seedBody, "k")
		keyed := `{"GroupID":"keyed","PhoneNumbers":"13800138000","SignName":"冰鉴科技","TemplateCode":"SMS_184105379"}`
		r := httptest.NewRequest(http.MethodPost, "/sms", strings.NewReader(keyed))
		r.Header.Set("Idempotency-Key", "k")
		r.Header.Set("Authorization", "Bearer "+apiKey)
		w := httptest.NewRecorder()
		g.Handler.ServeHTTP(w, r)
		if w.Code != 200 || len(g.fake.Sends()) != 2 {
			t.Errorf("another group's request with the same key: %d %s, %d sends", w.Code, w.Body, len(g.fake.Sends()))
		}
	})
	t.Run("while the first is in flight", func(t *testing.T) {
		g := newGateway(t, nil)
		g.fake.Fail(acs.Slow(500 * time.Millisecond).Times(1))
		var wg sync.WaitGroup
		wg.Add(1)
		var first *httptest.ResponseRecorder
		go func() { defer wg.Done(); first = g.raw(t, seedBody, "k") }()
		// The first request holds the key once the fake has it.
		for i := 0; i < 200 && g.fake.Requests() == 0; i++ {
			time.Sleep(5 * time.Millisecond)
		}
		w := g.raw(t, seedBody, "k")
		wg.Wait()
		if w.Code != 409 || w.Header().Get("Retry-After") == "" || !strings.Contains(w.Body.String(), "idempotency_in_flight") {
			t.Errorf("second: %d %s; want 409 idempotency_in_flight", w.Code, w.Body)
		}
		if first.Code != 200 || len(g.fake.Sends()) != 1 {
			t.Errorf("first: %d, %d sends", first.Code, len(g.fake.Sends()))
		}
	})
	t.Run("refused before sending: the key stays free", func(t *testing.T) {
		g := newGateway(t, nil)
		if w := g.raw(t, strings.Replace(seedBody, "18683441008", "123", 1), "k"); w.Code != 400 {
			t.Fatalf("bad number: %d", w.Code)
		}
		if w := g.raw(t, seedBody, "k"); w.Code != 200 || w.Header().Get("Idempotent-Replayed") != "" {
			t.Errorf("corrected request with the same key: %d %s", w.Code, w.Body)
		}
	})
	t.Run("provider down: the retry sends", func(t *testing.T) {
		g := newGateway(t, nil)
		g.fake.Fail(acs.Unavailable().Times(3)) // down for every try of one request
		if w := g.raw(t, seedBody, "k"); w.Code != 502 {
			t.Fatalf("first: %d %s", w.Code, w.Body)
		}
		if w := g.raw(t, seedBody, "k"); w.Code != 200 || len(g.fake.Sends()) != 1 {
			t.Errorf("retry: %d %s, %d sends", w.Code, w.Body, len(g.fake.Sends()))
		}
	})
	t.Run("in doubt: the retry is answered, not sent", func(t *testing.T) {
		g := newGateway(t, nil)
		g.fake.Fail(acs.AcceptThenDrop().Times(1))
		first := g.raw(t, seedBody, "k")
		if first.Code != 504 {
			t.Fatalf("first: %d %s", first.Code, first.Body)
		}
		if w := g.raw(t, seedBody, "k"); w.Code != 504 || w.Body.String() != first.Body.String() || len(g.fake.Sends()) != 1 {
			t.Errorf("retry: %d %s, %d sends; want the 504 replayed and one send", w.Code, w.Body, len(g.fake.Sends()))
		}
	})
	t.Run("a key over 255 characters", func(t *testing.T) {
		g := newGateway(t, nil)
		if w := g.raw(t, seedBody, strings.Repeat("k", 256)); w.Code != 400 || !strings.Contains(w.Body.String(), "invalid_idempotency_key") {
			t.Errorf("reply %d %s", w.Code, w.Body)
		}
		if g.fake.Requests() != 0 {
			t.Error("sent anyway")
		}
	})
}
