package mail_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/seed4ddb146e/notify/shared/fake/smtpd"
	"github.com/seed4ddb146e/notify/shared/httpapi"
)

// FuzzMailRoute sends POST /mail any body, over the mail function wired as
// in production (SQLite, the fake SMTP server). Whatever a caller sends,
// the reply is a JSON object and never a 500; a refusal sends nothing; and
// group inside, kept to icekredit.com, reaches no one outside it.
func FuzzMailRoute(f *testing.F) {
	g := newGateway(f, smtpd.Faults{}, nil)
	f.Add(seedBody)
	f.Add(`{"group_id":"inside","subject":"s","to":"a@icekredit.com, b@mail.icekredit.com","body":"x"}`)
	f.Add(`{"group_id":"inside","subject":"s","to":["a@evil.com"],"bcc":"\"x@icekredit.com\"@evil.com","body":"x"}`)
	f.Add(`{"group_id":"inside","subject":"s","to":["Ann <a@icekredit.com>"],"cc":["b@ICEKREDIT.COM."],"body":"x"}`)
	f.Add(`{"group_id":"inside","subject":"s","to":"Ann (Sales, East) <a@icekredit.com>, b@icekredit.com (x@evil.com, y)","body":"x"}`)
	f.Add(`{"group_id":"bc-fmb","subject":"s","to":["a@example.com"],"html":"<p>x</p>",` +
		`"attachments":[{"name":"a.txt","content_type":"text/plain","content":"YWJj"}]}`)
	f.Add(`{"group_id":"bc-fmb","to":"a@example.com","attachments":[{"name":"a","content":"` + strings.Repeat("QUFB", 400) + `"}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		g.smtp.Reset()
		r := httptest.NewRequest(http.MethodPost, "/mail", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		g.Handler.ServeHTTP(w, r)
		var rep map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil || w.Code == http.StatusInternalServerError {
			t.Fatalf("%q: reply %d %q", body, w.Code, w.Body)
		}
		sent := g.smtp.Messages()
		if w.Code/100 == 4 && len(sent) > 0 {
			t.Fatalf("%q: refused %d %s, yet %d messages sent", body, w.Code, w.Body, len(sent))
		}
		req, err := httpapi.DecodeMail([]byte(body))
		if err != nil || !strings.EqualFold(req.GroupID, "inside") {
			return
		}
		for _, m := range sent {
			for _, to := range m.To {
				d := strings.ToLower(to[strings.LastIndexByte(to, '@')+1:])
				if d != "icekredit.com" && !strings.HasSuffix(d, ".icekredit.com") {
					t.Fatalf("%q: group inside mailed %q", body, to)
				}
			}
		}
	})
}
