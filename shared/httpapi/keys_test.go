package httpapi

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
)

// keysByDecoder lists the member names of a JSON object as encoding/json's
// tokenizer reads them: the reference topKeys must agree with.
func keysByDecoder(body []byte) ([]string, bool) {
	d := json.NewDecoder(bytes.NewReader(body))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return nil, false
	}
	var keys []string
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return nil, false
		}
		keys = append(keys, t.(string))
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return nil, false
		}
	}
	if _, err := d.Token(); err != nil {
		return nil, false
	}
	if _, err := d.Token(); err == nil { // anything after the object
		return nil, false
	}
	return keys, true
}

func TestTopKeys(t *testing.T) {
	for _, c := range []struct {
		body string
		want []string
		ok   bool
	}{
		{`{}`, nil, true},
		{` { "a" : 1 , "b":"x,}]" ,"c":{"d":[1,{"e":"\"}"}]},"f":null} `, []string{"a", "b", "c", "f"}, true},
		{`{"Group\u0049D":"x","g\"q":true}`, []string{"GroupID", `g"q`}, true},
		{`{"a":-1.5e3,"b":[],"c":false}`, []string{"a", "b", "c"}, true},
		{`[1]`, nil, false},
		{`{"a":1`, nil, false},
		{`{"a":1}{}`, nil, false},
		{``, nil, false},
	} {
		got, ok := topKeys([]byte(c.body))
		if ok != c.ok || !slices.Equal(got, c.want) {
			t.Errorf("topKeys(%s) = %q, %v; want %q, %v", c.body, got, ok, c.want, c.ok)
		}
	}
}

func TestGroupOf(t *testing.T) {
	for _, c := range []struct {
		body, field, want, reason string
	}{
		{`{"GroupID":"ga","PhoneNumbers":"1"}`, "GroupID", "ga", ""},
		{`{"groupid":"ga"}`, "GroupID", "ga", ""},
		{`{"GROUPID":1234}`, "GroupID", "1234", ""},
		{`{"group_id":"ga"}`, "group_id", "ga", ""},
		{`{"group_id":"ga"}`, "GroupID", "", ""},
		{`{"GroupID":"gb","groupid":"ga"}`, "GroupID", "", "duplicate_field"},
		{`{"to":"a@b.c","TO":"d@e.f"}`, "group_id", "", "duplicate_field"},
		{`{"GroupID":{"a":1}}`, "GroupID", "", "invalid_field"},
		{`not json`, "GroupID", "", ""},
	} {
		got, he := groupOf([]byte(c.body), c.field)
		reason := ""
		if he != nil {
			reason = he.err.Reason
		}
		if got != c.want || reason != c.reason {
			t.Errorf("groupOf(%s, %s) = %q, %q; want %q, %q", c.body, c.field, got, reason, c.want, c.reason)
		}
	}
}

// FuzzTopKeys: on any input, topKeys agrees with encoding/json on whether
// it is one JSON object and on its member names, and never panics.
func FuzzTopKeys(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1,"b":"}","c":[{"d":"\\"}]}`, `{"GroupID":"x","groupid":"y"}`, `[]`, `{"a":`, `"s"`,
		`{"a":"\u00e9\ud83d\ude00"}`, ` {"a" : [ ] } `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, ok := topKeys(body)
		want, wantOK := keysByDecoder(body)
		if !json.Valid(body) {
			wantOK = false
		}
		if ok != wantOK || (ok && !slices.Equal(got, want)) {
			t.Fatalf("topKeys(%q) = %q, %v; encoding/json reads %q, %v", body, got, ok, want, wantOK)
		}
		_, _ = groupOf(body, "GroupID")
	})
}
