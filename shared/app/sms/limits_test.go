package sms_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/app/apptest"
	"github.com/seed4ddb146e/notify/shared/fake/aliyun/acs"
	"github.com/seed4ddb146e/notify/shared/notify"
)

// limited is a gateway whose group "shop" has the limits given (JSON), or
// Aliyun's defaults when limits is "".
func limited(t *testing.T, limits string) *routed {
	t.Helper()
	g := `[{"id":"shop","channels":["sms"]}]`
	if limits != "" {
		g = `[{"id":"shop","channels":["sms"],"limits":` + limits + `}]`
	}
	return newRouted(t, map[string]string{"NOTIFY_GROUPS": g})
}

// post sends body and returns the status, the reply and its Retry-After in
// seconds (-1 when absent).
func (g *routed) post(t *testing.T, body string) (int, routedReply, int) {
	t.Helper()
	var rep routedReply
	status, h := g.Post(t, "/sms", body, nil, routeTimeout, &rep)
	retry := -1
	if v := h.Get("Retry-After"); v != "" {
		var err error
		if retry, err = strconv.Atoi(v); err != nil {
			t.Fatalf("Retry-After %q is not a number of seconds", v)
		}
	}
	return status, rep, retry
}

func TestLimits(t *testing.T) {
	t.Parallel()
	t.Run("a code with another variable is still a code", func(t *testing.T) {
		// Without a registry entry: an extra variable must not make a
		// verification code a notification, with its looser limit.
		g := limited(t, "")
		apptest.AwayFromMinuteEnd()
		padded := strings.NewReplacer(`"TemplateParam":"654321"`, `"TemplateParam":{"code":"654321","pad":"1"}`,
			"SMS_184105379", "SMS_0001").Replace(routeBody)
		if status, rep, _ := g.post(t, padded); status != 200 {
			t.Fatalf("first: %d %+v", status, rep)
		}
		if status, rep, _ := g.post(t, padded); status != 429 || rep.Reason != "rate_limited" {
			t.Errorf("second within the minute: %d %+v; want 429 rate_limited, as a code", status, rep)
		}
	})
	t.Run("aliyun's default: one code a minute per number", func(t *testing.T) {
		g := limited(t, "")
		apptest.AwayFromMinuteEnd()
		if status, rep, _ := g.post(t, routeBody); status != 200 {
			t.Fatalf("first: %d %+v", status, rep)
		}
		status, rep, retry := g.post(t, routeBody)
		if status != 429 || rep.Reason != "rate_limited" || retry < 1 || retry > 60 {
			t.Errorf("second within the minute: %d %+v, Retry-After %d; want 429 rate_limited within 60 s", status, rep, retry)
		}
		if g.requests() != [3]int{1, 0, 0} {
			t.Errorf("requests %v; want the first only", g.requests())
		}
		if m := g.Record(t, rep.MessageId); m.Status != notify.Failed || m.ErrorCode != "rate_limited" {
			t.Errorf("record of the refused one: %s %s; want failed rate_limited", m.Status, m.ErrorCode)
		}
		other := strings.Replace(routeBody, "13800138000", "13900139000", 1)
		if status, rep, _ := g.post(t, other); status != 200 {
			t.Errorf("another number: %d %+v; want it sent", status, rep)
		}
	})
	t.Run("the 11th code in a day is refused locally", func(t *testing.T) {
		g := limited(t, `{"verification":{"per_minute":0,"per_hour":0,"per_day":10}}`)
		for i := range 10 {
			if status, rep, _ := g.post(t, routeBody); status != 200 {
				t.Fatalf("send %d: %d %+v", i+1, status, rep)
			}
		}
		status, rep, retry := g.post(t, routeBody)
		if status != 429 || rep.Reason != "rate_limited" || retry < 1 || retry > 24*3600 {
			t.Errorf("11th: %d %+v, Retry-After %d; want 429 until Beijing midnight", status, rep, retry)
		}
		if want := secondsToBeijingMidnight(time.Now()); retry < want-5 || retry > want+5 {
			t.Errorf("Retry-After %d s; want about %d s, to midnight in Beijing", retry, want)
		}
		if n := g.ali.Requests(); n != 10 {
			t.Errorf("aliyun got %d requests, want 10", n)
		}
	})
	t.Run("notifications: per template and number", func(t *testing.T) {
		g := limited(t, `{"notification":{"per_day":2}}`)
		notice := `{"GroupID":"shop","PhoneNumbers":"13800138000","SignName":"s","TemplateCode":"SMS_ORDER","TemplateParam":{"order":"A1","eta":"3pm"}}`
		for range 2 {
			if status, rep, _ := g.post(t, notice); status != 200 {
				t.Fatalf("notice: %d %+v", status, rep)
			}
		}
		if status, rep, _ := g.post(t, notice); status != 429 {
			t.Errorf("third notice of one template: %d %+v; want 429", status, rep)
		}
		if status, rep, _ := g.post(t, strings.Replace(notice, "SMS_ORDER", "SMS_SHIP", 1)); status != 200 {
			t.Errorf("another template: %d %+v; want it sent", status, rep)
		}
	})
	t.Run("notifications: a registry template counts once under either name", func(t *testing.T) {
		g := newRouted(t, map[string]string{
			"NOTIFY_GROUPS":    `[{"id":"shop","channels":["sms"],"limits":{"notification":{"per_day":2}}}]`,
			"NOTIFY_TEMPLATES": `[{"name":"order","kind":"notification","variables":[{"name":"order"}],"ids":{"aliyun":"SMS_ORDER"}}]`,
		})
		notice := `{"GroupID":"shop","PhoneNumbers":"13800138000","SignName":"s","TemplateCode":"order","TemplateParam":{"order":"A1"}}`
		for _, name := range []string{"order", "SMS_ORDER"} {
			if status, rep, _ := g.post(t, strings.Replace(notice, `"order","Te`, `"`+name+`","Te`, 1)); status != 200 {
				t.Fatalf("notice by %s: %d %+v", name, status, rep)
			}
		}
		if status, rep, _ := g.post(t, strings.Replace(notice, `"order","Te`, `"SMS_ORDER","Te`, 1)); status != 429 {
			t.Errorf("third notice of one template, by its other name: %d %+v; want 429", status, rep)
		}
	})
	t.Run("a send that failed gives its use back", func(t *testing.T) {
		g := limited(t, "")
		g.ali.Fail(acs.Business("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号").Times(1))
		if status, _, _ := g.post(t, routeBody); status != 400 {
			t.Fatalf("first: %d; want the provider's refusal", status)
		}
		if status, rep, _ := g.post(t, routeBody); status != 200 {
			t.Errorf("second: %d %+v; want it sent, the first not counted", status, rep)
		}
	})
	t.Run("a send in doubt keeps its use", func(t *testing.T) {
		g := limited(t, "")
		apptest.AwayFromMinuteEnd()
		g.ali.Fail(acs.AcceptThenDrop().Times(1))
		if status, _, _ := g.post(t, routeBody); status != 504 {
			t.Fatalf("first: %d; want 504", status)
		}
		if status, _, _ := g.post(t, routeBody); status != 429 {
			t.Errorf("second: %d; want 429: the first may have arrived", status)
		}
	})
	t.Run("the group's daily cap", func(t *testing.T) {
		g := limited(t, `{"daily_cap":3}`)
		to := func(n string) string { return strings.Replace(routeBody, `"13800138000"`, `"`+n+`"`, 1) }
		if status, rep, _ := g.post(t, to("13800138000,13900139000")); status != 200 {
			t.Fatalf("two numbers: %d %+v", status, rep)
		}
		status, rep, _ := g.post(t, to("13700137000,13600136000"))
		if status != 429 || rep.Reason != "daily_cap" {
			t.Errorf("two more numbers past a cap of 3: %d %+v; want 429 daily_cap", status, rep)
		}
		if !strings.Contains(g.Logs.String(), "daily cap") {
			t.Errorf("no warning of the daily cap in the log")
		}
		if status, rep, _ := g.post(t, to("13700137000")); status != 200 {
			t.Errorf("a third number: %d %+v; want it sent (all or none counted before)", status, rep)
		}
	})
}

// secondsToBeijingMidnight returns the seconds from t to the next midnight
// in Beijing.
func secondsToBeijingMidnight(t time.Time) int {
	bj := time.FixedZone("CST", 8*3600)
	b := t.In(bj)
	next := time.Date(b.Year(), b.Month(), b.Day()+1, 0, 0, 0, 0, bj)
	return int(next.Sub(t).Seconds())
}

// TestLimitCodeAsAliyun: a send over a number's limit, Aliyun's own
// flow control kept here, answers Aliyun's code for it,
// isv.BUSINESS_LIMIT_CONTROL, as a legacy caller got it from Aliyun
// before and still gets it when Aliyun throttles.
func TestLimitCodeAsAliyun(t *testing.T) {
	t.Parallel()
	g := limited(t, "")
	apptest.AwayFromMinuteEnd()
	if status, rep, _ := g.post(t, routeBody); status != 200 {
		t.Fatalf("first: %d %+v", status, rep)
	}
	status, rep, _ := g.post(t, routeBody)
	if status != 429 || rep.Code != "isv.BUSINESS_LIMIT_CONTROL" || rep.Reason != "rate_limited" || rep.BizId != "null" {
		t.Errorf("second within the minute: %d %+v; want 429, Code isv.BUSINESS_LIMIT_CONTROL, Reason rate_limited", status, rep)
	}
}
