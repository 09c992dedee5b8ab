package httpapi

import (
	"errors"
	"strings"
	"testing"

	"github.com/seed4ddb146e/notify/shared/notify"
)

func TestDecodeCodes(t *testing.T) {
	r, err := DecodeCodeSend([]byte(`{"GroupID":"shop","PhoneNumber":13800138000,"Scene":" login ","Channel":"TTS","SignName":"s","TemplateCode":"T"}`))
	if err != nil || r.GroupID != "shop" || r.PhoneNumber != "13800138000" || r.Scene != "login" || r.Channel != notify.Voice ||
		r.SignName != "s" || r.TemplateCode != "T" {
		t.Errorf("DecodeCodeSend = %+v, %v", r, err)
	}
	v, err := DecodeCodeVerify([]byte(`{"GroupID":"shop","PhoneNumber":"13800138000","Scene":"login","Code":"012345"}`))
	if err != nil || v.Code != "012345" || v.PhoneNumber != "13800138000" {
		t.Errorf("DecodeCodeVerify = %+v, %v", v, err)
	}
	for _, body := range []string{`[]`, `{"Scene":{}}`, `{"Code":[1]}`, ``} {
		if _, err := DecodeCodeVerify([]byte(body)); notify.KindOf(err) != notify.Invalid {
			t.Errorf("DecodeCodeVerify(%s) = %v; want an Invalid error", body, err)
		}
	}
}

func fuzzCodeDecoder(f *testing.F, decode func([]byte) error) {
	for _, s := range []string{
		`{"GroupID":"shop","PhoneNumber":"13800138000","Scene":"login"}`,
		`{"GroupID":"shop","PhoneNumber":13800138000,"Scene":"login","Channel":"tts","SignName":"s","TemplateCode":"T"}`,
		`{"GroupID":"shop","PhoneNumber":"+85261234567","Scene":"pay","Code":"012345"}`,
		`{"Code":123456}`, `{"Scene":null}`, `[]`, `{`, ``, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if err := decode(body); err != nil {
			var e *notify.Error
			if !errors.As(err, &e) || e.Kind != notify.Invalid || e.Reason == "" || !namesItsField(e) {
				t.Fatalf("error %v is not an Invalid *notify.Error with a reason", err)
			}
		}
	})
}

func FuzzDecodeCodeSend(f *testing.F) {
	fuzzCodeDecoder(f, func(b []byte) error {
		r, err := DecodeCodeSend(b)
		if err == nil && (r.Scene != strings.TrimSpace(r.Scene) || r.PhoneNumber != strings.TrimSpace(r.PhoneNumber)) {
			return errors.New("untrimmed")
		}
		return err
	})
}

func FuzzDecodeCodeVerify(f *testing.F) {
	fuzzCodeDecoder(f, func(b []byte) error { _, err := DecodeCodeVerify(b); return err })
}
