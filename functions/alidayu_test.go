package functions_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// TestSeed003 replays the Alidayu gateway's own samples, sendSms by curl,
// Java and Python, then querySmsDetail, against the built sms function
// behind the Lambda Runtime API, on PostgreSQL, sending to the fake
// Dysmsapi (docs/alidayu.md has the routes). The samples' X-Ca-Key, "appKey", is the GroupID of a group
// without keys, which takes their X-Ca-Secret as any.
func TestSeed003(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the function binaries")
	}
	c, emu, fake := smsChild(t, database(t),
		`[{"id":"appKey","channels":["sms"],"limits":{"verification":{"per_minute":0,"per_hour":0,"per_day":0}}}]`)
	headers := map[string]string{"x-ca-key": "appKey", "x-ca-secret": "appSecret"}
	encoded := func(kv ...string) string {
		q := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			q.Add(kv[i], kv[i+1])
		}
		return q.Encode()
	}
	for i, tc := range []struct {
		name, rawQuery                    string
		number, sign, template, variables string
	}{
		{"curl", encoded("rec_num", "18000000000", "sms_template_code", "SMS_10000", "sms_free_sign_name", "测试签名001",
			"sms_type", "normal", "extend", "1234", "sms_param", `{"code":"1234","product":"alidayu"}`),
			"18000000000", "测试签名001", "SMS_10000", `{"code":"1234","product":"alidayu"}`},
		{"Java", encoded("rec_num", "13000000000", "sms_template_code", "SMS_100000", "sms_free_sign_name", "登录验证",
			"sms_type", "normal", "extend", "1234", "sms_param", "{'code':'1234','product':'alidayu'}"),
			"13000000000", "登录验证", "SMS_100000", `{"code":"1234","product":"alidayu"}`},
		// As urllib2 sends it: not URL-encoded (the sample's "sms free
		// sign name" is a typo no server could read).
		{"Python", `rec_num=13000000000&sms_template_code=SMS_4215006&sms_free_sign_name=登录验证&sms_type=normal&extend=1234` +
			`&sms_param={"code":"1234","product":"alidayu"}`, "13000000000", "登录验证", "SMS_4215006", `{"code":"1234","product":"alidayu"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, rep := httpCall(t, c, emu, "GET", "/gw/alidayu/sendSms", tc.rawQuery, headers, "")
			sends := fake.Sends()
			if status != 200 || rep["code"] != "0" || rep["success"] != true || rep["msg"] != "成功" || len(sends) != i+1 ||
				rep["model"] != sends[i].BizID {
				t.Fatalf("reply %d %v (sends %d); want the sample's success, with the BizId in model", status, rep, len(sends))
			}
			s := sends[i]
			if strings.Join(s.PhoneNumbers, ",") != tc.number || s.SignName != tc.sign || s.TemplateCode != tc.template ||
				s.TemplateParam != tc.variables || s.OutID != "1234" {
				t.Errorf("Dysmsapi got %+v", s)
			}
		})
	}
	t.Run("querySmsDetail", func(t *testing.T) {
		// The sample's own query_date, 20160106, is outside the last 30
		// days (80001); today's has the sends above.
		status, rep := httpCall(t, c, emu, "GET", "/gw/alidayu/querySmsDetail", "rec_num=13000000000&query_date=20160106"+
			"&current_page=1&page_size=10", headers, "")
		if status != 200 || rep["code"] != "80001" || rep["success"] != false {
			t.Errorf("the sample's date: %d %v; want 80001", status, rep)
		}
		today := time.Now().In(notify.Beijing).Format("20060102")
		status, rep = httpCall(t, c, emu, "GET", "/gw/alidayu/querySmsDetail", "rec_num=13000000000&query_date="+today+
			"&current_page=1&page_size=10", headers, "")
		values, _ := rep["values"].([]any)
		if status != 200 || rep["current_page"] != 1.0 || rep["page_size"] != 10.0 || rep["total_count"] != 2.0 ||
			rep["total_page"] != 1.0 || len(values) != 2 {
			t.Fatalf("today: %d %v; want the number's two messages", status, rep)
		}
		v, _ := values[0].(map[string]any)
		if v["rec_num"] != "13000000000" || v["sms_code"] != "SMS_4215006" || v["extend"] != "1234" || v["sms_status"] != 1.0 {
			t.Errorf("newest: %v; want the Python sample's, waiting for its report", v)
		}
	})
}
