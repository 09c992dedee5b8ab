package app_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/seed4ddb146e/notify/shared/app"
	smsapp "github.com/seed4ddb146e/notify/shared/app/sms"
	"github.com/seed4ddb146e/notify/shared/config"
	"github.com/seed4ddb146e/notify/shared/fake/aliyun/acs"
	"github.com/seed4ddb146e/notify/shared/notify"
)

// multiGroups is escGroups's group with per-number limits on: three
// verification SMS an hour to a number, whatever the scene.
const multiGroups = `[{"id":"shop","channels":["sms","tts"],"keys":["shop-key-0123456789"],
	"limits":{"verification":{"per_minute":0,"per_hour":3,"per_day":0},"daily_cap":0},
	"codes":{"*":{"sign_name":"冰鉴科技","template":"login_code"}}}]`

// instances builds n services of the sms function, each over a store of
// its own (its own pool) on one database, as n function instances are.
func (e *escalation) instances(t *testing.T, n int) []*notify.Service {
	t.Helper()
	svcs := make([]*notify.Service, n)
	for i := range svcs {
		svcs[i], _ = callbackService(t, e.env, io.Discard, e.clock)
	}
	return svcs
}

// sendsTo counts the SMS the fake Aliyun took for number.
func (e *escalation) sendsTo(number string) int {
	n := 0
	for _, s := range e.ali.Sends() {
		if s.PhoneNumbers[0] == number {
			n++
		}
	}
	return n
}

// TestCodeSendsManyInstances sends codes for one number and scene from
// four instances at once: the cooldown lets exactly one through, and the
// provider gets exactly one SMS.
func TestCodeSendsManyInstances(t *testing.T) {
	e := newEscalation(t, pg.Database(t))
	e.env["NOTIFY_GROUPS"] = multiGroups
	svcs := e.instances(t, 4)
	const rounds, senders = 10, 12
	for round := range rounds {
		phone := fmt.Sprintf("138001380%02d", round)
		var (
			mu sync.Mutex
			ok int
		)
		atOnce(senders, func(i int) {
			_, err := svcs[i%len(svcs)].SendCode(context.Background(), notify.CodeRequest{Credentials: shopKey,
				PhoneNumber: phone, Scene: "login"})
			mu.Lock()
			defer mu.Unlock()
			switch e := notify.AsError(err); {
			case err == nil:
				ok++
			case e.Kind == notify.Throttled && (e.Reason == notify.ReasonCooldown || e.Reason == notify.ReasonRateLimited):
			default:
				t.Errorf("round %d: SendCode: %v", round, err)
			}
		})
		if n := e.sendsTo(phone); ok != 1 || n != 1 {
			t.Fatalf("round %d: %d of %d sends of one code from %d instances succeeded, %d SMS sent; want 1 and 1",
				round, ok, senders, len(svcs), n)
		}
	}
}

// TestCodeLimitManyInstances sends codes for one number, each for a scene
// of its own (no cooldown between them), from four instances at once: the
// number's limit of three an hour holds exactly, at the provider too.
func TestCodeLimitManyInstances(t *testing.T) {
	e := newEscalation(t, pg.Database(t))
	e.env["NOTIFY_GROUPS"] = multiGroups
	svcs := e.instances(t, 4)
	const rounds, senders = 6, 12
	for round := range rounds {
		phone := fmt.Sprintf("139001390%02d", round)
		var (
			mu sync.Mutex
			ok int
		)
		atOnce(senders, func(i int) {
			_, err := svcs[i%len(svcs)].SendCode(context.Background(), notify.CodeRequest{Credentials: shopKey,
				PhoneNumber: phone, Scene: fmt.Sprintf("scene%d", i)})
			mu.Lock()
			defer mu.Unlock()
			switch e := notify.AsError(err); {
			case err == nil:
				ok++
			case e.Kind == notify.Throttled:
			default:
				t.Errorf("round %d: SendCode: %v", round, err)
			}
		})
		if n := e.sendsTo(phone); ok != 3 || n != 3 {
			t.Fatalf("round %d: %d of %d codes to one number from %d instances succeeded, %d SMS sent; want 3 and 3",
				round, ok, senders, len(svcs), n)
		}
	}
}

// TestCodeVerifyManyInstances checks one right code from four instances
// at once, and a wrong one beside it: exactly one check is verified.
func TestCodeVerifyManyInstances(t *testing.T) {
	e := newEscalation(t, pg.Database(t))
	e.env["NOTIFY_GROUPS"] = multiGroups
	svcs := e.instances(t, 4)
	const rounds, checkers = 10, 12
	for round := range rounds {
		phone := fmt.Sprintf("137001370%02d", round)
		_, code := e.sendCode(t, svcs[0], phone, "login")
		wrong := strings.Repeat("0", len(code))
		if wrong == code {
			wrong = strings.Repeat("1", len(code))
		}
		var (
			wg       sync.WaitGroup
			start    = make(chan struct{})
			mu       sync.Mutex
			verified int
		)
		for i := range checkers {
			guess := code
			if i%3 == 2 {
				guess = wrong
			}
			wg.Go(func() {
				<-start
				res, err := svcs[i%len(svcs)].VerifyCode(context.Background(), notify.VerifyRequest{Credentials: shopKey,
					PhoneNumber: phone, Scene: "login", Code: guess})
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					t.Errorf("round %d: VerifyCode: %v", round, err)
				}
				if res.Verified {
					if guess != code {
						t.Errorf("round %d: a wrong code verified", round)
					}
					verified++
				}
			})
		}
		close(start)
		wg.Wait()
		if verified > 1 {
			t.Fatalf("round %d: %d of %d checks of one code from %d instances verified; want at most 1", round, verified, checkers, len(svcs))
		}
	}
}

// gate holds the fake provider's answers while armed: each request that
// comes is announced on arrived and waits for release.
type gate struct {
	next     http.Handler
	armed    atomic.Bool
	arrived  chan struct{}
	release  chan struct{}
	requests atomic.Int64
}

func newGate(next http.Handler) *gate {
	return &gate{next: next, arrived: make(chan struct{}, 64), release: make(chan struct{})}
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.requests.Add(1)
	if g.armed.Load() {
		g.arrived <- struct{}{}
		<-g.release
	}
	g.next.ServeHTTP(w, r)
}

// gated is escalation's harness with the fake Aliyun SMS, the only SMS
// provider, behind a gate.
func gated(t *testing.T) (*escalation, *gate) {
	t.Helper()
	e := newEscalation(t, pg.Database(t))
	e.env["NOTIFY_GROUPS"] = multiGroups
	g := newGate(e.ali)
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	e.env["NOTIFY_ALIYUN_SMS_ENDPOINT"] = srv.URL
	e.env["NOTIFY_SMS_PROVIDERS"] = "aliyun" // every send is one the gate sees
	return e, g
}

// waitArrived waits for a held request at g.
func waitArrived(t *testing.T, g *gate) {
	t.Helper()
	select {
	case <-g.arrived:
	case <-time.After(30 * time.Second):
		t.Fatal("no request reached the provider")
	}
}

var queueSMS = notify.SMSRequest{Credentials: shopKey, PhoneNumbers: []string{"13600136000"}, SignName: "冰鉴科技",
	TemplateCode: "login_code", Params: map[string]string{"code": "123456"}}

// TestQueueRedeliveryManyInstances hands one queue message to a second
// instance while the first is at the provider, and to a third after: the
// second is told to come back (409 in_flight), the third gets the first's
// answer, and the provider got one SMS. Then it hands each of many
// messages to four instances at once.
func TestQueueRedeliveryManyInstances(t *testing.T) {
	e, g := gated(t)
	svcs := e.instances(t, 4)
	ctx := notify.WithOrigin(context.Background(), notify.Origin{Source: "sqs", MessageID: "held-1"})
	g.armed.Store(true)
	first := make(chan error, 1)
	var sent notify.Sent
	go func() {
		var err error
		sent, err = svcs[0].SendSMS(ctx, queueSMS)
		first <- err
	}()
	waitArrived(t, g)
	if s, err := svcs[1].SendSMS(ctx, queueSMS); notify.AsError(err).Reason != notify.ReasonInFlight {
		t.Errorf("a redelivery while the first is at the provider = %+v, %v; want in_flight", s, err)
	}
	g.armed.Store(false)
	close(g.release)
	if err := <-first; err != nil {
		t.Fatalf("first delivery: %v", err)
	}
	if s, err := svcs[2].SendSMS(ctx, queueSMS); err != nil || s.MessageID != sent.MessageID || s.ProviderID != sent.ProviderID {
		t.Errorf("a redelivery after = %+v, %v; want the first's answer %+v", s, err, sent)
	}
	if n := e.sendsTo("13600136000"); n != 1 {
		t.Fatalf("%d SMS sent for one queue message; want 1", n)
	}

	const rounds, deliveries = 20, 8
	for round := range rounds {
		ctx := notify.WithOrigin(context.Background(), notify.Origin{Source: "sqs", MessageID: fmt.Sprintf("race-%d", round)})
		r := queueSMS
		r.PhoneNumbers = []string{fmt.Sprintf("135001350%02d", round)}
		ids := deliverAtOnce(t, ctx, svcs, r, deliveries)
		if n := e.sendsTo(r.PhoneNumbers[0]); n != 1 || len(ids) != 1 {
			t.Fatalf("round %d: %d SMS sent for one queue message delivered %d times at once, answers %v; want 1 SMS, one answer",
				round, n, deliveries, ids)
		}
	}
}

// TestQueueRedeliveryAfterFailureManyInstances: a queue message whose
// first delivery the provider refused (nothing sent) is delivered again to
// four instances at once: it is sent again exactly once.
func TestQueueRedeliveryAfterFailureManyInstances(t *testing.T) {
	e, _ := gated(t)
	svcs := e.instances(t, 4)
	const rounds, deliveries = 10, 8
	for round := range rounds {
		ctx := notify.WithOrigin(context.Background(), notify.Origin{Source: "sqs", MessageID: fmt.Sprintf("failed-%d", round)})
		r := queueSMS
		r.PhoneNumbers = []string{fmt.Sprintf("134001340%02d", round)}
		e.ali.Fail(acs.Business("isv.AMOUNT_NOT_ENOUGH", "账户余额不足"))
		if _, err := svcs[0].SendSMS(ctx, r); err == nil {
			t.Fatalf("round %d: the first delivery went through the fault", round)
		}
		e.ali.Heal()
		ids := deliverAtOnce(t, ctx, svcs, r, deliveries)
		if n := e.sendsTo(r.PhoneNumbers[0]); n != 1 || len(ids) != 1 {
			t.Fatalf("round %d: %d SMS sent for a failed queue message delivered again %d times at once, answers %v; want 1 SMS, one answer",
				round, n, deliveries, ids)
		}
	}
}

// smsInstances builds n sms functions, each over a store of its own on e's
// database, as n function instances are.
func (e *escalation) smsInstances(t *testing.T, n int) []http.Handler {
	t.Helper()
	cfg, err := config.Load(func(k string) string { return e.env[k] })
	if err != nil {
		t.Fatal(err)
	}
	hs := make([]http.Handler, n)
	for i := range hs {
		st, err := app.LazyStore(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if hs[i], err = smsapp.New(context.Background(), cfg, st, slog.New(slog.DiscardHandler)); err != nil {
			t.Fatal(err)
		}
	}
	return hs
}

// postSMS posts body to h's POST /sms as the shop, with the Idempotency-Key
// key, and returns the status, the reply and whether it was replayed.
func postSMS(h http.Handler, key, body string) (int, string, bool) {
	req := httptest.NewRequest(http.MethodPost, "/sms", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer shop-key-0123456789")
	req.Header.Set("Idempotency-Key", key)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String(), rec.Header().Get("Idempotent-Replayed") == "true"
}

func smsBody(number string) string {
	return `{"GroupID":"shop","PhoneNumbers":"` + number + `","SignName":"冰鉴科技","TemplateCode":"login_code","TemplateParam":"{\"code\":\"123456\"}"}`
}

// TestIdempotencyKeyManyInstances sends one request with an
// Idempotency-Key to a second instance while the first is at the
// provider, and to a third after: the second is 409, another body with the
// key 422, the third the first's reply again; the provider got one SMS.
// Then it sends each of many requests to four instances at once.
func TestIdempotencyKeyManyInstances(t *testing.T) {
	e, g := gated(t)
	hs := e.smsInstances(t, 4)
	body := smsBody("13300133000")
	g.armed.Store(true)
	type reply struct {
		status int
		body   string
	}
	first := make(chan reply, 1)
	go func() {
		status, body, _ := postSMS(hs[0], "held", body)
		first <- reply{status, body}
	}()
	waitArrived(t, g)
	if status, reply, _ := postSMS(hs[1], "held", body); status != http.StatusConflict {
		t.Errorf("the same request while the first is at the provider = %d %s; want 409", status, reply)
	}
	if status, reply, _ := postSMS(hs[2], "held", smsBody("13300133001")); status != http.StatusUnprocessableEntity {
		t.Errorf("another request with the key while the first is at the provider = %d %s; want 422", status, reply)
	}
	g.armed.Store(false)
	close(g.release)
	r := <-first
	if r.status != http.StatusOK {
		t.Fatalf("first request = %d %s", r.status, r.body)
	}
	if status, reply, replayed := postSMS(hs[3], "held", body); status != r.status || reply != r.body || !replayed {
		t.Errorf("the same request after = %d %s (replayed %v); want the first's reply %s again", status, reply, replayed, r.body)
	}
	if n := e.sendsTo("13300133000"); n != 1 {
		t.Fatalf("%d SMS sent for one request with an Idempotency-Key; want 1", n)
	}

	const rounds, retries = 20, 8
	for round := range rounds {
		number := fmt.Sprintf("132001320%02d", round)
		body := smsBody(number)
		key := fmt.Sprintf("race-%d", round)
		var (
			mu      sync.Mutex
			replies = map[string]int{}
		)
		atOnce(retries, func(i int) {
			status, reply, _ := postSMS(hs[i%len(hs)], key, body)
			mu.Lock()
			defer mu.Unlock()
			switch status {
			case http.StatusOK:
				replies[reply]++
			case http.StatusConflict:
			default:
				t.Errorf("round %d: request %d = %d %s", round, i, status, reply)
			}
		})
		if n := e.sendsTo(number); n != 1 || len(replies) != 1 {
			t.Fatalf("round %d: %d SMS sent for one request sent %d times at once with its key, replies %v; want 1 SMS, one reply",
				round, n, retries, replies)
		}
	}
}

// TestSaaSManyInstances starts each of a station's tasks from four
// instances at once, while the provider refuses some sends (their units
// come back) and the station is recharged, each recharge twice at once
// with one deal code: every task is sent once, the balance is what was
// bought less what was sent, and the ledger adds up to it.
func TestSaaSManyInstances(t *testing.T) {
	db := pg.Database(t)
	first, fake, _ := localServerWith(t, db, map[string]string{"NOTIFY_GROUPS": saasGroups})
	fakeSrv := httptest.NewServer(fake)
	t.Cleanup(fakeSrv.Close)
	urls := []string{first.URL}
	for range 3 {
		srv, _, _ := localServerWith(t, db, map[string]string{"NOTIFY_GROUPS": saasGroups,
			"NOTIFY_ALIYUN_SMS_ENDPOINT": fakeSrv.URL}) // the same fake behind every instance
		urls = append(urls, srv.URL)
	}
	c := saasClient{t: t, base: urls[0]}
	const units, tasks, starts, recharges = 12, 20, 4, 3
	c.recharge("T1", units, "1.20", "")
	ids := make([]int64, tasks)
	for i := range ids {
		ids[i] = c.addTask("T1", fmt.Sprintf("138001381%02d", i))
	}
	fake.Fail(acs.Business("isv.AMOUNT_NOT_ENOUGH", "账户余额不足").Times(5))
	var (
		wg                   sync.WaitGroup
		start                = make(chan struct{})
		sentTasks            sync.Map
		sent, broke, refused atomic.Int32
		conflicts, recharged atomic.Int32
	)
	for i, id := range ids {
		for j := range starts {
			wg.Go(func() {
				<-start
				switch status, rep := (saasClient{t: t, base: urls[(i+j)%len(urls)]}).start(id); {
				case status == 200:
					sent.Add(1)
					sentTasks.Store(id, true)
				case status == 402 && rep.Code == 40200:
					broke.Add(1)
				case status == 409:
					conflicts.Add(1)
				case status == 400 && rep.Code == 40001, status == 502:
					refused.Add(1)
				default:
					t.Errorf("start %d: %d %+v", id, status, rep)
				}
			})
		}
	}
	for i := range recharges {
		for j := range 2 {
			wg.Go(func() {
				<-start
				cl := saasClient{t: t, base: urls[(i+j)%len(urls)]}
				status, rep := cl.post("/sms/recharge_record/create", fmt.Sprintf(`{"combo_id":4,"station_id":"T1",
					"recharge_nums":2,"recharge_money":"0.20","operator_name":"superadmin","deal_code":"deal-%d"}`, i))
				if status != 200 || rep.Code != 0 {
					t.Errorf("recharge %d: %d %+v", i, status, rep)
				}
				recharged.Add(1)
			})
		}
	}
	close(start)
	wg.Wait()
	bought := int64(units + 2*recharges)
	balance := c.balance("T1")
	sends := int64(len(fake.Sends()))
	t.Logf("%d sent, %d refused by the provider, %d without units, %d in conflict; %d SMS; balance %d of %d bought",
		sent.Load(), refused.Load(), broke.Load(), conflicts.Load(), sends, balance, bought)
	tasksSent := int64(0)
	sentTasks.Range(func(any, any) bool { tasksSent++; return true })
	if tasksSent != sends || balance != bought-sends || balance < 0 {
		t.Errorf("%d tasks answered sent, %d SMS sent, balance %d; want as many SMS as tasks sent, and a balance of %d less them",
			tasksSent, sends, balance, bought)
	}
	if sum := ledgerSum(t, db, "T1"); sum != balance {
		t.Errorf("the ledger adds up to %d; the balance is %d", sum, balance)
	}
	perNumber := map[string]int{}
	for _, s := range fake.Sends() {
		if perNumber[s.PhoneNumbers[0]]++; perNumber[s.PhoneNumbers[0]] > 1 {
			t.Errorf("task to %s sent twice", s.PhoneNumbers[0])
		}
	}
}

// ledgerSum adds up station's ledger in the database at db.
func ledgerSum(t *testing.T, db, station string) int64 {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var sum int64
	if err := conn.QueryRow(t.Context(), `SELECT COALESCE(sum(units), 0) FROM saas_ledger WHERE station_id = $1`, station).Scan(&sum); err != nil {
		t.Fatal(err)
	}
	return sum
}

// answerGate passes each request to the fake provider at once, and holds
// the provider's answer, while armed, until release: the send is at the
// provider, its outcome not yet written.
type answerGate struct {
	next    http.Handler
	armed   atomic.Bool
	arrived chan struct{}
	release chan struct{}
}

func (g *answerGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !g.armed.Load() {
		g.next.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	g.next.ServeHTTP(rec, r)
	g.arrived <- struct{}{}
	<-g.release
	maps.Copy(w.Header(), rec.Header())
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// TestReportBeforeOutcomeManyInstances sends an SMS through one instance
// and, while the provider's answer is held (the provider has the message,
// the record has no BizId yet), pushes its report to another: the report
// is kept, and the message ends as the report says once the outcome is
// written, whichever status it says.
func TestReportBeforeOutcomeManyInstances(t *testing.T) {
	db := pg.Database(t)
	callbacks, fake, st := localServerWith(t, db, nil)
	g := &answerGate{next: fake, arrived: make(chan struct{}, 1)}
	gateSrv := httptest.NewServer(g)
	t.Cleanup(gateSrv.Close)
	sender, _, _ := localServerWith(t, db, map[string]string{"NOTIFY_ALIYUN_SMS_ENDPOINT": gateSrv.URL})
	client := &http.Client{Timeout: 30 * time.Second}
	for round := range 10 {
		number := fmt.Sprintf("131001310%02d", round)
		g.release = make(chan struct{})
		g.armed.Store(true)
		type reply struct {
			status int
			rep    struct{ Code, BizId, MessageId string }
		}
		done := make(chan reply, 1)
		go func() {
			var r reply
			r.status = postJSON(client, sender.URL+"/sms", `{"GroupID":"load","PhoneNumbers":"`+number+
				`","SignName":"notify","TemplateCode":"SMS_0001","TemplateParam":"123456"}`, &r.rep)
			done <- r
		}()
		select {
		case <-g.arrived:
		case <-time.After(30 * time.Second):
			t.Fatal("the send never reached the provider")
		}
		sends := fake.Sends()
		biz := sends[len(sends)-1].BizID
		success, code, want := "true", "DELIVERED", notify.Delivered
		if round%2 == 1 {
			success, code, want = "false", "IS_CLOSE", notify.Failed
		}
		body := `[{"phone_number":"` + number + `","send_time":"2026-11-24 10:00:00","report_time":"2026-11-24 10:00:03",` +
			`"success":` + success + `,"err_code":"` + code + `","err_msg":"x","sms_size":"1","biz_id":"` + biz + `"}]`
		var ack struct{ Code *int }
		if status := postJSON(client, callbacks.URL+"/callback/"+loadToken+"/aliyun/sms-report", body, &ack); status != 200 ||
			ack.Code == nil || *ack.Code != 0 {
			t.Fatalf("round %d: report push = %d", round, status)
		}
		g.armed.Store(false)
		close(g.release)
		r := <-done
		if r.status != 200 || r.rep.BizId != biz {
			t.Fatalf("round %d: send = %d %+v", round, r.status, r.rep)
		}
		m, err := st.Message(context.Background(), r.rep.MessageId)
		if err != nil {
			t.Fatal(err)
		}
		reports, err := st.(notify.ReportStore).Reports(context.Background(), m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if m.Status != want || m.ProviderID != biz || len(reports) != 1 {
			t.Errorf("round %d: message %s after its report came before its outcome: %s with %d reports; want %s with 1",
				round, m.ID, m.Status, len(reports), want)
		}
	}
}

// TestCodeAttemptsManyInstances checks one code with wrong guesses from
// four instances at once: exactly the policy's checks are counted, each
// mismatch with its own number of checks left, and then the code is void,
// the right code too.
func TestCodeAttemptsManyInstances(t *testing.T) {
	e := newEscalation(t, pg.Database(t))
	e.env["NOTIFY_GROUPS"] = multiGroups
	svcs := e.instances(t, 4)
	const rounds, guesses, maxAttempts = 10, 12, 5 // NOTIFY_CODE_MAX_ATTEMPTS's default
	for round := range rounds {
		phone := fmt.Sprintf("136001360%02d", round)
		_, code := e.sendCode(t, svcs[0], phone, "login")
		wrong := strings.Repeat("0", len(code))
		if wrong == code {
			wrong = strings.Repeat("1", len(code))
		}
		var (
			mu   sync.Mutex
			left = map[int]int{}
		)
		atOnce(guesses, func(i int) {
			res, err := svcs[i%len(svcs)].VerifyCode(context.Background(), notify.VerifyRequest{Credentials: shopKey,
				PhoneNumber: phone, Scene: "login", Code: wrong})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				t.Errorf("round %d: VerifyCode: %v", round, err)
			case res.Verified:
				t.Errorf("round %d: a wrong code verified", round)
			case res.Reason == notify.CodeMismatch:
				left[res.AttemptsLeft]++
			}
		})
		for n := range maxAttempts {
			if left[n] != 1 {
				t.Errorf("round %d: mismatches by checks left %v; want one each of 0 to %d", round, left, maxAttempts-1)
				break
			}
		}
		if res := e.verify(t, svcs[1], phone, "login", code, time.Second); res.Verified {
			t.Fatalf("round %d: the right code verified after %d wrong guesses at once: %+v", round, guesses, res)
		}
	}
}

// deliverAtOnce delivers the queue message r (its origin in ctx) n times at
// once, round robin over svcs, and counts the answers that sent it by
// message and provider id; an answer other than that or 409 in_flight is
// an error of the test.
func deliverAtOnce(t *testing.T, ctx context.Context, svcs []*notify.Service, r notify.SMSRequest, n int) map[string]int {
	t.Helper()
	var (
		mu  sync.Mutex
		ids = map[string]int{}
	)
	atOnce(n, func(i int) {
		s, err := svcs[i%len(svcs)].SendSMS(ctx, r)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err == nil:
			ids[s.MessageID+"/"+s.ProviderID]++
		case notify.AsError(err).Reason != notify.ReasonInFlight:
			t.Errorf("delivery %d of %s: %v", i, r.PhoneNumbers[0], err)
		}
	})
	return ids
}

// atOnce runs f(0) to f(n-1), each on a goroutine of its own, let go
// together once all have started, and returns when all have returned.
func atOnce(n int, f func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			f(i)
		})
	}
	close(start)
	wg.Wait()
}
