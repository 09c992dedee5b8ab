package smtpmail

import (
	"io"
	"mime"
	"strings"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

func TestEncodeWords(t *testing.T) {
	tests := []string{
		"=?",
		"Is 1+1=?2",
		"=?UTF-8?q?=0D=0ABcc:_x@example.com?=",
		strings.Repeat("月", 40) + " =? " + strings.Repeat("a", 100),
		strings.Repeat("é", 21) + "x=?",
		"\U0001F600=?\U0001F600",
	}
	var dec mime.WordDecoder
	for _, s := range tests {
		enc := encodeWords(s)
		for _, line := range strings.Split(enc, "\r\n") {
			w := strings.TrimPrefix(line, " ")
			if len(w) > 75 || !strings.HasPrefix(w, "=?UTF-8?b?") || !strings.HasSuffix(w, "?=") {
				t.Errorf("encodeWords(%q): word %q is not one encoded-word of at most 75 characters", s, w)
			}
		}
		if got, err := dec.DecodeHeader(strings.ReplaceAll(enc, "\r\n", "")); err != nil || got != s {
			t.Errorf("encodeWords(%q) = %q, decodes to %q (%v)", s, enc, got, err)
		}
	}
}

func TestMessageIDDomain(t *testing.T) {
	tests := []struct{ addr, want string }{
		{"a@Example.COM", "example.com"},
		{"a@mail.example.co.uk", "mail.example.co.uk"},
		{"notify@localhost", "notify.local"},
		{"a@bücher.example", "notify.local"},
	}
	for _, tt := range tests {
		if got := messageIDDomain(tt.addr); got != tt.want {
			t.Errorf("messageIDDomain(%q) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

// BenchmarkCompose measures composing and rendering a message, without the
// network or a server: our share of BenchmarkSendMail.
func BenchmarkCompose(b *testing.B) {
	c, err := New(Config{URL: "smtp://127.0.0.1:25"})
	if err != nil {
		b.Fatal(err)
	}
	e := notify.Email{
		ID:      "0123456789abcdef0123456789abcdef",
		From:    "Notify <notify@example.com>",
		To:      []string{"Alice <alice@example.com>"},
		Cc:      []string{"ops@example.com"},
		Subject: "Relatório diário — 日报",
		Text:    "Your daily report is ready.\nSee the dashboard for details.\n",
		HTML:    "<p>Your daily report is ready.</p><p>See the <a href=\"https://example.com\">dashboard</a>.</p>",
	}
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		m, _, err := c.compose(e, now)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
