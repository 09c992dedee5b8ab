package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/fake/aliyun/dysmsapi"
	"github.com/seed4ddb146e/notify/shared/fake/receiver"
	"github.com/seed4ddb146e/notify/shared/fake/tencentcloud"
	"github.com/seed4ddb146e/notify/shared/notify"
)

const hookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwYm9va3M="

// hooks is the callback function's service, built as callbackapp.New
// builds it, over a fake Aliyun SMS API, with a group whose webhook is a
// receiver that checks every signature itself, on a test clock.
type hooks struct {
	recv  *receiver.Receiver
	clock *clock
	env   map[string]string
	logs  *syncBuffer
}

func newHooks(t *testing.T, databaseURL string) *hooks {
	t.Helper()
	ali := httptest.NewServer(dysmsapi.New(dysmsapi.Config{AccessKeyID: escAK, AccessKeySecret: escAKSecret}))
	t.Cleanup(ali.Close)
	recv := receiver.New(hookSecret)
	rsrv := httptest.NewServer(recv)
	t.Cleanup(rsrv.Close)
	groups := fmt.Sprintf(`[{"id":"shop","channels":["sms"],"webhook":{"url":%q,"secret":%q}},
		{"id":"quiet","channels":["sms"]}]`, rsrv.URL+"/hooks?token=t0k3n", hookSecret)
	return &hooks{recv: recv, clock: &clock{t: time.Now().Add(time.Second)}, logs: new(syncBuffer),
		env: map[string]string{
			"NOTIFY_GROUPS":                   groups,
			"NOTIFY_DATABASE_URL":             databaseURL,
			"ALIBABA_CLOUD_ACCESS_KEY_ID":     escAK,
			"ALIBABA_CLOUD_ACCESS_KEY_SECRET": escAKSecret,
			"NOTIFY_ALIYUN_SMS_ENDPOINT":      ali.URL,
		}}
}

// service builds the callback function's service over a store of its own.
func (h *hooks) service(t *testing.T) (*notify.Service, notify.Store) {
	t.Helper()
	return callbackService(t, h.env, h.logs, h.clock)
}

// sendDelivered sends an SMS for group and records Aliyun's report that
// it was delivered; it returns the message id.
func sendDelivered(t *testing.T, svc *notify.Service, st notify.Store, group, phone string) string {
	t.Helper()
	ctx := t.Context()
	sent, err := svc.SendSMS(ctx, notify.SMSRequest{Credentials: notify.Credentials{GroupID: group},
		PhoneNumbers: []string{phone}, SignName: "冰鉴科技", TemplateCode: "SMS_184105379",
		Params: map[string]string{"code": "123456"}, OutID: "order-7"})
	if err != nil {
		t.Fatalf("SendSMS: %v", err)
	}
	_, err = st.(notify.ReportStore).RecordReport(ctx, notify.Report{Provider: "aliyun", Channel: notify.SMS,
		ProviderID: sent.ProviderID, Recipient: phone, Status: notify.Delivered, Code: "DELIVERED", Text: "用户接收成功"})
	if err != nil {
		t.Fatalf("RecordReport: %v", err)
	}
	return sent.MessageID
}

// delivered is sendDelivered, and then puts the test clock a second past
// the real time the store wrote the event at, if it is not already: the
// clock starts a second after newHooks, and on a busy machine the store's
// opening and the sends may take longer than that, leaving the event not
// yet due at the test's first tick.
func (h *hooks) delivered(t *testing.T, svc *notify.Service, st notify.Store, group, phone string) string {
	t.Helper()
	id := sendDelivered(t, svc, st, group, phone)
	if now := time.Now().Add(time.Second); h.clock.Now().Before(now) {
		h.clock.set(now)
	}
	return id
}

func tick(t *testing.T, svc *notify.Service) notify.TickReport {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	r, err := svc.Tick(ctx)
	if err != nil {
		t.Fatalf("Tick: %v", err)
	}
	return r
}

// webhooks returns the webhook events /status shows for message id.
func webhooks(t *testing.T, svc *notify.Service, id string) []notify.Event {
	t.Helper()
	page, err := svc.Status(t.Context(), notify.StatusRequest{Credentials: notify.Credentials{GroupID: "shop"},
		Channel: notify.SMS, MessageID: id})
	if err != nil || len(page.Messages) != 1 {
		t.Fatalf("Status(%s) = %+v, %v", id, page, err)
	}
	return page.Messages[0].Events
}

// TestWebhookRetried: a receiver that fails twice gets the event a third
// time, and then never again; every attempt carries the same id and body,
// signed as the specification says (the receiver checks it without
// shared/webhook). The retries wait as the schedule says, on the test
// clock. A group without a webhook gets nothing.
func TestWebhookRetried(t *testing.T) {
	t.Parallel()
	h := newHooks(t, "sqlite:"+filepath.Join(t.TempDir(), "notify.db"))
	svc, st := h.service(t)
	id := h.delivered(t, svc, st, "shop", "13800138000")
	h.delivered(t, svc, st, "quiet", "13800138001")
	h.recv.FailFirst(2)

	steps := []struct {
		after time.Duration
		want  int // deliveries so far
	}{
		{0, 1},               // at once: 503
		{time.Second, 1},     // not due yet (5 s, -10% to +20%)
		{7 * time.Second, 2}, // 503
		{4 * time.Minute, 2}, // not due yet (5 min)
		{3 * time.Minute, 3}, // 204
		{30 * time.Hour, 3},  // delivered: never again
		{100 * time.Hour, 3},
	}
	for i, s := range steps {
		h.clock.set(h.clock.Now().Add(s.after))
		tick(t, svc)
		if got := len(h.recv.Deliveries()); got != s.want {
			t.Fatalf("step %d (+%v): %d deliveries; want %d\n%s", i, s.after, got, s.want, h.logs)
		}
	}
	ds := h.recv.Deliveries()
	for i, d := range ds {
		if !d.Signed || d.ID != ds[0].ID || string(d.Body) != string(ds[0].Body) {
			t.Errorf("delivery %d = %+v; want signed, with the first's id and body", i, d)
		}
	}
	if taken := h.recv.Taken(); len(taken) != 1 || taken[ds[0].ID] != 1 {
		t.Errorf("taken %v; want the one event once", taken)
	}
	var body struct {
		Type string `json:"type"`
		Data struct {
			EventID   string `json:"event_id"`
			MessageID string `json:"message_id"`
			GroupID   string `json:"group_id"`
			Recipient string `json:"recipient"`
			Status    string `json:"status"`
			Code      string `json:"code"`
			OutID     string `json:"out_id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(ds[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	d := body.Data
	if body.Type != notify.EventDelivered || d.EventID != ds[0].ID || d.MessageID != id || d.GroupID != "shop" ||
		d.Recipient != "13800138000" || d.Status != "delivered" || d.Code != "DELIVERED" || d.OutID != "order-7" {
		t.Errorf("event body %s; want message.delivered of %s to 13800138000", ds[0].Body, id)
	}
	evs := webhooks(t, svc, id)
	if len(evs) != 1 || evs[0].State != notify.EventDone || evs[0].Attempts != 3 || evs[0].LastStatus != 204 {
		t.Errorf("/status webhooks = %+v; want one, delivered at the third attempt", evs)
	}
}

// TestTickShortDeadline: a run whose deadline is near, as a local ticker
// with a period of 10 s gives it (5 s), still delivers a due event.
func TestTickShortDeadline(t *testing.T) {
	t.Parallel()
	h := newHooks(t, "sqlite:"+filepath.Join(t.TempDir(), "notify.db"))
	svc, st := h.service(t)
	h.delivered(t, svc, st, "shop", "13800138000")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	r, err := svc.Tick(ctx)
	if err != nil || r.Delivered != 1 || len(h.recv.Deliveries()) != 1 {
		t.Errorf("Tick with 5 s left = %+v, %v; %d deliveries; want the event delivered", r, err, len(h.recv.Deliveries()))
	}
}

// TestWebhookDead: a receiver down for good gets the first attempt and
// every retry of the schedule, over at least 24 hours, and then the event
// is dead, as /status shows.
func TestWebhookDead(t *testing.T) {
	t.Parallel()
	h := newHooks(t, "sqlite:"+filepath.Join(t.TempDir(), "notify.db"))
	svc, st := h.service(t)
	id := h.delivered(t, svc, st, "shop", "13800138000")
	h.recv.Down(true)
	var first, last time.Time
	for range 48 * 12 { // 48 hours, a tick every 5 minutes
		n := len(h.recv.Deliveries())
		tick(t, svc)
		if len(h.recv.Deliveries()) > n {
			if first.IsZero() {
				first = h.clock.Now()
			}
			last = h.clock.Now()
		}
		h.clock.set(h.clock.Now().Add(5 * time.Minute))
	}
	if got, want := len(h.recv.Deliveries()), 1+len(notify.EventSchedule); got != want {
		t.Errorf("%d attempts; want %d", got, want)
	}
	if span := last.Sub(first); span < 24*time.Hour {
		t.Errorf("attempts over %v; want at least 24 h", span)
	}
	evs := webhooks(t, svc, id)
	if len(evs) != 1 || evs[0].State != notify.EventDead || evs[0].LastStatus != 503 || evs[0].LastError == "" {
		t.Errorf("/status webhooks = %+v; want one, dead, with the last answer", evs)
	}
}

// TestTwoTicksAtOnce: two instances deliver webhook events at once, four
// claimers in small batches, then run the scheduled work at once, on one
// PostgreSQL database; every event is delivered once. (Escalations sent
// by two instances at once: TestEscalateCodesTwoInstances.)
func TestTwoTicksAtOnce(t *testing.T) {
	t.Parallel()
	h := newHooks(t, pg.Database(t))
	a, st := h.service(t)
	b, _ := h.service(t)
	const n = 40
	want := map[string]bool{}
	for i := range n {
		want[sendDelivered(t, a, st, "shop", fmt.Sprintf("1380013%04d", i))] = true
	}
	// The store makes each event due when its report is recorded, on the
	// real clock: the test clock, which the claims read, must be past the
	// last, however long 40 sends took on a busy machine.
	h.clock.set(time.Now().Add(time.Second))
	// Small batches, so that the instances' claims interleave, then
	// whole runs of the scheduled work, which find nothing left.
	var wg sync.WaitGroup
	for _, svc := range []*notify.Service{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				claimed, _, err := svc.DeliverEvents(t.Context(), 3, 2)
				if err != nil {
					t.Errorf("DeliverEvents: %v", err)
				}
				if claimed == 0 || err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, svc := range []*notify.Service{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick(t, svc)
		}()
	}
	wg.Wait()
	taken := h.recv.Taken()
	if len(taken) != n || len(h.recv.Deliveries()) != n {
		t.Errorf("%d events taken in %d deliveries; want %d, each once", len(taken), len(h.recv.Deliveries()), n)
	}
	for id, c := range taken {
		if c != 1 {
			t.Errorf("event %s taken %d times", id, c)
		}
	}
}

// TestWebhookSaaSTask: the SaaS platform with a webhook is told of each
// task's outcome, naming the station and the task, with the report that
// settled it, and of a reply to its sign name, through the routes a
// deployment serves.
func TestWebhookSaaSTask(t *testing.T) {
	t.Parallel()
	groups := strings.Replace(saasGroups, `"channels":["sms"],`,
		`"channels":["sms"],"sign_names":["去采购报价单"],"webhook":{"url":"https://hooks.example.com/notify","secret":"`+hookSecret+`"},`, 1)
	srv, fake, st := localServerWith(t, "sqlite:"+filepath.Join(t.TempDir(), "notify.db"), map[string]string{
		"NOTIFY_GROUPS": groups,
	})
	c := saasClient{t: t, base: srv.URL}
	c.recharge("T1", 1, "0.10", "")
	task := c.addTask("T1", "13800138000")
	c.must(c.start(task))
	sends := fake.Sends()
	if len(sends) != 1 {
		t.Fatalf("Aliyun got %d sends; want 1", len(sends))
	}
	post := func(path, body string) {
		t.Helper()
		res, err := http.Post(srv.URL+"/callback/"+loadToken+"/aliyun/"+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("push %s: %d", path, res.StatusCode)
		}
	}
	post("sms-report", fmt.Sprintf(`[{"phone_number":"13800138000","send_time":"2026-12-03 10:00:00",
		"report_time":"2026-12-03 10:00:05","success":true,"err_code":"DELIVERED","err_msg":"用户接收成功",
		"sms_size":"1","biz_id":%q,"out_id":""}]`, sends[0].BizID))
	post("sms-up", `[{"phone_number":"13800138000","content":"收到","send_time":"2026-12-03 10:01:00",
		"dest_code":"1234","sequence_id":1234567890,"sign_name":"去采购报价单"}]`)
	post("sms-up", `[{"phone_number":"13800138000","content":"谁","send_time":"2026-12-03 10:02:00",
		"dest_code":"1234","sequence_id":1234567891,"sign_name":"别人的签名"}]`)
	evs, err := st.ClaimEvents(t.Context(), time.Now().Add(time.Second), time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 {
		t.Fatalf("events %+v; want the task's outcome and one reply", evs)
	}
	var outcome, reply *notify.Event
	for i := range evs {
		switch evs[i].Type {
		case notify.EventDelivered:
			outcome = &evs[i]
		case notify.EventInbound:
			reply = &evs[i]
		}
	}
	if outcome == nil || outcome.GroupID != "gm" || outcome.Station != "T1" || outcome.TaskID != task ||
		!strings.Contains(string(outcome.Body()), fmt.Sprintf(`"task":{"station_id":"T1","task_id":%d}`, task)) {
		t.Errorf("task outcome %+v; want delivered, of task %d of station T1", outcome, task)
	}
	if reply == nil || reply.GroupID != "gm" || reply.Text != "收到" || reply.Recipient != "13800138000" {
		t.Errorf("reply event %+v; want the reply to 去采购报价单, for gm", reply)
	}
}

// TestTickSettles: a message no report settles is asked about by the
// scheduled work once it is NOTIFY_STATUS_RECONCILE_AFTER old (Aliyun
// QuerySendDetails), settled as the provider says, and its group told in the same run;
// it is not asked about again, and one too young is not asked about.
func TestTickSettles(t *testing.T) {
	t.Parallel()
	h := newHooks(t, "sqlite:"+filepath.Join(t.TempDir(), "notify.db"))
	svc, st := h.service(t)
	sent, err := svc.SendSMS(t.Context(), notify.SMSRequest{Credentials: notify.Credentials{GroupID: "shop"},
		PhoneNumbers: []string{"13800138000"}, SignName: "冰鉴科技", TemplateCode: "SMS_184105379",
		Params: map[string]string{"code": "123456"}})
	if err != nil {
		t.Fatal(err)
	}
	if r := tick(t, svc); r.Checked != 0 || len(h.recv.Deliveries()) != 0 {
		t.Fatalf("a tick at once: %+v, %d deliveries; want nothing asked, nothing told", r, len(h.recv.Deliveries()))
	}
	h.clock.set(h.clock.Now().Add(6 * time.Minute))
	if r := tick(t, svc); r.Checked != 1 || r.Delivered != 1 {
		t.Fatalf("a tick 6 minutes on: %+v; want one message asked about, and its event delivered", r)
	}
	m, err := st.Message(t.Context(), sent.MessageID)
	if err != nil || m.Status != notify.Delivered {
		t.Fatalf("message %+v, %v; want delivered, as QuerySendDetails says", m, err)
	}
	h.clock.set(h.clock.Now().Add(10 * time.Minute))
	if r := tick(t, svc); r.Checked != 0 || r.Claimed != 0 {
		t.Fatalf("the next tick: %+v; want nothing asked, nothing to deliver", r)
	}
	if ds := h.recv.Deliveries(); len(ds) != 1 || !strings.Contains(string(ds[0].Body), `"status":"delivered"`) {
		t.Errorf("deliveries %+v; want the message.delivered event", ds)
	}
}

// TestTickSettlesTencent: Tencent SMS no report settles are asked about
// with PullSmsSendStatusByPhoneNumber and found by the SessionContext they
// went out with, our message id: one whose answer was lost on the way (no
// SerialNo recorded), and one that failed.
func TestTickSettlesTencent(t *testing.T) {
	t.Parallel()
	h := newHooks(t, "sqlite:"+filepath.Join(t.TempDir(), "notify.db"))
	tc := tencentcloud.Start(t, tencentcloud.Config{SecretID: escTC, SecretKey: escTCKey, SDKAppID: escTCApp})
	maps.Copy(h.env, map[string]string{"NOTIFY_SMS_PROVIDERS": "tencent", "TENCENTCLOUD_SECRET_ID": escTC,
		"TENCENTCLOUD_SECRET_KEY": escTCKey, "NOTIFY_TENCENT_SMS_APP_ID": escTCApp, "NOTIFY_TENCENT_SMS_ENDPOINT": tc.URL(),
		"NOTIFY_TEMPLATES": escTemplates})
	svc, st := h.service(t)
	send := func(phone string) notify.Sent {
		t.Helper()
		sent, err := svc.SendSMS(t.Context(), notify.SMSRequest{Credentials: notify.Credentials{GroupID: "shop"},
			PhoneNumbers: []string{phone}, SignName: "冰鉴科技", TemplateCode: "login_code",
			Params: map[string]string{"code": "123456"}})
		if err != nil && notify.KindOf(err) != notify.Ambiguous {
			t.Fatalf("SendSMS(%s): %v", phone, err)
		}
		return sent
	}
	tc.Fail(tencentcloud.AcceptThenDrop().Times(1))
	lost := send("13800138000")
	failed := send("13800138001")
	tc.SetReport(tc.Sends()[1].Statuses[0].SerialNo, tencentcloud.Report{ReportStatus: "FAIL", Description: "MK:0005"})
	if m, err := st.Message(t.Context(), lost.MessageID); err != nil || m.Status != notify.Unknown || m.ProviderID != "" {
		t.Fatalf("the send whose answer was lost: %+v, %v; want unknown, without a SerialNo", m, err)
	}
	h.clock.set(h.clock.Now().Add(6 * time.Minute))
	if r := tick(t, svc); r.Checked != 2 || r.Delivered != 2 {
		t.Fatalf("a tick 6 minutes on: %+v; want both messages asked about, both events delivered\n%s", r, h.logs)
	}
	for id, want := range map[string]notify.Status{lost.MessageID: notify.Delivered, failed.MessageID: notify.Failed} {
		if m, err := st.Message(t.Context(), id); err != nil || m.Status != want {
			t.Errorf("message %s: %+v, %v; want %s, as the pull says", id, m, err, want)
		}
	}
	if n := tc.Pulls(); n != 2 {
		t.Errorf("%d pulls; want one for each number", n)
	}
}

// TestWebhookNotForRefusal: a code refused within its cooldown is answered
// so in its reply; its webhook gets no event (docs/webhooks.md).
func TestWebhookNotForRefusal(t *testing.T) {
	t.Parallel()
	h := newHooks(t, "sqlite:"+filepath.Join(t.TempDir(), "notify.db"))
	h.env["NOTIFY_CODE_SECRET"] = escSecret
	h.env["NOTIFY_GROUPS"] = fmt.Sprintf(`[{"id":"shop","channels":["sms"],"webhook":{"url":"https://hooks.example/x","secret":%q},
		"limits":{"verification":{"per_minute":0,"per_hour":0,"per_day":0},"daily_cap":0},
		"codes":{"*":{"sign_name":"冰鉴科技","template":"SMS_184105379"}}}]`, hookSecret)
	svc, _ := h.service(t)
	req := notify.CodeRequest{Credentials: notify.Credentials{GroupID: "shop"}, PhoneNumber: "13800138000", Scene: "login"}
	if _, err := svc.SendCode(t.Context(), req); err != nil {
		t.Fatalf("first code: %v", err)
	}
	sent, err := svc.SendCode(t.Context(), req)
	if notify.AsError(err).Reason != notify.ReasonCooldown || sent.MessageID == "" {
		t.Fatalf("second code = %+v, %v; want refused for the cooldown, with a record", sent, err)
	}
	if evs := webhooks(t, svc, sent.MessageID); len(evs) != 0 {
		t.Errorf("events of the refused code's message = %+v; want none", evs)
	}
}

// TestWebhookCutOff: a delivery the run's own deadline cuts off is not
// held against the receiver: the event stays pending, without an error,
// and the next run after its lease delivers it.
func TestWebhookCutOff(t *testing.T) {
	t.Parallel()
	h := newHooks(t, "sqlite:"+filepath.Join(t.TempDir(), "notify.db"))
	svc, st := h.service(t)
	id := h.delivered(t, svc, st, "shop", "13800138000")
	h.recv.Stall(time.Minute)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if _, err := svc.Tick(ctx); err != nil {
		t.Fatalf("Tick: %v", err)
	}
	evs := webhooks(t, svc, id)
	if len(evs) != 1 || evs[0].State != notify.EventPending || evs[0].LastError != "" || evs[0].LastStatus != 0 {
		t.Fatalf("event after a run cut off mid-delivery: %+v; want pending, no error recorded", evs)
	}
	h.recv.Stall(0)
	h.clock.set(h.clock.Now().Add(notify.DefaultEventLease))
	if r := tick(t, svc); r.Delivered != 1 {
		t.Fatalf("the run after the lease: %+v; want the event delivered", r)
	}
}
