package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/app"
	callbackapp "github.com/seed4ddb146e/notify/shared/app/callback"
	"github.com/seed4ddb146e/notify/shared/config"
	"github.com/seed4ddb146e/notify/shared/fake/aliyun/dysmsapi"
	"github.com/seed4ddb146e/notify/shared/fake/aliyun/dyvmsapi"
	"github.com/seed4ddb146e/notify/shared/fake/tencentcloud"
	"github.com/seed4ddb146e/notify/shared/notify"
)

const (
	escAK, escAKSecret        = "LTAIescalateTest0001", "escalate-test-aliyun-secret-01"
	escTC, escTCKey, escTCApp = "AKIDescalateTest0001", "escalate-test-tencent-key-01", "1400007777"
	escSecret                 = "escalate-code-secret-0123456789abcdef"
	// The group's limits are off: with the default per-number limits, an
	// SMS escalated within a minute of the first is refused (docs/codes.md).
	escGroups = `[{"id":"shop","channels":["sms","tts"],"keys":["shop-key-0123456789"],
		"limits":{"verification":{"per_minute":0,"per_hour":0,"per_day":0},"voice":{"per_minute":0,"per_hour":0,"per_day":0},"daily_cap":0},
		"codes":{"login":{"sign_name":"冰鉴科技","template":"login_code","tts_template":"TTS_1","escalate_after":"45s","escalate_to":"tts"},
			"switch":{"sign_name":"冰鉴科技","template":"login_code","escalate_after":"45s","escalate_to":"next_provider"},
			"plain":{"sign_name":"冰鉴科技","template":"login_code"}}}]`
	escTemplates = `[{"name":"login_code","kind":"verification","variables":[{"name":"code","max_len":6,"chars":"digits"}],
		"ids":{"aliyun":"SMS_184105379","tencent":"1234567"}}]`
	escAfter = 45 * time.Second
)

// clock is a test clock the service reads through Deps.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// escalation is the sms function's service, built as smsapp.New builds
// it, over fake Aliyun SMS and voice and Tencent SMS, on a test clock.
type escalation struct {
	ali   *dysmsapi.Server
	voice *dyvmsapi.Server
	tc    *tencentcloud.Server
	clock *clock
	start time.Time
	logs  *syncBuffer
	env   map[string]string
}

// syncBuffer is a log two services may write at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newEscalation(t *testing.T, databaseURL string) *escalation {
	t.Helper()
	ali := dysmsapi.New(dysmsapi.Config{AccessKeyID: escAK, AccessKeySecret: escAKSecret})
	aliSrv := httptest.NewServer(ali)
	t.Cleanup(aliSrv.Close)
	voice := dyvmsapi.New(dyvmsapi.Config{AccessKeyID: escAK, AccessKeySecret: escAKSecret})
	voiceSrv := httptest.NewServer(voice)
	t.Cleanup(voiceSrv.Close)
	tc := tencentcloud.Start(t, tencentcloud.Config{SecretID: escTC, SecretKey: escTCKey, SDKAppID: escTCApp})
	start := time.Now().Truncate(time.Hour).Add(5 * time.Minute)
	return &escalation{ali: ali, voice: voice, tc: tc, clock: &clock{t: start}, start: start, logs: new(syncBuffer),
		env: map[string]string{
			"NOTIFY_GROUPS":                   escGroups,
			"NOTIFY_TEMPLATES":                escTemplates,
			"NOTIFY_CODE_SECRET":              escSecret,
			"NOTIFY_DATABASE_URL":             databaseURL,
			"ALIBABA_CLOUD_ACCESS_KEY_ID":     escAK,
			"ALIBABA_CLOUD_ACCESS_KEY_SECRET": escAKSecret,
			"NOTIFY_ALIYUN_SMS_ENDPOINT":      aliSrv.URL,
			"NOTIFY_ALIYUN_VOICE_ENDPOINT":    voiceSrv.URL,
			"TENCENTCLOUD_SECRET_ID":          escTC,
			"TENCENTCLOUD_SECRET_KEY":         escTCKey,
			"NOTIFY_TENCENT_SMS_APP_ID":       escTCApp,
			"NOTIFY_TENCENT_SMS_ENDPOINT":     tc.URL(),
		}}
}

// service builds a Service over a store of its own on the configured
// database, as the callback function's instance does.
func (e *escalation) service(t *testing.T) (*notify.Service, notify.Store) {
	t.Helper()
	return callbackService(t, e.env, e.logs, e.clock)
}

// callbackService builds the callback function's service, as
// callbackapp.New builds it (the sms function's, which sends, and the
// scheduled work's sender), over a store of its own for env, logging to
// logs, on clock.
func callbackService(t *testing.T, env map[string]string, logs io.Writer, clock *clock) (*notify.Service, notify.Store) {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	d, err := callbackapp.Deps(ctx, cfg, st, log)
	if err != nil {
		t.Fatal(err)
	}
	d.Now = clock.Now
	return notify.NewService(d), st
}

var shopKey = notify.Credentials{GroupID: "shop", Key: "shop-key-0123456789"}

// sendCode sends a code for phone and scene at the start and returns the
// first message's id and the code the fake SMS service received.
func (e *escalation) sendCode(t *testing.T, svc *notify.Service, phone, scene string) (string, string) {
	t.Helper()
	e.clock.set(e.start)
	sent, err := svc.SendCode(context.Background(), notify.CodeRequest{Credentials: shopKey, PhoneNumber: phone, Scene: scene})
	if err != nil {
		t.Fatalf("SendCode(%s, %s): %v", phone, scene, err)
	}
	sends := e.ali.Sends()
	last := sends[len(sends)-1]
	var p struct{ Code string }
	if err := json.Unmarshal([]byte(last.TemplateParam), &p); err != nil || p.Code == "" || last.PhoneNumbers[0] != phone {
		t.Fatalf("the last SMS (%+v) holds no code for %s", last, phone)
	}
	return sent.MessageID, p.Code
}

// escalate runs the scheduled work after d, as the timer does, and
// returns how many codes it escalated.
func (e *escalation) escalate(t *testing.T, svc *notify.Service, d time.Duration) int {
	t.Helper()
	e.clock.set(e.start.Add(d))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := svc.Tick(ctx)
	if err != nil {
		t.Fatalf("Tick(%v after): %v", d, err)
	}
	return r.Escalated
}

func (e *escalation) verify(t *testing.T, svc *notify.Service, phone, scene, code string, d time.Duration) notify.CodeResult {
	t.Helper()
	e.clock.set(e.start.Add(d))
	res, err := svc.VerifyCode(context.Background(), notify.VerifyRequest{Credentials: shopKey, PhoneNumber: phone, Scene: scene, Code: code})
	if err != nil {
		t.Fatalf("VerifyCode: %v", err)
	}
	return res
}

// sent counts what the fakes received: Aliyun SMS, voice calls, Tencent SMS.
func (e *escalation) sent() [3]int {
	return [3]int{len(e.ali.Sends()), len(e.voice.Calls()), len(e.tc.Sends())}
}

// checkRecord checks the record of the escalation of message first: of ch,
// through provider, its params without the code.
func checkRecord(t *testing.T, st notify.Store, first string, ch notify.Channel, provider, code string) {
	t.Helper()
	m, err := st.MessageByQueueKey(context.Background(), notify.EscalationKey(first))
	if err != nil {
		t.Fatalf("the escalation of %s: %v", first, err)
	}
	if m.Channel != ch || m.Provider != provider || m.Status != notify.Submitted || strings.Contains(m.Params, code) {
		t.Errorf("escalation record %+v; want %s, submitted through %s, without the code", m, ch, provider)
	}
}

func TestEscalateCodes(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		testEscalateCodes(t, func() string { return "sqlite:" + filepath.Join(t.TempDir(), "notify.db") })
	})
	t.Run("postgres", func(t *testing.T) { t.Parallel(); testEscalateCodes(t, func() string { return pg.Database(t) }) })
}

func testEscalateCodes(t *testing.T, database func() string) {
	t.Run("by voice", func(t *testing.T) {
		e := newEscalation(t, database())
		svc, st := e.service(t)
		first, code := e.sendCode(t, svc, "13800138000", "login")
		if n := e.escalate(t, svc, escAfter-time.Second); n != 0 || e.sent() != [3]int{1, 0, 0} {
			t.Fatalf("before escalate_after: %d claimed, sent %v; want nothing", n, e.sent())
		}
		if n := e.escalate(t, svc, escAfter); n != 1 || e.sent() != [3]int{1, 1, 0} {
			t.Fatalf("at escalate_after: %d claimed, sent %v; want one call", n, e.sent())
		}
		call := e.voice.Calls()[0]
		var p struct{ Code string }
		if err := json.Unmarshal([]byte(call.TtsParam), &p); err != nil || p.Code != code || call.TtsCode != "TTS_1" ||
			call.CalledNumber != "13800138000" {
			t.Errorf("call %+v; want TTS_1 to 13800138000 with the code the SMS carried", call)
		}
		checkRecord(t, st, first, notify.Voice, "aliyun", code)
		if res := e.verify(t, svc, "13800138000", "login", p.Code, escAfter+10*time.Second); !res.Verified {
			t.Errorf("verify the spoken code: %+v", res)
		}
		if n := e.escalate(t, svc, escAfter+20*time.Second); n != 0 || e.sent() != [3]int{1, 1, 0} {
			t.Errorf("again: %d claimed, sent %v; want nothing more", n, e.sent())
		}
		if strings.Contains(e.logs.String(), code) {
			t.Errorf("the code %s is in the log", code)
		}
	})
	t.Run("through the next provider", func(t *testing.T) {
		e := newEscalation(t, database())
		svc, st := e.service(t)
		first, code := e.sendCode(t, svc, "13800138001", "switch")
		if n := e.escalate(t, svc, escAfter-time.Millisecond); n != 0 || e.sent() != [3]int{1, 0, 0} {
			t.Fatalf("before escalate_after: %d claimed, sent %v; want nothing", n, e.sent())
		}
		if n := e.escalate(t, svc, escAfter); n != 1 || e.sent() != [3]int{1, 0, 1} {
			t.Fatalf("at escalate_after: %d claimed, sent %v; want one SMS through Tencent", n, e.sent())
		}
		s := e.tc.Sends()[0]
		if len(s.TemplateParams) != 1 || s.TemplateParams[0] != code || s.TemplateID != "1234567" || s.PhoneNumbers[0] != "+8613800138001" {
			t.Errorf("Tencent got %+v; want template 1234567 to +8613800138001 with the code the first SMS carried", s)
		}
		checkRecord(t, st, first, notify.SMS, "tencent", code)
		// The first message's code: one code, either message.
		if res := e.verify(t, svc, "13800138001", "switch", code, escAfter+time.Second); !res.Verified {
			t.Errorf("verify the code: %+v", res)
		}
		if n := e.escalate(t, svc, 2*escAfter); n != 0 || e.sent() != [3]int{1, 0, 1} {
			t.Errorf("again: %d claimed, sent %v; want nothing more", n, e.sent())
		}
		if strings.Contains(e.logs.String(), code) {
			t.Errorf("the code %s is in the log", code)
		}
	})
	t.Run("never", func(t *testing.T) {
		e := newEscalation(t, database())
		svc, st := e.service(t)
		// Verified before escalate_after.
		_, verified := e.sendCode(t, svc, "13800138002", "login")
		if res := e.verify(t, svc, "13800138002", "login", verified, 10*time.Second); !res.Verified {
			t.Fatalf("verify: %+v", res)
		}
		// Delivered: a report says so before escalate_after.
		delivered, _ := e.sendCode(t, svc, "13800138003", "login")
		m, err := st.Message(context.Background(), delivered)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := st.RecordReport(context.Background(), notify.Report{Provider: "aliyun", Channel: notify.SMS, ProviderID: m.ProviderID,
			Recipient: "13800138003", Status: notify.Delivered, Code: "DELIVERED", At: e.start.Add(5 * time.Second)})
		if err != nil || rs.Status != notify.Delivered {
			t.Fatalf("RecordReport(delivered) = %+v, %v", rs, err)
		}
		// A scene that does not escalate.
		e.sendCode(t, svc, "13800138004", "plain")
		// The delivered code is claimed, and not sent.
		if n := e.escalate(t, svc, escAfter); n != 1 || e.sent() != [3]int{3, 0, 0} {
			t.Errorf("at escalate_after: %d claimed, sent %v; want the delivered one claimed, nothing sent", n, e.sent())
		}
		// Expired before any timer ran.
		e2 := newEscalation(t, database())
		svc2, _ := e2.service(t)
		e2.sendCode(t, svc2, "13800138005", "login")
		if n := e2.escalate(t, svc2, notify.DefaultCodeTTL); n != 0 || e2.sent() != [3]int{1, 0, 0} {
			t.Errorf("after expiry: %d claimed, sent %v; want nothing", n, e2.sent())
		}
		if n := e.escalate(t, svc, 2*escAfter); n != 0 {
			t.Errorf("again: %d claimed, want none", n)
		}
	})
}

// TestEscalateCodesTwoInstances runs EscalateCodes on two services, each
// with its own pool on one PostgreSQL database, at once: every due code is
// called once.
func TestEscalateCodesTwoInstances(t *testing.T) {
	t.Parallel()
	e := newEscalation(t, pg.Database(t))
	a, _ := e.service(t)
	b, _ := e.service(t)
	const codes = 12
	for i := range codes {
		e.sendCode(t, a, fmt.Sprintf("138001381%02d", i), "login")
	}
	e.clock.set(e.start.Add(escAfter))
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		claimed int
		start   = make(chan struct{})
	)
	for _, svc := range []*notify.Service{a, b, a, b} {
		wg.Go(func() {
			<-start
			for {
				n, err := svc.EscalateCodes(context.Background(), 2)
				if err != nil {
					t.Errorf("EscalateCodes: %v", err)
					return
				}
				if n == 0 {
					return
				}
				mu.Lock()
				claimed += n
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	calls := e.voice.Calls()
	seen := map[string]int{}
	for _, c := range calls {
		seen[c.CalledNumber]++
	}
	if claimed != codes || len(calls) != codes || len(seen) != codes {
		t.Errorf("%d claimed, %d calls to %d numbers; want %d of each, every number called once", claimed, len(calls), len(seen), codes)
	}
}

// A group whose key is configured as its hash has its codes escalated
// all the same: the gateway sends as itself, without the raw key.
func TestEscalateCodesHashedKey(t *testing.T) {
	t.Parallel()
	e := newEscalation(t, "sqlite:"+filepath.Join(t.TempDir(), "notify.db"))
	sum := sha256.Sum256([]byte(shopKey.Key.Reveal()))
	e.env["NOTIFY_GROUPS"] = strings.Replace(escGroups, shopKey.Key.Reveal(), "sha256:"+hex.EncodeToString(sum[:]), 1)
	svc, st := e.service(t)
	first, code := e.sendCode(t, svc, "13800138000", "login")
	if n := e.escalate(t, svc, escAfter); n != 1 || e.sent() != [3]int{1, 1, 0} {
		t.Fatalf("at escalate_after: %d claimed, sent %v; want one call; log:\n%s", n, e.sent(), e.logs)
	}
	checkRecord(t, st, first, notify.Voice, "aliyun", code)
}
