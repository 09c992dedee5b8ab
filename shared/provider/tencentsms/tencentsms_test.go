package tencentsms_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/fake/tencentcloud"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/tencentsms"
)

const (
	secretID  = "AKIDtest0123456789"
	secretKey = "test-secret-key-0123456789"
	appID     = "1400006666"
	op        = "tencentsms.SendSms"
)

var account = tencentcloud.Config{SecretID: secretID, SecretKey: secretKey, SDKAppID: appID}

var message = notify.TextMessage{
	ID:           "0190c5a3a2b7000000000000000000aa",
	PhoneNumbers: []string{"13800138000"},
	SignName:     "腾讯云",
	TemplateCode: "1110",
	ParamList:    []string{"4370"},
}

// setup starts a fake with the test account and returns it with a client
// of it, configured by change.
func setup(t testing.TB, change func(c *tencentsms.Config)) (*tencentcloud.Server, *tencentsms.Client) {
	t.Helper()
	fake := tencentcloud.Start(t, account)
	c := tencentsms.Config{SecretID: secretID, SecretKey: secretKey, SDKAppID: appID, Endpoint: fake.URL()}
	if change != nil {
		change(&c)
	}
	cl, err := tencentsms.New(c)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return fake, cl
}

// want checks that err is a *notify.Error of kind with the provider's code
// and message, with the request id when the provider answered, and that it
// shows nothing secret.
func want(t testing.TB, err error, kind notify.Kind, code, message string) *notify.Error {
	t.Helper()
	var e *notify.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *notify.Error of kind %v", err, err, kind)
	}
	if e.Kind != kind || e.Code != code || e.Message != message || e.Op != op {
		t.Errorf("error = %v\n op %s, kind %v, code %q, message %q\n want %s, %v, %q, %q",
			err, e.Op, e.Kind, e.Code, e.Message, op, kind, code, message)
	}
	if code != "" && len(e.RequestID) != 36 {
		t.Errorf("RequestID = %q, want the fake's request id", e.RequestID)
	}
	for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", e)} {
		for _, secret := range []string{secretKey, "TC3-HMAC-SHA256", "Signature="} {
			if strings.Contains(s, secret) {
				t.Errorf("error %q shows %q", s, secret)
			}
		}
	}
	return e
}

func TestSendSMS(t *testing.T) {
	tests := []struct {
		name string
		m    notify.TextMessage
		body string // the exact body the fake must receive
	}{
		{name: "one number",
			m:    message,
			body: `{"PhoneNumberSet":["+8613800138000"],"SmsSdkAppId":"1400006666","SignName":"腾讯云","TemplateId":"1110","TemplateParamSet":["4370"],"SessionContext":"0190c5a3a2b7000000000000000000aa"}`},
		{name: "several mainland numbers",
			m: notify.TextMessage{ID: "id-2", PhoneNumbers: []string{"13800138000", "13900139000", "+8613700137000"},
				SignName: "腾讯云", TemplateCode: "1110", ParamList: []string{"4370", "5"}},
			body: `{"PhoneNumberSet":["+8613800138000","+8613900139000","+8613700137000"],"SmsSdkAppId":"1400006666","SignName":"腾讯云","TemplateId":"1110","TemplateParamSet":["4370","5"],"SessionContext":"id-2"}`},
		{name: "international, no params, no sign name",
			m:    notify.TextMessage{ID: "id-3", PhoneNumbers: []string{"+85261234567", "+14155550100"}, TemplateCode: "2220"},
			body: `{"PhoneNumberSet":["+85261234567","+14155550100"],"SmsSdkAppId":"1400006666","TemplateId":"2220","SessionContext":"id-3"}`},
		{name: "characters JSON escapes",
			m: notify.TextMessage{ID: "id-4", PhoneNumbers: []string{"13800138000"}, SignName: `A "b" <c>`,
				TemplateCode: "1110", ParamList: []string{"x&y", "\\n"}, Params: `{"ignored":"yes"}`},
			body: `{"PhoneNumberSet":["+8613800138000"],"SmsSdkAppId":"1400006666","SignName":"A \"b\" \u003cc\u003e","TemplateId":"1110","TemplateParamSet":["x\u0026y","\\n"],"SessionContext":"id-4"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, c := setup(t, nil)
			rc, err := c.SendSMS(context.Background(), tt.m)
			if err != nil {
				t.Fatalf("SendSMS: %v", err)
			}
			sends := fake.Sends()
			if len(sends) != 1 {
				t.Fatalf("the fake accepted %d sends, want 1", len(sends))
			}
			s := sends[0]
			if string(s.Body) != tt.body {
				t.Errorf("the fake got\n %s\nwant\n %s", s.Body, tt.body)
			}
			if s.Region != "ap-guangzhou" {
				t.Errorf("region %q, want ap-guangzhou", s.Region)
			}
			if rc.ProviderID != s.Statuses[0].SerialNo || rc.RequestID != s.RequestID || rc.Code != "Ok" ||
				rc.Message != "send success" || !strings.HasPrefix(rc.ProviderID, "2433:") {
				t.Errorf("acceptance = %+v, want the first SerialNo %q and RequestId %q", rc, s.Statuses[0].SerialNo, s.RequestID)
			}
			if len(rc.Recipients) != len(tt.m.PhoneNumbers) {
				t.Fatalf("acceptance has %d recipients, want %d", len(rc.Recipients), len(tt.m.PhoneNumbers))
			}
			for i, r := range rc.Recipients {
				want := notify.RecipientAcceptance{Number: tt.m.PhoneNumbers[i], ProviderID: s.Statuses[i].SerialNo, Code: "Ok"}
				if r != want {
					t.Errorf("recipient %d = %+v, want %+v", i, r, want)
				}
			}
		})
	}
}

// Two sends of one message sign with their own timestamps; the fake
// checks each against its clock.
func TestFreshTimestamp(t *testing.T) {
	now := time.Now().Add(-4 * time.Minute)
	fake, c := setup(t, func(c *tencentsms.Config) {
		c.Now = func() time.Time { now = now.Add(3 * time.Minute); return now }
	})
	if _, err := c.SendSMS(context.Background(), message); err != nil {
		t.Fatalf("first send, signed a minute ago: %v", err)
	}
	if _, err := c.SendSMS(context.Background(), message); err != nil {
		t.Fatalf("second send, signed 2 minutes ahead: %v", err)
	}
	_, err := c.SendSMS(context.Background(), message) // 5 minutes ahead, and a bit
	want(t, err, notify.Account, "AuthFailure.SignatureExpire", "The signature is expired, please request again.")
	if n := len(fake.Sends()); n != 2 {
		t.Errorf("the fake accepted %d sends, want 2", n)
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		fault         tencentcloud.Fault
		kind          notify.Kind
		code, message string
		accepted      int
		retryAfter    bool
	}{
		{fault: tencentcloud.APIError("AuthFailure.SignatureFailure", "bad signature"), kind: notify.Account,
			code: "AuthFailure.SignatureFailure", message: "bad signature"},
		{fault: tencentcloud.APIError("UnauthorizedOperation.SerivceSuspendDueToArrears", "arrears"), kind: notify.Account,
			code: "UnauthorizedOperation.SerivceSuspendDueToArrears", message: "arrears"},
		{fault: tencentcloud.APIError("FailedOperation.InsufficientBalanceInSmsPackage", "no balance"), kind: notify.Account,
			code: "FailedOperation.InsufficientBalanceInSmsPackage", message: "no balance"},
		{fault: tencentcloud.APIError("LimitExceeded.AppDailyLimit", "daily"), kind: notify.Throttled,
			code: "LimitExceeded.AppDailyLimit", message: "daily", retryAfter: true},
		{fault: tencentcloud.APIError("RequestLimitExceeded", "too often"), kind: notify.Throttled,
			code: "RequestLimitExceeded", message: "too often", retryAfter: true},
		{fault: tencentcloud.APIError("InternalError.Timeout", "timeout"), kind: notify.Transient,
			code: "InternalError.Timeout", message: "timeout"},
		{fault: tencentcloud.APIError("InternalError", "internal"), kind: notify.Transient,
			code: "InternalError", message: "internal"},
		{fault: tencentcloud.APIError("FailedOperation.TemplateIncorrectOrUnapproved", "template"), kind: notify.Rejected,
			code: "FailedOperation.TemplateIncorrectOrUnapproved", message: "template"},
		{fault: tencentcloud.APIError("InvalidParameterValue.ContentLengthLimit", "too long"), kind: notify.Rejected,
			code: "InvalidParameterValue.ContentLengthLimit", message: "too long"},
		{fault: tencentcloud.APIError("MissingParameter", "missing"), kind: notify.Rejected,
			code: "MissingParameter", message: "missing"},
		{fault: tencentcloud.APIError("UnknownParameter", "unknown"), kind: notify.Rejected,
			code: "UnknownParameter", message: "unknown"},
		{fault: tencentcloud.APIError("ResourceNotFound.Template", "not found"), kind: notify.Rejected,
			code: "ResourceNotFound.Template", message: "not found"},
		{fault: tencentcloud.APIError("SomethingNew", "new"), kind: notify.Rejected, code: "SomethingNew", message: "new"},
		{fault: tencentcloud.NumberError("LimitExceeded.PhoneNumberThirtySecondLimit", "30s"), kind: notify.Throttled,
			code: "LimitExceeded.PhoneNumberThirtySecondLimit", message: "30s", retryAfter: true},
		{fault: tencentcloud.NumberError("LimitExceeded.DeliveryFrequencyLimit", "frequency"), kind: notify.Throttled,
			code: "LimitExceeded.DeliveryFrequencyLimit", message: "frequency"},
		{fault: tencentcloud.NumberError("FailedOperation.PhoneNumberInBlacklist", "blacklist"), kind: notify.Rejected,
			code: "FailedOperation.PhoneNumberInBlacklist", message: "blacklist"},
		{fault: tencentcloud.NumberError("InvalidParameterValue.IncorrectPhoneNumber", "incorrect"), kind: notify.Rejected,
			code: "InvalidParameterValue.IncorrectPhoneNumber", message: "incorrect"},
		{fault: tencentcloud.NumberError("FailedOperation.InsufficientBalanceInSmsPackage", "no balance"), kind: notify.Account,
			code: "FailedOperation.InsufficientBalanceInSmsPackage", message: "no balance"},
		{fault: tencentcloud.NumberError("InternalError.Timeout", "timeout"), kind: notify.Ambiguous,
			code: "InternalError.Timeout", message: "timeout"},
		{fault: tencentcloud.Gateway(502), kind: notify.Transient},
		{fault: tencentcloud.Gateway(503), kind: notify.Transient},
		{fault: tencentcloud.Gateway(500), kind: notify.Transient},
		{fault: tencentcloud.Gateway(504), kind: notify.Ambiguous},
		{fault: tencentcloud.Gateway(408), kind: notify.Transient},
		{fault: tencentcloud.Gateway(429), kind: notify.Throttled, retryAfter: true},
		{fault: tencentcloud.Gateway(413), kind: notify.Rejected},
		{fault: tencentcloud.Gateway(404), kind: notify.Account},
		{fault: tencentcloud.Gateway(302), kind: notify.Account},
		{fault: tencentcloud.NotJSON(), kind: notify.Ambiguous},
		{fault: tencentcloud.Drop(), kind: notify.Ambiguous},
		{fault: tencentcloud.AcceptThenDrop(), kind: notify.Ambiguous, accepted: 1},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			fake, c := setup(t, nil)
			fake.Fail(tt.fault.Times(1))
			_, err := c.SendSMS(context.Background(), message)
			e := want(t, err, tt.kind, tt.code, tt.message)
			if (e.RetryAfter > 0) != tt.retryAfter {
				t.Errorf("RetryAfter = %v, want one: %v", e.RetryAfter, tt.retryAfter)
			}
			if n := len(fake.Sends()); n != tt.accepted {
				t.Errorf("the fake accepted %d sends, want %d", n, tt.accepted)
			}
			if n := fake.Requests(); n != 1 {
				t.Errorf("the fake got %d requests, want 1 (the client must not retry)", n)
			}
			if _, err := c.SendSMS(context.Background(), message); err != nil {
				t.Errorf("the send after the fault: %v", err)
			}
		})
	}
}

// Each number has its own answer; the message fails only when every
// number does, with the least final kind.
func TestPerNumber(t *testing.T) {
	tests := []struct {
		name    string
		fault   tencentcloud.Fault
		numbers []string
		noSign  bool
		codes   []string // each number's Code
		kind    notify.Kind
		code    string // of the error when none was accepted; "" for an acceptance
	}{
		{name: "one refused",
			fault:   tencentcloud.NumberError("FailedOperation.PhoneNumberInBlacklist", "blacklist", "13900139000"),
			numbers: []string{"13800138000", "13900139000", "13700137000"},
			codes:   []string{"Ok", "FailedOperation.PhoneNumberInBlacklist", "Ok"}},
		{name: "only the last accepted",
			fault:   tencentcloud.NumberError("LimitExceeded.PhoneNumberDailyLimit", "daily", "13800138000", "+8613900139000"),
			numbers: []string{"13800138000", "13900139000", "13700137000"},
			codes:   []string{"LimitExceeded.PhoneNumberDailyLimit", "LimitExceeded.PhoneNumberDailyLimit", "Ok"}},
		{name: "throttled and a bad number",
			fault:   tencentcloud.NumberError("LimitExceeded.PhoneNumberDailyLimit", "daily", "13800138000", "13900139000"),
			numbers: []string{"13800138000", "13900139000", "+8612345"},
			kind:    notify.Throttled, code: "LimitExceeded.PhoneNumberDailyLimit"},
		{name: "ambiguous and a bad number",
			fault:   tencentcloud.NumberError("InternalError.Timeout", "timeout", "13700137000"),
			numbers: []string{"+8612345", "13700137000"},
			kind:    notify.Ambiguous, code: "InternalError.Timeout"},
		{name: "every number refused alike",
			numbers: []string{"13800138000", "13900139000"}, noSign: true,
			kind: notify.Rejected, code: "FailedOperation.SignatureIncorrectOrUnapproved"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, c := setup(t, nil)
			fake.Fail(tt.fault.Times(1))
			m := message
			m.PhoneNumbers = tt.numbers
			if tt.noSign {
				m.SignName = ""
			}
			rc, err := c.SendSMS(context.Background(), m)
			if tt.code != "" {
				e := want(t, err, tt.kind, tt.code, notify.AsError(err).Message)
				if s := fmt.Sprintf("none of %d numbers accepted", len(tt.numbers)); !strings.Contains(e.Error(), s) {
					t.Errorf("error %q does not say %q", e, s)
				}
				if n := len(fake.Sends()); n != 0 {
					t.Errorf("the fake recorded %d sends, want none", n)
				}
				return
			}
			if err != nil {
				t.Fatalf("SendSMS: %v", err)
			}
			s := fake.Sends()[0]
			var codes []string
			first := ""
			for i, r := range rc.Recipients {
				codes = append(codes, r.Code)
				st := s.Statuses[i]
				if r.Number != m.PhoneNumbers[i] || r.ProviderID != st.SerialNo {
					t.Errorf("recipient %d = %+v, want number %s, SerialNo %q", i, r, m.PhoneNumbers[i], st.SerialNo)
				}
				if r.Code == "Ok" {
					if first == "" {
						first = st.SerialNo
					}
					if r.Err != nil {
						t.Errorf("recipient %d accepted with error %v", i, r.Err)
					}
					continue
				}
				var e *notify.Error
				if !errors.As(r.Err, &e) || e.Kind == notify.Internal || e.Code != st.Code || e.Message != st.Message ||
					e.RequestID != s.RequestID || e.Op != op {
					t.Errorf("recipient %d error = %v, want the *notify.Error of %s %q", i, r.Err, st.Code, st.Message)
				}
			}
			if !slices.Equal(codes, tt.codes) {
				t.Errorf("codes = %q, want %q", codes, tt.codes)
			}
			if rc.ProviderID != first || first == "" {
				t.Errorf("ProviderID = %q, want the first accepted SerialNo %q", rc.ProviderID, first)
			}
		})
	}
}

// What the fake refuses as the service would: credentials, application,
// region, clock.
func TestAccountErrors(t *testing.T) {
	tests := []struct {
		name          string
		change        func(c *tencentsms.Config)
		code, message string
	}{
		{"wrong key", func(c *tencentsms.Config) { c.SecretKey = "wrong" },
			"AuthFailure.SignatureFailure", "The provided credentials could not be validated. Please check your signature is correct."},
		{"unknown id", func(c *tencentsms.Config) { c.SecretID = "AKIDother" },
			"AuthFailure.SecretIdNotFound", "The SecretId is not found, please ensure that your SecretId is correct."},
		{"another application", func(c *tencentsms.Config) { c.SDKAppID = "1400000000" },
			"UnauthorizedOperation.SmsSdkAppIdVerifyFail", "The SmsSdkAppId does not belong to the account of the SecretId."},
		{"clock behind", func(c *tencentsms.Config) { c.Now = func() time.Time { return time.Now().Add(-10 * time.Minute) } },
			"AuthFailure.SignatureExpire", "The signature is expired, please request again."},
		{"unsupported region", func(c *tencentsms.Config) { c.Region = "ap-shanghai" },
			"UnsupportedRegion", "The `Region` is not supported by the API."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, c := setup(t, tt.change)
			_, err := c.SendSMS(context.Background(), message)
			want(t, err, notify.Account, tt.code, tt.message)
			if n := len(fake.Sends()); n != 0 {
				t.Errorf("the fake accepted %d sends, want 0", n)
			}
		})
	}
	t.Run("another region", func(t *testing.T) {
		fake, c := setup(t, func(c *tencentsms.Config) { c.Region = "ap-beijing" })
		if _, err := c.SendSMS(context.Background(), message); err != nil || fake.Sends()[0].Region != "ap-beijing" {
			t.Errorf("SendSMS in ap-beijing: %v", err)
		}
	})
}

// Numbers the client refuses before any I/O.
func TestInvalid(t *testing.T) {
	many := make([]string, tencentsms.MaxPhoneNumbers+1)
	for i := range many {
		many[i] = fmt.Sprintf("138%08d", i)
	}
	tests := []struct {
		name    string
		numbers []string
		reason  string
	}{
		{"201 numbers", many, "too_many"},
		{"mainland and international", []string{"13800138000", "+85261234567"}, "mixed_regions"},
		{"no numbers", nil, "missing_field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, c := setup(t, nil)
			m := message
			m.PhoneNumbers = tt.numbers
			_, err := c.SendSMS(context.Background(), m)
			e := want(t, err, notify.Invalid, "", "")
			if e.Field != "PhoneNumbers" || e.Reason != tt.reason {
				t.Errorf("error %v: field %q, reason %q; want PhoneNumbers, %s", err, e.Field, e.Reason, tt.reason)
			}
			if n := fake.Requests(); n != 0 {
				t.Errorf("the fake got %d requests, want 0", n)
			}
		})
	}
	t.Run("200 numbers go", func(t *testing.T) {
		fake, c := setup(t, nil)
		m := message
		m.PhoneNumbers = many[:tencentsms.MaxPhoneNumbers]
		rc, err := c.SendSMS(context.Background(), m)
		if err != nil || len(rc.Recipients) != tencentsms.MaxPhoneNumbers || len(fake.Sends()) != 1 {
			t.Errorf("SendSMS of 200 numbers: %d recipients, %v", len(rc.Recipients), err)
		}
	})
}

func TestTransport(t *testing.T) {
	ctx := context.Background()
	t.Run("deadline", func(t *testing.T) {
		fake, c := setup(t, nil)
		fake.Fail(tencentcloud.Slow(time.Minute))
		ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		_, err := c.SendSMS(ctx, message)
		want(t, err, notify.Ambiguous, "", "")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %v does not wrap context.DeadlineExceeded", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		fake, c := setup(t, func(c *tencentsms.Config) { c.Timeout = 100 * time.Millisecond })
		fake.Fail(tencentcloud.Slow(time.Minute))
		_, err := c.SendSMS(ctx, message)
		want(t, err, notify.Ambiguous, "", "")
	})
	t.Run("connection refused", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		c, err := tencentsms.New(tencentsms.Config{SecretID: secretID, SecretKey: secretKey, SDKAppID: appID, Endpoint: "http://" + addr})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.SendSMS(ctx, message)
		want(t, err, notify.Transient, "", "")
	})
	t.Run("context done before", func(t *testing.T) {
		fake, c := setup(t, nil)
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := c.SendSMS(ctx, message)
		want(t, err, notify.Transient, "", "")
		if n := fake.Requests(); n != 0 {
			t.Errorf("the fake got %d requests, want 0", n)
		}
	})
	t.Run("429 with Retry-After", func(t *testing.T) {
		fake, c := setup(t, nil)
		fake.Fail(tencentcloud.Gateway(429))
		_, err := c.SendSMS(ctx, message)
		if e := want(t, err, notify.Throttled, "", ""); e.RetryAfter != time.Second {
			t.Errorf("RetryAfter = %v, want the 1s of the Retry-After header", e.RetryAfter)
		}
	})
}

func TestNew(t *testing.T) {
	if _, err := tencentsms.New(tencentsms.Config{SecretID: "id", SecretKey: "key", SDKAppID: "1400006666"}); err != nil {
		t.Errorf("New with what is required: %v", err)
	}
	tests := []struct {
		c    tencentsms.Config
		want string
	}{
		{tencentsms.Config{},
			"tencentsms: config: SecretID is required\nSecretKey is required\nSDKAppID is required"},
		{tencentsms.Config{SecretID: "id", SecretKey: "very-secret", SDKAppID: "app", Region: "AP Guangzhou",
			Endpoint: "ftp://u:very-secret@h", Timeout: -1},
			"tencentsms: config: SDKAppID \"app\" is not a number\nRegion \"AP Guangzhou\" is not a region name such as ap-guangzhou\n" +
				"Endpoint \"ftp://u:xxxxx@h\": the scheme must be http or https\nTimeout -1ns is negative"},
		{tencentsms.Config{SecretID: "id", SecretKey: "k", SDKAppID: "1", Endpoint: "https://h/path"},
			"tencentsms: config: Endpoint \"https://h/path\" must be a host, host:port or a URL without a path"},
		{tencentsms.Config{SecretID: "id", SecretKey: "k", SDKAppID: "1", Endpoint: "h:99999"},
			"tencentsms: config: Endpoint \"https://h:99999\" has a bad port"},
	}
	for _, tt := range tests {
		_, err := tencentsms.New(tt.c)
		if err == nil || err.Error() != tt.want {
			t.Errorf("New(%+v) = %v\nwant %q", tt.c, err, tt.want)
		}
	}
}

func BenchmarkSendSMS(b *testing.B) {
	for _, n := range []int{1, 200} {
		b.Run(fmt.Sprint(n, " numbers"), func(b *testing.B) {
			_, c := setup(b, nil)
			m := message
			m.PhoneNumbers = nil
			for i := range n {
				m.PhoneNumbers = append(m.PhoneNumbers, fmt.Sprintf("138%08d", i))
			}
			ctx := context.Background()
			for b.Loop() {
				if _, err := c.SendSMS(ctx, m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
