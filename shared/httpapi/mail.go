package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// mailBody is the legacy API's POST /mail request (docs/legacy.md), in its
// snake_case, with our additions (bcc, html, reply_to, attachments).
type mailBody struct {
	GroupID     json.RawMessage `json:"group_id"`
	Subject     json.RawMessage `json:"subject"`
	To          json.RawMessage `json:"to"`
	Cc          json.RawMessage `json:"cc"`
	Bcc         json.RawMessage `json:"bcc"`
	ReplyTo     json.RawMessage `json:"reply_to"`
	Body        json.RawMessage `json:"body"`
	HTML        json.RawMessage `json:"html"`
	Attachments []struct {
		Name        string        `json:"name"`
		ContentType string        `json:"content_type"`
		Content     base64Content `json:"content"`
	} `json:"attachments"`
}

// base64Content is an attachment's content: base64 in a JSON string,
// whitespace allowed. The usual string, base64 alone, is decoded straight
// from the request body, rather than copied once more as a Go string first:
// that copy is as large as the body.
type base64Content struct {
	data    []byte
	invalid bool // not a JSON string of base64
}

func (c *base64Content) UnmarshalJSON(raw []byte) error {
	if string(raw) == "null" {
		return nil
	}
	text := raw
	if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' && base64Only(raw[1:len(raw)-1]) {
		text = raw[1 : len(raw)-1]
	} else {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			c.invalid = true
			return nil
		}
		text = []byte(strings.Join(strings.Fields(s), ""))
	}
	c.data = make([]byte, base64.StdEncoding.DecodedLen(len(text)))
	n, err := base64.StdEncoding.Decode(c.data, text)
	c.data, c.invalid = c.data[:n], err != nil
	return nil
}

// base64Only reports whether b holds only characters of the standard
// base64 alphabet and its padding.
func base64Only(b []byte) bool {
	for _, c := range b {
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=') {
			return false
		}
	}
	return true
}

// mailReply is the legacy API's success reply. ThreadIdentifier is our
// MessageId and ThreadName the function that took the message, for legacy
// callers that log them.
type mailReply struct {
	Code             string
	Message          string
	MessageId        string
	ThreadIdentifier string
	ThreadName       string
	Sandbox          bool   `json:",omitempty"`
	Warning          string `json:",omitempty"`
}

// MailBodyLimit is the largest POST /mail body for attachments of at most
// maxAttachment decoded bytes: base64 grows them by a third.
func MailBodyLimit(maxAttachment int) int64 {
	return int64(maxAttachment)/3*4 + 8 + MaxBodyBytes
}

// DecodeMail turns a POST /mail body into a MailRequest (credentials
// aside). Address lists may be JSON lists or comma-separated strings, and a
// list item may carry a stray comma, as the legacy API's own example does.
func DecodeMail(body []byte) (notify.MailRequest, error) {
	var b mailBody
	if he := decodeObject(body, &b); he != nil {
		return notify.MailRequest{}, he.err
	}
	var r notify.MailRequest
	err := scalars(field{b.GroupID, "group_id", &r.GroupID}, field{b.Subject, "subject", &r.Subject},
		field{b.ReplyTo, "reply_to", &r.ReplyTo}, field{b.Body, "body", &r.Text}, field{b.HTML, "html", &r.HTML})
	if err != nil {
		return r, err
	}
	for _, f := range []struct {
		raw   json.RawMessage
		name  string
		value *[]string
	}{{b.To, "to", &r.To}, {b.Cc, "cc", &r.Cc}, {b.Bcc, "bcc", &r.Bcc}} {
		if *f.value, err = addressList(f.raw, f.name); err != nil {
			return r, err
		}
	}
	for i, a := range b.Attachments {
		if a.Content.invalid {
			return r, notify.Invalidf(fmt.Sprintf("attachments[%d].content", i), notify.ReasonInvalidBase64, "is not base64")
		}
		r.Attachments = append(r.Attachments, notify.Attachment{Name: a.Name, ContentType: a.ContentType, Data: a.Content.data})
	}
	return r, nil
}

// addressList decodes a list of addresses, or one string of them separated
// by commas. A string, or a list's item, is split at its commas outside a
// quoted display name, a comment and <>: "\"Doe, J\" <j@x.com>, k@x.com" is
// two addresses, and an item's stray comma is dropped.
func addressList(raw json.RawMessage, field string) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	items := []string{}
	if len(raw) > 0 && raw[0] == '[' {
		var err error
		if items, err = scalarList(raw, field); err != nil {
			return nil, err
		}
	} else {
		s, err := scalar(raw, field)
		if err != nil {
			return nil, err
		}
		items = append(items, s)
	}
	var out []string
	for _, it := range items {
		for _, p := range splitAddresses(it) {
			if p = strings.Trim(p, " \t,，"); p != "" {
				out = append(out, p)
			}
		}
	}
	return out, nil
}

// splitAddresses splits s at its commas (ASCII or full-width) outside
// double quotes (where \ escapes), outside comments (parentheses, which
// nest, where \ escapes too) and outside <>: "Ann (Sales, East)
// <a@x.com>" is one address, as CheckAddress reads it.
func splitAddresses(s string) []string {
	var parts []string
	quoted, escaped, angle, comment, start := false, false, 0, 0, 0
	for i, r := range s {
		switch {
		case escaped:
			escaped = false
		case (quoted || comment > 0) && r == '\\':
			escaped = true
		case comment == 0 && r == '"':
			quoted = !quoted
		case quoted:
		case r == '(':
			comment++
		case r == ')' && comment > 0:
			comment--
		case comment > 0:
		case r == '<':
			angle++
		case r == '>' && angle > 0:
			angle--
		case angle == 0 && (r == ',' || r == '，'):
			parts = append(parts, s[start:i])
			start = i + utf8.RuneLen(r)
		}
	}
	return append(parts, s[start:])
}

// Mail returns the mail function's handler: POST /mail, taking bodies with
// attachments of up to maxAttachment decoded bytes.
func Mail(svc *notify.Service, maxAttachment int, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	// A stranger's attachments are never decoded: the group is read, and
	// authorized, first (authorizeFirst).
	sendMail := &endpoint{svc: svc, channel: notify.Mail, log: logOrDiscard(log), limit: MailBodyLimit(maxAttachment),
		authorizeFirst: true,
		send: func(r *http.Request, body []byte) (notify.Sent, error) {
			req, err := DecodeMail(body)
			if err != nil {
				return notify.Sent{}, err
			}
			req.Key = bearerKey(r)
			return svc.SendMail(r.Context(), req)
		},
		reply: func(s notify.Sent) any {
			msg := "邮件已发送" // the legacy API's "mail sent"
			if s.Sandbox {
				msg = "OK (sandbox: not sent)"
			}
			return mailReply{Code: "OK", Message: msg, MessageId: s.MessageID, ThreadIdentifier: s.MessageID, ThreadName: "mail", Sandbox: s.Sandbox, Warning: warning(s)}
		},
	}
	mux.Handle("/mail", gated{gate: newGate(largeBodyBudget, largeBodyWait), e: sendMail})
	mux.Handle("/mail/status", &statusEndpoint{svc: svc, channel: notify.Mail, log: logOrDiscard(log),
		providerIDField: "ProviderId", recipientField: "To"})
	openAPIRoute(mux, logOrDiscard(log))
	notFound := NotFound(logOrDiscard(log), "POST /mail, GET /mail/status, GET "+OpenAPIPath)
	mux.HandleFunc("/", notFound)
	return CleanPaths(mux, notFound)
}
