package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// topKeys returns the member names of the JSON object body, in order and
// unescaped, without decoding their values: a 10 MB attachment costs no
// copy. It stops after max names. ok is false when body is not one valid
// JSON object.
func topKeys(body []byte, max int) (keys []string, ok bool) {
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
		k := string(body[i+1 : end-1])
		if strings.IndexByte(k, '\\') >= 0 || !utf8.ValidString(k) {
			if json.Unmarshal(body[i:end], &k) != nil { // escapes, or bytes it replaces
				return nil, false
			}
		}
		keys = append(keys, k)
		if len(keys) == max {
			return keys, true
		}
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

// MaxFields is the most members a request body's top-level object may
// have: every route takes a dozen at most, and the check for a field named
// twice keeps one entry per member.
const MaxFields = 256

// twiceNamed is the error of a body that names one field twice, in any
// spelling the decoder takes for it ("GroupID" and "groupid"): which value
// counts would be the decoder's choice, and the part of the gateway that
// reads it first may read the other. It also refuses a body of more than
// MaxFields members.
func twiceNamed(body []byte) *httpError {
	keys, ok := topKeys(body, MaxFields+1)
	if !ok {
		return nil // decodeObject says what is wrong with it
	}
	if len(keys) > MaxFields {
		return requestError(http.StatusBadRequest, "", notify.ReasonTooManyFields,
			fmt.Sprintf("the body has more than %d fields; no request has that many", MaxFields))
	}
	seen := make(map[string]string, len(keys))
	for _, k := range keys {
		f := foldName(k)
		if first, dup := seen[f]; dup {
			return &httpError{err: &notify.Error{Op: "decode", Kind: notify.Invalid, Field: first, Reason: notify.ReasonDuplicateField,
				Err: errors.New("is named more than once (field names are matched without regard to case); name it once")}}
		}
		seen[f] = k
	}
	return nil
}

// foldName folds a field name as encoding/json does when it matches names
// to fields: two names that fold alike name the same field.
func foldName(name string) string {
	var b strings.Builder
	for _, r := range name {
		if 'a' <= r && r <= 'z' {
			r -= 'a' - 'A'
		} else if r >= utf8.RuneSelf {
			for {
				r2 := unicode.SimpleFold(r)
				if r2 <= r {
					r = r2
					break
				}
				r = r2
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

// groupOf reads the group a request body names in field (GroupID for
// sms and tts, group_id for mail) as the route's decoder will (matched the
// same way, in any case), without decoding the rest of it. It refuses a
// body that is not a JSON object, or names a field twice; "" when the body
// names no group.
func groupOf(body []byte, field string) (string, *httpError) {
	if he := twiceNamed(body); he != nil {
		return "", he
	}
	var g struct {
		GroupID     json.RawMessage
		GroupIDMail json.RawMessage `json:"group_id"`
	}
	if he := decodeObject(body, &g); he != nil {
		return "", he
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
