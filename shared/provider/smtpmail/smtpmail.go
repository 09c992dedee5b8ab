// Package smtpmail is the e-mail provider: it hands a notify.Email to a mail
// server over SMTP (RFC 5321), with STARTTLS or implicit TLS and AUTH PLAIN
// or LOGIN, and classifies every failure into a notify Kind.
//
// New checks a Config (the server's URL) and returns a Client, whose
// SendMail composes the message with github.com/wneessen/go-mail and sends
// it step by step with go-mail's smtp package, so that the context bounds
// every step and each failure is judged by the step it happened at. A
// message goes to all its recipients or to none. docs/providers.md (SMTP)
// has why, and the table of how each step's failures are classified.
package smtpmail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/textproto"
	"os"
	"slices"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/smtpmail/smtpurl"
)

// DefaultTimeout bounds a whole session when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Config configures a Client. Zero values mean defaults.
type Config struct {
	// URL names the server and the credentials: see ParseURL. It is a Secret
	// because it may carry the password.
	URL notify.Secret
	// From is the sender of messages that name none: "addr" or "Name <addr>".
	From string
	// TLSConfig verifies the server's certificate; nil uses the system's
	// roots. ServerName defaults to the URL's host.
	TLSConfig *tls.Config
	// Timeout bounds one SendMail from dial to the final reply, within the
	// context's own deadline; zero is DefaultTimeout.
	Timeout time.Duration
}

// Client sends mail through one server. It is safe for concurrent use: each
// SendMail has a connection of its own.
type Client struct {
	ep Endpoint // its Password is empty: see pass
	// pass is kept behind a pointer because fmt prints unexported fields
	// without calling their String method, so a Secret among them would
	// show; a pointer below the top level prints as an address.
	pass    *notify.Secret
	from    *mail.Address // nil: every Email must name its sender
	tls     *tls.Config
	timeout time.Duration
	helo    string
	dialer  net.Dialer
}

var _ notify.Mailer = (*Client)(nil)

// New checks cfg and returns a Client. It does not connect.
func New(cfg Config) (*Client, error) {
	ep, err := ParseURL(cfg.URL.Reveal())
	if err != nil {
		return nil, err
	}
	pass := ep.Password
	ep.Password = ""
	c := &Client{ep: ep, pass: &pass, timeout: cfg.Timeout, helo: ep.HELO}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	} else if c.timeout < 0 {
		return nil, fmt.Errorf("smtpmail: timeout %v is negative", cfg.Timeout)
	}
	if cfg.From != "" {
		if c.from, err = parseMailbox("from", cfg.From); err != nil {
			return nil, fmt.Errorf("smtpmail: default sender: %w", notify.AsError(err).Err)
		}
	}
	if cfg.TLSConfig != nil {
		c.tls = cfg.TLSConfig.Clone()
	} else {
		c.tls = &tls.Config{}
	}
	if c.tls.ServerName == "" {
		c.tls.ServerName = ep.Host
	}
	if c.tls.MinVersion < tls.VersionTLS12 {
		c.tls.MinVersion = tls.VersionTLS12
	}
	if c.helo == "" {
		if c.helo, err = os.Hostname(); err != nil || !smtpurl.ValidHELO(c.helo) {
			c.helo = "localhost"
		}
	}
	return c, nil
}

// Endpoint is the server the client sends to.
func (c *Client) Endpoint() Endpoint {
	ep := c.ep
	ep.Password = *c.pass
	return ep
}

// String names the client by its endpoint, password redacted.
func (c *Client) String() string { return "smtpmail.Client(" + c.Endpoint().String() + ")" }

// SendMail sends e. The acceptance's ProviderID is the Message-ID header sent,
// angle brackets included ("<id@domain>", from e.ID and the sender's domain);
// its Code is "250" and its Message the server's final reply, which often
// names the server's queue id. Errors are *notify.Error values;
// docs/providers.md (SMTP) has their kinds. For a refusal, Code is the server's reply
// code with its enhanced status code ("550 5.1.1") and Message its text.
func (c *Client) SendMail(ctx context.Context, e notify.Email) (notify.Acceptance, error) {
	m, env, err := c.compose(e, time.Now())
	if err != nil {
		return notify.Acceptance{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	reply, err := c.deliver(ctx, m, env)
	if err != nil {
		return notify.Acceptance{}, err
	}
	return notify.Acceptance{ProviderID: env.messageID, Code: "250", Message: reply}, nil
}

// step is how far a session got; it decides what a failure means.
type step int

const (
	stepDial step = iota
	stepTLS
	stepGreeting
	stepHello
	stepStartTLS
	stepAuth
	stepMail
	stepRcpt
	stepData
	stepBody // from the first byte of the message to the final reply
)

var stepNames = [...]string{
	stepDial:     "connect",
	stepTLS:      "TLS handshake",
	stepGreeting: "greeting",
	stepHello:    "EHLO",
	stepStartTLS: "STARTTLS",
	stepAuth:     "AUTH",
	stepMail:     "MAIL FROM",
	stepRcpt:     "RCPT TO",
	stepData:     "DATA",
	stepBody:     "message data",
}

func (s step) String() string { return stepNames[s] }

// deliver runs one SMTP session for m and returns the server's final reply.
func (c *Client) deliver(ctx context.Context, m *gomail.Msg, env envelope) (string, error) {
	raw, err := c.dialer.DialContext(ctx, "tcp", c.ep.Addr())
	if err != nil {
		return "", c.fail(ctx, stepDial, err)
	}
	defer raw.Close()
	// The context's deadline is the connection's, and cancelling the context
	// cuts the connection, whatever go-mail is waiting for.
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		if err := raw.SetDeadline(dl); err != nil {
			return "", c.fail(ctx, stepDial, err)
		}
	}
	conn := raw
	if c.ep.ImplicitTLS {
		tc := tls.Client(raw, c.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			return "", c.fail(ctx, stepTLS, err)
		}
		conn = tc
	}
	sc, err := smtp.NewClient(conn, c.ep.Host)
	if err != nil {
		return "", c.fail(ctx, stepGreeting, err)
	}
	if err := sc.Hello(c.helo); err != nil {
		return "", c.fail(ctx, stepHello, err)
	}
	if err := c.startTLS(sc); err != nil {
		return "", c.fail(ctx, stepStartTLS, err)
	}
	if err := c.auth(sc); err != nil {
		return "", c.fail(ctx, stepAuth, err)
	}
	// An address that is not ASCII goes only to a server that takes UTF-8
	// addresses (SMTPUTF8, RFC 6531), which the MAIL command then asks
	// for; another would refuse it, or garble it.
	if ok, _ := sc.Extension("SMTPUTF8"); env.utf8 && !ok {
		_ = sc.Quit()
		return "", &notify.Error{Op: op, Kind: notify.Rejected, Err: fmt.Errorf(
			"smtpmail: %s does not take e-mail addresses that are not ASCII (it has no SMTPUTF8)", c.ep.Addr())}
	}
	if err := sc.Mail(env.from); err != nil {
		return "", c.fail(ctx, stepMail, err)
	}
	if err := c.rcpt(sc, env.rcpts); err != nil {
		return "", c.fail(ctx, stepRcpt, err)
	}
	w, err := sc.Data()
	if err != nil {
		return "", c.fail(ctx, stepData, err)
	}
	if _, err := m.WriteTo(w); err != nil {
		return "", c.fail(ctx, stepBody, err)
	}
	if err := w.Close(); err != nil {
		return "", c.fail(ctx, stepBody, err)
	}
	var reply string
	if dc, ok := w.(*smtp.DataCloser); ok {
		reply = dc.ServerResponse()
	}
	_ = sc.Quit() // the server has the message: a failed QUIT changes nothing
	return reply, nil
}

// startTLS upgrades the session as the endpoint's policy says.
func (c *Client) startTLS(sc *smtp.Client) error {
	if c.ep.ImplicitTLS || c.ep.StartTLS == StartTLSOff {
		return nil
	}
	if ok, _ := sc.Extension("STARTTLS"); !ok {
		if c.ep.StartTLS == StartTLSRequired {
			return errNoStartTLS
		}
		return nil
	}
	return sc.StartTLS(c.tls)
}

// auth authenticates when the URL has credentials, with the mechanism it
// names or, by default, PLAIN if the server offers it and LOGIN otherwise.
func (c *Client) auth(sc *smtp.Client) error {
	if c.ep.Username == "" {
		return nil
	}
	ok, offered := sc.Extension("AUTH")
	if !ok {
		return errNoAuth
	}
	mech := c.ep.Auth
	if mech == "" {
		mech = AuthLogin
		if hasWord(offered, AuthPlain) {
			mech = AuthPlain
		}
	}
	if !hasWord(offered, mech) {
		return fmt.Errorf("%w: it offers %q, not %s", errNoAuth, offered, mech)
	}
	// ParseURL allows clear text only on loopback; go-mail's own check
	// knows just three spellings of it.
	clear := c.ep.Loopback()
	pass := c.pass.Reveal()
	if mech == AuthPlain {
		return sc.Auth(smtp.PlainAuth("", c.ep.Username, pass, c.ep.Host, clear))
	}
	return sc.Auth(smtp.LoginAuth(c.ep.Username, pass, c.ep.Host, clear))
}

// rcpt gives the server every recipient and reports all it refused: the
// message goes to all of them or to none.
func (c *Client) rcpt(sc *smtp.Client, rcpts []string) error {
	var refused []rcptError
	for _, r := range rcpts {
		if err := sc.Rcpt(r); err != nil {
			var te *textproto.Error
			if !errors.As(err, &te) {
				return err // the connection failed: nothing more to ask
			}
			refused = append(refused, rcptError{rcpt: r, reply: te})
		}
	}
	if len(refused) > 0 {
		return &rcptErrors{refused: refused, total: len(rcpts)}
	}
	return nil
}

var (
	errNoStartTLS = errors.New("the server does not offer STARTTLS and the URL requires it (starttls=required)")
	errNoAuth     = errors.New("the server offers no AUTH mechanism we use (PLAIN, LOGIN)")
)

// hasWord reports whether the space-separated list holds w, in any case.
func hasWord(list, w string) bool {
	return slices.ContainsFunc(strings.Fields(list), func(f string) bool { return strings.EqualFold(f, w) })
}
