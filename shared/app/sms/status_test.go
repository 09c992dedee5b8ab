package sms_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
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

// A message no receipt has settled is refreshed from QuerySendDetails once
// it is older than NOTIFY_STATUS_REFRESH_AFTER.
func TestStatusRefresh(t *testing.T) {
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
