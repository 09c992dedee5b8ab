// Package smtpd is a real SMTP server for tests and local runs: it listens on
// 127.0.0.1, speaks SMTP through github.com/emersion/go-smtp (plain, STARTTLS
// or implicit TLS, with AUTH PLAIN and LOGIN), records every message it
// accepts (envelope and raw DATA), and can misbehave on demand: refuse a
// recipient, refuse everything for now, drop the connection in the middle of
// DATA or after it, hold a reply back, refuse AUTH.
//
// The TLS modes use a self-signed certificate made at start for 127.0.0.1,
// ::1 and localhost; clients trust it through CertPool.
//
//	srv := smtpd.Start(t, smtpd.Config{Mode: smtpd.StartTLS, Username: "u", Password: "p"})
//	// send to srv.Addr(), trusting srv.CertPool() ...
//	got := srv.Messages()
package smtpd

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Mode is how a client reaches the server.
type Mode int

// The modes.
const (
	Plain       Mode = iota // no TLS at all
	StartTLS                // plain at first; STARTTLS offered, AUTH offered only after it
	ImplicitTLS             // TLS from the first byte, as on port 465
)

func (m Mode) String() string {
	switch m {
	case Plain:
		return "plain"
	case StartTLS:
		return "starttls"
	case ImplicitTLS:
		return "implicit-tls"
	}
	return fmt.Sprintf("mode(%d)", int(m))
}

// Step is a point of the session where a reply can be held back.
type Step string

// The steps.
const (
	Greeting Step = "greeting" // the 220 banner (for ImplicitTLS, the TLS handshake too)
	Ehlo     Step = "EHLO"     // the reply to each EHLO that opens a session
	Auth     Step = "AUTH"     // the first reply to AUTH
	Mail     Step = "MAIL"     // the reply to MAIL FROM
	Rcpt     Step = "RCPT"     // the reply to each RCPT TO
	Data     Step = "DATA"     // the final reply, after the message is read and recorded
)

// Delay holds the reply to one step back for a while, or until the server
// closes.
type Delay struct {
	Step Step
	For  time.Duration
}

// Faults are the ways the server misbehaves. The zero value behaves.
type Faults struct {
	// RejectRcpt lists recipients refused with 550 5.1.1 (compared without
	// regard to case).
	RejectRcpt []string
	// TempFail refuses every MAIL FROM with 451 4.3.0.
	TempFail bool
	// DropDuringData closes the connection once the first bytes of the
	// message body have arrived: nothing is recorded.
	DropDuringData bool
	// DropAfterData reads and records the whole message, then closes the
	// connection without the final reply: the client cannot know.
	DropAfterData bool
	// RejectAuth fails every AUTH with 535 5.7.8, even with the right
	// credentials.
	RejectAuth bool
	// Delay holds one reply back.
	Delay Delay
}

// Config describes a server. The zero value is a plain server without AUTH.
type Config struct {
	Mode Mode
	// Username and Password are the only credentials AUTH PLAIN and LOGIN
	// accept. An empty Username offers no AUTH at all.
	Username string
	Password string
	// RequireAuth refuses MAIL FROM with 530 5.7.0 until AUTH succeeded.
	RequireAuth bool
	Faults      Faults
	// Domain is the name in the greeting; "" is "localhost".
	Domain string
	// SMTPUTF8 offers the SMTPUTF8 extension: addresses that are not
	// ASCII (RFC 6531).
	SMTPUTF8 bool
	// Log receives the server's internal errors; nil discards them.
	Log *slog.Logger
	// Debug, when set, receives a trace of every session.
	Debug io.Writer
}

// Message is what the server accepted: the envelope and the raw DATA, with
// the dot-stuffing undone and the final dot removed.
type Message struct {
	From string   // MAIL FROM
	To   []string // RCPT TO, in order
	Data []byte
	TLS  bool   // the session was encrypted
	User string // the user that authenticated, "" if none
}

// Server is a running SMTP server.
type Server struct {
	cfg    Config
	smtp   *smtp.Server
	ln     *listener
	cert   *x509.Certificate
	pool   *x509.CertPool
	done   chan struct{} // closed by Close: held replies give up
	served chan struct{} // closed when Serve returns
	once   sync.Once

	mu       sync.Mutex
	messages []Message
}

// New starts a server on 127.0.0.1 on a free port.
func New(cfg Config) (*Server, error) {
	s := &Server{cfg: cfg, done: make(chan struct{}), served: make(chan struct{})}
	if s.cfg.Domain == "" {
		s.cfg.Domain = "localhost"
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	srv := smtp.NewServer(backend{s})
	srv.Domain = s.cfg.Domain
	srv.ErrorLog = errorLog{log}
	srv.Debug = cfg.Debug
	srv.AllowInsecureAuth = cfg.Mode == Plain
	srv.EnableSMTPUTF8 = cfg.SMTPUTF8
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute

	if cfg.Mode != Plain {
		cert, leaf, err := newCertificate(time.Now())
		if err != nil {
			return nil, fmt.Errorf("smtpd: make test certificate: %w", err)
		}
		s.cert = leaf
		s.pool = x509.NewCertPool()
		s.pool.AddCert(leaf)
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}

	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("smtpd: listen on 127.0.0.1: %w", err)
	}
	s.ln = &listener{Listener: tcp, srv: s, conns: make(map[*conn]struct{})}
	var ln net.Listener = s.ln
	if cfg.Mode == ImplicitTLS {
		ln = tls.NewListener(s.ln, srv.TLSConfig)
	}
	s.smtp = srv
	go func() {
		defer close(s.served)
		_ = srv.Serve(ln) // it returns when Close closes the listener
	}()
	return s, nil
}

// Start starts a server for a test or benchmark and closes it when tb ends.
func Start(tb testing.TB, cfg Config) *Server {
	tb.Helper()
	s, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Addr is the host:port the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is an smtp:// (smtps:// for ImplicitTLS) URL of the server, with the
// configured credentials as its user info.
func (s *Server) URL() string {
	u := url.URL{Scheme: "smtp", Host: s.Addr()}
	if s.cfg.Mode == ImplicitTLS {
		u.Scheme = "smtps"
	}
	if s.cfg.Username != "" {
		u.User = url.UserPassword(s.cfg.Username, s.cfg.Password)
	}
	return u.String()
}

// CertPool holds the server's certificate, for a client's RootCAs; nil for
// a Plain server.
func (s *Server) CertPool() *x509.CertPool { return s.pool }

// Certificate is the server's self-signed certificate; nil for a Plain
// server.
func (s *Server) Certificate() *x509.Certificate { return s.cert }

// Messages returns a copy of the messages accepted so far, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.messages))
	for i, m := range s.messages {
		m.To = slices.Clone(m.To)
		m.Data = slices.Clone(m.Data)
		out[i] = m
	}
	return out
}

// Reset forgets the messages accepted so far.
func (s *Server) Reset() {
	s.mu.Lock()
	s.messages = nil
	s.mu.Unlock()
}

// Close stops the server: held replies give up, open connections are cut,
// and Close returns once every session has ended. It may be called more than
// once.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.done)
		s.ln.shut()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.smtp.Shutdown(ctx) // waits for the sessions the cut connections end
		<-s.served
	})
}

func (s *Server) record(m Message) {
	s.mu.Lock()
	s.messages = append(s.messages, m)
	s.mu.Unlock()
}

// errShuttingDown ends a held reply when the server closes.
var errShuttingDown = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Server shutting down"}

// hold waits before the reply to step when the faults say so. It returns
// errShuttingDown if the server closes first.
func (s *Server) hold(step Step) error {
	d := s.cfg.Faults.Delay
	if d.Step != step || d.For <= 0 {
		return nil
	}
	t := time.NewTimer(d.For)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-s.done:
		return errShuttingDown
	}
}

// listener keeps the connections it accepted, so that Close can cut them.
type listener struct {
	net.Listener
	srv *Server

	mu     sync.Mutex
	conns  map[*conn]struct{}
	closed bool
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	wc := &conn{Conn: c, l: l}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		c.Close()
		return nil, net.ErrClosed
	}
	l.conns[wc] = struct{}{}
	return wc, nil
}

// shut closes the listener and every connection it accepted.
func (l *listener) shut() {
	l.mu.Lock()
	l.closed = true
	conns := make([]*conn, 0, len(l.conns))
	for c := range l.conns {
		conns = append(conns, c)
	}
	l.mu.Unlock()
	l.Listener.Close()
	for _, c := range conns {
		c.Close()
	}
}

// conn holds the greeting back when the faults say so.
type conn struct {
	net.Conn
	l       *listener
	greeted bool // written only by the session's goroutine
	once    sync.Once
}

func (c *conn) Write(p []byte) (int, error) {
	if !c.greeted {
		c.greeted = true
		if err := c.l.srv.hold(Greeting); err != nil {
			return 0, net.ErrClosed
		}
	}
	return c.Conn.Write(p)
}

func (c *conn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}

// errorLog adapts slog to go-smtp's logger.
type errorLog struct{ log *slog.Logger }

func (l errorLog) Printf(format string, v ...any) { l.log.Error(fmt.Sprintf(format, v...)) }
func (l errorLog) Println(v ...any)               { l.log.Error(fmt.Sprint(v...)) }
