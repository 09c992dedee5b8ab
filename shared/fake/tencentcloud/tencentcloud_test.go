package tencentcloud_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/fake/tencentcloud"
	"github.com/seed4ddb146e/notify/shared/provider/tencentsms"
)

const (
	secretID  = "AKIDfake0123456789"
	secretKey = "fake-secret-key"
	appID     = "1400006666"
	okBody    = `{"PhoneNumberSet":["+8613800138000"],"SmsSdkAppId":"1400006666","SignName":"腾讯云","TemplateId":"1110","TemplateParamSet":["4370"],"SessionContext":"ctx-1"}`
)

var account = tencentcloud.Config{SecretID: secretID, SecretKey: secretKey, SDKAppID: appID}

// reply is the fake's answer, decoded.
type reply struct {
	Response struct {
		Error *struct {
			Code, Message string
		}
		RequestID     string `json:"RequestId"`
		SendStatusSet []tencentcloud.Status
	}
}

// code returns the answer's error code, or the Code of each number.
func (r reply) code() string {
	if r.Response.Error != nil {
		return r.Response.Error.Code
	}
	var codes []string
	for _, st := range r.Response.SendStatusSet {
		codes = append(codes, st.Code)
	}
	return strings.Join(codes, ",")
}

// request builds a SendSms request to fake with body, signed with the
// test keys at time at; the client's signer is checked against Tencent's
// published example in its own tests.
func request(t testing.TB, fake *tencentcloud.Server, body string, at time.Time, extra ...string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, fake.URL()+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-TC-Action", "SendSms")
	r.Header.Set("X-TC-Version", "2021-01-11")
	r.Header.Set("X-TC-Region", "ap-guangzhou")
	tencentsms.Sign(r, []byte(body), secretID, secretKey, "sms", at, extra...)
	return r
}

// do sends r and decodes the answer, which must be HTTP 200 JSON with a
// RequestId.
func do(t testing.TB, r *http.Request) reply {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var rep reply
	if err := json.Unmarshal(b, &rep); err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("answer = %d %q %s, want 200 application/json: %v", resp.StatusCode, resp.Header.Get("Content-Type"), b, err)
	}
	if len(rep.Response.RequestID) != 36 {
		t.Errorf("RequestId = %q, want a UUID", rep.Response.RequestID)
	}
	return rep
}

func TestSignature(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name   string
		at     time.Time // when the request is signed
		extra  []string  // more signed headers
		change func(r *http.Request)
		want   string
	}{
		{name: "good", at: now, want: "Ok"},
		{name: "clock 4 minutes behind", at: now.Add(-4 * time.Minute), want: "Ok"},
		{name: "clock 4 minutes ahead", at: now.Add(4 * time.Minute), want: "Ok"},
		{name: "x-tc-action signed too: values are lower-cased", at: now, extra: []string{"X-TC-Action"}, want: "Ok"},
		{name: "charset in Content-Type, signed", at: now, want: "Ok",
			change: func(r *http.Request) {
				r.Header.Set("Content-Type", "application/json; charset=utf-8")
				tencentsms.Sign(r, []byte(okBody), secretID, secretKey, "sms", now)
			}},
		{name: "separators without spaces", at: now, want: "Ok",
			change: func(r *http.Request) {
				r.Header.Set("Authorization", strings.ReplaceAll(r.Header.Get("Authorization"), ", ", ","))
			}},
		{name: "body tampered with", at: now, want: "AuthFailure.SignatureFailure",
			change: func(r *http.Request) {
				b := strings.Replace(okBody, "4370", "4371", 1)
				r.Body, r.ContentLength = io.NopCloser(strings.NewReader(b)), int64(len(b))
			}},
		{name: "Content-Type changed after signing", at: now, want: "AuthFailure.SignatureFailure",
			change: func(r *http.Request) { r.Header.Set("Content-Type", "application/json; charset=utf-8") }},
		{name: "signed header changed", at: now, extra: []string{"X-TC-Region"}, want: "AuthFailure.SignatureFailure",
			change: func(r *http.Request) { r.Header.Set("X-TC-Region", "ap-beijing") }},
		{name: "timestamp changed", at: now, want: "AuthFailure.SignatureFailure",
			change: func(r *http.Request) { r.Header.Set("X-TC-Timestamp", fmt.Sprint(now.Unix()+1)) }},
		{name: "another service in the scope", at: now, want: "AuthFailure.SignatureFailure",
			change: func(r *http.Request) {
				tencentsms.Sign(r, []byte(okBody), secretID, secretKey, "cvm", now)
			}},
		{name: "scope date not the timestamp's", at: now, want: "AuthFailure.SignatureFailure",
			change: func(r *http.Request) {
				date := now.UTC().Format(time.DateOnly)
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), date, "2019-02-25", 1))
			}},
		{name: "clock 6 minutes behind", at: now.Add(-6 * time.Minute), want: "AuthFailure.SignatureExpire"},
		{name: "clock 6 minutes ahead", at: now.Add(6 * time.Minute), want: "AuthFailure.SignatureExpire"},
		{name: "wrong key", at: now, want: "AuthFailure.SignatureFailure",
			change: func(r *http.Request) { tencentsms.Sign(r, []byte(okBody), secretID, "wrong", "sms", now) }},
		{name: "unknown SecretId", at: now, want: "AuthFailure.SecretIdNotFound",
			change: func(r *http.Request) { tencentsms.Sign(r, []byte(okBody), "AKIDother", secretKey, "sms", now) }},
		{name: "no Authorization", at: now, want: "AuthFailure.InvalidAuthorization",
			change: func(r *http.Request) { r.Header.Del("Authorization") }},
		{name: "another algorithm", at: now, want: "AuthFailure.InvalidAuthorization",
			change: func(r *http.Request) {
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "TC3-HMAC-SHA256", "HMAC-SHA1", 1))
			}},
		{name: "host not signed", at: now, want: "AuthFailure.InvalidAuthorization",
			change: func(r *http.Request) {
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "content-type;host", "content-type", 1))
			}},
		{name: "no timestamp", at: now, want: "MissingParameter",
			change: func(r *http.Request) { r.Header.Del("X-TC-Timestamp") }},
		{name: "no region", at: now, want: "MissingParameter",
			change: func(r *http.Request) { r.Header.Del("X-TC-Region") }},
		{name: "another action", at: now, want: "InvalidAction",
			change: func(r *http.Request) { r.Header.Set("X-TC-Action", "SendSmsX") }},
		{name: "another version", at: now, want: "NoSuchVersion",
			change: func(r *http.Request) { r.Header.Set("X-TC-Version", "2019-07-11") }},
		{name: "unsupported region", at: now, want: "UnsupportedRegion",
			change: func(r *http.Request) { r.Header.Set("X-TC-Region", "ap-shanghai") }},
		{name: "GET", at: now, want: "InvalidParameter",
			change: func(r *http.Request) { r.Method = http.MethodGet }},
		{name: "form body", at: now, want: "InvalidParameter",
			change: func(r *http.Request) { r.Header.Set("Content-Type", "application/x-www-form-urlencoded") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := tencentcloud.Start(t, account)
			r := request(t, fake, okBody, tt.at, tt.extra...)
			if tt.change != nil {
				tt.change(r)
			}
			rep := do(t, r)
			if got := rep.code(); got != tt.want {
				t.Errorf("answer %+v: code %s, want %s", rep.Response, got, tt.want)
			}
			if n, want := len(fake.Sends()), btoi(tt.want == "Ok"); n != want {
				t.Errorf("%d sends recorded, want %d", n, want)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestSendSms(t *testing.T) {
	many := make([]string, tencentcloud.MaxPhoneNumbers+1)
	for i := range many {
		many[i] = fmt.Sprintf("+86138%08d", i)
	}
	manyJSON, _ := json.Marshal(many)
	tests := []struct {
		name    string
		body    string
		code    string   // top-level error, or the Code of each number
		numbers []string // the answer's PhoneNumbers
		iso     []string
	}{
		{name: "mainland, every form",
			body:    `{"PhoneNumberSet":["+8613800138000","008613900139000","8613700137000","13600136000"],"SmsSdkAppId":"1400006666","SignName":"腾讯云","TemplateId":"1110"}`,
			code:    "Ok,Ok,Ok,Ok",
			numbers: []string{"+8613800138000", "+8613900139000", "+8613700137000", "+8613600136000"},
			iso:     []string{"CN", "CN", "CN", "CN"}},
		{name: "international, no sign name",
			body:    `{"PhoneNumberSet":["+85261234567","+14155550100","+2348012345678"],"SmsSdkAppId":"1400006666","TemplateId":"1110","TemplateParamSet":["a","b"]}`,
			code:    "Ok,Ok,Ok",
			numbers: []string{"+85261234567", "+14155550100", "+2348012345678"},
			iso:     []string{"HK", "US", "DEF"}},
		{name: "a bad number fails alone",
			body:    `{"PhoneNumberSet":["+8613800138000","+8612345"],"SmsSdkAppId":"1400006666","SignName":"腾讯云","TemplateId":"1110"}`,
			code:    "Ok,InvalidParameterValue.IncorrectPhoneNumber",
			numbers: []string{"+8613800138000", "+8612345"},
			iso:     []string{"CN", "DEF"}},
		{name: "mainland without a sign name",
			body:    `{"PhoneNumberSet":["13800138000"],"SmsSdkAppId":"1400006666","TemplateId":"1110"}`,
			code:    "FailedOperation.SignatureIncorrectOrUnapproved",
			numbers: []string{"+8613800138000"}, iso: []string{"CN"}},
		{name: "no numbers", body: `{"SmsSdkAppId":"1400006666","SignName":"S","TemplateId":"1110"}`, code: "MissingParameter"},
		{name: "empty numbers", body: `{"PhoneNumberSet":[],"SmsSdkAppId":"1400006666","SignName":"S","TemplateId":"1110"}`,
			code: "MissingParameter.EmptyPhoneNumberSet"},
		{name: "no template", body: `{"PhoneNumberSet":["13800138000"],"SmsSdkAppId":"1400006666","SignName":"S"}`, code: "MissingParameter"},
		{name: "no application", body: `{"PhoneNumberSet":["13800138000"],"SignName":"S","TemplateId":"1"}`, code: "MissingParameter"},
		{name: "another application", body: `{"PhoneNumberSet":["13800138000"],"SmsSdkAppId":"1400000000","SignName":"S","TemplateId":"1"}`,
			code: "UnauthorizedOperation.SmsSdkAppIdVerifyFail"},
		{name: "201 numbers", body: `{"PhoneNumberSet":` + string(manyJSON) + `,"SmsSdkAppId":"1400006666","SignName":"S","TemplateId":"1"}`,
			code: "LimitExceeded.PhoneNumberCountLimit"},
		{name: "mainland and international", body: `{"PhoneNumberSet":["13800138000","+85261234567"],"SmsSdkAppId":"1400006666","SignName":"S","TemplateId":"1"}`,
			code: "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber"},
		{name: "unknown parameter", body: `{"PhoneNumberSet":["13800138000"],"SmsSdkAppId":"1400006666","TemplateId":"1","Sign":"S"}`,
			code: "UnknownParameter"},
		{name: "params not strings", body: `{"PhoneNumberSet":["13800138000"],"SmsSdkAppId":"1400006666","SignName":"S","TemplateId":"1","TemplateParamSet":[1]}`,
			code: "InvalidParameter"},
		{name: "not an object", body: `["13800138000"]`, code: "InvalidParameter"},
		{name: "not JSON", body: `PhoneNumberSet=13800138000`, code: "InvalidParameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := tencentcloud.Start(t, account)
			rep := do(t, request(t, fake, tt.body, time.Now()))
			if got := rep.code(); got != tt.code {
				t.Fatalf("answer %+v: code %s, want %s", rep.Response, got, tt.code)
			}
			var numbers, iso []string
			for _, st := range rep.Response.SendStatusSet {
				numbers, iso = append(numbers, st.PhoneNumber), append(iso, st.IsoCode)
				if ok := st.Code == "Ok"; ok != strings.HasPrefix(st.SerialNo, "2433:") || ok != (st.Fee == 1) || ok != (st.Message == "send success") {
					t.Errorf("status %+v: want a 2433: SerialNo, Fee 1 and \"send success\" exactly when Ok", st)
				}
			}
			if !slices.Equal(numbers, tt.numbers) || !slices.Equal(iso, tt.iso) {
				t.Errorf("PhoneNumbers %q IsoCodes %q, want %q %q", numbers, iso, tt.numbers, tt.iso)
			}
			sends := fake.Sends()
			if want := btoi(strings.Contains(tt.code, "Ok")); len(sends) != want {
				t.Fatalf("%d sends recorded, want %d", len(sends), want)
			}
			if len(sends) == 1 {
				s := sends[0]
				if string(s.Body) != tt.body || s.RequestID != rep.Response.RequestID || s.Region != "ap-guangzhou" ||
					s.SmsSdkAppID != appID || !slices.Equal(s.Statuses, rep.Response.SendStatusSet) {
					t.Errorf("send %+v does not record the request %s and its answer %+v", s, tt.body, rep.Response)
				}
			}
		})
	}
}

func TestSendRecordsParameters(t *testing.T) {
	fake := tencentcloud.Start(t, account)
	body := `{"PhoneNumberSet":["13800138000"],"SmsSdkAppId":"1400006666","SignName":"腾讯云","TemplateId":"1110",` +
		`"TemplateParamSet":["4370","5"],"SessionContext":"ctx-1","ExtendCode":"10","SenderId":""}`
	rep := do(t, request(t, fake, body, time.Now()))
	s := fake.Sends()[0]
	st := rep.Response.SendStatusSet[0]
	if s.SignName != "腾讯云" || s.TemplateID != "1110" || !slices.Equal(s.TemplateParams, []string{"4370", "5"}) ||
		s.SessionContext != "ctx-1" || s.ExtendCode != "10" || !slices.Equal(s.PhoneNumbers, []string{"13800138000"}) {
		t.Errorf("send = %+v, want the request's parameters", s)
	}
	if st.SessionContext != "ctx-1" || st.SerialNo != s.Statuses[0].SerialNo {
		t.Errorf("status = %+v, want SessionContext ctx-1 and the recorded SerialNo", st)
	}
	rep2 := do(t, request(t, fake, body, time.Now()))
	if a, b := st.SerialNo, rep2.Response.SendStatusSet[0].SerialNo; a == b || len(a) != len(b) {
		t.Errorf("SerialNos %q and %q: want distinct ones of one length", a, b)
	}
}

func TestFaults(t *testing.T) {
	two := `{"PhoneNumberSet":["+8613800138000","+8613900139000"],"SmsSdkAppId":"1400006666","SignName":"S","TemplateId":"1"}`
	fake := tencentcloud.Start(t, account)
	fake.Fail(tencentcloud.APIError("InternalError.Timeout", "timeout").Times(2))
	fake.Fail(tencentcloud.NumberError("LimitExceeded.PhoneNumberDailyLimit", "daily limit", "13900139000").Times(1))
	fake.Fail(tencentcloud.NumberError("FailedOperation.PhoneNumberInBlacklist", "blacklist"))
	want := []string{"InternalError.Timeout", "InternalError.Timeout", "Ok,LimitExceeded.PhoneNumberDailyLimit",
		"FailedOperation.PhoneNumberInBlacklist,FailedOperation.PhoneNumberInBlacklist",
		"FailedOperation.PhoneNumberInBlacklist,FailedOperation.PhoneNumberInBlacklist"}
	for i, w := range want {
		if got := do(t, request(t, fake, two, time.Now())).code(); got != w {
			t.Errorf("request %d: %s, want %s", i+1, got, w)
		}
	}
	fake.Heal()
	if got := do(t, request(t, fake, two, time.Now())).code(); got != "Ok,Ok" {
		t.Errorf("after Heal: %s, want Ok,Ok", got)
	}
	if n, sends := fake.Requests(), len(fake.Sends()); n != 6 || sends != 2 {
		t.Errorf("Requests() = %d, %d sends; want 6 requests, 2 sends", n, sends)
	}
}

// The faults of the network, seen by a plain HTTP client.
func TestNetworkFaults(t *testing.T) {
	tests := []struct {
		fault    tencentcloud.Fault
		status   int    // 0: no answer
		body     string // a part of it
		accepted int
	}{
		{fault: tencentcloud.Gateway(502), status: 502, body: "<title>502 Bad Gateway</title>"},
		{fault: tencentcloud.Gateway(504), status: 504, body: "<title>504 Gateway Timeout</title>"},
		{fault: tencentcloud.NotJSON(), status: 200, body: "<html>"},
		{fault: tencentcloud.Drop()},
		{fault: tencentcloud.AcceptThenDrop(), accepted: 1},
		{fault: tencentcloud.Slow(10 * time.Millisecond), status: 200, body: `"Code":"Ok"`, accepted: 1},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			fake := tencentcloud.Start(t, account)
			fake.Fail(tt.fault.Times(1))
			resp, err := http.DefaultClient.Do(request(t, fake, okBody, time.Now()))
			switch {
			case tt.status == 0 && err == nil:
				resp.Body.Close()
				t.Fatalf("answer %d, want none", resp.StatusCode)
			case tt.status != 0 && err != nil:
				t.Fatalf("POST: %v, want %d", err, tt.status)
			case tt.status != 0:
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tt.status || !strings.Contains(string(b), tt.body) {
					t.Errorf("answer = %d %s, want %d with %q", resp.StatusCode, b, tt.status, tt.body)
				}
			}
			if n := len(fake.Sends()); n != tt.accepted {
				t.Errorf("%d sends recorded, want %d", n, tt.accepted)
			}
			if got := do(t, request(t, fake, okBody, time.Now())).code(); got != "Ok" {
				t.Errorf("the request after the fault: %s, want Ok", got)
			}
		})
	}
}

// A slow answer ends when the client gives up, and Close does not wait
// for it.
func TestSlowGivenUp(t *testing.T) {
	fake := tencentcloud.New(account)
	fake.Fail(tencentcloud.Slow(time.Hour))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := http.DefaultClient.Do(request(t, fake, okBody, time.Now()).WithContext(ctx))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("POST: %v, want the deadline", err)
	}
	fake.Close()
	if n := len(fake.Sends()); n != 0 {
		t.Errorf("%d sends recorded, want 0", n)
	}
}

// The fake's clock decides what is expired.
func TestClock(t *testing.T) {
	at := time.Date(2019, 2, 25, 23, 59, 0, 0, time.UTC)
	c := account
	c.Now = func() time.Time { return at.Add(2 * time.Minute) } // the next day, UTC
	fake := tencentcloud.Start(t, c)
	if got := do(t, request(t, fake, okBody, at)).code(); got != "Ok" {
		t.Errorf("signed at %v, 2 minutes before the fake's clock: %s, want Ok", at, got)
	}
	if s := fake.Sends(); len(s) != 1 || !s[0].At.Equal(at.Add(2*time.Minute)) {
		t.Errorf("send At = %v, want the fake's clock", s)
	}
	if got := do(t, request(t, fake, okBody, at.Add(-4*time.Minute))).code(); got != "AuthFailure.SignatureExpire" {
		t.Errorf("signed 6 minutes before the fake's clock: %s, want AuthFailure.SignatureExpire", got)
	}
}

func TestFaultString(t *testing.T) {
	tests := []struct {
		f    tencentcloud.Fault
		want string
	}{
		{tencentcloud.Fault{}, "no fault"},
		{tencentcloud.APIError("InternalError", "m").Times(2), "api error InternalError ×2"},
		{tencentcloud.NumberError("LimitExceeded.X", "m", "13800138000"), "number error LimitExceeded.X for +8613800138000"},
		{tencentcloud.NumberError("LimitExceeded.X", "m"), "number error LimitExceeded.X"},
		{tencentcloud.Gateway(502), "gateway 502"},
		{tencentcloud.Slow(time.Second), "slow 1s"},
		{tencentcloud.NotJSON(), "not JSON"},
		{tencentcloud.Drop(), "drop"},
		{tencentcloud.AcceptThenDrop(), "accept then drop"},
	}
	for _, tt := range tests {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

// ExampleNew runs the fake for a local run and sends it a request signed by
// hand.
func ExampleNew() {
	fake := tencentcloud.New(tencentcloud.Config{SecretID: "AKIDexample", SecretKey: "key", SDKAppID: "1400006666"})
	defer fake.Close()

	body := []byte(`{"PhoneNumberSet":["+8613800138000"],"SmsSdkAppId":"1400006666","SignName":"腾讯云","TemplateId":"1110"}`)
	r, _ := http.NewRequest(http.MethodPost, fake.URL(), bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-TC-Action", "SendSms")
	r.Header.Set("X-TC-Version", "2021-01-11")
	r.Header.Set("X-TC-Region", "ap-guangzhou")
	tencentsms.Sign(r, body, "AKIDexample", "key", "sms", time.Now())
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()

	st := fake.Sends()[0].Statuses[0]
	fmt.Println(resp.StatusCode, st.PhoneNumber, st.Code, st.Message, strings.HasPrefix(st.SerialNo, "2433:"))
	// Output: 200 +8613800138000 Ok send success true
}
