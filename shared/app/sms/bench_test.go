package sms_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	dysms "github.com/alibabacloud-go/dysmsapi-20170525/v3/client"
	util "github.com/alibabacloud-go/tea-utils/v2/service"
	"github.com/alibabacloud-go/tea/tea"
)

// BenchmarkSMSPath is the whole POST /sms path: decode, authorize, record in
// SQLite, SendSms through the SDK to the fake Dysmsapi, record the outcome,
// encode the reply. Compare with BenchmarkBareSDK, the SDK call alone
// against the same fake: the gateway's own work should cost no more than
// the provider round trip (a ratio of at most 2).
func BenchmarkSMSPath(b *testing.B) {
	g := newGateway(b, map[string]string{"NOTIFY_GROUPS": benchGroups})
	benchPath(b, g)
}

// benchGroups is the legacy caller's group with a daily cap that a long
// run (-benchtime 10s) does not reach: the cap is still counted, as in
// production, but the default of 10,000 recipients a day would refuse
// the 10,001st op.
const benchGroups = `[{"id":"bc-fumin","channels":["sms"],
 "limits":{"verification":{"per_minute":0,"per_hour":0,"per_day":0},"daily_cap":100000000}}]`

func BenchmarkBareSDK(b *testing.B) {
	g := newGateway(b, nil)
	srv := httptest.NewServer(g.fake)
	defer srv.Close()
	c, err := dysms.NewClient(&openapi.Config{AccessKeyId: tea.String(akID), AccessKeySecret: tea.String(akSecret),
		Endpoint: tea.String(strings.TrimPrefix(srv.URL, "http://")), Protocol: tea.String("http"),
		ReadTimeout: tea.Int(10000), ConnectTimeout: tea.Int(5000)})
	if err != nil {
		b.Fatal(err)
	}
	req := &dysms.SendSmsRequest{PhoneNumbers: tea.String("18683441008"), SignName: tea.String("冰鉴科技"),
		TemplateCode: tea.String("SMS_184105379"), TemplateParam: tea.String(`{"code":"654321"}`)}
	rt := new(util.RuntimeOptions).SetAutoretry(false)
	b.ReportAllocs()
	for b.Loop() {
		res, err := c.SendSmsWithOptions(req, rt)
		if err != nil || tea.StringValue(res.Body.Code) != "OK" {
			b.Fatalf("SendSms: %v", err)
		}
	}
}

// BenchmarkSMSPathSandbox is the path with the sandbox provider: the
// gateway's own work alone, with no provider round trip.
func BenchmarkSMSPathSandbox(b *testing.B) {
	g := newGateway(b, map[string]string{"NOTIFY_GROUPS": benchGroups,
		"ALIBABA_CLOUD_ACCESS_KEY_ID": "", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ""})
	benchPath(b, g)
}

// benchPath posts the legacy API's example request to g's handler b.N times.
func benchPath(b *testing.B, g *gateway) {
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/sms", strings.NewReader(seedBody))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		g.Handler.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatalf("reply %d %s", w.Code, w.Body)
		}
	}
}
