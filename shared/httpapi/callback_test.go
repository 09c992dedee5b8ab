package httpapi

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

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/report"
	"github.com/seed4ddb146e/notify/shared/store/sqlite"
)

// The tokens of the tests: 32 characters each, the length of
// `openssl rand -hex 16`.
const (
	aliyunToken  = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
	tencentToken = "t1b2c3d4e5f60718293a4b5c6d7e8f90"
)

// Push bodies as the providers send them (docs/providers.md),
// with the provider id and the number to fill in.
const (
	smsReportBody = `[{"phone_number":%q,"send_time":"2024-01-01 12:00:00","report_time":"2024-01-01 12:00:05",` +
		`"success":true,"err_code":"DELIVERED","err_msg":"用户接收成功","sms_size":"1","biz_id":%q,"out_id":"o-1"}]`
	voiceReportBody = `[{"call_id":%[2]q,"status_code":"200000","status_msg":"执行完成","smart_status_code":"ANSWERED",` +
		`"caller":"057188773344","callee":%[1]q,"start_time":"2021-04-28 10:03:40","end_time":"2021-04-28 10:03:50",` +
		`"duration":"10","originate_time":"2021-04-28 10:02:34","out_id":"o-2","b_duration":10}]`
	smsUpBody = `[{"phone_number":%q,"content":"TD","send_time":"2017-09-01 00:00:00","dest_code":"1234",` +
		`"sequence_id":%s,"sign_name":"签名"}]`
	tencentBody = `[{"user_receive_time":"2015-10-17 08:03:04","nationcode":"86","mobile":%q,"report_status":"SUCCESS",` +
		`"errmsg":"DELIVRD","description":"用户短信送达成功","sid":%q}]`
	cloopenBody = `{"Request":{"action":"SMSArrived","smsType":"1","apiVersion":"2013-12-26","content":%[2]q,` +
		`"fromNum":%[1]q,"dateSent":"20130923010000","deliverCode":"DELIVRD","recvTime":"20130923010010","status":"0",` +
		`"reqId":"123","smsCount":"2"}}`
)

const phone = "13800138000"

// testCallback is the callback handler over a real SQLite store.
type testCallback struct {
	h     http.Handler
	store *sqlite.Store
	logs  *bytes.Buffer
}

func newCallback(t *testing.T, tokens CallbackTokens) *testCallback {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "notify.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	logs := new(bytes.Buffer)
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return &testCallback{h: checker(t).Handler(t, Callback(st, tokens, log)), store: st, logs: logs}
}

var bothTokens = CallbackTokens{Aliyun: aliyunToken, Tencent: tencentToken}

// do serves method path with body, in ctx.
func (c *testCallback) do(ctx context.Context, method, path, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequestWithContext(ctx, method, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, r)
	return w
}

func (c *testCallback) post(path, body string) *httptest.ResponseRecorder {
	return c.do(context.Background(), http.MethodPost, path, body)
}

// queued posts body as the platform replays a queue message.
func (c *testCallback) queued(path, body string) *httptest.ResponseRecorder {
	ctx := notify.WithOrigin(context.Background(), notify.Origin{Source: "mns-queue", MessageID: "0A1B-1"})
	return c.do(ctx, http.MethodPost, path, body)
}

// send records a message that provider took as pid, to phone.
func (c *testCallback) send(t *testing.T, provider string, ch notify.Channel, pid string) *notify.Message {
	t.Helper()
	now := time.Now()
	m := &notify.Message{ID: notify.NewID(now), GroupID: "ops", Channel: ch, Recipients: []string{phone},
		Provider: provider, Status: notify.Submitted, ProviderID: pid, CreatedAt: now, UpdatedAt: now}
	if err := c.store.CreateMessage(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	return m
}

func (c *testCallback) status(t *testing.T, id string) notify.Status {
	t.Helper()
	m, err := c.store.Message(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m.Status
}

func (c *testCallback) reports(t *testing.T, id string) []notify.Report {
	t.Helper()
	rs, err := c.store.Reports(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// checkAck fails t unless w is the acknowledgement ack.
func checkAck(t *testing.T, what string, w *httptest.ResponseRecorder, ack string) {
	t.Helper()
	if w.Code != 200 || w.Body.String() != ack || w.Header().Get("Content-Type") != report.AckContentType {
		t.Errorf("%s: reply %d %q %q; want 200 %q %q", what, w.Code, w.Header().Get("Content-Type"), w.Body, ack,
			report.AckContentType)
	}
}

// Each route takes its provider's push and answers its acknowledgement.
func TestCallbackPushes(t *testing.T) {
	c := newCallback(t, CallbackTokens{Aliyun: aliyunToken, Tencent: tencentToken, Cloopen: tencentToken})
	tests := []struct {
		route, body, ack string
		provider         string
		ch               notify.Channel
		pid              string
	}{
		{"aliyun/sms-report", smsReportBody, report.AliyunAck, "aliyun", notify.SMS, "900619746936498440^0"},
		{"aliyun/voice-report", voiceReportBody, report.AliyunAck, "aliyun", notify.Voice, "116012354148^102813780000"},
		{"tencent/sms", tencentBody, report.TencentAck, "tencent", notify.SMS, "5000:1045710669157053657849499619"},
		{"cloopen/sms", cloopenBody, report.CloopenAck, "cloopen", notify.SMS, "ff8080813c373cab013c94b0f0512345"},
	}
	for _, tt := range tests {
		t.Run(tt.route, func(t *testing.T) {
			m := c.send(t, tt.provider, tt.ch, tt.pid)
			token := aliyunToken
			if tt.provider != "aliyun" {
				token = tencentToken
			}
			path := "/callback/" + token + "/" + tt.route
			checkAck(t, "push", c.post(path, fmt.Sprintf(tt.body, phone, tt.pid)), tt.ack)
			if got := c.status(t, m.ID); got != notify.Delivered {
				t.Errorf("message %s after the report, want delivered", got)
			}
			rs := c.reports(t, m.ID)
			if len(rs) != 1 || rs[0].Provider != tt.provider || rs[0].Recipient != phone || rs[0].Code == "" {
				t.Errorf("reports %+v; want one from %s for %s, with its code", rs, tt.provider, phone)
			}
			checkAck(t, "the same push again", c.post(path, fmt.Sprintf(tt.body, phone, tt.pid)), tt.ack)
			if rs := c.reports(t, m.ID); len(rs) != 1 {
				t.Errorf("%d reports after a duplicate push, want 1", len(rs))
			}
		})
	}
	t.Run("aliyun/sms-up", func(t *testing.T) {
		path := "/callback/" + aliyunToken + "/aliyun/sms-up"
		checkAck(t, "push", c.post(path, fmt.Sprintf(smsUpBody, phone, "1234567890")), report.AliyunAck)
		checkAck(t, "the same push again", c.post(path, fmt.Sprintf(smsUpBody, phone, `"1234567890"`)), report.AliyunAck)
		isNew, err := c.store.RecordInbound(t.Context(), notify.Inbound{Provider: "aliyun", SequenceID: "1234567890"})
		if err != nil || isNew {
			t.Errorf("RecordReply of the pushed reply = %v, %v; want it recorded before", isNew, err)
		}
		if !strings.Contains(c.logs.String(), `"push":"aliyun/sms-up","records":1,"applied":0,"duplicate":1`) {
			t.Errorf("no log line counting the duplicate reply:\n%s", c.logs)
		}
	})
	for _, s := range []string{phone, "用户接收成功", "TD", aliyunToken, tencentToken} {
		if strings.Contains(c.logs.String(), s) {
			t.Errorf("the log shows %q:\n%s", s, c.logs)
		}
	}
}

// Every route of CallbackRoutes is served: the templates route what the
// handler takes.
func TestCallbackRoutesServed(t *testing.T) {
	c := newCallback(t, CallbackTokens{Aliyun: aliyunToken, Tencent: aliyunToken, Cloopen: aliyunToken})
	bodies := map[string]string{
		"aliyun/sms-report":   fmt.Sprintf(smsReportBody, phone, "1^0"),
		"aliyun/sms-up":       fmt.Sprintf(smsUpBody, phone, "1"),
		"aliyun/voice-report": fmt.Sprintf(voiceReportBody, phone, "1^1"),
		"tencent/sms":         fmt.Sprintf(tencentBody, phone, "1"),
		"cloopen/sms":         fmt.Sprintf(cloopenBody, phone, "1"),
	}
	for _, route := range CallbackRoutes {
		method, pattern, _ := strings.Cut(route, " ")
		name := strings.TrimPrefix(pattern, "/callback/{token}/")
		body, ok := bodies[name]
		if !ok || method != http.MethodPost {
			t.Errorf("route %s: no sample body for %s", route, name)
			continue
		}
		w := c.post(strings.Replace(pattern, "{token}", aliyunToken, 1), body)
		if w.Code != 200 {
			t.Errorf("%s: %d %s", route, w.Code, w.Body)
		}
	}
}

// A message settles once every recipient has a report; the records of a
// push are counted in the log, never named.
func TestCallbackCounts(t *testing.T) {
	c := newCallback(t, bothTokens)
	now := time.Now()
	m := &notify.Message{ID: notify.NewID(now), GroupID: "ops", Channel: notify.SMS, Recipients: []string{phone, "13900139000"},
		Provider: "aliyun", Status: notify.Submitted, ProviderID: "900619746936498441^0", CreatedAt: now, UpdatedAt: now}
	if err := c.store.CreateMessage(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	var recs []map[string]any
	for _, rcpt := range []struct{ phone, pid string }{{phone, m.ProviderID}, {"13900139000", m.ProviderID}, {phone, "123^0"}} {
		var r []map[string]any
		if err := json.Unmarshal([]byte(fmt.Sprintf(smsReportBody, rcpt.phone, rcpt.pid)), &r); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r[0])
	}
	path := "/callback/" + aliyunToken + "/aliyun/sms-report"
	one, _ := json.Marshal(recs[:1])
	checkAck(t, "first", c.post(path, string(one)), report.AliyunAck)
	if got := c.status(t, m.ID); got != notify.Submitted {
		t.Errorf("message %s after one recipient's report, want submitted", got)
	}
	all, _ := json.Marshal(recs)
	checkAck(t, "all", c.post(path, string(all)), report.AliyunAck)
	if got := c.status(t, m.ID); got != notify.Delivered {
		t.Errorf("message %s after every recipient's report, want delivered", got)
	}
	for _, want := range []string{
		`"records":1,"applied":1,"duplicate":0,"orphan":0`,
		`"records":3,"applied":1,"duplicate":1,"orphan":1`,
	} {
		if !strings.Contains(c.logs.String(), want) {
			t.Errorf("no log line with %s:\n%s", want, c.logs)
		}
	}
	if got := c.reports(t, ""); len(got) != 1 || got[0].ProviderID != "123^0" {
		t.Errorf("orphans %+v; want the report for 123^0", got)
	}
}

// A wrong, missing or unset token is a 404, word for word the reply to a
// route that does not exist, and changes nothing.
func TestCallbackTokens(t *testing.T) {
	c := newCallback(t, CallbackTokens{Aliyun: aliyunToken}) // no Tencent or Cloopen token
	m := c.send(t, "aliyun", notify.SMS, "900619746936498442^0")
	body := fmt.Sprintf(smsReportBody, phone, m.ProviderID)
	unknown := c.post("/nowhere", body)
	if unknown.Code != 404 || !strings.Contains(unknown.Body.String(), `"Reason":"no_such_route"`) {
		t.Fatalf("unknown route: %d %s", unknown.Code, unknown.Body)
	}
	wrong := strings.Replace(aliyunToken, "a1", "a2", 1)
	tests := []struct{ name, method, path, body string }{
		{"wrong token", "POST", "/callback/" + wrong + "/aliyun/sms-report", body},
		{"a prefix of the token", "POST", "/callback/" + aliyunToken[:31] + "/aliyun/sms-report", body},
		{"the token and more", "POST", "/callback/" + aliyunToken + "0/aliyun/sms-report", body},
		{"no token", "POST", "/callback//aliyun/sms-report", body},
		{"the word token", "POST", "/callback/{token}/aliyun/sms-report", body},
		{"the token elsewhere", "POST", "/callback/aliyun/sms-report/" + aliyunToken, body},
		{"a trailing slash", "POST", "/callback/" + aliyunToken + "/aliyun/sms-report/", body},
		{"a dot segment", "POST", "/callback/" + aliyunToken + "/./aliyun/sms-report", body},
		{"Aliyun's token to Tencent", "POST", "/callback/" + aliyunToken + "/tencent/sms", fmt.Sprintf(tencentBody, phone, "1")},
		{"no Cloopen token set", "POST", "/callback//cloopen/sms", fmt.Sprintf(cloopenBody, phone, "1")},
		{"wrong token, GET", "GET", "/callback/" + wrong + "/aliyun/sms-report", ""},
		{"the queue path over HTTP", "POST", CallbackQueuePath, body},
		{"the queue path with a token", "POST", "/callback/queue/aliyun/sms-report", body},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := c.do(context.Background(), tt.method, tt.path, tt.body)
			if w.Code != 404 || w.Body.String() != unknown.Body.String() || w.Header().Get("Location") != "" {
				t.Errorf("reply %d %v %s; want the unknown route's 404 %s", w.Code, w.Header(), w.Body, unknown.Body)
			}
		})
	}
	if got := c.status(t, m.ID); got != notify.Submitted {
		t.Errorf("message %s after refused pushes, want submitted", got)
	}
	if rs := c.reports(t, m.ID); len(rs) != 0 {
		t.Errorf("reports %+v recorded from refused pushes", rs)
	}
	if rs := c.reports(t, ""); len(rs) != 0 {
		t.Errorf("orphans %+v recorded from refused pushes", rs)
	}
	if strings.Contains(c.logs.String(), aliyunToken[:16]) || strings.Contains(c.logs.String(), wrong[:16]) {
		t.Errorf("the log shows a token:\n%s", c.logs)
	}
	// With the right token, a GET is told the method.
	if w := c.do(context.Background(), "GET", "/callback/"+aliyunToken+"/aliyun/sms-report", ""); w.Code != 405 || w.Header().Get("Allow") != "POST" {
		t.Errorf("GET with the token: %d %v", w.Code, w.Header())
	}
	// Without any token every push is refused.
	none := newCallback(t, CallbackTokens{})
	if w := none.post("/callback//aliyun/sms-report", body); w.Code != 404 {
		t.Errorf("no token configured: %d %s", w.Code, w.Body)
	}
}

func TestDigestMatches(t *testing.T) {
	tests := []struct {
		set   notify.Secret
		token string
		want  bool
	}{
		{aliyunToken, aliyunToken, true},
		{aliyunToken, strings.ToUpper(aliyunToken), false},
		{aliyunToken, "", false},
		{"", "", false},
		{"", "anything", false},
	}
	for _, tt := range tests {
		if got := digestOf(tt.set).matches(tt.token); got != tt.want {
			t.Errorf("digestOf(%q).matches(%q) = %v, want %v", tt.set.Reveal(), tt.token, got, tt.want)
		}
	}
}

// Bodies that are not reports are 400 and record nothing.
func TestCallbackRefusals(t *testing.T) {
	c := newCallback(t, bothTokens)
	path := "/callback/" + aliyunToken + "/aliyun/sms-report"
	tests := []struct {
		name, body string
		status     int
		reason     string
	}{
		{"not JSON", "success=true&biz_id=1", 400, "invalid_receipt"},
		{"empty", "", 400, "invalid_receipt"},
		{"no biz_id", `[{"phone_number":"13800138000","success":true}]`, 400, "invalid_receipt"},
		{"one good, one bad", fmt.Sprintf(`[%s,{"success":"maybe","biz_id":"2^0"}]`,
			strings.Trim(fmt.Sprintf(smsReportBody, phone, "1^0"), "[]")), 400, "invalid_receipt"},
		{"over the limit", `[` + strings.Repeat(" ", report.MaxBodyBytes) + `]`, 413, "body_too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := c.post(path, tt.body)
			var rep errorReply
			if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil || w.Code != tt.status || rep.Reason != tt.reason {
				t.Errorf("reply %d %s; want %d %s", w.Code, w.Body, tt.status, tt.reason)
			}
		})
	}
	if rs := c.reports(t, ""); len(rs) != 0 {
		t.Errorf("reports %+v recorded from refused bodies", rs)
	}
	if strings.Contains(c.logs.String(), phone) {
		t.Errorf("the log shows the number:\n%s", c.logs)
	}
}

// failingStore is a ReportStore that fails from its nth report on, as a
// database going away in the middle of a push does.
type failingStore struct {
	notify.ReportStore
	n int
}

func (s *failingStore) RecordReport(ctx context.Context, r notify.Report) (notify.ReportResult, error) {
	if s.n--; s.n <= 0 {
		return notify.ReportResult{}, &notify.Error{Op: "store", Kind: notify.Invalid, Err: fmt.Errorf("disk I/O error")}
	}
	return s.ReportStore.RecordReport(ctx, r)
}

// When the store fails the reply is 503, and the push, made again, is
// recorded once.
func TestCallbackStoreDown(t *testing.T) {
	c := newCallback(t, bothTokens)
	m := c.send(t, "aliyun", notify.SMS, "900619746936498443^0")
	path := "/callback/" + aliyunToken + "/aliyun/sms-report"
	var recs []json.RawMessage
	for _, pid := range []string{m.ProviderID, "124^0"} {
		recs = append(recs, json.RawMessage(strings.Trim(fmt.Sprintf(smsReportBody, phone, pid), "[]")))
	}
	body, _ := json.Marshal(recs)

	// The second record fails: an error of any kind from the store is 503.
	half := &testCallback{h: Callback(&failingStore{ReportStore: c.store, n: 2}, bothTokens,
		slog.New(slog.NewJSONHandler(c.logs, nil))), store: c.store, logs: c.logs}
	w := half.post(path, string(body))
	var rep errorReply
	if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil || w.Code != 503 || rep.Reason != "store_unavailable" {
		t.Fatalf("reply %d %s; want 503 store_unavailable", w.Code, w.Body)
	}
	if !strings.Contains(c.logs.String(), `"level":"ERROR"`) || !strings.Contains(c.logs.String(), "disk I/O error") {
		t.Errorf("the store's error is not logged:\n%s", c.logs)
	}
	// The provider pushes again to a healthy store.
	checkAck(t, "the push again", c.post(path, string(body)), report.AliyunAck)
	if !strings.Contains(c.logs.String(), `"records":2,"applied":0,"duplicate":1,"orphan":1`) {
		t.Errorf("the push again is not one duplicate and one orphan:\n%s", c.logs)
	}
	if got := c.status(t, m.ID); got != notify.Delivered {
		t.Errorf("message %s, want delivered", got)
	}

	// A closed store: 503 for reports and replies alike.
	c.store.Close()
	for _, p := range []struct{ path, body string }{
		{path, string(body)},
		{"/callback/" + aliyunToken + "/aliyun/sms-up", fmt.Sprintf(smsUpBody, phone, "1")},
	} {
		if w := c.post(p.path, p.body); w.Code != 503 || !strings.Contains(w.Body.String(), `"Reason":"store_unavailable"`) {
			t.Errorf("store closed: %d %s", w.Code, w.Body)
		}
	}
	if w := c.queued(CallbackQueuePath, string(body)); w.Code != 503 {
		t.Errorf("store closed, queue message: %d %s", w.Code, w.Body)
	}
}

// Queue messages carry Aliyun pushes of any kind, one record or an array,
// and need no token.
func TestCallbackQueue(t *testing.T) {
	c := newCallback(t, CallbackTokens{})
	sms := c.send(t, "aliyun", notify.SMS, "900619746936498444^0")
	call := c.send(t, "aliyun", notify.Voice, "116012354148^102813780001")
	single := strings.Trim(fmt.Sprintf(smsReportBody, phone, sms.ProviderID), "[]")
	checkAck(t, "SmsReport, one record", c.queued(CallbackQueuePath, single), report.AliyunAck)
	checkAck(t, "SmsReport again, as an array", c.queued(CallbackQueuePath, "["+single+"]"), report.AliyunAck)
	checkAck(t, "VoiceReport", c.queued(CallbackQueuePath, fmt.Sprintf(voiceReportBody, phone, call.ProviderID)), report.AliyunAck)
	checkAck(t, "SmsUp", c.queued(CallbackQueuePath, fmt.Sprintf(smsUpBody, phone, "77")), report.AliyunAck)
	for _, m := range []*notify.Message{sms, call} {
		if got := c.status(t, m.ID); got != notify.Delivered {
			t.Errorf("message %s (%s) %s after its report from the queue, want delivered", m.ID, m.Channel, got)
		}
		if rs := c.reports(t, m.ID); len(rs) != 1 {
			t.Errorf("message %s: %d reports, want 1", m.ID, len(rs))
		}
	}
	for _, body := range []string{`{"phone_number":"13800138000"}`, `[]`, `"biz_id"`, `{"biz_id":`} {
		if w := c.queued(CallbackQueuePath, body); w.Code != 400 {
			t.Errorf("queue message %s: %d %s; want 400 (dropped)", body, w.Code, w.Body)
		}
	}
	// The HTTP routes still need their token.
	if w := c.queued("/callback//aliyun/sms-report", single); w.Code != 404 {
		t.Errorf("a queue message to an HTTP route without its token: %d", w.Code)
	}
}

func TestAliyunKind(t *testing.T) {
	tests := []struct{ body, want string }{
		{fmt.Sprintf(smsReportBody, phone, "1^0"), "sms-report"},
		{strings.Trim(fmt.Sprintf(smsReportBody, phone, "1^0"), "[]"), "sms-report"},
		{fmt.Sprintf(voiceReportBody, phone, "1^1"), "voice-report"},
		{`{"call_id":"1","status_code":"200101","status_time":"2021-04-28 10:02:40"}`, "voice-report"},
		{fmt.Sprintf(smsUpBody, phone, "1"), "sms-up"},
		{` [{"content":"hi"}, {"biz_id":"1"}]`, "sms-up"}, // the first record decides
		{`{"phone_number":"13800138000"}`, ""},
		{`[]`, ""},
		{`[1]`, ""},
		{`"biz_id"`, ""},
		{`{"biz_id"`, ""},
		{``, ""},
	}
	for _, tt := range tests {
		if got := aliyunKind([]byte(tt.body)); got != tt.want {
			t.Errorf("aliyunKind(%.60s) = %q, want %q", tt.body, got, tt.want)
		}
	}
}

// countingStore is a ReportStore that counts what it is given, for the
// fuzzer: the real one would be far slower and prove nothing more here.
type countingStore struct{ reports, replies int }

func (s *countingStore) RecordReport(context.Context, notify.Report) (notify.ReportResult, error) {
	s.reports++
	return notify.ReportResult{}, nil
}

func (s *countingStore) RecordInbound(context.Context, notify.Inbound) (bool, error) {
	s.replies++
	return true, nil
}

func (s *countingStore) Reports(context.Context, string) ([]notify.Report, error) { return nil, nil }

// FuzzCallbackQueue gives any queue message to the handler. aliyunKind
// must agree with a plain decoding of the message's first record, and the
// handler must acknowledge a message only once it recorded something, and
// refuse any other with 400: never a 5xx, which would have the queue
// deliver it again and again.
func FuzzCallbackQueue(f *testing.F) {
	for _, s := range []string{
		fmt.Sprintf(smsReportBody, phone, "1^0"), fmt.Sprintf(voiceReportBody, phone, "1^1"),
		fmt.Sprintf(smsUpBody, phone, "1"), `{"biz_id":1,"success":false}`, `[{"call_id":null}]`, `[`, `[{}]`,
		` {"content":""} `, `[{"sequence_id":1,"phone_number":"+8613800138000"},{"biz_id":"2"}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		kind := aliyunKind(body)
		if json.Valid(body) {
			var first map[string]any
			var v any
			_ = json.Unmarshal(body, &v)
			switch x := v.(type) {
			case map[string]any:
				first = x
			case []any:
				if len(x) > 0 {
					first, _ = x[0].(map[string]any)
				}
			}
			want := ""
			has := func(k string) bool { _, ok := first[k]; return ok }
			switch {
			case has("biz_id"):
				want = "sms-report"
			case has("call_id"):
				want = "voice-report"
			case has("sequence_id"), has("content"), has("dest_code"):
				want = "sms-up"
			}
			if kind != want {
				t.Fatalf("aliyunKind(%q) = %q, want %q", body, kind, want)
			}
		}
		st := &countingStore{}
		h := Callback(st, CallbackTokens{}, nil)
		ctx := notify.WithOrigin(context.Background(), notify.Origin{Source: "mns-queue", MessageID: "m"})
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequestWithContext(ctx, http.MethodPost, CallbackQueuePath, bytes.NewReader(body)))
		switch {
		case w.Code == 200 && w.Body.String() == report.AliyunAck && st.reports+st.replies > 0:
		case w.Code == 400 && st.reports+st.replies == 0:
		default:
			t.Fatalf("queue message %q: reply %d %s after %d reports and %d replies recorded", body, w.Code, w.Body,
				st.reports, st.replies)
		}
	})
}

// The callback handler records a push that carries its provider's token,
// then acknowledges it as the provider expects; without the token the
// route does not exist.
func ExampleCallback() {
	st, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		panic(err)
	}
	defer st.Close()
	h := Callback(st, CallbackTokens{Aliyun: "a1b2c3d4e5f60718293a4b5c6d7e8f90"}, nil)
	body := `[{"phone_number":"13800138000","success":true,"err_code":"DELIVERED","biz_id":"900619746936498440^0"}]`
	for _, token := range []string{"a1b2c3d4e5f60718293a4b5c6d7e8f90", "guessed-0123456789abcdef"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("POST", "/callback/"+token+"/aliyun/sms-report", strings.NewReader(body)))
		fmt.Println(w.Code, strings.TrimSpace(w.Body.String()))
	}
	// Output:
	// 200 {"code":0,"msg":"接收成功"}
	// 404 {"Code":"ERROR","Message":"no such route; this function serves POST /callback/{token}/{provider}/{push}","RequestId":"null","Reason":"no_such_route"}
}

// FuzzCallbackPush gives any body to each push route, with its token: the
// reply is the provider's acknowledgement once something was recorded, or
// a 4xx with nothing recorded; never a 5xx, which the provider would
// answer by pushing the same body again and again. With a wrong token the
// route does not exist, whatever the body.
func FuzzCallbackPush(f *testing.F) {
	seeds := []string{fmt.Sprintf(smsReportBody, phone, "1^0"), fmt.Sprintf(smsUpBody, phone, "1"),
		fmt.Sprintf(voiceReportBody, phone, "1^1"),
		`[{"sid":"1","report_status":"SUCCESS","nationcode":"86","mobile":"13800138000","errmsg":"DELIVRD"}]`,
		`{"Request":{"content":"ff8080813c373cab013c94b0f0512345","status":"0","fromNum":"13800138000"}}`}
	for i, s := range seeds {
		f.Add(uint8(i), []byte(s), true)
	}
	f.Add(uint8(0), []byte(`[{}]`), false)
	const token = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
	acks := []string{report.AliyunAck, report.AliyunAck, report.AliyunAck, report.TencentAck, report.CloopenAck}
	f.Fuzz(func(t *testing.T, route uint8, body []byte, rightToken bool) {
		i := int(route) % len(CallbackRoutes)
		st := &countingStore{}
		h := Callback(st, CallbackTokens{Aliyun: token, Tencent: token, Cloopen: token}, nil)
		tok := token
		if !rightToken {
			tok = "f0e1d2c3b4a5968778695a4b3c2d1e0f"
		}
		_, p, _ := strings.Cut(CallbackRoutes[i], " ")
		p = strings.Replace(p, "{token}", tok, 1)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, p, bytes.NewReader(body)))
		recorded := st.reports + st.replies
		switch {
		case !rightToken && w.Code == 404 && recorded == 0:
		case rightToken && w.Code == 200 && strings.TrimSpace(w.Body.String()) == acks[i] && recorded > 0:
		case rightToken && w.Code/100 == 4 && recorded == 0:
		default:
			t.Fatalf("%s %q: reply %d %s after %d records", CallbackRoutes[i], body, w.Code, w.Body, recorded)
		}
	})
}
