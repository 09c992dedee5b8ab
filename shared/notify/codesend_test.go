package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/fake/aliyun/dysmsapi"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/aliyunsms"
	"github.com/seed4ddb146e/notify/shared/store/sqlite"
)

// clock is a time the test moves by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type codeService struct {
	*notify.Service
	store notify.Store
	fake  *dysmsapi.Server
	clock *clock
	logs  *bytes.Buffer
}

func newCodeService(t testing.TB, opts ...func(*notify.Deps)) *codeService {
	t.Helper()
	const id, secret = "LTAI5tCodeTest", "code-test-secret-0a1b2c"
	fake := dysmsapi.New(dysmsapi.Config{AccessKeyID: id, AccessKeySecret: secret})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"} {
		t.Setenv(k, "")
	}
	sms, err := aliyunsms.New(aliyunsms.Config{AccessKeyID: id, AccessKeySecret: notify.Secret(secret), Endpoint: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "notify.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keys, err := notify.NewCodeKeyring("code-secret-0123456789abcdef0123456789")
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{now: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
	logs := new(bytes.Buffer)
	off := notify.Window{}
	d := notify.Deps{
		Groups: notify.NewGroups([]notify.Group{{ID: "shop", Channels: []notify.Channel{notify.SMS},
			Limits: &notify.Limits{Verification: off, Notification: off, Voice: off},
			Codes:  map[string]notify.CodeTemplate{notify.AnyScene: {SignName: "冰鉴科技", Template: "SMS_184105379"}}}}),
		Store: st, SMS: sms, SMSProvider: aliyunsms.Name, CodeKeys: keys,
		Log: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), Now: c.Now,
	}
	for _, o := range opts {
		o(&d)
	}
	svc := notify.NewService(d)
	return &codeService{Service: svc, store: st, fake: fake, clock: c, logs: logs}
}

func (s *codeService) send(t testing.TB, scene string) string {
	t.Helper()
	if _, err := s.SendCode(context.Background(), notify.CodeRequest{Credentials: notify.Credentials{GroupID: "shop"},
		PhoneNumber: "13800138000", Scene: scene}); err != nil {
		t.Fatalf("SendCode: %v", err)
	}
	sends := s.fake.Sends()
	var p struct{ Code string }
	if err := json.Unmarshal([]byte(sends[len(sends)-1].TemplateParam), &p); err != nil {
		t.Fatal(err)
	}
	return p.Code
}

func (s *codeService) verify(t testing.TB, scene, code string) notify.CodeResult {
	t.Helper()
	res, err := s.VerifyCode(context.Background(), notify.VerifyRequest{Credentials: notify.Credentials{GroupID: "shop"},
		PhoneNumber: "13800138000", Scene: scene, Code: code})
	if err != nil {
		t.Fatalf("VerifyCode: %v", err)
	}
	return res
}

// TestCodeTemplateByEitherName: a group whose templates name a registry
// template by its name sends codes with the template its scene names by
// its Aliyun id.
func TestCodeTemplateByEitherName(t *testing.T) {
	s := newCodeService(t, func(d *notify.Deps) {
		d.Templates = notify.NewTemplates([]notify.Template{{Name: "login_code", Kind: notify.VerificationSMS,
			Variables: []notify.Variable{{Name: "code"}}, IDs: map[string]string{notify.ProviderAliyun: "SMS_184105379"}}})
		g := d.Groups["shop"]
		g.Templates = []string{"login_code"}
	})
	code := s.send(t, "login")
	if res := s.verify(t, "login", code); !res.Verified {
		t.Errorf("verify: %+v", res)
	}
}

// TestQueueRedeliveryInFlight: a queue message delivered again while its
// record is accepted and young (another delivery may be sending it) is 409
// in_flight, which the queue retries; once the record is older than any
// send runs, the redelivery is answered as in doubt, and nothing is sent
// either way.
func TestQueueRedeliveryInFlight(t *testing.T) {
	s := newCodeService(t)
	now := s.clock.Now()
	first := &notify.Message{ID: notify.NewID(now), GroupID: "shop", Channel: notify.SMS, Recipients: []string{"13800138000"},
		SignName: "冰鉴科技", Template: "SMS_184105379", QueueKey: "sqs:m-1", Provider: aliyunsms.Name,
		Status: notify.Accepted, CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreateMessage(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	ctx := notify.WithOrigin(context.Background(), notify.Origin{Source: "sqs", MessageID: "m-1"})
	again := func() error {
		_, err := s.SendSMS(ctx, notify.SMSRequest{Credentials: notify.Credentials{GroupID: "shop"},
			PhoneNumbers: []string{"13800138000"}, SignName: "冰鉴科技", TemplateCode: "SMS_184105379"})
		return err
	}
	s.clock.Add(notify.InFlightFor - time.Second)
	if err := again(); notify.KindOf(err) != notify.Conflict || notify.AsError(err).Reason != notify.ReasonInFlight {
		t.Errorf("redelivered while the first may be sending: %v; want Conflict in_flight", err)
	}
	s.clock.Add(2 * time.Second)
	if err := again(); notify.KindOf(err) != notify.Ambiguous || notify.AsError(err).Reason != notify.ReasonRedeliveredInDoubt {
		t.Errorf("redelivered after any send would have ended: %v; want Ambiguous redelivered_in_doubt", err)
	}
	if n := len(s.fake.Sends()); n != 0 {
		t.Errorf("%d sends; want none", n)
	}
}

// TestCodeExpiry moves the clock: a code verifies until its five minutes
// are over, and not after.
func TestCodeExpiry(t *testing.T) {
	s := newCodeService(t)
	code := s.send(t, "login")
	s.clock.Add(notify.DefaultCodeTTL - time.Millisecond)
	if res := s.verify(t, "login", code); !res.Verified {
		t.Errorf("a millisecond before expiry: %+v; want verified", res)
	}
	code = s.send(t, "pay") // another scene: no cooldown between them
	s.clock.Add(notify.DefaultCodeTTL)
	if res := s.verify(t, "pay", code); res.Verified || res.Reason != notify.CodeExpired {
		t.Errorf("at expiry: %+v; want expired", res)
	}
}

// TestCodeCooldownClock checks the cooldown with the clock: refused within
// it, with the time left, and a new code after it.
func TestCodeCooldownClock(t *testing.T) {
	s := newCodeService(t)
	first := s.send(t, "login")
	s.clock.Add(45 * time.Second)
	_, err := s.SendCode(context.Background(), notify.CodeRequest{Credentials: notify.Credentials{GroupID: "shop"},
		PhoneNumber: "13800138000", Scene: "login"})
	if e := notify.AsError(err); err == nil || e.Kind != notify.Throttled || e.Reason != notify.ReasonCooldown || e.RetryAfter != 15*time.Second {
		t.Fatalf("45 s after the first: %v (retry after %v); want cooldown, 15 s left", err, e.RetryAfter)
	}
	s.clock.Add(15 * time.Second)
	second := s.send(t, "login")
	if first != second && s.verify(t, "login", first).Verified {
		t.Errorf("the first code verified after a second replaced it")
	}
	if !s.verify(t, "login", second).Verified {
		t.Errorf("the second code did not verify")
	}
	if strings.Contains(s.logs.String(), first) || strings.Contains(s.logs.String(), second) {
		t.Errorf("a code is in the log:\n%s", s.logs)
	}
}

// BenchmarkVerifyCode is one verify of a wrong code through the service:
// authorize, hash, and the store's check (SQLite).
func BenchmarkVerifyCode(b *testing.B) {
	s := newCodeService(b)
	code := s.send(b, "login")
	ctx := context.Background()
	req := notify.VerifyRequest{Credentials: notify.Credentials{GroupID: "shop"}, PhoneNumber: "13800138000", Scene: "login"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		// Every fifth check is the right code, and a new code follows it,
		// so that checks never run into a void code.
		req.Code = wrongCode(code)
		if i%5 == 4 {
			req.Code = code
		}
		res, err := s.VerifyCode(ctx, req)
		if err != nil || res.Verified != (i%5 == 4) {
			b.Fatalf("verify %d: %+v, %v", i, res, err)
		}
		if res.Verified {
			b.StopTimer()
			s.clock.Add(time.Minute)
			code = s.send(b, "login")
			b.StartTimer()
		}
		i++
	}
}

// wrongCode returns a code that is not code: its first digit moved on.
func wrongCode(code string) string {
	return string('0'+(code[0]-'0'+1)%10) + code[1:]
}
