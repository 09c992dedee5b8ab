package smtpmail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/wneessen/go-mail/smtp"

	"github.com/seed4ddb146e/notify/shared/notify"
)

const op = "smtpmail.SendMail"

// maxReplyText bounds the server text an error carries.
const maxReplyText = 512

// fail turns what went wrong at step st into a *notify.Error.
func (c *Client) fail(ctx context.Context, st step, err error) error {
	e := &notify.Error{Op: op}
	var re *rcptErrors
	var te *textproto.Error
	switch {
	case errors.As(err, &re):
		first := re.refused[0].reply
		for _, r := range re.refused {
			if r.reply.Code >= 500 {
				first = r.reply
				break
			}
		}
		e.Kind = replyKind(st, first.Code)
		e.Code, e.Message = splitReply(first)
		e.Err = fmt.Errorf("smtpmail: %s refused %d of %d recipients: %s", c.ep.Addr(), len(re.refused), re.total, re)
	case errors.As(err, &te):
		e.Kind = replyKind(st, te.Code)
		e.Code, e.Message = splitReply(te)
		e.Err = fmt.Errorf("smtpmail: %s refused %s", c.ep.Addr(), st)
	default:
		e.Kind = failureKind(st, err)
		if cause := cause(ctx); cause != nil {
			err = fmt.Errorf("%w: %w", cause, err)
		}
		e.Err = fmt.Errorf("smtpmail: %s at %s: %w", st, c.ep.Addr(), err)
	}
	return e
}

// cause says why ctx ended, nil if it has not. The connection's deadline is
// the context's, and it may fire before the context's own timer has run.
func cause(ctx context.Context) error {
	if err := context.Cause(ctx); err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return context.DeadlineExceeded
	}
	return nil
}

// replyKind classifies a reply that refused step st.
func replyKind(st step, code int) notify.Kind {
	switch {
	case code < 400: // a reply the step did not expect
		if st == stepBody {
			return notify.Ambiguous
		}
		return notify.Transient
	case code < 500:
		return notify.Transient
	case code == 530: // authentication required: the URL lacks credentials
		return notify.Account
	case st <= stepAuth: // refusing us rather than a message: an operator must look
		return notify.Account
	}
	return notify.Rejected
}

// failureKind classifies a failure that is not a reply: the network, TLS,
// the deadline, or a refusal on our side.
func failureKind(st step, err error) notify.Kind {
	var cve *tls.CertificateVerificationError
	switch {
	case errors.As(err, &cve),
		errors.Is(err, errNoStartTLS), errors.Is(err, errNoAuth),
		errors.Is(err, smtp.ErrUnencrypted), errors.Is(err, smtp.ErrWrongHostname),
		errors.Is(err, smtp.ErrUnexpectedServerChallange), errors.Is(err, smtp.ErrUnexpectedServerResponse):
		return notify.Account
	case st == stepBody:
		// Some or all of the message left: the server may have it.
		return notify.Ambiguous
	}
	return notify.Transient
}

var enhancedCode = regexp.MustCompile(`^[245]\.\d{1,3}\.\d{1,3}\b`)

// splitReply returns a reply's code, with its enhanced status code when it
// has one ("550 5.1.1"), and its text on one line.
func splitReply(te *textproto.Error) (code, text string) {
	code, text = strconv.Itoa(te.Code), te.Msg
	if ec := enhancedCode.FindString(text); ec != "" {
		code += " " + ec
		text = strings.TrimSpace(text[len(ec):])
	}
	text = strings.ToValidUTF8(strings.ReplaceAll(text, "\n", " "), "?")
	if len(text) > maxReplyText {
		text = strings.ToValidUTF8(text[:maxReplyText], "") + "..."
	}
	return code, text
}

// rcptErrors are the recipients a server refused.
type rcptErrors struct {
	refused []rcptError
	total   int
}

type rcptError struct {
	rcpt  string
	reply *textproto.Error
}

func (r *rcptErrors) Error() string {
	var b strings.Builder
	for i, x := range r.refused {
		if i > 0 {
			b.WriteString(", ")
		}
		code, text := splitReply(x.reply)
		fmt.Fprintf(&b, "%s (%s %s)", x.rcpt, code, text)
	}
	return b.String()
}
