package httpapi

import (
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// TestReadParams reads parameters from the query string (of a GET), a JSON
// body and a form body, as the SaaS routes' callers send them.
func TestReadParams(t *testing.T) {
	for _, tc := range []struct {
		name, query, contentType, body string
		field                          string
		want                           any
	}{
		{"query", "station_id=T7442", "", "", "station_id", "T7442"},
		{"JSON number as text", "", "application/json", `{"receive_phone":13112341234}`, "receive_phone", "13112341234"},
		{"query wins", "station_id=A", "application/json", `{"station_id":"B"}`, "station_id", "A"},
		{"form", "", "application/x-www-form-urlencoded", "task_id=22", "task_id", int64(22)},
		{"repeated", "station_ids=T1&station_ids=T2", "", "", "station_ids", []string{"T1", "T2"}},
		{"brackets", "station_ids[]=T1", "", "", "station_ids", []string{"T1"}},
		{"JSON list in the query", `station_ids=["T1","T2"]`, "", "", "station_ids", []string{"T1", "T2"}},
		{"JSON list in the body", "", "application/json", `{"station_ids":["T1",2]}`, "station_ids", []string{"T1", "2"}},
		{"one as a list", "station_ids=T1", "", "", "station_ids", []string{"T1"}},
		{"object", "", "application/json", `{"sms_content":{"verify_code":112095,"sms_signature":"[s]"}}`, "sms_content",
			map[string]string{"verify_code": "112095", "sms_signature": "[s]"}},
		{"object in a form", "", "application/x-www-form-urlencoded", `sms_content={"order_id":"1"}`, "sms_content",
			map[string]string{"order_id": "1"}},
		{"bool", "reverse=true", "", "", "reverse", true},
		{"bool as 0", "reverse=0", "", "", "reverse", false},
		// A POST's parameters are its body's: the query string is not read.
		{"POST: the body only", "station_id=Q9", "application/json", `{"station_id":"Q1"}`, "station_id", "Q1"},
		{"POST: nothing from the query", "station_id=Q9", "application/json", `{}`, "station_id", ""},
		{"JSON that curl -d labels a form", "", "application/x-www-form-urlencoded", `{"task_id":1}`, "task_id", int64(1)},
		{"JSON without a Content-Type", "", "", `{"task_id":1}`, "task_id", int64(1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method := "GET"
			if strings.HasPrefix(tc.name, "POST") || tc.query == "" {
				method = "POST"
			}
			r := httptest.NewRequest(method, "/sms/x?"+tc.query, strings.NewReader(tc.body))
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
			p, _, he := readParams(httptest.NewRecorder(), r, MaxBodyBytes, false)
			if he != nil {
				t.Fatalf("readParams: %v", he.err)
			}
			var got any
			var err error
			switch tc.want.(type) {
			case string:
				got, err = p.str(tc.field)
			case int64:
				got, _, err = p.int(tc.field, true)
			case []string:
				got, err = p.list(tc.field)
			case bool:
				got, err = p.bool(tc.field)
			default:
				var m map[string]string
				m, err = p.object(tc.field)
				if err == nil && len(m) == len(tc.want.(map[string]string)) {
					for k, v := range m {
						if tc.want.(map[string]string)[k] != v {
							t.Errorf("%s: %s = %q, want %q", tc.field, k, v, tc.want.(map[string]string)[k])
						}
					}
					return
				}
				got = m
			}
			if err != nil {
				t.Fatalf("%s: %v", tc.field, err)
			}
			if l, ok := got.([]string); ok {
				if !slices.Equal(l, tc.want.([]string)) {
					t.Errorf("%s = %q, want %q", tc.field, l, tc.want)
				}
				return
			}
			if got != tc.want {
				t.Errorf("%s = %#v, want %#v", tc.field, got, tc.want)
			}
		})
	}
}

// TestMalformedQuery: a query string that does not parse is refused as
// such, not read as if its parameters were missing.
func TestMalformedQuery(t *testing.T) {
	for _, q := range []string{"station_id=T7442;x=1", "station_id=%ZZ"} {
		r := httptest.NewRequest("GET", "/sms/balance/get?"+q, nil)
		if _, _, he := readParams(httptest.NewRecorder(), r, MaxBodyBytes, false); he == nil || he.err.Reason != "invalid_query" {
			t.Errorf("query %q: %v; want invalid_query", q, he)
		}
	}
}

// TestParamRefusals: each parameter of the wrong kind is refused, naming
// itself.
func TestParamRefusals(t *testing.T) {
	p := params{"n": []byte(`2.5`), "big": []byte(`99999999999999999999`), "b": []byte(`"maybe"`), "o": []byte(`[1]`),
		"l": []byte(`{"a":1}`), "ol": []byte(`{"a":[1]}`), "d": []byte(`"2019-02-29"`), "s": []byte(`{"x":1}`),
		"t": []byte(`true`)}
	for name, err := range map[string]error{
		"n":   second(p.int("n", true)),
		"big": second(p.int("big", true)),
		"b":   func() error { _, err := p.bool("b"); return err }(),
		"o":   func() error { _, err := p.object("o"); return err }(),
		"l":   func() error { _, err := p.list("l"); return err }(),
		"ol":  func() error { _, err := p.object("ol"); return err }(),
		"d":   func() error { _, err := p.day("d", true); return err }(),
		"s":   func() error { _, err := p.str("s"); return err }(),
		"t":   func() error { _, err := p.str("t"); return err }(),
	} {
		if e := notify.AsError(err); err == nil || !strings.HasPrefix(e.Field, name) {
			t.Errorf("%s: error %v; want one naming %s", name, err, name)
		}
	}
	if _, ok, err := p.int("absent", false); ok || err != nil {
		t.Errorf("an absent optional int: given %v, error %v", ok, err)
	}
	if _, _, err := p.int("absent", true); notify.AsError(err).Reason != "missing_field" {
		t.Errorf("an absent required int: %v; want missing_field", err)
	}
}

func second(_ int64, _ bool, err error) error { return err }

// TestParamLoneSurrogate: a list or an object held in a string (as a
// query, a form or a JSON string gives it) whose JSON escapes half a
// surrogate pair is refused, naming the parameter, as such an escape in
// the body itself is: JSON would read it as U+FFFD, silently, and the
// text sent would not be the text given. FuzzReadParams found it.
func TestParamLoneSurrogate(t *testing.T) {
	for _, tc := range []struct{ query, contentType, body string }{
		{`sms_content={"verify_code":"\ud800"}&station_ids=["\udc00x"]`, "", ""},
		{"", "application/x-www-form-urlencoded", `sms_content={"verify_code":"\ud800"}&station_ids=["\udc00x"]`},
		{"", "application/json", `{"sms_content":"{\"verify_code\":\"\\ud800\"}","station_ids":"[\"\\udc00x\"]"}`},
	} {
		method := "GET"
		if tc.body != "" {
			method = "POST"
		}
		r := httptest.NewRequest(method, "/sms/x", strings.NewReader(tc.body))
		r.URL.RawQuery = tc.query
		if tc.contentType != "" {
			r.Header.Set("Content-Type", tc.contentType)
		}
		p, _, he := readParams(httptest.NewRecorder(), r, MaxBodyBytes, false)
		if he != nil {
			t.Fatalf("%q %q: readParams: %v", tc.query, tc.body, he.err)
		}
		if m, err := p.object("sms_content"); notify.AsError(err).Field != "sms_content" {
			t.Errorf("%q %q: sms_content = %q, %v; want it refused", tc.query, tc.body, m, err)
		}
		if l, err := p.list("station_ids"); notify.AsError(err).Field != "station_ids" {
			t.Errorf("%q %q: station_ids = %q, %v; want it refused", tc.query, tc.body, l, err)
		}
	}
	// A pair is one character, and taken.
	p := params{"o": []byte(`"{\"a\":\"\\ud83d\\ude00\"}"`)}
	if m, err := p.object("o"); err != nil || m["a"] != "😀" {
		t.Errorf("a surrogate pair: %q, %v; want 😀", m, err)
	}
}

// FuzzReadParams reads any query string and body as a SaaS route does, and
// each parameter as every kind. A refusal of the request is a 4xx naming
// a reason; a refusal of a parameter is Invalid, naming it (or, for an
// object's member, "name.member"); and no text taken holds U+FFFD that the
// request did not spell: bad bytes and lone surrogates are refused, never
// read as U+FFFD.
func FuzzReadParams(f *testing.F) {
	f.Add(false, uint8(0), "station_id=T7442&start_date=2019-04-28", "")
	f.Add(true, uint8(1), "", `{"sms_content":{"verify_code":112095},"station_ids":["T1",2],"task_id":"22"}`)
	f.Add(true, uint8(2), "", `sms_content={"verify_code":"\ud800"}&station_ids=["\udc00x"]&reverse=1`)
	f.Add(false, uint8(0), `sms_content={"a":"\ud83d\ude00"}&station_ids[]=T1&station_ids[]=T2`, "")
	f.Add(true, uint8(1), "", `{"sms_content":"{\"a\":\"\\ud800\"}","station_ids":"[\"\\udc00\"]"}`)
	f.Add(true, uint8(3), "", `x`)
	f.Add(false, uint8(1), "limit=%ZZ", `{"a":"\ufffd"}`)
	types := []string{"", "application/json", "application/x-www-form-urlencoded", "text/plain"}
	names := []string{"station_id", "sms_content", "station_ids", "task_id", "reverse", "start_date"}
	f.Fuzz(func(t *testing.T, post bool, ct uint8, query, body string) {
		method := "GET"
		if post {
			method = "POST"
		}
		r := httptest.NewRequest(method, "/sms/x", strings.NewReader(body))
		r.URL.RawQuery = query
		if c := types[int(ct)%len(types)]; c != "" {
			r.Header.Set("Content-Type", c)
		}
		p, _, he := readParams(httptest.NewRecorder(), r, 1<<16, false)
		if he != nil {
			if he.status/100 != 4 || he.err == nil || he.err.Kind != notify.Invalid || he.err.Reason == "" {
				t.Fatalf("readParams refused with %d %v", he.status, he.err)
			}
			return
		}
		spelled := strings.ToLower(query + body)
		mayHold := strings.Contains(spelled, "ufffd") || strings.Contains(spelled, "%ef%bf%bd") || strings.Contains(spelled, "\ufffd")
		check := func(name string, err error, got ...string) {
			t.Helper()
			if err != nil {
				e := notify.AsError(err)
				if e.Kind != notify.Invalid || e.Reason == "" || (e.Field != name && !strings.HasPrefix(e.Field, name+".")) {
					t.Fatalf("%s: error %v (field %q, kind %v); want Invalid naming %s", name, err, e.Field, e.Kind, name)
				}
				return
			}
			for _, s := range got {
				if !utf8.ValidString(s) || (!mayHold && strings.ContainsRune(s, utf8.RuneError)) {
					t.Fatalf("%s: took %q from query %q, body %q", name, s, query, body)
				}
			}
		}
		all := slices.Clone(names)
		for name := range p {
			all = append(all, name)
		}
		for _, name := range all {
			s, err := p.str(name)
			check(name, err, s)
			if _, _, err := p.int(name, false); err != nil {
				check(name, err)
			}
			if _, err := p.bool(name); err != nil {
				check(name, err)
			}
			if _, err := p.day(name, false); err != nil {
				check(name, err)
			}
			l, err := p.list(name)
			check(name, err, l...)
			for _, it := range l {
				if it != strings.TrimSpace(it) {
					t.Fatalf("%s: item %q is not trimmed", name, it)
				}
			}
			m, err := p.object(name)
			for k, v := range m {
				check(name, err, k, v)
			}
			check(name, err)
		}
	})
}
