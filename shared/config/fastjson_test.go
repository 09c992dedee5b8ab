package config

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// stdDecode decodes raw as Load did before fastDecode: encoding/json,
// unknown fields refused, nothing after the value.
func stdDecode(raw string, into any) bool {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(into) == nil && !dec.More()
}

// fastDecode takes only what encoding/json takes, and makes of it what
// encoding/json makes; what it does not take, encoding/json is left to
// judge.
func FuzzFastDecode(f *testing.F) {
	for _, s := range []string{
		`[{"id":"demo","channels":["sms"]}]`,
		`[{"id":"a","channels":[],"keys":null,"limits":{"voice":{"per_day":0},"daily_cap":-1},"codes":{"*":{"template":"t"}}}]`,
		`[{"id":"gm","channels":["sms"],"saas":{"combos":[{"id":1,"name":"套餐包","price":"200.00","sms_nums":2000}],
			"business_types":{"0":{"template":"SMS_1","params":{"code":"verify_code"}}},"provider_units":30366}}]`,
		`[{"id":"w","webhook":{"url":"https://example.com/hook","secrets":["whsec_a","whsec_b"]}}]`,
		`[{"name":"t","kind":"verification","variables":[{"name":"code","max_len":6,"chars":"digits"}],"ids":{"aliyun":"SMS_1","tencent":"1"}}]`,
		`[{"id":"a","ID":"b"}]`, `[{"id":"a","id":"b"}]`, `[{"id":"\u0061"}]`, `[{"limits":{"daily_cap":1e3}}]`,
		`[{"limits":{"daily_cap":01}}]`, `[] x`, `[{"id":"a"}] `, "[\xff]", `[{"codes":{"a":{},"a":{"template":"t"}}}]`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, newV := range []func() any{func() any { return new([]groupJSON) }, func() any { return new([]templateJSON) }} {
			fast, std := newV(), newV()
			if !fastDecode(raw, fast) {
				continue
			}
			if !stdDecode(raw, std) {
				t.Fatalf("fastDecode took %q, which encoding/json refuses", raw)
			}
			if !reflect.DeepEqual(fast, std) {
				t.Fatalf("%q: fastDecode made %#v; encoding/json %#v", raw, fast, std)
			}
		}
	})
}

// The large configuration of BenchmarkLoadLarge goes through fastDecode,
// as encoding/json reads it.
func TestFastDecodeLarge(t *testing.T) {
	vars := largeConfig(t)
	for _, c := range []struct {
		raw         string
		fast, std   any
		description string
	}{
		{vars["NOTIFY_GROUPS"], new([]groupJSON), new([]groupJSON), "groups"},
		{vars["NOTIFY_TEMPLATES"], new([]templateJSON), new([]templateJSON), "templates"},
	} {
		if !fastDecode(c.raw, c.fast) || !stdDecode(c.raw, c.std) {
			t.Fatalf("%s: fastDecode or encoding/json refused them", c.description)
		}
		if !reflect.DeepEqual(c.fast, c.std) {
			t.Errorf("%s: fastDecode and encoding/json differ", c.description)
		}
	}
}
