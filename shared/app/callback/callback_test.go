package callback_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/app"
	"github.com/seed4ddb146e/notify/shared/app/apptest"
	callbackapp "github.com/seed4ddb146e/notify/shared/app/callback"
	smsapp "github.com/seed4ddb146e/notify/shared/app/sms"
	ttsapp "github.com/seed4ddb146e/notify/shared/app/tts"
	"github.com/seed4ddb146e/notify/shared/config"
	"github.com/seed4ddb146e/notify/shared/fake/aliyun/dysmsapi"
	"github.com/seed4ddb146e/notify/shared/fake/aliyun/dyvmsapi"
	"github.com/seed4ddb146e/notify/shared/httpapi"
	"github.com/seed4ddb146e/notify/shared/httpapi/openapitest"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/platform"
	"github.com/seed4ddb146e/notify/shared/report"
	"github.com/seed4ddb146e/notify/shared/store/sqlite"
)

const (
	akID     = "LTAI5tCallbackKeyId"
	akSecret = "callback-secret-0a1b2c3d4e"
	token    = "Zm9yLXRoZS1jYWxsYmFjay10ZXN0cw"
	phone    = "13800138000"
)

const groups = `[{"id":"demo","channels":["sms","tts"]}]`

// world is the sms, tts and callback functions wired as in production over
// one SQLite store, the first two against fake Aliyun APIs.
type world struct {
	sms, tts, callback *apptest.Function
	store              *sqlite.Store
	logs               *bytes.Buffer
	cfg                config.Config
}

func newWorld(t *testing.T, env map[string]string) *world {
	t.Helper()
	apptest.NoProxy()
	smsSrv := httptest.NewServer(dysmsapi.New(dysmsapi.Config{AccessKeyID: akID, AccessKeySecret: akSecret}))
	t.Cleanup(smsSrv.Close)
	ttsSrv := httptest.NewServer(dyvmsapi.New(dyvmsapi.Config{AccessKeyID: akID, AccessKeySecret: akSecret}))
	t.Cleanup(ttsSrv.Close)
	vars := apptest.Merge(map[string]string{
		"NOTIFY_GROUPS":                   groups,
		"ALIBABA_CLOUD_ACCESS_KEY_ID":     akID,
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET": akSecret,
		"NOTIFY_ALIYUN_SMS_ENDPOINT":      smsSrv.URL,
		"NOTIFY_ALIYUN_VOICE_ENDPOINT":    ttsSrv.URL,
		"NOTIFY_CALLBACK_TOKEN":           token,
	}, env)
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "notify.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w := &world{store: st, logs: new(bytes.Buffer), cfg: cfg}
	log := slog.New(slog.NewJSONHandler(w.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	build := func(b func(context.Context, config.Config, notify.Store, *slog.Logger) (http.Handler, error)) *apptest.Function {
		h, err := b(context.Background(), cfg, st, log)
		if err != nil {
			t.Fatal(err)
		}
		return &apptest.Function{Handler: h, Store: st, Logs: w.logs}
	}
	w.sms, w.tts, w.callback = build(smsapp.New), build(ttsapp.New), build(app.AsBuilder(callbackapp.New))
	// The sends' exchanges as the OpenAPI document says; the callback's
	// handler stays as built, the platform's Ticker, and httpapi's tests
	// check its routes.
	c, err := openapitest.New(httpapi.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	w.sms.Handler, w.tts.Handler = c.Handler(t, w.sms.Handler), c.Handler(t, w.tts.Handler)
	return w
}

// sendSMS sends an SMS to phone through the sms function and returns its
// record.
func (w *world) sendSMS(t *testing.T) *notify.Message {
	t.Helper()
	var rep struct{ Code, BizId, MessageId string }
	body := `{"GroupID":"demo","PhoneNumbers":"` + phone + `","SignName":"notify","TemplateCode":"SMS_0001","TemplateParam":"123456"}`
	if status, _ := w.sms.Post(t, "/sms", body, nil, 5*time.Second, &rep); status != 200 || rep.Code != "OK" || rep.BizId == "" {
		t.Fatalf("POST /sms: %d %+v", status, rep)
	}
	return w.sms.Record(t, rep.MessageId)
}

// push posts body to the callback function's path and returns the status
// and the raw reply.
func (w *world) push(t *testing.T, path, body string) (int, string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	w.callback.Handler.ServeHTTP(rec, r)
	return rec.Code, rec.Body.String()
}

func (w *world) reports(t *testing.T, id string) []notify.Report {
	t.Helper()
	rs, err := w.store.Reports(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// smsReport is an Aliyun SmsReport push for bizID to number.
func smsReport(bizID, number string, success bool, code, msg string) string {
	return fmt.Sprintf(`[{"phone_number":%q,"send_time":"2024-01-01 12:00:00","report_time":"2024-01-01 12:00:05",`+
		`"success":%v,"err_code":%q,"err_msg":%q,"sms_size":"1","biz_id":%q,"out_id":""}]`, number, success, code, msg, bizID)
}

// checkAliyunAck fails t unless the reply is Aliyun's acknowledgement,
// which Aliyun reads as code 0.
func checkAliyunAck(t *testing.T, what string, status int, body string) {
	t.Helper()
	var ack struct {
		Code *int `json:"code"`
	}
	if err := json.Unmarshal([]byte(body), &ack); err != nil || status != 200 || ack.Code == nil || *ack.Code != 0 ||
		body != report.AliyunAck {
		t.Errorf("%s: reply %d %s; want 200 %s", what, status, body, report.AliyunAck)
	}
}

const smsReportPath = "/callback/" + token + "/aliyun/sms-report"

// An SMS sent through the sms function is settled by Aliyun's report.
func TestSMSReport(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	m := w.sendSMS(t)
	if m.Status != notify.Submitted || m.Provider != "aliyun" {
		t.Fatalf("record after the send %+v", m)
	}
	body := smsReport(m.ProviderID, phone, true, "DELIVERED", "用户接收成功")
	status, reply := w.push(t, smsReportPath, body)
	checkAliyunAck(t, "report", status, reply)
	delivered := w.sms.Record(t, m.ID)
	if delivered.Status != notify.Delivered || delivered.UpdatedAt.Before(m.UpdatedAt) {
		t.Errorf("record after the report %+v, want delivered", delivered)
	}
	rs := w.reports(t, m.ID)
	if len(rs) != 1 || rs[0].Code != "DELIVERED" || rs[0].Text != "用户接收成功" || rs[0].Recipient != phone {
		t.Errorf("reports %+v", rs)
	}

	t.Run("the same push again", func(t *testing.T) {
		status, reply := w.push(t, smsReportPath, body)
		checkAliyunAck(t, "duplicate", status, reply)
		if got := w.sms.Record(t, m.ID); got.Status != delivered.Status || !got.UpdatedAt.Equal(delivered.UpdatedAt) {
			t.Errorf("record after a duplicate %+v, want %+v", got, delivered)
		}
		if rs := w.reports(t, m.ID); len(rs) != 1 {
			t.Errorf("%d reports after a duplicate, want 1", len(rs))
		}
	})
	t.Run("an unknown BizId", func(t *testing.T) {
		status, reply := w.push(t, smsReportPath, smsReport("123456789012345678^0", phone, false, "MK:0001", "停机"))
		checkAliyunAck(t, "orphan", status, reply)
		rs := w.reports(t, "")
		if len(rs) != 1 || rs[0].ProviderID != "123456789012345678^0" || rs[0].Status != notify.Failed || rs[0].MessageID != "" {
			t.Errorf("orphans %+v; want the report for 123456789012345678^0, failed", rs)
		}
	})
	t.Run("a wrong token", func(t *testing.T) {
		forged := smsReport(m.ProviderID, phone, false, "MK:0001", "停机")
		status, reply := w.push(t, "/callback/"+strings.ToLower(token)+"/aliyun/sms-report", forged)
		if status != 404 || strings.Contains(reply, token) || strings.Contains(reply, strings.ToLower(token)) {
			t.Errorf("reply %d %s; want 404 without the token", status, reply)
		}
		if rs := w.reports(t, m.ID); len(rs) != 1 {
			t.Errorf("%d reports after a forged push, want 1", len(rs))
		}
		if got := w.sms.Record(t, m.ID); got.Status != notify.Delivered {
			t.Errorf("record after a forged push %+v", got)
		}
	})
	for _, s := range []string{token, strings.ToLower(token), phone, "用户接收成功"} {
		if strings.Contains(w.logs.String(), s) {
			t.Errorf("the log shows %q:\n%s", s, w.logs)
		}
	}
}

// Several numbers share one BizId: the message is delivered when each has
// its report, failed when one failed.
func TestSMSReportsOfABatch(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	var rep struct{ Code, BizId, MessageId string }
	body := `{"GroupID":"demo","PhoneNumbers":"13800138000,13900139000","SignName":"notify","TemplateCode":"SMS_0001"}`
	if status, _ := w.sms.Post(t, "/sms", body, nil, 5*time.Second, &rep); status != 200 {
		t.Fatalf("POST /sms: %d %+v", status, rep)
	}
	status, reply := w.push(t, smsReportPath, smsReport(rep.BizId, "13800138000", true, "DELIVERED", ""))
	checkAliyunAck(t, "first", status, reply)
	if got := w.sms.Record(t, rep.MessageId); got.Status != notify.Submitted {
		t.Errorf("after one of two reports: %s, want submitted", got.Status)
	}
	status, reply = w.push(t, smsReportPath, smsReport(rep.BizId, "13900139000", false, "MK:0001", "用户停机"))
	checkAliyunAck(t, "second", status, reply)
	if got := w.sms.Record(t, rep.MessageId); got.Status != notify.Failed || got.ErrorCode != "MK:0001" || got.ErrorText != "用户停机" {
		t.Errorf("after both reports: %+v, want failed with MK:0001", got)
	}
}

// Tencent's and Ronglian's reports, for messages recorded as those
// providers record them.
func TestOtherProviders(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	now := time.Now()
	record := func(provider, pid string) *notify.Message {
		m := &notify.Message{ID: notify.NewID(now), GroupID: "demo", Channel: notify.SMS, Recipients: []string{phone},
			SignName: "notify", Template: "1234", Provider: provider, Status: notify.Submitted, ProviderID: pid,
			CreatedAt: now, UpdatedAt: now}
		if err := w.store.CreateMessage(t.Context(), m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	tests := []struct {
		provider, pid, path, body, ack string
		status                         notify.Status
		code                           string
	}{
		{"tencent", "5000:1045710669157053657849499619", "/callback/" + token + "/tencent/sms",
			`[{"user_receive_time":"2015-10-17 08:03:04","nationcode":"86","mobile":"13800138000","report_status":"SUCCESS",` +
				`"errmsg":"DELIVRD","description":"用户短信送达成功","sid":"5000:1045710669157053657849499619"}]`,
			report.TencentAck, notify.Delivered, ""},
		{"cloopen", "ff8080813c373cab013c94b0f0512345", "/callback/" + token + "/cloopen/sms",
			`{"Request":{"action":"SMSArrived","smsType":"1","apiVersion":"2013-12-26","content":"ff8080813c373cab013c94b0f0512345",` +
				`"fromNum":"13800138000","dateSent":"20130923010000","deliverCode":"UNDELIV","recvTime":"20130923010010",` +
				`"status":"1","reqId":"123","smsCount":"1"}}`,
			report.CloopenAck, notify.Failed, "UNDELIV"},
	}
	for _, tt := range tests {
		t.Run(tt.provider, func(t *testing.T) {
			m := record(tt.provider, tt.pid)
			status, reply := w.push(t, tt.path, tt.body)
			if status != 200 || reply != tt.ack {
				t.Fatalf("reply %d %s, want 200 %s", status, reply, tt.ack)
			}
			if got := w.sms.Record(t, m.ID); got.Status != tt.status || got.ErrorCode != tt.code {
				t.Errorf("record %+v, want %s with error code %q", got, tt.status, tt.code)
			}
		})
	}
}

// A call made through the tts function is settled by its VoiceReport; the
// intermediate states of VoiceCallReport leave it submitted.
func TestVoiceReport(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	var rep struct{ Code, CallId, MessageId string }
	body := `{"GroupID":"demo","CalledNumber":"` + phone + `","TtsCode":"TTS_0001","TtsParam":{"code":"123456"}}`
	if status, _ := w.tts.Post(t, "/tts", body, nil, 5*time.Second, &rep); status != 200 || rep.CallId == "" {
		t.Fatalf("POST /tts: %d %+v", status, rep)
	}
	path := "/callback/" + token + "/aliyun/voice-report"
	ringing := fmt.Sprintf(`[{"call_id":%q,"status_code":"200201","status_time":"2021-04-28 10:02:40","out_id":""}]`, rep.CallId)
	status, reply := w.push(t, path, ringing)
	checkAliyunAck(t, "ringing", status, reply)
	if got := w.tts.Record(t, rep.MessageId); got.Status != notify.Submitted {
		t.Errorf("after ringing: %s, want submitted", got.Status)
	}
	done := fmt.Sprintf(`[{"call_id":%q,"status_code":"200000","status_msg":"执行完成","caller":"057188773344","callee":%q,`+
		`"start_time":"2021-04-28 10:03:40","end_time":"2021-04-28 10:03:50","duration":"10","b_duration":10}]`, rep.CallId, phone)
	status, reply = w.push(t, path, done)
	checkAliyunAck(t, "call record", status, reply)
	if got := w.tts.Record(t, rep.MessageId); got.Status != notify.Delivered || got.Channel != notify.Voice {
		t.Errorf("after the call record: %+v, want a delivered call", got)
	}
	if rs := w.reports(t, rep.MessageId); len(rs) != 2 || rs[0].Code != "200201" || rs[1].Code != "200000" {
		t.Errorf("reports %+v; want ringing, then answered", rs)
	}
}

// mnsEvent is an MNS queue message through EventBridge, as FC hands it.
func mnsEvent(t *testing.T, id, body string) []byte {
	t.Helper()
	ev, err := json.Marshal(map[string]any{
		"id": "7d7bc1a6-" + id, "source": "MNS-notify-callback", "specversion": "1.0", "type": "mns:Queue:SendMessage",
		"subject": "acs:mns:cn-hangzhou:1234567890123456:queues/notify-callback",
		"data":    map[string]string{"requestId": "req-" + id, "messageId": id, "messageBody": body},
	})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// Reports that Aliyun delivers to an MNS queue reach the callback function
// through its queue trigger, one record per message, without a token.
func TestQueueReport(t *testing.T) {
	t.Parallel()
	w := newWorld(t, map[string]string{"NOTIFY_CALLBACK_TOKEN": ""})
	m := w.sendSMS(t)
	fn, err := platform.New(w.callback.Handler, platform.Options{Name: "callback", QueuePath: httpapi.CallbackQueuePath})
	if err != nil {
		t.Fatal(err)
	}
	one := strings.Trim(smsReport(m.ProviderID, phone, true, "DELIVERED", "用户接收成功"), "[]")
	for i := range 2 { // delivered twice, as a queue may
		reply, err := fn.Invoke(t.Context(), mnsEvent(t, "0A1B2C3D4E5F6A7B-1-18CC3A2B1F0-20000000"+fmt.Sprint(i), one))
		if err != nil || string(reply) != "null" {
			t.Fatalf("delivery %d: reply %s, error %v; want it done", i+1, reply, err)
		}
	}
	if got := w.sms.Record(t, m.ID); got.Status != notify.Delivered {
		t.Errorf("record %+v, want delivered", got)
	}
	if rs := w.reports(t, m.ID); len(rs) != 1 {
		t.Errorf("%d reports, want 1", len(rs))
	}
	// Over HTTP the queue's path is no route, and without a token neither
	// is any other.
	for _, path := range []string{httpapi.CallbackQueuePath, smsReportPath, "/callback//aliyun/sms-report"} {
		if status, _ := w.push(t, path, one); status != 404 {
			t.Errorf("POST %s over HTTP: %d, want 404", path, status)
		}
	}
	if !strings.Contains(w.logs.String(), "no NOTIFY_CALLBACK_TOKEN") {
		t.Errorf("no cold-start warning without a token:\n%s", w.logs)
	}

	// With the store down, the queue is asked to deliver again.
	w.store.Close()
	if _, err := fn.Invoke(t.Context(), mnsEvent(t, "0A1B2C3D4E5F6A7B-1-18CC3A2B1F0-200000009", one)); err == nil ||
		!strings.Contains(err.Error(), "should be retried") {
		t.Errorf("store down: error %v; want the message retried", err)
	}
}

// With the store down a push is answered 503, so that Aliyun pushes it
// again, and the next push is recorded.
func TestStoreDown(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	m := w.sendSMS(t)
	w.store.Close()
	status, reply := w.push(t, smsReportPath, smsReport(m.ProviderID, phone, true, "DELIVERED", ""))
	var rep struct{ Code, Reason string }
	if err := json.Unmarshal([]byte(reply), &rep); err != nil || status != 503 || rep.Reason != "store_unavailable" {
		t.Errorf("reply %d %s; want 503 store_unavailable in JSON", status, reply)
	}
}

// A timer event runs the callback function's scheduled work, through the
// platform as the clouds' timer triggers deliver it.
func TestTick(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	cb, err := callbackapp.New(t.Context(), w.cfg, w.store, log)
	if err != nil {
		t.Fatal(err)
	}
	fn, err := platform.New(cb, platform.Options{Name: "callback", QueuePath: httpapi.CallbackQueuePath, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	timer := `{"triggerTime":"2023-12-26T07:49:00Z","triggerName":"timer","payload":""}`
	if reply, err := fn.Invoke(ctx, []byte(timer)); err != nil || string(reply) != "null" {
		t.Fatalf("timer event: reply %s, error %v; want null", reply, err)
	}
	if !strings.Contains(logs.String(), `"msg":"timer tick done"`) {
		t.Errorf("no tick done in the log:\n%s", logs.String())
	}
}
