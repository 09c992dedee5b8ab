package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"mime"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/seed4ddb146e/notify/shared/notify"
)

func TestDecodeTTS(t *testing.T) {
	r, err := DecodeTTS([]byte(`{"GroupID":"bc-fmb","CalledNumber":18683441008,"TtsCode":"TTS_1","TtsParam":{"count":10},"PlayTimes":"2","Volume":0,"Speed":null}`))
	if err != nil {
		t.Fatal(err)
	}
	if r.CalledNumber != "18683441008" || r.Params["count"] != "10" || *r.PlayTimes != 2 || *r.Volume != 0 || r.Speed != nil {
		t.Errorf("DecodeTTS = %+v", r)
	}
	for body, field := range map[string]string{
		`{"PlayTimes":1.5}`:     "PlayTimes",
		`{"Volume":[1]}`:        "Volume",
		`{"CalledNumber":{}}`:   "CalledNumber",
		`{"TtsParam":"{bad"}`:   "TtsParam",
		`{"OutId":{"a":1}}`:     "OutId",
		`{"TtsCode":["TTS_1"]}`: "TtsCode",
	} {
		var e *notify.Error
		if _, err := DecodeTTS([]byte(body)); !errors.As(err, &e) || e.Field != field {
			t.Errorf("DecodeTTS(%s) = %v; want an error naming %s", body, err, field)
		}
	}
}

func TestDecodeMail(t *testing.T) {
	r, err := DecodeMail([]byte(`{"group_id":"g","subject":"s","to":["a@x.com","b@x.com,"],"cc":"c@x.com, d@x.com","bcc":["\"Doe, J\" <j@x.com>"],
		"body":"b","attachments":[{"name":"a.txt","content_type":"text/plain","content":"aGVs\nbG8="}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.To, []string{"a@x.com", "b@x.com"}) || !reflect.DeepEqual(r.Cc, []string{"c@x.com", "d@x.com"}) ||
		!reflect.DeepEqual(r.Bcc, []string{`"Doe, J" <j@x.com>`}) {
		t.Errorf("to %q cc %q bcc %q", r.To, r.Cc, r.Bcc)
	}
	if len(r.Attachments) != 1 || string(r.Attachments[0].Data) != "hello" || r.Text != "b" || r.GroupID != "g" {
		t.Errorf("DecodeMail = %+v", r)
	}
	// A string of addresses splits at the commas between them, not at one
	// in a quoted display name (where \" is a quote) or in <>.
	r, err = DecodeMail([]byte(`{"to":"\"Doe, John\" <a@x.com>, b@x.com，\"O\\\"Neil, P\" <c@x.com>,","cc":["\"Roe, R\" <r@x.com>, s@x.com"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{`"Doe, John" <a@x.com>`, "b@x.com", `"O\"Neil, P" <c@x.com>`}; !reflect.DeepEqual(r.To, want) ||
		!reflect.DeepEqual(r.Cc, []string{`"Roe, R" <r@x.com>`, "s@x.com"}) {
		t.Errorf("to %q, cc %q; want %q and two", r.To, r.Cc, want)
	}
	// Nor at one in a comment, which CheckAddress reads as part of the
	// address, as the CLI's --to does.
	r, err = DecodeMail([]byte(`{"to":"Ann (Sales, East) <a@x.com>, b@x.com (Bo, B)","cc":["c@x.com (x \\), y), d@x.com"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Ann (Sales, East) <a@x.com>", "b@x.com (Bo, B)"}; !reflect.DeepEqual(r.To, want) ||
		!reflect.DeepEqual(r.Cc, []string{`c@x.com (x \), y)`, "d@x.com"}) {
		t.Errorf("to %q, cc %q; want %q and two", r.To, r.Cc, want)
	}
	for body, field := range map[string]string{
		`{"to":{"a":1}}`:                                  "to",
		`{"subject":["s"]}`:                               "subject",
		`{"attachments":[{"content":"%%%"}]}`:             "attachments[0].content",
		`{"attachments":"x"}`:                             "attachments",
		`{"attachments":[5]}`:                             "attachments",
		`{"attachments":[{"name":"a","content_type":5}]}`: "attachments.content_type",
		`{"group_id":"g","body":{"text":"x"}}`:            "body",
		`{"cc":["a@x.com",["b@x.com"]]}`:                  "cc",
	} {
		var e *notify.Error
		if _, err := DecodeMail([]byte(body)); !errors.As(err, &e) || e.Field != field || e.Kind != notify.Invalid {
			t.Errorf("DecodeMail(%s) = %v; want an Invalid error naming %q", body, err, field)
		}
	}
}

func fuzzDecoder[R any](f *testing.F, decode func([]byte) (R, error), seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if _, err := decode(body); err != nil {
			var e *notify.Error
			if !errors.As(err, &e) || e.Kind != notify.Invalid || e.Reason == "" || !namesItsField(e) {
				t.Fatalf("error %v is not an Invalid *notify.Error with a reason", err)
			}
		}
	})
}

func FuzzDecodeTTS(f *testing.F) {
	fuzzDecoder(f, DecodeTTS,
		`{"GroupID":"bc-fmb","CalledNumber":18683441008,"TtsCode":"TTS_134311476","TtsParam":{"errorcode":"TTS测试","count":"10"}}`,
		`{"CalledNumber":"13800138000","PlayTimes":"3","Volume":100,"Speed":-500,"OutId":"abc","TtsParam":"{\"a\":\"1\"}"}`,
		`{"PlayTimes":1e9}`, `{"Speed":"-"}`, `[]`, ``)
}

// FuzzDecodeMail checks, beyond fuzzDecoder's rule, that an attachment's
// content decodes to what its JSON string says, whether it was read
// straight from the body or copied first, and that a content type
// notify.BareMediaType lets through carries no parameter.
func FuzzDecodeMail(f *testing.F) {
	for _, s := range []string{
		`{"group_id":"bc-fmb","subject":"邮件测试MailTest","to":["a@icekredit.com","b@icekredit.com,"],"cc":["a@icekredit.com"],"body":"邮件正文MailBody"}`,
		`{"group_id":"g","to":"a@x.com","html":"<p>x</p>","attachments":[{"name":"a","content":"YQ=="}]}`,
		`{"attachments":[{"name":"a.txt","content_type":"text/plain; name=evil.exe","content":"YWJj\r\nZGVm"}]}`,
		`{"attachments":[{"content_type":"text/plain;name=\"a.txt\"","content":" YW Jj "},{"content":"YQ\u003d\u003d"}]}`,
		`{"attachments":[{"content_type":"application/vnd.ms-excel","content":12}]}`,
		`{"attachments":[{}]}`, `{"to":[1,2]}`, `{`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := DecodeMail(body)
		if err != nil {
			var e *notify.Error
			if !errors.As(err, &e) || e.Kind != notify.Invalid || e.Reason == "" || !namesItsField(e) {
				t.Fatalf("error %v is not an Invalid *notify.Error with a reason", err)
			}
			return
		}
		var b struct {
			Attachments []struct {
				Content *string `json:"content"`
			} `json:"attachments"`
		}
		if err := json.Unmarshal(bytes.TrimSpace(body), &b); err != nil {
			t.Fatalf("DecodeMail took a body json.Unmarshal refuses: %v", err)
		}
		for i, a := range r.Attachments {
			var want []byte
			if c := b.Attachments[i].Content; c != nil {
				if want, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(*c), "")); err != nil {
					t.Fatalf("attachment %d: %q decoded to %q; it is not base64: %v", i, *c, a.Data, err)
				}
			}
			if !bytes.Equal(a.Data, want) {
				t.Errorf("attachment %d: data %q; want %q", i, a.Data, want)
			}
			if notify.BareMediaType(a.ContentType) {
				mt, params, err := mime.ParseMediaType(a.ContentType)
				if err != nil || len(params) != 0 || mt != strings.ToLower(a.ContentType) {
					t.Errorf("attachment %d: %q passes as a bare media type, but parses as %q %v (%v)", i, a.ContentType, mt, params, err)
				}
			}
		}
	})
}

// namesItsField says whether e, a decoder's refusal, names the field at
// fault when its reason says a field is: a caller told "invalid_field"
// must learn which.
func namesItsField(e *notify.Error) bool {
	switch e.Reason {
	case notify.ReasonInvalidField, notify.ReasonMissingField, notify.ReasonTooMany, notify.ReasonTooLong, notify.ReasonOutOfRange,
		notify.ReasonInvalidPhone, notify.ReasonInvalidAddress, notify.ReasonHeaderInjection, notify.ReasonInvalidCode:
		return e.Field != ""
	}
	return true
}

// FuzzAddressList: an address CheckAddress takes whole, given alone as a
// string or as a list's item, is one address, never split at a comma of
// its own (in a quoted display name, a comment or <>). The seeds with
// comments were split at their comma, and refused, before splitAddresses
// knew comments; the CLI's --to kept them whole.
func FuzzAddressList(f *testing.F) {
	for _, s := range []string{"Ann (Sales, East) <a@x.com>", "a@x.com (Ann, B)", `"Doe, J" <j@x.com>`, `Ann (x \) , y) <a@x.com>`,
		`"a (b, c" <a@x.com>`, "b@x.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.ContainsRune(s, '，') || !utf8.ValidString(s) {
			return // a full-width comma separates, wherever it is
		}
		if _, err := notify.CheckAddress(s); err != nil {
			return
		}
		want := []string{strings.Trim(s, " \t,")}
		for _, raw := range []any{s, []string{s}} {
			b, _ := json.Marshal(raw)
			if got, err := addressList(b, "to"); err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("addressList(%s) = %q, %v; want %q, the one address CheckAddress takes", b, got, err, want)
			}
		}
	})
}

// A PhoneNumbers list whose items are one number each, as most are, costs
// no more than decoding the list: the split at commas of an item copies
// nothing when no item has one.
func TestPhoneListAllocs(t *testing.T) {
	raw := json.RawMessage(`["13800138000", 13900139000, " 13700137000 "]`)
	list := testing.AllocsPerRun(100, func() { _, _ = scalarList(raw, "PhoneNumbers") })
	phones := testing.AllocsPerRun(100, func() { _, _ = phoneList(raw, "PhoneNumbers") })
	if phones > list {
		t.Errorf("phoneList: %v allocations; want at most scalarList's %v", phones, list)
	}
	got, err := phoneList(json.RawMessage(`["1", "2,3", "4"]`), "PhoneNumbers")
	if err != nil || strings.Join(got, "|") != "1|2|3|4" {
		t.Errorf("phoneList with an item of two numbers = %q, %v; want 1|2|3|4", got, err)
	}
}
