package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/seed4ddb146e/notify/shared/internal/jsonwords"
	"github.com/seed4ddb146e/notify/shared/notify"
)

// The decoders here accept what the legacy API's callers really send
// (docs/legacy.md): a JSON number where a string is documented, a
// comma-separated string where a list would do, and a bare value where an
// object is documented.

// scalar decodes a JSON string or number (or true/false) into its text. An
// absent or null value is "". Objects and arrays are refused.
func scalar(raw json.RawMessage, field string) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", notify.Invalidf(field, notify.ReasonInvalidField, "is not a valid JSON string")
		}
		return s, nil
	case '{', '[':
		return "", notify.Invalidf(field, notify.ReasonInvalidField, "must be a string")
	default:
		// A number or a boolean: keep its literal text, so that 18683441008
		// stays 18683441008 and not 1.8683441008e+10.
		return string(raw), nil
	}
}

// field names a raw request field and where its text goes.
type field struct {
	raw  json.RawMessage
	name string
	dst  *string
}

// scalars decodes each field with scalar, stopping at the first error.
func scalars(fs ...field) error {
	for _, f := range fs {
		s, err := scalar(f.raw, f.name)
		if err != nil {
			return err
		}
		*f.dst = s
	}
	return nil
}

// phoneList decodes PhoneNumbers: a string of comma-separated numbers, a JSON
// number, or a list of strings and numbers, each of which may itself be
// comma-separated numbers.
func phoneList(raw json.RawMessage, field string) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		items, err := scalarList(raw, field)
		if err != nil {
			return nil, err
		}
		// Most lists hold one number an item: they are returned as
		// decoded, without a copy.
		i := slices.IndexFunc(items, func(it string) bool { return strings.ContainsAny(it, ",，") })
		if i < 0 {
			return items, nil
		}
		out := make([]string, i, len(items)+1)
		copy(out, items[:i])
		for _, it := range items[i:] {
			if strings.ContainsAny(it, ",，") {
				out = append(out, splitNumbers(it)...)
			} else {
				out = append(out, it)
			}
		}
		return out, nil
	}
	s, err := scalar(raw, field)
	if err != nil || strings.TrimSpace(s) == "" {
		return nil, err
	}
	return splitNumbers(s), nil
}

// scalarList decodes a JSON list of strings and numbers, each as its
// trimmed text.
func scalarList(raw json.RawMessage, field string) ([]string, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, notify.Invalidf(field, notify.ReasonInvalidField, "must be a list of strings and numbers")
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		s, err := scalar(it, field)
		if err != nil {
			return nil, notify.Invalidf(field, notify.ReasonInvalidField, "item %d must be a string or a number", i+1)
		}
		out = append(out, strings.TrimSpace(s))
	}
	return out, nil
}

// splitNumbers splits s at its commas (ASCII or full-width), trimming each
// number and dropping empty ones.
func splitNumbers(s string) []string {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' })
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

// templateParams decodes TemplateParam (or TtsParam): a JSON object, a string
// holding a JSON object, or a bare value, which the legacy API treats as the
// verification code ({"code": value}). Values must be strings, numbers or
// booleans; numbers and booleans become their text, because Aliyun accepts
// only string values (isv.INVALID_JSON_PARAM).
func templateParams(raw json.RawMessage, field string) (map[string]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, notify.Invalidf(field, notify.ReasonInvalidField, "is not a valid JSON string")
		}
		t := strings.TrimSpace(s)
		if !strings.HasPrefix(t, "{") {
			if t == "" {
				return nil, nil
			}
			return map[string]string{"code": s}, nil
		}
		raw = []byte(t)
		if loneSurrogate(raw) {
			return nil, notify.Invalidf(field, notify.ReasonInvalidField, "is not valid UTF-8: it escapes a lone surrogate")
		}
	}
	switch raw[0] {
	case '{':
	case '[':
		return nil, notify.Invalidf(field, notify.ReasonInvalidField, "must be a JSON object of template variables, not a list")
	default:
		return map[string]string{"code": string(raw)}, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, notify.Invalidf(field, notify.ReasonInvalidJSON, "is not a valid JSON object: %v", jsonProblem(err))
	}
	out := make(map[string]string, len(obj))
	for k, v := range obj {
		s, err := scalar(v, field)
		if err != nil {
			return nil, notify.Invalidf(field, notify.ReasonInvalidField, "variable %q must be a string or a number", k)
		}
		out[k] = s
	}
	return out, nil
}

// jsonProblem describes a JSON error without echoing the input.
func jsonProblem(err error) string {
	switch e := err.(type) {
	case *json.SyntaxError:
		return fmt.Sprintf("syntax error at byte %d", e.Offset)
	case *json.UnmarshalTypeError:
		if e.Field != "" {
			return fmt.Sprintf("field %s: want %s, got %s", e.Field, e.Type, e.Value)
		}
		return fmt.Sprintf("want %s, got %s", e.Type, e.Value)
	default:
		return "malformed JSON"
	}
}

// decodeObject decodes a request body that must be a JSON object into v.
func decodeObject(body []byte, v any) *httpError {
	t := bytes.Trim(body, " \t\r\n") // JSON's whitespace alone, as every other reader of the body
	if len(t) == 0 {
		return requestError(400, "", notify.ReasonEmptyBody, "the request body is empty; send a JSON object")
	}
	if t[0] != '{' {
		return requestError(400, "", notify.ReasonInvalidJSON, "the request body must be a JSON object")
	}
	if !utf8.Valid(t) || loneSurrogate(t) {
		// JSON would read the bad bytes, or an escape of half a surrogate
		// pair ("\ud800"), as U+FFFD, silently, and send them.
		if f := invalidUTF8Field(t); f != "" {
			return requestError(400, f, notify.ReasonInvalidField, "is not valid UTF-8")
		}
		return requestError(400, "", notify.ReasonInvalidJSON, "the body is not valid UTF-8")
	}
	if err := json.Unmarshal(t, v); err != nil {
		if te := (*json.UnmarshalTypeError)(nil); errors.As(err, &te) && te.Field != "" {
			// Well-formed JSON with a value of the wrong type: the field's
			// fault, named as the body names it (attachments.content_type).
			return requestError(400, te.Field, notify.ReasonInvalidField,
				fmt.Sprintf("is a JSON %s; want %s", te.Value, jsonwords.Type(te.Type)))
		}
		return requestError(400, "", notify.ReasonInvalidJSON, "malformed JSON: "+jsonProblem(err))
	}
	return nil
}

// invalidUTF8Field is the first member, by name, of the JSON object body
// whose value holds bytes that are not UTF-8; "" when none does (the
// bytes are in a name, or body is not an object).
func invalidUTF8Field(body []byte) string {
	var m map[string]json.RawMessage // raw: the bytes as sent
	if json.Unmarshal(body, &m) != nil {
		return ""
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !utf8.Valid(m[k]) || loneSurrogate(m[k]) {
			return k
		}
	}
	return ""
}

// loneSurrogate reports whether the JSON text b has a \u escape of a
// surrogate that is not half of a pair (a high one, then a low one), which
// encoding/json decodes as U+FFFD.
func loneSurrogate(b []byte) bool {
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		r, ok := uEscape(b[i:])
		switch {
		case !ok:
			i++ // an escape of one character: \\, \", \n...
		case utf16.IsSurrogate(r):
			lo, ok := uEscape(b[i+6:])
			if r >= 0xdc00 || !ok || lo < 0xdc00 || lo > 0xdfff {
				return true
			}
			i += 11
		default:
			i += 5
		}
	}
	return false
}

// uEscape returns the code unit of the \uXXXX escape b starts with, and
// whether it starts with one.
func uEscape(b []byte) (rune, bool) {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range b[2:6] {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
