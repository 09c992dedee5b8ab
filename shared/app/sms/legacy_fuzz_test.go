package sms_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// legacyRoutes are the sms function's routes other than the SaaS ones
// (FuzzSaaSRoutes sends those).
var legacyRoutes = []string{"POST /sms", "POST /sms/code/send", "POST /sms/code/verify", "GET /sms/status",
	"GET /gw/alidayu/sendSms", "POST /gw/alidayu/sendSms", "GET /gw/alidayu/querySmsDetail", "POST /gw/alidayu/querySmsDetail"}

// FuzzLegacyRoutes sends the legacy and Alidayu routes any body, query
// string and Idempotency-Key, over the sms function wired as in production
// (SQLite, the fake Dysmsapi). Whatever a caller sends, the reply is a
// JSON object, and never a 500: a bad request is the caller's mistake,
// and the fake provider takes every send it is given or refuses it.
func FuzzLegacyRoutes(f *testing.F) {
	g := newGateway(f, nil)
	f.Add(uint8(0), "", seedBody, "")
	f.Add(uint8(0), "", seedBody, "key-1")
	f.Add(uint8(0), "", `{"GroupID":"keyed","groupid":"x"}`, "")
	f.Add(uint8(0), "", `{"GroupID":"bc-fumin","PhoneNumbers":"18683441008,+85261234567","SignName":"冰鉴科技",`+
		`"TemplateCode":"SMS_184105379","TemplateParam":{"code":"654321"},"OutId":"o"}`, "k\x7f")
	f.Add(uint8(1), "", `{"GroupID":"bc-fumin","PhoneNumber":"18683441008","Scene":"login"}`, "")
	f.Add(uint8(2), "", `{"GroupID":"bc-fumin","PhoneNumber":"18683441008","Scene":"login","Code":"123456"}`, "")
	f.Add(uint8(3), "GroupID=bc-fumin&BizId=1%5E0&PhoneNumber=18683441008&SendDate=20261203", "", "")
	f.Add(uint8(4), "rec_num=18683441008&sms_type=normal&sms_template_code=SMS_184105379&sms_free_sign_name=x&sms_param={'code':'1'}", "", "")
	f.Add(uint8(6), "rec_num=18683441008&query_date=20261203&current_page=1&page_size=10", "", "")
	f.Fuzz(func(t *testing.T, route uint8, query, body, key string) {
		method, path, _ := strings.Cut(legacyRoutes[int(route)%len(legacyRoutes)], " ")
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		r.URL.RawQuery = query
		r.Header.Set("Content-Type", "application/json")
		if key != "" {
			r.Header["Idempotency-Key"] = []string{key}
		}
		w := httptest.NewRecorder()
		g.Handler.ServeHTTP(w, r)
		var rep map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil {
			t.Fatalf("%s %s?%s %q: reply %d %q is not a JSON object", method, path, query, body, w.Code, w.Body)
		}
		if w.Code == http.StatusInternalServerError {
			t.Fatalf("%s %s?%s %q (key %q): reply %d %s", method, path, query, body, key, w.Code, w.Body)
		}
	})
}
