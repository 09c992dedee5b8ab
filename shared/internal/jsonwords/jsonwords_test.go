package jsonwords

import (
	"reflect"
	"testing"
)

func TestType(t *testing.T) {
	var s struct{ A int }
	for _, c := range []struct {
		v    any
		want string
	}{
		{"", "a string"}, {new(string), "a string"}, {true, "true or false"}, {int64(1), "a whole number"},
		{uint16(1), "a whole number"}, {1.5, "a number"}, {[]string{}, "a list of strings"},
		{[]*struct{}{}, "a list of objects"}, {[][]int{}, "a list of lists"}, {[2]float64{}, "a list of numbers"},
		{s, "an object"}, {map[string]int{}, "an object"},
	} {
		if got := Type(reflect.TypeOf(c.v)); got != c.want {
			t.Errorf("Type(%T) = %q; want %q", c.v, got, c.want)
		}
	}
}
