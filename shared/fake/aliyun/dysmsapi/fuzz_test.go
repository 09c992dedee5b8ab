package dysmsapi

import (
	"github.com/seed4ddb146e/notify/shared/fake/internal/china"
	"net/url"
	"strings"
	"testing"
)

// FuzzActions feeds SendSms and QuerySendDetails any parameters: they never
// panic, a send is recorded exactly when it is accepted, and a query finds
// an accepted send by its first number.
func FuzzActions(f *testing.F) {
	f.Add("13800138000,0085261234567", `{"code":"1234"}`, "20250101", "10", "1")
	f.Add("+8613800138000", `{"a":1}`, "2025-01-01", "51", "0")
	f.Add("00", `null`, "", "x", "-1")
	f.Add(",", `{}`, "20251301", "50", "99999999999999999")
	f.Fuzz(func(t *testing.T, phones, param, date, size, page string) {
		s := New(Config{})
		_, e := s.sendSms("id", url.Values{"PhoneNumbers": {phones}, "SignName": {"S"}, "TemplateCode": {"T"},
			"TemplateParam": {param}})
		sends := s.Sends()
		if (e == nil) != (len(sends) == 1) {
			t.Fatalf("sendSms(%q, %q) = %v with %d sends recorded", phones, param, e, len(sends))
		}
		q := url.Values{"PhoneNumber": {phones}, "SendDate": {date}, "PageSize": {size}, "CurrentPage": {page}}
		if e == nil {
			first, _, _ := strings.Cut(phones, ",")
			q = url.Values{"PhoneNumber": {first}, "BizId": {sends[0].BizID},
				"SendDate": {sends[0].At.In(china.Beijing).Format("20060102")}, "PageSize": {"1"}, "CurrentPage": {"1"}}
		}
		v, qe := s.querySendDetails("id", q)
		if e == nil && (qe != nil || v.(queryReply).TotalCount < 1) {
			t.Fatalf("querySendDetails(%v) = %+v, %v; want the send", q, v, qe)
		}
	})
}
