package notify

import "testing"

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
