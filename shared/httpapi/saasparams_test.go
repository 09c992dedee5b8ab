package httpapi

import (
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

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
