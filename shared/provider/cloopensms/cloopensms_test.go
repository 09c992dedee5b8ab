package cloopensms_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/fake/cloopen"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/cloopensms"
)

const (
	sid   = "8a216da86f9cc12f016fa8d7b2a40a1c"
	token = "5f6e4c4b0a9d4e1f8c3b2a1d0e9f8a7b"
	appID = "8a216da86f9cc12f016fa8d7b3b20a23"
)

// at is the clock of the tests that fix it: 2013-02-01 15:53:06 in Beijing.
var at = time.Date(2013, 2, 1, 7, 53, 6, 0, time.UTC)

var message = notify.TextMessage{
	ID:           "0190c5a3a2b7000000000000000000aa",
	PhoneNumbers: []string{"13800138000"},
	SignName:     "云通讯",
	TemplateCode: "1",
	ParamList:    []string{"123456", "5"},
}

// setup starts a fake with the test account and returns it with a client
// of it; clock, when not nil, is both their clocks.
func setup(t testing.TB, clock func() time.Time) (*cloopen.Server, *cloopensms.Client) {
	t.Helper()
	fake := cloopen.New(cloopen.Config{AccountSID: sid, AuthToken: token, AppID: appID, Now: clock})
	t.Cleanup(fake.Close)
	return fake, client(t, cloopensms.Config{AccountSID: sid, AuthToken: token, AppID: appID, Endpoint: fake.URL(), Now: clock})
}

func client(t testing.TB, c cloopensms.Config) *cloopensms.Client {
	t.Helper()
	cl, err := cloopensms.New(c)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return cl
}

func fixed(t time.Time) func() time.Time { return func() time.Time { return t } }

// want checks that err is a *notify.Error of kind with the provider's code
// and message, and that it shows no secret of the fake's requests.
func want(t testing.TB, fake *cloopen.Server, err error, kind notify.Kind, code, message string) *notify.Error {
	t.Helper()
	var e *notify.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *notify.Error of kind %v", err, err, kind)
	}
	if e.Kind != kind || e.Code != code || e.Message != message || e.Op != "cloopensms.TemplateSMS" {
		t.Errorf("error = %v\n kind %v, code %q, message %q, op %q\n want %v, %q, %q, cloopensms.TemplateSMS",
			err, e.Kind, e.Code, e.Message, e.Op, kind, code, message)
	}
	noSecrets(t, fake, err)
	return e
}

// noSecrets checks that err shows neither the token nor the sig or the
// Authorization of any request the fake received.
func noSecrets(t testing.TB, fake *cloopen.Server, err error) {
	t.Helper()
	s := strings.ToLower(err.Error())
	secrets := []string{token}
	if fake != nil {
		for _, r := range fake.Requests() {
			secrets = append(secrets, r.Sig, r.Header.Get("Authorization"))
		}
	}
	for _, secret := range secrets {
		if secret != "" && strings.Contains(s, strings.ToLower(secret)) {
			t.Errorf("error %q shows the secret %q", err, secret)
		}
	}
}

func TestSendSMS(t *testing.T) {
	tests := []struct {
		name    string
		numbers []string
		params  []string
		to      []string // the numbers the fake got
	}{
		{"one number", []string{"13800138000"}, []string{"123456", "5"}, []string{"13800138000"}},
		{"several numbers", []string{"13800138000", "13900139000", "15012345678"}, []string{"654321", "10"},
			[]string{"13800138000", "13900139000", "15012345678"}},
		{"+86 form", []string{"+8613800138000"}, []string{"1"}, []string{"13800138000"}},
		{"no params", []string{"13800138000"}, nil, []string{"13800138000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, c := setup(t, nil)
			m := message
			m.PhoneNumbers, m.ParamList = tt.numbers, tt.params
			rc, err := c.SendSMS(context.Background(), m)
			if err != nil {
				t.Fatalf("SendSMS: %v", err)
			}
			sends := fake.Sends()
			if len(sends) != 1 {
				t.Fatalf("the fake accepted %d sends, want 1", len(sends))
			}
			got := sends[0]
			want := notify.Acceptance{ProviderID: got.SMSMessageSID, Code: "000000"}
			if rc.ProviderID != want.ProviderID || rc.Code != want.Code || rc.Message != "" || rc.RequestID != "" {
				t.Errorf("acceptance = %+v, want %+v", rc, want)
			}
			if len(rc.ProviderID) != 32 {
				t.Errorf("ProviderID = %q, want the fake's 32 hex digits", rc.ProviderID)
			}
			if !slices.Equal(got.To, tt.to) || got.AppID != appID || got.TemplateID != "1" || !slices.Equal(got.Datas, tt.params) {
				t.Errorf("the fake got %+v, want to %v, app %s, template 1, datas %q", got, tt.to, appID, tt.params)
			}
			if tt.params == nil && got.Datas != nil {
				t.Errorf("datas = %q, want none sent", got.Datas)
			}
		})
	}
}

// The request on the wire, with the clock fixed: every byte the notes
// specify.
func TestRequest(t *testing.T) {
	fake, c := setup(t, fixed(at))
	m := message
	m.PhoneNumbers = []string{"13800138000", "13900139000"}
	if _, err := c.SendSMS(context.Background(), m); err != nil {
		t.Fatalf("SendSMS: %v", err)
	}
	reqs := fake.Requests()
	if len(reqs) != 1 {
		t.Fatalf("the fake got %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	// printf '%s' "$sid$token"20130201155306 | md5sum; printf '%s' "$sid:20130201155306" | base64
	tests := []struct{ what, got, want string }{
		{"method", r.Method, "POST"},
		{"path", r.Path, "/2013-12-26/Accounts/" + sid + "/SMS/TemplateSMS"},
		{"sig", r.Sig, "6A64B28DC2A46AF9E241D7BCF23BE1E3"},
		{"Authorization", r.Header.Get("Authorization"), "OGEyMTZkYTg2ZjljYzEyZjAxNmZhOGQ3YjJhNDBhMWM6MjAxMzAyMDExNTUzMDY="},
		{"Accept", r.Header.Get("Accept"), "application/json"},
		{"Content-Type", r.Header.Get("Content-Type"), "application/json;charset=utf-8"},
		{"Content-Length", r.Header.Get("Content-Length"), strconv.Itoa(len(r.Body))},
		{"body", string(r.Body), `{"to":"13800138000,13900139000","appId":"` + appID + `","templateId":"1","datas":["123456","5"]}`},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.what, tt.got, tt.want)
		}
	}
}

// Every request has its own timestamp and sig.
func TestFreshSignature(t *testing.T) {
	now := at
	fake, c := setup(t, func() time.Time { return now })
	for range 2 {
		if _, err := c.SendSMS(context.Background(), message); err != nil {
			t.Fatalf("SendSMS: %v", err)
		}
		now = now.Add(time.Second)
	}
	r := fake.Requests()
	if len(r) != 2 || r[0].Sig == r[1].Sig || r[0].Header.Get("Authorization") == r[1].Header.Get("Authorization") {
		t.Errorf("two sends a second apart share a sig or Authorization: %+v", r)
	}
}

func TestFaults(t *testing.T) {
	// 15:53:06 in Beijing: a daily cap lifts at midnight, 8h6m54s later.
	const untilMidnight = 8*time.Hour + 6*time.Minute + 54*time.Second
	tests := []struct {
		fault         cloopen.Fault
		kind          notify.Kind
		code, message string
		retryAfter    time.Duration
		accepted      bool
	}{
		{fault: cloopen.Business("160038", "短信验证码发送过频繁"), kind: notify.Throttled, code: "160038", message: "短信验证码发送过频繁"},
		{fault: cloopen.Business("160039", "超出同模板同号天发送次数上限"), kind: notify.Throttled, code: "160039",
			message: "超出同模板同号天发送次数上限", retryAfter: untilMidnight},
		{fault: cloopen.Business("160040", "验证码超出同模板同号码天发送上限"), kind: notify.Throttled, code: "160040",
			message: "验证码超出同模板同号码天发送上限", retryAfter: untilMidnight},
		{fault: cloopen.Business("160041", "通知超出同模板同号码天发送上限"), kind: notify.Throttled, code: "160041",
			message: "通知超出同模板同号码天发送上限", retryAfter: untilMidnight},
		{fault: cloopen.Business("111111", "超过规定的并发数"), kind: notify.Throttled, code: "111111", message: "超过规定的并发数"},
		{fault: cloopen.Business("160000", "系统错误"), kind: notify.Transient, code: "160000", message: "系统错误"},
		{fault: cloopen.Business("111109", "请求地址Sig校验失败"), kind: notify.Account, code: "111109", message: "请求地址Sig校验失败"},
		{fault: cloopen.Business("111141", "主账户不存在"), kind: notify.Account, code: "111141", message: "主账户不存在"},
		{fault: cloopen.Business("111142", "主账户余额不足"), kind: notify.Account, code: "111142", message: "主账户余额不足"},
		{fault: cloopen.Business("111181", "应用不存在"), kind: notify.Account, code: "111181", message: "应用不存在"},
		{fault: cloopen.Business("112310", "应用未上线，模板短信接收号码外呼受限"), kind: notify.Account, code: "112310",
			message: "应用未上线，模板短信接收号码外呼受限"},
		{fault: cloopen.Business("160053", "IP鉴权失败"), kind: notify.Account, code: "160053", message: "IP鉴权失败"},
		{fault: cloopen.Business("160054", "请求重复"), kind: notify.Ambiguous, code: "160054", message: "请求重复"},
		{fault: cloopen.Business("112311", "短信模板不存在"), kind: notify.Rejected, code: "112311", message: "短信模板不存在"},
		{fault: cloopen.Business("160034", "号码黑名单"), kind: notify.Rejected, code: "160034", message: "号码黑名单"},
		{fault: cloopen.Business("160042", "号码格式有误"), kind: notify.Rejected, code: "160042", message: "号码格式有误"},
		{fault: cloopen.Business("999999", "新错误"), kind: notify.Rejected, code: "999999", message: "新错误"},
		{fault: cloopen.HTTPError(500), kind: notify.Transient},
		{fault: cloopen.HTTPError(502), kind: notify.Transient},
		{fault: cloopen.HTTPError(503), kind: notify.Transient},
		{fault: cloopen.HTTPError(504), kind: notify.Ambiguous},
		{fault: cloopen.HTTPError(408), kind: notify.Transient},
		{fault: cloopen.HTTPError(429), kind: notify.Throttled},
		{fault: cloopen.HTTPError(403), kind: notify.Account},
		{fault: cloopen.HTTPError(404), kind: notify.Account},
		{fault: cloopen.HTTPError(400), kind: notify.Rejected},
		{fault: cloopen.HTTPError(413), kind: notify.Rejected},
		{fault: cloopen.NotJSON(), kind: notify.Ambiguous},
		{fault: cloopen.Drop(), kind: notify.Ambiguous},
		{fault: cloopen.AcceptThenDrop(), kind: notify.Ambiguous, accepted: true},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			fake, c := setup(t, fixed(at))
			fake.Fail(tt.fault.Times(1))
			_, err := c.SendSMS(context.Background(), message)
			e := want(t, fake, err, tt.kind, tt.code, tt.message)
			if e.RetryAfter != tt.retryAfter {
				t.Errorf("RetryAfter = %v, want %v", e.RetryAfter, tt.retryAfter)
			}
			if n := len(fake.Sends()); (n == 1) != tt.accepted || n > 1 {
				t.Errorf("the fake accepted %d sends, want accepted %v", n, tt.accepted)
			}
			if n := len(fake.Requests()); n != 1 {
				t.Errorf("the fake got %d requests, want 1: the provider must not retry", n)
			}
			if _, err := c.SendSMS(context.Background(), message); err != nil {
				t.Errorf("the send after the fault: %v", err)
			}
		})
	}
}

// The fake checks like the service; what it refuses maps to the right kinds.
func TestRefused(t *testing.T) {
	tests := []struct {
		name          string
		config        func(c *cloopensms.Config)
		change        func(m *notify.TextMessage)
		kind          notify.Kind
		code, message string
	}{
		{name: "wrong token", config: func(c *cloopensms.Config) { c.AuthToken = "wrong-token" },
			kind: notify.Account, code: "111109", message: "请求地址Sig校验失败"},
		{name: "unknown account", config: func(c *cloopensms.Config) { c.AccountSID = "ffffffffffffffffffffffffffffffff" },
			kind: notify.Account, code: "111141", message: "主账户不存在"},
		{name: "another app", config: func(c *cloopensms.Config) { c.AppID = "otherapp" },
			kind: notify.Account, code: "111181", message: "应用不存在"},
		{name: "clock a day off", config: func(c *cloopensms.Config) { c.Now = fixed(at.Add(-25 * time.Hour)) },
			kind: notify.Account, code: "111106", message: "请求包头Authorization参数解码后时间戳过期"},
		{name: "no template", change: func(m *notify.TextMessage) { m.TemplateCode = "" },
			kind: notify.Rejected, code: "112307", message: "模板短信模板ID为空"},
		{name: "template not digits", change: func(m *notify.TextMessage) { m.TemplateCode = "SMS_1" },
			kind: notify.Rejected, code: "160057", message: "短信模板ID要求为数字"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := cloopen.New(cloopen.Config{AccountSID: sid, AuthToken: token, AppID: appID, Now: fixed(at)})
			t.Cleanup(fake.Close)
			cfg := cloopensms.Config{AccountSID: sid, AuthToken: token, AppID: appID, Endpoint: fake.URL(), Now: fixed(at)}
			if tt.config != nil {
				tt.config(&cfg)
			}
			m := message
			if tt.change != nil {
				tt.change(&m)
			}
			_, err := client(t, cfg).SendSMS(context.Background(), m)
			want(t, fake, err, tt.kind, tt.code, tt.message)
			if strings.Contains(err.Error(), "wrong-token") {
				t.Errorf("error %q shows the token", err)
			}
			if n := len(fake.Sends()); n != 0 {
				t.Errorf("the fake accepted %d sends, want 0", n)
			}
		})
	}
}

// Numbers the provider refuses before any I/O.
func TestInvalidNumbers(t *testing.T) {
	many := make([]string, cloopensms.MaxPhoneNumbers+1)
	for i := range many {
		many[i] = "138" + strconv.Itoa(10000000+i)
	}
	tests := []struct {
		name    string
		numbers []string
		reason  string
	}{
		{"more than 200", many, "too_many"},
		{"none", nil, "missing_field"},
		{"Hong Kong", []string{"13800138000", "+85261234567"}, "unsupported_number"},
		{"not a number", []string{"call me"}, "invalid_phone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, c := setup(t, nil)
			m := message
			m.PhoneNumbers = tt.numbers
			_, err := c.SendSMS(context.Background(), m)
			e := want(t, fake, err, notify.Invalid, "", "")
			if e.Field != "PhoneNumbers" || e.Reason != tt.reason {
				t.Errorf("error %v: field %q, reason %q; want PhoneNumbers, %s", err, e.Field, e.Reason, tt.reason)
			}
			if n := len(fake.Requests()); n != 0 {
				t.Errorf("the fake got %d requests, want 0", n)
			}
		})
	}
	fake, c := setup(t, nil)
	m := message
	m.PhoneNumbers = many[:cloopensms.MaxPhoneNumbers]
	if _, err := c.SendSMS(context.Background(), m); err != nil || len(fake.Sends()) != 1 {
		t.Errorf("200 numbers: %v, want them sent", err)
	}
}

func TestDeadline(t *testing.T) {
	fake, c := setup(t, nil)
	fake.Fail(cloopen.Slow(time.Minute))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.SendSMS(ctx, message)
	want(t, fake, err, notify.Ambiguous, "", "")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v does not wrap context.DeadlineExceeded", err)
	}
}

func TestTimeout(t *testing.T) {
	fake := cloopen.New(cloopen.Config{AccountSID: sid, AuthToken: token, AppID: appID})
	t.Cleanup(fake.Close)
	fake.Fail(cloopen.Slow(time.Minute))
	c := client(t, cloopensms.Config{AccountSID: sid, AuthToken: token, AppID: appID, Endpoint: fake.URL(),
		Timeout: 50 * time.Millisecond})
	_, err := c.SendSMS(context.Background(), message)
	want(t, fake, err, notify.Ambiguous, "", "")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v does not wrap context.DeadlineExceeded", err)
	}
}

func TestConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c := client(t, cloopensms.Config{AccountSID: sid, AuthToken: token, AppID: appID, Endpoint: "http://" + addr})
	_, err = c.SendSMS(context.Background(), message)
	want(t, nil, err, notify.Transient, "", "")
	if strings.Contains(err.Error(), "sig=") {
		t.Errorf("error %q shows the URL's sig", err)
	}
}

func TestContextDone(t *testing.T) {
	fake, c := setup(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.SendSMS(ctx, message)
	want(t, fake, err, notify.Transient, "", "")
	if n := len(fake.Requests()); n != 0 {
		t.Errorf("the fake got %d requests, want 0", n)
	}
}

// A redirect is not followed: the message would be posted again elsewhere.
func TestRedirectNotFollowed(t *testing.T) {
	fake, _ := setup(t, nil)
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, fake.URL()+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redirect.Close)
	c := client(t, cloopensms.Config{AccountSID: sid, AuthToken: token, AppID: appID, Endpoint: redirect.URL,
		HTTPClient: &http.Client{}})
	_, err := c.SendSMS(context.Background(), message)
	want(t, fake, err, notify.Account, "", "")
	if n := len(fake.Requests()); n != 0 {
		t.Errorf("the fake got %d requests through the redirect, want 0", n)
	}
}

// A proxy in the environment is not used for a loopback endpoint.
func TestProxyEnvironment(t *testing.T) {
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:9")
	t.Setenv("http_proxy", "http://127.0.0.1:9")
	_, c := setup(t, nil)
	if _, err := c.SendSMS(context.Background(), message); err != nil {
		t.Fatalf("send with a proxy in the environment: %v", err)
	}
}

func TestNew(t *testing.T) {
	good := cloopensms.Config{AccountSID: sid, AuthToken: token, AppID: appID}
	for _, ep := range []string{"", "app.cloopen.com:8883", "https://app.cloopen.com:8883", "http://127.0.0.1:8080/",
		"sandboxapp.cloopen.com:8883"} {
		c := good
		c.Endpoint = ep
		if _, err := cloopensms.New(c); err != nil {
			t.Errorf("New with Endpoint %q: %v", ep, err)
		}
	}
	tests := []struct {
		c    cloopensms.Config
		want string
	}{
		{cloopensms.Config{Endpoint: "ftp://h", Timeout: -1},
			"cloopensms: config: AccountSID is required\nAuthToken is required\nAppID is required\n" +
				"Endpoint \"ftp://h\": the scheme must be http or https\nTimeout -1ns is negative"},
		{cloopensms.Config{AccountSID: "a/b", AuthToken: "very-secret", AppID: "x", Endpoint: "https://u:very-secret@h/path"},
			"cloopensms: config: AccountSID must not contain '/', '?', '#', ':', '%' or spaces\n" +
				"Endpoint \"https://u:xxxxx@h/path\" must be a host, host:port or a URL without a path"},
		{cloopensms.Config{AccountSID: sid, AuthToken: "very-secret", AppID: "x", Endpoint: "h:99999"},
			"cloopensms: config: Endpoint \"https://h:99999\" has a bad port"},
	}
	for _, tt := range tests {
		_, err := cloopensms.New(tt.c)
		if err == nil || err.Error() != tt.want {
			t.Errorf("New(%+v) = %v\nwant %q", tt.c, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "very-secret") {
			t.Errorf("New error %q shows the token", err)
		}
	}
}

func BenchmarkSendSMS(b *testing.B) {
	_, c := setup(b, nil)
	ctx := context.Background()
	m := message
	m.PhoneNumbers = []string{"13800138000", "13900139000"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.SendSMS(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
}
