package smtpmail_test

import (
	"context"
	"testing"

	"github.com/seed4ddb146e/notify/shared/fake/smtpd"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/smtpmail"
)

// BenchmarkSendMail sends a typical notification (UTF-8 subject, text and
// HTML) to the fake server over plain SMTP on loopback: one connection,
// EHLO, MAIL, two RCPT, DATA and QUIT per message. The fake server runs in
// the same process, so allocs/op counts its allocations too.
func BenchmarkSendMail(b *testing.B) {
	srv := smtpd.Start(b, smtpd.Config{})
	c := newClient(b, smtpmail.Config{URL: notify.Secret(srv.URL())})
	e := notify.Email{
		ID:      "0123456789abcdef0123456789abcdef",
		From:    "Notify <notify@example.com>",
		To:      []string{"Alice <alice@example.com>"},
		Cc:      []string{"ops@example.com"},
		Subject: "Relatório diário — 日报",
		Text:    "Your daily report is ready.\nSee the dashboard for details.\n",
		HTML:    "<p>Your daily report is ready.</p><p>See the <a href=\"https://example.com\">dashboard</a>.</p>",
	}
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := c.SendMail(ctx, e); err != nil {
			b.Fatal(err)
		}
		if i%1000 == 999 {
			srv.Reset()
		}
	}
}
