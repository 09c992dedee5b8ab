package tts_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/app/apptest"
	ttsapp "github.com/seed4ddb146e/notify/shared/app/tts"
	"github.com/seed4ddb146e/notify/shared/fake/aliyun/acs"
	"github.com/seed4ddb146e/notify/shared/fake/aliyun/dyvmsapi"
	"github.com/seed4ddb146e/notify/shared/notify"
)

const (
	akID     = "LTAI5tVoiceKeyId"
	akSecret = "voice-secret-0a1b2c3d4e"
)

const groups = `[{"id":"bc-fmb","channels":["tts"],"templates":["TTS_134311476"]},{"id":"sms-only","channels":["sms"]}]`

type gateway struct {
	*apptest.Function
	fake *dyvmsapi.Server
}

func newGateway(t testing.TB, env map[string]string) *gateway {
	t.Helper()
	fake := dyvmsapi.New(dyvmsapi.Config{AccessKeyID: akID, AccessKeySecret: akSecret})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	f := apptest.Build(t, ttsapp.New, apptest.Merge(map[string]string{
		"NOTIFY_GROUPS":                   groups,
		"ALIBABA_CLOUD_ACCESS_KEY_ID":     akID,
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET": akSecret,
		"NOTIFY_ALIYUN_VOICE_ENDPOINT":    srv.URL,
	}, env))
	return &gateway{Function: f, fake: fake}
}

type reply struct {
	RequestId, CallId, Code, Message, MessageId, Reason, Field string
	Sandbox                                                    bool
}

func (g *gateway) post(t testing.TB, body string, timeout time.Duration) (int, reply) {
	t.Helper()
	var rep reply
	status, _ := g.Post(t, "/tts", body, nil, timeout, &rep)
	return status, rep
}

// seedBody is the legacy API's own example call (docs/legacy.md): a JSON
// number and an object.
const seedBody = `{"GroupID":"bc-fmb","CalledNumber":18683441008,"TtsCode":"TTS_134311476","TtsParam":{"errorcode":"TTS测试","count":"10"}}`

func TestSeedCallerCalls(t *testing.T) {
	t.Parallel()
	g := newGateway(t, nil)
	status, rep := g.post(t, seedBody, 5*time.Second)
	if status != 200 || rep.Code != "OK" || rep.CallId == "" || rep.RequestId == "" || rep.MessageId == "" {
		t.Fatalf("reply %d %+v", status, rep)
	}
	calls := g.fake.Calls()
	if len(calls) != 1 {
		t.Fatalf("fake got %d calls, want 1", len(calls))
	}
	c := calls[0]
	if c.CallID != rep.CallId || c.CalledNumber != "18683441008" || c.TtsCode != "TTS_134311476" ||
		c.TtsParam != `{"count":"10","errorcode":"TTS测试"}` || c.PlayTimes != nil || c.OutID != "" {
		t.Errorf("fake received %+v", c)
	}
	m := g.Record(t, rep.MessageId)
	if m.Status != notify.Submitted || m.Channel != notify.Voice || m.ProviderID != rep.CallId || m.Provider != "aliyun" {
		t.Errorf("record %+v", m)
	}
}

func TestOptionalParameters(t *testing.T) {
	t.Parallel()
	g := newGateway(t, nil)
	body := `{"GroupID":"bc-fmb","CalledNumber":"13800138000","CalledShowNumber":"057188773344","TtsCode":"TTS_134311476",
		"TtsParam":"{\"AckNum\":\"123456\"}","PlayTimes":3,"Volume":"100","Speed":-5,"OutId":"abcdefgh"}`
	if status, rep := g.post(t, body, 5*time.Second); status != 200 {
		t.Fatalf("reply %d %+v", status, rep)
	}
	c := g.fake.Calls()[0]
	if c.CalledShowNumber != "057188773344" || *c.PlayTimes != 3 || *c.Volume != 100 || *c.Speed != -5 || c.OutID != "abcdefgh" ||
		c.TtsParam != `{"AckNum":"123456"}` {
		t.Errorf("fake received %+v", c)
	}
}

func TestTTSRefusals(t *testing.T) {
	t.Parallel()
	g := newGateway(t, nil)
	with := func(kv string) string {
		return strings.Replace(`{"GroupID":"bc-fmb","CalledNumber":"13800138000","TtsCode":"TTS_134311476"}`, `"TtsCode"`, kv+`,"TtsCode"`, 1)
	}
	tests := []struct {
		name, body    string
		status        int
		reason, field string
	}{
		{"channel", `{"GroupID":"sms-only","CalledNumber":"13800138000","TtsCode":"TTS_1"}`, 403, "channel_not_allowed", "GroupID"},
		{"template", `{"GroupID":"bc-fmb","CalledNumber":"13800138000","TtsCode":"TTS_2"}`, 403, "template_not_allowed", "TtsCode"},
		{"no number", `{"GroupID":"bc-fmb","TtsCode":"TTS_134311476"}`, 400, "missing_field", "CalledNumber"},
		{"foreign number", `{"GroupID":"bc-fmb","CalledNumber":"+85261234567","TtsCode":"TTS_134311476"}`, 400, "invalid_phone", "CalledNumber"},
		{"no TtsCode", `{"GroupID":"bc-fmb","CalledNumber":"13800138000"}`, 400, "missing_field", "TtsCode"},
		{"PlayTimes 0", with(`"PlayTimes":0`), 400, "out_of_range", "PlayTimes"},
		{"PlayTimes 4", with(`"PlayTimes":4`), 400, "out_of_range", "PlayTimes"},
		{"PlayTimes text", with(`"PlayTimes":"three"`), 400, "invalid_field", "PlayTimes"},
		{"Volume 101", with(`"Volume":101`), 400, "out_of_range", "Volume"},
		{"Speed -501", with(`"Speed":-501`), 400, "out_of_range", "Speed"},
		{"OutId 16 bytes", with(`"OutId":"0123456789abcdef"`), 400, "invalid_field", "OutId"},
		{"TtsParam list", with(`"TtsParam":[1]`), 400, "invalid_field", "TtsParam"},
		{"show number", with(`"CalledShowNumber":"abc"`), 400, "invalid_field", "CalledShowNumber"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, rep := g.post(t, tt.body, 5*time.Second)
			if status != tt.status || rep.Reason != tt.reason || rep.Field != tt.field || rep.Code != "ERROR" || rep.CallId != "null" {
				t.Fatalf("reply %d %+v; want %d %s %s", status, rep, tt.status, tt.reason, tt.field)
			}
		})
	}
	if n := g.fake.Requests(); n != 0 {
		t.Errorf("the provider was called %d times", n)
	}
}

func TestTTSProviderFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fault   acs.Fault
		timeout time.Duration
		status  int
		code    string
		record  notify.Status
	}{
		{"flow control", acs.Business("isv.BUSINESS_LIMIT_CONTROL", "触发号码天级流控"), 5 * time.Second, 429, "isv.BUSINESS_LIMIT_CONTROL", notify.Failed},
		{"bad template", acs.Business("isv.TEMPLATE_MISSING_PARAMETERS", "模板缺少变量"), 5 * time.Second, 400, "isv.TEMPLATE_MISSING_PARAMETERS", notify.Failed},
		{"5xx", acs.Unavailable(), 5 * time.Second, 502, "ServiceUnavailable", notify.Failed},
		{"slow", acs.Slow(3 * time.Second), 300 * time.Millisecond, 504, "ERROR", notify.Unknown},
		{"accepted, then dropped", acs.AcceptThenDrop(), 5 * time.Second, 504, "ERROR", notify.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGateway(t, nil)
			g.fake.Fail(tt.fault)
			status, rep := g.post(t, seedBody, tt.timeout)
			if status != tt.status || rep.Code != tt.code {
				t.Fatalf("reply %d %+v; want %d %s", status, rep, tt.status, tt.code)
			}
			if m := g.Record(t, rep.MessageId); m.Status != tt.record {
				t.Errorf("record status %s, want %s", m.Status, tt.record)
			}
		})
	}
}

func TestTTSSandbox(t *testing.T) {
	t.Parallel()
	g := newGateway(t, map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": "", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ""})
	status, rep := g.post(t, seedBody, 5*time.Second)
	if status != 200 || !rep.Sandbox || !strings.HasPrefix(rep.CallId, "sandbox-") {
		t.Fatalf("reply %d %+v", status, rep)
	}
	if g.fake.Requests() != 0 {
		t.Error("the sandbox called Aliyun")
	}
}

// A call no report has settled is refreshed from QueryCallDetailByCallId.
func TestTTSStatusRefresh(t *testing.T) {
	t.Parallel()
	g := newGateway(t, map[string]string{"NOTIFY_STATUS_REFRESH_AFTER": "1ms"})
	_, sent := g.post(t, seedBody, 5*time.Second)
	time.Sleep(5 * time.Millisecond)
	r := httptest.NewRequest(http.MethodGet, "/tts/status?GroupID=bc-fmb&CallId="+url.QueryEscape(sent.CallId), nil)
	w := httptest.NewRecorder()
	g.Handler.ServeHTTP(w, r)
	var rep struct {
		Code     string
		Messages []struct {
			MessageId, Status string
			Recipients        []struct{ Recipient, Status, Code string }
		}
	}
	if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil || w.Code != 200 || len(rep.Messages) != 1 {
		t.Fatalf("reply %d %s", w.Code, w.Body)
	}
	m := rep.Messages[0]
	if m.MessageId != sent.MessageId || m.Status != "delivered" || m.Recipients[0].Code != "200000" ||
		m.Recipients[0].Recipient != "18683441008" {
		t.Errorf("refreshed call = %+v; want delivered (200000) from QueryCallDetailByCallId", m)
	}
	if rec := g.Record(t, sent.MessageId); rec.Status != notify.Delivered {
		t.Errorf("record status %s; the refresh was not recorded", rec.Status)
	}
}

// TestVoiceLimits checks Aliyun's default voice limits per number: one
// call a minute, and the configured daily count.
func TestVoiceLimits(t *testing.T) {
	t.Parallel()
	t.Run("one call a minute", func(t *testing.T) {
		g := newGateway(t, nil)
		apptest.AwayFromMinuteEnd()
		if status, rep := g.post(t, seedBody, 5*time.Second); status != 200 {
			t.Fatalf("first: %d %+v", status, rep)
		}
		status, rep := g.post(t, seedBody, 5*time.Second)
		if status != 429 || rep.Reason != "rate_limited" || len(g.fake.Calls()) != 1 {
			t.Errorf("second within the minute: %d %+v, %d calls; want 429 rate_limited and one call", status, rep, len(g.fake.Calls()))
		}
	})
	t.Run("per day", func(t *testing.T) {
		g := newGateway(t, map[string]string{"NOTIFY_GROUPS": `[{"id":"bc-fmb","channels":["tts"],
			"limits":{"voice":{"per_minute":0,"per_hour":0,"per_day":3}}}]`})
		for i := range 3 {
			if status, rep := g.post(t, seedBody, 5*time.Second); status != 200 {
				t.Fatalf("call %d: %d %+v", i+1, status, rep)
			}
		}
		if status, rep := g.post(t, seedBody, 5*time.Second); status != 429 || len(g.fake.Calls()) != 3 {
			t.Errorf("fourth: %d %+v, %d calls; want 429 and three calls", status, rep, len(g.fake.Calls()))
		}
	})
}
