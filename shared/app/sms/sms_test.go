package sms_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/app/apptest"
	smsapp "github.com/seed4ddb146e/notify/shared/app/sms"
	"github.com/seed4ddb146e/notify/shared/fake/aliyun/acs"
	"github.com/seed4ddb146e/notify/shared/fake/aliyun/dysmsapi"
	"github.com/seed4ddb146e/notify/shared/notify"
)

const (
	akID     = "LTAI5tTestKeyId"
	akSecret = "test-secret-9f8e7d6c5b4a"
	apiKey   = "bearer-key-0123456789abcdef"
)

// groups are the test groups. bc-fumin sends the legacy API's example code
// to one number again and again: its per-number limits are off
// (limits_test.go has its own group).
const groups = `[
 {"id":"bc-fumin","channels":["sms"],"limits":{"verification":{"per_minute":0,"per_hour":0,"per_day":0}}},
 {"id":"keyed","channels":["sms"],"sign_names":["冰鉴科技"],"templates":["SMS_184105379"],"keys":["` + apiKey + `"]},
 {"id":"mail-only","channels":["mail"]}
]`

// gateway is the sms function wired as in production, over a fake Dysmsapi
// and a real SQLite file.
type gateway struct {
	*apptest.Function
	fake *dysmsapi.Server
}

func newGateway(t testing.TB, env map[string]string) *gateway {
	t.Helper()
	fake := dysmsapi.New(dysmsapi.Config{AccessKeyID: akID, AccessKeySecret: akSecret})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	f := apptest.Build(t, smsapp.New, apptest.Merge(map[string]string{
		"NOTIFY_GROUPS":                   groups,
		"ALIBABA_CLOUD_ACCESS_KEY_ID":     akID,
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET": akSecret,
		"NOTIFY_ALIYUN_SMS_ENDPOINT":      srv.URL,
	}, env))
	return &gateway{Function: f, fake: fake}
}

type reply struct {
	Code, Message, RequestId, BizId, MessageId, Reason, Field string
	Sandbox                                                   bool
}

func (g *gateway) post(t testing.TB, body string, hdr map[string]string, timeout time.Duration) (int, reply, http.Header) {
	t.Helper()
	var rep reply
	status, h := g.Post(t, "/sms", body, hdr, timeout, &rep)
	return status, rep, h
}

// seedBody is the legacy API's own example call (docs/legacy.md).
const seedBody = `{"GroupID":"bc-fumin","PhoneNumbers":18683441008,"SignName":"冰鉴科技","TemplateCode":"SMS_184105379","TemplateParam":"654321"}`

func TestSeedCallerSends(t *testing.T) {
	t.Parallel()
	g := newGateway(t, nil)
	status, rep, _ := g.post(t, seedBody, nil, 5*time.Second)
	if status != 200 || rep.Code != "OK" || rep.Message != "OK" || rep.BizId == "" || rep.RequestId == "" || rep.MessageId == "" {
		t.Fatalf("reply %d %+v; want 200 OK with BizId, RequestId and MessageId", status, rep)
	}
	sends := g.fake.Sends()
	if len(sends) != 1 {
		t.Fatalf("fake got %d sends, want 1", len(sends))
	}
	s := sends[0]
	if s.BizID != rep.BizId || s.RequestID != rep.RequestId {
		t.Errorf("reply BizId %s RequestId %s; fake sent %s %s", rep.BizId, rep.RequestId, s.BizID, s.RequestID)
	}
	if got := strings.Join(s.PhoneNumbers, ","); got != "18683441008" || s.SignName != "冰鉴科技" ||
		s.TemplateCode != "SMS_184105379" || s.TemplateParam != `{"code":"654321"}` {
		t.Errorf("fake received %+v", s)
	}
	m := g.Record(t, rep.MessageId)
	if m.Status != notify.Submitted || m.Provider != "aliyun" || m.ProviderID != rep.BizId || m.RequestID != rep.RequestId ||
		m.GroupID != "bc-fumin" || m.Channel != notify.SMS || m.Template != "SMS_184105379" || m.Params != `{"code":"654321"}` ||
		m.Sandbox || len(m.Recipients) != 1 {
		t.Errorf("record = %+v", m)
	}
}

func TestKeyedGroup(t *testing.T) {
	t.Parallel()
	g := newGateway(t, nil)
	body := `{"GroupID":"keyed","PhoneNumbers":["13800138000","+85261234567"],"SignName":"冰鉴科技","TemplateCode":"SMS_184105379","TemplateParam":{"code":"1234"},"OutId":"order-7"}`
	status, rep, _ := g.post(t, body, map[string]string{"Authorization": "Bearer " + apiKey}, 5*time.Second)
	if status != 200 || rep.Code != "OK" {
		t.Fatalf("reply %d %+v", status, rep)
	}
	s := g.fake.Sends()[0]
	if got := strings.Join(s.PhoneNumbers, ","); got != "13800138000,0085261234567" || s.OutID != "order-7" {
		t.Errorf("fake received numbers %q OutId %q", got, s.OutID)
	}
	if strings.Contains(g.Logs.String(), apiKey) {
		t.Error("the API key appears in the logs")
	}
}

// Every refusal before the provider: the status, Reason and Field, and the
// provider never called.
func TestRefusals(t *testing.T) {
	t.Parallel()
	g := newGateway(t, nil)
	// ok returns a valid body with some fields replaced by raw JSON
	// values, given as "Field", value pairs; a nil value drops the field.
	ok := func(kv ...any) string {
		fields := map[string]any{"GroupID": "bc-fumin", "PhoneNumbers": "13800138000", "SignName": "s",
			"TemplateCode": "SMS_1", "TemplateParam": map[string]string{"code": "1"}}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(fields, kv[i].(string))
			} else {
				fields[kv[i].(string)] = json.RawMessage(kv[i+1].(string))
			}
		}
		b, err := json.Marshal(fields)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	many := make([]string, 1001)
	for i := range many {
		many[i] = fmt.Sprintf("138%08d", i)
	}
	tests := []struct {
		name   string
		body   string
		hdr    map[string]string
		status int
		reason string
		field  string
	}{
		{"unknown group", ok("GroupID", `"nobody"`), nil, 401, "unknown_group", "GroupID"},
		{"missing group", ok("GroupID", nil), nil, 400, "missing_field", "GroupID"},
		{"channel not allowed", ok("GroupID", `"mail-only"`), nil, 403, "channel_not_allowed", "GroupID"},
		{"missing key", `{"GroupID":"keyed","PhoneNumbers":"13800138000","SignName":"冰鉴科技","TemplateCode":"SMS_184105379"}`, nil,
			401, "missing_key", "Authorization"},
		{"wrong key", `{"GroupID":"keyed","PhoneNumbers":"13800138000","SignName":"冰鉴科技","TemplateCode":"SMS_184105379"}`,
			map[string]string{"Authorization": "Bearer wrong-key-0123456789abcdef"}, 401, "wrong_key", "Authorization"},
		{"sign not allowed", `{"GroupID":"keyed","PhoneNumbers":"13800138000","SignName":"other","TemplateCode":"SMS_184105379"}`,
			map[string]string{"Authorization": "Bearer " + apiKey}, 403, "sign_name_not_allowed", "SignName"},
		{"template not allowed", `{"GroupID":"keyed","PhoneNumbers":"13800138000","SignName":"冰鉴科技","TemplateCode":"SMS_2"}`,
			map[string]string{"Authorization": "Bearer " + apiKey}, 403, "template_not_allowed", "TemplateCode"},
		{"empty numbers", ok("PhoneNumbers", `""`), nil, 400, "missing_field", "PhoneNumbers"},
		{"invalid number", ok("PhoneNumbers", `"12345,13800138000"`), nil, 400, "invalid_phone", "PhoneNumbers"},
		{"1001 numbers", ok("PhoneNumbers", `"`+strings.Join(many, ",")+`"`), nil, 400, "too_many", "PhoneNumbers"},
		{"params not an object", ok("TemplateParam", `["1"]`), nil, 400, "invalid_field", "TemplateParam"},
		{"params over 500 characters", ok("TemplateParam", `{"v":"`+strings.Repeat("x", 500)+`"}`), nil,
			400, "too_long", "TemplateParam"},
		{"malformed JSON", `{"GroupID":`, nil, 400, "invalid_json", ""},
		{"empty body", ``, nil, 400, "empty_body", ""},
		{"body over 64 KiB", ok("Pad", `"`+strings.Repeat("x", 64<<10)+`"`), nil, 413, "body_too_large", ""},
		{"not JSON", ok(), map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415,
			"unsupported_media_type", "Content-Type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, rep, _ := g.post(t, tt.body, tt.hdr, 5*time.Second)
			if status != tt.status || rep.Reason != tt.reason || rep.Field != tt.field {
				t.Fatalf("reply %d %+v; want %d reason %s field %s", status, rep, tt.status, tt.reason, tt.field)
			}
			if rep.Code != "ERROR" || rep.RequestId != "null" || rep.BizId != "null" || rep.Message == "" {
				t.Errorf("reply %+v does not keep the legacy API's error shape", rep)
			}
			if tt.field != "" && !strings.Contains(rep.Message, tt.field) {
				t.Errorf("Message %q does not name the field %s", rep.Message, tt.field)
			}
		})
	}
	if n := g.fake.Requests(); n != 0 {
		t.Errorf("the provider was called %d times for refused requests", n)
	}
}

func TestMissingContentTypeIsJSON(t *testing.T) {
	t.Parallel()
	g := newGateway(t, nil)
	if status, rep, _ := g.post(t, seedBody, map[string]string{"Content-Type": ""}, 5*time.Second); status != 200 {
		t.Fatalf("reply %d %+v", status, rep)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	g := newGateway(t, nil)
	w := httptest.NewRecorder()
	g.Handler.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/sms", nil))
	if w.Code != 405 || w.Header().Get("Allow") != "POST" || !strings.Contains(w.Body.String(), `"Reason":"method_not_allowed"`) {
		t.Errorf("GET /sms: %d %v %s", w.Code, w.Header(), w.Body)
	}
	w = httptest.NewRecorder()
	g.Handler.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/nowhere", nil))
	if w.Code != 404 || !strings.Contains(w.Body.String(), `"Reason":"no_such_route"`) {
		t.Errorf("POST /nowhere: %d %s", w.Code, w.Body)
	}
}

// Each fault of the provider gives the documented status, and a record in
// the right state.
func TestProviderFaults(t *testing.T) {
	tests := []struct {
		name    string
		fault   acs.Fault
		timeout time.Duration
		status  int
		code    string
		reason  string
		record  notify.Status
		sends   int // sends the fake accepted
	}{
		{"isv rejection", acs.Business("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号"), 5 * time.Second, 400,
			"isv.MOBILE_NUMBER_ILLEGAL", "provider_rejected", notify.Failed, 0},
		{"flow control", acs.Business("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1"), 5 * time.Second, 429,
			"isv.BUSINESS_LIMIT_CONTROL", "provider_throttled", notify.Failed, 0},
		{"balance", acs.Business("isv.AMOUNT_NOT_ENOUGH", "账户余额不足"), 5 * time.Second, 502,
			"isv.AMOUNT_NOT_ENOUGH", "provider_account", notify.Failed, 0},
		{"gateway 4xx", acs.Gateway(400, "Throttling.User", "Request was denied due to user flow control."), 5 * time.Second, 429,
			"Throttling.User", "provider_throttled", notify.Failed, 0},
		{"5xx", acs.Unavailable(), 5 * time.Second, 502, "ServiceUnavailable", "provider_unavailable", notify.Failed, 0},
		{"slow past the deadline", acs.Slow(3 * time.Second), 300 * time.Millisecond, 504, "ERROR", "provider_outcome_unknown", notify.Unknown, 1},
		// The SDK reports a body that is not JSON without its status: the
		// request may have reached Aliyun behind the proxy.
		{"HTML from a proxy", acs.NotJSON(502), 5 * time.Second, 504, "ERROR", "provider_outcome_unknown", notify.Unknown, 0},
		{"text on 200", acs.NotJSON(200), 5 * time.Second, 504, "ERROR", "provider_outcome_unknown", notify.Unknown, 0},
		{"dropped connection", acs.Drop(), 5 * time.Second, 504, "ERROR", "provider_outcome_unknown", notify.Unknown, 0},
		{"accepted, then dropped", acs.AcceptThenDrop(), 5 * time.Second, 504, "ERROR", "provider_outcome_unknown", notify.Unknown, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGateway(t, nil)
			g.fake.Fail(tt.fault)
			start := time.Now()
			status, rep, hdr := g.post(t, seedBody, nil, tt.timeout)
			if status != tt.status || rep.Code != tt.code || rep.Reason != tt.reason {
				t.Fatalf("reply %d %+v; want %d Code %s Reason %s", status, rep, tt.status, tt.code, tt.reason)
			}
			if status == 429 && hdr.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
			if tt.timeout < time.Second && time.Since(start) > 2*time.Second {
				t.Errorf("the reply took %v; the deadline was %v", time.Since(start), tt.timeout)
			}
			if rep.MessageId == "" {
				t.Fatal("no MessageId in the reply: the caller cannot look the record up")
			}
			m := g.Record(t, rep.MessageId)
			if m.Status != tt.record || m.Provider != "aliyun" || m.ErrorCode == "" {
				t.Errorf("record status %s provider %s error %s/%s; want %s with an error code", m.Status, m.Provider,
					m.ErrorCode, m.ErrorText, tt.record)
			}
			if tt.code != "ERROR" && (rep.Message == "" || m.ErrorCode != tt.code) {
				t.Errorf("provider code not kept: reply %+v, record code %s", rep, m.ErrorCode)
			}
			if tt.sends > 0 {
				waitSends(t, g.fake, tt.sends)
			} else if n := len(g.fake.Sends()); n != 0 {
				t.Errorf("fake accepted %d sends, want 0", n)
			}
		})
	}
}

// waitSends waits for a slow fake to finish a send that the gateway gave up on.
func waitSends(t *testing.T, f *dysmsapi.Server, n int) {
	t.Helper()
	if !apptest.Wait(func() bool { return len(f.Sends()) >= n }) || len(f.Sends()) != n {
		t.Errorf("fake accepted %d sends, want %d", len(f.Sends()), n)
	}
}

// A wrong secret is caught by the fake's signature check, as Aliyun would.
func TestWrongSecret(t *testing.T) {
	t.Parallel()
	g := newGateway(t, map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_SECRET": "not-the-secret"})
	status, rep, _ := g.post(t, seedBody, nil, 5*time.Second)
	if status != 502 || rep.Code != "SignatureDoesNotMatch" || rep.Reason != "provider_account" {
		t.Fatalf("reply %d %+v; want 502 SignatureDoesNotMatch", status, rep)
	}
	if strings.Contains(g.Logs.String(), "not-the-secret") || strings.Contains(rep.Message, "not-the-secret") {
		t.Error("the secret appears in logs or reply")
	}
}

// A store failure before sending: nothing is sent and the caller gets 503.
func TestStoreDownBeforeSend(t *testing.T) {
	t.Parallel()
	g := newGateway(t, nil)
	g.Store.Close()
	status, rep, _ := g.post(t, seedBody, nil, 5*time.Second)
	if status != 503 || rep.Reason != "store_unavailable" || rep.MessageId != "" {
		t.Fatalf("reply %d %+v; want 503 store_unavailable", status, rep)
	}
	if n := g.fake.Requests(); n != 0 {
		t.Errorf("the provider was called %d times with the store down", n)
	}
}

// Without Aliyun credentials the sandbox takes the message and says so.
func TestSandbox(t *testing.T) {
	t.Parallel()
	g := newGateway(t, map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": "", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ""})
	status, rep, _ := g.post(t, seedBody, nil, 5*time.Second)
	if status != 200 || rep.Code != "OK" || !rep.Sandbox || !strings.HasPrefix(rep.BizId, "sandbox-") ||
		!strings.Contains(rep.Message, "sandbox") {
		t.Fatalf("reply %d %+v; want a labelled sandbox OK", status, rep)
	}
	if m := g.Record(t, rep.MessageId); !m.Sandbox || m.Provider != "sandbox" || m.Status != notify.Submitted {
		t.Errorf("record = %+v", m)
	}
	if g.fake.Requests() != 0 {
		t.Error("the sandbox called Aliyun")
	}
	if strings.Contains(g.Logs.String(), "654321") {
		t.Error("the verification code appears in the logs")
	}
}

// The handler is also served over real HTTP, as the local server does.
func TestOverHTTP(t *testing.T) {
	t.Parallel()
	g := newGateway(t, nil)
	srv := httptest.NewServer(g.Handler)
	defer srv.Close()
	res, err := http.Post(srv.URL+"/sms", "application/json", strings.NewReader(seedBody))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json; charset=utf-8" || !bytes.Contains(b, []byte(`"Code":"OK"`)) {
		t.Errorf("POST /sms: %d %s %s", res.StatusCode, res.Header.Get("Content-Type"), b)
	}
}

// postQueued serves body as the platform replays a queue message: with its
// Origin in the context.
func (g *gateway) postQueued(t *testing.T, body, messageID string) (int, reply) {
	t.Helper()
	ctx := notify.WithOrigin(context.Background(), notify.Origin{Source: "sqs", MessageID: messageID})
	r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/sms", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	g.Handler.ServeHTTP(w, r)
	var rep reply
	if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil {
		t.Fatalf("reply %d is not JSON: %q", w.Code, w.Body)
	}
	return w.Code, rep
}

// A queue message delivered again is never sent twice; one whose first
// delivery failed for a reason worth retrying is sent on the next.
func TestQueueRedelivery(t *testing.T) {
	t.Parallel()
	t.Run("sent, then delivered twice more", func(t *testing.T) {
		g := newGateway(t, nil)
		var first reply
		for i := 0; i < 3; i++ {
			status, rep := g.postQueued(t, seedBody, "m-1")
			if status != 200 || rep.Code != "OK" {
				t.Fatalf("delivery %d: %d %+v", i+1, status, rep)
			}
			if i == 0 {
				first = rep
			} else if rep.MessageId != first.MessageId || rep.BizId != first.BizId {
				t.Errorf("delivery %d answered %+v, want the first delivery's %+v", i+1, rep, first)
			}
		}
		if n := len(g.fake.Sends()); n != 1 {
			t.Errorf("the provider sent %d messages, want 1", n)
		}
		if _, rep := g.postQueued(t, seedBody, "m-2"); rep.MessageId == first.MessageId {
			t.Error("another queue message was taken for the first")
		}
	})
	t.Run("sent, failed by a report, then delivered again", func(t *testing.T) {
		g := newGateway(t, nil)
		status, first := g.postQueued(t, seedBody, "m-1")
		if status != 200 || first.BizId == "" {
			t.Fatalf("first delivery: %d %+v", status, first)
		}
		// The carrier could not deliver it: the provider took it all the
		// same, and a redelivery must not send it again.
		if _, err := g.Store.RecordReport(context.Background(), notify.Report{Provider: "aliyun", Channel: notify.SMS,
			ProviderID: first.BizId, Recipient: "18683441008", Status: notify.Failed, Code: "MK:0001"}); err != nil {
			t.Fatal(err)
		}
		if m := g.Record(t, first.MessageId); m.Status != notify.Failed {
			t.Fatalf("after the report: %s, want failed", m.Status)
		}
		status, rep := g.postQueued(t, seedBody, "m-1")
		if status != 200 || rep.MessageId != first.MessageId || rep.BizId != first.BizId {
			t.Errorf("redelivery answered %d %+v, want the first delivery's %+v", status, rep, first)
		}
		if n := len(g.fake.Sends()); n != 1 {
			t.Errorf("the provider sent %d messages, want 1", n)
		}
	})
	t.Run("no id, no IdempotencyKey: sent each time, with a warning", func(t *testing.T) {
		g := newGateway(t, nil)
		for range 2 {
			if status, rep := g.postQueued(t, seedBody, ""); status != 200 {
				t.Fatalf("delivery: %d %+v", status, rep)
			}
		}
		if n := len(g.fake.Sends()); n != 2 || strings.Count(g.Logs.String(), "put an IdempotencyKey in the body") != 2 {
			t.Errorf("%d sends, logs:\n%s\nwant 2 and a warning for each", n, g.Logs)
		}
		keyed := strings.Replace(seedBody, `{`, `{"IdempotencyKey":"k-1",`, 1)
		for range 2 {
			g.postQueued(t, keyed, "")
		}
		if n := len(g.fake.Sends()); n != 3 || strings.Count(g.Logs.String(), "put an IdempotencyKey in the body") != 2 {
			t.Errorf("with an IdempotencyKey, %d sends in all; want 3, and no more warnings", n)
		}
	})
	t.Run("failed retryably, then sent", func(t *testing.T) {
		g := newGateway(t, nil)
		g.fake.Fail(acs.Unavailable().Times(3)) // down for every try of one request
		if status, rep := g.postQueued(t, seedBody, "m-1"); status != 502 {
			t.Fatalf("first delivery: %d %+v, want 502 (retryable)", status, rep)
		}
		status, rep := g.postQueued(t, seedBody, "m-1")
		if status != 200 || len(g.fake.Sends()) != 1 {
			t.Fatalf("second delivery: %d %+v, %d sends; want it sent once", status, rep, len(g.fake.Sends()))
		}
	})
	t.Run("in doubt, then delivered again", func(t *testing.T) {
		g := newGateway(t, nil)
		g.fake.Fail(acs.AcceptThenDrop().Times(1))
		status, rep := g.postQueued(t, seedBody, "m-1")
		if status != 202 || rep.Reason != "provider_outcome_unknown" {
			t.Fatalf("first delivery: %d %+v, want 202 (kept, not retried)", status, rep)
		}
		status, rep2 := g.postQueued(t, seedBody, "m-1")
		if status != 202 || rep2.Reason != "redelivered_in_doubt" || rep2.MessageId != rep.MessageId {
			t.Fatalf("second delivery: %d %+v", status, rep2)
		}
		if n := len(g.fake.Sends()); n != 1 {
			t.Errorf("the provider accepted %d sends, want 1", n)
		}
	})
	t.Run("refused for good is recorded", func(t *testing.T) {
		g := newGateway(t, nil)
		status, rep := g.postQueued(t, `{"GroupID":"bc-fumin","PhoneNumbers":"12345","SignName":"s","TemplateCode":"T"}`, "m-bad")
		if status != 400 || rep.MessageId == "" {
			t.Fatalf("reply %d %+v; want 400 with the refusal's record id", status, rep)
		}
		m := g.Record(t, rep.MessageId)
		if m.Status != notify.Failed || m.ErrorCode != "invalid_phone" || m.GroupID != "bc-fumin" || m.QueueKey != "sqs:m-bad" {
			t.Errorf("record %+v", m)
		}
		if g.fake.Requests() != 0 {
			t.Error("the provider was called")
		}
	})
}

// Concurrent deliveries of one queue message: exactly one send.
func TestQueueConcurrentDeliveries(t *testing.T) {
	t.Parallel()
	g := newGateway(t, nil)
	g.fake.Fail(acs.Slow(200 * time.Millisecond).Times(1))
	type result struct {
		status int
		rep    reply
	}
	results := make(chan result, 8)
	for i := 0; i < 8; i++ {
		go func() {
			status, rep := g.postQueued(t, seedBody, "m-same")
			results <- result{status, rep}
		}()
	}
	ok := 0
	for i := 0; i < 8; i++ {
		r := <-results
		switch r.status {
		case 200:
			ok++
		case 409, 202: // in flight elsewhere; the queue retries later
		default:
			t.Errorf("reply %d %+v", r.status, r.rep)
		}
	}
	if ok < 1 || len(g.fake.Sends()) != 1 {
		t.Errorf("%d OK replies, %d sends; want at least one OK and exactly one send", ok, len(g.fake.Sends()))
	}
}

// A producer-given IdempotencyKey in the body names a queue message across
// queue message ids: the same key delivered under two ids is sent once.
func TestQueueProducerKey(t *testing.T) {
	t.Parallel()
	g := newGateway(t, nil)
	body := strings.Replace(seedBody, `"GroupID"`, `"IdempotencyKey":"order-7","GroupID"`, 1)
	_, first := g.postQueued(t, body, "sqs-id-1")
	status, second := g.postQueued(t, body, "mns-id-2")
	if status != 200 || second.MessageId != first.MessageId || len(g.fake.Sends()) != 1 {
		t.Errorf("second delivery %d %+v (first %+v), %d sends; want the first answer and one send", status, second, first,
			len(g.fake.Sends()))
	}
	if m := g.Record(t, first.MessageId); m.QueueKey != "key:bc-fumin:order-7" {
		t.Errorf("queue key %q", m.QueueKey)
	}
}

// TestCountryCodeWithoutPlus: a mainland number with its country code and
// no plus, 8618683441008, which Aliyun's SendSms takes (as it takes +86
// and 0086) and legacy callers passed on to it, is sent to the number.
func TestCountryCodeWithoutPlus(t *testing.T) {
	t.Parallel()
	g := newGateway(t, nil)
	body := strings.Replace(seedBody, `18683441008`, `"8618683441008,8613800138000"`, 1)
	status, rep, _ := g.post(t, body, nil, 5*time.Second)
	if status != 200 || rep.Code != "OK" {
		t.Fatalf("reply %d %+v; want 200 OK", status, rep)
	}
	if s := g.fake.Sends(); len(s) != 1 || strings.Join(s[0].PhoneNumbers, ",") != "18683441008,13800138000" {
		t.Errorf("fake received %+v; want the two mainland numbers", s)
	}
}
