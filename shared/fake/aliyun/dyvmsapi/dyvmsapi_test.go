package dyvmsapi_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	openapi "github.com/alibabacloud-go/darabonba-openapi/client"
	dyvms "github.com/alibabacloud-go/dyvmsapi-20170525/v2/client"
	util "github.com/alibabacloud-go/tea-utils/service"
	"github.com/alibabacloud-go/tea/tea"

	"github.com/seed4ddb146e/notify/shared/fake/aliyun/acs"
	"github.com/seed4ddb146e/notify/shared/fake/aliyun/dyvmsapi"
)

// sdk returns the real SDK client pointed at a new fake, and the fake.
func sdk(t *testing.T, secret string) (*dyvmsapi.Server, *dyvms.Client) {
	t.Helper()
	fake := dyvmsapi.New(dyvmsapi.Config{AccessKeyID: "testAK", AccessKeySecret: "testSecret"})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	c, err := dyvms.NewClient(&openapi.Config{AccessKeyId: tea.String("testAK"), AccessKeySecret: tea.String(secret),
		Endpoint: tea.String(host), Protocol: tea.String("http"), NoProxy: tea.String(host)})
	if err != nil {
		t.Fatal(err)
	}
	return fake, c
}

// retrying asks the SDK to retry, which v0.1.4 never does (see
// TestGatewayErrors).
var retrying = new(util.RuntimeOptions).SetAutoretry(true).SetMaxAttempts(3)

func tts(c *dyvms.Client, req *dyvms.SingleCallByTtsRequest) (code string, err error) {
	resp, err := c.SingleCallByTtsWithOptions(req, retrying)
	var e *tea.SDKError
	switch {
	case errors.As(err, &e):
		return tea.StringValue(e.Code), nil
	case err != nil:
		return "", err
	}
	return tea.StringValue(resp.Body.Code), nil
}

func TestCallAndQuery(t *testing.T) {
	fake, c := sdk(t, "testSecret")
	resp, err := c.SingleCallByTtsWithOptions(&dyvms.SingleCallByTtsRequest{CalledNumber: tea.String("13800138000"),
		TtsCode: tea.String("TTS_10001"), TtsParam: tea.String(`{"AckNum":"123456"}`), PlayTimes: tea.Int32(3),
		Volume: tea.Int32(100), Speed: tea.Int32(5), OutId: tea.String("abcdefgh")}, retrying)
	if err != nil {
		t.Fatalf("SingleCallByTts: %v", err)
	}
	id := tea.StringValue(resp.Body.CallId)
	calls := fake.Calls()
	if tea.StringValue(resp.Body.Code) != "OK" || len(calls) != 1 || calls[0].CallID != id || !strings.Contains(id, "^") {
		t.Fatalf("SingleCallByTts = %v; the fake has %+v", resp.Body, calls)
	}

	now := time.Now().UnixMilli()
	tests := []struct {
		callID string
		date   int64
		want   string // the callee in Data; "" for no Data
	}{
		{id, now, "1380013****"},
		{"1^1", now, ""},
		{id, now - 3*24*3600*1000, ""},
	}
	for _, tt := range tests {
		q, err := c.QueryCallDetailByCallIdWithOptions(&dyvms.QueryCallDetailByCallIdRequest{CallId: tea.String(tt.callID),
			ProdId: tea.Int64(11000000300006), QueryDate: tea.Int64(tt.date)}, retrying)
		if err != nil {
			t.Fatalf("QueryCallDetailByCallId: %v", err)
		}
		var d struct{ CallID, State, Callee string }
		if data := tea.StringValue(q.Body.Data); data != "" {
			if err := json.Unmarshal([]byte(data), &d); err != nil {
				t.Fatalf("Data %q: %v", data, err)
			}
		}
		if d.Callee != tt.want || (tt.want != "" && (d.CallID != id || d.State != "200000")) {
			t.Errorf("QueryCallDetailByCallId(%s, %d): Data = %q, want the callee %q", tt.callID, tt.date, tea.StringValue(q.Body.Data), tt.want)
		}
	}
}

func TestCallRefused(t *testing.T) {
	ok := func() *dyvms.SingleCallByTtsRequest {
		return &dyvms.SingleCallByTtsRequest{CalledNumber: tea.String("13800138000"), TtsCode: tea.String("TTS_1")}
	}
	tests := []struct {
		name   string
		change func(r *dyvms.SingleCallByTtsRequest)
		want   string
	}{
		{"fine", func(r *dyvms.SingleCallByTtsRequest) {}, "OK"},
		{"bounds", func(r *dyvms.SingleCallByTtsRequest) {
			r.PlayTimes, r.Volume, r.Speed, r.OutId = tea.Int32(1), tea.Int32(0), tea.Int32(500), tea.String("123456789012345")
		}, "OK"},
		{"no number", func(r *dyvms.SingleCallByTtsRequest) { r.CalledNumber = nil }, "MissingCalledNumber"},
		{"bad number", func(r *dyvms.SingleCallByTtsRequest) { r.CalledNumber = tea.String("0085261234567") }, "isv.MOBILE_NUMBER_ILLEGAL"},
		{"bad show number", func(r *dyvms.SingleCallByTtsRequest) { r.CalledShowNumber = tea.String("0571-1") }, "isv.DISPLAY_NUMBER_ILLEGAL"},
		{"play times", func(r *dyvms.SingleCallByTtsRequest) { r.PlayTimes = tea.Int32(0) }, "isv.INVALID_PARAMETERS"},
		{"speed", func(r *dyvms.SingleCallByTtsRequest) { r.Speed = tea.Int32(-501) }, "isv.INVALID_PARAMETERS"},
		{"volume", func(r *dyvms.SingleCallByTtsRequest) { r.Volume = tea.Int32(-1) }, "isv.INVALID_PARAMETERS"},
		{"param", func(r *dyvms.SingleCallByTtsRequest) { r.TtsParam = tea.String(`["x"]`) }, "isv.INVALID_JSON_PARAM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := sdk(t, "testSecret")
			r := ok()
			tt.change(r)
			if got, err := tts(c, r); got != tt.want || err != nil {
				t.Errorf("SingleCallByTts = %q, %v; want %s", got, err, tt.want)
			}
		})
	}
}

// darabonba-openapi v0.1.4 leaves StatusCode unset on errors, so even with
// Autoretry a 5xx is not retried (docs/providers.md, Aliyun Dyvmsapi).
func TestGatewayErrors(t *testing.T) {
	fake, c := sdk(t, "wrong")
	_, err := c.SingleCallByTtsWithOptions(&dyvms.SingleCallByTtsRequest{CalledNumber: tea.String("13800138000"),
		TtsCode: tea.String("TTS_1")}, retrying)
	var e *tea.SDKError
	if !errors.As(err, &e) || tea.StringValue(e.Code) != "SignatureDoesNotMatch" || e.StatusCode != nil {
		t.Errorf("with a wrong secret: %v, want SignatureDoesNotMatch without a StatusCode", err)
	}

	fake, c = sdk(t, "testSecret")
	fake.Fail(acs.Unavailable())
	_, err = c.SingleCallByTtsWithOptions(&dyvms.SingleCallByTtsRequest{}, retrying)
	if !errors.As(err, &e) || tea.StringValue(e.Code) != "ServiceUnavailable" ||
		!strings.HasPrefix(tea.StringValue(e.Message), "code: 503, ") {
		t.Errorf("unavailable: %v, want ServiceUnavailable with the status in the message", err)
	}
	if n := fake.Requests(); n != 1 {
		t.Errorf("Requests() = %d, want 1: no retry", n)
	}
}

// ExampleNew points the real SDK at the fake: the server's host:port as
// Endpoint, and Protocol http.
func ExampleNew() {
	fake := dyvmsapi.New(dyvmsapi.Config{AccessKeyID: "testAK", AccessKeySecret: "testSecret"})
	srv := httptest.NewServer(fake)
	defer srv.Close()

	host := strings.TrimPrefix(srv.URL, "http://")
	c, err := dyvms.NewClient(&openapi.Config{AccessKeyId: tea.String("testAK"), AccessKeySecret: tea.String("testSecret"),
		Endpoint: tea.String(host), Protocol: tea.String("http"), NoProxy: tea.String(host)})
	if err != nil {
		fmt.Println(err)
		return
	}
	resp, err := c.SingleCallByTts(&dyvms.SingleCallByTtsRequest{CalledNumber: tea.String("13800138000"),
		TtsCode: tea.String("TTS_10001")})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tea.StringValue(resp.Body.Code), fake.Calls()[0].CallID == tea.StringValue(resp.Body.CallId))
	// Output: OK true
}
