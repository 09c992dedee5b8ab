package sms_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/seed4ddb146e/notify/shared/httpapi"
)

// saasFuzzGroups makes the group of the legacy API's example, bc-fumin,
// the SaaS platform too.
const saasFuzzGroups = `[{"id":"bc-fumin","channels":["sms"],"limits":{"verification":{"per_minute":0,"per_hour":0,"per_day":0}},
 "saas":{"combos":[{"id":4,"name":"自定义套餐包","price":"0.00","sms_nums":0,"unit":"条","unit_price":10}],
         "business_types":{"2":{"template":"SMS_184105379","params":{"code":"verify_code"}}}}}]`

// FuzzSaaSRoutes sends every SaaS route any body and query string, over
// the sms function wired as in production (SQLite, the fake Dysmsapi).
// Whatever it is sent, a route answers JSON in its shape, code 0 exactly
// when the status is 200, and never a 5xx: a bad request is the caller's
// mistake, named in msg.
func FuzzSaaSRoutes(f *testing.F) {
	g := newGateway(f, map[string]string{"NOTIFY_GROUPS": saasFuzzGroups})
	seed := func(r *http.Request) {
		w := httptest.NewRecorder()
		g.Handler.ServeHTTP(w, r)
	}
	r := httptest.NewRequest(http.MethodPost, "/sms/recharge_record/create", strings.NewReader(
		`{"combo_id":4,"station_id":"T7442","recharge_nums":1000,"recharge_money":"0.00","operator_name":"fuzz"}`))
	seed(r)
	for i := range httpapi.SaaSRoutes {
		f.Add(uint8(i), "station_id=T7442&start_date=2019-04-28&end_date=2019-05-28", `{"station_id":"T7442"}`)
	}
	f.Add(uint8(0), "", `{"station_id":"T7442","receive_phone":18683441008,"business_type":2,`+
		`"sms_content":{"verify_code":"654321","sms_signature":"[冰鉴科技]"}}`)
	f.Add(uint8(1), "", `{"task_id":1}`)
	f.Add(uint8(6), "", `{"combo_id":4,"station_id":"T1","recharge_nums":1,"recharge_money":0.01,"operator_name":"x"}`)
	f.Add(uint8(9), "station_ids=T1&station_ids=T2&limit=1&reverse=true&page_obj=VDE", "")
	f.Add(uint8(5), "limit=2&offset=1", `{"q":"x"}`)
	f.Fuzz(func(t *testing.T, route uint8, query, body string) {
		method, path, _ := strings.Cut(httpapi.SaaSRoutes[int(route)%len(httpapi.SaaSRoutes)], " ")
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		r.URL.RawQuery = query
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		g.Handler.ServeHTTP(w, r)
		var rep struct {
			Code *int            `json:"code"`
			Msg  string          `json:"msg"`
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil || rep.Code == nil || rep.Msg == "" {
			t.Fatalf("%s %s?%s %q: reply %d %q is not the routes' shape", method, path, query, body, w.Code, w.Body)
		}
		if w.Code >= 500 || (*rep.Code == 0) != (w.Code == 200) || (w.Code != 200 && string(rep.Data) != "null") {
			t.Fatalf("%s %s?%s %q: reply %d %s", method, path, query, body, w.Code, w.Body)
		}
	})
}
