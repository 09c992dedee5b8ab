package httpapi

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

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
// normal; a refusal's msg names, by its Alidayu name, the parameter at
// fault.
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
			checkAlidayuRefusal(t, query, err, "rec_num", "sms_type", "sms_param", "sms_template_code", "sms_free_sign_name", "extend")
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

// checkAlidayuRefusal checks that err is Invalid and that the msg a caller
// sees names one of the parameters, by its Alidayu name.
func checkAlidayuRefusal(t *testing.T, query string, err error, names ...string) {
	t.Helper()
	e := notify.AsError(err)
	name := e.Field
	if n, ok := alidayuNames[name]; ok {
		name = n
	}
	if e.Kind != notify.Invalid || !slices.Contains(names, name) || !strings.Contains(alidayuMessage(e), name) {
		t.Fatalf("%q: refusal %v (field %q, msg %q); want Invalid naming one of %v", query, err, e.Field, alidayuMessage(e), names)
	}
}

// FuzzDecodeAlidayuQuery decodes any query string as querySmsDetail's
// parameters: a query it takes is of one canonical number, on a day of
// the last 30, a page from 1 to 10000 of 1 to 50; a refusal names, by its
// Alidayu name, the parameter at fault.
func FuzzDecodeAlidayuQuery(f *testing.F) {
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, notify.Beijing)
	for _, q := range []string{
		"rec_num=13000000000&query_date=20261203&current_page=1&page_size=10",
		"biz_id=1234%5E0&rec_num=+8613000000000&query_date=20261103&current_page=10000&page_size=50",
		"rec_num=13000000000&query_date=20261102&current_page=1&page_size=10",
		"rec_num=13000000000&query_date=2026-12-03&current_page=0&page_size=51",
		"rec_num=x&query_date=&current_page=&page_size=",
		"rec_num=13000000000&rec_num=13100000000&query_date=20261203&current_page=1e3&page_size=1",
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
		r, err := decodeAlidayuQuery(p, now)
		if err != nil {
			checkAlidayuRefusal(t, query, err, "biz_id", "rec_num", "query_date", "current_page", "page_size")
			return
		}
		if n, ok := notify.NormalizePhone(r.Recipient); !ok || n != r.Recipient {
			t.Fatalf("%q: took rec_num %q, not a canonical number", query, r.Recipient)
		}
		day, err := time.ParseInLocation("20060102", r.SendDate, notify.Beijing)
		if err != nil || day.After(now) || now.Sub(day) > (alidayuQueryDays+1)*24*time.Hour {
			t.Fatalf("%q: took query_date %q (%v), not of the last %d days", query, r.SendDate, err, alidayuQueryDays)
		}
		if r.Page < 1 || r.Page > 10000 || r.PageSize < 1 || r.PageSize > alidayuMaxPageSize {
			t.Fatalf("%q: took page %d of %d", query, r.Page, r.PageSize)
		}
		if r.Channel != notify.SMS || r.RecipientField != "rec_num" || r.ProviderIDField != "biz_id" {
			t.Fatalf("%q: took %+v", query, r)
		}
	})
}
