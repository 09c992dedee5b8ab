package sandbox

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/seed4ddb146e/notify/shared/notify"
)

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestInboxKeepsLargeMailsSmall: the inbox of a local run keeps its last
// letters for the console, but not a large mail's whole body: a full
// inbox of 1 MB mails (the mail route takes bodies of 13 MB) holds
// about what one letter of MaxLetterText does, each.
func TestInboxKeepsLargeMailsSmall(t *testing.T) {
	in := NewInbox(0)
	p := New(nil).Keeping(in)
	before := heapInUse()
	for i := range DefaultInboxSize {
		// Built afresh for each mail, as each request's body is.
		text := strings.Repeat("验证码 123456 ", (1<<20)/17)
		if _, err := p.SendMail(context.Background(), notify.Email{ID: "m" + string(rune('a'+i%26)),
			To: []string{"someone@example.com"}, Subject: "s", Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	grew := int64(heapInUse()) - int64(before)
	if max := int64(DefaultInboxSize) * (MaxLetterText + 4<<10); grew > max {
		t.Errorf("a full inbox of 1 MB mails holds %d bytes of heap; want at most %d", grew, max)
	}
	ls := in.Letters()
	if len(ls) != DefaultInboxSize {
		t.Fatalf("%d letters; want %d", len(ls), DefaultInboxSize)
	}
	l := ls[0].Text
	if len(l) > MaxLetterText+len("…") || !utf8.ValidString(l) || !strings.HasPrefix(l, "验证码 123456 ") ||
		!strings.HasSuffix(l, "…") {
		t.Errorf("the letter's text is %d bytes (valid UTF-8: %v), ends %q; want the start of the body, cut at %d and marked",
			len(l), utf8.ValidString(l), l[max(0, len(l)-12):], MaxLetterText)
	}
	// A short body is kept whole.
	if _, err := p.SendMail(context.Background(), notify.Email{ID: "short", To: []string{"a@example.com"},
		Subject: "s", Text: "hello"}); err != nil {
		t.Fatal(err)
	}
	if got := in.Letters()[0].Text; got != "hello" {
		t.Errorf("a short body kept as %q; want it whole", got)
	}
}
