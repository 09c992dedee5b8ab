package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"

	"github.com/seed4ddb146e/notify/shared/internal/jsonwords"
)

// describeJSONError turns the error of decoding raw, the value of
// variable v, into something of type into, into a problem: the line and
// column of malformed JSON; for a value of the wrong type or an unknown
// field, the JSON path and what was wanted there, in JSON's words. It
// never echoes the text, which may hold keys.
func describeJSONError(v, raw string, into reflect.Type, err error) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		line, col := position(raw, syn.Offset)
		return fmt.Sprintf("%s: malformed JSON at line %d, column %d: %v", v, line, col, syn)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) { // a stream decoder's word for it
		line, col := position(raw, int64(len(raw)))
		return fmt.Sprintf("%s: malformed JSON at line %d, column %d: it ends before the value does", v, line, col)
	}
	// Type errors and unknown fields: walk the text again to find where.
	w := jsonWalker{dec: json.NewDecoder(strings.NewReader(raw)), raw: raw}
	w.dec.UseNumber()
	if problem := w.value(into, v); problem != "" {
		return problem
	}
	return fmt.Sprintf("%s: %s", v, strings.TrimPrefix(err.Error(), "json: "))
}

// jsonWalker finds the first value in its text that does not fit the Go
// type it is decoded into, as encoding/json decodes it.
type jsonWalker struct {
	dec *json.Decoder
	raw string
	// broken is set once the decoder failed: a value it could not read
	// stays in its buffer, and More would go on saying there is another.
	broken bool
}

// more reports whether the list or object being read has another element.
func (w *jsonWalker) more() bool { return !w.broken && w.dec.More() }

// key reads an object's key.
func (w *jsonWalker) key() any {
	k, err := w.dec.Token()
	w.broken = w.broken || err != nil
	return k
}

// value reads one value, decoded into t at path, and returns the problem
// with it or within it; "" when none.
func (w *jsonWalker) value(t reflect.Type, path string) string {
	start := w.dec.InputOffset()
	tok, err := w.dec.Token()
	if err != nil {
		w.broken = true
		return "" // a syntax error: describeJSONError falls back on err
	}
	if tok == nil {
		return "" // null leaves any field as it is
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	wrong := func() string {
		if d, ok := tok.(json.Delim); ok {
			w.skip(d)
		}
		line, col := position(w.raw, w.start(start))
		return fmt.Sprintf("%s: want %s, got %s (line %d, column %d)", path, jsonwords.Type(t), tokenType(tok), line, col)
	}
	switch t.Kind() {
	case reflect.String:
		if _, ok := tok.(string); !ok {
			return wrong()
		}
	case reflect.Bool:
		if _, ok := tok.(bool); !ok {
			return wrong()
		}
	case reflect.Int, reflect.Int64:
		n, ok := tok.(json.Number)
		if !ok {
			return wrong()
		}
		if _, err := strconv.ParseInt(string(n), 10, 64); err != nil {
			return wrong()
		}
	case reflect.Slice:
		if tok != json.Delim('[') {
			return wrong()
		}
		for i := 0; w.more(); i++ {
			if p := w.value(t.Elem(), fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
		w.dec.Token()
	case reflect.Map:
		if tok != json.Delim('{') {
			return wrong()
		}
		for w.more() {
			k := w.key()
			if p := w.value(t.Elem(), fmt.Sprintf("%s.%v", path, k)); p != "" {
				return p
			}
		}
		w.dec.Token()
	case reflect.Struct:
		if tok != json.Delim('{') {
			return wrong()
		}
		for w.more() {
			key, _ := w.key().(string)
			f, ok := fieldOf(t, key)
			if !ok {
				return fmt.Sprintf("%s: unknown field %q (known: %s)", path, key, strings.Join(fieldNames(t), ", "))
			}
			if p := w.value(f.Type, path+"."+key); p != "" {
				return p
			}
		}
		w.dec.Token()
	}
	return ""
}

// start returns the offset of the first byte of the value that begins
// after offset off: past the separators and spaces the decoder had not
// yet read.
func (w *jsonWalker) start(off int64) int64 {
	for int(off) < len(w.raw) && strings.IndexByte(" \t\r\n,:", w.raw[off]) >= 0 {
		off++
	}
	return off
}

// skip reads the rest of the object or list that d opened.
func (w *jsonWalker) skip(d json.Delim) {
	for depth := 1; depth > 0; {
		tok, err := w.dec.Token()
		if err != nil {
			return
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
}

// fieldOf returns the field of struct t that JSON key takes, as
// encoding/json matches it: by its tag, else without regard to case.
func fieldOf(t reflect.Type, key string) (reflect.StructField, bool) {
	var folded reflect.StructField
	found := false
	for i := range t.NumField() {
		f := t.Field(i)
		name := jsonName(f)
		if name == key {
			return f, true
		}
		if !found && strings.EqualFold(name, key) {
			folded, found = f, true
		}
	}
	return folded, found
}

// fieldNames returns the JSON names of struct t's fields, in order.
func fieldNames(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		names = append(names, jsonName(t.Field(i)))
	}
	return names
}

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" {
		return f.Name
	}
	return name
}

// tokenType names what tok begins, in JSON's words.
func tokenType(tok json.Token) string {
	switch tok := tok.(type) {
	case json.Delim:
		if tok == '[' {
			return "a list"
		}
		return "an object"
	case string:
		return "a string"
	case bool:
		return "true or false"
	default:
		return "a number"
	}
}

// decodeList decodes raw, the value of variable v, into *into, a list:
// fastDecode's way when it can, else encoding/json's, which says what is
// wrong. It refuses, adding the problem to p, what encoding/json would
// take quietly: data after the list, and a key given twice in one object,
// of which encoding/json keeps the last (a group's "keys" given twice,
// the second time empty, would leave it authorized by its id alone).
func decodeList(v, raw string, into any, p *problems) bool {
	if fastDecode(raw, into) {
		return true
	}
	rv := reflect.ValueOf(into).Elem()
	rv.SetZero()
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		p.add("%s", describeJSONError(v, raw, rv.Type(), err))
		return false
	}
	if dec.More() {
		p.add("%s: unexpected data after the list", v)
		rv.SetZero()
		return false
	}
	w := jsonWalker{dec: json.NewDecoder(strings.NewReader(raw)), raw: raw}
	if problem := w.twice(rv.Type(), v); problem != "" {
		p.add("%s", problem)
		rv.SetZero()
		return false
	}
	return true
}

// twice reads one value, decoded into t at path, and returns the problem
// of the first key given twice in one of its objects: the same field of a
// struct (as encoding/json matches keys to fields, without regard to
// case), or the same key of a map. "" when there is none.
func (w *jsonWalker) twice(t reflect.Type, path string) string {
	tok, err := w.dec.Token()
	if err != nil {
		w.broken = true
		return ""
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	d, ok := tok.(json.Delim)
	switch {
	case !ok:
		return ""
	case d == '[' && t.Kind() == reflect.Slice:
		for i := 0; w.more(); i++ {
			if p := w.twice(t.Elem(), fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
		w.dec.Token()
	case d == '{' && (t.Kind() == reflect.Struct || t.Kind() == reflect.Map):
		seen := map[string]bool{}
		for w.more() {
			at := w.dec.InputOffset()
			key, _ := w.key().(string)
			elem, name := t, key
			if t.Kind() == reflect.Struct {
				f, _ := fieldOf(t, key) // decoded already: every key has its field
				elem, name = f.Type, f.Name
			} else {
				elem = t.Elem()
			}
			if seen[name] {
				line, col := position(w.raw, w.start(at))
				return fmt.Sprintf("%s.%s: given twice in one object (line %d, column %d); give it once", path, key, line, col)
			}
			seen[name] = true
			if p := w.twice(elem, path+"."+key); p != "" {
				return p
			}
		}
		w.dec.Token()
	default:
		w.skip(d)
	}
	return ""
}
