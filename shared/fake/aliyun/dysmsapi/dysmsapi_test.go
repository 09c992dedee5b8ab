package dysmsapi_test

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	dysms "github.com/alibabacloud-go/dysmsapi-20170525/v3/client"
	util "github.com/alibabacloud-go/tea-utils/v2/service"
	"github.com/alibabacloud-go/tea/tea"

	"github.com/seed4ddb146e/notify/shared/fake/aliyun/acs"
	"github.com/seed4ddb146e/notify/shared/fake/aliyun/dysmsapi"
)

// sdk returns the real SDK client pointed at a new fake, and the fake.
func sdk(t *testing.T, secret string) (*dysmsapi.Server, *dysms.Client) {
	t.Helper()
	fake := dysmsapi.New(dysmsapi.Config{AccessKeyID: "testAK", AccessKeySecret: "testSecret"})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	c, err := dysms.NewClient(&openapi.Config{
		AccessKeyId:     tea.String("testAK"),
		AccessKeySecret: tea.String(secret),
		Endpoint:        tea.String(strings.TrimPrefix(srv.URL, "http://")),
		Protocol:        tea.String("http"),
		NoProxy:         tea.String(strings.TrimPrefix(srv.URL, "http://")),
	})
	if err != nil {
		t.Fatal(err)
	}
	return fake, c
}

var noRetry = new(util.RuntimeOptions).SetAutoretry(false)

func send(c *dysms.Client, phones, param string) (*dysms.SendSmsResponse, error) {
	req := &dysms.SendSmsRequest{PhoneNumbers: tea.String(phones), SignName: tea.String("阿里云短信测试"),
		TemplateCode: tea.String("SMS_154950909"), OutId: tea.String("out-1")}
	if param != "" {
		req.TemplateParam = tea.String(param)
	}
	return c.SendSmsWithOptions(req, noRetry)
}

func TestSendSmsAndQuery(t *testing.T) {
	fake, c := sdk(t, "testSecret")
	resp, err := send(c, "13800138000,0085261234567", `{"code":"1234"}`)
	if err != nil {
		t.Fatalf("SendSms: %v", err)
	}
	b := resp.Body
	if tea.StringValue(b.Code) != "OK" || tea.StringValue(b.Message) != "OK" || !strings.HasSuffix(tea.StringValue(b.BizId), "^0") ||
		len(tea.StringValue(b.RequestId)) != 36 {
		t.Errorf("answer = %v, want Code and Message OK, a BizId and a RequestId", b)
	}
	if sends := fake.Sends(); len(sends) != 1 || sends[0].BizID != tea.StringValue(b.BizId) {
		t.Fatalf("Sends() = %+v, want the one send of BizId %s", sends, tea.StringValue(b.BizId))
	}

	today := time.Now().In(time.FixedZone("CST", 8*3600)).Format("20060102")
	tests := []struct {
		phone, biz, date string
		page             int64
		total            string
		want             []string // PhoneNum of the details
	}{
		{"13800138000", "", today, 1, "1", []string{"13800138000"}},
		{"+8613800138000", tea.StringValue(b.BizId), today, 1, "1", []string{"13800138000"}},
		{"0085261234567", "", today, 1, "1", []string{"0085261234567"}},
		{"13800138000", "1^0", today, 1, "0", nil},
		{"13800138000", "", "20000101", 1, "0", nil},
		{"13800138000", "", today, 2, "1", nil},
	}
	for _, tt := range tests {
		req := &dysms.QuerySendDetailsRequest{PhoneNumber: tea.String(tt.phone), SendDate: tea.String(tt.date),
			PageSize: tea.Int64(10), CurrentPage: tea.Int64(tt.page)}
		if tt.biz != "" {
			req.BizId = tea.String(tt.biz)
		}
		q, err := c.QuerySendDetailsWithOptions(req, noRetry)
		if err != nil {
			t.Errorf("QuerySendDetails(%s, %q, %s, page %d): %v", tt.phone, tt.biz, tt.date, tt.page, err)
			continue
		}
		var got []string
		for _, d := range q.Body.SmsSendDetailDTOs.SmsSendDetailDTO {
			got = append(got, tea.StringValue(d.PhoneNum))
			if tea.Int64Value(d.SendStatus) != 3 || tea.StringValue(d.ErrCode) != "DELIVERED" ||
				tea.StringValue(d.OutId) != "out-1" || tea.StringValue(d.TemplateCode) != "SMS_154950909" {
				t.Errorf("detail = %v, want a delivered SMS_154950909 with OutId out-1", d)
			}
		}
		if tea.StringValue(q.Body.TotalCount) != tt.total || fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("QuerySendDetails(%s, %q, %s, page %d) = %s %v, want %s %v", tt.phone, tt.biz, tt.date, tt.page,
				tea.StringValue(q.Body.TotalCount), got, tt.total, tt.want)
		}
	}
}

// sdkError returns the code and status of an SDK error, or of a business
// error answer.
func sdkError(resp *dysms.SendSmsResponse, err error) (code string, status int) {
	var e *tea.SDKError
	if errors.As(err, &e) {
		return tea.StringValue(e.Code), tea.IntValue(e.StatusCode)
	}
	if err != nil {
		return err.Error(), 0
	}
	return tea.StringValue(resp.Body.Code), int(tea.Int32Value(resp.StatusCode))
}

func TestSendSmsRefused(t *testing.T) {
	many := strings.Repeat("13800138000,", dysmsapi.MaxPhoneNumbers) + "13800138000"
	tests := []struct {
		name, phones, param string
		code                string
		status              int
	}{
		{"no numbers", "", "", "MissingPhoneNumbers", 400},
		{"bad number", "13800138000,2345", "", "isv.MOBILE_NUMBER_ILLEGAL", 200},
		{"plus international", "+85261234567", "", "isv.MOBILE_NUMBER_ILLEGAL", 200},
		{"too many numbers", many, "", "isv.MOBILE_COUNT_OVER_LIMIT", 200},
		{"param not an object", "13800138000", `["1234"]`, "isv.INVALID_JSON_PARAM", 200},
		{"param not a string", "13800138000", `{"code":1234}`, "isv.INVALID_JSON_PARAM", 200},
		{"param not JSON", "13800138000", `{code:1234}`, "isv.INVALID_JSON_PARAM", 200},
		{"mainland with prefix", "+8613800138000,008613900139000,8613700137000", "", "OK", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := sdk(t, "testSecret")
			code, status := sdkError(send(c, tt.phones, tt.param))
			if code != tt.code || status != tt.status {
				t.Errorf("SendSms = %s %d, want %s %d", code, status, tt.code, tt.status)
			}
		})
	}
}

func TestGateway(t *testing.T) {
	t.Run("wrong secret", func(t *testing.T) {
		fake, c := sdk(t, "wrong")
		if code, status := sdkError(send(c, "13800138000", "")); code != "SignatureDoesNotMatch" || status != 400 {
			t.Errorf("SendSms = %s %d, want SignatureDoesNotMatch 400", code, status)
		}
		if n := len(fake.Sends()); n != 0 {
			t.Errorf("%d sends accepted, want 0", n)
		}
	})
	t.Run("unknown action", func(t *testing.T) {
		// SendBatchSms signs a form body too; the fake does not serve it.
		_, c := sdk(t, "testSecret")
		_, err := c.SendBatchSmsWithOptions(&dysms.SendBatchSmsRequest{PhoneNumberJson: tea.String(`["13800138000"]`),
			SignNameJson: tea.String(`["签名 *~"]`), TemplateCode: tea.String("SMS_1")}, noRetry)
		var e *tea.SDKError
		if !errors.As(err, &e) || tea.StringValue(e.Code) != "InvalidApi.NotFound" || tea.IntValue(e.StatusCode) != 404 {
			t.Errorf("SendBatchSms: %v, want InvalidApi.NotFound 404", err)
		}
	})
}

func TestFaults(t *testing.T) {
	fake, c := sdk(t, "testSecret")
	fake.Fail(acs.Business("isv.AMOUNT_NOT_ENOUGH", "账户余额不足").Times(2))
	fake.Fail(acs.Unavailable().Times(1))
	fake.Fail(acs.Gateway(400, "Throttling.User", "Request was denied due to user flow control."))
	want := []string{"isv.AMOUNT_NOT_ENOUGH 200", "isv.AMOUNT_NOT_ENOUGH 200", "ServiceUnavailable 503",
		"Throttling.User 400", "Throttling.User 400"}
	for i, w := range want {
		code, status := sdkError(send(c, "13800138000", ""))
		if got := fmt.Sprint(code, " ", status); got != w {
			t.Errorf("request %d = %s, want %s", i+1, got, w)
		}
	}
	fake.Heal()
	if code, _ := sdkError(send(c, "13800138000", "")); code != "OK" {
		t.Errorf("after Heal: %s, want OK", code)
	}
	if n, sends := fake.Requests(), len(fake.Sends()); n != 6 || sends != 1 {
		t.Errorf("Requests() = %d, %d sends; want 6 requests, 1 send", n, sends)
	}
}

// TestAcceptThenSlow: the send is accepted, and can be seen, before the
// late answer arrives, with its BizId.
func TestAcceptThenSlow(t *testing.T) {
	fake, c := sdk(t, "testSecret")
	fake.Fail(acs.AcceptThenSlow(200 * time.Millisecond).Times(1))
	answered := make(chan *dysms.SendSmsResponse, 1)
	go func() {
		resp, err := send(c, "13800138000", "")
		if err != nil {
			t.Error(err)
		}
		answered <- resp
	}()
	deadline := time.Now().Add(5 * time.Second)
	for len(fake.Sends()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case <-answered:
		t.Fatal("answered before the send could be seen")
	default:
	}
	if len(fake.Sends()) != 1 {
		t.Fatal("the send was not accepted before the answer")
	}
	resp := <-answered
	if resp == nil || tea.StringValue(resp.Body.BizId) != fake.Sends()[0].BizID {
		t.Errorf("the late answer %v does not name the send %+v", resp, fake.Sends()[0])
	}
}

// ExampleNew points the real SDK at the fake: the server's host:port as
// Endpoint, and Protocol http.
func ExampleNew() {
	fake := dysmsapi.New(dysmsapi.Config{AccessKeyID: "testAK", AccessKeySecret: "testSecret"})
	srv := httptest.NewServer(fake)
	defer srv.Close()

	host := strings.TrimPrefix(srv.URL, "http://")
	c, err := dysms.NewClient(&openapi.Config{AccessKeyId: tea.String("testAK"), AccessKeySecret: tea.String("testSecret"),
		Endpoint: tea.String(host), Protocol: tea.String("http"), NoProxy: tea.String(host)})
	if err != nil {
		fmt.Println(err)
		return
	}
	resp, err := c.SendSms(&dysms.SendSmsRequest{PhoneNumbers: tea.String("13800138000"),
		SignName: tea.String("阿里云短信测试"), TemplateCode: tea.String("SMS_154950909")})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tea.StringValue(resp.Body.Code), fake.Sends()[0].BizID == tea.StringValue(resp.Body.BizId))
	// Output: OK true
}
