package cloopen_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/seed4ddb146e/notify/shared/fake/cloopen"
)

var codePattern = regexp.MustCompile(`^[0-9]{6}$`)

// FuzzRequest feeds the fake any path, Authorization, sig, Content-Type and
// body; with signed, the path, Authorization and sig are right, so that the
// body's checks are reached. The fake never panics, answers 404, 405 or a
// 200 with a six-digit statusCode, and records a send exactly when it
// answers 000000, with numbers the service takes.
func FuzzRequest(f *testing.F) {
	ok := valid(now)
	f.Add(ok.path, ok.auth, ok.sig, ok.contentType, []byte(ok.body), true)
	f.Add(ok.path, ok.auth, strings.ToLower(ok.sig), ok.contentType, []byte(ok.body), false)
	f.Add(ok.path, "", "", "", []byte(nil), false)
	f.Add("/2013-12-26/Accounts/x/SMS/TemplateSMS", "eDo=", "X", "application/xml", []byte("<TemplateSMS/>"), false)
	f.Add("/", "!!!", "", "", []byte("{}"), false)
	f.Add("", "", "", "application/json", []byte(`{"to":"13800138000,","appId":"`+appID+`","templateId":"1"}`), true)
	f.Add("", "", "", "", []byte(`{"to":"13800138000","appId":"`+appID+`","templateId":"1","datas":null,"reqId":""}`), true)
	f.Add("", "", "", "", []byte(`{"to":13800138000,"appId":["x"]}`), true)
	f.Add("", "", "", "", []byte(`null`), true)

	fake := start(f)
	f.Fuzz(func(t *testing.T, path, auth, sig, contentType string, body []byte, signed bool) {
		if signed {
			path, auth, sig = ok.path, ok.auth, ok.sig
		}
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		req := httptest.NewRequest(http.MethodPost, "http://fake/", strings.NewReader(string(body)))
		req.URL.Path = path
		req.URL.RawQuery = "sig=" + sig
		req.Header.Set("Authorization", auth)
		req.Header.Set("Content-Type", contentType)
		before := len(fake.Sends())
		w := httptest.NewRecorder()
		fake.ServeHTTP(w, req)
		sends := fake.Sends()[before:]

		if w.Code == http.StatusNotFound || w.Code == http.StatusMethodNotAllowed {
			if len(sends) != 0 {
				t.Fatalf("HTTP %d with %d sends recorded", w.Code, len(sends))
			}
			return
		}
		var a answer
		if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &a) != nil || !codePattern.MatchString(a.StatusCode) {
			t.Fatalf("answer %d %q, want 200 with a six-digit statusCode", w.Code, w.Body)
		}
		if (a.StatusCode == cloopen.Success) != (len(sends) == 1) {
			t.Fatalf("statusCode %s with %d sends recorded", a.StatusCode, len(sends))
		}
		if a.StatusCode != cloopen.Success {
			return
		}
		if !signed && !strings.EqualFold(sig, ok.sig) {
			t.Fatalf("accepted sig %q, want only %s", sig, ok.sig)
		}
		m := sends[0]
		if a.TemplateSMS.SMSMessageSID != m.SMSMessageSID || len(m.To) == 0 || len(m.To) > cloopen.MaxPhoneNumbers {
			t.Fatalf("accepted %+v with answer %+v", m, a)
		}
		for _, n := range m.To {
			if !cloopen.Mainland(n) {
				t.Fatalf("accepted number %q", n)
			}
		}
	})
}
