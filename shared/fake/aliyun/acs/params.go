package acs

import (
	"encoding/json"
	"strings"
)

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
