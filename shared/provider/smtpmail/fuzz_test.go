package smtpmail_test

import (
	"bytes"
	"context"
	"errors"
	"mime"
	"mime/multipart"
	"net/mail"
	"slices"
	"strings"
	"testing"

	"github.com/seed4ddb146e/notify/shared/fake/smtpd"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/smtpmail"
)

// FuzzSendMailHeaders sends messages whose subject, sender display name and
// attachment name are fuzzed through the real fake server. Each send is
// either refused as Invalid naming the field, with nothing sent, or the
// message received has exactly the expected headers, no injected one, and
// the subject and name as given. Any CR or LF must be refused.
func FuzzSendMailHeaders(f *testing.F) {
	f.Add("hello", "Sender", "a.txt")
	f.Add("Relatório — 月报", "Ünïcode Sénder", "résumé.pdf")
	f.Add("hi\r\nBcc: evil@example.com", "x", "a.txt")
	f.Add("hi", "Evil\r\nBcc: evil@example.com", "a.txt")
	f.Add("hi", "x", "a.txt\r\nContent-Type: text/html")
	f.Add("hi\n\nbody", "x\r", "a\x00.txt")
	f.Add("=?UTF-8?q?=0D=0ABcc:_x@example.com?=", "=?UTF-8?q?=0D=0AX-Evil:_1?=", "=?UTF-8?q?x?=")
	f.Add(`a "quoted" subject, with: colons; and <angles>`, `"Last, First"`, `we"ird/na:me?.txt`)
	f.Add(strings.Repeat("long subject words ", 60), strings.Repeat("n", 100), strings.Repeat("f", 300))
	f.Add("\t tabs\tand  spaces ", " ", ".")

	srv := smtpd.Start(f, smtpd.Config{})
	c, err := smtpmail.New(smtpmail.Config{URL: notify.Secret(srv.URL())})
	if err != nil {
		f.Fatal(err)
	}
	data := []byte("attachment\x00data\r\n.\r\n")
	f.Fuzz(func(t *testing.T, subject, name, filename string) {
		srv.Reset()
		e := notify.Email{
			ID:          "fuzz",
			From:        name + " <sender@example.com>",
			To:          []string{"alice@example.com"},
			Bcc:         []string{"hidden@example.com"},
			Subject:     subject,
			Text:        "body",
			Attachments: []notify.Attachment{{Name: filename, ContentType: "application/octet-stream", Data: data}},
		}
		_, err := c.SendMail(context.Background(), e)
		breaks := func(s string) bool { return strings.ContainsAny(s, "\r\n") }
		if err != nil {
			var ne *notify.Error
			if !errors.As(err, &ne) || ne.Kind != notify.Invalid || !slices.Contains([]string{"subject", "from", "attachments"}, ne.Field) {
				t.Fatalf("SendMail: %v; want Invalid naming subject, from or attachments", err)
			}
			if n := len(srv.Messages()); n != 0 {
				t.Fatalf("refused, yet the server got %d messages", n)
			}
			return
		}
		if breaks(subject) || breaks(name) || breaks(filename) {
			t.Fatalf("SendMail accepted a line break: subject %q, name %q, filename %q", subject, name, filename)
		}
		got := srv.Messages()
		if len(got) != 1 || !slices.Equal(got[0].To, []string{"alice@example.com", "hidden@example.com"}) {
			t.Fatalf("server got %+v, want one message to alice and hidden", got)
		}
		msg, err := mail.ReadMessage(bytes.NewReader(got[0].Data))
		if err != nil {
			t.Fatalf("read message: %v\n%q", err, got[0].Data)
		}
		keys := make([]string, 0, len(msg.Header))
		for k, v := range msg.Header {
			keys = append(keys, k)
			if len(v) != 1 {
				t.Errorf("header %s appears %d times", k, len(v))
			}
		}
		slices.Sort(keys)
		if want := []string{"Content-Type", "Date", "From", "Message-Id", "Mime-Version", "Subject", "To"}; !slices.Equal(keys, want) {
			t.Fatalf("header keys = %v, want %v\n%q", keys, want, got[0].Data)
		}
		var dec mime.WordDecoder
		if s, err := dec.DecodeHeader(msg.Header.Get("Subject")); err != nil || fold(s) != fold(subject) {
			t.Errorf("Subject decodes to %q (%v), want %q", s, err, subject)
		}
		from, err := mail.ParseAddress(msg.Header.Get("From"))
		want, _ := mail.ParseAddress(e.From)
		if err != nil || from.Address != "sender@example.com" || fold(from.Name) != fold(want.Name) {
			t.Errorf("From = %q -> %+v (%v), want name %q", msg.Header.Get("From"), from, err, want.Name)
		}
		if strings.Contains(string(got[0].Data), "hidden@") {
			t.Error("the Bcc recipient shows in the message")
		}
		checkAttachment(t, msg, data)
	})
}

// checkAttachment finds the one attachment of msg and checks its headers
// and data.
func checkAttachment(t *testing.T, msg *mail.Message, want []byte) {
	t.Helper()
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	if _, err := mr.NextPart(); err != nil { // the text body
		t.Fatalf("body part: %v", err)
	}
	p, err := mr.NextRawPart()
	if err != nil {
		t.Fatalf("attachment part: %v", err)
	}
	keys := make([]string, 0, len(p.Header))
	for k := range p.Header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"Content-Disposition", "Content-Transfer-Encoding", "Content-Type"}; !slices.Equal(keys, want) {
		t.Errorf("attachment header keys = %v, want %v", keys, want)
	}
	if got := decode(t, p.Header.Get("Content-Transfer-Encoding"), p); got != string(want) {
		t.Errorf("attachment data = %q, want %q", got, want)
	}
	if _, err := mr.NextPart(); err == nil {
		t.Error("a part after the attachment")
	}
}

// fold collapses runs of white space and trims it, as header folding and
// unfolding may.
func fold(s string) string { return strings.Join(strings.Fields(s), " ") }
