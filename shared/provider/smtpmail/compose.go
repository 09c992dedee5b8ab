package smtpmail

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"mime"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	gomail "github.com/wneessen/go-mail"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// maxHeaderValue bounds, in bytes, a subject, a display name or an
// attachment's name or type. go-mail folds long values only at spaces, and a
// header line must stay under the 998 bytes RFC 5322 allows.
const maxHeaderValue = notify.MaxHeaderBytes

// defaultContentType is an attachment's type when the Email gives none.
const defaultContentType = "application/octet-stream"

// envelope is what the session tells the server, apart from the message.
type envelope struct {
	from      string   // MAIL FROM: "<addr>"
	rcpts     []string // RCPT TO: "<addr>" for To, Cc and Bcc, each once
	messageID string   // the Message-ID header: "<id@domain>"
	utf8      bool     // an address of the message is not ASCII
}

// compose checks every header value of e and builds the message and its
// envelope. Bcc recipients go into the envelope only: the message never
// names them.
func (c *Client) compose(e notify.Email, now time.Time) (*gomail.Msg, envelope, error) {
	h, err := c.check(e, now)
	if err != nil {
		return nil, envelope{}, err
	}
	env := h.envelope()
	return h.message(e, env, now), env, nil
}

// headers are the addresses and the id of a message, checked.
type headers struct {
	from, replyTo *mail.Address // replyTo may be nil
	to, cc, bcc   []*mail.Address
	id            string
}

// check checks every header value of e: its addresses (the client's sender
// when e names none), its subject, its attachments and its id, which it
// makes when e has none.
func (c *Client) check(e notify.Email, now time.Time) (h headers, err error) {
	h.from = c.from
	if e.From != "" {
		if h.from, err = parseMailbox("from", e.From); err != nil {
			return h, err
		}
	}
	if h.from == nil {
		return h, invalid("from", notify.ReasonMissingField, "no sender: the message names none and the client has no default")
	}
	if h.to, err = parseMailboxes("to", e.To); err != nil {
		return h, err
	}
	if len(h.to) == 0 {
		return h, invalid("to", notify.ReasonMissingField, "at least one recipient is required")
	}
	if h.cc, err = parseMailboxes("cc", e.Cc); err != nil {
		return h, err
	}
	if h.bcc, err = parseMailboxes("bcc", e.Bcc); err != nil {
		return h, err
	}
	if e.ReplyTo != "" {
		if h.replyTo, err = parseMailbox("reply_to", e.ReplyTo); err != nil {
			return h, err
		}
	}
	if err := checkHeaderValue("subject", e.Subject); err != nil {
		return h, err
	}
	for i, a := range e.Attachments {
		if err := checkAttachment(i, a); err != nil {
			return h, err
		}
	}
	h.id = e.ID
	if h.id == "" {
		h.id = notify.NewID(now)
	} else if !validID(h.id) {
		return h, invalid("id", notify.ReasonInvalidField, "message id %q is not a dot-atom of at most 128 characters", h.id)
	}
	return h, nil
}

// envelope returns the session's envelope: every recipient once, Bcc too.
func (h headers) envelope() envelope {
	env := envelope{from: angle(h.from.Address), messageID: "<" + h.id + "@" + messageIDDomain(h.from.Address) + ">"}
	env.rcpts = make([]string, 0, len(h.to)+len(h.cc)+len(h.bcc))
	seen := make(map[string]bool, cap(env.rcpts))
	env.utf8 = !ascii(h.from.Address) || h.replyTo != nil && !ascii(h.replyTo.Address)
	for _, list := range [][]*mail.Address{h.to, h.cc, h.bcc} {
		for _, a := range list {
			env.utf8 = env.utf8 || !ascii(a.Address)
			if k := strings.ToLower(a.Address); !seen[k] {
				seen[k] = true
				env.rcpts = append(env.rcpts, angle(a.Address))
			}
		}
	}
	return env
}

// ascii reports whether s is ASCII alone.
func ascii(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// message builds the message of e, checked as h: its headers, its bodies
// and its attachments.
func (h headers) message(e notify.Email, env envelope, now time.Time) *gomail.Msg {
	m := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	m.FromMailAddress(h.from)
	m.ToMailAddress(h.to...)
	if len(h.cc) > 0 {
		m.CcMailAddress(h.cc...)
	}
	if h.replyTo != nil {
		m.ReplyToMailAddress(h.replyTo)
	}
	if strings.Contains(e.Subject, "=?") {
		// A reader would take it for encoded-words and show something else.
		m.SetGenHeaderPreformatted(gomail.HeaderSubject, encodeWords(e.Subject))
	} else {
		m.Subject(e.Subject) // go-mail Q-encodes it when it is not plain ASCII
	}
	m.SetMessageIDWithValue(env.messageID[1 : len(env.messageID)-1])
	m.SetDateWithValue(now)
	switch {
	case e.Text != "" && e.HTML != "":
		m.SetBodyString(gomail.TypeTextPlain, e.Text)
		m.AddAlternativeString(gomail.TypeTextHTML, e.HTML)
	case e.HTML != "":
		m.SetBodyString(gomail.TypeTextHTML, e.HTML)
	default:
		m.SetBodyString(gomail.TypeTextPlain, e.Text)
	}
	for _, a := range e.Attachments {
		ct := a.ContentType
		if ct == "" {
			ct = defaultContentType
		}
		m.AttachReadSeeker(a.Name, bytes.NewReader(a.Data), attachmentHeaders(a.Name, ct))
	}
	return m
}

// attachmentHeaders sets an attachment's Content-Type and
// Content-Disposition as go-mail would (the name sanitized as it does,
// then Q-encoded), but folded: go-mail writes a part's headers unfolded,
// and a name of 255 bytes in Chinese beside a long media type made a line
// of over the 998 characters RFC 5322 allows. The value is folded after
// the type and between the name's encoded-words, at the spaces that
// separate them, so that it unfolds to what go-mail writes.
func attachmentHeaders(name, contentType string) gomail.FileOption {
	enc := mime.QEncoding.Encode("UTF-8", sanitizeFilename(name))
	enc = strings.ReplaceAll(enc, "?= =?", "?=\r\n =?")
	return func(f *gomail.File) {
		f.ContentType = gomail.ContentType(contentType)
		f.Header.Set(gomail.HeaderContentType.String(), contentType+";\r\n name=\""+enc+"\"")
		f.Header.Set(gomail.HeaderContentDisposition.String(), "attachment;\r\n filename=\""+enc+"\"")
	}
}

// sanitizeFilename is go-mail's own: it writes a file name with its
// controls and its " / : < > ? \ | DEL each made a '_'.
func sanitizeFilename(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(`"/:<>?\|`, r) {
			return '_'
		}
		return r
	}, s)
}

func invalid(field, reason, format string, args ...any) *notify.Error {
	return &notify.Error{Op: op, Kind: notify.Invalid, Field: field, Reason: reason, Err: fmt.Errorf(format, args...)}
}

// checkHeaderValue refuses what could end a header line or break the
// message: CR, LF, NUL, bytes that are not UTF-8, and overlong values.
func checkHeaderValue(field, v string) error {
	switch {
	case strings.ContainsAny(v, "\r\n\x00"):
		return invalid(field, notify.ReasonInvalidField, "contains a line break (CR or LF) or NUL")
	case !utf8.ValidString(v):
		return invalid(field, notify.ReasonInvalidField, "is not valid UTF-8")
	case len(v) > maxHeaderValue:
		return invalid(field, notify.ReasonInvalidField, "is %d bytes; at most %d", len(v), maxHeaderValue)
	}
	return nil
}

// parseMailbox checks one "addr" or "Name <addr>" with notify.CheckAddress
// and returns it parsed. The display name is checked after decoding too,
// since net/mail decodes RFC 2047 words, which may hide a line break.
func parseMailbox(field, s string) (*mail.Address, error) {
	if err := checkHeaderValue(field, s); err != nil {
		return nil, err
	}
	if _, err := notify.CheckAddress(s); err != nil {
		return nil, invalid(field, notify.ReasonInvalidField, "%w", err)
	}
	a, err := mail.ParseAddress(s)
	if err != nil { // CheckAddress parsed it already
		return nil, invalid(field, notify.ReasonInvalidField, "%w", err)
	}
	if err := checkHeaderValue(field, a.Name); err != nil {
		return nil, err
	}
	if strings.Contains(a.Name, "=?") {
		// Quoted, it passed net/mail undecoded; written out, a reader would
		// decode it into something else.
		return nil, invalid(field, notify.ReasonInvalidField, "the display name holds an encoded-word (=?)")
	}
	return a, nil
}

func parseMailboxes(field string, list []string) ([]*mail.Address, error) {
	out := make([]*mail.Address, 0, len(list))
	for i, s := range list {
		a, err := parseMailbox(field, s)
		if err != nil {
			e := err.(*notify.Error)
			e.Err = fmt.Errorf("entry %d: %w", i, e.Err)
			return nil, e
		}
		out = append(out, a)
	}
	return out, nil
}

func checkAttachment(i int, a notify.Attachment) error {
	const field = "attachments"
	if a.Name == "" {
		return invalid(field, notify.ReasonMissingField, "attachment %d has no name", i)
	}
	for _, v := range []string{a.Name, a.ContentType} {
		if err := checkHeaderValue(field, v); err != nil {
			e := err.(*notify.Error)
			e.Err = fmt.Errorf("attachment %d: %w", i, e.Err)
			return e
		}
	}
	if a.ContentType != "" && !notify.BareMediaType(a.ContentType) {
		// A parameter would ride into the part's Content-Type header
		// beside the name go-mail writes: "name=evil.exe; name=a.txt".
		return invalid(field, notify.ReasonInvalidField, "attachment %d: the content type must be a media type alone, such as application/pdf", i)
	}
	return nil
}

// angle is addr as SMTP's envelope wants it: "<addr>".
func angle(addr string) string { return (&mail.Address{Address: addr}).String() }

// messageIDDomain is the domain of the sender's address when it is a plain
// ASCII domain name, so that the Message-ID is unique to the sender's
// domain; "notify.local" otherwise.
func messageIDDomain(addr string) string {
	d := strings.ToLower(addr[strings.LastIndexByte(addr, '@')+1:])
	if !strings.Contains(d, ".") || !validID(d) {
		return "notify.local"
	}
	return d
}

// validID reports whether s may stand left of the @ in a Message-ID: a
// dot-atom of letters, digits, '-' and '_', at most 128 characters.
func validID(s string) bool {
	if s == "" || len(s) > 128 || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9', b == '-', b == '_', b == '.':
		default:
			return false
		}
	}
	return true
}

// encodeWords encodes s as RFC 2047 B encoded-words, whatever its
// characters, folded one word a line. mime.WordEncoder leaves plain ASCII
// alone, which is wrong for a value that holds "=?". Each word carries at
// most 42 bytes of s, never splitting a character: 56 characters of base64,
// 68 with its delimiters.
func encodeWords(s string) string {
	const chunk = 42
	var b strings.Builder
	for s != "" {
		n := min(len(s), chunk)
		for n < len(s) && !utf8.RuneStart(s[n]) {
			n--
		}
		if b.Len() > 0 {
			b.WriteString("\r\n ")
		}
		b.WriteString("=?UTF-8?b?")
		b.WriteString(base64.StdEncoding.EncodeToString([]byte(s[:n])))
		b.WriteString("?=")
		s = s[n:]
	}
	return b.String()
}
