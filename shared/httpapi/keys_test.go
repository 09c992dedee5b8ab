package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
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
		got, ok := topKeys([]byte(c.body), 100)
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
		{`{"\u212Aey":1,"key":2}`, "GroupID", "", "duplicate_field"}, // the Kelvin sign folds to K
		{`{"ſ":1,"S":2}`, "GroupID", "", "duplicate_field"},
		{manyFields(MaxFields), "GroupID", "", ""},
		{manyFields(MaxFields + 1), "GroupID", "", "too_many_fields"},
		{`not json`, "GroupID", "", "invalid_json"},
		{"\f{}", "GroupID", "", "invalid_json"},
		{``, "GroupID", "", "empty_body"},
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

// manyFields is a body of n distinct members.
func manyFields(n int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "%q:0", strconv.Itoa(i))
	}
	return b.String() + "}"
}

// BenchmarkTwiceNamed: the check runs on every body before its sender is
// authenticated, so its cost must grow with the body, not its square.
func BenchmarkTwiceNamed(b *testing.B) {
	for _, n := range []int{16, MaxFields, 100_000} {
		body := []byte(manyFields(n))
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				twiceNamed(body)
			}
		})
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
		got, ok := topKeys(body, 1<<20)
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

// FuzzFoldName: two member names fold alike exactly when encoding/json
// takes the one for a field named the other, so that twiceNamed refuses
// a body naming one field twice in any two spellings, and only those.
func FuzzFoldName(f *testing.F) {
	for _, p := range [][2]string{{"GroupID", "groupid"}, {"K", "\u212a"}, {"S", "\u017f"}, {"ss", "ß"}, {"a_b", "ab"},
		{"ǅ", "ǆ"}, {"Σ", "ς"}, {"İ", "i"}, {"x", "x "}} {
		f.Add(p[0], p[1])
	}
	f.Fuzz(func(t *testing.T, key, name string) {
		if name == "" || !utf8.ValidString(name) || !utf8.ValidString(key) || strings.ContainsAny(name, "\"\\,`") {
			return
		}
		for _, r := range name {
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", r) {
				return // not a name encoding/json takes in a tag
			}
		}
		typ := reflect.StructOf([]reflect.StructField{{Name: "F", Type: reflect.TypeFor[*int](),
			Tag: reflect.StructTag(`json:"` + name + `"`)}})
		v := reflect.New(typ)
		body, _ := json.Marshal(map[string]int{key: 1})
		if err := json.Unmarshal(body, v.Interface()); err != nil {
			t.Fatalf("Unmarshal(%s): %v", body, err)
		}
		matched := !v.Elem().Field(0).IsNil()
		if folded := foldName(key) == foldName(name); folded != matched {
			t.Fatalf("foldName(%q) == foldName(%q) is %v; encoding/json takes the one for the other: %v", key, name, folded, matched)
		}
	})
}
