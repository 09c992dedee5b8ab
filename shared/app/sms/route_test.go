package sms_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/app/apptest"
	smsapp "github.com/seed4ddb146e/notify/shared/app/sms"
	"github.com/seed4ddb146e/notify/shared/fake/aliyun/acs"
	"github.com/seed4ddb146e/notify/shared/fake/aliyun/dysmsapi"
	"github.com/seed4ddb146e/notify/shared/fake/cloopen"
	"github.com/seed4ddb146e/notify/shared/fake/tencentcloud"
	"github.com/seed4ddb146e/notify/shared/notify"
)

const (
	tcID, tcKey, tcApp           = "AKIDrouteTestKey0001", "route-test-tencent-key-01", "1400006666"
	clSID, clToken, clApp        = "8a216da8route0test0account00001", "route0test0cloopen0token00000001", "8a216da8route0app"
	routeGroups                  = `[{"id":"shop","channels":["sms"],"limits":{"verification":{"per_minute":0,"per_hour":0,"per_day":0},"daily_cap":0}}]`
	routeTemplates               = `[{"name":"login_code","kind":"verification","variables":[{"name":"code","max_len":6,"chars":"digits"}],"ids":{"aliyun":"SMS_184105379","tencent":"1234567","cloopen":"1"}}]`
	routeBody                    = `{"GroupID":"shop","PhoneNumbers":"13800138000","SignName":"冰鉴科技","TemplateCode":"SMS_184105379","TemplateParam":"654321"}`
	routeBodyByName              = `{"GroupID":"shop","PhoneNumbers":"13800138000","SignName":"冰鉴科技","TemplateCode":"login_code","TemplateParam":{"code":"123456"}}`
	aliyunName, tcName, clName   = "aliyun", "tencent", "cloopen"
	transientTries, routeTimeout = 3, 5 * time.Second
)

// routed is the sms function over three fake providers, in the gateway's
// default order: Aliyun, Tencent, Cloopen.
type routed struct {
	*apptest.Function
	ali *dysmsapi.Server
	tc  *tencentcloud.Server
	cl  *cloopen.Server
}

func newRouted(t testing.TB, env map[string]string) *routed {
	t.Helper()
	ali := dysmsapi.New(dysmsapi.Config{AccessKeyID: akID, AccessKeySecret: akSecret})
	srv := httptest.NewServer(ali)
	t.Cleanup(srv.Close)
	tc := tencentcloud.Start(t, tencentcloud.Config{SecretID: tcID, SecretKey: tcKey, SDKAppID: tcApp})
	cl := cloopen.New(cloopen.Config{AccountSID: clSID, AuthToken: clToken, AppID: clApp})
	t.Cleanup(cl.Close)
	f := apptest.Build(t, smsapp.New, apptest.Merge(map[string]string{
		"NOTIFY_GROUPS":                   routeGroups,
		"NOTIFY_TEMPLATES":                routeTemplates,
		"ALIBABA_CLOUD_ACCESS_KEY_ID":     akID,
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET": akSecret,
		"NOTIFY_ALIYUN_SMS_ENDPOINT":      srv.URL,
		"TENCENTCLOUD_SECRET_ID":          tcID,
		"TENCENTCLOUD_SECRET_KEY":         tcKey,
		"NOTIFY_TENCENT_SMS_APP_ID":       tcApp,
		"NOTIFY_TENCENT_SMS_ENDPOINT":     tc.URL(),
		"NOTIFY_CLOOPEN_ACCOUNT_SID":      clSID,
		"NOTIFY_CLOOPEN_AUTH_TOKEN":       clToken,
		"NOTIFY_CLOOPEN_APP_ID":           clApp,
		"NOTIFY_CLOOPEN_ENDPOINT":         cl.URL(),
	}, env))
	return &routed{Function: f, ali: ali, tc: tc, cl: cl}
}

type routedReply struct {
	Code, Message, RequestId, BizId, MessageId, Provider, ProviderCode, Reason, Field string
}

func (g *routed) send(t *testing.T, body string, timeout time.Duration) (int, routedReply) {
	t.Helper()
	var rep routedReply
	status, _ := g.Post(t, "/sms", body, nil, timeout, &rep)
	return status, rep
}

// requests returns how many requests each provider got.
func (g *routed) requests() [3]int {
	return [3]int{g.ali.Requests(), g.tc.Requests(), len(g.cl.Requests())}
}

// TestFailoverMatrix sends one verification code with the primary (and
// sometimes the secondary) failing in each way a provider fails, and
// checks what was retried, what failed over, and how the message ended.
func TestFailoverMatrix(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		fail     func(g *routed)
		timeout  time.Duration
		status   int
		provider string        // of the record; "" when it has none
		state    notify.Status // of the record
		requests [3]int        // Aliyun, Tencent, Cloopen
	}{
		{"all well: the first sends", func(*routed) {}, 0, 200, aliyunName, notify.Submitted, [3]int{1, 0, 0}},
		{"aliyun 503 on every try: retried, then tencent", func(g *routed) { g.ali.Fail(acs.Unavailable().Times(transientTries)) },
			0, 200, tcName, notify.Submitted, [3]int{3, 1, 0}},
		{"aliyun 503 once: the retry sends", func(g *routed) { g.ali.Fail(acs.Unavailable().Times(1)) },
			0, 200, aliyunName, notify.Submitted, [3]int{2, 0, 0}},
		{"aliyun isp.SYSTEM_ERROR: retried, then tencent", func(g *routed) {
			g.ali.Fail(acs.Business("isp.SYSTEM_ERROR", "system error").Times(transientTries))
		}, 0, 200, tcName, notify.Submitted, [3]int{3, 1, 0}},
		{"aliyun flow control: tencent at once", func(g *routed) {
			g.ali.Fail(acs.Business("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1"))
		}, 0, 200, tcName, notify.Submitted, [3]int{1, 1, 0}},
		{"aliyun out of balance: tencent at once", func(g *routed) { g.ali.Fail(acs.Business("isv.AMOUNT_NOT_ENOUGH", "账户余额不足")) },
			0, 200, tcName, notify.Submitted, [3]int{1, 1, 0}},
		{"aliyun bad credentials: tencent at once", func(g *routed) {
			g.ali.Fail(acs.Gateway(400, "SignatureDoesNotMatch", "Specified signature is not matched"))
		}, 0, 200, tcName, notify.Submitted, [3]int{1, 1, 0}},
		{"aliyun refuses the number: failed, no failover", func(g *routed) {
			g.ali.Fail(acs.Business("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号"))
		}, 0, 400, aliyunName, notify.Failed, [3]int{1, 0, 0}},
		{"aliyun accepts, then the connection drops: unknown, no failover", func(g *routed) { g.ali.Fail(acs.AcceptThenDrop()) },
			0, 504, aliyunName, notify.Unknown, [3]int{1, 0, 0}},
		{"aliyun answers too late: unknown, no failover", func(g *routed) { g.ali.Fail(acs.Slow(2 * time.Second)) },
			400 * time.Millisecond, 504, aliyunName, notify.Unknown, [3]int{1, 0, 0}},
		{"aliyun not JSON: unknown, no failover", func(g *routed) { g.ali.Fail(acs.NotJSON(200)) },
			0, 504, aliyunName, notify.Unknown, [3]int{1, 0, 0}},
		{"aliyun and tencent down: cloopen", func(g *routed) {
			g.ali.Fail(acs.Unavailable().Times(transientTries))
			g.tc.Fail(tencentcloud.Gateway(503).Times(transientTries))
		}, 0, 200, clName, notify.Submitted, [3]int{3, 3, 1}},
		{"aliyun down, tencent flow control: cloopen", func(g *routed) {
			g.ali.Fail(acs.Unavailable().Times(transientTries))
			g.tc.Fail(tencentcloud.APIError("LimitExceeded.PhoneNumberDailyLimit", "单个手机号日下发条数超过设定的上限"))
		}, 0, 200, clName, notify.Submitted, [3]int{3, 1, 1}},
		{"aliyun down, tencent accepts and drops: unknown at tencent", func(g *routed) {
			g.ali.Fail(acs.Unavailable().Times(transientTries))
			g.tc.Fail(tencentcloud.AcceptThenDrop())
		}, 0, 504, tcName, notify.Unknown, [3]int{3, 1, 0}},
		{"aliyun down, tencent refuses the template: failed at tencent", func(g *routed) {
			g.ali.Fail(acs.Unavailable().Times(transientTries))
			g.tc.Fail(tencentcloud.APIError("FailedOperation.TemplateIncorrectOrUnapproved", "模板未审批或内容不匹配"))
		}, 0, 400, tcName, notify.Failed, [3]int{3, 1, 0}},
		{"all three down: 502, failed", func(g *routed) {
			g.ali.Fail(acs.Unavailable().Times(transientTries))
			g.tc.Fail(tencentcloud.Gateway(503).Times(transientTries))
			g.cl.Fail(cloopen.Business("160000", "系统错误").Times(transientTries))
		}, 0, 502, clName, notify.Failed, [3]int{3, 3, 3}},
		{"all three throttled: 429, failed", func(g *routed) {
			g.ali.Fail(acs.Business("isv.BUSINESS_LIMIT_CONTROL", "触发天级流控Permits:10"))
			g.tc.Fail(tencentcloud.APIError("LimitExceeded.PhoneNumberDailyLimit", "单个手机号日下发条数超过设定的上限"))
			g.cl.Fail(cloopen.Business("160040", "验证码超出同模板同号码每天发送上限"))
		}, 0, 429, clName, notify.Failed, [3]int{1, 1, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := newRouted(t, nil)
			tc.fail(g)
			timeout := tc.timeout
			if timeout == 0 {
				timeout = routeTimeout
			}
			status, rep := g.send(t, routeBody, timeout)
			if status != tc.status {
				t.Errorf("status %d %+v, want %d", status, rep, tc.status)
			}
			if got := g.requests(); got != tc.requests {
				t.Errorf("requests (aliyun, tencent, cloopen) = %v, want %v", got, tc.requests)
			}
			if rep.MessageId == "" {
				t.Fatalf("reply %+v has no MessageId", rep)
			}
			m := g.Record(t, rep.MessageId)
			if m.Status != tc.state || m.Provider != tc.provider {
				t.Errorf("record %s at %q, want %s at %q", m.Status, m.Provider, tc.state, tc.provider)
			}
			if status == 200 && rep.Provider != tc.provider {
				t.Errorf("reply Provider %q, want %q", rep.Provider, tc.provider)
			}
			// Legacy callers test Code == "OK": whichever provider
			// took it, a sent message says so, and the provider's own
			// code goes in ProviderCode.
			if wantCode := map[string]string{tcName: "Ok", clName: "000000"}[tc.provider]; status == 200 &&
				(rep.Code != "OK" || rep.ProviderCode != wantCode || rep.RequestId == "") {
				t.Errorf("reply Code %q, ProviderCode %q, RequestId %q; want OK, %q and a request id", rep.Code,
					rep.ProviderCode, rep.RequestId, wantCode)
			}
		})
	}
}

// TestTemplateRegistry checks that one logical template goes to each
// provider in its own form, named either way, and that variables are
// checked before anything is sent.
func TestTemplateRegistry(t *testing.T) {
	t.Parallel()
	t.Run("each provider gets its own id and parameter form", func(t *testing.T) {
		g := newRouted(t, nil)
		g.ali.Fail(acs.Business("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1"))
		g.tc.Fail(tencentcloud.APIError("LimitExceeded.PhoneNumberDailyLimit", "单个手机号日下发条数超过设定的上限"))
		if status, rep := g.send(t, routeBodyByName, routeTimeout); status != 200 || rep.Provider != clName {
			t.Fatalf("reply %d %+v, want 200 from cloopen", status, rep)
		}
		if s := g.cl.Sends(); len(s) != 1 || s[0].TemplateID != "1" || !slices.Equal(s[0].Datas, []string{"123456"}) ||
			!slices.Equal(s[0].To, []string{"13800138000"}) {
			t.Errorf("cloopen got %+v, want template 1 with datas [123456] to 13800138000", s)
		}
	})
	t.Run("a legacy caller's aliyun code fails over to tencent's id", func(t *testing.T) {
		g := newRouted(t, nil)
		g.ali.Fail(acs.Business("isv.AMOUNT_NOT_ENOUGH", "账户余额不足"))
		if status, rep := g.send(t, routeBody, routeTimeout); status != 200 || rep.Provider != tcName {
			t.Fatalf("reply %d %+v, want 200 from tencent", status, rep)
		}
		s := g.tc.Sends()
		if len(s) != 1 || s[0].TemplateID != "1234567" || !slices.Equal(s[0].TemplateParams, []string{"654321"}) ||
			s[0].SignName != "冰鉴科技" || !slices.Equal(s[0].PhoneNumbers, []string{"+8613800138000"}) {
			t.Errorf("tencent got %+v, want template 1234567, params [654321], sign 冰鉴科技, +8613800138000", s)
		}
	})
	t.Run("aliyun gets the named parameters", func(t *testing.T) {
		g := newRouted(t, nil)
		if status, rep := g.send(t, routeBodyByName, routeTimeout); status != 200 || rep.Provider != aliyunName {
			t.Fatalf("reply %d %+v", status, rep)
		}
		if s := g.ali.Sends(); len(s) != 1 || s[0].TemplateCode != "SMS_184105379" || s[0].TemplateParam != `{"code":"123456"}` {
			t.Errorf("aliyun got %+v", s)
		}
	})
	for _, tc := range []struct{ name, params, reason string }{
		{"too long", `{"code":"1234567"}`, "parameter_too_long"},
		{"not digits", `{"code":"12a456"}`, "invalid_parameter"},
		{"missing", `{"other":"1"}`, "missing_parameter"},
		{"unknown variable", `{"code":"123456","name":"x"}`, "unknown_parameter"},
		{"empty", `{"code":""}`, "invalid_parameter"},
	} {
		t.Run("refused before sending: "+tc.name, func(t *testing.T) {
			g := newRouted(t, nil)
			body := strings.Replace(routeBodyByName, `{"code":"123456"}`, tc.params, 1)
			status, rep := g.send(t, body, routeTimeout)
			if status != 400 || rep.Reason != tc.reason || rep.Field != "TemplateParam" {
				t.Errorf("reply %d %+v, want 400 %s on TemplateParam", status, rep, tc.reason)
			}
			if got := g.requests(); got != [3]int{} {
				t.Errorf("requests %v, want none", got)
			}
		})
	}
	// A group's templates allow a registry template by either name.
	for _, allowed := range []string{"login_code", "SMS_184105379"} {
		t.Run("a group that allows "+allowed, func(t *testing.T) {
			g := newRouted(t, map[string]string{"NOTIFY_GROUPS": strings.Replace(routeGroups, `"channels"`,
				`"templates":["`+allowed+`"],"channels"`, 1)})
			for _, body := range []string{routeBody, routeBodyByName} {
				if status, rep := g.send(t, body, routeTimeout); status != 200 {
					t.Errorf("send %s: %d %+v; want 200", body, status, rep)
				}
			}
			body := strings.Replace(routeBody, "SMS_184105379", "SMS_999", 1)
			if status, rep := g.send(t, body, routeTimeout); status != 403 || rep.Reason != "template_not_allowed" {
				t.Errorf("another template: %d %+v; want 403 template_not_allowed", status, rep)
			}
		})
	}
	t.Run("a registry template with no aliyun id skips aliyun", func(t *testing.T) {
		tpl := `[{"name":"order_shipped","kind":"notification","variables":[{"name":"no"}],"ids":{"tencent":"7654321"}}]`
		g := newRouted(t, map[string]string{"NOTIFY_TEMPLATES": tpl})
		body := `{"GroupID":"shop","PhoneNumbers":"13800138000","SignName":"冰鉴科技","TemplateCode":"order_shipped","TemplateParam":{"no":"A1"}}`
		if status, rep := g.send(t, body, routeTimeout); status != 200 || rep.Provider != tcName {
			t.Errorf("reply %d %+v, want 200 from tencent, the only provider with the template", status, rep)
		}
		if got := g.requests(); got != [3]int{0, 1, 0} {
			t.Errorf("requests %v, want tencent's only", got)
		}
	})
	t.Run("a code no registry entry has goes to aliyun alone", func(t *testing.T) {
		g := newRouted(t, nil)
		g.ali.Fail(acs.Business("isv.AMOUNT_NOT_ENOUGH", "账户余额不足"))
		body := strings.Replace(routeBody, "SMS_184105379", "SMS_999", 1)
		if status, rep := g.send(t, body, routeTimeout); status != 502 {
			t.Errorf("reply %d %+v, want 502: no other provider has the template", status, rep)
		}
		if got := g.requests(); got != [3]int{1, 0, 0} {
			t.Errorf("requests %v, want aliyun's only", got)
		}
	})
}

// TestInternationalForms sends a Hong Kong number in the two forms callers
// write it, "00" + country code (as Aliyun's own documents do) and E.164,
// to each provider that takes international numbers: Aliyun is sent the
// "00" form, Tencent E.164, whichever form the caller used.
func TestInternationalForms(t *testing.T) {
	t.Parallel()
	const numbers = `"0085200000000,+85261234567"`
	for _, tc := range []struct {
		provider string
		sent     func(g *routed) []string
		want     []string
	}{
		{aliyunName, func(g *routed) []string { return g.ali.Sends()[0].PhoneNumbers },
			[]string{"0085200000000", "0085261234567"}},
		{tcName, func(g *routed) []string { return g.tc.Sends()[0].PhoneNumbers },
			[]string{"+85200000000", "+85261234567"}},
	} {
		t.Run(tc.provider, func(t *testing.T) {
			groups := `[{"id":"shop","channels":["sms"],"providers":["` + tc.provider + `"]}]`
			g := newRouted(t, map[string]string{"NOTIFY_GROUPS": groups})
			body := strings.NewReplacer(`"13800138000"`, numbers, `"TemplateParam":"654321"`, `"TemplateParam":{"code":"654321"}`).
				Replace(routeBodyByName)
			if status, rep := g.send(t, body, routeTimeout); status != 200 || rep.Provider != tc.provider {
				t.Fatalf("reply %d %+v; want it sent by %s", status, rep, tc.provider)
			}
			if got := tc.sent(g); !slices.Equal(got, tc.want) {
				t.Errorf("%s was sent %q; want %q", tc.provider, got, tc.want)
			}
		})
	}
}

// TestProviderOrder checks the order of providers a group and a template
// set, and that a provider without the template is skipped.
func TestProviderOrder(t *testing.T) {
	t.Parallel()
	groups := `[{"id":"shop","channels":["sms"],"providers":["cloopen","aliyun"],"limits":{"verification":{"per_minute":0,"per_hour":0,"per_day":0}}}]`
	g := newRouted(t, map[string]string{"NOTIFY_GROUPS": groups})
	g.cl.Fail(cloopen.Business("160038", "短信验证码发送过频繁"))
	status, rep := g.send(t, routeBody, routeTimeout)
	if status != 200 || rep.Provider != aliyunName || g.requests() != [3]int{1, 0, 1} {
		t.Errorf("reply %d %+v, requests %v; want cloopen refused, then aliyun, never tencent", status, rep, g.requests())
	}
}

// TestPerNumberAnswers sends to three numbers through Tencent, which
// refuses one of them: the message is submitted, the refused number is
// recorded failed at once, and a report naming only another number's
// SerialNo finds the message.
func TestPerNumberAnswers(t *testing.T) {
	t.Parallel()
	g, rep, reports := sendThroughTencent(t, tencentcloud.NumberError("FailedOperation.PhoneNumberInBlacklist", "手机号在黑名单库中",
		"+8613700137000"), "13800138000,13900139000,13700137000")
	states := map[string]notify.Status{}
	ids := map[string]string{}
	for _, r := range reports {
		states[r.Recipient], ids[r.Recipient] = r.Status, r.ProviderID
	}
	if states["13800138000"] != notify.Submitted || states["13900139000"] != notify.Submitted || states["13700137000"] != notify.Failed {
		t.Fatalf("reports %+v; want two submitted and 13700137000 failed", reports)
	}
	res, err := g.Store.RecordReport(context.Background(), notify.Report{Provider: tcName, Channel: notify.SMS,
		ProviderID: ids["13900139000"], Recipient: "13900139000", Status: notify.Delivered, Code: "DELIVRD"})
	if err != nil || res.MessageID != rep.MessageId {
		t.Errorf("report for the second number matched %+v, %v; want message %s", res, err, rep.MessageId)
	}
}

// TestPerNumberAnswerInDoubt: Tencent accepts one number and answers
// another with InternalError, which says it may have passed that number
// on. The number is recorded unknown, not failed: a failed number tells a
// webhook, and a caller who sends again on it, that it was not sent.
func TestPerNumberAnswerInDoubt(t *testing.T) {
	t.Parallel()
	g, rep, reports := sendThroughTencent(t, tencentcloud.NumberError("InternalError.Timeout", "请求下发短信超时", "+8613900139000"),
		"13800138000,13900139000")
	states := map[string]notify.Status{}
	for _, r := range reports {
		states[r.Recipient] = r.Status
	}
	if states["13800138000"] != notify.Submitted || states["13900139000"] != notify.Unknown {
		t.Errorf("reports %+v; want 13800138000 submitted, 13900139000 unknown", reports)
	}
	if m := g.Record(t, rep.MessageId); m.Status != notify.Submitted {
		t.Errorf("message %s; want submitted", m.Status)
	}
}

// sendThroughTencent sends to numbers through Tencent alone, which answers
// with fault, and returns the gateway, its 200 reply and the message's
// reports.
func sendThroughTencent(t *testing.T, fault tencentcloud.Fault, numbers string) (*routed, routedReply, []notify.Report) {
	t.Helper()
	groups := `[{"id":"shop","channels":["sms"],"providers":["tencent"],"limits":{"verification":{"per_minute":0,"per_hour":0,"per_day":0}}}]`
	g := newRouted(t, map[string]string{"NOTIFY_GROUPS": groups})
	g.tc.Fail(fault)
	status, rep := g.send(t, strings.Replace(routeBody, `"13800138000"`, `"`+numbers+`"`, 1), routeTimeout)
	if status != 200 || rep.Provider != tcName {
		t.Fatalf("reply %d %+v, want 200 from tencent", status, rep)
	}
	reports, err := g.Store.Reports(context.Background(), rep.MessageId)
	if err != nil {
		t.Fatal(err)
	}
	return g, rep, reports
}

// TestErrorClassesOfEveryProvider puts each provider first (and Aliyun,
// or Tencent, second) and fails it in each class of error: a transient
// error is tried 3 times and then fails over, flow control and account
// errors fail over at once, a refusal of the message fails it, and an
// answer in doubt leaves it unknown, never sent elsewhere.
func TestErrorClassesOfEveryProvider(t *testing.T) {
	t.Parallel()
	type class struct {
		name  string
		fail  func(g *routed)
		tries int           // of the first provider
		next  bool          // whether the second sent it
		state notify.Status // of the record
	}
	providers := []struct {
		name, second string
		classes      []class
		requests     func(g *routed) (first, second int)
	}{
		{tcName, aliyunName, []class{
			{"transient", func(g *routed) {
				g.tc.Fail(tencentcloud.APIError("InternalError.ServerError", "内部错误").Times(3))
			}, 3, true, notify.Submitted},
			{"gateway 502", func(g *routed) { g.tc.Fail(tencentcloud.Gateway(502).Times(3)) }, 3, true, notify.Submitted},
			{"throttled", func(g *routed) {
				g.tc.Fail(tencentcloud.APIError("LimitExceeded.PhoneNumberOneHourLimit", "1小时上限"))
			}, 1, true, notify.Submitted},
			{"account", func(g *routed) { g.tc.Fail(tencentcloud.APIError("AuthFailure.SecretIdNotFound", "密钥不存在")) }, 1, true, notify.Submitted},
			{"balance", func(g *routed) {
				g.tc.Fail(tencentcloud.APIError("FailedOperation.InsufficientBalanceInSmsPackage", "套餐包余量不足"))
			}, 1, true, notify.Submitted},
			{"rejected", func(g *routed) {
				g.tc.Fail(tencentcloud.APIError("InvalidParameterValue.IncorrectPhoneNumber", "手机号格式错误"))
			}, 1, false, notify.Failed},
			{"ambiguous drop", func(g *routed) { g.tc.Fail(tencentcloud.AcceptThenDrop()) }, 1, false, notify.Unknown},
			{"ambiguous not JSON", func(g *routed) { g.tc.Fail(tencentcloud.NotJSON()) }, 1, false, notify.Unknown},
		}, func(g *routed) (int, int) { return g.tc.Requests(), g.ali.Requests() }},
		{clName, tcName, []class{
			{"transient", func(g *routed) { g.cl.Fail(cloopen.Business("160000", "系统错误").Times(3)) }, 3, true, notify.Submitted},
			{"http 503", func(g *routed) { g.cl.Fail(cloopen.HTTPError(503).Times(3)) }, 3, true, notify.Submitted},
			{"throttled", func(g *routed) { g.cl.Fail(cloopen.Business("160038", "短信验证码发送过频繁")) }, 1, true, notify.Submitted},
			{"account", func(g *routed) { g.cl.Fail(cloopen.Business("111109", "签名验证失败")) }, 1, true, notify.Submitted},
			{"rejected", func(g *routed) { g.cl.Fail(cloopen.Business("160042", "号码格式有误")) }, 1, false, notify.Failed},
			{"ambiguous drop", func(g *routed) { g.cl.Fail(cloopen.AcceptThenDrop()) }, 1, false, notify.Unknown},
			{"ambiguous duplicate", func(g *routed) { g.cl.Fail(cloopen.Business("160054", "重复请求")) }, 1, false, notify.Unknown},
		}, func(g *routed) (int, int) { return len(g.cl.Requests()), g.tc.Requests() }},
		{aliyunName, tcName, []class{
			{"transient", func(g *routed) { g.ali.Fail(acs.Gateway(500, "InternalError", "internal error").Times(3)) }, 3, true, notify.Submitted},
			{"throttled", func(g *routed) {
				g.ali.Fail(acs.Business("Throttling.User", "Request was denied due to user flow control."))
			}, 1, true, notify.Submitted},
			{"account", func(g *routed) { g.ali.Fail(acs.Business("isv.OUT_OF_SERVICE", "业务停机")) }, 1, true, notify.Submitted},
			{"rejected", func(g *routed) { g.ali.Fail(acs.Business("isv.TEMPLATE_MISSING_PARAMETERS", "模板缺少变量")) }, 1, false, notify.Failed},
			{"ambiguous", func(g *routed) { g.ali.Fail(acs.Drop()) }, 1, false, notify.Unknown},
		}, func(g *routed) (int, int) { return g.ali.Requests(), g.tc.Requests() }},
	}
	for _, p := range providers {
		for _, c := range p.classes {
			t.Run(p.name+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				groups := `[{"id":"shop","channels":["sms"],"providers":["` + p.name + `","` + p.second + `"],
					"limits":{"verification":{"per_minute":0,"per_hour":0,"per_day":0}}}]`
				g := newRouted(t, map[string]string{"NOTIFY_GROUPS": groups})
				c.fail(g)
				_, rep := g.send(t, routeBody, routeTimeout)
				first, second := p.requests(g)
				want := 0
				if c.next {
					want = 1
				}
				if first != c.tries || second != want {
					t.Errorf("%s got %d requests, %s %d; want %d and %d", p.name, first, p.second, second, c.tries, want)
				}
				if rep.MessageId == "" {
					t.Fatalf("reply %+v has no MessageId", rep)
				}
				m := g.Record(t, rep.MessageId)
				wantProvider := p.name
				if c.next {
					wantProvider = p.second
				}
				if m.Status != c.state || m.Provider != wantProvider {
					t.Errorf("record %s at %s, want %s at %s", m.Status, m.Provider, c.state, wantProvider)
				}
			})
		}
	}
}

// TestOutageBeforeAProviderThatCannotTake: when the providers that could
// send a message are down and the last one cannot take it at all (a
// number abroad for Cloopen, more numbers than Tencent and Cloopen take),
// the reply is the outage's, 502, which a queue retries, not a 400 that
// blames the request and drops a queued message for good.
func TestOutageBeforeAProviderThatCannotTake(t *testing.T) {
	t.Parallel()
	many := make([]string, 201)
	for i := range many {
		many[i] = fmt.Sprintf("138%08d", i)
	}
	for _, tc := range []struct {
		name, numbers string
		down          func(g *routed)
		requests      [3]int
	}{
		{"a number abroad", "+85261234567", func(g *routed) {
			g.ali.Fail(acs.Unavailable().Times(transientTries))
			g.tc.Fail(tencentcloud.Gateway(503).Times(transientTries))
		}, [3]int{transientTries, transientTries, 0}},
		{"201 numbers", strings.Join(many, ","), func(g *routed) {
			g.ali.Fail(acs.Unavailable().Times(transientTries))
		}, [3]int{transientTries, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := strings.Replace(routeBody, `"13800138000"`, `"`+tc.numbers+`"`, 1)
			g := newRouted(t, nil)
			tc.down(g)
			if status, rep := g.send(t, body, routeTimeout); status != 502 || rep.Reason != "provider_unavailable" {
				t.Errorf("reply %d %+v; want 502 provider_unavailable", status, rep)
			}
			if got := g.requests(); got != tc.requests {
				t.Errorf("requests %v; want %v", got, tc.requests)
			}
			g = newRouted(t, nil)
			tc.down(g)
			if status, rep := (&gateway{Function: g.Function}).postQueued(t, body, "q-1"); status != 502 {
				t.Errorf("queued: %d %+v; want 502, which the queue retries", status, rep)
			}
		})
	}
}

// TestPaddedSignNameAndTemplate: a sign name or template code with spaces
// around it is sent trimmed, so a group allows it as it allows the trimmed
// one, rather than refusing the very name it lists.
func TestPaddedSignNameAndTemplate(t *testing.T) {
	t.Parallel()
	g := newRouted(t, map[string]string{"NOTIFY_GROUPS": strings.Replace(routeGroups, `"channels"`,
		`"sign_names":["冰鉴科技"],"templates":["SMS_999"],"channels"`, 1)})
	body := `{"GroupID":"shop","PhoneNumbers":"13800138000","SignName":" 冰鉴科技 ","TemplateCode":"SMS_999 ","TemplateParam":{"name":"x"}}`
	if status, rep := g.send(t, body, routeTimeout); status != 200 {
		t.Fatalf("reply %d %+v; want 200", status, rep)
	}
	if s := g.ali.Sends(); len(s) != 1 || s[0].SignName != "冰鉴科技" || s[0].TemplateCode != "SMS_999" {
		t.Errorf("aliyun got %+v; want sign 冰鉴科技, template SMS_999", s)
	}
}
