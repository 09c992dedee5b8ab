package tencentsms

import (
	"errors"
	"testing"

	"github.com/seed4ddb146e/notify/shared/notify"
)

func TestDecodePull(t *testing.T) {
	set, err := decodePull([]byte(`{"Response":{"PullSmsSendStatusSet":[{"UserReceiveTime":"2026-12-03 10:00:05",
		"CountryCode":"86","SubscriberNumber":"13800138000","PhoneNumber":"+8613800138000",
		"SerialNo":"2433:1045710669157053657849499619","ReportStatus":"SUCCESS","Description":"用户短信送达成功",
		"SessionContext":"01a23e"}],"RequestId":"r-1"}}`))
	if err != nil || len(set) != 1 || set[0].SessionContext != "01a23e" || set[0].ReportStatus != "SUCCESS" {
		t.Fatalf("decodePull = %+v, %v", set, err)
	}
	_, err = decodePull([]byte(`{"Response":{"Error":{"Code":"RequestLimitExceeded","Message":"too fast"},"RequestId":"r-2"}}`))
	var e *notify.Error
	if !errors.As(err, &e) || e.Kind != notify.Throttled || e.Code != "RequestLimitExceeded" || e.RequestID != "r-2" {
		t.Errorf("decodePull of an Error = %v; want Throttled, with its code and request id", err)
	}
}

// FuzzDecodePull: any answer to a pull decodes or is refused without a
// panic, and a refusal is an *notify.Error.
func FuzzDecodePull(f *testing.F) {
	f.Add(`{"Response":{"PullSmsSendStatusSet":[{"UserReceiveTime":"2026-12-03 10:00:05","PhoneNumber":"+8613800138000","SerialNo":"2433:1","ReportStatus":"FAIL","Description":"MK:0005","SessionContext":"x"}],"RequestId":"r"}}`)
	f.Add(`{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"m"},"RequestId":"r"}}`)
	f.Add(`{"Response":{"PullSmsSendStatusSet":null}}`)
	f.Add(`{"Response":null}`)
	f.Add(`<html>502</html>`)
	f.Fuzz(func(t *testing.T, body string) {
		if _, err := decodePull([]byte(body)); err != nil {
			var e *notify.Error
			if !errors.As(err, &e) {
				t.Fatalf("decodePull(%q) = %v, not a *notify.Error", body, err)
			}
		}
	})
}
