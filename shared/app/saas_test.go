package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/fake/aliyun/acs"
	"github.com/seed4ddb146e/notify/shared/fake/aliyun/dysmsapi"
	"github.com/seed4ddb146e/notify/shared/fake/tencentcloud"
	"github.com/seed4ddb146e/notify/shared/notify"
)

// saasGroups is a SaaS platform whose per-number limits are off, so that
// one number may be sent many notices.
const saasGroups = `[{"id":"gm","channels":["sms"],"limits":{"notification":{"per_day":0},"daily_cap":0},
 "saas":{"combos":[{"id":1,"name":"套餐包: 2000条","price":"200.00","sms_nums":2000,"unit":"条","unit_price":10},
                   {"id":4,"name":"自定义套餐包","price":"0.00","sms_nums":0,"unit":"条","unit_price":10}],
         "business_types":{"0":{"template":"SMS_1001"},"1":{"template":"SMS_1002"},
                           "2":{"template":"SMS_184105379","params":{"code":"verify_code"}}},
         "provider_units":1000}}]`

// saasReply is the reply of every SaaS route.
type saasReply struct {
	Code       int
	Msg        string
	Data       json.RawMessage
	Pagination *struct {
		PageObj string `json:"page_obj"`
		More    bool
	}
}

// saasClient calls the SaaS routes of a local server.
type saasClient struct {
	t    *testing.T
	base string
	hdr  map[string]string
}

// do sends a request and decodes the reply; a GET's params go in the
// query string, a POST's body is JSON.
func (c saasClient) do(method, path, body string, query url.Values) (int, saasReply, http.Header) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path+"?"+query.Encode(), strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var rep saasReply
	if err := json.Unmarshal(raw, &rep); err != nil {
		c.t.Fatalf("%s %s: reply %d %q is not JSON", method, path, res.StatusCode, raw)
	}
	return res.StatusCode, rep, res.Header
}

func (c saasClient) post(path, body string) (int, saasReply) {
	status, rep, _ := c.do(http.MethodPost, path, body, nil)
	return status, rep
}

func (c saasClient) get(path string, q url.Values) (int, saasReply) {
	status, rep, _ := c.do(http.MethodGet, path, "", q)
	return status, rep
}

// must calls f, a post or get, and fails unless it answers 200, code 0.
func (c saasClient) must(status int, rep saasReply) saasReply {
	c.t.Helper()
	if status != 200 || rep.Code != 0 || rep.Msg != "ok" {
		c.t.Fatalf("reply %d %+v (data %s); want 200, code 0", status, rep, rep.Data)
	}
	return rep
}

func (c saasClient) recharge(station string, units int, money, dealCode string) {
	c.t.Helper()
	c.must(c.post("/sms/recharge_record/create", fmt.Sprintf(`{"combo_id":4,"station_id":%q,"recharge_nums":%d,
		"recharge_money":%q,"operator_name":"superadmin","deal_code":%q}`, station, units, money, dealCode)))
}

func (c saasClient) balance(station string) int64 {
	c.t.Helper()
	rep := c.must(c.get("/sms/balance/get", url.Values{"station_id": {station}}))
	var d struct {
		Balance int64 `json:"sms_balance"`
	}
	if err := json.Unmarshal(rep.Data, &d); err != nil {
		c.t.Fatal(err)
	}
	return d.Balance
}

// addTask adds an order notice for number and returns its task id.
func (c saasClient) addTask(station, number string) int64 {
	c.t.Helper()
	rep := c.must(c.post("/sms/send/add", fmt.Sprintf(`{"station_id":%q,"receive_phone":%q,"business_type":0,
		"sms_content":{"order_id":"LK0001","sms_signature":"[去采购报价单]"}}`, station, number)))
	var d struct {
		TaskID int64 `json:"task_id"`
	}
	if err := json.Unmarshal(rep.Data, &d); err != nil || d.TaskID < 1 {
		c.t.Fatalf("add: data %s; want a task_id", rep.Data)
	}
	return d.TaskID
}

func (c saasClient) start(id int64) (int, saasReply) {
	return c.post("/sms/send/start", fmt.Sprintf(`{"task_id":%d}`, id))
}

// sendRecord is a record of GET /sms/send_record/get.
type sendRecord struct {
	TaskID       int64  `json:"task_id"`
	BusinessType int    `json:"business_type"`
	ReceivePhone string `json:"receive_phone"`
	Remark       string
	Status       int
}

func (c saasClient) records(station string) []sendRecord {
	c.t.Helper()
	rep := c.must(c.get("/sms/send_record/get", url.Values{"station_id": {station}, "start_date": {"2020-01-01"},
		"end_date": {"2020-12-31"}, "limit": {"100"}}))
	if string(rep.Data) != "[]" {
		c.t.Fatalf("records of 2020: %s; want none", rep.Data)
	}
	today := notify.FormatBeijing(time.Now())[:10]
	rep = c.must(c.get("/sms/send_record/get", url.Values{"station_id": {station}, "start_date": {today},
		"end_date": {today}, "limit": {"100"}}))
	var rs []sendRecord
	if err := json.Unmarshal(rep.Data, &rs); err != nil {
		c.t.Fatal(err)
	}
	return rs
}

// TestSaaSStations goes through a station's life on each store: it is
// recharged, adds and starts tasks that spend its balance, a task started
// twice is sent once, a send the provider refuses gives its unit back, a
// station without units is refused before any provider call, and the
// figures add up.
func TestSaaSStations(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); saasStations(t, "sqlite:"+filepath.Join(t.TempDir(), "notify.db")) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); saasStations(t, pg.Database(t)) })
}

func saasStations(t *testing.T, databaseURL string) {
	srv, fake, _ := localServerWith(t, databaseURL, map[string]string{"NOTIFY_GROUPS": saasGroups})
	c := saasClient{t: t, base: srv.URL}
	if n := c.balance("T1"); n != 0 {
		t.Fatalf("a station never seen has %d units; want 0", n)
	}
	c.recharge("T1", 3, "0.30", "deal-1")
	c.recharge("T1", 3, "0.30", "deal-1") // the operator's retry: credited once
	if n := c.balance("T1"); n != 3 {
		t.Fatalf("balance %d after a recharge of 3 sent twice; want 3", n)
	}

	id := c.addTask("T1", "13800138000")
	if sends := fake.Sends(); len(sends) != 0 {
		t.Fatalf("add sent %+v; want nothing sent before start", sends)
	}
	c.must(c.start(id))
	c.must(c.start(id)) // started twice: sent once
	sends := fake.Sends()
	if len(sends) != 1 || sends[0].TemplateCode != "SMS_1001" || sends[0].SignName != "去采购报价单" ||
		sends[0].TemplateParam != `{"order_id":"LK0001"}` {
		t.Fatalf("Dysmsapi got %+v; want one SMS_1001 signed 去采购报价单 with order_id LK0001", sends)
	}
	if n := c.balance("T1"); n != 2 {
		t.Fatalf("balance %d after one send; want 2", n)
	}

	// The provider refuses the number: the unit comes back, the record
	// says why, and the task may be started again.
	fake.Fail(acs.Business("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号").Times(1))
	refused := c.addTask("T1", "13900139000")
	if status, rep := c.start(refused); status != 400 || rep.Code != 40001 || !strings.Contains(rep.Msg, "非法手机号") {
		t.Fatalf("a refused send: %d %+v; want 400, code 40001, the provider's message", status, rep)
	}
	if n := c.balance("T1"); n != 2 {
		t.Fatalf("balance %d after a send the provider refused; want 2, the unit given back", n)
	}
	rs := c.records("T1")
	if len(rs) != 2 || rs[0].TaskID != refused || rs[0].Status != 2 || !strings.Contains(rs[0].Remark, "MOBILE_NUMBER_ILLEGAL") ||
		rs[1].TaskID != id || rs[1].Status != 1 || rs[1].Remark != "" || rs[1].ReceivePhone != "13800138000" {
		t.Fatalf("send records %+v; want the refused task failed with its reason, then the sent one", rs)
	}
	c.must(c.start(refused))
	if n := c.balance("T1"); n != 1 || len(fake.Sends()) != 2 {
		t.Fatalf("balance %d and %d sends after starting the refused task again; want 1 and 2", n, len(fake.Sends()))
	}

	// The last unit, then none: refused before any provider call.
	c.must(c.start(c.addTask("T1", "13700137000")))
	broke := c.addTask("T1", "13600136000")
	if status, rep := c.start(broke); status != 402 || rep.Code != 40200 || string(rep.Data) != "null" {
		t.Fatalf("a start without units: %d %+v; want 402, code 40200", status, rep)
	}
	if n := c.balance("T1"); n != 0 || len(fake.Sends()) != 3 {
		t.Fatalf("balance %d and %d sends after a start without units; want 0 and 3", n, len(fake.Sends()))
	}
	if rs := c.records("T1"); rs[0].TaskID != broke || rs[0].Status != 2 || !strings.HasPrefix(rs[0].Remark, "the station's balance") {
		t.Fatalf("newest record %+v; want the unpaid task failed, saying why", rs[0])
	}

	overview := c.must(c.get("/sms/statistics_overview/get", nil))
	if want := `{"gm_balance":997,"saas_balance":"0","saas_recharge_money":"0.30"}`; string(overview.Data) != want {
		t.Errorf("overview %s; want %s (1000 units bought, 3 spent)", overview.Data, want)
	}
	detail := c.must(c.get("/sms/statistics_detail/get", url.Values{"station_ids": {"T1", "T2"}}))
	if want := `[{"sms_balance":0,"station_id":"T1","total_recharge_money":"0.30","total_recharge_nums":3}]`; string(detail.Data) != want {
		t.Errorf("detail %s; want %s", detail.Data, want)
	}
}

// TestSaaSKeys: a platform with keys answers only callers that present
// one, with the routes' own error shape, and sends for those that do.
func TestSaaSKeys(t *testing.T) {
	t.Parallel()
	groups := strings.Replace(saasGroups, `"id":"gm",`, `"id":"gm","keys":["saas-test-key-0123456789"],`, 1)
	srv, _, _ := localServerWith(t, "sqlite:"+filepath.Join(t.TempDir(), "notify.db"), map[string]string{"NOTIFY_GROUPS": groups})
	c := saasClient{t: t, base: srv.URL}
	status, rep, hdr := c.do(http.MethodGet, "/sms/balance/get", "", url.Values{"station_id": {"T1"}})
	if status != 401 || rep.Code != 40100 || string(rep.Data) != "null" || hdr.Get("WWW-Authenticate") == "" {
		t.Fatalf("without a key: %d %+v; want 401, code 40100", status, rep)
	}
	c.hdr = map[string]string{"Authorization": "Bearer saas-test-key-0123456789"}
	c.recharge("T1", 1, "0.10", "")
	c.must(c.start(c.addTask("T1", "13800138000")))
	if n := c.balance("T1"); n != 0 {
		t.Fatalf("balance %d after a recharge of 1 and a send; want 0", n)
	}
	c.hdr["Authorization"] = "Bearer not-the-key-0123456789"
	if status, rep := c.post("/sms/send/add", `{}`); status != 401 || rep.Code != 40100 {
		t.Fatalf("with a wrong key: %d %+v; want 401, code 40100", status, rep)
	}
}

// TestSaaSConcurrentStarts: a station with 40 units starts 80 tasks at
// once: exactly 40 are sent, and its balance ends at 0. On PostgreSQL,
// through two instances with stores of their own.
func TestSaaSConcurrentStarts(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		srv, fake, _ := localServerWith(t, "sqlite:"+filepath.Join(t.TempDir(), "notify.db"), map[string]string{"NOTIFY_GROUPS": saasGroups})
		concurrentStarts(t, []string{srv.URL}, fake)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		db := pg.Database(t)
		a, fake, _ := localServerWith(t, db, map[string]string{"NOTIFY_GROUPS": saasGroups})
		fakeSrv := httptest.NewServer(fake)
		t.Cleanup(fakeSrv.Close)
		b, _, _ := localServerWith(t, db, map[string]string{"NOTIFY_GROUPS": saasGroups,
			"NOTIFY_ALIYUN_SMS_ENDPOINT": fakeSrv.URL}) // the same fake behind both
		concurrentStarts(t, []string{a.URL, b.URL}, fake)
	})
}

func concurrentStarts(t *testing.T, instances []string, fake *dysmsapi.Server) {
	const units, tasks = 40, 80
	c := saasClient{t: t, base: instances[0]}
	c.recharge("T1", units, "4.00", "")
	ids := make([]int64, tasks)
	for i := range ids {
		ids[i] = c.addTask("T1", "13800138000")
	}
	var sent, broke atomic.Int32
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			switch status, rep := (saasClient{t: t, base: instances[i%len(instances)]}).start(id); {
			case status == 200:
				sent.Add(1)
			case status == 402 && rep.Code == 40200:
				broke.Add(1)
			default:
				t.Errorf("start %d: %d %+v", id, status, rep)
			}
		})
	}
	wg.Wait()
	if sent.Load() != units || broke.Load() != tasks-units || len(fake.Sends()) != units {
		t.Errorf("%d started, %d refused, %d sent; want %d, %d, %d", sent.Load(), broke.Load(), len(fake.Sends()),
			units, tasks-units, units)
	}
	if n := c.balance("T1"); n != 0 {
		t.Errorf("balance %d; want 0", n)
	}
}

// TestSaaSStartAfterUndelivered: a task whose send was in doubt (Aliyun
// took it and the connection dropped, so no BizId), which a status lookup
// then found failed in delivery, is not sent again when started again, nor
// charged again: Aliyun took it.
func TestSaaSStartAfterUndelivered(t *testing.T) {
	t.Parallel()
	srv, fake, st := localServerWith(t, "sqlite:"+filepath.Join(t.TempDir(), "notify.db"), map[string]string{
		"NOTIFY_GROUPS": saasGroups, "NOTIFY_STATUS_RECONCILE_AFTER": "1ms"})
	c := saasClient{t: t, base: srv.URL}
	c.recharge("T1", 5, "0.50", "")
	id := c.addTask("T1", "13800138000")
	fake.Fail(acs.AcceptThenDrop().Times(1))
	if status, rep := c.start(id); status != http.StatusGatewayTimeout {
		t.Fatalf("start with the answer lost: %d %+v; want 504", status, rep)
	}
	task, err := st.Task(t.Context(), "gm", id)
	if err != nil {
		t.Fatal(err)
	}
	fake.Undelivered("13800138000", "IS_CLOSE")
	time.Sleep(5 * time.Millisecond) // past NOTIFY_STATUS_RECONCILE_AFTER
	res, err := http.Get(srv.URL + "/sms/status?" + url.Values{"GroupID": {"gm"}, "MessageId": {task.MessageID}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if m, err := st.Message(t.Context(), task.MessageID); err != nil || m.Status != notify.Failed {
		t.Fatalf("after the lookup: %+v, %v; want failed", m, err)
	}
	if status, rep := c.start(id); status != http.StatusOK || len(fake.Sends()) != 1 || c.balance("T1") != 4 {
		t.Errorf("started again: %d %+v, %d sends, balance %d; want 200, still 1 send, balance 4",
			status, rep, len(fake.Sends()), c.balance("T1"))
	}
}

// TestSaaSRechargeRetries: a recharge sent three times at once, as a
// retrying operator's client may, credits once, whether the retries share
// its deal code or its Idempotency-Key. On PostgreSQL through two
// instances.
func TestSaaSRechargeRetries(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		srv, _, _ := localServerWith(t, "sqlite:"+filepath.Join(t.TempDir(), "notify.db"), map[string]string{"NOTIFY_GROUPS": saasGroups})
		rechargeRetries(t, []string{srv.URL})
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		db := pg.Database(t)
		a, _, _ := localServerWith(t, db, map[string]string{"NOTIFY_GROUPS": saasGroups})
		b, _, _ := localServerWith(t, db, map[string]string{"NOTIFY_GROUPS": saasGroups})
		rechargeRetries(t, []string{a.URL, b.URL})
	})
}

func rechargeRetries(t *testing.T, instances []string) {
	for _, tc := range []struct {
		name, deal string
		hdr        map[string]string
		retries    int // replies other than 200 a retry may get
	}{
		{"deal code", "D-20181001-1", nil, 0},
		// A retry that comes while the first is being handled is told so
		// (409), and credits nothing.
		{"Idempotency-Key", "", map[string]string{"Idempotency-Key": "recharge-T2-1"}, 409},
	} {
		t.Run(tc.name, func(t *testing.T) {
			station := strings.ReplaceAll(tc.name, " ", "")
			var wg sync.WaitGroup
			for i := range 3 {
				wg.Go(func() {
					c := saasClient{t: t, base: instances[i%len(instances)], hdr: tc.hdr}
					status, rep := c.post("/sms/recharge_record/create", fmt.Sprintf(`{"combo_id":1,"station_id":%q,
						"recharge_nums":2000,"recharge_money":"200.00","operator_name":"ops","deal_code":%q}`, station, tc.deal))
					if status != 200 && (status != tc.retries || rep.Code != 40900) {
						t.Errorf("recharge %d: %d %+v", i, status, rep)
					}
				})
			}
			wg.Wait()
			if n := (saasClient{t: t, base: instances[0]}).balance(station); n != 2000 {
				t.Errorf("balance %d after a recharge of 2000 sent three times; want 2000", n)
			}
		})
	}
}

// TestSaaSBadInput sends each route what it must refuse: each reply says
// which field is wrong, with the status and code of bad input (or of the
// thing not found), and nothing changes: no balance, task or send.
func TestSaaSBadInput(t *testing.T) {
	t.Parallel()
	srv, fake, _ := localServerWith(t, "sqlite:"+filepath.Join(t.TempDir(), "notify.db"), map[string]string{"NOTIFY_GROUPS": saasGroups})
	c := saasClient{t: t, base: srv.URL}
	c.recharge("T1", 5, "0.50", "")
	id := c.addTask("T1", "13800138000")
	const recharge = `{"combo_id":4,"station_id":"T1","recharge_nums":1,"recharge_money":"0.10","operator_name":"ops"}`
	with := func(body, field, value string) string {
		var m map[string]any
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatal(err)
		}
		if value == "" {
			delete(m, field)
		} else {
			var v any
			if err := json.Unmarshal([]byte(value), &v); err != nil {
				t.Fatal(err)
			}
			m[field] = v
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	const task = `{"station_id":"T1","receive_phone":"13800138000","business_type":0,"sms_content":{"order_id":"1","sms_signature":"[s]"}}`
	week := url.Values{"station_id": {"T1"}, "start_date": {"2020-01-01"}, "end_date": {"2020-01-07"}}
	q := func(k, v string) url.Values {
		out := url.Values{}
		for kk, vv := range week {
			out[kk] = vv
		}
		if v == "" {
			out.Del(k)
		} else {
			out.Set(k, v)
		}
		return out
	}
	for _, tc := range []struct {
		name, method, path, body string
		query                    url.Values
		status, code             int
		field                    string
	}{
		{"zero recharge_nums", "POST", "/sms/recharge_record/create", with(recharge, "recharge_nums", "0"), nil, 400, 40000, "recharge_nums"},
		{"negative recharge_nums", "POST", "/sms/recharge_record/create", with(recharge, "recharge_nums", "-5"), nil, 400, 40000, "recharge_nums"},
		{"money not a decimal", "POST", "/sms/recharge_record/create", with(recharge, "recharge_money", `"1,5"`), nil, 400, 40000, "recharge_money"},
		{"money with three places", "POST", "/sms/recharge_record/create", with(recharge, "recharge_money", "0.001"), nil, 400, 40000, "recharge_money"},
		{"negative money", "POST", "/sms/recharge_record/create", with(recharge, "recharge_money", `"-1.00"`), nil, 400, 40000, "recharge_money"},
		{"money in exponent form", "POST", "/sms/recharge_record/create", strings.Replace(recharge, `"0.10"`, `1e2`, 1), nil, 400, 40000, "recharge_money"},
		{"unit_price NaN", "POST", "/sms/recharge_record/create", with(recharge, "unit_price", `"NaN"`), nil, 400, 40000, "unit_price"},
		{"unit_price in hex", "POST", "/sms/recharge_record/create", with(recharge, "unit_price", `"0x1p3"`), nil, 400, 40000, "unit_price"},
		{"unit_price over 1e9", "POST", "/sms/recharge_record/create", with(recharge, "unit_price", `"1000000000.5"`), nil, 400, 40000, "unit_price"},
		{"unknown combo_id", "POST", "/sms/recharge_record/create", with(recharge, "combo_id", "9"), nil, 404, 40400, "combo_id"},
		{"recharge without station_id", "POST", "/sms/recharge_record/create", with(recharge, "station_id", ""), nil, 400, 40000, "station_id"},
		{"recharge without operator", "POST", "/sms/recharge_record/create", with(recharge, "operator_name", ""), nil, 400, 40000, "operator_name"},
		{"unknown business_type", "POST", "/sms/send/add", with(task, "business_type", "7"), nil, 400, 40000, "business_type"},
		{"business_type not a number", "POST", "/sms/send/add", with(task, "business_type", `"order"`), nil, 400, 40000, "business_type"},
		{"task without station_id", "POST", "/sms/send/add", with(task, "station_id", ""), nil, 400, 40000, "station_id"},
		{"task to a bad number", "POST", "/sms/send/add", with(task, "receive_phone", `"12345"`), nil, 400, 40000, "receive_phone"},
		{"task without a sign name", "POST", "/sms/send/add", with(task, "sms_content", `{"order_id":"1"}`), nil, 400, 40000, "sms_content.sms_signature"},
		{"verify code task without its code", "POST", "/sms/send/add", with(with(task, "business_type", "2"), "sms_content", `{"sms_signature":"s"}`), nil, 400, 40000, "sms_content.verify_code"},
		{"task_id not an integer", "POST", "/sms/send/start", `{"task_id":"22a"}`, nil, 400, 40000, "task_id"},
		{"task_id a fraction", "POST", "/sms/send/start", `{"task_id":2.5}`, nil, 400, 40000, "task_id"},
		{"unknown task_id", "POST", "/sms/send/start", `{"task_id":999}`, nil, 404, 40400, "task_id"},
		{"not JSON", "POST", "/sms/send/start", `{"task_id":`, nil, 400, 40000, ""},
		{"GET on a POST route", "GET", "/sms/send/start", "", nil, 405, 40500, ""},
		{"no such route", "GET", "/sms/send/nope", "", nil, 404, 40400, ""},
		{"a route's folder", "GET", "/sms/balance", "", nil, 404, 40400, ""},
		{"a route with a slash after it", "GET", "/sms/balance/get/", "", url.Values{"station_id": {"T1"}}, 404, 40400, ""},
		{"a POST's query string is not read", "POST", "/sms/recharge_record/create?station_id=T1&recharge_nums=500",
			with(recharge, "station_id", ""), nil, 400, 40000, "station_id"},
		{"a malformed query string", "GET", "/sms/balance/get?station_id=T1;x=1", "", nil, 400, 40000, "the query string"},
		{"an invisible station_id", "GET", "/sms/balance/get", "", url.Values{"station_id": {"\u200bT1"}}, 400, 40000, "station_id"},
		{"balance without station_id", "GET", "/sms/balance/get", "", url.Values{}, 400, 40000, "station_id"},
		{"end_date before start_date", "GET", "/sms/send_record/get", "", q("end_date", "2019-12-31"), 400, 40000, "end_date"},
		{"a range over 366 days", "GET", "/sms/data_center/get", "", q("end_date", "2021-01-01"), 400, 40000, "end_date"},
		{"a date that is not one", "GET", "/sms/data_center/get", "", q("start_date", "2020-02-30"), 400, 40000, "start_date"},
		{"records without station_id", "GET", "/sms/send_record/get", "", q("station_id", ""), 400, 40000, "station_id"},
		{"records without start_date", "GET", "/sms/send_record/get", "", q("start_date", ""), 400, 40000, "start_date"},
		{"status out of range", "GET", "/sms/send_record/get", "", q("status", "3"), 400, 40000, "status"},
		{"limit over 100", "GET", "/sms/send_record/get", "", q("limit", "101"), 400, 40000, "limit"},
		{"a page_obj of nothing", "GET", "/sms/send_record/get", "", q("page_obj", "!!"), 400, 40000, "page_obj"},
		{"reverse not a boolean", "GET", "/sms/statistics_detail/get", "", url.Values{"reverse": {"maybe"}}, 400, 40000, "reverse"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, rep, _ := c.do(tc.method, tc.path, tc.body, tc.query)
			if status != tc.status || rep.Code != tc.code || string(rep.Data) != "null" || !strings.HasPrefix(rep.Msg, tc.field) {
				t.Errorf("reply %d %+v; want %d, code %d, data null, a msg naming %q", status, rep, tc.status, tc.code, tc.field)
			}
		})
	}
	if n := c.balance("T1"); n != 5 {
		t.Errorf("balance %d; want 5, as before", n)
	}
	today := notify.FormatBeijing(time.Now())[:10]
	var rs []sendRecord
	if err := json.Unmarshal(c.must(c.get("/sms/send_record/get", url.Values{"station_id": {"T1"}, "start_date": {today},
		"end_date": {today}, "status": {"0"}})).Data, &rs); err != nil || len(rs) != 1 || rs[0].TaskID != id || rs[0].Status != 0 {
		t.Errorf("records %+v; want the one task, never started", rs)
	}
	if len(fake.Sends()) != 0 {
		t.Errorf("sends %+v; want none", fake.Sends())
	}
}

// TestSaaSTencentReports: a task sent through Tencent Cloud SMS, whose
// delivery report, pushed to the callback function, moves the station's
// send record: a report of failure turns it failed, with the reason.
func TestSaaSTencentReports(t *testing.T) {
	t.Parallel()
	const id, key, sdkApp = "AKIDsaasTestKey00001", "saas-test-tencent-key-01", "1400009999"
	tc := tencentcloud.Start(t, tencentcloud.Config{SecretID: id, SecretKey: key, SDKAppID: sdkApp})
	srv, _, _ := localServerWith(t, "sqlite:"+filepath.Join(t.TempDir(), "notify.db"), map[string]string{
		"NOTIFY_GROUPS":               saasGroups,
		"NOTIFY_SMS_PROVIDERS":        "tencent",
		"TENCENTCLOUD_SECRET_ID":      id,
		"TENCENTCLOUD_SECRET_KEY":     key,
		"NOTIFY_TENCENT_SMS_APP_ID":   sdkApp,
		"NOTIFY_TENCENT_SMS_ENDPOINT": tc.URL(),
		"NOTIFY_TEMPLATES": `[{"name":"order","variables":[{"name":"order_id"}],
			"ids":{"aliyun":"SMS_1001","tencent":"2001"}}]`,
	})
	c := saasClient{t: t, base: srv.URL}
	c.recharge("T1", 2, "0.20", "")
	delivered, lost := c.addTask("T1", "13800138000"), c.addTask("T1", "13900139000")
	c.must(c.start(delivered))
	c.must(c.start(lost))
	sends := tc.Sends()
	if len(sends) != 2 {
		t.Fatalf("Tencent got %d sends; want 2", len(sends))
	}
	push := func(number, serial, status, errmsg string) {
		t.Helper()
		body := fmt.Sprintf(`[{"user_receive_time":"2026-12-03 10:00:03","nationcode":"86","mobile":%q,"report_status":%q,`+
			`"errmsg":%q,"description":"%s","sid":%q}]`, number, status, errmsg, errmsg, serial)
		res, err := http.Post(srv.URL+"/callback/"+loadToken+"/tencent/sms", "application/json", bytes.NewReader([]byte(body)))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("report push: %d", res.StatusCode)
		}
	}
	push("13800138000", sends[0].Statuses[0].SerialNo, "SUCCESS", "DELIVRD")
	push("13900139000", sends[1].Statuses[0].SerialNo, "FAIL", "MK:0001")
	rs := c.records("T1")
	if len(rs) != 2 || rs[0].TaskID != lost || rs[0].Status != 2 || !strings.Contains(rs[0].Remark, "MK:0001") ||
		rs[1].TaskID != delivered || rs[1].Status != 1 {
		t.Fatalf("records %+v; want the lost one failed with its report's reason, the other sent", rs)
	}
	if n := c.balance("T1"); n != 0 {
		t.Errorf("balance %d; want 0: a message the provider took and failed to deliver is still billed", n)
	}
	// A task whose delivery failed was sent: started again, it is not
	// sent again.
	c.must(c.start(lost))
	if n := len(tc.Sends()); n != 2 {
		t.Errorf("Tencent got %d sends after the failed task was started again; want 2", n)
	}
}

// TestSaaSPaging walks a station's send records two at a time, forward
// with the page_obj each reply gives, then back from the end with
// reverse: each visits every record once, in the listing's order.
func TestSaaSPaging(t *testing.T) {
	t.Parallel()
	srv, _, _ := localServerWith(t, "sqlite:"+filepath.Join(t.TempDir(), "notify.db"), map[string]string{"NOTIFY_GROUPS": saasGroups})
	c := saasClient{t: t, base: srv.URL}
	var ids []int64
	for range 5 {
		ids = append([]int64{c.addTask("T1", "13800138000")}, ids...) // newest first
	}
	today := notify.FormatBeijing(time.Now())[:10]
	walk := func(reverse bool) []int64 {
		var got []int64
		obj := ""
		for page := 0; ; page++ {
			q := url.Values{"station_id": {"T1"}, "start_date": {today}, "end_date": {today}, "status": {"0"}, "limit": {"2"},
				"page_obj": {obj}, "reverse": {fmt.Sprint(reverse)}}
			rep := c.must(c.get("/sms/send_record/get", q))
			var rs []sendRecord
			if err := json.Unmarshal(rep.Data, &rs); err != nil {
				t.Fatal(err)
			}
			var pageIDs []int64
			for _, r := range rs {
				pageIDs = append(pageIDs, r.TaskID)
			}
			if reverse {
				got = append(pageIDs, got...)
			} else {
				got = append(got, pageIDs...)
			}
			if rep.Pagination == nil {
				t.Fatalf("reply %+v has no pagination", rep)
			}
			if !rep.Pagination.More {
				return got
			}
			if page > 5 {
				t.Fatalf("still more after %d pages: %v", page, got)
			}
			obj = rep.Pagination.PageObj
		}
	}
	for _, reverse := range []bool{false, true} {
		if got := walk(reverse); fmt.Sprint(got) != fmt.Sprint(ids) {
			t.Errorf("reverse %v: visited %v; want %v", reverse, got, ids)
		}
	}
	rep := c.must(c.get("/sms/send_record/get", url.Values{"station_id": {"T1"}, "start_date": {today},
		"end_date": {today}, "status": {"0"}, "limit": {"2"}, "offset": {"3"}}))
	var rs []sendRecord
	if err := json.Unmarshal(rep.Data, &rs); err != nil || len(rs) != 2 || rs[0].TaskID != ids[3] || rep.Pagination.More {
		t.Errorf("offset 3: %s %+v; want the last two, and no more", rep.Data, rep.Pagination)
	}
}

// BenchmarkSaaSStart compares, on each store, POST /sms/send/start of a
// task added before with POST /sms of the same message (the legacy API's
// example code to one number, over the same limits, to the same fake
// Dysmsapi), served in-process: the start's own cost is the task's lookup and the balance
// spent in the record's transaction. x-sms is the start's time over the
// send's (README has the figures, and why the target of 1.2x is not
// met).
func BenchmarkSaaSStart(b *testing.B) {
	const groups = `[{"id":"gm","channels":["sms"],"limits":{"verification":{"per_minute":0,"per_hour":0,"per_day":0},"daily_cap":1000000},
	 "saas":{"combos":[{"id":4,"name":"自定义套餐包","price":"0.00","sms_nums":0,"unit":"条","unit_price":10}],
	         "business_types":{"2":{"template":"SMS_184105379","params":{"code":"verify_code"}}}}}]`
	for _, store := range []string{"sqlite", "postgres"} {
		b.Run(store, func(b *testing.B) {
			// serve serves one request on a server whose store is new at
			// each run, so that every run starts on an empty database.
			serve := func(b *testing.B) func(path, body string) []byte {
				db := "sqlite:" + filepath.Join(b.TempDir(), "notify.db")
				if store == "postgres" {
					db = pg.Database(b)
				}
				srv, _, _ := localServerWith(b, db, map[string]string{"NOTIFY_GROUPS": groups})
				return func(path, body string) []byte {
					r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
					r.Header.Set("Content-Type", "application/json")
					w := httptest.NewRecorder()
					srv.Config.Handler.ServeHTTP(w, r)
					if w.Code != 200 {
						b.Fatalf("%s: reply %d %s", path, w.Code, w.Body)
					}
					return w.Body.Bytes()
				}
			}
			var smsPerOp float64 // ns a POST /sms took in the last run of "sms"
			b.Run("sms", func(b *testing.B) {
				serve := serve(b)
				const body = `{"GroupID":"gm","PhoneNumbers":18683441008,"SignName":"冰鉴科技","TemplateCode":"SMS_184105379","TemplateParam":"654321"}`
				b.ReportAllocs()
				for b.Loop() {
					serve("/sms", body)
				}
				smsPerOp = float64(b.Elapsed()) / float64(b.N)
			})
			b.Run("start", func(b *testing.B) {
				serve := serve(b)
				serve("/sms/recharge_record/create", fmt.Sprintf(`{"combo_id":4,"station_id":"T7442","recharge_nums":%d,
					"recharge_money":"0.00","operator_name":"bench"}`, b.N))
				starts := make([]string, b.N)
				for i := range starts {
					var rep struct {
						Data struct {
							TaskID int64 `json:"task_id"`
						}
					}
					add := serve("/sms/send/add", `{"station_id":"T7442","receive_phone":18683441008,"business_type":2,
						"sms_content":{"verify_code":"654321","sms_signature":"冰鉴科技"}}`)
					if err := json.Unmarshal(add, &rep); err != nil {
						b.Fatal(err)
					}
					starts[i] = fmt.Sprintf(`{"task_id":%d}`, rep.Data.TaskID)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := range b.N {
					serve("/sms/send/start", starts[i])
				}
				if smsPerOp > 0 {
					b.ReportMetric(float64(b.Elapsed())/float64(b.N)/smsPerOp, "x-sms")
				}
			})
		})
	}
}

// TestSaaSRecordsDefaultStatus: a send record listing without status
// holds the sent and the failed records, not the tasks still sending or
// never started; status 0 lists those.
func TestSaaSRecordsDefaultStatus(t *testing.T) {
	t.Parallel()
	srv, _, _ := localServerWith(t, "sqlite:"+filepath.Join(t.TempDir(), "notify.db"), map[string]string{"NOTIFY_GROUPS": saasGroups})
	c := saasClient{t: t, base: srv.URL}
	c.recharge("T1", 1, "0.10", "")
	sent := c.addTask("T1", "13800138000")
	c.must(c.start(sent))
	waiting := c.addTask("T1", "13900139000")
	today := notify.FormatBeijing(time.Now())[:10]
	list := func(status string) []sendRecord {
		q := url.Values{"station_id": {"T1"}, "start_date": {today}, "end_date": {today}}
		if status != "" {
			q.Set("status", status)
		}
		var rs []sendRecord
		if err := json.Unmarshal(c.must(c.get("/sms/send_record/get", q)).Data, &rs); err != nil {
			t.Fatal(err)
		}
		return rs
	}
	if rs := list(""); len(rs) != 1 || rs[0].TaskID != sent || rs[0].Status != 1 {
		t.Errorf("records without status: %+v; want the sent task alone", rs)
	}
	if rs := list("0"); len(rs) != 1 || rs[0].TaskID != waiting || rs[0].Status != 0 {
		t.Errorf("records of status 0: %+v; want the task never started", rs)
	}
}
