package smtpmail_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/fake/smtpd"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/smtpmail"
)

const password = "pw-Sup3r/S3cret:@!" // distinctive, with characters that need escaping

// withUser puts user and password into an smtp(s):// URL and adds query.
func withUser(raw, user, pass, query string) string {
	u, err := url.Parse(raw)
	if err != nil {
		panic(err)
	}
	u.User = nil
	if user != "" {
		u.User = url.UserPassword(user, pass)
	}
	u.RawQuery = query
	return u.String()
}

func newClient(t testing.TB, cfg smtpmail.Config) *smtpmail.Client {
	t.Helper()
	c, err := smtpmail.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func simpleEmail() notify.Email {
	return notify.Email{
		ID:      "0001",
		From:    "sender@example.com",
		To:      []string{"alice@example.com"},
		Subject: "hello",
		Text:    "hi",
	}
}

// onlyMessage returns the one message srv got.
func onlyMessage(t *testing.T, srv *smtpd.Server) smtpd.Message {
	t.Helper()
	got := srv.Messages()
	if len(got) != 1 {
		t.Fatalf("server got %d messages, want 1", len(got))
	}
	return got[0]
}

func TestSendMailModes(t *testing.T) {
	tests := []struct {
		name     string
		mode     smtpd.Mode
		user     string // "" runs without AUTH
		query    string
		wantTLS  bool
		wantUser string
	}{
		{"plain", smtpd.Plain, "", "", false, ""},
		{"plain AUTH PLAIN picked", smtpd.Plain, "user", "", false, "user"},
		{"plain AUTH LOGIN asked", smtpd.Plain, "user", "auth=login", false, "user"},
		{"starttls opportunistic by default on loopback", smtpd.StartTLS, "", "", true, ""},
		{"starttls required AUTH PLAIN", smtpd.StartTLS, "user", "starttls=required", true, "user"},
		{"starttls required AUTH LOGIN", smtpd.StartTLS, "user", "starttls=required&auth=LOGIN", true, "user"},
		{"starttls off", smtpd.StartTLS, "", "starttls=off", false, ""},
		{"implicit TLS", smtpd.ImplicitTLS, "", "", true, ""},
		{"implicit TLS AUTH LOGIN", smtpd.ImplicitTLS, "user", "auth=login&helo=client.example.com", true, "user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := smtpd.Config{Mode: tt.mode}
			if tt.user != "" {
				cfg.Username, cfg.Password, cfg.RequireAuth = tt.user, password, true
			}
			srv := smtpd.Start(t, cfg)
			c := newClient(t, smtpmail.Config{
				URL:       notify.Secret(withUser(srv.URL(), tt.user, password, tt.query)),
				TLSConfig: &tls.Config{RootCAs: srv.CertPool()},
			})
			rc, err := c.SendMail(context.Background(), simpleEmail())
			if err != nil {
				t.Fatalf("SendMail: %v", err)
			}
			if rc.ProviderID != "<0001@example.com>" || rc.Code != "250" || !strings.Contains(rc.Message, "queued") {
				t.Errorf("acceptance = %+v, want ProviderID <0001@example.com>, Code 250, the server's reply", rc)
			}
			m := onlyMessage(t, srv)
			if m.TLS != tt.wantTLS || m.User != tt.wantUser {
				t.Errorf("session TLS=%v user=%q, want TLS=%v user=%q", m.TLS, m.User, tt.wantTLS, tt.wantUser)
			}
			if m.From != "sender@example.com" || !slices.Equal(m.To, []string{"alice@example.com"}) {
				t.Errorf("envelope = %s -> %v, want sender@example.com -> [alice@example.com]", m.From, m.To)
			}
		})
	}
}

// TestSendMailUTF8Addresses: an address that is not ASCII goes to a
// server that offers SMTPUTF8, and is refused, with nothing sent, by one
// that does not, which would refuse or garble it.
func TestSendMailUTF8Addresses(t *testing.T) {
	for _, utf8 := range []bool{false, true} {
		srv := smtpd.Start(t, smtpd.Config{SMTPUTF8: utf8})
		c := newClient(t, smtpmail.Config{URL: notify.Secret(srv.URL())})
		e := simpleEmail()
		e.To = []string{"用户@例子.com", "alice@example.com"}
		_, err := c.SendMail(context.Background(), e)
		switch got := srv.Messages(); {
		case utf8 && (err != nil || len(got) != 1 || !slices.Equal(got[0].To, []string{"用户@例子.com", "alice@example.com"})):
			t.Errorf("with SMTPUTF8: %v, %+v; want it sent to both", err, got)
		case !utf8 && (notify.KindOf(err) != notify.Rejected || len(got) != 0):
			t.Errorf("without SMTPUTF8: %v (%v), %d messages; want Rejected and none sent", err, notify.KindOf(err), len(got))
		}
	}
}

func TestSendMailDefaultSender(t *testing.T) {
	srv := smtpd.Start(t, smtpd.Config{})
	c := newClient(t, smtpmail.Config{URL: notify.Secret(srv.URL()), From: "Notify <notify@example.org>"})
	e := simpleEmail()
	e.From, e.ID = "", ""
	rc, err := c.SendMail(context.Background(), e)
	if err != nil {
		t.Fatalf("SendMail: %v", err)
	}
	m := onlyMessage(t, srv)
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatal(err)
	}
	if m.From != "notify@example.org" || msg.Header.Get("From") != `"Notify" <notify@example.org>` {
		t.Errorf("sender: envelope %q, header %q; want notify@example.org and \"Notify\" <notify@example.org>", m.From, msg.Header.Get("From"))
	}
	// Without an Email.ID, the Message-ID is a fresh notify.NewID.
	if got := msg.Header.Get("Message-ID"); got != rc.ProviderID || !strings.HasSuffix(got, "@example.org>") || len(got) != len("<@example.org>")+32 {
		t.Errorf("Message-ID %q, acceptance %q; want the same <32 hex digits@example.org>", got, rc.ProviderID)
	}
}

func TestSendMailMIME(t *testing.T) {
	pdf := make([]byte, 3000)
	for i := range pdf {
		pdf[i] = byte(i * 7)
	}
	e := notify.Email{
		ID:      "0123456789abcdef",
		From:    "Ünïcode Sender <sender@example.com>",
		To:      []string{"Alice <alice@example.com>", "bob@example.org"},
		Cc:      []string{"carol@example.net"},
		Bcc:     []string{"dave@example.com", "ALICE@example.com"},
		ReplyTo: "replies@example.com",
		Subject: "Relatório mensal — 月报 ✓",
		Text:    "Olá,\nsegue o relatório.\n.\nFim\n",
		HTML:    "<p>Olá, segue o <b>relatório</b>.</p>",
		Attachments: []notify.Attachment{
			{Name: "report.pdf", ContentType: "application/pdf", Data: pdf},
			{Name: "notes.txt", ContentType: "text/plain", Data: []byte("línea 1\r\nlínea 2\r\n")},
			{Name: "résumé.bin", Data: []byte{0, 1, 2, '\r', '\n', '.', 0xff}},
		},
	}
	srv := smtpd.Start(t, smtpd.Config{})
	c := newClient(t, smtpmail.Config{URL: notify.Secret(srv.URL())})
	before := time.Now().Truncate(time.Second)
	rc, err := c.SendMail(context.Background(), e)
	if err != nil {
		t.Fatalf("SendMail: %v", err)
	}
	after := time.Now()
	m := onlyMessage(t, srv)

	t.Run("envelope", func(t *testing.T) {
		want := []string{"alice@example.com", "bob@example.org", "carol@example.net", "dave@example.com"}
		if m.From != "sender@example.com" || !slices.Equal(m.To, want) {
			t.Errorf("envelope = %s -> %v, want sender@example.com -> %v", m.From, m.To, want)
		}
	})
	raw := string(m.Data)
	head, _, _ := strings.Cut(raw, "\r\n\r\n")
	t.Run("headers on the wire", func(t *testing.T) {
		for i := 0; i < len(head); i++ {
			if head[i] >= 0x80 {
				t.Fatalf("8-bit byte in the header section at %d: %q", i, head)
			}
		}
		// A Bcc header line, not "bcc" anywhere: the random MIME boundary
		// is hex, and holds "bcc" about once in seventy runs.
		bccHeader := slices.ContainsFunc(strings.Split(head, "\r\n"), func(line string) bool {
			return strings.HasPrefix(strings.ToLower(line), "bcc:")
		})
		if strings.Contains(strings.ToLower(raw), "dave@") || bccHeader {
			t.Errorf("the Bcc recipient or a Bcc header is in the message:\n%s", head)
		}
		subject, err := mail.ReadMessage(strings.NewReader(raw)) // net/mail leaves encoded-words alone
		if err != nil || !strings.HasPrefix(subject.Header.Get("Subject"), "=?UTF-8?q?") {
			t.Errorf("Subject is not an encoded-word on the wire (%v):\n%s", err, head)
		}
		if !strings.Contains(head, "Message-ID: <0123456789abcdef@example.com>\r\n") {
			t.Errorf("no Message-ID line for <0123456789abcdef@example.com>:\n%s", head)
		}
	})

	msg, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatalf("read message: %v", err)
	}
	t.Run("headers", func(t *testing.T) {
		keys := make([]string, 0, len(msg.Header))
		for k, v := range msg.Header {
			keys = append(keys, k)
			if len(v) != 1 {
				t.Errorf("header %s appears %d times", k, len(v))
			}
		}
		slices.Sort(keys)
		want := []string{"Cc", "Content-Type", "Date", "From", "Message-Id", "Mime-Version", "Reply-To", "Subject", "To"}
		if !slices.Equal(keys, want) {
			t.Errorf("header keys = %v, want %v", keys, want)
		}
		var dec mime.WordDecoder
		if got, err := dec.DecodeHeader(msg.Header.Get("Subject")); err != nil || got != e.Subject {
			t.Errorf("Subject decodes to %q (%v), want %q", got, err, e.Subject)
		}
		if from, err := mail.ParseAddress(msg.Header.Get("From")); err != nil || from.Name != "Ünïcode Sender" || from.Address != "sender@example.com" {
			t.Errorf("From = %q -> %+v (%v), want Ünïcode Sender <sender@example.com>", msg.Header.Get("From"), from, err)
		}
		checkList := func(key string, want ...string) {
			t.Helper()
			list, err := msg.Header.AddressList(key)
			if err != nil {
				t.Errorf("%s: %v", key, err)
				return
			}
			var got []string
			for _, a := range list {
				got = append(got, a.String())
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s = %q, want %q", key, got, want)
			}
		}
		checkList("To", `"Alice" <alice@example.com>`, "<bob@example.org>")
		checkList("Cc", "<carol@example.net>")
		checkList("Reply-To", "<replies@example.com>")
		if got := msg.Header.Get("Message-Id"); got != rc.ProviderID || got != "<0123456789abcdef@example.com>" {
			t.Errorf("Message-ID = %q, acceptance %q, want <0123456789abcdef@example.com>", got, rc.ProviderID)
		}
		if d, err := msg.Header.Date(); err != nil || d.Before(before) || d.After(after) {
			t.Errorf("Date = %v (%v), want between %v and %v", d, err, before, after)
		}
		if got := msg.Header.Get("Mime-Version"); got != "1.0" {
			t.Errorf("MIME-Version = %q, want 1.0", got)
		}
	})

	t.Run("body", func(t *testing.T) {
		parts := readParts(t, msg.Header.Get("Content-Type"), msg.Body)
		want := []part{
			{"text/plain", "", strings.ReplaceAll(e.Text, "\n", "\r\n")},
			{"text/html", "", e.HTML},
			{"application/pdf", "report.pdf", string(pdf)},
			{"text/plain", "notes.txt", string(e.Attachments[1].Data)},
			{"application/octet-stream", "résumé.bin", string(e.Attachments[2].Data)},
		}
		if len(parts) != len(want) {
			t.Fatalf("got %d parts %+v, want %d", len(parts), parts, len(want))
		}
		for i := range want {
			if parts[i] != want[i] {
				t.Errorf("part %d = %+q, want %+q", i, parts[i], want[i])
			}
		}
	})
}

// part is a leaf of a MIME tree: its media type, file name and decoded body.
type part struct {
	mediaType, filename, body string
}

// readParts walks a MIME body depth first, undoing the transfer encodings,
// and checks that multipart/mixed holds multipart/alternative first.
func readParts(t *testing.T, contentType string, body io.Reader) []part {
	t.Helper()
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		t.Fatalf("content type %q: %v", contentType, err)
	}
	if !strings.HasPrefix(mt, "multipart/") {
		t.Fatalf("readParts on %s", mt)
	}
	var out []part
	mr := multipart.NewReader(body, params["boundary"])
	for i := 0; ; i++ {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s part %d: %v", mt, i, err)
		}
		ct := p.Header.Get("Content-Type")
		pmt, pparams, err := mime.ParseMediaType(ct)
		if err != nil {
			t.Fatalf("part %d content type %q: %v", i, ct, err)
		}
		if mt == "multipart/mixed" && i == 0 && pmt != "multipart/alternative" && pmt != "text/plain" && pmt != "text/html" {
			t.Errorf("first part of multipart/mixed is %s, want the body", pmt)
		}
		if strings.HasPrefix(pmt, "multipart/") {
			out = append(out, readParts(t, ct, p)...)
			continue
		}
		if strings.HasPrefix(pmt, "text/") && pparams["name"] == "" && !strings.EqualFold(pparams["charset"], "utf-8") {
			t.Errorf("part %d: %s without charset=UTF-8", i, ct)
		}
		out = append(out, part{pmt, filename(t, p), decode(t, p.Header.Get("Content-Transfer-Encoding"), p)})
	}
	return out
}

// filename is an attachment's decoded file name, checked against the name
// in its Content-Type; "" for a body part.
func filename(t *testing.T, p *multipart.Part) string {
	t.Helper()
	cd := p.Header.Get("Content-Disposition")
	if cd == "" {
		return ""
	}
	disp, params, err := mime.ParseMediaType(cd)
	if err != nil || disp != "attachment" {
		t.Errorf("Content-Disposition %q: %v", cd, err)
	}
	var dec mime.WordDecoder
	name, err := dec.DecodeHeader(params["filename"])
	if err != nil {
		t.Errorf("filename %q: %v", params["filename"], err)
	}
	_, ctParams, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
	if ctName, _ := dec.DecodeHeader(ctParams["name"]); ctName != name {
		t.Errorf("Content-Type name %q, Content-Disposition filename %q", ctName, name)
	}
	return name
}

func decode(t *testing.T, cte string, r io.Reader) string {
	t.Helper()
	switch strings.ToLower(cte) {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	default:
		t.Errorf("Content-Transfer-Encoding %q, want base64 or quoted-printable", cte)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Errorf("decode %s: %v", cte, err)
	}
	return string(b)
}

func TestSendMailSinglePart(t *testing.T) {
	tests := []struct {
		name, text, html string
		wantType, want   string
	}{
		{"text only", "line one\nline two é\n", "", "text/plain", "line one\r\nline two é\r\n"},
		// SMTP ends the DATA of a message that does not end in a line break with one.
		{"html only", "", "<p>só HTML</p>", "text/html", "<p>só HTML</p>\r\n"},
		{"empty", "", "", "text/plain", ""},
	}
	srv := smtpd.Start(t, smtpd.Config{})
	c := newClient(t, smtpmail.Config{URL: notify.Secret(srv.URL())})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.Reset()
			e := simpleEmail()
			e.Text, e.HTML = tt.text, tt.html
			if _, err := c.SendMail(context.Background(), e); err != nil {
				t.Fatalf("SendMail: %v", err)
			}
			msg, err := mail.ReadMessage(bytes.NewReader(onlyMessage(t, srv).Data))
			if err != nil {
				t.Fatal(err)
			}
			mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
			if err != nil || mt != tt.wantType || !strings.EqualFold(params["charset"], "utf-8") {
				t.Errorf("Content-Type = %q, want %s; charset=UTF-8", msg.Header.Get("Content-Type"), tt.wantType)
			}
			if got := decode(t, msg.Header.Get("Content-Transfer-Encoding"), msg.Body); got != tt.want {
				t.Errorf("body = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSendMailSubjectLookingEncoded(t *testing.T) {
	srv := smtpd.Start(t, smtpd.Config{})
	c := newClient(t, smtpmail.Config{URL: notify.Secret(srv.URL())})
	e := simpleEmail()
	e.Subject = "Is 1+1=?2 =?UTF-8?q?=0D=0ABcc:_evil@example.com?= " + strings.Repeat("long ", 20)
	if _, err := c.SendMail(context.Background(), e); err != nil {
		t.Fatalf("SendMail: %v", err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(onlyMessage(t, srv).Data))
	if err != nil {
		t.Fatal(err)
	}
	var dec mime.WordDecoder
	if got, err := dec.DecodeHeader(msg.Header.Get("Subject")); err != nil || got != e.Subject {
		t.Errorf("Subject decodes to %q (%v), want the subject as given %q", got, err, e.Subject)
	}
}

func TestSendMailRefusesHeaderInjection(t *testing.T) {
	tests := []struct {
		name      string
		edit      func(*notify.Email)
		wantField string
	}{
		{"subject LF", func(e *notify.Email) { e.Subject = "hi\nBcc: evil@example.com" }, "subject"},
		{"subject CR", func(e *notify.Email) { e.Subject = "hi\rBcc: evil@example.com" }, "subject"},
		{"subject CRLF CRLF", func(e *notify.Email) { e.Subject = "hi\r\n\r\nbody" }, "subject"},
		{"subject NUL", func(e *notify.Email) { e.Subject = "hi\x00" }, "subject"},
		{"subject not UTF-8", func(e *notify.Email) { e.Subject = "hi \xff" }, "subject"},
		{"subject too long", func(e *notify.Email) { e.Subject = strings.Repeat("x", 901) }, "subject"},
		{"from name", func(e *notify.Email) { e.From = "Evil\r\nBcc: x@example.com <sender@example.com>" }, "from"},
		{"from encoded name", func(e *notify.Email) { e.From = "=?UTF-8?q?Evil=0D=0ABcc:_x@example.com?= <sender@example.com>" }, "from"},
		{"from quoted encoded-word", func(e *notify.Email) { e.From = `"=?UTF-8?q?Bob?=" <sender@example.com>` }, "from"},
		{"to address", func(e *notify.Email) { e.To = []string{"ok@example.com", "alice@example.com\r\nBcc: x@example.com"} }, "to"},
		{"cc name", func(e *notify.Email) { e.Cc = []string{"Carol\n <carol@example.com>"} }, "cc"},
		{"bcc", func(e *notify.Email) { e.Bcc = []string{"dave@example.com\n"} }, "bcc"},
		{"reply-to", func(e *notify.Email) { e.ReplyTo = "r@example.com\r\nX-Evil: 1" }, "reply_to"},
		{"attachment name", func(e *notify.Email) {
			e.Attachments = []notify.Attachment{{Name: "a.txt\r\nX-Evil: 1", Data: []byte("x")}}
		}, "attachments"},
		{"attachment type", func(e *notify.Email) {
			e.Attachments = []notify.Attachment{{Name: "a.txt", ContentType: "text/plain\r\nX-Evil: 1", Data: []byte("x")}}
		}, "attachments"},
		{"attachment bad type", func(e *notify.Email) {
			e.Attachments = []notify.Attachment{{Name: "a.txt", ContentType: "text/", Data: []byte("x")}}
		}, "attachments"},
		{"attachment type with a parameter", func(e *notify.Email) {
			e.Attachments = []notify.Attachment{{Name: "a.txt", ContentType: "text/plain; name=evil.exe", Data: []byte("x")}}
		}, "attachments"},
		{"attachment no name", func(e *notify.Email) { e.Attachments = []notify.Attachment{{Data: []byte("x")}} }, "attachments"},
		{"no recipient", func(e *notify.Email) { e.To = nil }, "to"},
		{"bad address", func(e *notify.Email) { e.To = []string{"not an address"} }, "to"},
		{"local part too long", func(e *notify.Email) { e.To = []string{strings.Repeat("a", 65) + "@example.com"} }, "to"},
		{"no sender", func(e *notify.Email) { e.From = "" }, "from"},
		{"bad id", func(e *notify.Email) { e.ID = "a>b" }, "id"},
	}
	srv := smtpd.Start(t, smtpd.Config{})
	c := newClient(t, smtpmail.Config{URL: notify.Secret(srv.URL())})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := simpleEmail()
			tt.edit(&e)
			_, err := c.SendMail(context.Background(), e)
			ne := notify.AsError(err)
			if err == nil || ne.Kind != notify.Invalid || ne.Field != tt.wantField {
				t.Errorf("SendMail: %v (kind %v, field %q), want Invalid naming %q", err, ne.Kind, ne.Field, tt.wantField)
			}
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("server got %d messages, want none", n)
			}
		})
	}
}

// closedAddr is a loopback address nobody listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestSendMailErrors(t *testing.T) {
	hour := time.Hour
	tests := []struct {
		name     string
		server   smtpd.Config
		user     string // AUTH as user with password
		query    string
		noTrust  bool // the client does not trust the test certificate
		wantKind notify.Kind
		wantCode string
		recorded bool // the server has the message all the same
	}{
		{"wrong password", smtpd.Config{Username: "user", Password: "other", RequireAuth: true}, "user", "", false,
			notify.Account, "535 5.7.8", false},
		{"AUTH rejected", smtpd.Config{Username: "user", Password: password, Faults: smtpd.Faults{RejectAuth: true}}, "user", "auth=login", false,
			notify.Account, "535 5.7.8", false},
		{"auth required, none given", smtpd.Config{Username: "user", Password: password, RequireAuth: true}, "", "", false,
			notify.Account, "530 5.7.0", false},
		{"server offers no AUTH", smtpd.Config{}, "user", "", false, notify.Account, "", false},
		{"recipient refused", smtpd.Config{Faults: smtpd.Faults{RejectRcpt: []string{"bob@example.com"}}}, "", "", false,
			notify.Rejected, "550 5.1.1", false},
		{"temporary failure", smtpd.Config{Faults: smtpd.Faults{TempFail: true}}, "", "", false,
			notify.Transient, "451 4.3.0", false},
		{"dropped during DATA", smtpd.Config{Faults: smtpd.Faults{DropDuringData: true}}, "", "", false,
			notify.Ambiguous, "", false},
		{"dropped after DATA", smtpd.Config{Faults: smtpd.Faults{DropAfterData: true}}, "", "", false,
			notify.Ambiguous, "", true},
		{"STARTTLS required, not offered", smtpd.Config{}, "", "starttls=required", false, notify.Account, "", false},
		{"untrusted certificate", smtpd.Config{Mode: smtpd.StartTLS}, "", "", true, notify.Account, "", false},
		{"untrusted certificate, implicit TLS", smtpd.Config{Mode: smtpd.ImplicitTLS}, "", "", true, notify.Account, "", false},
		{"slow greeting", smtpd.Config{Faults: smtpd.Faults{Delay: smtpd.Delay{Step: smtpd.Greeting, For: hour}}}, "", "", false,
			notify.Transient, "", false},
		{"slow MAIL", smtpd.Config{Faults: smtpd.Faults{Delay: smtpd.Delay{Step: smtpd.Mail, For: hour}}}, "", "", false,
			notify.Transient, "", false},
		{"slow final reply", smtpd.Config{Faults: smtpd.Faults{Delay: smtpd.Delay{Step: smtpd.Data, For: hour}}}, "", "", false,
			notify.Ambiguous, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtpd.Start(t, tt.server)
			cfg := smtpmail.Config{URL: notify.Secret(withUser(srv.URL(), tt.user, password, tt.query)), Timeout: time.Hour}
			if !tt.noTrust {
				cfg.TLSConfig = &tls.Config{RootCAs: srv.CertPool()}
			}
			c := newClient(t, cfg)
			e := simpleEmail()
			e.To = append(e.To, "bob@example.com")
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := c.SendMail(ctx, e)
			elapsed := time.Since(start)
			t.Logf("%v", err)
			ne := notify.AsError(err)
			if err == nil || ne.Kind != tt.wantKind || ne.Code != tt.wantCode {
				t.Fatalf("SendMail: %v (kind %v, code %q), want kind %v, code %q", err, ne.Kind, ne.Code, tt.wantKind, tt.wantCode)
			}
			if tt.wantCode != "" && ne.Message == "" {
				t.Errorf("error has code %s but no server text", ne.Code)
			}
			// A generous bound: the deadline is 200ms, the server would wait an hour.
			if elapsed > 5*time.Second {
				t.Errorf("SendMail took %v, want it to return soon after the 200ms deadline", elapsed)
			}
			if got := len(srv.Messages()); (got == 1) != tt.recorded {
				t.Errorf("server got %d messages, want recorded=%v", got, tt.recorded)
			}
			if strings.Contains(fmt.Sprintf("%v %+v %#v", err, err, ne), password) {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
}

func TestSendMailRecipientErrorNamesAll(t *testing.T) {
	srv := smtpd.Start(t, smtpd.Config{Faults: smtpd.Faults{RejectRcpt: []string{"bob@example.com", "carol@example.com"}}})
	c := newClient(t, smtpmail.Config{URL: notify.Secret(srv.URL())})
	e := simpleEmail()
	e.Cc = []string{"bob@example.com"}
	e.Bcc = []string{"carol@example.com"}
	_, err := c.SendMail(context.Background(), e)
	ne := notify.AsError(err)
	if ne.Kind != notify.Rejected || ne.Code != "550 5.1.1" || ne.Message != "<bob@example.com>: no such user" {
		t.Errorf("error = kind %v, code %q, message %q; want rejected, 550 5.1.1, <bob@example.com>: no such user", ne.Kind, ne.Code, ne.Message)
	}
	for _, want := range []string{"2 of 3 recipients", "<bob@example.com>", "<carol@example.com>"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestSendMailConnectionRefused(t *testing.T) {
	c := newClient(t, smtpmail.Config{URL: notify.Secret("smtp://" + closedAddr(t))})
	_, err := c.SendMail(context.Background(), simpleEmail())
	if k := notify.KindOf(err); k != notify.Transient {
		t.Errorf("SendMail to a closed port: %v (kind %v), want transient", err, k)
	}
}

func TestSendMailDeadlines(t *testing.T) {
	srv := smtpd.Start(t, smtpd.Config{Faults: smtpd.Faults{Delay: smtpd.Delay{Step: smtpd.Rcpt, For: time.Hour}}})
	t.Run("Config.Timeout", func(t *testing.T) {
		c := newClient(t, smtpmail.Config{URL: notify.Secret(srv.URL()), Timeout: 200 * time.Millisecond})
		start := time.Now()
		_, err := c.SendMail(context.Background(), simpleEmail())
		if k := notify.KindOf(err); k != notify.Transient || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("SendMail: %v (kind %v), want transient, deadline exceeded", err, k)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("SendMail took %v with a 200ms timeout", d)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		c := newClient(t, smtpmail.Config{URL: notify.Secret(srv.URL())})
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		_, err := c.SendMail(ctx, simpleEmail())
		if k := notify.KindOf(err); k != notify.Transient || !errors.Is(err, context.Canceled) {
			t.Errorf("SendMail: %v (kind %v), want transient, canceled", err, k)
		}
	})
	t.Run("already expired", func(t *testing.T) {
		c := newClient(t, smtpmail.Config{URL: notify.Secret(srv.URL())})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.SendMail(ctx, simpleEmail())
		if k := notify.KindOf(err); k != notify.Transient {
			t.Errorf("SendMail: %v (kind %v), want transient", err, k)
		}
	})
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("server got %d messages, want none", n)
	}
}

func TestSecretsStayHidden(t *testing.T) {
	srv := smtpd.Start(t, smtpd.Config{Username: "user", Password: "wrong"})
	cfg := smtpmail.Config{URL: notify.Secret(withUser(srv.URL(), "user", password, ""))}
	c := newClient(t, cfg)
	_, err := c.SendMail(context.Background(), simpleEmail())
	if err == nil {
		t.Fatal("SendMail with the wrong password succeeded")
	}
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("config", "cfg", cfg, "endpoint", c.Endpoint(), "err", err)
	shown := map[string]string{
		"error":    fmt.Sprintf("%v %+v", err, err),
		"config":   fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg),
		"client":   fmt.Sprintf("%v %+v %#v", c, c, c),
		"endpoint": fmt.Sprintf("%v %+v %#v", c.Endpoint(), c.Endpoint(), c.Endpoint()),
		"log":      logs.String(),
	}
	for what, s := range shown {
		for _, pw := range []string{password, url.QueryEscape(password), url.PathEscape(password)} {
			if strings.Contains(s, pw) {
				t.Errorf("the password shows in the %s: %s", what, s)
			}
		}
	}
	if got := c.Endpoint().String(); !strings.Contains(got, "user:REDACTED@") {
		t.Errorf("Endpoint().String() = %q, want the user and REDACTED", got)
	}
}

// TestSendMailAttachmentHeaderLines: an attachment's name as long as the
// gateway takes (255 bytes), in Chinese, with a long media type, keeps
// every line of the message within the 998 characters RFC 5322 allows,
// and arrives as it was given.
func TestSendMailAttachmentHeaderLines(t *testing.T) {
	srv := smtpd.Start(t, smtpd.Config{})
	c := newClient(t, smtpmail.Config{URL: notify.Secret(srv.URL())})
	const xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	for _, name := range []string{
		strings.Repeat("报", 83) + ".xlsx",
		strings.Repeat("\U0001F600", 62) + ".xlsx",
		"年" + strings.Repeat("=", 247) + ".xlsx",
	} {
		srv.Reset()
		e := simpleEmail()
		e.Attachments = []notify.Attachment{{Name: name, ContentType: xlsx, Data: []byte("data")}}
		if _, err := c.SendMail(context.Background(), e); err != nil {
			t.Fatalf("SendMail (%d bytes of name): %v", len(name), err)
		}
		m := onlyMessage(t, srv)
		for i, line := range strings.Split(string(m.Data), "\r\n") {
			if len(line) > 998 {
				t.Errorf("%d bytes of name: line %d is %d characters: %.60q…", len(name), i+1, len(line), line)
			}
		}
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		parts := readParts(t, msg.Header.Get("Content-Type"), msg.Body)
		if len(parts) != 2 || parts[1].filename != name || parts[1].mediaType != xlsx || parts[1].body != "data" {
			t.Errorf("parts = %+q; want the body, then %q", parts, name)
		}
	}
}
