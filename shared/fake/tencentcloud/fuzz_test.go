package tencentcloud

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzParseAuthorization: any header parses or is refused without a
// panic, and what parses puts itself back together.
func FuzzParseAuthorization(f *testing.F) {
	f.Add("TC3-HMAC-SHA256 Credential=AKID/2019-02-25/sms/tc3_request, SignedHeaders=content-type;host, Signature=72e4")
	f.Add("TC3-HMAC-SHA256 Credential=a/b/c/d,SignedHeaders=;,Signature==")
	f.Add("TC3-HMAC-SHA256 ,,,")
	f.Add("TC3-HMAC-SHA256 Credential=////, SignedHeaders=host")
	f.Fuzz(func(t *testing.T, h string) {
		a, ok := parseAuthorization(h)
		if !ok {
			return
		}
		if a.signature == "" || len(a.signedHeaders) == 0 || strings.Contains(a.secretID+a.date+a.service+a.terminator, "/") {
			t.Fatalf("parseAuthorization(%q) = %+v: an incomplete header parsed", h, a)
		}
		again := "TC3-HMAC-SHA256 Credential=" + a.secretID + "/" + a.date + "/" + a.service + "/" + a.terminator +
			", SignedHeaders=" + strings.Join(a.signedHeaders, ";") + ", Signature=" + a.signature
		if b, ok := parseAuthorization(again); !ok || b.signature != a.signature || b.secretID != a.secretID {
			t.Fatalf("parseAuthorization(%q) = %+v, but its canonical form %q gives %+v, %v", h, a, again, b, ok)
		}
	})
}

// FuzzParseSendSms: any body is accepted or refused with a real error
// shape, and an accepted one has what SendSms requires.
func FuzzParseSendSms(f *testing.F) {
	f.Add(`{"PhoneNumberSet":["+8613800138000"],"SmsSdkAppId":"1400006666","SignName":"腾讯云","TemplateId":"1110","TemplateParamSet":["4370"],"SessionContext":"x"}`)
	f.Add(`{"PhoneNumberSet":["13800138000","+85261234567"],"SmsSdkAppId":"1400006666","TemplateId":"1"}`)
	f.Add(`{"PhoneNumberSet":[],"SmsSdkAppId":"1","TemplateId":"1"}`)
	f.Add(`{"PhoneNumberSet":null,"SmsSdkAppId":null,"TemplateId":1}`)
	f.Add(`{"Unknown":1}`)
	f.Add(`null`)
	f.Add(`{"PhoneNumberSet":["+86"],"SmsSdkAppId":"1","TemplateId":"1","PhoneNumberSet":["0086138001380001"]}`)
	f.Fuzz(func(t *testing.T, body string) {
		req, e := parseSendSms([]byte(body), "")
		if e != nil {
			if e.Code == "" || e.Message == "" {
				t.Fatalf("parseSendSms(%q) = error %+v without a code or message", body, e)
			}
			return
		}
		if len(req.PhoneNumberSet) == 0 || len(req.PhoneNumberSet) > MaxPhoneNumbers || req.SmsSdkAppID == "" || req.TemplateID == "" {
			t.Fatalf("parseSendSms(%q) accepted %+v", body, req)
		}
		mainland := 0
		for _, n := range req.PhoneNumberSet {
			if mainlandish(n) {
				mainland++
			}
			if e, ok := canonical(n); ok && (!strings.HasPrefix(e, "+") || !digits(e[1:])) {
				t.Fatalf("canonical(%q) = %q, not E.164", n, e)
			}
		}
		if mainland != 0 && mainland != len(req.PhoneNumberSet) {
			t.Fatalf("parseSendSms(%q) accepted mixed numbers %q", body, req.PhoneNumberSet)
		}
		if !json.Valid([]byte(body)) {
			t.Fatalf("parseSendSms accepted a body that is not JSON: %q", body)
		}
	})
}
