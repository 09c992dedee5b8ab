package aliyunsms_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/seed4ddb146e/notify/shared/fake/aliyun/acs"
	"github.com/seed4ddb146e/notify/shared/fake/aliyun/dysmsapi"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/aliyunsms"
)

func Example() {
	// A fake Dysmsapi stands in for dysmsapi.aliyuncs.com.
	fake := dysmsapi.New(dysmsapi.Config{AccessKeyID: "testAK", AccessKeySecret: "testSecret"})
	srv := httptest.NewServer(fake)
	defer srv.Close()

	c, err := aliyunsms.New(aliyunsms.Config{AccessKeyID: "testAK", AccessKeySecret: "testSecret", Endpoint: srv.URL})
	if err != nil {
		fmt.Println(err)
		return
	}
	m := notify.TextMessage{
		PhoneNumbers: []string{"13800138000", "+85261234567"},
		SignName:     "阿里云短信测试",
		TemplateCode: "SMS_154950909",
		Params:       `{"code":"1234"}`,
	}
	rc, err := c.SendSMS(context.Background(), m)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rc.Code, strings.HasSuffix(rc.ProviderID, "^0"), fake.Sends()[0].PhoneNumbers)

	fake.Fail(acs.Business("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1").Times(1))
	_, err = c.SendSMS(context.Background(), m)
	fmt.Println(notify.KindOf(err), notify.AsError(err).Code)
	// Output:
	// OK true [13800138000 0085261234567]
	// throttled isv.BUSINESS_LIMIT_CONTROL
}
