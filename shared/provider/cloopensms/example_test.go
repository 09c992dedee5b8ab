package cloopensms_test

import (
	"context"
	"fmt"

	"github.com/seed4ddb146e/notify/shared/fake/cloopen"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/cloopensms"
)

func Example() {
	// A fake Cloopen stands in for app.cloopen.com:8883.
	fake := cloopen.New(cloopen.Config{AccountSID: "ACCOUNT_SID", AuthToken: "AUTH_TOKEN", AppID: "APP_ID"})
	defer fake.Close()

	c, err := cloopensms.New(cloopensms.Config{AccountSID: "ACCOUNT_SID", AuthToken: "AUTH_TOKEN", AppID: "APP_ID",
		Endpoint: fake.URL()})
	if err != nil {
		fmt.Println(err)
		return
	}
	m := notify.TextMessage{
		PhoneNumbers: []string{"13800138000", "13900139000"},
		TemplateCode: "1", // 【云通讯】您使用的是云通讯短信模板，您的验证码是{1}，请于{2}分钟内正确输入
		ParamList:    []string{"123456", "5"},
	}
	rc, err := c.SendSMS(context.Background(), m)
	if err != nil {
		fmt.Println(err)
		return
	}
	sent := fake.Sends()[0]
	fmt.Println(rc.Code, rc.ProviderID == sent.SMSMessageSID, sent.To, sent.Datas)

	fake.Fail(cloopen.Business("160038", "短信验证码发送过频繁").Times(1))
	_, err = c.SendSMS(context.Background(), m)
	fmt.Println(notify.KindOf(err), err)
	// Output:
	// 000000 true [13800138000 13900139000] [123456 5]
	// throttled cloopensms.TemplateSMS: 160038 短信验证码发送过频繁
}
