package postgres

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// The statements' parameters go in PostgreSQL's text format, but for
// []byte, which goes as BYTEA in the binary format (its raw bytes), and
// time.Time, which goes as TIMESTAMPTZ in the binary format (microseconds
// since 2000, as pgx sent it: cheaper for the server than text to read).
// The server types the other parameters from the statement. Results come
// back in the text format: the Store reads only text, integers, booleans,
// JSON, BYTEA and TIMESTAMPTZ, whose text forms are simple. Connections
// ask for DateStyle ISO and TimeZone UTC, so that a TIMESTAMPTZ reads
// "2026-11-24 03:35:14.123+00".

// The types of parameters the Store names.
const (
	oidBytea       = 17
	oidTimestamptz = 1184
)

// The format codes of the extended protocol.
const (
	textFormat   = 0
	binaryFormat = 1
)

// y2k is where PostgreSQL's binary times count from.
var y2k = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// params holds the encoded parameters of a statement. Its buffers are
// reused from statement to statement on one connection: pgconn copies the
// parameters into its own buffer as it sends them.
type params struct {
	values  [][]byte
	oids    []uint32
	formats []int16
	buf     []byte
}

// paramType returns the type a parameter a is declared as: BYTEA for
// []byte, TIMESTAMPTZ for time.Time and *time.Time, and 0, the type the
// server infers from the statement, for the others.
func paramType(a any) uint32 {
	switch a.(type) {
	case []byte:
		return oidBytea
	case time.Time, *time.Time:
		return oidTimestamptz
	}
	return 0
}

// encode sets p to args, for a statement whose parameters have types
// types (a prepared statement's), or for one whose parameters are
// declared with paramType (types nil). A nil, or a nil *time.Time,
// *int64, *string or []byte, is NULL; string, int, int32, int64 and bool
// go as text, []int and []string as the text of an array (the statement
// casts it: $1::int[], $1::text[]), []byte in the binary format, and
// time.Time (and *time.Time) as a TIMESTAMPTZ in the binary format, or as
// text if the statement took it for another type.
func (p *params) encode(args []any, types []uint32) error {
	p.values, p.oids, p.formats, p.buf = p.values[:0], p.oids[:0], p.formats[:0], p.buf[:0]
	anyBinary := false
	for i, a := range args {
		start := len(p.buf)
		format, null := int16(textFormat), false
		a = indirect(a)
		switch v := a.(type) {
		case nil:
			null = true
		case string:
			p.buf = append(p.buf, v...)
		case []string:
			p.buf = appendTextArray(p.buf, v)
		case []int:
			p.buf = append(p.buf, '{')
			for j, n := range v {
				if j > 0 {
					p.buf = append(p.buf, ',')
				}
				p.buf = strconv.AppendInt(p.buf, int64(n), 10)
			}
			p.buf = append(p.buf, '}')
		case int:
			p.buf = strconv.AppendInt(p.buf, int64(v), 10)
		case int32:
			p.buf = strconv.AppendInt(p.buf, int64(v), 10)
		case int64:
			p.buf = strconv.AppendInt(p.buf, v, 10)
		case bool:
			p.buf = strconv.AppendBool(p.buf, v)
		case time.Time:
			if types == nil || (i < len(types) && types[i] == oidTimestamptz) {
				format = binaryFormat
				p.buf = binary64(p.buf, v)
			} else {
				p.buf = appendTimestamptz(p.buf, v)
			}
		case []byte:
			format, null = binaryFormat, v == nil
			p.buf = append(p.buf, v...)
		default:
			return fmt.Errorf("parameter $%d: cannot send a %T", i+1, a)
		}
		var value []byte
		if !null {
			// Full slice: a later parameter appended to p.buf never
			// writes into this one.
			value = p.buf[start:len(p.buf):len(p.buf)]
			if value == nil {
				value = []byte{}
			}
		}
		anyBinary = anyBinary || format == binaryFormat
		p.values, p.oids, p.formats = append(p.values, value), append(p.oids, paramType(args[i])), append(p.formats, format)
	}
	if !anyBinary {
		// All text and all types inferred: the shortest Bind.
		p.oids, p.formats = nil, nil
	}
	return nil
}

// indirect returns what a *time.Time, *int64 or *string points to, or
// nil for a nil one; any other a as it is.
func indirect(a any) any {
	switch v := a.(type) {
	case *time.Time:
		if v != nil {
			return *v
		}
	case *int64:
		if v != nil {
			return *v
		}
	case *string:
		if v != nil {
			return *v
		}
	default:
		return a
	}
	return nil
}

// appendTextArray appends ss as the text of a TEXT[]: each element in
// double quotes, with its double quotes and backslashes escaped.
func appendTextArray(buf []byte, ss []string) []byte {
	buf = append(buf, '{')
	for i, s := range ss {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, '"')
		for j := 0; j < len(s); j++ {
			if s[j] == '"' || s[j] == '\\' {
				buf = append(buf, '\\')
			}
			buf = append(buf, s[j])
		}
		buf = append(buf, '"')
	}
	return append(buf, '}')
}

// binary64 appends t as a TIMESTAMPTZ in the binary format: microseconds
// since 2000 in UTC, t truncated to the microsecond, as pgx sent it (the
// server would round a text one).
func binary64(buf []byte, t time.Time) []byte {
	us := t.Unix()*1_000_000 + int64(t.Nanosecond()/1000) - y2k.Unix()*1_000_000
	return binary.BigEndian.AppendUint64(buf, uint64(us))
}

// appendTimestamptz appends t, in UTC and to the microsecond (truncated,
// as binary64), as PostgreSQL reads a TIMESTAMPTZ:
// "2026-11-24 03:35:14.123456+00:00", and for years before 1
// "0001-02-29 00:00:00+00:00 BC" (the Go year 0).
func appendTimestamptz(buf []byte, t time.Time) []byte {
	t = t.UTC().Truncate(time.Microsecond)
	year, bc := t.Year(), false
	if year <= 0 {
		year, bc = 1-year, true
	}
	for p := 1000; year < p && p > 1; p /= 10 {
		buf = append(buf, '0')
	}
	buf = strconv.AppendInt(buf, int64(year), 10)
	// Month to zone from t: the year is written already, and a BC year
	// would move a 29 February if t were rebuilt with it.
	buf = t.AppendFormat(buf, "-01-02 15:04:05.999999-07:00")
	if bc {
		buf = append(buf, " BC"...)
	}
	return buf
}

// errNull is the error of a NULL read into a type that cannot hold it.
var errNull = errors.New("NULL")

// record is a row of a result, in the text format: the fields the server
// described, and the values of one row, valid until the next row is read.
type record struct {
	fields []pgconn.FieldDescription
	values [][]byte
}

// scan reads the row's columns into dest, one pointer per column: *string,
// *int, *int32, *int64, *bool, *time.Time, **time.Time, **int64 and
// **string (NULL is nil) and *[]byte (BYTEA decoded, JSON and text as they
// are; NULL is nil).
func (r record) scan(dest ...any) error {
	if len(dest) != len(r.values) {
		return fmt.Errorf("the row has %d columns, read into %d values", len(r.values), len(dest))
	}
	for i, d := range dest {
		var oid uint32
		if i < len(r.fields) {
			oid = r.fields[i].DataTypeOID
		}
		if err := decode(oid, r.values[i], d); err != nil {
			name := strconv.Itoa(i + 1)
			if i < len(r.fields) {
				name = r.fields[i].Name
			}
			return fmt.Errorf("read column %s: %w", name, err)
		}
	}
	return nil
}

// decode reads v, the text of a value of type oid (nil for NULL), into
// dest.
func decode(oid uint32, v []byte, dest any) error {
	switch d := dest.(type) {
	case *string:
		if v == nil {
			return errNull
		}
		*d = string(v)
	case *int:
		n, err := parseInt(v, strconv.IntSize)
		if err != nil {
			return err
		}
		*d = int(n)
	case *int32:
		n, err := parseInt(v, 32)
		if err != nil {
			return err
		}
		*d = int32(n)
	case *int64:
		n, err := parseInt(v, 64)
		if err != nil {
			return err
		}
		*d = n
	case *bool:
		switch string(v) {
		case "t":
			*d = true
		case "f":
			*d = false
		default:
			if v == nil {
				return errNull
			}
			return fmt.Errorf("%q is not a boolean", v)
		}
	case *time.Time:
		if v == nil {
			return errNull
		}
		t, err := parseTimestamptz(v)
		if err != nil {
			return err
		}
		*d = t
	case **time.Time:
		if v == nil {
			*d = nil
			return nil
		}
		t, err := parseTimestamptz(v)
		if err != nil {
			return err
		}
		*d = &t
	case **int64:
		if v == nil {
			*d = nil
			return nil
		}
		n, err := parseInt(v, 64)
		if err != nil {
			return err
		}
		*d = &n
	case **string:
		if v == nil {
			*d = nil
			return nil
		}
		s := string(v)
		*d = &s
	case *[]byte:
		switch {
		case v == nil:
			*d = nil
		case oid == oidBytea:
			b, err := parseBytea(v)
			if err != nil {
				return err
			}
			*d = b
		default:
			*d = append(make([]byte, 0, len(v)), v...)
		}
	default:
		return fmt.Errorf("cannot read into a %T", dest)
	}
	return nil
}

// parseInt reads the text of an integer of bits bits.
func parseInt(v []byte, bits int) (int64, error) {
	if v == nil {
		return 0, errNull
	}
	neg := len(v) > 0 && v[0] == '-'
	digits := v
	if neg {
		digits = v[1:]
	}
	if len(digits) == 0 || len(digits) > 19 {
		return 0, fmt.Errorf("%q is not an integer of %d bits", v, bits)
	}
	var n uint64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not an integer of %d bits", v, bits)
		}
		n = n*10 + uint64(c-'0') // 19 digits cannot overflow a uint64
	}
	limit := uint64(1) << (bits - 1) // the magnitude of the most negative
	if n > limit || (!neg && n == limit) {
		return 0, fmt.Errorf("%q is not an integer of %d bits", v, bits)
	}
	if neg {
		return -int64(n), nil
	}
	return int64(n), nil
}

// parseTimestamptz reads a TIMESTAMPTZ as PostgreSQL writes it with
// DateStyle ISO: "2026-11-24 03:35:14.123456+00", a year of 4 to 6 digits
// (PostgreSQL's go from 4713 BC to 294276), 0 to 6 digits of fractions of
// a second (up to 9 are read), an offset of hours, minutes and seconds
// ("+05:30", "-03:30:15"), and " BC" for a year before 1 (1 BC is the Go
// year 0). A value without an offset, a TIMESTAMP's, is read as UTC. The
// time returned is in UTC.
func parseTimestamptz(v []byte) (time.Time, error) {
	bad := func(what string) (time.Time, error) {
		return time.Time{}, fmt.Errorf("timestamp %q: %s", v, what)
	}
	s := v
	bc := false
	if n := len(s); n > 3 && string(s[n-3:]) == " BC" {
		s, bc = s[:n-3], true
	}
	// number reads the run of at least min and at most max digits at the
	// start of s.
	number := func(min, max int) (int, bool) {
		n, i := 0, 0
		for ; i < len(s) && i < max && '0' <= s[i] && s[i] <= '9'; i++ {
			n = n*10 + int(s[i]-'0')
		}
		if i < min {
			return 0, false
		}
		s = s[i:]
		return n, true
	}
	// sep reads the byte c at the start of s.
	sep := func(c byte) bool {
		if len(s) == 0 || s[0] != c {
			return false
		}
		s = s[1:]
		return true
	}
	year, ok := number(4, 6)
	if !ok || !sep('-') {
		return bad("want a year of 4 to 6 digits and -")
	}
	month, ok := number(2, 2)
	if !ok || !sep('-') {
		return bad("want a month of 2 digits and -")
	}
	day, ok := number(2, 2)
	if !ok || !sep(' ') {
		return bad("want a day of 2 digits and a space")
	}
	hour, ok := number(2, 2)
	if !ok || !sep(':') {
		return bad("want an hour of 2 digits and :")
	}
	minute, ok := number(2, 2)
	if !ok || !sep(':') {
		return bad("want a minute of 2 digits and :")
	}
	second, ok := number(2, 2)
	if !ok {
		return bad("want a second of 2 digits")
	}
	nsec := 0
	if sep('.') {
		before := len(s)
		if nsec, ok = number(1, 9); !ok {
			return bad("want 1 to 9 digits of fractions of a second")
		}
		for range 9 - (before - len(s)) {
			nsec *= 10
		}
	}
	offset := 0
	if len(s) > 0 {
		sign := 1
		switch s[0] {
		case '+':
		case '-':
			sign = -1
		default:
			return bad("want an offset after the time")
		}
		s = s[1:]
		h, ok := number(2, 2)
		if !ok {
			return bad("want an offset of 2 digits of hours")
		}
		offset = h * 3600
		for _, unit := range []int{60, 1} {
			if !sep(':') {
				break
			}
			n, ok := number(2, 2)
			if !ok || n > 59 {
				return bad("want 2 digits of minutes or seconds in the offset")
			}
			offset += n * unit
		}
		if len(s) > 0 || h > 15 {
			return bad("want an offset of at most 15 hours, ending the value")
		}
		offset *= sign
	}
	if bc {
		if year == 0 {
			return bad("year 0 BC")
		}
		year = 1 - year
	} else if year == 0 {
		return bad("year 0")
	}
	if month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59 {
		return bad("a field is out of range")
	}
	t := time.Date(year, time.Month(month), day, hour, minute, second, nsec, time.UTC)
	if t.Day() != day {
		return bad("no such day in the month")
	}
	t = t.Add(-time.Duration(offset) * time.Second)
	if y := t.Year(); y < -4712 || y > 294276 {
		return bad("outside PostgreSQL's years, 4713 BC to 294276")
	}
	return t, nil
}

// parseBytea reads a BYTEA's text: "\x" and two hex digits a byte
// (bytea_output hex, the default), or else the escape format, where a
// byte is itself, "\\" for a backslash, or "\" and three octal digits. The
// result is never nil: an empty BYTEA is an empty slice.
func parseBytea(v []byte) ([]byte, error) {
	if len(v) >= 2 && v[0] == '\\' && v[1] == 'x' {
		b := make([]byte, hex.DecodedLen(len(v)-2))
		if _, err := hex.Decode(b, v[2:]); err != nil {
			return nil, fmt.Errorf("bytea in hex: %w", err)
		}
		return b, nil
	}
	b := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		if v[i] != '\\' {
			b = append(b, v[i])
			continue
		}
		switch {
		case i+1 < len(v) && v[i+1] == '\\':
			b = append(b, '\\')
			i++
		case i+3 < len(v) && isOctal(v[i+1]) && v[i+1] <= '3' && isOctal(v[i+2]) && isOctal(v[i+3]):
			b = append(b, (v[i+1]-'0')<<6|(v[i+2]-'0')<<3|(v[i+3]-'0'))
			i += 3
		default:
			return nil, fmt.Errorf("bytea in the escape format: a bad escape at byte %d", i)
		}
	}
	return b, nil
}

func isOctal(c byte) bool { return '0' <= c && c <= '7' }
