package cloopen_test

import (
	"fmt"
	"github.com/seed4ddb146e/notify/shared/fake/internal/china"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/seed4ddb146e/notify/shared/fake/cloopen"
)

// ExampleNew sends one TemplateSMS to the fake by hand, then makes the fake
// refuse the next one with the service's flow-control code.
func ExampleNew() {
	fake := cloopen.New(cloopen.Config{AccountSID: "ACCOUNT", AuthToken: "TOKEN", AppID: "APP"})
	defer fake.Close()

	send := func() string {
		ts := time.Now().In(china.Beijing).Format(cloopen.TimestampLayout)
		url := fake.URL() + "/2013-12-26/Accounts/ACCOUNT/SMS/TemplateSMS?sig=" + cloopen.Sig("ACCOUNT", "TOKEN", ts)
		body := `{"to":"13800138000","appId":"APP","templateId":"1","datas":["123456","5"]}`
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Content-Type", "application/json;charset=utf-8")
		req.Header.Set("Authorization", cloopen.Authorization("ACCOUNT", ts))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	fmt.Println(strings.HasPrefix(send(), `{"statusCode":"000000","templateSMS":{"dateCreated":"`))
	fmt.Println(fake.Sends()[0].To, fake.Sends()[0].Datas)

	fake.Fail(cloopen.Business("160038", "短信验证码发送过频繁").Times(1))
	fmt.Println(send())
	// Output:
	// true
	// [13800138000] [123456 5]
	// {"statusCode":"160038","statusMsg":"短信验证码发送过频繁"}
}
