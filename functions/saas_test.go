package functions_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/seed4ddb146e/notify/shared/fake/aliyun/dysmsapi"
	"github.com/seed4ddb146e/notify/shared/fake/runtimeapi"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/postgres"
)

// saasGroups is the SaaS platform of the examples in the description of
// its SMS service, the one the SaaS routes replace (docs/saas.md): the
// combos its combo reply lists, and the business types its tasks name. The
// platform bought 30,398 units from its provider: after the 32 its
// stations spend below, the overview shows the examples' 30,366 left.
const saasGroups = `[{"id":"gm","channels":["sms"],
 "saas":{"combos":[{"id":1,"name":"套餐包: 2000条","price":"200.00","sms_nums":2000,"unit":"条","unit_price":10},
                   {"id":4,"name":"自定义套餐包","price":"0.00","sms_nums":0,"unit":"条","unit_price":10}],
         "business_types":{"0":{"template":"SMS_1001"},"1":{"template":"SMS_1002"},
                           "2":{"template":"SMS_184105379","params":{"code":"verify_code"}}},
         "provider_units":30398}}]`

// seedWorld writes, through the store's own contract, the station data the
// examples' replies were taken from: station T7442 bought 210 units
// for 20.30 yuan (the last 10 on 2018-09-26 11:25:35, as its recharge
// record shows), and spent 31 of them (one on 2019-05-24 10:17:04, as its
// send record shows; 30 on 2019-05-10, when 2 more failed and were
// refunded); station T0001 holds the rest of the platform's balance and
// money. The examples' own requests then bring T7442 to their 178,
// 179, "20.31" and 211, and the platform to its 153690 and "21981.31".
func seedWorld(t *testing.T, db string) {
	ctx := context.Background()
	st, err := postgres.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation(time.DateTime, s, notify.Beijing)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, r := range []notify.Recharge{
		{Station: "T7442", ComboID: 4, ComboName: "自定义套餐包", Units: 200, MoneyFen: 2000, Operator: "superadmin",
			DealCode: "20180901-1", At: at("2018-09-01 09:00:00")},
		{Station: "T0001", ComboID: 4, ComboName: "自定义套餐包", Units: 153511, MoneyFen: 2196100, Operator: "superadmin",
			DealCode: "20180910-1", At: at("2018-09-10 09:00:00")},
		{Station: "T7442", ComboID: 4, ComboName: "自定义套餐包", Units: 10, MoneyFen: 30, Remark: "20180916",
			Operator: "superadmin", At: at("2018-09-26 11:25:35")},
	} {
		r.GroupID = "gm"
		if _, err := st.Recharge(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	send := func(when time.Time, phone string, status notify.Status) {
		task := &notify.Task{GroupID: "gm", Station: "T7442", Phone: phone, BusinessType: 0,
			Content: `{"order_id":"LK0001","sms_signature":"[去采购报价单]"}`, CreatedAt: when}
		if err := st.AddTask(ctx, task); err != nil {
			t.Fatal(err)
		}
		m := &notify.Message{ID: notify.NewID(when), GroupID: "gm", Channel: notify.SMS, Recipients: []string{phone},
			SignName: "去采购报价单", Template: "SMS_1001", Params: `{"order_id":"LK0001"}`, Provider: "aliyun",
			Status: notify.Accepted, CreatedAt: when, UpdatedAt: when,
			Spend: &notify.Spend{Station: "T7442", TaskID: task.ID, Units: 1}}
		if err := st.CreateMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
		o := notify.Outcome{Status: status, Provider: "aliyun", At: when}
		if status == notify.Submitted {
			o.ProviderID = "9006197469364984" + fmt.Sprint(task.ID) + "^0"
		} else {
			o.ErrorCode, o.ErrorText = "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号"
		}
		if err := st.FinishMessage(ctx, m.ID, o); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 32 {
		status := notify.Submitted
		if i%16 == 15 {
			status = notify.Failed
		}
		send(at("2019-05-10 12:00:00").Add(time.Duration(i)*time.Second), "13800138000", status)
	}
	send(at("2019-05-24 10:17:04"), "18617140030", notify.Submitted)
}

// httpCall hands child c, behind emu, an HTTP API event of method, path,
// rawQuery (as the client sent it), headers and body, and returns the
// reply's status and JSON body.
func httpCall(t *testing.T, c *child, emu *runtimeapi.Emulator, method, path, rawQuery string, headers map[string]string,
	body string) (int, map[string]any) {
	t.Helper()
	ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: method + " " + path, RawPath: path,
		RawQueryString: rawQuery, Headers: headers, Body: body}
	ev.RequestContext.HTTP.Method, ev.RequestContext.HTTP.Path = method, path
	payload, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.invoke(emu, payload)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", method, path, err, c.out)
	}
	r := decodeHTTPReply(t, "v2", res)
	var got map[string]any
	if err := json.Unmarshal([]byte(r.body), &got); err != nil {
		t.Fatalf("%s %s: reply %d %s is not JSON", method, path, r.status, r.body)
	}
	return r.status, got
}

// smsChild starts the sms binary behind a Lambda Runtime API emulator,
// recording to the database at db, with groups as NOTIFY_GROUPS and its
// SMS sent to a fake Dysmsapi.
func smsChild(t *testing.T, db, groups string) (*child, *runtimeapi.Emulator, *dysmsapi.Server) {
	t.Helper()
	fake, aliyun := fakeAliyun(t)
	emu := runtimeapi.NewLambda()
	t.Cleanup(emu.Close)
	// The last NOTIFY_GROUPS wins.
	c := startChild(t, filepath.Join(binaries(t), "sms"), env(emu, db, append(aliyun, "NOTIFY_GROUPS="+groups)...))
	return c, emu, fake
}

// saasCall is one of the examples: a request of the sms function.
type saasCall struct {
	method, path string
	query        url.Values
	body         string
}

// TestSeed004 replays the examples of the SaaS SMS service, in the order
// its description gives them, against the built sms function behind the
// Lambda Runtime API, on PostgreSQL, sending to the fake Dysmsapi. Each
// reply is compared with the example's, value for value, except where the
// example cannot be reproduced, as each case says.
func TestSeed004(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the function binaries")
	}
	db := database(t)
	seedWorld(t, db)
	c, emu, fake := smsChild(t, db, saasGroups)

	call := func(t *testing.T, sc saasCall) map[string]any {
		t.Helper()
		status, got := httpCall(t, c, emu, sc.method, sc.path, sc.query.Encode(),
			map[string]string{"content-type": "application/json"}, sc.body)
		if status != 200 {
			t.Fatalf("%s %s: reply %d %v; want 200", sc.method, sc.path, status, got)
		}
		return got
	}
	// same compares a reply with the example's, as JSON values.
	same := func(t *testing.T, what string, got any, want string) {
		t.Helper()
		var w any
		if err := json.Unmarshal([]byte(want), &w); err != nil {
			t.Fatalf("the test's %s: %v", what, err)
		}
		if !reflect.DeepEqual(got, w) {
			g, _ := json.Marshal(got)
			t.Errorf("%s:\n got %s\nwant %s", what, g, want)
		}
	}
	ok := func(t *testing.T, got map[string]any) {
		t.Helper()
		if got["code"] != 0.0 || got["msg"] != "ok" {
			t.Fatalf("reply %v; want code 0, msg ok", got)
		}
	}

	var taskID float64
	t.Run("send/add", func(t *testing.T) {
		// The example's task_id, 22, is its service's next id; here the
		// next is 34, after the 33 tasks of seedWorld.
		got := call(t, saasCall{method: "POST", path: "/sms/send/add", body: `{"station_id":"T7442","receive_phone":13112341234,
			"sms_content":{"verify_code":"112095","sms_signature":"[去采购报价单]"},"business_type":2}`})
		same(t, "reply", got, `{"code":0,"msg":"ok","data":{"task_id":34}}`)
		taskID, _ = got["data"].(map[string]any)["task_id"].(float64)
	})
	t.Run("send/start", func(t *testing.T) {
		// The example starts task 222, another of its own; a caller starts
		// the task its add returned.
		got := call(t, saasCall{method: "POST", path: "/sms/send/start", body: fmt.Sprintf(`{"task_id":%v}`, taskID)})
		same(t, "reply", got, `{"code":0,"msg":"ok","data":null}`)
		sends := fake.Sends()
		if len(sends) != 1 || sends[0].SignName != "去采购报价单" || sends[0].TemplateCode != "SMS_184105379" ||
			sends[0].TemplateParam != `{"code":"112095"}` || strings.Join(sends[0].PhoneNumbers, ",") != "13112341234" {
			t.Errorf("Dysmsapi got %+v; want one SendSms of SMS_184105379 signed 去采购报价单 with code 112095 to 13112341234", sends)
		}
	})
	t.Run("combo/get", func(t *testing.T) {
		got := call(t, saasCall{method: "GET", path: "/sms/combo/get"})
		ok(t, got)
		combos, _ := got["data"].([]any)
		if len(combos) != 2 {
			t.Fatalf("combos %v; want the two configured", got["data"])
		}
		same(t, "first combo", combos[0], `{"id":1,"name":"套餐包: 2000条","price":"200.00","sms_nums":2000,"unit":"条","unit_price":10}`)
	})
	t.Run("balance/get", func(t *testing.T) {
		got := call(t, saasCall{method: "GET", path: "/sms/balance/get", query: url.Values{"station_id": {"T7442"}}})
		same(t, "reply", got, `{"code":0,"msg":"ok","data":{"sms_balance":178}}`)
	})
	t.Run("data_center/get", func(t *testing.T) {
		// The example answers with days of 2018 to a request for
		// 2019-04-28 to 2019-05-28; the reply here is that range, every
		// day of it, with seedWorld's sends on 05-10 and 05-24.
		got := call(t, saasCall{method: "GET", path: "/sms/data_center/get",
			query: url.Values{"station_id": {"T7442"}, "start_date": {"2019-04-28"}, "end_date": {"2019-05-28"}}})
		ok(t, got)
		days, _ := got["data"].([]any)
		if len(days) != 31 {
			t.Fatalf("%d days; want the 31 of the range", len(days))
		}
		for i, d := range days {
			day := time.Date(2019, 4, 28+i, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
			want := `{"send_date":"` + day + `","total_send_nums":0,"success_send_nums":0,"send_failed_nums":0}`
			switch day {
			case "2019-05-10":
				want = `{"send_date":"2019-05-10","total_send_nums":32,"success_send_nums":30,"send_failed_nums":2}`
			case "2019-05-24":
				want = `{"send_date":"2019-05-24","total_send_nums":1,"success_send_nums":1,"send_failed_nums":0}`
			}
			same(t, "day "+day, d, want)
		}
	})
	t.Run("recharge_record/get", func(t *testing.T) {
		// The example sends no station_id: the platform's recharges of every
		// station. Its record lacks deal_code and operator_name, which the
		// description's table lists.
		got := call(t, saasCall{method: "GET", path: "/sms/recharge_record/get", query: url.Values{
			"start_date": {"2018-08-31"}, "end_date": {"2018-09-30"}, "limit": {"10"}, "offset": {"0"}}})
		ok(t, got)
		rs, _ := got["data"].([]any)
		if len(rs) != 3 {
			t.Fatalf("recharges %v; want seedWorld's three", got["data"])
		}
		same(t, "newest recharge", rs[0], `{"combo_id":4,"combo_name":"自定义套餐包","recharge_date":"2018-09-26 11:25:35",
			"recharge_money":"0.30","recharge_nums":10,"remark":"20180916","station_id":"T7442",
			"deal_code":"","operator_name":"superadmin"}`)
		same(t, "pagination", got["pagination"], `{"page_obj":"MQ","more":false}`)
	})
	t.Run("recharge_record/create", func(t *testing.T) {
		got := call(t, saasCall{method: "POST", path: "/sms/recharge_record/create", body: `{"combo_id":4,
			"recharge_money":0.01,"recharge_nums":1,"deal_code":"测试","remark":"测试","station_id":"T7442",
			"operator_name":"superadmin"}`})
		same(t, "reply", got, `{"code":0,"msg":"ok","data":null}`)
	})
	t.Run("send_record/get", func(t *testing.T) {
		// The example's record is of business type 2, which its own
		// description leaves out of a request without business_type (0
		// and 1 only); seedWorld's send of that minute is of type 0.
		got := call(t, saasCall{method: "GET", path: "/sms/send_record/get",
			query: url.Values{"station_id": {"T7442"}, "start_date": {"2019-04-28"}, "end_date": {"2019-05-28"}}})
		ok(t, got)
		rs, _ := got["data"].([]any)
		if len(rs) != 10 {
			t.Fatalf("%d records; want a page of 10", len(rs))
		}
		first, _ := rs[0].(map[string]any)
		delete(first, "task_id")
		same(t, "newest record", first, `{"business_type":0,"receive_name":null,"receive_phone":"18617140030",
			"remark":"","restaurant_id":null,"send_time":"2019-05-24 10:17:04","status":1}`)
		if p, _ := got["pagination"].(map[string]any); p["more"] != true {
			t.Errorf("pagination %v; want more", got["pagination"])
		}
	})
	t.Run("statistics_overview/get", func(t *testing.T) {
		got := call(t, saasCall{method: "GET", path: "/sms/statistics_overview/get"})
		same(t, "reply", got, `{"code":0,"msg":"ok","data":{"gm_balance":30366,"saas_balance":"153690",
			"saas_recharge_money":"21981.31"}}`)
	})
	t.Run("statistics_detail/get", func(t *testing.T) {
		got := call(t, saasCall{method: "GET", path: "/sms/statistics_detail/get", query: url.Values{"q": {"T7442"}}})
		same(t, "reply", got, `{"code":0,"msg":"ok","data":[{"sms_balance":179,"station_id":"T7442",
			"total_recharge_money":"20.31","total_recharge_nums":211}],"pagination":{"page_obj":"VDc0NDI","more":false}}`)
	})
}
