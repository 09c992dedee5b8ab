package app_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/fake/aliyun/acs"
	"github.com/seed4ddb146e/notify/shared/fake/aliyun/dysmsapi"
	"github.com/seed4ddb146e/notify/shared/notify"
)

// alidayuGroups: "shop" sends codes to one number again and again;
// "keyed" has a key and may use one sign name and template; "mailer" may
// not send SMS.
const alidayuGroups = `[
 {"id":"shop","channels":["sms"],"limits":{"verification":{"per_minute":0,"per_hour":0,"per_day":0}}},
 {"id":"keyed","channels":["sms"],"keys":["alidayu-secret-0123456789"],"sign_names":["登录验证"],"templates":["SMS_4215006"]},
 {"id":"mailer","channels":["mail"]}]`

// alidayuTemplates registers a template whose variable a caller may leave
// out: 70003.
const alidayuTemplates = `[{"name":"order","variables":[{"name":"order_id"}],"ids":{"aliyun":"SMS_7000300"}}]`

// alidayuReply is any Alidayu reply: sendSms's, querySmsDetail's, or a
// system error's.
type alidayuReply struct {
	Code         *string
	Model        string
	Success      bool
	Msg          string
	ErrorCode    string
	ErrorMessage string
	TotalCount   int `json:"total_count"`
	TotalPage    int `json:"total_page"`
	Values       []map[string]any
}

type alidayuClient struct {
	t      *testing.T
	base   string
	key    string
	secret string
}

// get calls path with query, as Alidayu's samples do; the reply's status
// and body.
func (c alidayuClient) get(path string, query url.Values) (int, alidayuReply) {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.base+path+"?"+query.Encode(), nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(req)
}

// on returns c reporting to t.
func (c alidayuClient) on(t *testing.T) alidayuClient {
	c.t = t
	return c
}

func (c alidayuClient) do(req *http.Request) (int, alidayuReply) {
	c.t.Helper()
	if c.key != "" {
		req.Header.Set("X-Ca-Key", c.key)
		req.Header.Set("X-Ca-Secret", c.secret)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	return res.StatusCode, decodeAlidayu(c.t, res.Body)
}

func decodeAlidayu(t *testing.T, r io.Reader) alidayuReply {
	t.Helper()
	raw, _ := io.ReadAll(r)
	var rep alidayuReply
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatalf("reply %q is not JSON", raw)
	}
	return rep
}

func alidayuServer(t *testing.T) (alidayuClient, *dysmsapi.Server) {
	srv, fake, _ := localServerWith(t, "sqlite:"+filepath.Join(t.TempDir(), "notify.db"),
		map[string]string{"NOTIFY_GROUPS": alidayuGroups, "NOTIFY_TEMPLATES": alidayuTemplates})
	return alidayuClient{t: t, base: srv.URL, key: "shop", secret: "appSecret"}, fake
}

// sendQuery is sendSms's parameters as Alidayu's curl sample sends them,
// with edit applied.
func sendQuery(edit func(url.Values)) url.Values {
	q := url.Values{"rec_num": {"18000000000"}, "sms_template_code": {"SMS_10000"}, "sms_free_sign_name": {"测试签名001"},
		"sms_type": {"normal"}, "extend": {"1234"}, "sms_param": {`{"code":"1234","product":"alidayu"}`}}
	if edit != nil {
		edit(q)
	}
	return q
}

// TestAlidayuSamples replays the Alidayu API's own samples of sendSms
// (curl, Java, Python) and of querySmsDetail against the local server and
// the fake Dysmsapi: each is sent through Dysmsapi as it meant, answers
// Alidayu's success, and shows in the query with its report.
func TestAlidayuSamples(t *testing.T) {
	t.Parallel()
	c, fake := alidayuServer(t)
	success := func(t *testing.T, status int, rep alidayuReply) {
		t.Helper()
		if status != 200 || rep.Code == nil || *rep.Code != "0" || !rep.Success || rep.Msg != "成功" || rep.Model == "" {
			t.Fatalf("reply %d %+v; want 200, code 0, success true, msg 成功, the BizId in model", status, rep)
		}
	}
	check := func(t *testing.T, i int, number, sign, template, model string) {
		t.Helper()
		sends := fake.Sends()
		if len(sends) != i+1 {
			t.Fatalf("Dysmsapi got %d sends; want %d", len(sends), i+1)
		}
		s := sends[i]
		if strings.Join(s.PhoneNumbers, ",") != number || s.SignName != sign || s.TemplateCode != template ||
			s.TemplateParam != `{"code":"1234","product":"alidayu"}` || s.OutID != "1234" || s.BizID != model {
			t.Errorf("Dysmsapi got %+v; want %s signed %s with %s, the sample's variables, OutId 1234, BizId %s",
				s, number, sign, template, model)
		}
	}

	t.Run("curl", func(t *testing.T) {
		c := c.on(t)
		// curl --get ... --data-urlencode 'sms_param={...}'
		status, rep := c.get("/gw/alidayu/sendSms", sendQuery(nil))
		success(t, status, rep)
		check(t, 0, "18000000000", "测试签名001", "SMS_10000", rep.Model)
	})
	t.Run("Java", func(t *testing.T) {
		c := c.on(t)
		// RequestBuilder.get(...).addParameter(...): URL-encoded, and
		// sms_param in single quotes.
		status, rep := c.get("/gw/alidayu/sendSms", url.Values{"rec_num": {"13000000000"},
			"sms_template_code": {"SMS_100000"}, "sms_free_sign_name": {"登录验证"}, "sms_type": {"normal"},
			"extend": {"1234"}, "sms_param": {"{'code':'1234','product':'alidayu'}"}})
		success(t, status, rep)
		check(t, 1, "13000000000", "登录验证", "SMS_100000", rep.Model)
	})
	t.Run("Python", func(t *testing.T) {
		c := c.on(t)
		// urllib2 sends the URL as written: the JSON and the sign name
		// raw, not URL-encoded. (The sample writes "sms free sign name",
		// a typo no server could read: a space ends the request target.)
		target := "/gw/alidayu/sendSms?rec_num=13000000000&sms_template_code=SMS_4215006" +
			"&sms_free_sign_name=登录验证&sms_type=normal&extend=1234" + `&sms_param={"code":"1234","product":"alidayu"}`
		status, rep := rawGet(t, c, target)
		success(t, status, rep)
		check(t, 2, "13000000000", "登录验证", "SMS_4215006", rep.Model)
	})
	t.Run("querySmsDetail", func(t *testing.T) {
		c := c.on(t)
		bizID := fake.Sends()[2].BizID
		report := `[{"phone_number":"13000000000","send_time":"2026-12-03 10:00:00","report_time":"2026-12-03 10:00:03",` +
			`"success":true,"err_code":"DELIVERED","err_msg":"用户接收成功","sms_size":"1","biz_id":"` + bizID + `","out_id":"1234"}]`
		res, err := http.Post(c.base+"/callback/"+loadToken+"/aliyun/sms-report", "application/json", strings.NewReader(report))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		today := time.Now().In(notify.Beijing).Format("20060102")
		// As its Python and Java samples ask: one number, one day.
		status, rep := c.get("/gw/alidayu/querySmsDetail", url.Values{"rec_num": {"13000000000"},
			"query_date": {today}, "current_page": {"1"}, "page_size": {"10"}})
		if status != 200 || rep.TotalCount != 2 || rep.TotalPage != 1 || len(rep.Values) != 2 {
			t.Fatalf("reply %d %+v; want the number's two messages on one page", status, rep)
		}
		newest, older := rep.Values[0], rep.Values[1]
		if newest["sms_status"] != 3.0 || newest["result_code"] != "DELIVERED" || newest["sms_code"] != "SMS_4215006" ||
			newest["rec_num"] != "13000000000" || newest["extend"] != "1234" || newest["sms_receiver_time"] != "2026-12-03 10:00:03" ||
			!strings.HasPrefix(newest["sms_send_time"].(string), time.Now().In(notify.Beijing).Format("2006-01-02 ")) {
			t.Errorf("the delivered message: %v", newest)
		}
		if older["sms_status"] != 1.0 || older["sms_code"] != "SMS_100000" || older["sms_receiver_time"] != "" {
			t.Errorf("the one without a report: %v; want sms_status 1 (waiting for a report)", older)
		}
		status, rep = c.get("/gw/alidayu/querySmsDetail", url.Values{"rec_num": {"13000000000"}, "biz_id": {bizID},
			"query_date": {today}, "current_page": {"1"}, "page_size": {"10"}})
		if status != 200 || rep.TotalCount != 1 || len(rep.Values) != 1 || rep.Values[0]["sms_code"] != "SMS_4215006" {
			t.Errorf("by biz_id: %d %+v; want the one message", status, rep)
		}
	})
}

// rawGet sends target as written, bytes and all, as urllib2 does.
func rawGet(t *testing.T, c alidayuClient, target string) (int, alidayuReply) {
	t.Helper()
	u, _ := url.Parse(c.base)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nX-Ca-Key: %s\r\nX-Ca-Secret: %s\r\nConnection: close\r\n\r\n",
		target, u.Host, c.key, c.secret)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	return res.StatusCode, decodeAlidayu(t, res.Body)
}

// TestAlidayuErrors sends what Alidayu refused, each with its business
// code (HTTP 200, success false) or as a system error (a status of its
// own, errorCode and errorMessage). Nothing refused before it reaches a
// provider is sent.
func TestAlidayuErrors(t *testing.T) {
	t.Parallel()
	c, fake := alidayuServer(t)
	many := make([]string, 201)
	for i := range many {
		many[i] = fmt.Sprintf("138%08d", i)
	}
	old := time.Now().AddDate(0, 0, -31).In(notify.Beijing).Format("20060102")
	today := time.Now().In(notify.Beijing).Format("20060102")
	query := func(edit func(url.Values)) url.Values {
		q := url.Values{"rec_num": {"13000000000"}, "query_date": {today}, "current_page": {"1"}, "page_size": {"10"}}
		edit(q)
		return q
	}
	keyed := alidayuClient{t: t, base: c.base, key: "keyed", secret: "alidayu-secret-0123456789"}
	for _, tc := range []struct {
		name   string
		c      alidayuClient
		path   string
		q      url.Values
		fail   acs.Fault // the provider's answer, when it is reached
		status int
		code   string // business code, or the system error's errorCode
		sent   bool   // the provider was asked
	}{
		{"a bad number", c, "sendSms", sendQuery(func(q url.Values) { q.Set("rec_num", "12345") }), acs.Fault{}, 200, "50009", false},
		{"201 numbers", c, "sendSms", sendQuery(func(q url.Values) { q.Set("rec_num", strings.Join(many, ",")) }), acs.Fault{}, 200, "50010", false},
		{"a template the group may not use", keyed, "sendSms", sendQuery(func(q url.Values) { q.Set("sms_free_sign_name", "登录验证") }),
			acs.Fault{}, 200, "70001", false},
		{"a sign name the group may not use", keyed, "sendSms", sendQuery(func(q url.Values) { q.Set("sms_template_code", "SMS_4215006") }),
			acs.Fault{}, 200, "70002", false},
		{"a template variable missing", c, "sendSms", sendQuery(func(q url.Values) {
			q.Set("sms_template_code", "order")
			q.Set("sms_param", `{"code":"1"}`)
		}), acs.Fault{}, 200, "70003", false},
		{"sms_type not normal", c, "sendSms", sendQuery(func(q url.Values) { q.Set("sms_type", "voice") }), acs.Fault{}, 200, "99998", false},
		{"no template", c, "sendSms", sendQuery(func(q url.Values) { q.Del("sms_template_code") }), acs.Fault{}, 200, "99998", false},
		{"sms_param not JSON", c, "sendSms", sendQuery(func(q url.Values) { q.Set("sms_param", "{code:1234") }), acs.Fault{}, 200, "99998", false},
		{"a group that may not send SMS", alidayuClient{t: t, base: c.base, key: "mailer", secret: "x"}, "sendSms", sendQuery(nil),
			acs.Fault{}, 200, "50002", false},
		{"the account suspended", c, "sendSms", sendQuery(nil), acs.Business("isv.OUT_OF_SERVICE", "业务停机"), 200, "50001", true},
		{"the product not open", c, "sendSms", sendQuery(nil), acs.Business("isv.PRODUCT_UN_SUBSCRIPT", "未开通云通信产品的阿里云客户"), 200, "50002", true},
		{"no account", c, "sendSms", sendQuery(nil), acs.Business("isv.ACCOUNT_NOT_EXISTS", "账户不存在"), 200, "50003", true},
		{"the account abnormal", c, "sendSms", sendQuery(nil), acs.Business("isv.ACCOUNT_ABNORMAL", "账户异常"), 200, "50004", true},
		{"the provider refuses the template", c, "sendSms", sendQuery(nil), acs.Business("isv.SMS_TEMPLATE_ILLEGAL", "模板不合法"), 200, "70001", true},
		{"the provider refuses the sign name", c, "sendSms", sendQuery(nil), acs.Business("isv.SMS_SIGNATURE_ILLEGAL", "签名不合法"), 200, "70002", true},
		{"a query date 31 days ago", c, "querySmsDetail", query(func(q url.Values) { q.Set("query_date", old) }), acs.Fault{}, 200, "80001", false},
		{"a query date that is not one", c, "querySmsDetail", query(func(q url.Values) { q.Set("query_date", "2026-12-03") }), acs.Fault{}, 200, "80001", false},
		{"51 to a page", c, "querySmsDetail", query(func(q url.Values) { q.Set("page_size", "51") }), acs.Fault{}, 200, "80002", false},
		{"page 0", c, "querySmsDetail", query(func(q url.Values) { q.Set("current_page", "0") }), acs.Fault{}, 200, "80002", false},
		{"a query of a bad number", c, "querySmsDetail", query(func(q url.Values) { q.Set("rec_num", "12345") }), acs.Fault{}, 200, "50009", false},
		// System errors.
		{"a wrong secret", alidayuClient{t: t, base: c.base, key: "keyed", secret: "not-the-secret-0123"}, "sendSms", sendQuery(nil),
			acs.Fault{}, 401, "wrong_key", false},
		{"no X-Ca-Key", alidayuClient{t: t, base: c.base}, "sendSms", sendQuery(nil), acs.Fault{}, 401, "missing_key", false},
		// The caller is checked before its parameters: a stranger learns
		// nothing of them.
		{"a wrong secret and a bad sms_type", alidayuClient{t: t, base: c.base, key: "keyed", secret: "not-the-secret-0123"},
			"sendSms", sendQuery(func(q url.Values) { q.Set("sms_type", "bogus") }), acs.Fault{}, 401, "wrong_key", false},
		{"an unknown group and bad paging", alidayuClient{t: t, base: c.base, key: "nobody", secret: "x"}, "querySmsDetail",
			query(func(q url.Values) { q.Set("page_size", "0") }), acs.Fault{}, 401, "unknown_group", false},
		{"a sign name that is not UTF-8", c, "sendSms", sendQuery(func(q url.Values) { q.Set("sms_free_sign_name", "\xff\xfe") }),
			acs.Fault{}, 200, "99998", false},
		{"an unknown group", alidayuClient{t: t, base: c.base, key: "nobody", secret: "x"}, "sendSms", sendQuery(nil),
			acs.Fault{}, 401, "unknown_group", false},
		{"the provider down", c, "sendSms", sendQuery(nil), acs.Unavailable().Times(3), 502, "provider_unavailable", true},
		{"the provider's flow control", c, "sendSms", sendQuery(nil), acs.Business("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控"),
			429, "provider_throttled", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake.Heal()
			if tc.fail != (acs.Fault{}) {
				fake.Fail(tc.fail)
			}
			before := fake.Requests()
			status, rep := tc.c.on(t).get("/gw/alidayu/"+tc.path, tc.q)
			code := rep.ErrorCode
			if rep.Code != nil {
				code = *rep.Code
			}
			if status != tc.status || code != tc.code || rep.Success {
				t.Errorf("reply %d %+v; want %d with code %s", status, rep, tc.status, tc.code)
			}
			if msg := rep.Msg + rep.ErrorMessage; msg == "" {
				t.Errorf("reply %+v says nothing of what is wrong", rep)
			}
			if asked := fake.Requests() > before; asked != tc.sent {
				t.Errorf("the provider was asked: %v; want %v", asked, tc.sent)
			}
		})
	}
}

// TestAlidayuPost: sendSms and querySmsDetail take their parameters in a
// POST's form body too.
func TestAlidayuPost(t *testing.T) {
	t.Parallel()
	c, fake := alidayuServer(t)
	req, err := http.NewRequest(http.MethodPost, c.base+"/gw/alidayu/sendSms", strings.NewReader(sendQuery(nil).Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	status, rep := c.do(req)
	if status != 200 || rep.Code == nil || *rep.Code != "0" || len(fake.Sends()) != 1 || fake.Sends()[0].BizID != rep.Model {
		t.Fatalf("a form POST: %d %+v, sends %+v; want it sent", status, rep, fake.Sends())
	}
	today := time.Now().In(notify.Beijing).Format("20060102")
	form := url.Values{"rec_num": {"18000000000"}, "query_date": {today}, "current_page": {"1"}, "page_size": {"10"}}
	req, _ = http.NewRequest(http.MethodPost, c.base+"/gw/alidayu/querySmsDetail", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if status, rep := c.do(req); status != 200 || rep.TotalCount != 1 {
		t.Errorf("a form POST query: %d %+v; want the one message", status, rep)
	}
	// A JSON body may hold sms_param as the object itself.
	req, _ = http.NewRequest(http.MethodPost, c.base+"/gw/alidayu/sendSms", strings.NewReader(`{"rec_num":"13600001005",`+
		`"sms_template_code":"SMS_1","sms_free_sign_name":"x","sms_type":"normal","sms_param":{"code":"1234","name":"O'Brien"}}`))
	req.Header.Set("Content-Type", "application/json")
	if status, rep := c.do(req); status != 200 || rep.Code == nil || *rep.Code != "0" ||
		fake.Sends()[1].TemplateParam != `{"code":"1234","name":"O'Brien"}` {
		t.Errorf("a JSON body: %d %+v; want it sent with its variables", status, rep)
	}
	req, _ = http.NewRequest(http.MethodDelete, c.base+"/gw/alidayu/sendSms", nil)
	if status, rep := c.do(req); status != 405 || rep.ErrorCode != "method_not_allowed" {
		t.Errorf("DELETE: %d %+v; want 405, a system error", status, rep)
	}
}
