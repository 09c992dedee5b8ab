package config

import (
	"reflect"
	"strconv"
	"unicode/utf8"
)

// fastDecode decodes raw, one JSON value and nothing after it but
// spaces, into *into, the way encoding/json's Decoder with
// DisallowUnknownFields does, for the plain JSON a configuration holds:
// objects, lists, strings without escapes, whole numbers, true, false and
// null, into structs, slices, maps with string keys, pointers, strings,
// ints and bools. It reports false, and into may hold part of the value,
// on anything else: escapes, keys that match a field only without regard
// to case or match none, a key given twice (a field's or a map's), a
// value of the wrong type, malformed JSON. The caller then decodes with
// encoding/json, which says what is wrong or takes what this does not.
//
// Why: encoding/json reads a configuration of 200 groups and 500
// templates in about 4 ms, most of a cold start's budget; this in a
// fraction of that (BenchmarkLoadLarge).
func fastDecode(raw string, into any) bool {
	v := reflect.ValueOf(into)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return false
	}
	d := fastDecoder{s: raw, fields: map[reflect.Type]map[string]int{}}
	if !d.value(v.Elem()) {
		return false
	}
	d.space()
	return d.i == len(d.s)
}

type fastDecoder struct {
	s string
	i int
	// fields holds each struct type's fields by JSON name, built once
	// per decode.
	fields map[reflect.Type]map[string]int
}

func (d *fastDecoder) space() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\r', '\n':
			d.i++
		default:
			return
		}
	}
}

// literal consumes lit if it is next.
func (d *fastDecoder) literal(lit string) bool {
	if len(d.s)-d.i >= len(lit) && d.s[d.i:d.i+len(lit)] == lit {
		d.i += len(lit)
		return true
	}
	return false
}

// value decodes the next value into v.
func (d *fastDecoder) value(v reflect.Value) bool {
	d.space()
	if d.i >= len(d.s) {
		return false
	}
	if d.s[d.i] == 'n' {
		if !d.literal("null") {
			return false
		}
		switch v.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map:
			v.SetZero()
		}
		return true
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		return d.value(v.Elem())
	case reflect.String:
		s, ok := d.str()
		if ok {
			v.SetString(s)
		}
		return ok
	case reflect.Bool:
		switch {
		case d.literal("true"):
			v.SetBool(true)
		case d.literal("false"):
			v.SetBool(false)
		default:
			return false
		}
		return true
	case reflect.Int, reflect.Int64:
		return d.integer(v)
	case reflect.Slice:
		return d.list(v)
	case reflect.Map:
		return d.object(v)
	case reflect.Struct:
		return d.object(v)
	}
	return false
}

// str reads a string without escapes, in valid UTF-8.
func (d *fastDecoder) str() (string, bool) {
	if d.i >= len(d.s) || d.s[d.i] != '"' {
		return "", false
	}
	start := d.i + 1
	ascii := true
	for j := start; j < len(d.s); j++ {
		switch c := d.s[j]; {
		case c == '"':
			s := d.s[start:j]
			if !ascii && !utf8.ValidString(s) {
				return "", false
			}
			d.i = j + 1
			return s, true
		case c == '\\' || c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", false
}

// integer reads a whole number in JSON's grammar into v.
func (d *fastDecoder) integer(v reflect.Value) bool {
	start := d.i
	if d.i < len(d.s) && d.s[d.i] == '-' {
		d.i++
	}
	digits := d.i
	for d.i < len(d.s) && '0' <= d.s[d.i] && d.s[d.i] <= '9' {
		d.i++
	}
	if d.i == digits || d.s[digits] == '0' && d.i-digits > 1 {
		return false
	}
	if d.i < len(d.s) && (d.s[d.i] == '.' || d.s[d.i] == 'e' || d.s[d.i] == 'E') {
		return false
	}
	n, err := strconv.ParseInt(d.s[start:d.i], 10, v.Type().Bits())
	if err != nil {
		return false
	}
	v.SetInt(n)
	return true
}

// list reads a list into slice v.
func (d *fastDecoder) list(v reflect.Value) bool {
	if d.s[d.i] != '[' {
		return false
	}
	d.i++
	v.Set(reflect.MakeSlice(v.Type(), 0, 0))
	d.space()
	if d.literal("]") {
		return true
	}
	for n := 0; ; n++ {
		if n == v.Cap() {
			grown := reflect.MakeSlice(v.Type(), n, max(4, 2*n))
			reflect.Copy(grown, v)
			v.Set(grown)
		}
		v.SetLen(n + 1)
		if !d.value(v.Index(n)) {
			return false
		}
		d.space()
		switch {
		case d.literal(","):
		case d.literal("]"):
			return true
		default:
			return false
		}
	}
}

// object reads an object into struct or map v.
func (d *fastDecoder) object(v reflect.Value) bool {
	if d.s[d.i] != '{' {
		return false
	}
	d.i++
	var (
		fields map[string]int
		seen   uint64
		elem   reflect.Value // a map's element, decoded into and then copied in
	)
	if v.Kind() == reflect.Struct {
		fields = d.fieldsOf(v.Type())
		if v.NumField() > 64 {
			return false
		}
	} else {
		if v.Type().Key().Kind() != reflect.String {
			return false
		}
		v.Set(reflect.MakeMap(v.Type()))
		elem = reflect.New(v.Type().Elem()).Elem()
	}
	d.space()
	if d.literal("}") {
		return true
	}
	for {
		d.space()
		key, ok := d.str()
		if !ok {
			return false
		}
		d.space()
		if !d.literal(":") {
			return false
		}
		if fields != nil {
			f, ok := fields[key]
			if !ok || seen&(1<<f) != 0 {
				return false
			}
			seen |= 1 << f
			if !d.value(v.Field(f)) {
				return false
			}
		} else {
			elem.SetZero()
			if !d.value(elem) {
				return false
			}
			n := v.Len()
			v.SetMapIndex(reflect.ValueOf(key).Convert(v.Type().Key()), elem)
			if v.Len() == n {
				return false // a key given twice: decodeList says so
			}
		}
		d.space()
		switch {
		case d.literal(","):
		case d.literal("}"):
			return true
		default:
			return false
		}
	}
}

// fieldsOf returns struct t's fields by their JSON names.
func (d *fastDecoder) fieldsOf(t reflect.Type) map[string]int {
	if f, ok := d.fields[t]; ok {
		return f
	}
	f := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		if sf := t.Field(i); sf.IsExported() && sf.Tag.Get("json") != "-" {
			f[jsonName(sf)] = i
		}
	}
	d.fields[t] = f
	return f
}
