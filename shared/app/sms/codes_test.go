package sms_test

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/app/apptest"
	smsapp "github.com/seed4ddb146e/notify/shared/app/sms"
	"github.com/seed4ddb146e/notify/shared/fake/aliyun/acs"
	"github.com/seed4ddb146e/notify/shared/fake/aliyun/dysmsapi"
	"github.com/seed4ddb146e/notify/shared/fake/aliyun/dyvmsapi"
	"github.com/seed4ddb146e/notify/shared/notify"
)

const (
	codeSecret = "code-secret-0123456789abcdef0123456789"
	codeGroups = `[{"id":"shop","channels":["sms","tts"],"codes":{"login":{"sign_name":"冰鉴科技","template":"SMS_184105379","tts_template":"TTS_1"}}},
		{"id":"other","channels":["sms"],"codes":{"*":{"sign_name":"冰鉴科技","template":"SMS_184105379"}}},
		{"id":"free","channels":["sms"],"codes":{"*":{"sign_name":"冰鉴科技","template":"SMS_184105379"}},
		 "limits":{"verification":{"per_minute":0,"per_hour":0,"per_day":0}}},
		{"id":"daily","channels":["sms"],"codes":{"*":{"sign_name":"冰鉴科技","template":"SMS_184105379"}},
		 "limits":{"verification":{"per_minute":0,"per_hour":0,"per_day":1}}}]`
)

// coded is the sms function with verification codes on, over fake Dysmsapi
// and Dyvmsapi services.
type coded struct {
	*apptest.Function
	sms   *dysmsapi.Server
	voice *dyvmsapi.Server
}

func newCoded(t *testing.T, env map[string]string) *coded {
	t.Helper()
	sms := dysmsapi.New(dysmsapi.Config{AccessKeyID: akID, AccessKeySecret: akSecret})
	smsSrv := httptest.NewServer(sms)
	t.Cleanup(smsSrv.Close)
	voice := dyvmsapi.New(dyvmsapi.Config{AccessKeyID: akID, AccessKeySecret: akSecret})
	voiceSrv := httptest.NewServer(voice)
	t.Cleanup(voiceSrv.Close)
	f := apptest.Build(t, smsapp.New, apptest.Merge(map[string]string{
		"NOTIFY_GROUPS":                   codeGroups,
		"NOTIFY_CODE_SECRET":              codeSecret,
		"ALIBABA_CLOUD_ACCESS_KEY_ID":     akID,
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET": akSecret,
		"NOTIFY_ALIYUN_SMS_ENDPOINT":      smsSrv.URL,
		"NOTIFY_ALIYUN_VOICE_ENDPOINT":    voiceSrv.URL,
	}, env))
	return &coded{Function: f, sms: sms, voice: voice}
}

type codeReply struct {
	Code, Message, BizId, CallId, MessageId, Reason, Field string
	ExpiresIn                                              int
	Verified                                               bool
	AttemptsLeft                                           *int
}

func (g *coded) call(t *testing.T, path, body string) (int, codeReply, string) {
	t.Helper()
	var rep codeReply
	status, h := g.Post(t, path, body, nil, 5*time.Second, &rep)
	return status, rep, h.Get("Retry-After")
}

// lastCode is the code the fake SMS service last received.
func (g *coded) lastCode(t *testing.T) string {
	t.Helper()
	sends := g.sms.Sends()
	if len(sends) == 0 {
		t.Fatal("no SMS was sent")
	}
	var p struct{ Code string }
	if err := json.Unmarshal([]byte(sends[len(sends)-1].TemplateParam), &p); err != nil || p.Code == "" {
		t.Fatalf("TemplateParam %q holds no code", sends[len(sends)-1].TemplateParam)
	}
	return p.Code
}

func sendBody(group, phone, scene string) string {
	return `{"GroupID":"` + group + `","PhoneNumber":"` + phone + `","Scene":"` + scene + `"}`
}

func verifyBody(group, phone, scene, code string) string {
	return `{"GroupID":"` + group + `","PhoneNumber":"` + phone + `","Scene":"` + scene + `","Code":"` + code + `"}`
}

func TestCodes(t *testing.T) {
	t.Run("send, then verify once", func(t *testing.T) {
		g := newCoded(t, nil)
		status, rep, _ := g.call(t, "/sms/code/send", sendBody("shop", "13800138000", "login"))
		if status != 200 || rep.Code != "OK" || rep.BizId == "" || rep.ExpiresIn != 300 || rep.MessageId == "" {
			t.Fatalf("send: %d %+v; want OK with a BizId and ExpiresIn 300", status, rep)
		}
		code := g.lastCode(t)
		if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
			t.Errorf("code %q, want 6 digits", code)
		}
		s := g.sms.Sends()[0]
		if s.SignName != "冰鉴科技" || s.TemplateCode != "SMS_184105379" {
			t.Errorf("sent with %s %s; want the group's login template", s.SignName, s.TemplateCode)
		}
		if m := g.Record(t, rep.MessageId); strings.Contains(m.Params, code) || m.Status != notify.Submitted {
			t.Errorf("record %s with params %q; want submitted, without the code", m.Status, m.Params)
		}
		status, rep, _ = g.call(t, "/sms/code/verify", verifyBody("shop", "+86 13800138000", "login", code))
		if status != 400 || rep.Field != "PhoneNumber" {
			t.Errorf("verify with a malformed number: %d %+v; want 400 on PhoneNumber", status, rep)
		}
		status, rep, _ = g.call(t, "/sms/code/verify", verifyBody("shop", "+8613800138000", "login", code))
		if status != 200 || !rep.Verified || rep.Code != "OK" {
			t.Errorf("verify: %d %+v; want verified (the number in another form is the same number)", status, rep)
		}
		status, rep, _ = g.call(t, "/sms/code/verify", verifyBody("shop", "13800138000", "login", code))
		if status != 400 || rep.Verified || rep.Reason != "not_found" {
			t.Errorf("verify again: %d %+v; want 400 not_found (single use)", status, rep)
		}
		if strings.Contains(g.Logs.String(), code) {
			t.Errorf("the code %s is in the log", code)
		}
	})
	t.Run("by voice", func(t *testing.T) {
		g := newCoded(t, nil)
		body := strings.Replace(sendBody("shop", "13800138000", "login"), `}`, `,"Channel":"tts"}`, 1)
		status, rep, _ := g.call(t, "/sms/code/send", body)
		calls := g.voice.Calls()
		if status != 200 || rep.CallId == "" || len(calls) != 1 || calls[0].TtsCode != "TTS_1" || len(g.sms.Sends()) != 0 {
			t.Fatalf("send by voice: %d %+v, calls %+v; want one call with TTS_1", status, rep, calls)
		}
		var p struct{ Code string }
		_ = json.Unmarshal([]byte(calls[0].TtsParam), &p)
		if status, rep, _ := g.call(t, "/sms/code/verify", verifyBody("shop", "13800138000", "login", p.Code)); status != 200 || !rep.Verified {
			t.Errorf("verify the spoken code: %d %+v", status, rep)
		}
	})
	t.Run("cooldown, then a new code replaces the old", func(t *testing.T) {
		g := newCoded(t, map[string]string{"NOTIFY_CODE_COOLDOWN": "1s"})
		g.call(t, "/sms/code/send", sendBody("free", "13800138000", "login"))
		first := g.lastCode(t)
		status, rep, retry := g.call(t, "/sms/code/send", sendBody("free", "13800138000", "login"))
		if status != 429 || rep.Reason != "cooldown" || retry != "1" || len(g.sms.Sends()) != 1 {
			t.Fatalf("second within the cooldown: %d %+v, Retry-After %q; want 429 cooldown, 1 s, nothing sent", status, rep, retry)
		}
		time.Sleep(1100 * time.Millisecond)
		if status, rep, _ := g.call(t, "/sms/code/send", sendBody("free", "13800138000", "login")); status != 200 {
			t.Fatalf("after the cooldown: %d %+v", status, rep)
		}
		second := g.lastCode(t)
		if first != second {
			if status, rep, _ := g.call(t, "/sms/code/verify", verifyBody("free", "13800138000", "login", first)); status == 200 || rep.Verified {
				t.Errorf("the replaced code: %d %+v; want it refused", status, rep)
			}
		}
		if status, rep, _ := g.call(t, "/sms/code/verify", verifyBody("free", "13800138000", "login", second)); status != 200 || !rep.Verified {
			t.Errorf("the new code: %d %+v; want verified", status, rep)
		}
	})
	t.Run("a send the limits refuse leaves the earlier code alone", func(t *testing.T) {
		g := newCoded(t, map[string]string{"NOTIFY_CODE_COOLDOWN": "1s"})
		g.call(t, "/sms/code/send", sendBody("daily", "13800138000", "login"))
		first := g.lastCode(t)
		time.Sleep(1100 * time.Millisecond)
		// Past the cooldown, but over the group's one code a day.
		if status, rep, _ := g.call(t, "/sms/code/send", sendBody("daily", "13800138000", "login")); status != 429 || rep.Reason != "rate_limited" {
			t.Fatalf("the second code of the day: %d %+v; want the per-number limit", status, rep)
		}
		if status, rep, _ := g.call(t, "/sms/code/verify", verifyBody("daily", "13800138000", "login", first)); status != 200 || !rep.Verified {
			t.Errorf("the first code: %d %+v; want it still verified", status, rep)
		}
	})
	t.Run("a resend that failed leaves the earlier code alive", func(t *testing.T) {
		g := newCoded(t, map[string]string{"NOTIFY_CODE_COOLDOWN": "1s"})
		g.call(t, "/sms/code/send", sendBody("free", "13800138000", "login"))
		first := g.lastCode(t)
		time.Sleep(1100 * time.Millisecond)
		// Aliyun's flow control, as a resend often meets: certainly not sent.
		g.sms.Fail(acs.Business("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1").Times(1))
		if status, rep, _ := g.call(t, "/sms/code/send", sendBody("free", "13800138000", "login")); status/100 == 2 {
			t.Fatalf("the resend: %d %+v; want it refused", status, rep)
		}
		if status, rep, _ := g.call(t, "/sms/code/verify", verifyBody("free", "13800138000", "login", first)); status != 200 || !rep.Verified {
			t.Errorf("the first code after the resend failed: %d %+v; want it verified", status, rep)
		}
	})
	t.Run("attempts", func(t *testing.T) {
		g := newCoded(t, nil)
		g.call(t, "/sms/code/send", sendBody("shop", "13800138000", "login"))
		code := g.lastCode(t)
		wrong := string('0'+(code[0]-'0'+1)%10) + code[1:]
		for i := 4; i >= 1; i-- {
			status, rep, _ := g.call(t, "/sms/code/verify", verifyBody("shop", "13800138000", "login", wrong))
			if status != 400 || rep.Reason != "mismatch" || rep.AttemptsLeft == nil || *rep.AttemptsLeft != i {
				t.Fatalf("wrong attempt: %d %+v; want mismatch with %d left", status, rep, i)
			}
		}
		status, rep, _ := g.call(t, "/sms/code/verify", verifyBody("shop", "13800138000", "login", wrong))
		if status != 429 || rep.Reason != "attempts_exceeded" {
			t.Errorf("fifth wrong attempt: %d %+v; want 429 attempts_exceeded", status, rep)
		}
		status, rep, _ = g.call(t, "/sms/code/verify", verifyBody("shop", "13800138000", "login", code))
		if status != 429 || rep.Verified {
			t.Errorf("the right code after the code is void: %d %+v; want 429", status, rep)
		}
	})
	t.Run("bound to group, number and scene", func(t *testing.T) {
		g := newCoded(t, nil)
		g.call(t, "/sms/code/send", sendBody("shop", "13800138000", "login"))
		code := g.lastCode(t)
		for _, b := range []string{verifyBody("shop", "13800138000", "register", code), verifyBody("shop", "13900139000", "login", code),
			verifyBody("other", "13800138000", "login", code)} {
			if status, rep, _ := g.call(t, "/sms/code/verify", b); status != 400 || rep.Verified || rep.Reason != "not_found" {
				t.Errorf("verify %s: %d %+v; want not_found", b, status, rep)
			}
		}
		if status, rep, _ := g.call(t, "/sms/code/verify", verifyBody("shop", "13800138000", "login", code)); status != 200 || !rep.Verified {
			t.Errorf("its own key: %d %+v", status, rep)
		}
	})
	t.Run("concurrent verifies: exactly one succeeds", func(t *testing.T) {
		g := newCoded(t, nil)
		g.call(t, "/sms/code/send", sendBody("shop", "13800138000", "login"))
		code := g.lastCode(t)
		var wg sync.WaitGroup
		var mu sync.Mutex
		verified := 0
		for range 8 {
			wg.Go(func() {
				if status, rep, _ := g.call(t, "/sms/code/verify", verifyBody("shop", "13800138000", "login", code)); status == 200 && rep.Verified {
					mu.Lock()
					verified++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if verified != 1 {
			t.Errorf("%d of 8 concurrent verifies succeeded; want exactly 1", verified)
		}
	})
	t.Run("a send that failed frees the number at once", func(t *testing.T) {
		g := newCoded(t, nil)
		g.sms.Fail(acs.Business("isv.AMOUNT_NOT_ENOUGH", "账户余额不足").Times(1))
		if status, _, _ := g.call(t, "/sms/code/send", sendBody("shop", "13800138000", "login")); status != 502 {
			t.Fatalf("send: %d; want 502", status)
		}
		if status, rep, _ := g.call(t, "/sms/code/send", sendBody("shop", "13800138000", "login")); status != 200 {
			t.Errorf("send again: %d %+v; want it sent: nothing reached the number the first time", status, rep)
		}
	})
	t.Run("refused input", func(t *testing.T) {
		g := newCoded(t, nil)
		for _, tc := range []struct{ path, body, field, reason string }{
			{"/sms/code/send", `{"GroupID":"shop","PhoneNumber":"123","Scene":"login"}`, "PhoneNumber", "invalid_phone"},
			{"/sms/code/send", `{"GroupID":"shop","PhoneNumber":"13800138000"}`, "Scene", "missing_field"},
			{"/sms/code/send", `{"GroupID":"shop","PhoneNumber":"13800138000","Scene":"log in"}`, "Scene", "invalid_field"},
			{"/sms/code/send", `{"GroupID":"shop","PhoneNumber":"13800138000","Scene":"reset"}`, "TemplateCode", "missing_field"},
			{"/sms/code/send", `{"GroupID":"shop","PhoneNumber":"13800138000","Scene":"login","Channel":"fax"}`, "Channel", "invalid_field"},
			// Voice reaches mainland numbers only: the error names the
			// code's field, not POST /tts's CalledNumber.
			{"/sms/code/send", `{"GroupID":"shop","PhoneNumber":"+85261234567","Scene":"login","Channel":"tts"}`, "PhoneNumber", "invalid_phone"},
			{"/sms/code/verify", `{"GroupID":"shop","PhoneNumber":"13800138000","Scene":"login","Code":"12ab56"}`, "Code", "invalid_code"},
			{"/sms/code/verify", `{"GroupID":"shop","PhoneNumber":"13800138000","Scene":"login"}`, "Code", "missing_field"},
		} {
			if status, rep, _ := g.call(t, tc.path, tc.body); status != 400 || rep.Field != tc.field || rep.Reason != tc.reason {
				t.Errorf("%s %s: %d %+v; want 400 %s on %s", tc.path, tc.body, status, rep, tc.reason, tc.field)
			}
		}
		if status, rep, _ := g.call(t, "/sms/code/send", sendBody("nobody", "13800138000", "login")); status != 401 {
			t.Errorf("unknown group: %d %+v", status, rep)
		}
		if len(g.sms.Sends()) != 0 {
			t.Errorf("%d sends; want none", len(g.sms.Sends()))
		}
	})
	t.Run("not configured", func(t *testing.T) {
		g := newCoded(t, map[string]string{"NOTIFY_CODE_SECRET": ""})
		status, rep, _ := g.call(t, "/sms/code/send", sendBody("shop", "13800138000", "login"))
		if status != 503 || rep.Reason != "codes_not_configured" || !strings.Contains(rep.Message, "NOTIFY_CODE_SECRET") {
			t.Errorf("send: %d %+v; want 503 naming NOTIFY_CODE_SECRET", status, rep)
		}
	})
}
