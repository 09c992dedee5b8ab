package sms_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

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
	b.ReportAllocs()
	for b.Loop() {
		postSeed(b, g)
	}
}

// benchGroups is the legacy caller's group with a daily cap that a long
// run (-benchtime 10s) does not reach: the cap is still counted, as in
// production, but the default of 10,000 recipients a day would refuse
// the 10,001st op.
const benchGroups = `[{"id":"bc-fumin","channels":["sms"],
 "limits":{"verification":{"per_minute":0,"per_hour":0,"per_day":0},"daily_cap":100000000}}]`

func BenchmarkBareSDK(b *testing.B) {
	send := bareSDK(b)
	b.ReportAllocs()
	for b.Loop() {
		send()
	}
}

// bareSDK returns a call of SendSms through the Aliyun SDK alone, to a
// fake Dysmsapi of its own.
func bareSDK(b *testing.B) func() {
	g := newGateway(b, nil)
	srv := httptest.NewServer(g.fake)
	b.Cleanup(srv.Close)
	c, err := dysms.NewClient(&openapi.Config{AccessKeyId: tea.String(akID), AccessKeySecret: tea.String(akSecret),
		Endpoint: tea.String(strings.TrimPrefix(srv.URL, "http://")), Protocol: tea.String("http"),
		ReadTimeout: tea.Int(10000), ConnectTimeout: tea.Int(5000)})
	if err != nil {
		b.Fatal(err)
	}
	req := &dysms.SendSmsRequest{PhoneNumbers: tea.String("18683441008"), SignName: tea.String("冰鉴科技"),
		TemplateCode: tea.String("SMS_184105379"), TemplateParam: tea.String(`{"code":"654321"}`)}
	rt := new(util.RuntimeOptions).SetAutoretry(false)
	return func() {
		res, err := c.SendSmsWithOptions(req, rt)
		if err != nil || tea.StringValue(res.Body.Code) != "OK" {
			b.Fatalf("SendSms: %v", err)
		}
	}
}

// BenchmarkSMSPathSandbox is the path with the sandbox provider: the
// gateway's own work alone, with no provider round trip.
func BenchmarkSMSPathSandbox(b *testing.B) {
	g := sandboxGateway(b)
	b.ReportAllocs()
	for b.Loop() {
		postSeed(b, g)
	}
}

// BenchmarkOwnWork runs BenchmarkSMSPathSandbox's op and
// BenchmarkBareSDK's in turns, 100 of each per round, and reports the
// median time of each and their ratio (x-bare-sdk): the gateway's own
// work, its two writes to SQLite included, against the SDK's round trip
// to a provider on the same host. Taking turns in one process keeps a
// machine whose speed drifts from skewing the ratio, as two benchmarks run
// one after the other do. (ns/op is a round's.)
func BenchmarkOwnWork(b *testing.B) {
	g := sandboxGateway(b)
	send := bareSDK(b)
	const per = 100
	var path, bare []time.Duration
	for b.Loop() {
		start := time.Now()
		for range per {
			postSeed(b, g)
		}
		path = append(path, time.Since(start)/per)
		start = time.Now()
		for range per {
			send()
		}
		bare = append(bare, time.Since(start)/per)
	}
	p, s := medianOf(path), medianOf(bare)
	b.ReportMetric(float64(p.Microseconds()), "µs/path")
	b.ReportMetric(float64(s.Microseconds()), "µs/bare-sdk")
	b.ReportMetric(float64(p)/float64(s), "x-bare-sdk")
}

// medianOf returns the median of ds, which it sorts.
func medianOf(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// sandboxGateway is the gateway with no Aliyun credentials: every SMS
// goes to the sandbox.
func sandboxGateway(b *testing.B) *gateway {
	return newGateway(b, map[string]string{"NOTIFY_GROUPS": benchGroups,
		"ALIBABA_CLOUD_ACCESS_KEY_ID": "", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ""})
}

// postSeed posts the legacy API's example request to g's handler.
func postSeed(b *testing.B, g *gateway) {
	r := httptest.NewRequest(http.MethodPost, "/sms", strings.NewReader(seedBody))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	g.Handler.ServeHTTP(w, r)
	if w.Code != 200 {
		b.Fatalf("reply %d %s", w.Code, w.Body)
	}
}
