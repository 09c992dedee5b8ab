package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// params are the parameters of a SaaS route: a GET's from its query
// string (and from a body that is a JSON object or a form, for a parameter
// the query lacks), a POST's from its body alone, so that what an
// Idempotency-Key covers (the body) is the whole request. Each value is
// kept as JSON: a query or form value as a JSON string, a repeated one as
// a list of them.
type params map[string]json.RawMessage

// readParams reads the parameters of r, and its body, at most limit bytes.
// postQuery reads a POST's query string too, for routes whose callers put
// parameters there (the Alidayu routes).
func readParams(w http.ResponseWriter, r *http.Request, limit int64, postQuery bool) (params, []byte, *httpError) {
	p := params{}
	body, he := readBody(w, r, limit)
	if he != nil {
		return nil, nil, he
	}
	if t := bytes.TrimSpace(body); len(t) > 0 {
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		switch {
		case mt == "application/x-www-form-urlencoded" && t[0] != '{':
			// (curl -d labels what it sends a form: a body that is a JSON
			// object is taken as one.)
			form, err := url.ParseQuery(string(t))
			if err != nil {
				return nil, nil, requestError(http.StatusBadRequest, "", notify.ReasonInvalidForm, "the form body is malformed")
			}
			if he := checkUTF8(form); he != nil {
				return nil, nil, he
			}
			p.addValues(form)
		case mt != "" && mt != "application/json" && !strings.HasSuffix(mt, "+json") &&
			mt != "application/x-www-form-urlencoded":
			return nil, nil, &httpError{status: http.StatusUnsupportedMediaType, err: &notify.Error{Op: "decode",
				Kind: notify.Invalid, Field: "Content-Type", Reason: notify.ReasonUnsupportedMediaType,
				Err: errNotJSONOrForm}}
		default:
			var obj map[string]json.RawMessage
			if he := decodeObject(t, &obj); he != nil {
				return nil, nil, he
			}
			for k, v := range obj {
				p[k] = v
			}
		}
	}
	if r.Method != http.MethodPost || postQuery {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return nil, nil, requestError(http.StatusBadRequest, "", notify.ReasonInvalidQuery,
				"the query string is malformed: parameters are name=value pairs joined by &, values URL-encoded")
		}
		if he := checkUTF8(q); he != nil {
			return nil, nil, he
		}
		p.addValues(q)
	}
	return p, body, nil
}

// checkUTF8 refuses a query or form whose names or values are not UTF-8:
// kept as JSON, their bad bytes would read as U+FFFD, silently.
func checkUTF8(vs url.Values) *httpError {
	for k, v := range vs {
		if !utf8.ValidString(k) || !utf8.ValidString(strings.Join(v, "")) {
			return requestError(http.StatusBadRequest, strings.TrimSuffix(k, "[]"), notify.ReasonInvalidField, "is not valid UTF-8")
		}
	}
	return nil
}

var errNotJSONOrForm = errors.New("must be application/json or application/x-www-form-urlencoded")

// readBody reads at most limit bytes of r's body.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, *httpError) {
	var buf bytes.Buffer
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &httpError{status: http.StatusRequestEntityTooLarge, err: &notify.Error{Op: "decode",
				Kind: notify.Invalid, Reason: notify.ReasonBodyTooLarge, Err: fmt.Errorf("request body is over %d bytes", limit)}}
		}
		return nil, requestError(http.StatusBadRequest, "", notify.ReasonUnreadableBody, "the request body could not be read")
	}
	return buf.Bytes(), nil
}

// addValues sets each of vs as a JSON string, or a list of them when it is
// repeated. "name[]", as some clients spell a list, is "name".
func (p params) addValues(vs url.Values) {
	for k, v := range vs {
		var raw []byte
		if len(v) == 1 && !strings.HasSuffix(k, "[]") {
			raw, _ = json.Marshal(v[0])
		} else {
			raw, _ = json.Marshal(v)
		}
		p[strings.TrimSuffix(k, "[]")] = raw
	}
}

// has reports whether name was given, and not as null or "".
func (p params) has(name string) bool {
	raw := bytes.TrimSpace(p[name])
	return len(raw) > 0 && string(raw) != "null" && string(raw) != `""`
}

// str returns the text of a string or number parameter; "" when absent.
func (p params) str(name string) (string, error) {
	if raw := bytes.TrimSpace(p[name]); string(raw) == "true" || string(raw) == "false" {
		return "", notify.Invalidf(name, notify.ReasonInvalidField, "must be a string, not %s", raw)
	}
	s, err := scalar(p[name], name)
	return strings.TrimSpace(s), err
}

// optStr returns the text of a parameter, nil when absent or null.
func (p params) optStr(name string) (*string, error) {
	if raw := bytes.TrimSpace(p[name]); len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	s, err := p.str(name)
	return &s, err
}

// int returns a whole-number parameter, given as a JSON number or a string
// of digits, and whether it was given. required makes its absence an error.
func (p params) int(name string, required bool) (int64, bool, error) {
	if !p.has(name) {
		if required {
			return 0, false, notify.Invalidf(name, notify.ReasonMissingField, "is required")
		}
		return 0, false, nil
	}
	s, err := p.str(name)
	if err != nil {
		return 0, false, notify.Invalidf(name, notify.ReasonInvalidField, "must be a whole number")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false, notify.Invalidf(name, notify.ReasonInvalidField, "%q is not a whole number", truncateText(s, 32))
	}
	return n, true, nil
}

// bool returns a true/false parameter: a JSON boolean, "true", "false",
// "1" or "0"; false when absent.
func (p params) bool(name string) (bool, error) {
	if !p.has(name) {
		return false, nil
	}
	s, err := p.str(name)
	if err == nil {
		switch strings.ToLower(s) {
		case "true", "1":
			return true, nil
		case "false", "0":
			return false, nil
		}
	}
	return false, notify.Invalidf(name, notify.ReasonInvalidField, "must be true or false")
}

// list returns a parameter that is a list of strings: a JSON list, a
// repeated query parameter, a string holding a JSON list, or a single
// value.
func (p params) list(name string) ([]string, error) {
	raw, err := p.unwrap(name, '[')
	if err != nil || len(raw) == 0 {
		return nil, err
	}
	if raw[0] != '[' {
		s, err := scalar(raw, name)
		if s = strings.TrimSpace(s); s == "" {
			return nil, err
		}
		return []string{s}, err
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, notify.Invalidf(name, notify.ReasonInvalidField, "must be a list of strings")
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		s, err := scalar(it, name)
		if err != nil {
			return nil, notify.Invalidf(name, notify.ReasonInvalidField, "item %d must be a string", i+1)
		}
		out = append(out, strings.TrimSpace(s))
	}
	return out, nil
}

// unwrap returns the JSON of a parameter that is a list or an object
// (open is '[' or '{'): as it is, or held in a string, as a query or a form
// gives it. Absent, null or a blank string is empty.
func (p params) unwrap(name string, open byte) (json.RawMessage, error) {
	raw := bytes.TrimSpace(p[name])
	switch {
	case string(raw) == "null":
		return nil, nil
	case len(raw) == 0 || raw[0] != '"':
		return raw, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, notify.Invalidf(name, notify.ReasonInvalidField, "is not a valid JSON string")
	}
	switch t := strings.TrimSpace(s); {
	case t == "":
		return nil, nil
	case t[0] == open:
		// The JSON held in the string was not seen by the body's checks:
		// an escape of half a surrogate pair in it would read as U+FFFD,
		// silently.
		if loneSurrogate([]byte(t)) {
			return nil, notify.Invalidf(name, notify.ReasonInvalidField, "is not valid UTF-8: it escapes a lone surrogate")
		}
		return json.RawMessage(t), nil
	}
	return raw, nil
}

// object returns a parameter that is a JSON object of strings and numbers
// (or a string holding one), each value as its text; nil when absent.
func (p params) object(name string) (map[string]string, error) {
	raw, err := p.unwrap(name, '{')
	if err != nil || len(raw) == 0 {
		return nil, err
	}
	if raw[0] != '{' {
		return nil, notify.Invalidf(name, notify.ReasonInvalidField, "must be a JSON object")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, notify.Invalidf(name, notify.ReasonInvalidJSON, "is not a valid JSON object: %v", jsonProblem(err))
	}
	out := make(map[string]string, len(obj))
	for k, v := range obj {
		s, err := scalar(v, name+"."+k)
		if err != nil {
			return nil, notify.Invalidf(name+"."+k, notify.ReasonInvalidField, "must be a string or a number")
		}
		out[k] = s
	}
	return out, nil
}

// day returns a date parameter, "2006-01-02", as the start of that Beijing
// day; the zero time when it is absent and not required.
func (p params) day(name string, required bool) (time.Time, error) {
	if !p.has(name) {
		if required {
			return time.Time{}, notify.Invalidf(name, notify.ReasonMissingField, "is required")
		}
		return time.Time{}, nil
	}
	s, err := p.str(name)
	if err != nil {
		return time.Time{}, err
	}
	return notify.ParseDay(name, s)
}

// truncateText cuts s to at most n bytes, on a character boundary.
func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && (s[n]&0xC0) == 0x80 {
		n--
	}
	return s[:n] + "…"
}
