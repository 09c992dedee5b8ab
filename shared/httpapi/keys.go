package httpapi

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// topKeys returns the member names of the JSON object body, in order and
// unescaped, without decoding their values: a 10 MB attachment costs no
// copy. ok is false when body is not one valid JSON object.
func topKeys(body []byte) (keys []string, ok bool) {
	if !json.Valid(body) {
		return nil, false
	}
	i := skipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return nil, false
	}
	i++
	for {
		i = skipSpace(body, i)
		if body[i] == '}' {
			return keys, true
		}
		end := stringEnd(body, i)
		var k string
		if json.Unmarshal(body[i:end], &k) != nil {
			return nil, false
		}
		keys = append(keys, k)
		i = skipSpace(body, end) + 1 // past the colon
		i = valueEnd(body, skipSpace(body, i))
		i = skipSpace(body, i)
		if body[i] == '}' {
			return keys, true
		}
		i++ // past the comma
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just past the JSON string that starts at
// b[i], a quote.
func stringEnd(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return i
}

// valueEnd returns the index just past the valid JSON value that starts at
// b[i].
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = stringEnd(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(b) && !strings.ContainsRune(",}] \t\r\n", rune(b[i])) {
		i++
	}
	return i
}

// twiceNamed is the error of a body that names one field twice, in any
// spelling the decoder takes for it ("GroupID" and "groupid"): which value
// counts would be the decoder's choice, and the part of the gateway that
// reads it first may read the other.
func twiceNamed(body []byte) *httpError {
	keys, ok := topKeys(body)
	if !ok {
		return nil // decodeObject says what is wrong with it
	}
	for i, k := range keys {
		for _, l := range keys[:i] {
			if strings.EqualFold(k, l) {
				return &httpError{err: &notify.Error{Op: "decode", Kind: notify.Invalid, Field: l, Reason: "duplicate_field",
					Err: errors.New("is named more than once (field names are matched without regard to case); name it once")}}
			}
		}
	}
	return nil
}

// groupOf reads the group a request body names in field (GroupID for
// sms and tts, group_id for mail) as the route's decoder will (matched the
// same way, in any case), without decoding the rest of it. It refuses a
// body that names a field twice; "" when the body names no group or does
// not decode.
func groupOf(body []byte, field string) (string, *httpError) {
	if he := twiceNamed(body); he != nil {
		return "", he
	}
	var g struct {
		GroupID     json.RawMessage
		GroupIDMail json.RawMessage `json:"group_id"`
	}
	if json.Unmarshal(body, &g) != nil {
		return "", nil
	}
	raw := g.GroupID
	if field == "group_id" {
		raw = g.GroupIDMail
	}
	s, err := scalar(raw, field)
	if err != nil {
		return "", &httpError{err: notify.AsError(err)}
	}
	return s, nil
}
