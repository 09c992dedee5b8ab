package sms_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/fake/aliyun/acs"
	"github.com/seed4ddb146e/notify/shared/notify"
)

type statusReply struct {
	Code, Message, Reason, Field string
	TotalCount, Page, PageSize   int
	Messages                     []struct {
		MessageId, Status, Provider, ProviderId, TemplateCode string
		Recipients                                            []struct{ Recipient, Status, Code string }
		History                                               []struct{ Recipient, Status, Code string }
	}
}

func (g *gateway) status(t *testing.T, query url.Values, key string) (int, statusReply) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/sms/status?"+query.Encode(), nil)
	if key != "" {
		r.Header.Set("Authorization", "Bearer "+key)
	}
	w := httptest.NewRecorder()
	g.Handler.ServeHTTP(w, r)
	var rep statusReply
	if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil {
		t.Fatalf("reply %d is not JSON: %q", w.Code, w.Body)
	}
	if strings.Contains(w.Body.String(), "654321") {
		t.Error("the status reply shows the verification code")
	}
	return w.Code, rep
}

func TestStatusQueries(t *testing.T) {
	t.Parallel()
	g := newGateway(t, nil)
	_, sent, _ := g.post(t, seedBody, nil, 5*time.Second)
	_, other, _ := g.post(t, strings.Replace(seedBody, "18683441008", "13900139000", 1), nil, 5*time.Second)
	today := time.Now().In(time.FixedZone("CST", 8*3600)).Format("20060102")
	tests := []struct {
		name  string
		query url.Values
		ids   []string
	}{
		{"by MessageId", url.Values{"GroupID": {"bc-fumin"}, "MessageId": {sent.MessageId}}, []string{sent.MessageId}},
		{"by BizId", url.Values{"GroupID": {"bc-fumin"}, "BizId": {other.BizId}}, []string{other.MessageId}},
		{"by PhoneNumber and SendDate", url.Values{"GroupID": {"bc-fumin"}, "PhoneNumber": {"+8618683441008"}, "SendDate": {today}},
			[]string{sent.MessageId}},
		{"another day", url.Values{"GroupID": {"bc-fumin"}, "PhoneNumber": {"18683441008"}, "SendDate": {"20200101"}}, nil},
		{"paged", url.Values{"GroupID": {"bc-fumin"}, "PhoneNumber": {"13900139000"}, "SendDate": {today}, "PageSize": {"1"}, "Page": {"2"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, rep := g.status(t, tt.query, "")
			if status != 200 || rep.Code != "OK" || len(rep.Messages) != len(tt.ids) {
				t.Fatalf("reply %d %+v; want messages %v", status, rep, tt.ids)
			}
			for i, id := range tt.ids {
				m := rep.Messages[i]
				if m.MessageId != id || m.Status != "submitted" || m.Provider != "aliyun" || len(m.Recipients) != 1 ||
					m.Recipients[0].Status != "submitted" {
					t.Errorf("message %d = %+v", i, m)
				}
			}
		})
	}
	refusals := []struct {
		name          string
		query         url.Values
		status        int
		reason, field string
	}{
		{"unknown group", url.Values{"GroupID": {"nobody"}, "MessageId": {sent.MessageId}}, 401, "unknown_group", "GroupID"},
		{"no selector", url.Values{"GroupID": {"bc-fumin"}}, 400, "missing_field", "MessageId"},
		{"phone without date", url.Values{"GroupID": {"bc-fumin"}, "PhoneNumber": {"18683441008"}}, 400, "missing_field", "SendDate"},
		{"bad date", url.Values{"GroupID": {"bc-fumin"}, "PhoneNumber": {"18683441008"}, "SendDate": {"2026-11-24"}}, 400, "invalid_field", "SendDate"},
		{"page size 51", url.Values{"GroupID": {"bc-fumin"}, "MessageId": {sent.MessageId}, "PageSize": {"51"}}, 400, "out_of_range", "PageSize"},
		{"page not a number", url.Values{"GroupID": {"bc-fumin"}, "MessageId": {sent.MessageId}, "Page": {"x"}}, 400, "invalid_field", "Page"},
		{"keyed group without its key", url.Values{"GroupID": {"keyed"}, "MessageId": {sent.MessageId}}, 401, "missing_key", "Authorization"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			status, rep := g.status(t, tt.query, "")
			if status != tt.status || rep.Reason != tt.reason || rep.Field != tt.field {
				t.Errorf("reply %d %+v; want %d %s %s", status, rep, tt.status, tt.reason, tt.field)
			}
		})
	}
	t.Run("another group sees nothing of it", func(t *testing.T) {
		status, rep := g.status(t, url.Values{"GroupID": {"keyed"}, "MessageId": {sent.MessageId}}, apiKey)
		if status != 200 || rep.TotalCount != 0 || len(rep.Messages) != 0 {
			t.Errorf("reply %d %+v; want no messages", status, rep)
		}
	})
	t.Run("POST is not allowed", func(t *testing.T) {
		w := httptest.NewRecorder()
		g.Handler.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/sms/status", nil))
		if w.Code != 405 || w.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("POST /sms/status: %d %v", w.Code, w.Header())
		}
	})
}

// A message no report has settled is refreshed from QuerySendDetails once
// it is older than NOTIFY_STATUS_REFRESH_AFTER.
func TestStatusRefresh(t *testing.T) {
	t.Parallel()
	g := newGateway(t, map[string]string{"NOTIFY_STATUS_REFRESH_AFTER": "1ms"})
	_, sent, _ := g.post(t, seedBody, nil, 5*time.Second)
	time.Sleep(5 * time.Millisecond)
	status, rep := g.status(t, url.Values{"GroupID": {"bc-fumin"}, "MessageId": {sent.MessageId}}, "")
	if status != 200 || len(rep.Messages) != 1 {
		t.Fatalf("reply %d %+v", status, rep)
	}
	m := rep.Messages[0]
	if m.Status != "delivered" || m.Recipients[0].Status != "delivered" || m.Recipients[0].Code != "DELIVERED" ||
		len(m.History) != 1 || m.History[0].Status != "delivered" {
		t.Errorf("refreshed message = %+v; want delivered from QuerySendDetails", m)
	}
	if rec := g.Record(t, sent.MessageId); rec.Status != "delivered" {
		t.Errorf("record status %s; the refresh was not recorded", rec.Status)
	}
}

// TestStatusReconcile: records whose send never recorded the provider's
// answer are looked up at the provider, by the OutId they went out with,
// once older than NOTIFY_STATUS_RECONCILE_AFTER, and settled; one the
// provider does not have becomes unknown, with the reason.
func TestStatusReconcile(t *testing.T) {
	t.Parallel()
	g := newGateway(t, map[string]string{"NOTIFY_STATUS_RECONCILE_AFTER": "1ms"})
	query := func(id string) statusReply {
		t.Helper()
		time.Sleep(5 * time.Millisecond)
		status, rep := g.status(t, url.Values{"GroupID": {"bc-fumin"}, "MessageId": {id}}, "")
		if status != 200 || len(rep.Messages) != 1 {
			t.Fatalf("status of %s: %d %+v", id, status, rep)
		}
		return rep
	}

	t.Run("in doubt, and the provider has it", func(t *testing.T) {
		g.fake.Fail(acs.AcceptThenDrop().Times(1))
		status, sent, _ := g.post(t, seedBody, nil, 5*time.Second)
		if status != 504 || (sent.BizId != "" && sent.BizId != "null") {
			t.Fatalf("send: %d %+v; want 504 without a BizId", status, sent)
		}
		m := query(sent.MessageId).Messages[0]
		if m.Status != "delivered" || m.Recipients[0].Status != "delivered" || len(m.History) != 1 {
			t.Errorf("message %+v; want delivered, as QuerySendDetails says of its OutId", m)
		}
	})

	// A record left accepted: its process died before the provider was
	// called, or before its answer was written.
	accepted := func(t *testing.T, outID string) *notify.Message {
		t.Helper()
		_, sent, _ := g.post(t, strings.Replace(seedBody, "18683441008", "13700137000", 1), nil, 5*time.Second)
		m := *g.Record(t, sent.MessageId)
		m.ID, m.OutID, m.Status, m.ProviderID, m.RequestID = notify.NewID(time.Now()), outID, notify.Accepted, "", ""
		if err := g.Store.CreateMessage(t.Context(), &m); err != nil {
			t.Fatal(err)
		}
		return &m
	}
	t.Run("accepted, and the provider never had it", func(t *testing.T) {
		m := accepted(t, "")
		if got := query(m.ID).Messages[0]; got.Status != "unknown" {
			t.Errorf("message %+v; want unknown", got)
		}
		if rec := g.Record(t, m.ID); rec.ErrorCode != "outcome_lost" || !strings.Contains(rec.ErrorText, "no message of this id") {
			t.Errorf("record %q %q; want outcome_lost, the provider has none", rec.ErrorCode, rec.ErrorText)
		}
		if again := query(m.ID).Messages[0]; again.Status != "unknown" {
			t.Errorf("asked again: %+v", again)
		}
	})
	t.Run("sent with the caller's OutId", func(t *testing.T) {
		// Any SMS of the account, of any group, may have that OutId: one
		// that did reach the provider says nothing of the lost one.
		body := strings.Replace(seedBody, "18683441008", "13600136000", 1)
		body = strings.Replace(body, `}`, `,"OutId":"order-5"}`, 1)
		if status, rep, _ := g.post(t, body, nil, 5*time.Second); status != 200 {
			t.Fatalf("send: %d %+v", status, rep)
		}
		m := accepted(t, "order-5")
		if got := query(m.ID).Messages[0]; got.Status != "unknown" || len(got.History) != 0 {
			t.Errorf("message %+v; want unknown, with no report", got)
		}
		if rec := g.Record(t, m.ID); rec.ErrorCode != "outcome_lost" || !strings.Contains(rec.ErrorText, "OutId") {
			t.Errorf("record %q %q; want outcome_lost, for its OutId", rec.ErrorCode, rec.ErrorText)
		}
	})
	t.Run("not yet", func(t *testing.T) {
		g := newGateway(t, nil) // the default bound: minutes
		_, sent, _ := g.post(t, seedBody, nil, 5*time.Second)
		m := *g.Record(t, sent.MessageId)
		m.ID, m.Status, m.ProviderID = notify.NewID(time.Now()), notify.Accepted, ""
		if err := g.Store.CreateMessage(t.Context(), &m); err != nil {
			t.Fatal(err)
		}
		_, rep := g.status(t, url.Values{"GroupID": {"bc-fumin"}, "MessageId": {m.ID}}, "")
		if len(rep.Messages) != 1 || rep.Messages[0].Status != "accepted" || g.fake.Requests() != 1 {
			t.Errorf("reply %+v, %d provider requests; want it accepted, not looked up while its send may still run",
				rep, g.fake.Requests())
		}
	})
	t.Run("asked once a while, ten a query", func(t *testing.T) {
		g := newGateway(t, map[string]string{"NOTIFY_STATUS_RECONCILE_AFTER": "1m"})
		_, sent, _ := g.post(t, seedBody, nil, 5*time.Second)
		tmpl := *g.Record(t, sent.MessageId)
		then := time.Now().Add(-2 * time.Minute)
		if day := func(t time.Time) int { return t.In(notify.Beijing).YearDay() }; day(then) != day(then.Add(notify.InFlightFor)) {
			then = then.Add(-notify.InFlightFor) // a lookup of one so close to midnight asks about two days
		}
		for range 12 {
			m := tmpl
			m.ID, m.Status, m.ProviderID, m.CreatedAt, m.UpdatedAt = notify.NewID(then), notify.Accepted, "", then, then
			if err := g.Store.CreateMessage(t.Context(), &m); err != nil {
				t.Fatal(err)
			}
		}
		q := url.Values{"GroupID": {"bc-fumin"}, "PhoneNumber": {"18683441008"}, "PageSize": {"50"},
			"SendDate": {then.In(notify.Beijing).Format("20060102")}}
		before := g.fake.Requests()
		_, rep := g.status(t, q, "")
		unknown := 0
		for _, m := range rep.Messages {
			if m.Status == "unknown" {
				unknown++
			}
		}
		if n := g.fake.Requests() - before; n != notify.MaxRefreshed || unknown != notify.MaxRefreshed {
			t.Errorf("%d lookups, %d unknown; want %d of each", n, unknown, notify.MaxRefreshed)
		}
		before = g.fake.Requests()
		g.status(t, q, "")
		if n := g.fake.Requests() - before; n != 2 {
			t.Errorf("asked again: %d lookups; want 2, of the two not asked yet", n)
		}
	})
}
