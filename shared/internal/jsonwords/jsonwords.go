// Package jsonwords names Go types in JSON's words, for the errors of the
// decoders of outside input: "a string", "a list of objects".
package jsonwords

import "reflect"

// Type names what a value decoded into t must be.
func Type(t reflect.Type) string {
	t = deref(t)
	if k := t.Kind(); k == reflect.Slice || k == reflect.Array {
		_, many := words(deref(t.Elem()))
		return "a list of " + many
	}
	one, _ := words(t)
	return one
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// words names one value of t, and several.
func words(t reflect.Type) (one, many string) {
	switch t.Kind() {
	case reflect.String:
		return "a string", "strings"
	case reflect.Bool:
		return "true or false", "true or false values"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number", "whole numbers"
	case reflect.Float32, reflect.Float64:
		return "a number", "numbers"
	case reflect.Slice, reflect.Array:
		return "a list", "lists"
	default:
		return "an object", "objects"
	}
}
