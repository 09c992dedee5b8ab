package acs

import (
	"encoding/json"
	"net/url"
	"strings"
)

// Require returns Missing for the first of the mandatory parameters names
// that p lacks; nil when it has them all.
func Require(p url.Values, names ...string) *Error {
	for _, name := range names {
		if p.Get(name) == "" {
			return Missing(name)
		}
	}
	return nil
}

// JSONParam returns the business error isv.INVALID_JSON_PARAM when p has
// the parameter name (TemplateParam, TtsParam) and it is not a JSON object
// whose values are all strings; nil when it is one or absent.
func JSONParam(p url.Values, name string) *Error {
	if _, ok := p[name]; ok && !StringObject(p.Get(name)) {
		return Errorf("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
	}
	return nil
}

// StringObject reports whether s is a JSON object whose values are all
// strings, as TemplateParam and TtsParam must be.
func StringObject(s string) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(s), &m) != nil || m == nil {
		return false
	}
	for _, v := range m {
		if len(v) == 0 || v[0] != '"' {
			return false
		}
	}
	return true
}

// Mainland returns a mainland China mobile number as 11 digits, accepting
// the +86, 0086 and 86 prefixes, and whether n is one.
func Mainland(n string) (string, bool) {
	switch {
	case strings.HasPrefix(n, "+86"):
		n = n[3:]
	case strings.HasPrefix(n, "0086"):
		n = n[4:]
	case strings.HasPrefix(n, "86") && len(n) == 13:
		n = n[2:]
	}
	return n, len(n) == 11 && n[0] == '1' && Digits(n)
}

// Digits reports whether s is a non-empty string of ASCII digits.
func Digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
