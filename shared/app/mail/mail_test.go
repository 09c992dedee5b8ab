package mail_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/app/apptest"
	mailapp "github.com/seed4ddb146e/notify/shared/app/mail"
	"github.com/seed4ddb146e/notify/shared/fake/smtpd"
	"github.com/seed4ddb146e/notify/shared/notify"
)

const groups = `[
 {"id":"bc-fmb","channels":["mail"],"mail_from":"冰鉴通知 <notify@icekredit.com>"},
 {"id":"inside","channels":["mail"],"mail_domains":["icekredit.com"]},
 {"id":"sms-only","channels":["sms"]}
]`

type gateway struct {
	*apptest.Function
	smtp *smtpd.Server
}

func newGateway(t testing.TB, faults smtpd.Faults, env map[string]string) *gateway {
	t.Helper()
	srv := smtpd.Start(t, smtpd.Config{Mode: smtpd.Plain, Username: "mailer", Password: "pa55-w0rd-x", RequireAuth: true, Faults: faults})
	f := apptest.Build(t, mailapp.New, apptest.Merge(map[string]string{
		"NOTIFY_GROUPS":                    groups,
		"NOTIFY_SMTP_URL":                  srv.URL(),
		"NOTIFY_MAIL_FROM":                 "noreply@example.com",
		"NOTIFY_MAIL_MAX_ATTACHMENT_BYTES": "1000",
	}, env))
	return &gateway{Function: f, smtp: srv}
}

type reply struct {
	Code, Message, MessageId, ThreadIdentifier, Reason, Field string
	Sandbox                                                   bool
}

func (g *gateway) post(t testing.TB, body string, timeout time.Duration) (int, reply) {
	t.Helper()
	var rep reply
	status, _ := g.Post(t, "/mail", body, nil, timeout, &rep)
	return status, rep
}

// seedBody is the legacy API's own example (docs/legacy.md), stray comma
// included.
const seedBody = `{"group_id":"bc-fmb","subject":"邮件测试MailTest","to":["song_xiaobing@icekredit.com","yan_hao@icekredit.com,"],"cc":["song_xiaobing@icekredit.com"],"body":"邮件正文MailBody"}`

func TestSeedCallerMails(t *testing.T) {
	t.Parallel()
	g := newGateway(t, smtpd.Faults{}, nil)
	status, rep := g.post(t, seedBody, 10*time.Second)
	if status != 200 || rep.Code != "OK" || rep.MessageId == "" || rep.ThreadIdentifier != rep.MessageId {
		t.Fatalf("reply %d %+v", status, rep)
	}
	msgs := g.smtp.Messages()
	if len(msgs) != 1 {
		t.Fatalf("server got %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	// The cc duplicate of a to address is sent once.
	if m.From != "notify@icekredit.com" || strings.Join(m.To, ",") != "song_xiaobing@icekredit.com,yan_hao@icekredit.com" {
		t.Errorf("envelope %s -> %v", m.From, m.To)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatal(err)
	}
	// The headers show to and cc as the caller wrote them: only the
	// envelope sends each address once.
	if to, cc := msg.Header.Get("To"), msg.Header.Get("Cc"); !strings.Contains(to, "<song_xiaobing@icekredit.com>") ||
		!strings.Contains(to, "<yan_hao@icekredit.com>") || !strings.Contains(cc, "<song_xiaobing@icekredit.com>") {
		t.Errorf("To %q, Cc %q; want both to addresses, and the cc one", to, cc)
	}
	dec := new(mime.WordDecoder)
	subj, _ := dec.DecodeHeader(msg.Header.Get("Subject"))
	from, _ := dec.DecodeHeader(msg.Header.Get("From"))
	if subj != "邮件测试MailTest" || !strings.Contains(from, "冰鉴通知") || !strings.Contains(from, "<notify@icekredit.com>") {
		t.Errorf("Subject %q From %q", subj, from)
	}
	body, _ := io.ReadAll(msg.Body)
	if !strings.Contains(decodeBody(t, msg.Header.Get("Content-Transfer-Encoding"), body), "邮件正文MailBody") {
		t.Errorf("body %q", body)
	}
	rec, err := g.Store.Message(context.Background(), rep.MessageId)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != notify.Submitted || rec.Provider != "smtp" || rec.ProviderID != msg.Header.Get("Message-Id") || len(rec.Recipients) != 2 {
		t.Errorf("record %+v; Message-Id %s", rec, msg.Header.Get("Message-Id"))
	}
	if strings.Contains(g.Logs.String(), "pa55-w0rd-x") {
		t.Error("the SMTP password appears in the logs")
	}
}

func decodeBody(t *testing.T, cte string, b []byte) string {
	t.Helper()
	switch strings.ToLower(cte) {
	case "base64":
		d, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(b)), ""))
		if err != nil {
			t.Fatal(err)
		}
		return string(d)
	case "quoted-printable":
		d, err := io.ReadAll(quotedPrintable(b))
		if err != nil {
			t.Fatal(err)
		}
		return string(d)
	}
	return string(b)
}

// Bcc goes to the envelope only; html and attachments arrive intact.
func TestBccHTMLAttachment(t *testing.T) {
	t.Parallel()
	g := newGateway(t, smtpd.Faults{}, nil)
	pdf := []byte("%PDF-1.4 \x00\x01\x02 binary")
	body := `{"group_id":"bc-fmb","subject":"Report","to":"a@example.com","bcc":["hidden@example.com"],"reply_to":"ops@example.com",
		"body":"see attached","html":"<p>see <b>attached</b></p>",
		"attachments":[{"name":"report.pdf","content_type":"application/pdf","content":"` + base64.StdEncoding.EncodeToString(pdf) + `"}]}`
	status, rep := g.post(t, body, 10*time.Second)
	if status != 200 {
		t.Fatalf("reply %d %+v", status, rep)
	}
	m := g.smtp.Messages()[0]
	if strings.Join(m.To, ",") != "a@example.com,hidden@example.com" {
		t.Errorf("envelope recipients %v", m.To)
	}
	if bytes.Contains(bytes.ToLower(m.Data), []byte("hidden@example.com")) || bytes.Contains(bytes.ToLower(m.Data), []byte("\nbcc:")) {
		t.Error("the bcc recipient shows in the message")
	}
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatal(err)
	}
	if msg.Header.Get("Reply-To") != "<ops@example.com>" && msg.Header.Get("Reply-To") != "ops@example.com" {
		t.Errorf("Reply-To %q", msg.Header.Get("Reply-To"))
	}
	mt, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if mt != "multipart/mixed" {
		t.Fatalf("Content-Type %s", mt)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var found bool
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		if p.FileName() == "report.pdf" {
			b, _ := io.ReadAll(p)
			if got := decodeBody(t, p.Header.Get("Content-Transfer-Encoding"), b); got != string(pdf) {
				t.Errorf("attachment %q, want %q", got, pdf)
			}
			found = true
		}
	}
	if !found {
		t.Error("no report.pdf part")
	}
}

func TestMailRefusals(t *testing.T) {
	t.Parallel()
	g := newGateway(t, smtpd.Faults{}, nil)
	tests := []struct {
		name, body    string
		status        int
		reason, field string
	}{
		{"unknown group", `{"group_id":"x","subject":"s","to":["a@example.com"],"body":"b"}`, 401, "unknown_group", "group_id"},
		{"no group", `{"subject":"s","to":["a@example.com"],"body":"b"}`, 400, "missing_field", "group_id"},
		{"channel", `{"group_id":"sms-only","subject":"s","to":["a@example.com"],"body":"b"}`, 403, "channel_not_allowed", "group_id"},
		{"no to", `{"group_id":"bc-fmb","subject":"s","to":[],"body":"b"}`, 400, "missing_field", "to"},
		{"bad address", `{"group_id":"bc-fmb","subject":"s","to":["a@example.com","nope"],"body":"b"}`, 400, "invalid_address", "to[1]"},
		{"header injection in an address", `{"group_id":"bc-fmb","subject":"s","to":["a@example.com\r\nBcc: x@evil.com"],"body":"b"}`,
			400, "header_injection", "to[0]"},
		{"a NUL in an address", `{"group_id":"bc-fmb","subject":"s","to":["a\u0000b@example.com"],"body":"b"}`,
			400, "invalid_address", "to[0]"},
		{"header injection in a cc", `{"group_id":"bc-fmb","subject":"s","to":["a@example.com"],"cc":["b@example.com\nBcc: x@evil.com"],"body":"b"}`,
			400, "header_injection", "cc[0]"},
		{"header injection in reply_to", `{"group_id":"bc-fmb","subject":"s","to":["a@example.com"],"reply_to":"b@example.com\r\nBcc: x@evil.com","body":"b"}`,
			400, "header_injection", "reply_to"},
		{"header injection in the subject", `{"group_id":"bc-fmb","subject":"hi\r\nBcc: x@evil.com","to":["a@example.com"],"body":"b"}`,
			400, "header_injection", "subject"},
		{"long local part", `{"group_id":"bc-fmb","subject":"s","to":["` + strings.Repeat("a", 65) + `@example.com"],"body":"b"}`,
			400, "invalid_address", "to[0]"},
		{"domain not allowed", `{"group_id":"inside","subject":"s","to":["a@icekredit.com"],"cc":["b@gmail.com"],"body":"b"}`,
			403, "domain_not_allowed", "cc[0]"},
		{"no body", `{"group_id":"bc-fmb","subject":"s","to":["a@example.com"]}`, 400, "missing_field", "body"},
		{"no subject", `{"group_id":"bc-fmb","to":["a@example.com"],"body":"b"}`, 400, "missing_field", "subject"},
		{"bad base64", `{"group_id":"bc-fmb","subject":"s","to":["a@example.com"],"body":"b","attachments":[{"name":"a.txt","content":"!!"}]}`,
			400, "invalid_base64", "attachments[0].content"},
		{"attachments over the limit", `{"group_id":"bc-fmb","subject":"s","to":["a@example.com"],"body":"b","attachments":[{"name":"a.bin","content":"` +
			base64.StdEncoding.EncodeToString(make([]byte, 1001)) + `"}]}`, 413, "attachments_too_large", "attachments"},
		{"a parameter smuggled into an attachment's type", `{"group_id":"bc-fmb","subject":"s","to":["a@example.com"],"body":"b","attachments":[{"name":"a.txt","content_type":"text/plain; name=evil.exe","content":"YQ=="}]}`,
			400, "invalid_field", "attachments[0].content_type"},
		{"an attachment's type with a space", `{"group_id":"bc-fmb","subject":"s","to":["a@example.com"],"body":"b","attachments":[{"name":"a.txt","content_type":"text/plain ","content":"YQ=="}]}`,
			400, "invalid_field", "attachments[0].content_type"},
		// A stranger's attachments are not even decoded.
		{"unknown group, bad attachment", `{"group_id":"x","subject":"s","to":["a@example.com"],"body":"b","attachments":[{"name":"a.txt","content":"!!"}]}`,
			401, "unknown_group", "group_id"},
		{"attachment name with a line break", `{"group_id":"bc-fmb","subject":"s","to":["a@example.com"],"body":"b","attachments":[{"name":"a\r\nX: y","content":""}]}`,
			400, "header_injection", "attachments[0].name"},
		{"attachment name with a slash", `{"group_id":"bc-fmb","subject":"s","to":["a@example.com"],"body":"b","attachments":[{"name":"../a","content":""}]}`,
			400, "invalid_field", "attachments[0].name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, rep := g.post(t, tt.body, 10*time.Second)
			if status != tt.status || rep.Reason != tt.reason || rep.Field != tt.field || rep.Code != "ERROR" {
				t.Fatalf("reply %d %+v; want %d reason %s field %s", status, rep, tt.status, tt.reason, tt.field)
			}
		})
	}
	if n := len(g.smtp.Messages()); n != 0 {
		t.Errorf("the server got %d messages for refused requests", n)
	}
}

func TestMailServerFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		faults  smtpd.Faults
		env     map[string]string
		timeout time.Duration
		status  int
		reason  string
		record  notify.Status
	}{
		{"recipient refused", smtpd.Faults{RejectRcpt: []string{"yan_hao@icekredit.com"}}, nil, 10 * time.Second,
			400, "provider_rejected", notify.Failed},
		{"temporary failure", smtpd.Faults{TempFail: true}, nil, 10 * time.Second, 502, "provider_unavailable", notify.Failed},
		{"dropped during DATA", smtpd.Faults{DropDuringData: true}, nil, 10 * time.Second, 504, "provider_outcome_unknown", notify.Unknown},
		// The deadline must come after DATA has begun (before it, nothing
		// was sent: 502): 300 ms was too short on a machine busy with
		// other builds, which took that long to reach DATA.
		{"slow past the deadline", smtpd.Faults{Delay: smtpd.Delay{Step: smtpd.Data, For: time.Hour}}, nil, 2 * time.Second,
			504, "provider_outcome_unknown", notify.Unknown},
		{"wrong password", smtpd.Faults{RejectAuth: true}, nil, 10 * time.Second, 502, "provider_account", notify.Failed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGateway(t, tt.faults, tt.env)
			status, rep := g.post(t, seedBody, tt.timeout)
			if status != tt.status || rep.Reason != tt.reason {
				t.Fatalf("reply %d %+v; want %d %s", status, rep, tt.status, tt.reason)
			}
			rec, err := g.Store.Message(context.Background(), rep.MessageId)
			if err != nil {
				t.Fatal(err)
			}
			if rec.Status != tt.record {
				t.Errorf("record status %s, want %s", rec.Status, tt.record)
			}
			if strings.Contains(g.Logs.String()+rep.Message, "pa55-w0rd-x") {
				t.Error("the SMTP password appears in logs or reply")
			}
		})
	}
}

func TestMailSandbox(t *testing.T) {
	t.Parallel()
	g := newGateway(t, smtpd.Faults{}, map[string]string{"NOTIFY_SMTP_URL": ""})
	status, rep := g.post(t, seedBody, 10*time.Second)
	if status != 200 || rep.Code != "OK" || !rep.Sandbox {
		t.Fatalf("reply %d %+v; want a sandboxed OK", status, rep)
	}
	if len(g.smtp.Messages()) != 0 {
		t.Error("the sandbox sent mail")
	}
}

func quotedPrintable(b []byte) io.Reader { return quotedprintable.NewReader(bytes.NewReader(b)) }

// TestSeedReplyFields: the legacy reply's four fields, Code, Message
// ("邮件已发送"), ThreadIdentifier and ThreadName, are all there as
// strings, for a caller that reads or logs each of them.
func TestSeedReplyFields(t *testing.T) {
	t.Parallel()
	g := newGateway(t, smtpd.Faults{}, nil)
	var rep map[string]any
	if status, _ := g.Post(t, "/mail", seedBody, nil, 10*time.Second, &rep); status != 200 {
		t.Fatalf("reply %d %v", status, rep)
	}
	if rep["Code"] != "OK" || rep["Message"] != "邮件已发送" {
		t.Errorf("reply %v; want Code OK, Message 邮件已发送", rep)
	}
	for _, k := range []string{"ThreadIdentifier", "ThreadName"} {
		if s, ok := rep[k].(string); !ok || s == "" {
			t.Errorf("reply %v: %s is %v; want a string", rep, k, rep[k])
		}
	}
}

// TestMailHeaderValuesTooLong: a header value longer than the SMTP client
// takes (900 bytes: 255 emoji in a subject, a display name of 301 Chinese
// characters, a media type of 1000 characters) is refused as the request's
// fault, naming the field as the other refusals do, before a message is
// recorded, rather than failing at the provider.
func TestMailHeaderValuesTooLong(t *testing.T) {
	t.Parallel()
	g := newGateway(t, smtpd.Faults{}, nil)
	tests := []struct {
		name, body, reason, field string
	}{
		{"subject", `{"group_id":"bc-fmb","subject":"` + strings.Repeat("😀", 255) + `","to":["a@example.com"],"body":"b"}`,
			"too_long", "subject"},
		{"display name", `{"group_id":"bc-fmb","subject":"s","to":["a@example.com","` + strings.Repeat("张", 301) + ` <b@example.com>"],"body":"b"}`,
			"invalid_address", "to[1]"},
		{"reply_to", `{"group_id":"bc-fmb","subject":"s","to":["a@example.com"],"reply_to":"` + strings.Repeat("张", 301) + ` <b@example.com>","body":"b"}`,
			"invalid_address", "reply_to"},
		{"media type", `{"group_id":"bc-fmb","subject":"s","to":["a@example.com"],"body":"b","attachments":[{"name":"a.txt","content_type":"application/` +
			strings.Repeat("x", 1000) + `","content":"YQ=="}]}`, "invalid_field", "attachments[0].content_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, rep := g.post(t, tt.body, 10*time.Second)
			if status != 400 || rep.Reason != tt.reason || rep.Field != tt.field || rep.MessageId != "" {
				t.Fatalf("reply %d %+v; want 400 reason %s field %s, no message", status, rep, tt.reason, tt.field)
			}
		})
	}
	// The longest of each the client takes goes through.
	body := `{"group_id":"bc-fmb","subject":"` + strings.Repeat("😀", 225) + `","to":["` + strings.Repeat("张", 290) + ` <b@example.com>"],"body":"b"}`
	if status, rep := g.post(t, body, 10*time.Second); status != 200 {
		t.Fatalf("reply %d %+v; want 200", status, rep)
	}
}
