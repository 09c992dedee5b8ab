package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// Report is one delivery report, as the core keeps it.
type Report = notify.Report

// Inbound is an inbound SMS (Aliyun SmsUp), as the core keeps it.
type Inbound = notify.Inbound

// The acknowledgements the providers expect, as AckContentType, once a push
// is durably recorded. Any other reply, or none, makes the provider retry:
// Aliyun checks only that code is a number, Tencent that result is 0.
// CloopenAck is a guess: no Ronglian document we found says what its push
// wants back, and this is the success shape of its API replies.
const (
	AliyunAck      = `{"code":0,"msg":"接收成功"}`
	TencentAck     = `{"result":0,"errmsg":"OK"}`
	CloopenAck     = `{"statusCode":"000000"}`
	AckContentType = "application/json; charset=utf-8"
)

// Limits of one push. A larger body or more records is refused.
const (
	MaxBodyBytes = 4 << 20
	MaxRecords   = 1000
)

// The longest field values accepted, in bytes.
const (
	maxID      = 128
	maxPhone   = 32
	maxCode    = 64
	maxText    = 512
	maxOutID   = notify.MaxOutIDLen
	maxTime    = 64
	maxContent = 4096 // an inbound SMS of several parts
)

// invalid builds the error every parser returns.
func invalid(format string, args ...any) error {
	return &notify.Error{Op: "report", Kind: notify.Invalid, Reason: notify.ReasonInvalidReport, Err: fmt.Errorf(format, args...)}
}

// parse splits body into records, decodes each into an R and builds an O from
// it with build. what names the push in errors ("aliyun sms-report").
func parse[R, O any](what string, body []byte, build func(r *R, raw json.RawMessage) (O, error)) ([]O, error) {
	raws, err := records(body)
	if err != nil {
		return nil, invalid("%s: %w", what, err)
	}
	out := make([]O, 0, len(raws))
	for i, raw := range raws {
		var r R
		if err := decode(raw, &r); err != nil {
			return nil, invalid("%s record %d: %w", what, i+1, err)
		}
		o, err := build(&r, raw)
		if err != nil {
			return nil, invalid("%s record %d: %w", what, i+1, err)
		}
		out = append(out, o)
	}
	return out, nil
}

// decode decodes one record, naming the field of a value of the wrong type.
func decode(raw json.RawMessage, r any) error {
	if len(raw) == 0 || raw[0] != '{' {
		return errors.New("is not a JSON object")
	}
	err := json.Unmarshal(raw, r)
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Errorf("%s is a JSON %s, not a string or number", te.Field, te.Value)
	}
	return err
}

// records returns the records of a push: the elements of a JSON array, or
// the one JSON object.
func records(body []byte) ([]json.RawMessage, error) {
	if len(body) > MaxBodyBytes {
		return nil, fmt.Errorf("body is %d bytes; at most %d", len(body), MaxBodyBytes)
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, errors.New("body is empty")
	}
	var raws []json.RawMessage
	switch body[0] {
	case '[':
		if err := json.Unmarshal(body, &raws); err != nil {
			return nil, fmt.Errorf("body is not a JSON array of records: %w", err)
		}
	case '{':
		if !json.Valid(body) {
			return nil, errors.New("body is not valid JSON")
		}
		raws = []json.RawMessage{bytes.Clone(body)}
	default:
		return nil, errors.New("body is not a JSON array or object")
	}
	switch {
	case len(raws) == 0:
		return nil, errors.New("no records")
	case len(raws) > MaxRecords:
		return nil, fmt.Errorf("%d records; at most %d", len(raws), MaxRecords)
	}
	return raws, nil
}

// scalar is a JSON string, number or boolean read as a string, and null or
// absence as "". Numbers keep their text, so an id past 2^53 stays exact.
type scalar string

func (s *scalar) UnmarshalJSON(b []byte) error {
	switch {
	case b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = scalar(v)
	case b[0] == '{' || b[0] == '[':
		kind := "object"
		if b[0] == '[' {
			kind = "array"
		}
		return &json.UnmarshalTypeError{Value: kind, Type: reflect.TypeFor[scalar]()}
	case string(b) == "null":
	default: // a number, true or false, already checked by the decoder
		*s = scalar(b)
	}
	return nil
}

// field is one value of a record with its name and longest allowed length.
type field struct {
	name string
	v    scalar
	max  int
}

// check reports the first field that is too long.
func check(fields ...field) error {
	for _, f := range fields {
		if len(f.v) > f.max {
			return fmt.Errorf("%s is %d bytes; at most %d", f.name, len(f.v), f.max)
		}
	}
	return nil
}

// require reports a missing field.
func require(name string, v scalar) error {
	if strings.TrimSpace(string(v)) == "" {
		return fmt.Errorf("%s missing", name)
	}
	return nil
}

// phone returns the canonical form of a phone number, or the number as sent
// when it has none (masked, or not a number at all).
func phone(s scalar) string {
	if p, ok := notify.NormalizePhone(string(s)); ok {
		return p
	}
	return string(s)
}

// when parses the first non-empty time of ts in Beijing time; it is zero
// when all are empty or the first is in no known layout. The layouts are
// Aliyun's and Tencent's, Ronglian's, and two that a hand-made push may use;
// RFC 3339 keeps its own zone.
func when(ts ...scalar) time.Time {
	layouts := [...]string{"2006-01-02 15:04:05", "20060102150405", "2006-01-02T15:04:05", time.RFC3339Nano}
	for _, s := range ts {
		v := strings.TrimSpace(string(s))
		if v == "" {
			continue
		}
		for _, l := range layouts {
			if t, err := time.ParseInLocation(l, v, notify.Beijing); err == nil {
				return t
			}
		}
		return time.Time{}
	}
	return time.Time{}
}
