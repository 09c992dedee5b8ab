package httpapi

import (
	"net/url"
	"strings"
	"testing"

	"github.com/seed4ddb146e/notify/shared/notify"
)

func TestAlidayuParams(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want map[string]string
		ok   bool
	}{
		{`{"code":"1234","product":"alidayu"}`, map[string]string{"code": "1234", "product": "alidayu"}, true},
		{`{'code':'1234','product':'alidayu'}`, map[string]string{"code": "1234", "product": "alidayu"}, true},
		{`{"code":1234}`, map[string]string{"code": "1234"}, true},
		{`{'name':'O\'Brien'}`, map[string]string{"name": "O'Brien"}, true},
		{`{'code':'12"34'}`, map[string]string{"code": `12"34`}, true},
		{`{'name':'O'Brien'}`, nil, false},
		{``, nil, true},
		{`1234`, nil, false},
		{`{code:1234`, nil, false},
		{`{"a":{"b":1}}`, nil, false},
	} {
		got, err := alidayuParams(tc.in)
		if (err == nil) != tc.ok || len(got) != len(tc.want) {
			t.Errorf("alidayuParams(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			continue
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("alidayuParams(%q)[%q] = %q, want %q", tc.in, k, got[k], v)
			}
		}
		if err != nil && notify.AsError(err).Field != "sms_param" {
			t.Errorf("alidayuParams(%q): %v does not name sms_param", tc.in, err)
		}
	}
}

// FuzzDecodeAlidayuSend decodes any query string as sendSms's parameters:
// never a panic; a request it takes has at most 200 numbers and sms_type
// normal; a refusal names a field.
func FuzzDecodeAlidayuSend(f *testing.F) {
	for _, q := range []string{
		"rec_num=18000000000&sms_template_code=SMS_10000&sms_free_sign_name=%E6%B5%8B%E8%AF%95&sms_type=normal&extend=1234" +
			"&sms_param=%7B%22code%22%3A%221234%22%7D",
		"rec_num=13000000000,13100000000&sms_type=normal&sms_param={'code':'1234','product':'alidayu'}",
		`rec_num=1&sms_type=normal&sms_param={"a":1}`,
		"sms_type=voice",
		"rec_num=&sms_param=",
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, query string) {
		vs, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		p := params{}
		p.addValues(vs)
		r, err := DecodeAlidayuSend(p)
		if err != nil {
			if notify.AsError(err).Field == "" {
				t.Fatalf("%q: refusal %v names no field", query, err)
			}
			return
		}
		if len(r.PhoneNumbers) > alidayuMaxNumbers {
			t.Fatalf("%q: took %d numbers", query, len(r.PhoneNumbers))
		}
		if strings.TrimSpace(vs.Get("sms_type")) != "normal" {
			t.Fatalf("%q: taken with sms_type %q", query, vs.Get("sms_type"))
		}
	})
}
