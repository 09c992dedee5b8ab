package postgres

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// value is how TestEncode shows an encoded parameter: "NULL", text as is,
// binary in hex.
func value(v []byte, format int16) string {
	switch {
	case v == nil:
		return "NULL"
	case format == binaryFormat:
		return "0x" + hex.EncodeToString(v)
	}
	return string(v)
}

func TestEncode(t *testing.T) {
	at := time.Date(2026, 11, 24, 3, 35, 14, 123_456_789, time.FixedZone("CST", 8*3600))
	atUS := uint64(at.Truncate(time.Microsecond).Sub(y2k) / time.Microsecond)
	var nilTime *time.Time
	tests := []struct {
		name    string
		args    []any
		types   []uint32 // of a prepared statement; nil for the unnamed one
		values  []string
		oids    []uint32
		formats []int16
	}{
		{"text", []any{"", "héllo 世界", 0, -1, int32(math.MinInt32), int64(math.MaxInt64), true, false, nil}, nil,
			[]string{"", "héllo 世界", "0", "-1", "-2147483648", "9223372036854775807", "true", "false", "NULL"}, nil, nil},
		{"bytes", []any{[]byte{0, 0xff}, []byte{}, []byte(nil), "x"}, nil,
			[]string{"0x00ff", "0x", "NULL", "x"}, []uint32{oidBytea, oidBytea, oidBytea, 0},
			[]int16{binaryFormat, binaryFormat, binaryFormat, textFormat}},
		{"times", []any{at, &at, nilTime, y2k, y2k.Add(-time.Nanosecond)}, nil,
			[]string{fmt.Sprintf("0x%016x", atUS), fmt.Sprintf("0x%016x", atUS), "NULL", "0x0000000000000000", "0xffffffffffffffff"},
			[]uint32{oidTimestamptz, oidTimestamptz, oidTimestamptz, oidTimestamptz, oidTimestamptz},
			[]int16{binaryFormat, binaryFormat, textFormat, binaryFormat, binaryFormat}},
		{"times prepared as timestamptz", []any{at, "x"}, []uint32{oidTimestamptz, 25},
			[]string{fmt.Sprintf("0x%016x", atUS), "x"}, []uint32{oidTimestamptz, 0}, []int16{binaryFormat, textFormat}},
		{"times prepared as text", []any{at}, []uint32{25},
			[]string{"2026-11-23 19:35:14.123456+00:00"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p params
			// Twice: the buffers of the first run are reused.
			for range 2 {
				if err := p.encode(tt.args, tt.types); err != nil {
					t.Fatalf("encode: %v", err)
				}
				var got []string
				for i, v := range p.values {
					f := int16(textFormat)
					if p.formats != nil {
						f = p.formats[i]
					}
					got = append(got, value(v, f))
				}
				if fmt.Sprint(got) != fmt.Sprint(tt.values) {
					t.Errorf("values = %q, want %q", got, tt.values)
				}
				if fmt.Sprint(p.oids) != fmt.Sprint(tt.oids) || fmt.Sprint(p.formats) != fmt.Sprint(tt.formats) {
					t.Errorf("oids, formats = %v, %v; want %v, %v", p.oids, p.formats, tt.oids, tt.formats)
				}
			}
		})
	}
	var p params
	if err := p.encode([]any{"a", 1.5}, nil); err == nil || err.Error() != "parameter $2: cannot send a float64" {
		t.Errorf("encode(float64) = %v, want an error naming $2 and the type", err)
	}
}

func TestAppendTimestamptz(t *testing.T) {
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2026, 11, 24, 3, 35, 14, 123_456_789, time.UTC), "2026-11-24 03:35:14.123456+00:00"},
		{time.Date(2026, 11, 24, 3, 35, 14, 0, time.FixedZone("", -(3*3600+30*60))), "2026-11-24 07:05:14+00:00"},
		{time.Date(2026, 11, 24, 3, 35, 14, 100_000_000, time.UTC), "2026-11-24 03:35:14.1+00:00"},
		{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), "0001-01-01 00:00:00+00:00"},
		{time.Date(999, 12, 31, 23, 59, 59, 999, time.UTC), "0999-12-31 23:59:59+00:00"},
		{time.Date(0, 2, 29, 12, 0, 0, 0, time.UTC), "0001-02-29 12:00:00+00:00 BC"},
		{time.Date(-9, 7, 1, 0, 0, 0, 0, time.UTC), "0010-07-01 00:00:00+00:00 BC"},
		{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), "10000-01-01 00:00:00+00:00"},
	}
	for _, tt := range tests {
		if got := string(appendTimestamptz(nil, tt.in)); got != tt.want {
			t.Errorf("appendTimestamptz(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseTimestamptz(t *testing.T) {
	at := time.Date(2026, 11, 24, 3, 35, 14, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time // zero: an error
	}{
		{"2026-11-24 03:35:14+00", at},
		{"2026-11-24 03:35:14.1+00", at.Add(100 * time.Millisecond)},
		{"2026-11-24 03:35:14.123+00", at.Add(123 * time.Millisecond)},
		{"2026-11-24 03:35:14.000001+00", at.Add(time.Microsecond)},
		{"2026-11-24 03:35:14.123456789+00", at.Add(123_456_789)},
		{"2026-11-24 09:05:14+05:30", at},
		{"2026-11-24 00:05:14-03:30", at},
		{"2026-11-24 04:14:15.5+00:39:01", at.Add(500 * time.Millisecond)},
		{"2026-11-24 03:35:14", at},
		{"0001-01-01 00:00:01+00", time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC)},
		{"0001-01-01 00:00:00+00 BC", time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"0001-02-29 00:00:00+00 BC", time.Date(0, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"4713-11-24 00:00:00+00 BC", time.Date(-4712, 11, 24, 0, 0, 0, 0, time.UTC)},
		{"4713-01-01 00:00:00+01 BC", time.Time{}},
		{"294276-12-31 23:59:59-01", time.Time{}},
		{"1000000-01-01 00:00:00+00", time.Time{}},
		{"294276-12-31 23:59:59.999999+00", time.Date(294276, 12, 31, 23, 59, 59, 999_999_000, time.UTC)},
		{"infinity", time.Time{}},
		{"-infinity", time.Time{}},
		{"", time.Time{}},
		{"2026-11-24T03:35:14Z", time.Time{}},
		{"2026-11-24 03:35:14Z", time.Time{}},
		{"26-11-24 03:35:14+00", time.Time{}},
		{"2026-13-24 03:35:14+00", time.Time{}},
		{"2026-00-24 03:35:14+00", time.Time{}},
		{"2026-02-29 03:35:14+00", time.Time{}},
		{"2026-11-00 03:35:14+00", time.Time{}},
		{"2026-11-24 24:00:00+00", time.Time{}},
		{"2026-11-24 03:60:14+00", time.Time{}},
		{"2026-11-24 03:35:60+00", time.Time{}},
		{"2026-11-24 03:35:14.+00", time.Time{}},
		{"2026-11-24 03:35:14.1234567890+00", time.Time{}},
		{"2026-11-24 03:35:14+16", time.Time{}},
		{"2026-11-24 03:35:14+05:60", time.Time{}},
		{"2026-11-24 03:35:14+5", time.Time{}},
		{"2026-11-24 03:35:14+05:30:00:00", time.Time{}},
		{"2026-11-24 03:35:14+00 AD", time.Time{}},
		{"0000-01-01 00:00:00+00", time.Time{}},
		{"0000-01-01 00:00:00+00 BC", time.Time{}},
		{" BC", time.Time{}},
	}
	for _, tt := range tests {
		got, err := parseTimestamptz([]byte(tt.in))
		switch {
		case tt.want.IsZero() && err == nil:
			t.Errorf("parseTimestamptz(%q) = %v, want an error", tt.in, got)
		case !tt.want.IsZero() && (err != nil || !got.Equal(tt.want) || got.Location() != time.UTC):
			t.Errorf("parseTimestamptz(%q) = %v, %v; want %v in UTC", tt.in, got, err, tt.want)
		}
	}
}

func TestParseBytea(t *testing.T) {
	tests := []struct {
		in   string
		want string // in hex; "error" for an error
	}{
		{`\x`, ""},
		{`\x00ff7f`, "00ff7f"},
		{`\xABcd`, "abcd"},
		{``, ""},
		{`abc`, "616263"},
		{`a\\b`, "615c62"},
		{`\000\377\101`, "00ff41"},
		{`\x0`, "error"},
		{`\xzz`, "error"},
		{`\`, "error"},
		{`\9`, "error"},
		{`\400`, "error"},
		{`\12`, "error"},
		{`\x `, "error"},
	}
	for _, tt := range tests {
		got, err := parseBytea([]byte(tt.in))
		switch {
		case tt.want == "error":
			if err == nil {
				t.Errorf("parseBytea(%q) = %x, want an error", tt.in, got)
			}
		case err != nil || hex.EncodeToString(got) != tt.want || got == nil:
			t.Errorf("parseBytea(%q) = %x (nil %t), %v; want %s, not nil", tt.in, got, got == nil, err, tt.want)
		}
	}
}

func TestDecode(t *testing.T) {
	at := time.Date(2026, 11, 24, 3, 35, 14, 123_000_000, time.UTC)
	const ts = "2026-11-24 03:35:14.123+00"
	tests := []struct {
		name  string
		oid   uint32
		value []byte
		dest  func() any // a new destination
		want  any        // what it then points to; nil: an error
	}{
		{"text", 25, []byte("héllo"), func() any { return new(string) }, "héllo"},
		{"empty text", 25, []byte{}, func() any { return new(string) }, ""},
		{"NULL text", 25, nil, func() any { return new(string) }, nil},
		{"int", 20, []byte("-9223372036854775808"), func() any { return new(int) }, math.MinInt},
		{"int out of range", 20, []byte("9223372036854775808"), func() any { return new(int) }, nil},
		{"int32", 23, []byte("2147483647"), func() any { return new(int32) }, int32(math.MaxInt32)},
		{"int32 out of range", 20, []byte("2147483648"), func() any { return new(int32) }, nil},
		{"int64", 20, []byte("9223372036854775807"), func() any { return new(int64) }, int64(math.MaxInt64)},
		{"int64 of 20 digits", 20, []byte("00000000000000000001"), func() any { return new(int64) }, nil},
		{"not an int", 23, []byte("1.5"), func() any { return new(int) }, nil},
		{"empty int", 23, []byte(""), func() any { return new(int) }, nil},
		{"minus", 23, []byte("-"), func() any { return new(int) }, nil},
		{"NULL int", 23, nil, func() any { return new(int64) }, nil},
		{"true", 16, []byte("t"), func() any { return new(bool) }, true},
		{"false", 16, []byte("f"), func() any { return new(bool) }, false},
		{"not a bool", 16, []byte("true"), func() any { return new(bool) }, nil},
		{"NULL bool", 16, nil, func() any { return new(bool) }, nil},
		{"time", oidTimestamptz, []byte(ts), func() any { return new(time.Time) }, at},
		{"NULL time", oidTimestamptz, nil, func() any { return new(time.Time) }, nil},
		{"bad time", oidTimestamptz, []byte("infinity"), func() any { return new(time.Time) }, nil},
		{"time or NULL", oidTimestamptz, []byte(ts), func() any { return new(*time.Time) }, &at},
		{"NULL time or NULL", oidTimestamptz, nil, func() any { return new(*time.Time) }, (*time.Time)(nil)},
		{"bytea", oidBytea, []byte(`\x00ff`), func() any { return new([]byte) }, []byte{0, 0xff}},
		{"empty bytea", oidBytea, []byte(`\x`), func() any { return new([]byte) }, []byte{}},
		{"bad bytea", oidBytea, []byte(`\xf`), func() any { return new([]byte) }, nil},
		{"NULL bytea", oidBytea, nil, func() any { return new([]byte) }, []byte(nil)},
		{"jsonb as bytes", 3802, []byte(`["a", "b"]`), func() any { return new([]byte) }, []byte(`["a", "b"]`)},
		{"float", 701, []byte("1.5"), func() any { return new(float64) }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := bytes.Clone(tt.value)
			dest := tt.dest()
			err := decode(tt.oid, src, dest)
			if tt.want == nil {
				if err == nil {
					t.Errorf("decode = %#v, want an error", dest)
				}
				return
			}
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			for i := range src {
				src[i] = '!' // the row's buffer, reused for the next row
			}
			got := fmt.Sprintf("%#v", deref(dest))
			want := fmt.Sprintf("%#v", tt.want)
			if p, ok := dest.(**time.Time); ok && *p != nil {
				got, want = (*p).String(), tt.want.(*time.Time).String()
			}
			if got != want {
				t.Errorf("decode = %s, want %s", got, want)
			}
		})
	}
}

// deref returns what p points to.
func deref(p any) any {
	switch p := p.(type) {
	case *string:
		return *p
	case *int:
		return *p
	case *int32:
		return *p
	case *int64:
		return *p
	case *bool:
		return *p
	case *time.Time:
		return *p
	case **time.Time:
		return *p
	case *[]byte:
		return *p
	}
	return p
}

func TestRecordScan(t *testing.T) {
	r := record{fields: []pgconn.FieldDescription{{Name: "id", DataTypeOID: 25}, {Name: "n", DataTypeOID: 23}},
		values: [][]byte{[]byte("a"), []byte("x")}}
	var (
		id string
		n  int
	)
	if err := r.scan(&id); err == nil || err.Error() != "the row has 2 columns, read into 1 values" {
		t.Errorf("scan into too few = %v, want an error saying so", err)
	}
	if err := r.scan(&id, &n); err == nil || !strings.HasPrefix(err.Error(), "read column n: ") {
		t.Errorf("scan of a bad int = %v, want an error naming column n", err)
	}
	r.values[1] = []byte("7")
	if err := r.scan(&id, &n); err != nil || id != "a" || n != 7 {
		t.Errorf("scan = %q, %d, %v; want a, 7", id, n, err)
	}
}

// FuzzParseTimestamptz checks that parseTimestamptz never panics, and that
// what it reads, written as the Store sends a time in text and read back,
// is the same time to the microsecond.
func FuzzParseTimestamptz(f *testing.F) {
	for _, s := range []string{"2026-11-24 03:35:14.123+00", "2026-11-24 03:35:14+05:30", "1900-01-01 00:00:00+00:19:32",
		"0001-02-29 00:00:00+00 BC", "294276-12-31 23:59:59.999999+00", "2026-11-24 03:35:14", "infinity",
		"2026-11-24 03:35:14.123456789-15:59:59", "9999999-12-31 23:59:59+00 BC"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseTimestamptz([]byte(s))
		if err != nil {
			return
		}
		if got.Location() != time.UTC {
			t.Errorf("parseTimestamptz(%q) = %v, not in UTC", s, got)
		}
		text := appendTimestamptz(nil, got)
		again, err := parseTimestamptz(text)
		if want := got.Truncate(time.Microsecond); err != nil || !again.Equal(want) {
			t.Errorf("parseTimestamptz(%q) = %v; written %q, read back %v, %v; want %v", s, got, text, again, err, want)
		}
	})
}

// escapeBytea writes b in the escape format of bytea_output.
func escapeBytea(b []byte) []byte {
	var out []byte
	for _, c := range b {
		switch {
		case c == '\\':
			out = append(out, `\\`...)
		case c < 0x20 || c > 0x7e:
			out = fmt.Appendf(out, `\%03o`, c)
		default:
			out = append(out, c)
		}
	}
	return out
}

// FuzzParseBytea checks that parseBytea never panics, that what it reads
// reads back the same from hex, and that any bytes, written in either
// format, read back as they were.
func FuzzParseBytea(f *testing.F) {
	for _, s := range []string{`\x`, `\x00ff`, `\xABcd`, `a\\b\000\377`, `\x0`, `\400`, `\`, "plain"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if got, err := parseBytea(in); err == nil {
			again, err := parseBytea(append([]byte(`\x`), hex.EncodeToString(got)...))
			if err != nil || !bytes.Equal(again, got) {
				t.Errorf("parseBytea(%q) = %x, which reads back from hex as %x, %v", in, got, again, err)
			}
		}
		for _, text := range [][]byte{append([]byte(`\x`), hex.EncodeToString(in)...), escapeBytea(in)} {
			if got, err := parseBytea(text); err != nil || !bytes.Equal(got, in) {
				t.Errorf("parseBytea(%q) = %x, %v; want %x", text, got, err, in)
			}
		}
	})
}

// FuzzParseInt checks parseInt against strconv.ParseInt: what it reads,
// strconv reads the same.
func FuzzParseInt(f *testing.F) {
	for _, s := range []string{"0", "-1", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
		"2147483648", "-", "", "+1", "00000000000000000001", "1e3"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, wide bool) {
		bits := 32
		if wide {
			bits = 64
		}
		got, err := parseInt([]byte(s), bits)
		if err != nil {
			return
		}
		if want, err := strconv.ParseInt(s, 10, bits); err != nil || got != want {
			t.Errorf("parseInt(%q, %d) = %d; strconv says %d, %v", s, bits, got, want, err)
		}
	})
}

// TestBinary64 checks the binary TIMESTAMPTZ against the epoch the server
// counts from, at both ends of the years the Store keeps.
func TestBinary64(t *testing.T) {
	for _, tt := range []struct {
		in   time.Time
		want int64
	}{
		{y2k, 0},
		{y2k.Add(time.Microsecond + 999), 1},
		{y2k.Add(-1), -1},
		{time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), -63_113_904_000_000_000},
		{time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC), 252_455_615_999_999_999},
	} {
		if got := int64(binary.BigEndian.Uint64(binary64(nil, tt.in))); got != tt.want {
			t.Errorf("binary64(%v) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
