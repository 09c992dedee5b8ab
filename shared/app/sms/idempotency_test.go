package sms_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/fake/aliyun/acs"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/sqlite"
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
	t.Parallel()
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

// TestIdempotencyKeyBelongsToTheCaller: a key is the authenticated group's,
// read from the body as the decoder reads it; a stranger learns nothing of
// it, not even that it exists.
func TestIdempotencyKeyBelongsToTheCaller(t *testing.T) {
	t.Parallel()
	const keyedBody = `{"GroupID":"keyed","PhoneNumbers":"13800138000","SignName":"冰鉴科技","TemplateCode":"SMS_184105379","TemplateParam":"123456"}`
	auth := map[string]string{"Authorization": "Bearer " + apiKey, "Idempotency-Key": "order-1"}
	t.Run("a body naming two groups is refused", func(t *testing.T) {
		g := newGateway(t, nil)
		// Authorized as keyed, and the lower-case name the decoder also
		// takes names another group.
		body := strings.Replace(keyedBody, `{"GroupID":"keyed"`, `{"GroupID":"bc-fumin","groupid":"keyed"`, 1)
		status, rep, _ := g.post(t, body, auth, 5*time.Second)
		if status != 400 || rep.Reason != "duplicate_field" || rep.Field != "GroupID" {
			t.Errorf("reply %d %+v; want 400 duplicate_field on GroupID", status, rep)
		}
		// Whitespace JSON does not know, before it: not JSON, for every
		// reader of the body alike.
		for _, prefix := range []string{"\f", "\v", "\u00a0"} {
			if status, rep, _ := g.post(t, prefix+body, auth, 5*time.Second); status != 400 || rep.Reason != "invalid_json" {
				t.Errorf("%q before it: %d %+v; want 400 invalid_json", prefix, status, rep)
			}
		}
		if g.fake.Requests() != 0 {
			t.Error("sent anyway")
		}
		// bc-fumin's own first use of the key is its own.
		if status, rep, _ := g.post(t, seedBody, map[string]string{"Idempotency-Key": "order-1"}, 5*time.Second); status != 200 {
			t.Errorf("bc-fumin's first use of the key: %d %+v; want 200", status, rep)
		}
	})
	t.Run("a group named in lower case keeps its keys", func(t *testing.T) {
		g := newGateway(t, nil)
		lower := strings.Replace(seedBody, `"GroupID"`, `"groupid"`, 1)
		if status, rep, _ := g.post(t, lower, map[string]string{"Idempotency-Key": "k"}, 5*time.Second); status != 200 {
			t.Fatalf("bc-fumin: %d %+v", status, rep)
		}
		other := strings.Replace(keyedBody, `"GroupID"`, `"groupid"`, 1)
		status, rep, h := g.post(t, other, map[string]string{"Authorization": "Bearer " + apiKey, "Idempotency-Key": "k"}, 5*time.Second)
		if status != 200 || h.Get("Idempotent-Replayed") != "" || len(g.fake.Sends()) != 2 {
			t.Errorf("keyed with the same key: %d %+v, %d sends; want its own send", status, rep, len(g.fake.Sends()))
		}
	})
	t.Run("no replay for a stranger", func(t *testing.T) {
		g := newGateway(t, nil)
		status, first, _ := g.post(t, keyedBody, auth, 5*time.Second)
		if status != 200 {
			t.Fatalf("first: %d %+v", status, first)
		}
		for _, c := range []struct {
			name, body, authorization string
		}{
			{"same body, no key", keyedBody, ""},
			{"same body, a wrong key", keyedBody, "Bearer not-the-key"},
			{"another body, no key", strings.Replace(keyedBody, "123456", "654321", 1), ""},
		} {
			status, rep, h := g.post(t, c.body, map[string]string{"Authorization": c.authorization, "Idempotency-Key": "order-1"}, 5*time.Second)
			if status != 401 || rep.MessageId != "" || rep.BizId == first.BizId || h.Get("Idempotent-Replayed") != "" {
				t.Errorf("%s: %d %+v; want 401 and nothing of the first reply", c.name, status, rep)
			}
		}
		if n := len(g.fake.Sends()); n != 1 {
			t.Errorf("the provider sent %d messages, want 1", n)
		}
	})
}

// frozenAfterRecord is a real store that stops answering once a message is
// recorded: the outcome and the reply of the request are never written,
// as when the database freezes during the provider call.
type frozenAfterRecord struct {
	*sqlite.Store
	frozen atomic.Bool
}

var errFrozen = errors.New("database does not answer")

func (s *frozenAfterRecord) CreateMessageTakingQuotas(ctx context.Context, m *notify.Message, now time.Time, qs []notify.Quota) (int, time.Duration, error) {
	refused, wait, err := s.Store.CreateMessageTakingQuotas(ctx, m, now, qs)
	s.frozen.Store(err == nil)
	return refused, wait, err
}

func (s *frozenAfterRecord) CreateMessage(ctx context.Context, m *notify.Message) error {
	err := s.Store.CreateMessage(ctx, m)
	s.frozen.Store(err == nil)
	return err
}

func (s *frozenAfterRecord) FinishMessage(ctx context.Context, id string, o notify.Outcome) error {
	if s.frozen.Load() {
		return errFrozen
	}
	return s.Store.FinishMessage(ctx, id, o)
}

func (s *frozenAfterRecord) CompleteIdempotency(ctx context.Context, group, key string, status int, reply []byte) error {
	if s.frozen.Load() {
		return errFrozen
	}
	return s.Store.CompleteIdempotency(ctx, group, key, status, reply)
}

func (s *frozenAfterRecord) ReleaseIdempotency(ctx context.Context, group, key string) error {
	if s.frozen.Load() {
		return errFrozen
	}
	return s.Store.ReleaseIdempotency(ctx, group, key)
}

// TestIdempotencyKeyAfterFreeze: the store freezes while the provider
// takes the message, so neither the outcome nor the reply is written and
// the key's lease runs out. The retry, once the store is back, finds the
// message's record and is answered from it: the provider gets one SMS.
func TestIdempotencyKeyAfterFreeze(t *testing.T) {
	t.Parallel()
	var st *frozenAfterRecord
	g := gatewayOver(t, func(db *sqlite.Store) notify.Store { st = &frozenAfterRecord{Store: db}; return st })
	fake := g.fake

	// The request's deadline is its key's lease.
	const lease = time.Second
	key := map[string]string{"Idempotency-Key": "order-9"}
	status, first, _ := g.post(t, seedBody, key, lease)
	if status != 200 || first.MessageId == "" {
		t.Fatalf("first: %d %+v; want 200, sent with its outcome unrecorded", status, first)
	}
	st.frozen.Store(false)
	time.Sleep(lease + 100*time.Millisecond)
	// The key stays the first request's: another body is refused, not
	// sent, though the first never finished.
	other := strings.Replace(seedBody, "654321", "111111", 1)
	if status, rep, _ := g.post(t, other, key, 5*time.Second); status != 422 || rep.Reason != "idempotency_key_reused" {
		t.Errorf("another body with the key after the lease: %d %+v; want 422 idempotency_key_reused", status, rep)
	}
	status, again, _ := g.post(t, seedBody, key, 5*time.Second)
	if status != 504 || again.Reason != "provider_outcome_unknown" || again.MessageId != first.MessageId {
		t.Errorf("retry after the lease: %d %+v; want 504 provider_outcome_unknown for message %s", status, again, first.MessageId)
	}
	if n := len(fake.Sends()); n != 1 {
		t.Errorf("the provider sent %d messages, want 1", n)
	}
	// And the retry's reply is now the key's.
	if status, rep, h := g.post(t, seedBody, key, 5*time.Second); status != 504 || rep.MessageId != first.MessageId ||
		h.Get("Idempotent-Replayed") != "true" {
		t.Errorf("third: %d %+v %v; want the 504 replayed", status, rep, h)
	}
}
