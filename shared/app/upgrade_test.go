package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/seed4ddb146e/notify/shared/config"
	"github.com/seed4ddb146e/notify/shared/console"
	"github.com/seed4ddb146e/notify/shared/fake/aliyun/dysmsapi"
	"github.com/seed4ddb146e/notify/shared/fake/receiver"
	"github.com/seed4ddb146e/notify/shared/notify"
)

// The fixtures of TestUpgrade, in testdata/upgrade, were written by the
// code of bcc1b67 (2026-12-05, the schema before migration 011 on
// PostgreSQL, 012 on SQLite: no taken, no answer), through its Service
// and store, over the fake Dysmsapi, on a clock at 2026-12-05 08:00 UTC:
// bcc1b67.db, a SQLite file, and bcc1b67.sql, pg_dump --inserts of a
// PostgreSQL database (its psql meta-commands left out). Each .json next
// to them holds the ids that code returned, the code it sent, and its
// clock at the end. The group "shop" (upgradeGroups) has a webhook.
// testdata/upgrade/maker_test.go.txt is the test that wrote them, in
// shared/app of a worktree of bcc1b67 (FIXTURE_URL names the database,
// FIXTURE_IDS the .json).
//
//   - del: sent from queue message q-del, reported delivered, its
//     message.delivered event delivered.
//   - fail: sent from q-fail, reported failed (MOBILE_NOT_ON_SERVICE),
//     its message.failed event pending after one failed attempt.
//   - sub: sent from q-sub, submitted, no report.
//   - ref: q-ref refused before it was recorded (RecordRefusal).
//   - acc: recorded from q-acc, accepted, never finished (its process
//     died mid-send).
//   - unk: recorded from q-unk, finished unknown.
//   - code_message: a code sent for 13800138009, scene "plain"; code is
//     the code.
//   - task_message: task 1 of station st-1, started: 3 units spent, its
//     message submitted.
//
// And an Idempotency-Key "idem-1" (hash "h1") completed 200, a recharge
// of 100 units for station st-1, and a quota window
// "fixture:13800138000" with one use.
const upgradeGroups = `[{"id":"shop","channels":["sms"],"keys":["shop-key-0123456789"],
	"limits":{"verification":{"per_minute":0,"per_hour":0,"per_day":0},"daily_cap":0},
	"codes":{"plain":{"sign_name":"冰鉴科技","template":"login_code"}},
	"webhook":{"url":%q,"secret":%q}}]`

// TestUpgrade opens a database the code before migrations 011 to 013
// (PostgreSQL; 012 to 014 on SQLite) wrote, with this code, which
// migrates it, and checks that every record reads as it was written, and
// that this code's sends, verifications and scheduled work on the old
// records do what they would have done on its own: nothing sent twice,
// no event delivered twice, the pending one delivered once.
func TestUpgrade(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		b, err := os.ReadFile("testdata/upgrade/bcc1b67.db")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "notify.db")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		checkUpgrade(t, "sqlite:"+path, "testdata/upgrade/bcc1b67.db.json")
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		dump, err := os.ReadFile("testdata/upgrade/bcc1b67.sql")
		if err != nil {
			t.Fatal(err)
		}
		url := pg.Database(t)
		conn, err := pgx.Connect(t.Context(), url)
		if err != nil {
			t.Fatal(err)
		}
		_, err = conn.Exec(t.Context(), string(dump))
		conn.Close(context.Background())
		if err != nil {
			t.Fatalf("load the dump: %v", err)
		}
		checkUpgrade(t, url, "testdata/upgrade/bcc1b67.sql.json")
	})
}

func checkUpgrade(t *testing.T, databaseURL, idsFile string) {
	b, err := os.ReadFile(idsFile)
	if err != nil {
		t.Fatal(err)
	}
	var ids map[string]string
	if err := json.Unmarshal(b, &ids); err != nil {
		t.Fatal(err)
	}
	made, err := time.Parse(time.RFC3339Nano, ids["now"])
	if err != nil {
		t.Fatal(err)
	}
	ali := dysmsapi.New(dysmsapi.Config{AccessKeyID: escAK, AccessKeySecret: escAKSecret})
	aliSrv := httptest.NewServer(ali)
	t.Cleanup(aliSrv.Close)
	recv := receiver.New(hookSecret)
	rsrv := httptest.NewServer(recv)
	t.Cleanup(rsrv.Close)
	// Two minutes on: past InFlightFor, within the code's 5 minutes.
	clk := &clock{t: made.Add(2 * time.Minute)}
	env := map[string]string{
		"NOTIFY_GROUPS":                   fmt.Sprintf(upgradeGroups, rsrv.URL+"/hooks", hookSecret),
		"NOTIFY_TEMPLATES":                escTemplates,
		"NOTIFY_CODE_SECRET":              escSecret,
		"NOTIFY_DATABASE_URL":             databaseURL,
		"NOTIFY_WEBHOOK_ALLOW_PRIVATE":    "true",
		"ALIBABA_CLOUD_ACCESS_KEY_ID":     escAK,
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET": escAKSecret,
		"NOTIFY_ALIYUN_SMS_ENDPOINT":      aliSrv.URL,
	}
	logs := new(syncBuffer)
	svc, st := callbackService(t, env, logs, clk)
	ctx := t.Context()

	// Every record reads as the old code wrote it; taken only where the
	// migration found a provider took a failed one.
	want := map[string]struct {
		status notify.Status
		key    string
		taken  bool
		rcpt   string // "" for none: a refusal keeps no recipient
	}{
		"del": {notify.Delivered, "sqs:q-del", false, "1"}, "fail": {notify.Failed, "sqs:q-fail", true, "1"},
		"sub": {notify.Submitted, "sqs:q-sub", false, "1"}, "ref": {notify.Failed, "sqs:q-ref", false, ""},
		"acc": {notify.Accepted, "sqs:q-acc", false, "1"}, "unk": {notify.Unknown, "sqs:q-unk", false, "1"},
		"code_message": {notify.Submitted, "", false, "1"}, "task_message": {notify.Submitted, "", false, "1"},
	}
	for name, w := range want {
		m, err := st.Message(ctx, ids[name])
		if err != nil {
			t.Fatalf("Message(%s): %v", name, err)
		}
		if m.Status != w.status || m.QueueKey != w.key || m.Taken != w.taken || m.Answer != "" || !m.AnsweredAt.IsZero() ||
			m.GroupID != "shop" || len(m.Recipients) != len(w.rcpt) || m.CreatedAt.After(made) {
			t.Errorf("%s = %+v; want status %s, queue key %q, taken %v, no answer", name, m, w.status, w.key, w.taken)
		}
	}
	if rs, err := st.Reports(ctx, ids["fail"]); err != nil || len(rs) != 1 || rs[0].Code != "MOBILE_NOT_ON_SERVICE" {
		t.Errorf("the failed message's reports = %+v, %v", rs, err)
	}
	page, err := svc.Status(ctx, notify.StatusRequest{Credentials: notify.Credentials{GroupID: "shop", Key: "shop-key-0123456789"},
		Channel: notify.SMS, MessageID: ids["del"]})
	if err != nil || len(page.Messages) != 1 || page.Messages[0].Status != notify.Delivered || len(page.Messages[0].Events) != 1 ||
		page.Messages[0].Events[0].State != notify.EventDone {
		t.Errorf("Status(del) = %+v, %v; want delivered, its event delivered", page, err)
	}

	// Each queue message delivered again, to this code.
	creds := notify.Credentials{GroupID: "shop", Key: "shop-key-0123456789"}
	redeliver := func(key string) (notify.Sent, error) {
		qctx := notify.WithOrigin(ctx, notify.Origin{Source: "sqs", MessageID: key, Attempt: 2})
		return svc.SendSMS(qctx, notify.SMSRequest{Credentials: creds, PhoneNumbers: []string{"13800138000"},
			SignName: "冰鉴科技", TemplateCode: "SMS_184105379", Params: map[string]string{"code": "123456"}})
	}
	for _, name := range []string{"del", "fail", "sub"} {
		sent, err := redeliver("q-" + name)
		if err != nil || sent.MessageID != ids[name] {
			t.Errorf("q-%s delivered again = %+v, %v; want the old record's reply", name, sent, err)
		}
	}
	for _, name := range []string{"acc", "unk"} {
		sent, err := redeliver("q-" + name)
		if notify.AsError(err).Reason != notify.ReasonRedeliveredInDoubt || sent.MessageID != ids[name] {
			t.Errorf("q-%s delivered again = %+v, %v; want %s", name, sent, err, notify.ReasonRedeliveredInDoubt)
		}
	}
	if n := len(ali.Sends()); n != 0 {
		t.Fatalf("%d sends for queue messages the old code sent or may have sent; want none", n)
	}
	// Refused before any provider saw it: sent now, once.
	if sent, err := redeliver("q-ref"); err != nil || sent.MessageID == ids["ref"] || len(ali.Sends()) != 1 {
		t.Errorf("q-ref delivered again = %+v, %v, %d sends; want a new record, sent once", sent, err, len(ali.Sends()))
	}

	// The code the old code sent verifies.
	res, err := svc.VerifyCode(ctx, notify.VerifyRequest{Credentials: creds, PhoneNumber: "13800138009", Scene: "plain",
		Code: ids["code"]})
	if err != nil || !res.Verified {
		t.Errorf("VerifyCode of the old code's code = %+v, %v", res, err)
	}
	// The old code's Idempotency-Key answers with its reply.
	now := clk.Now()
	k, err := st.ClaimIdempotency(ctx, notify.Idempotency{GroupID: "shop", Key: "idem-1", Hash: "h1", CreatedAt: now,
		ExpiresAt: now.Add(24 * time.Hour), LeaseUntil: now.Add(time.Minute)})
	if err != nil || k == nil || k.Status != 200 || !strings.Contains(string(k.Reply), ids["del"]) {
		t.Errorf("ClaimIdempotency of the old code's key = %+v, %v; want its reply", k, err)
	}
	// The station: recharged 100, 3 spent on its started task.
	if units, err := st.Balance(ctx, "shop", "st-1"); err != nil || units != 97 {
		t.Errorf("Balance = %d, %v; want 97", units, err)
	}
	day0 := time.Date(made.Year(), made.Month(), made.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
	recs, _, err := st.SendRecords(ctx, notify.SendRecordQuery{GroupID: "shop", Station: "st-1", From: day0,
		To: day0.AddDate(0, 0, 3), BusinessTypes: []int{0, 1}, Page: notify.Page{Limit: 10}})
	if err != nil || len(recs) != 1 || recs[0].MessageID != ids["task_message"] || recs[0].Status != notify.Submitted {
		t.Errorf("SendRecords = %+v, %v; want the started task, submitted", recs, err)
	}
	if tot, err := st.Totals(ctx, "shop"); err != nil || tot.Balance != 97 || tot.RechargedUnits != 100 || tot.RechargedFen != 1000 {
		t.Errorf("Totals = %+v, %v; want 97 left of 100 bought for 1000 fen", tot, err)
	}
	if dc, err := st.DayCounts(ctx, "shop", "st-1", day0, day0.AddDate(0, 0, 3)); err != nil || len(dc) != 1 ||
		dc[0].Status != notify.Submitted || dc[0].N != 1 {
		t.Errorf("DayCounts = %+v, %v; want one submitted", dc, err)
	}
	if refused, _, err := st.TakeQuotas(ctx, now, []notify.Quota{{Key: "fixture:13800138000", Max: 1, Window: 24 * time.Hour}}); err != nil || refused != 0 {
		t.Errorf("TakeQuotas at Max 1 over the old code's use = %d, %v; want refused", refused, err)
	}

	// The scheduled work: the pending event once, the delivered one never,
	// nothing sent again.
	for range 3 {
		if _, err := svc.Tick(ctx); err != nil {
			t.Fatalf("Tick: %v", err)
		}
		clk.set(clk.Now().Add(time.Minute))
	}
	ds := recv.Deliveries()
	if len(ds) != 1 || !strings.Contains(string(ds[0].Body), ids["fail"]) || !strings.Contains(string(ds[0].Body), "message.failed") {
		t.Errorf("webhook deliveries = %+v; want the failed message's pending event, once", ds)
	}
	if n := len(ali.Sends()); n != 1 {
		t.Errorf("%d sends after the scheduled work; want the one of q-ref", n)
	}

	// A report this code takes of a message the old code sent: settled and
	// taken, its event written.
	sub, err := st.Message(ctx, ids["sub"])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.RecordReport(ctx, notify.Report{Provider: "aliyun", Channel: notify.SMS, ProviderID: sub.ProviderID,
		Recipient: "13800138002", Status: notify.Failed, Code: "MOBILE_NOT_ON_SERVICE", At: clk.Now()}); err != nil {
		t.Fatal(err)
	}
	if m, err := st.Message(ctx, ids["sub"]); err != nil || m.Status != notify.Failed || !m.Taken {
		t.Errorf("the old code's submitted message after this code's failed report = %+v, %v; want failed, taken", m, err)
	}
	// Its event is written, due at the store's real time, which the test
	// clock, kept at the fixture's day, never reaches: its delivery is
	// the scheduled work's, tested elsewhere.
	subPage, err := svc.Status(ctx, notify.StatusRequest{Credentials: notify.Credentials{GroupID: "shop", Key: "shop-key-0123456789"},
		Channel: notify.SMS, MessageID: ids["sub"]})
	if err != nil || len(subPage.Messages) != 1 {
		t.Fatalf("Status(%s) = %+v, %v", ids["sub"], subPage, err)
	}
	if evs := subPage.Messages[0].Events; len(evs) != 1 || evs[0].Type != "message.failed" || evs[0].State != notify.EventPending {
		t.Errorf("the events of the old code's message after this code's failed report = %+v; want one message.failed, pending", evs)
	}
	if sent, err := redeliver("q-sub"); err != nil || sent.MessageID != ids["sub"] || len(ali.Sends()) != 1 {
		t.Errorf("q-sub delivered again after its report failed it = %+v, %v, %d sends; want its record, not sent", sent, err,
			len(ali.Sends()))
	}

	// The console's page of the delivered message: its latest status as the
	// outcome (no answer was kept then), its report, its webhook delivered.
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	kon, err := console.New(console.Config{Base: "/console/", Groups: notify.NewGroups(cfg.Groups), Store: st, Service: svc,
		Secret: []byte("a console secret of at least thirty-two bytes"), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ksrv := httptest.NewServer(kon)
	t.Cleanup(ksrv.Close)
	jar, _ := cookiejar.New(nil)
	kc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if res, err := kc.PostForm(ksrv.URL+"/console/login", url.Values{"group": {"shop"}, "key": {"shop-key-0123456789"}}); err != nil {
		t.Fatal(err)
	} else {
		res.Body.Close()
	}
	kres, err := kc.Get(ksrv.URL + "/console/messages/" + ids["del"] + "?lang=en")
	if err != nil {
		t.Fatal(err)
	}
	page2, _ := io.ReadAll(kres.Body)
	kres.Body.Close()
	body := string(page2)
	if kres.StatusCode != 200 || !strings.Contains(body, `<li class="step-outcome">`) || !strings.Contains(body, `<li class="step-report">`) ||
		!strings.Contains(body, "message.delivered") {
		t.Errorf("the console's page of the delivered message: %d\n%s", kres.StatusCode, body)
	}

	// Alidayu's querySmsDetail over the local server, on the same records.
	srv, _, _ := localServerWith(t, databaseURL, map[string]string{"NOTIFY_RETENTION_DAYS": "3650",
		"NOTIFY_GROUPS": fmt.Sprintf(upgradeGroups, rsrv.URL+"/hooks", hookSecret)})
	c := alidayuClient{t: t, base: srv.URL, key: "shop", secret: "shop-key-0123456789"}
	day := made.In(notify.Beijing).Format("20060102")
	for _, w := range []struct {
		phone, code string
		status      float64
	}{{"13800138001", "MOBILE_NOT_ON_SERVICE", 2}, {"13800138002", "MOBILE_NOT_ON_SERVICE", 2}, {"13800138003", "", 1}} {
		status, rep := c.get("/gw/alidayu/querySmsDetail", url.Values{"rec_num": {w.phone}, "query_date": {day},
			"current_page": {"1"}, "page_size": {"10"}})
		if status != 200 || rep.TotalCount != 1 || len(rep.Values) != 1 || rep.Values[0]["sms_status"] != w.status ||
			rep.Values[0]["result_code"] != w.code && w.code != "" {
			t.Errorf("querySmsDetail of %s: %d %+v; want its message, sms_status %v", w.phone, status, rep, w.status)
		}
	}
	if t.Failed() {
		io.WriteString(os.Stderr, logs.String())
	}
}
