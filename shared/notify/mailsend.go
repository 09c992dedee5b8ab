package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Limits of a mail request.
const (
	MaxMailRecipients = 100 // to, cc and bcc together: what most SMTP servers take
	MaxSubjectLen     = 255 // characters
	MaxAttachments    = 20
)

// MailRequest is a decoded POST /mail: the legacy API's snake_case fields
// (docs/legacy.md), with their names as the caller spelled them in Field of
// any error.
type MailRequest struct {
	Credentials
	Subject     string
	To, Cc, Bcc []string
	ReplyTo     string
	Text        string // the legacy API's body
	HTML        string
	Attachments []Attachment
}

// SendMail authorizes, validates, records and sends r.
func (s *Service) SendMail(ctx context.Context, r MailRequest) (Sent, error) {
	g, err := s.d.Groups.Authorize(r.Credentials, Request{Channel: Mail})
	if err != nil {
		return Sent{}, err
	}
	e, err := r.validate(g, s.d.MaxAttachmentBytes)
	if err != nil {
		return Sent{}, err
	}
	e.From = g.MailFrom
	if e.From == "" {
		e.From = s.d.MailFrom
	}
	summary, _ := json.Marshal(map[string]any{"subject": e.Subject, "attachments": len(e.Attachments)})
	m := &Message{GroupID: r.GroupID, Channel: Mail, Recipients: mailboxes(e), Params: string(summary)}
	return s.send(ctx, m, plan{provider: s.d.MailProvider, deliver: via(s.d.MailProvider, func(ctx context.Context) (Acceptance, error) {
		e.ID = m.ID
		return s.d.Mail.SendMail(ctx, e)
	})})

}

func (r *MailRequest) validate(g *Group, maxAttach int) (Email, error) {
	e := Email{Subject: r.Subject, Text: r.Text, HTML: r.HTML}
	var err error
	if len(r.To) == 0 {
		return e, Invalidf("to", ReasonMissingField, "needs at least one address")
	}
	if n := len(r.To) + len(r.Cc) + len(r.Bcc); n > MaxMailRecipients {
		return e, Invalidf("to", ReasonTooMany, "to, cc and bcc hold %d addresses; at most %d", n, MaxMailRecipients)
	}
	for _, l := range []struct {
		field string
		in    []string
		out   *[]string
	}{{"to", r.To, &e.To}, {"cc", r.Cc, &e.Cc}, {"bcc", r.Bcc, &e.Bcc}} {
		if *l.out, err = checkRecipients(l.field, l.in, g.MailDomains); err != nil {
			return e, err
		}
	}
	if r.ReplyTo != "" {
		if _, err := CheckAddress(r.ReplyTo); err != nil {
			return e, Invalidf("reply_to", addressReason(err), "%v", err)
		}
		e.ReplyTo = r.ReplyTo
	}
	switch {
	case strings.TrimSpace(e.Subject) == "":
		return e, Invalidf("subject", ReasonMissingField, "is required")
	case strings.ContainsAny(e.Subject, "\r\n"):
		return e, Invalidf("subject", ReasonHeaderInjection, "must not contain a line break")
	case !utf8.ValidString(e.Subject) || hasControl(e.Subject):
		return e, Invalidf("subject", ReasonInvalidField, "must be printable UTF-8")
	case utf8.RuneCountInString(e.Subject) > MaxSubjectLen:
		return e, Invalidf("subject", ReasonTooLong, "is %d characters; at most %d", utf8.RuneCountInString(e.Subject), MaxSubjectLen)
	case len(e.Subject) > MaxHeaderBytes:
		return e, Invalidf("subject", ReasonTooLong, "is %d bytes; at most %d", len(e.Subject), MaxHeaderBytes)
	}
	if strings.TrimSpace(e.Text) == "" && strings.TrimSpace(e.HTML) == "" {
		return e, Invalidf("body", ReasonMissingField, "is required (or html)")
	}
	if !utf8.ValidString(e.Text) || !utf8.ValidString(e.HTML) {
		return e, Invalidf("body", ReasonInvalidField, "must be UTF-8")
	}
	if e.Attachments, err = checkAttachments(r.Attachments, maxAttach); err != nil {
		return e, err
	}
	return e, nil
}

// checkRecipients validates the addresses of one list and keeps the group
// to its domains. The list stays as the caller wrote it: it is what the
// message's header shows (the provider sends each address once).
func checkRecipients(field string, in, domains []string) ([]string, error) {
	out := make([]string, 0, len(in))
	for i, a := range in {
		at := fmt.Sprintf("%s[%d]", field, i)
		addr, err := CheckAddress(a)
		if err != nil {
			return nil, Invalidf(at, addressReason(err), "%v", err)
		}
		if !domainAllowed(addr, domains) {
			return nil, &Error{Op: "authorize", Kind: Forbidden, Field: at, Reason: ReasonDomainNotAllowed,
				Err: fmt.Errorf("this group may not mail %s", addr[strings.LastIndexByte(addr, '@')+1:])}
		}
		out = append(out, a)
	}
	return out, nil
}

// mailboxes are the addresses e goes to, each once, whatever lists and
// case it appears in: the message's recipients, as its record keeps them.
func mailboxes(e Email) []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range slices.Concat(e.To, e.Cc, e.Bcc) {
		addr, _ := CheckAddress(a) // checked by validate
		if k := strings.ToLower(addr); !seen[k] {
			seen[k] = true
			out = append(out, addr)
		}
	}
	return out
}

// domainAllowed reports whether addr is in one of domains or below one;
// no domains allows any.
func domainAllowed(addr string, domains []string) bool {
	if len(domains) == 0 {
		return true
	}
	d := strings.ToLower(addr[strings.LastIndexByte(addr, '@')+1:])
	for _, want := range domains {
		if d == want || strings.HasSuffix(d, "."+want) {
			return true
		}
	}
	return false
}

func checkAttachments(in []Attachment, max int) ([]Attachment, error) {
	if len(in) > MaxAttachments {
		return nil, Invalidf("attachments", ReasonTooMany, "has %d files; at most %d", len(in), MaxAttachments)
	}
	total := 0
	for i, a := range in {
		at := fmt.Sprintf("attachments[%d]", i)
		switch {
		case strings.TrimSpace(a.Name) == "":
			return nil, Invalidf(at+".name", ReasonMissingField, "is required")
		case strings.ContainsAny(a.Name, "\r\n"):
			return nil, Invalidf(at+".name", ReasonHeaderInjection, "must not contain a line break")
		case strings.ContainsAny(a.Name, "\"\\/") || hasControl(a.Name) || !utf8.ValidString(a.Name):
			return nil, Invalidf(at+".name", ReasonInvalidField, "must be a file name without line breaks, quotes or slashes")
		case len(a.Name) > 255:
			return nil, Invalidf(at+".name", ReasonTooLong, "is over 255 bytes")
		}
		if a.ContentType != "" {
			if strings.ContainsAny(a.ContentType, "\r\n") {
				return nil, Invalidf(at+".content_type", ReasonHeaderInjection, "must not contain a line break")
			}
			if !BareMediaType(a.ContentType) || len(a.ContentType) > MaxHeaderBytes {
				return nil, Invalidf(at+".content_type", ReasonInvalidField, "must be a media type alone, such as application/pdf, without parameters, of at most %d bytes", MaxHeaderBytes)
			}
		}
		total += len(a.Data)
	}
	if total > max {
		return nil, &Error{Op: "validate", Kind: TooLarge, Field: "attachments", Reason: ReasonAttachmentsTooLarge,
			Err: fmt.Errorf("attachments total %d bytes; at most %d", total, max)}
	}
	return in, nil
}
