package secrets

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// parse reads a secret's value: one JSON object whose members are each a
// variable of names and its value, a string. It reports every problem at
// once: a name not in names (a typo must not pass for a setting), a name
// given twice, a value that is not a string. A problem names the variable,
// never its value; a malformed document is described by the byte where it
// breaks, never by what is there.
func parse(b []byte, names []string) (map[string]string, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	malformed := func(err error) error {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return errors.New("not a JSON object: cut short")
		}
		return fmt.Errorf("not a JSON object: malformed at byte %d", d.InputOffset())
	}
	tok, err := d.Token()
	if err != nil {
		return nil, malformed(err)
	}
	if tok != json.Delim('{') {
		return nil, errors.New("not a JSON object of variables and their values")
	}
	values := map[string]string{}
	var unknown, twice, notString []string
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return nil, malformed(err)
		}
		name, _ := tok.(string) // inside an object, a key: always a string
		if tok, err = d.Token(); err != nil {
			return nil, malformed(err)
		}
		value, isString := tok.(string)
		if delim, ok := tok.(json.Delim); ok && (delim == '{' || delim == '[') {
			if err := skip(d); err != nil {
				return nil, malformed(err)
			}
		}
		_, seen := values[name]
		switch {
		case !slices.Contains(names, name):
			unknown = append(unknown, quote(name))
		case seen:
			twice = append(twice, name)
		case !isString:
			notString = append(notString, name)
		}
		values[name] = value
	}
	if _, err := d.Token(); err != nil { // the closing brace
		return nil, malformed(err)
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("not one JSON object: more follows it at byte %d", d.InputOffset())
	}
	var problems []string
	if len(unknown) > 0 {
		what := "is not a variable"
		if len(unique(unknown)) > 1 {
			what = "are not variables"
		}
		problems = append(problems, fmt.Sprintf("%s %s the functions read (a typo?)", strings.Join(unique(unknown), ", "), what))
	}
	if len(twice) > 0 {
		problems = append(problems, fmt.Sprintf("%s given twice", strings.Join(unique(twice), ", ")))
	}
	if len(notString) > 0 {
		problems = append(problems, fmt.Sprintf("the value of %s is not a JSON string", strings.Join(unique(notString), ", ")))
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return values, nil
}

// skip reads the rest of the object or array whose opening d just read.
func skip(d *json.Decoder) error {
	for depth := 1; depth > 0; {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}

// quote returns a name that is not a variable as an error shows it:
// quoted, and cut at 64 bytes, when it looks like a variable's name (a
// typo); otherwise only its length, for it may be a value pasted where a
// name goes.
func quote(name string) string {
	if !looksLikeName(name) {
		return fmt.Sprintf("a name of %d bytes that is no variable's (a value in a name's place?)", len(name))
	}
	if len(name) > 64 {
		name = strings.ToValidUTF8(name[:64], "") + "…"
	}
	return strconv.Quote(name)
}

// looksLikeName reports whether s is shaped as an environment variable's
// name: capitals, digits and underscores, from a capital.
func looksLikeName(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// unique returns ss sorted, each once.
func unique(ss []string) []string {
	ss = slices.Clone(ss)
	slices.Sort(ss)
	return slices.Compact(ss)
}
