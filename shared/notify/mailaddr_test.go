package notify

import (
	"strings"
	"testing"
)

// TestQuotedLocalPartWithAt: a quoted local part holding an @ passed the
// dot-atom check, which read the local part up to the first @ only, so
// that a group kept to corp.com could address "victim@evil.com"@corp.com,
// which a mail system splitting at the first @ reads as evil.com's.
func TestQuotedLocalPartWithAt(t *testing.T) {
	for _, a := range []string{`"victim@evil.com"@corp.com`, `Ann <"victim@evil.com"@corp.com>`, `"a@b"@corp.com`} {
		if got, err := CheckAddress(a); err == nil {
			t.Errorf("CheckAddress(%q) = %q; want it refused: a quoted local part", a, got)
		}
		if _, err := checkRecipients("to", []string{a}, []string{"corp.com"}); err == nil {
			t.Errorf("a group kept to corp.com may mail %q", a)
		}
	}
}

// FuzzCheckAddress: an address CheckAddress takes is bare, holds exactly
// one @, no line break, NUL or quote, and is taken again as itself.
func FuzzCheckAddress(f *testing.F) {
	for _, s := range []string{"a@example.com", "Ann <a@example.com>", `"a@b"@corp.com`, "a@localhost",
		"=?utf-8?q?x?= <a@example.com>", "张三 <zhang@例子.中国>", "a@b@c.com", "<a@example.com>\r\nBcc: x@y.z", "@", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := CheckAddress(s)
		if err != nil {
			return
		}
		if strings.Count(got, "@") != 1 || strings.ContainsAny(got, "\r\n\x00\"<>") {
			t.Fatalf("CheckAddress(%q) = %q", s, got)
		}
		if again, err := CheckAddress(got); err != nil || again != got {
			t.Fatalf("CheckAddress(%q) = %q, which it takes as %q, %v", s, got, again, err)
		}
	})
}
