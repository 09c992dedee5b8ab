package notify

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
)

// Address limits (RFC 5321 §4.5.3.1, OWASP input validation).
const (
	MaxAddressLen   = 254
	MaxLocalPartLen = 64
)

// MaxHeaderBytes bounds, in bytes, a header value of a mail: its subject,
// an address with its display name, an attachment's type. The SMTP client
// (smtpmail) takes no more, so that its header lines stay within RFC 5322's
// 998 characters; a longer one is the request's fault, refused before the
// message is recorded.
const MaxHeaderBytes = 900

// CheckAddress validates one e-mail address, bare ("a@example.com") or with a
// display name ("Ann <a@example.com>"), and returns the bare address. It
// refuses CR, LF and NUL anywhere, so that no address can inject a header.
func CheckAddress(s string) (string, error) {
	if strings.ContainsAny(s, "\r\n") {
		return "", errLineBreak
	}
	if strings.ContainsRune(s, 0) {
		return "", errors.New("contains a NUL")
	}
	if len(s) > MaxHeaderBytes {
		return "", fmt.Errorf("is %d bytes with its display name; at most %d", len(s), MaxHeaderBytes)
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "", fmt.Errorf("%q is not an e-mail address", truncate(s, 64))
	}
	if len(a.Address) > MaxAddressLen {
		return "", fmt.Errorf("address is %d characters; at most %d", len(a.Address), MaxAddressLen)
	}
	// The last @ ends the local part: a quoted one may hold an @ of its
	// own ("a@evil.com"@corp.com), which dotAtom then refuses.
	at := strings.LastIndexByte(a.Address, '@')
	if at < 0 { // net/mail takes none without one; a guard all the same
		return "", errors.New("address has no @")
	}
	local, domain := a.Address[:at], a.Address[at+1:]
	if len(local) > MaxLocalPartLen {
		return "", fmt.Errorf("local part is %d characters; at most %d", len(local), MaxLocalPartLen)
	}
	if !dotAtom(local) {
		return "", fmt.Errorf("%q: the local part may hold only letters, digits, dots and !#$%%&'*+-/=?^_{|}~", truncate(a.Address, 64))
	}
	if !strings.Contains(domain, ".") && domain != "localhost" {
		return "", fmt.Errorf("%q has no domain", truncate(a.Address, 64))
	}
	return a.Address, nil
}

// errLineBreak is CheckAddress's error for an address that holds a line
// break, which would start a header of its own.
var errLineBreak = errors.New("contains a line break")

// addressReason is the Reason of an address that CheckAddress refused with
// err: a line break is an attempt at another header.
func addressReason(err error) string {
	if errors.Is(err, errLineBreak) {
		return ReasonHeaderInjection
	}
	return ReasonInvalidAddress
}

// dotAtom reports whether s is an RFC 5322 dot-atom without backquotes: no
// quoted local parts, which some mail systems read differently.
func dotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r >= 0x80:
		case strings.ContainsRune(".!#$%&'*+-/=?^_{|}~", r):
		default:
			return false
		}
	}
	return true
}

// BareMediaType reports whether s is a media type alone, "type/subtype",
// each an RFC 2045 token: no parameters, no spaces, nothing a header could
// take for more than the type (such as a second name for an attachment).
func BareMediaType(s string) bool {
	typ, sub, ok := strings.Cut(s, "/")
	return ok && mimeToken(typ) && mimeToken(sub)
}

// mimeToken reports whether s is an RFC 2045 token: one or more US-ASCII
// characters other than controls, space and tspecials.
func mimeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?=`, c) >= 0 {
			return false
		}
	}
	return true
}
