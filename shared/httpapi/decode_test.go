package httpapi

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// Every decoding quirk of the legacy API's callers (docs/legacy.md).
func TestDecodeSMSQuirks(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		phones []string
		params map[string]string
		group  string
		outID  string
	}{
		{"legacy example: number and bare code", `{"GroupID":"bc-fumin","PhoneNumbers":18683441008,"SignName":"冰鉴科技","TemplateCode":"SMS_184105379","TemplateParam":"654321"}`,
			[]string{"18683441008"}, map[string]string{"code": "654321"}, "bc-fumin", ""},
		{"comma-separated string", `{"GroupID":"g","PhoneNumbers":"13800138000, 13900139000，13700137000","TemplateParam":{"code":"1"}}`,
			[]string{"13800138000", "13900139000", "13700137000"}, map[string]string{"code": "1"}, "g", ""},
		{"list of strings and numbers", `{"GroupID":"g","PhoneNumbers":["13800138000",13900139000]}`,
			[]string{"13800138000", "13900139000"}, nil, "g", ""},
		// An item is comma-separated numbers too, as the string is.
		{"list items with commas", `{"GroupID":"g","PhoneNumbers":["13800138000, 13900139000，","13700137000"]}`,
			[]string{"13800138000", "13900139000", "13700137000"}, nil, "g", ""},
		{"params in a string", `{"GroupID":"g","TemplateParam":"{\"code\":\"1234\",\"product\":\"ytx\"}"}`,
			nil, map[string]string{"code": "1234", "product": "ytx"}, "g", ""},
		{"numeric param values become strings", `{"GroupID":"g","TemplateParam":{"code":123456,"ok":true,"big":18683441008}}`,
			nil, map[string]string{"code": "123456", "ok": "true", "big": "18683441008"}, "g", ""},
		{"bare numeric code", `{"GroupID":"g","TemplateParam":654321}`, nil, map[string]string{"code": "654321"}, "g", ""},
		{"null and empty params", `{"GroupID":"g","TemplateParam":null}`, nil, nil, "g", ""},
		{"empty string params", `{"GroupID":"g","TemplateParam":""}`, nil, nil, "g", ""},
		{"numeric group and OutId", `{"GroupID":42,"OutId":7}`, nil, nil, "42", "7"},
		{"field names in any case", `{"groupid":"g","phonenumbers":"13800138000"}`, []string{"13800138000"}, nil, "g", ""},
		{"unknown fields ignored", `{"GroupID":"g","Extra":{"a":[1]}}`, nil, nil, "g", ""},
		{"surrogate pairs and an escaped backslash", `{"GroupID":"g","TemplateParam":{"name":"\ud83d\ude00 \\ud800 \u5f20"}}`,
			nil, map[string]string{"name": "\U0001F600 \\ud800 张"}, "g", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := DecodeSMS([]byte(tt.body))
			if err != nil {
				t.Fatalf("DecodeSMS: %v", err)
			}
			if !reflect.DeepEqual(r.PhoneNumbers, tt.phones) && !(len(r.PhoneNumbers) == 0 && len(tt.phones) == 0) {
				t.Errorf("PhoneNumbers = %q, want %q", r.PhoneNumbers, tt.phones)
			}
			if !reflect.DeepEqual(r.Params, tt.params) {
				t.Errorf("Params = %v, want %v", r.Params, tt.params)
			}
			if r.GroupID != tt.group || r.OutID != tt.outID {
				t.Errorf("GroupID %q OutID %q, want %q %q", r.GroupID, r.OutID, tt.group, tt.outID)
			}
		})
	}
}

func TestDecodeSMSErrors(t *testing.T) {
	tests := []struct {
		name, body, field, reason string
	}{
		{"empty body", ``, "", "empty_body"},
		{"not an object", `["GroupID"]`, "", "invalid_json"},
		{"malformed", `{"GroupID":"g",}`, "", "invalid_json"},
		{"group as object", `{"GroupID":{"id":"g"}}`, "GroupID", "invalid_field"},
		{"phones as object", `{"PhoneNumbers":{"a":1}}`, "PhoneNumbers", "invalid_field"},
		{"phone list with an object", `{"PhoneNumbers":["13800138000",{}]}`, "PhoneNumbers", "invalid_field"},
		{"params as list", `{"TemplateParam":["1"]}`, "TemplateParam", "invalid_field"},
		{"params string with bad JSON", `{"TemplateParam":"{\"code\":}"}`, "TemplateParam", "invalid_json"},
		{"nested param", `{"TemplateParam":{"code":{"x":1}}}`, "TemplateParam", "invalid_field"},
		{"sign as list", `{"SignName":["a"]}`, "SignName", "invalid_field"},
		// Bytes that are not UTF-8 name their field, rather than reach the
		// provider as U+FFFD.
		{"sign not UTF-8", "{\"GroupID\":\"g\",\"SignName\":\"\xff\xfe\"}", "SignName", "invalid_field"},
		{"param not UTF-8", "{\"TemplateParam\":{\"code\":\"1\xc3\"}}", "TemplateParam", "invalid_field"},
		{"a name not UTF-8", "{\"Sign\xffName\":\"a\"}", "", "invalid_json"},
		// So do escapes of lone surrogates, which JSON reads as U+FFFD too.
		{"param a lone surrogate", `{"TemplateParam":{"code":"1\ud800"}}`, "TemplateParam", "invalid_field"},
		{"param a lone low surrogate", `{"TemplateParam":{"name":"\udc00张三"}}`, "TemplateParam", "invalid_field"},
		{"param string a lone surrogate", `{"TemplateParam":"{\"name\":\"\\ud83d\"}"}`, "TemplateParam", "invalid_field"},
		{"sign a lone surrogate", `{"GroupID":"g","SignName":"\ud83d\u0041"}`, "SignName", "invalid_field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeSMS([]byte(tt.body))
			var e *notify.Error
			if !errors.As(err, &e) || e.Kind != notify.Invalid || e.Field != tt.field || e.Reason != tt.reason {
				t.Fatalf("DecodeSMS(%s) error = %v; want field %q reason %q", tt.body, err, tt.field, tt.reason)
			}
		})
	}
}

// FuzzDecodeSMS: the decoder never panics, and every refusal is an Invalid
// *notify.Error with a reason.
func FuzzDecodeSMS(f *testing.F) {
	for _, s := range []string{
		`{"GroupID":"bc-fumin","PhoneNumbers":18683441008,"SignName":"冰鉴科技","TemplateCode":"SMS_184105379","TemplateParam":"654321"}`,
		`{"GroupID":"g","PhoneNumbers":"13800138000,13900139000","TemplateParam":{"code":"1"},"OutId":"x"}`,
		`{"GroupID":"g","PhoneNumbers":["13800138000",139],"TemplateParam":"{\"a\":1}"}`,
		`{"TemplateParam":[]}`, `[]`, `{`, ``, `null`, `{"PhoneNumbers":"，,"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := DecodeSMS(body)
		if err != nil {
			var e *notify.Error
			if !errors.As(err, &e) || e.Kind != notify.Invalid || e.Reason == "" || !namesItsField(e) {
				t.Fatalf("DecodeSMS error %v is not an Invalid *notify.Error with a reason", err)
			}
			return
		}
		for _, p := range r.PhoneNumbers {
			if strings.ContainsAny(p, ",，") {
				t.Fatalf("number %q still holds a separator", p)
			}
		}
	})
}
