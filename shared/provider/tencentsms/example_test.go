package tencentsms_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/seed4ddb146e/notify/shared/fake/tencentcloud"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/tencentsms"
)

func Example() {
	// A fake Tencent Cloud SMS stands in for sms.tencentcloudapi.com.
	fake := tencentcloud.New(tencentcloud.Config{SecretID: "AKIDexample", SecretKey: "key", SDKAppID: "1400006666"})
	defer fake.Close()

	c, err := tencentsms.New(tencentsms.Config{SecretID: "AKIDexample", SecretKey: "key", SDKAppID: "1400006666",
		Endpoint: fake.URL()})
	if err != nil {
		fmt.Println(err)
		return
	}
	m := notify.TextMessage{
		ID:           "0190c5a3a2b7000000000000000000aa",
		PhoneNumbers: []string{"13800138000", "13900139000"},
		SignName:     "腾讯云",
		TemplateCode: "1110",
		ParamList:    []string{"4370", "5"},
	}
	rc, err := c.SendSMS(context.Background(), m)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rc.Code, strings.HasPrefix(rc.ProviderID, "2433:"), len(rc.Recipients), fake.Sends()[0].TemplateParams)

	// Tencent answers for each number; one refused number does not fail
	// the message.
	fake.Fail(tencentcloud.NumberError("LimitExceeded.PhoneNumberDailyLimit", "daily limit", "13900139000").Times(1))
	rc, err = c.SendSMS(context.Background(), m)
	fmt.Println(err, rc.Recipients[0].Code, notify.KindOf(rc.Recipients[1].Err))

	// When Tencent refuses the request, the message fails.
	fake.Fail(tencentcloud.APIError("FailedOperation.InsufficientBalanceInSmsPackage", "insufficient balance").Times(1))
	_, err = c.SendSMS(context.Background(), m)
	fmt.Println(notify.KindOf(err), notify.AsError(err).Code)
	// Output:
	// Ok true 2 [4370 5]
	// <nil> Ok throttled
	// account FailedOperation.InsufficientBalanceInSmsPackage
}

// ExampleSign signs the request of Tencent's "Signature v3" document.
func ExampleSign() {
	body := []byte(`{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`)
	r, _ := http.NewRequest(http.MethodPost, "https://cvm.tencentcloudapi.com", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	tencentsms.Sign(r, body, "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "cvm", time.Unix(1551113065, 0))
	fmt.Println(r.Header.Get("X-TC-Timestamp"))
	fmt.Println(strings.ReplaceAll(r.Header.Get("Authorization"), ", ", ",\n"))
	// Output:
	// 1551113065
	// TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request,
	// SignedHeaders=content-type;host,
	// Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168
}
