package aliyunvoice_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/seed4ddb146e/notify/shared/fake/aliyun/acs"
	"github.com/seed4ddb146e/notify/shared/fake/aliyun/dyvmsapi"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/aliyunvoice"
	"github.com/seed4ddb146e/notify/shared/provider/internal/aliyun/aliyuntest"
)

var call = notify.VoiceCall{
	ID:           "0190c5a3a2b7000000000000000000bb",
	CalledNumber: "13800138000",
	TtsCode:      "TTS_10001",
	Params:       `{"AckNum":"123456"}`,
}

func ptr(n int) *int { return &n }

// show prints a call's optional numbers as the fake recorded them.
func show(c dyvmsapi.Call) string {
	p := func(n *int) string {
		if n == nil {
			return "-"
		}
		return fmt.Sprint(*n)
	}
	return fmt.Sprintf("%s %q %s %s play=%s volume=%s speed=%s out=%q", c.CalledNumber, c.CalledShowNumber, c.TtsCode,
		c.TtsParam, p(c.PlayTimes), p(c.Volume), p(c.Speed), c.OutID)
}

func TestCall(t *testing.T) {
	tests := []struct {
		name string
		v    notify.VoiceCall
		want string
	}{
		{"everything", notify.VoiceCall{CalledNumber: "13800138000", CalledShowNumber: "057188773344", TtsCode: "TTS_10001",
			Params: `{"AckNum":"123 456*~"}`, PlayTimes: ptr(3), Volume: ptr(0), Speed: ptr(-500), OutID: "abcdefghijklmno"},
			`13800138000 "057188773344" TTS_10001 {"AckNum":"123 456*~"} play=3 volume=0 speed=-500 out="abcdefghijklmno"`},
		{"defaults", notify.VoiceCall{CalledNumber: "13900139000", TtsCode: "TTS_2"},
			`13900139000 "" TTS_2  play=- volume=- speed=- out=""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, c := aliyuntest.Setup(t, dyvmsapi.New, aliyunvoice.New)
			rc, err := c.Call(context.Background(), tt.v)
			if err != nil {
				t.Fatalf("Call: %v", err)
			}
			calls := fake.Calls()
			if len(calls) != 1 {
				t.Fatalf("the fake accepted %d calls, want 1", len(calls))
			}
			if rc.ProviderID != calls[0].CallID || rc.RequestID != calls[0].RequestID || rc.Code != "OK" {
				t.Errorf("acceptance = %+v, want CallId %q, RequestId %q, Code OK", rc, calls[0].CallID, calls[0].RequestID)
			}
			if got := show(calls[0]); got != tt.want {
				t.Errorf("the fake got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestProvider(t *testing.T) {
	aliyuntest.Run(t, aliyuntest.Provider{
		Op: "aliyunvoice.SingleCallByTts",
		NewFake: func(c acs.Credentials) (aliyuntest.Fake, func() int) {
			fake := dyvmsapi.New(c)
			return fake, func() int { return len(fake.Calls()) }
		},
		Client: aliyuntest.Client(aliyunvoice.New, func(ctx context.Context, c *aliyunvoice.Client) error {
			_, err := c.Call(ctx, call)
			return err
		}),
	})
}

// The fake validates like the service; its answers map to the right kinds.
func TestCallRefused(t *testing.T) {
	tests := []struct {
		name    string
		change  func(v *notify.VoiceCall)
		code    string
		message string
	}{
		{"international number", func(v *notify.VoiceCall) { v.CalledNumber = "+85261234567" },
			"isv.MOBILE_NUMBER_ILLEGAL", "号码格式非法"},
		{"play times", func(v *notify.VoiceCall) { v.PlayTimes = ptr(4) }, "isv.INVALID_PARAMETERS", "参数不合法: PlayTimes"},
		{"volume", func(v *notify.VoiceCall) { v.Volume = ptr(101) }, "isv.INVALID_PARAMETERS", "参数不合法: Volume"},
		{"speed", func(v *notify.VoiceCall) { v.Speed = ptr(501) }, "isv.INVALID_PARAMETERS", "参数不合法: Speed"},
		{"out id", func(v *notify.VoiceCall) { v.OutID = "abcdefghijklmnop" }, "isv.INVALID_PARAMETERS", "参数不合法: OutId"},
		{"params not strings", func(v *notify.VoiceCall) { v.Params = `{"AckNum":123456}` },
			"isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值"},
		{"no template", func(v *notify.VoiceCall) { v.TtsCode = "" },
			"MissingTtsCode", "TtsCode is mandatory for this action."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, c := aliyuntest.Setup(t, dyvmsapi.New, aliyunvoice.New)
			v := call
			tt.change(&v)
			_, err := c.Call(context.Background(), v)
			aliyuntest.Want(t, err, "aliyunvoice.SingleCallByTts", notify.Rejected, tt.code, tt.message)
			if n := len(fake.Calls()); n != 0 {
				t.Errorf("the fake accepted %d calls, want 0", n)
			}
		})
	}
}

func TestNew(t *testing.T) {
	_, err := aliyunvoice.New(aliyunvoice.Config{AccessKeyID: "ak"})
	if want := "aliyunvoice: config: AccessKeySecret is required"; err == nil || err.Error() != want {
		t.Errorf("New without a secret = %v, want %q", err, want)
	}
}

func ExampleClient_Call() {
	// A fake Dyvmsapi stands in for dyvmsapi.aliyuncs.com.
	fake := dyvmsapi.New(dyvmsapi.Config{AccessKeyID: "testAK", AccessKeySecret: "testSecret"})
	srv := httptest.NewServer(fake)
	defer srv.Close()

	c, err := aliyunvoice.New(aliyunvoice.Config{AccessKeyID: "testAK", AccessKeySecret: "testSecret", Endpoint: srv.URL})
	if err != nil {
		fmt.Println(err)
		return
	}
	rc, err := c.Call(context.Background(), notify.VoiceCall{CalledNumber: "13800138000", TtsCode: "TTS_10001",
		Params: `{"AckNum":"123456"}`})
	fmt.Println(rc.Code, rc.ProviderID == fake.Calls()[0].CallID, err)
	// Output: OK true <nil>
}

func BenchmarkCall(b *testing.B) {
	_, c := aliyuntest.Setup(b, dyvmsapi.New, aliyunvoice.New)
	ctx := context.Background()
	for b.Loop() {
		if _, err := c.Call(ctx, call); err != nil {
			b.Fatal(err)
		}
	}
}
