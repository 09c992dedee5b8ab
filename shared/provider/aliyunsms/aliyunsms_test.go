package aliyunsms_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/fake/aliyun/acs"
	"github.com/seed4ddb146e/notify/shared/fake/aliyun/dysmsapi"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/aliyunsms"
	"github.com/seed4ddb146e/notify/shared/provider/internal/aliyun/aliyuntest"
)

var message = notify.TextMessage{
	ID:           "0190c5a3a2b7000000000000000000aa",
	PhoneNumbers: []string{"13800138000"},
	SignName:     "阿里云短信测试",
	TemplateCode: "SMS_154950909",
	Params:       `{"code":"1234"}`,
}

func TestSendSMS(t *testing.T) {
	tests := []struct {
		name string
		m    notify.TextMessage
		want dysmsapi.Send
	}{
		{
			name: "mainland and international",
			m: notify.TextMessage{PhoneNumbers: []string{"13800138000", "+85261234567"}, SignName: "阿里云短信测试",
				TemplateCode: "SMS_154950909", Params: `{"code":"1234"}`, OutID: "out-1"},
			want: dysmsapi.Send{PhoneNumbers: []string{"13800138000", "0085261234567"}, SignName: "阿里云短信测试",
				TemplateCode: "SMS_154950909", TemplateParam: `{"code":"1234"}`, OutID: "out-1"},
		},
		{
			name: "no params, no out id",
			m:    notify.TextMessage{PhoneNumbers: []string{"13900139000"}, SignName: "Sign", TemplateCode: "SMS_1"},
			want: dysmsapi.Send{PhoneNumbers: []string{"13900139000"}, SignName: "Sign", TemplateCode: "SMS_1"},
		},
		{
			// Delivery reports echo it: docs/providers.md (aliyunsms).
			name: "our id as the out id",
			m: notify.TextMessage{ID: "019e44b875c0ff264cae4c2f5fc9d57d", PhoneNumbers: []string{"13900139000"},
				SignName: "Sign", TemplateCode: "SMS_1"},
			want: dysmsapi.Send{PhoneNumbers: []string{"13900139000"}, SignName: "Sign", TemplateCode: "SMS_1",
				OutID: "019e44b875c0ff264cae4c2f5fc9d57d"},
		},
		{
			name: "the caller's out id rather than ours",
			m: notify.TextMessage{ID: "019e44b875c0ff264cae4c2f5fc9d57d", PhoneNumbers: []string{"13900139000"},
				SignName: "Sign", TemplateCode: "SMS_1", OutID: "order-7"},
			want: dysmsapi.Send{PhoneNumbers: []string{"13900139000"}, SignName: "Sign", TemplateCode: "SMS_1",
				OutID: "order-7"},
		},
		{
			// Spaces, "*" and "~" are encoded differently on the wire and
			// in the signature.
			name: "characters the signature encodes",
			m: notify.TextMessage{PhoneNumbers: []string{"13800138000"}, SignName: "A b*c~d",
				TemplateCode: "SMS_1", Params: `{"name":"Zhang San & *~+%"}`, OutID: "a b+c"},
			want: dysmsapi.Send{PhoneNumbers: []string{"13800138000"}, SignName: "A b*c~d",
				TemplateCode: "SMS_1", TemplateParam: `{"name":"Zhang San & *~+%"}`, OutID: "a b+c"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, c := aliyuntest.Setup(t, dysmsapi.New, aliyunsms.New)
			rc, err := c.SendSMS(context.Background(), tt.m)
			if err != nil {
				t.Fatalf("SendSMS: %v", err)
			}
			sends := fake.Sends()
			if len(sends) != 1 {
				t.Fatalf("the fake accepted %d sends, want 1", len(sends))
			}
			got := sends[0]
			if rc.ProviderID != got.BizID || rc.RequestID != got.RequestID || rc.Code != "OK" || rc.Message != "OK" {
				t.Errorf("acceptance = %+v, want BizId %q, RequestId %q, Code and Message OK", rc, got.BizID, got.RequestID)
			}
			if !strings.HasSuffix(rc.ProviderID, "^0") {
				t.Errorf("ProviderID = %q, want an Aliyun BizId ending in ^0", rc.ProviderID)
			}
			got.BizID, got.RequestID, got.At = "", "", time.Time{}
			if !equalSend(got, tt.want) {
				t.Errorf("the fake got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func equalSend(a, b dysmsapi.Send) bool {
	return slices.Equal(a.PhoneNumbers, b.PhoneNumbers) && a.SignName == b.SignName && a.TemplateCode == b.TemplateCode &&
		a.TemplateParam == b.TemplateParam && a.OutID == b.OutID
}

func TestProvider(t *testing.T) {
	aliyuntest.Run(t, aliyuntest.Provider{
		Op: "aliyunsms.SendSms",
		NewFake: func(c acs.Credentials) (aliyuntest.Fake, func() int) {
			fake := dysmsapi.New(c)
			return fake, func() int { return len(fake.Sends()) }
		},
		Client: aliyuntest.Client(aliyunsms.New, func(ctx context.Context, c *aliyunsms.Client) error {
			_, err := c.SendSMS(ctx, message)
			return err
		}),
	})
}

// The fake validates like the service; its answers map to the right kinds.
func TestSendSMSRefused(t *testing.T) {
	many := make([]string, dysmsapi.MaxPhoneNumbers+1)
	for i := range many {
		many[i] = "138" + strconv.Itoa(10000000+i)
	}
	tests := []struct {
		name    string
		change  func(m *notify.TextMessage)
		kind    notify.Kind
		code    string
		message string
	}{
		{"bad number", func(m *notify.TextMessage) { m.PhoneNumbers = []string{"12345"} },
			notify.Rejected, "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号"},
		{"too many numbers", func(m *notify.TextMessage) { m.PhoneNumbers = many },
			notify.Rejected, "isv.MOBILE_COUNT_OVER_LIMIT", "手机号码数量超过限制"},
		{"params not strings", func(m *notify.TextMessage) { m.Params = `{"code":1234}` },
			notify.Rejected, "isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值"},
		{"no numbers", func(m *notify.TextMessage) { m.PhoneNumbers = nil },
			notify.Rejected, "MissingPhoneNumbers", "PhoneNumbers is mandatory for this action."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, c := aliyuntest.Setup(t, dysmsapi.New, aliyunsms.New)
			m := message
			tt.change(&m)
			_, err := c.SendSMS(context.Background(), m)
			aliyuntest.Want(t, err, "aliyunsms.SendSms", tt.kind, tt.code, tt.message)
			if n := len(fake.Sends()); n != 0 {
				t.Errorf("the fake accepted %d sends, want 0", n)
			}
		})
	}
}

// New checks the configuration (every case: internal/aliyun's TestCheck).
func TestNew(t *testing.T) {
	if _, err := aliyunsms.New(aliyunsms.Config{AccessKeyID: "ak", AccessKeySecret: "sk"}); err != nil {
		t.Errorf("New with keys: %v", err)
	}
	_, err := aliyunsms.New(aliyunsms.Config{Endpoint: "ftp://h"})
	want := "aliyunsms: config: AccessKeyID is required\nAccessKeySecret is required\nEndpoint \"ftp://h\": the scheme must be http or https"
	if err == nil || err.Error() != want {
		t.Errorf("New with nothing = %v, want %q", err, want)
	}
}

func BenchmarkSendSMS(b *testing.B) {
	_, c := aliyuntest.Setup(b, dysmsapi.New, aliyunsms.New)
	ctx := context.Background()
	for b.Loop() {
		if _, err := c.SendSMS(ctx, message); err != nil {
			b.Fatal(err)
		}
	}
}
