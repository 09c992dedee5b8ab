package smtpd_test

import (
	"crypto/tls"
	"errors"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/fake/smtpd"
)

const body = "Subject: hi\r\n\r\n.leading dot\r\nbye\r\n"

// dial connects a net/smtp client to srv as its mode wants, with the
// server's certificate trusted.
func dial(t *testing.T, srv *smtpd.Server, mode smtpd.Mode) *smtp.Client {
	t.Helper()
	tc := &tls.Config{RootCAs: srv.CertPool(), ServerName: "127.0.0.1"}
	var c *smtp.Client
	var err error
	if mode == smtpd.ImplicitTLS {
		var conn net.Conn
		if conn, err = tls.Dial("tcp", srv.Addr(), tc); err != nil {
			t.Fatalf("tls dial: %v", err)
		}
		c, err = smtp.NewClient(conn, "127.0.0.1")
	} else {
		c, err = smtp.Dial(srv.Addr())
	}
	if err != nil {
		t.Fatalf("dial %s: %v", srv.Addr(), err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Hello("client.test"); err != nil {
		t.Fatalf("EHLO: %v", err)
	}
	if mode == smtpd.StartTLS {
		if err := c.StartTLS(tc); err != nil {
			t.Fatalf("STARTTLS: %v", err)
		}
	}
	return c
}

// send runs one transaction on c and returns the first error.
func send(c *smtp.Client, from string, to []string, data string) error {
	if err := c.Mail(from); err != nil {
		return err
	}
	for _, r := range to {
		if err := c.Rcpt(r); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(data)); err != nil {
		return err
	}
	return w.Close()
}

// code is the reply code of an SMTP error, 0 for any other error.
func code(err error) int {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}

// loginAuth is the client side of AUTH LOGIN, which net/smtp lacks.
type loginAuth struct{ user, pass string }

func (a loginAuth) Start(*smtp.ServerInfo) (string, []byte, error) { return "LOGIN", nil, nil }

func (a loginAuth) Next(challenge []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	switch string(challenge) {
	case "Username:":
		return []byte(a.user), nil
	case "Password:":
		return []byte(a.pass), nil
	}
	return nil, errors.New("unexpected challenge " + string(challenge))
}

func TestModesRecordMessages(t *testing.T) {
	for _, mode := range []smtpd.Mode{smtpd.Plain, smtpd.StartTLS, smtpd.ImplicitTLS} {
		t.Run(mode.String(), func(t *testing.T) {
			srv := smtpd.Start(t, smtpd.Config{Mode: mode})
			c := dial(t, srv, mode)
			if err := send(c, "from@example.com", []string{"a@example.com", "b@example.com"}, body); err != nil {
				t.Fatalf("send: %v", err)
			}
			if err := c.Quit(); err != nil {
				t.Errorf("QUIT: %v", err)
			}
			got := srv.Messages()
			if len(got) != 1 {
				t.Fatalf("got %d messages, want 1", len(got))
			}
			m := got[0]
			if m.From != "from@example.com" || strings.Join(m.To, ",") != "a@example.com,b@example.com" {
				t.Errorf("envelope = %q -> %q, want from@example.com -> [a@example.com b@example.com]", m.From, m.To)
			}
			if string(m.Data) != body {
				t.Errorf("data = %q, want %q", m.Data, body)
			}
			if want := mode != smtpd.Plain; m.TLS != want {
				t.Errorf("TLS = %v, want %v", m.TLS, want)
			}
			if (mode == smtpd.Plain) != (srv.CertPool() == nil) {
				t.Errorf("CertPool() = %v for mode %v", srv.CertPool(), mode)
			}
			srv.Reset()
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("after Reset: %d messages, want 0", n)
			}
		})
	}
}

func TestURL(t *testing.T) {
	tests := []struct {
		cfg  smtpd.Config
		want string
	}{
		{smtpd.Config{}, "smtp://"},
		{smtpd.Config{Mode: smtpd.ImplicitTLS, Username: "u@x", Password: "p:/@"}, "smtps://u%40x:p%3A%2F%40@"},
	}
	for _, tt := range tests {
		srv := smtpd.Start(t, tt.cfg)
		if got, want := srv.URL(), tt.want+srv.Addr(); got != want {
			t.Errorf("URL() = %q, want %q", got, want)
		}
	}
}

func TestAuth(t *testing.T) {
	tests := []struct {
		name     string
		mode     smtpd.Mode
		auth     smtp.Auth
		reject   bool
		wantCode int // 0: success
	}{
		{"plain PLAIN", smtpd.Plain, smtp.PlainAuth("", "user", "secret", "127.0.0.1"), false, 0},
		{"plain LOGIN", smtpd.Plain, loginAuth{"user", "secret"}, false, 0},
		{"starttls PLAIN", smtpd.StartTLS, smtp.PlainAuth("", "user", "secret", "127.0.0.1"), false, 0},
		{"implicit LOGIN", smtpd.ImplicitTLS, loginAuth{"user", "secret"}, false, 0},
		{"wrong password PLAIN", smtpd.Plain, smtp.PlainAuth("", "user", "nope", "127.0.0.1"), false, 535},
		{"wrong user LOGIN", smtpd.StartTLS, loginAuth{"nobody", "secret"}, false, 535},
		{"identity mismatch", smtpd.Plain, smtp.PlainAuth("other", "user", "secret", "127.0.0.1"), false, 535},
		{"rejected", smtpd.Plain, smtp.PlainAuth("", "user", "secret", "127.0.0.1"), true, 535},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtpd.Start(t, smtpd.Config{Mode: tt.mode, Username: "user", Password: "secret",
				RequireAuth: true, Faults: smtpd.Faults{RejectAuth: tt.reject}})
			c := dial(t, srv, tt.mode)
			err := c.Auth(tt.auth)
			if got := code(err); got != tt.wantCode || (tt.wantCode == 0 && err != nil) {
				t.Fatalf("AUTH: %v (code %d), want code %d", err, got, tt.wantCode)
			}
			if tt.wantCode != 0 {
				return
			}
			if err := send(c, "f@example.com", []string{"t@example.com"}, body); err != nil {
				t.Fatalf("send after AUTH: %v", err)
			}
			if got := srv.Messages(); len(got) != 1 || got[0].User != "user" {
				t.Errorf("messages = %+v, want one from user", got)
			}
		})
	}
}

func TestStartTLSHidesAuthUntilTLS(t *testing.T) {
	srv := smtpd.Start(t, smtpd.Config{Mode: smtpd.StartTLS, Username: "user", Password: "secret"})
	c, err := smtp.Dial(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ok, _ := c.Extension("AUTH"); ok {
		t.Error("AUTH offered before STARTTLS")
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		t.Error("STARTTLS not offered")
	}
}

func TestUntrustedCertificateFails(t *testing.T) {
	srv := smtpd.Start(t, smtpd.Config{Mode: smtpd.StartTLS})
	c, err := smtp.Dial(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.StartTLS(&tls.Config{ServerName: "127.0.0.1"}) // system roots only
	var cve *tls.CertificateVerificationError
	if !errors.As(err, &cve) {
		t.Errorf("STARTTLS without the pool: %v, want a certificate verification error", err)
	}
	if got := srv.Certificate(); got == nil || got.VerifyHostname("localhost") != nil || got.VerifyHostname("127.0.0.1") != nil {
		t.Errorf("Certificate() does not cover localhost and 127.0.0.1")
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name     string
		cfg      smtpd.Config
		to       []string
		wantCode int  // the reply code of the error; 0 for a dropped connection
		recorded bool // the server kept the message
	}{
		{"reject rcpt", smtpd.Config{Faults: smtpd.Faults{RejectRcpt: []string{"Gone@Example.com"}}},
			[]string{"ok@example.com", "gone@example.com"}, 550, false},
		{"temp fail", smtpd.Config{Faults: smtpd.Faults{TempFail: true}}, []string{"ok@example.com"}, 451, false},
		{"auth required", smtpd.Config{Username: "u", Password: "p", RequireAuth: true}, []string{"ok@example.com"}, 530, false},
		{"drop during data", smtpd.Config{Faults: smtpd.Faults{DropDuringData: true}}, []string{"ok@example.com"}, 0, false},
		{"drop after data", smtpd.Config{Faults: smtpd.Faults{DropAfterData: true}}, []string{"ok@example.com"}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtpd.Start(t, tt.cfg)
			c := dial(t, srv, smtpd.Plain)
			err := send(c, "f@example.com", tt.to, body+strings.Repeat("x", 1<<10)+"\r\n")
			if err == nil {
				t.Fatal("send succeeded, want an error")
			}
			if got := code(err); got != tt.wantCode {
				t.Errorf("send: %v (code %d), want code %d", err, got, tt.wantCode)
			}
			if got := len(srv.Messages()); got != map[bool]int{true: 1}[tt.recorded] {
				t.Errorf("server recorded %d messages, recorded=%v wanted", got, tt.recorded)
			}
		})
	}
}

func TestDelayHoldsReply(t *testing.T) {
	srv := smtpd.Start(t, smtpd.Config{Faults: smtpd.Faults{Delay: smtpd.Delay{Step: smtpd.Rcpt, For: 50 * time.Millisecond}}})
	c := dial(t, srv, smtpd.Plain)
	start := time.Now()
	if err := send(c, "f@example.com", []string{"a@example.com"}, body); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("transaction took %v, want at least the 50ms delay", d)
	}
}

// TestCloseEndsHeldReply checks that Close does not wait out a long delay.
func TestCloseEndsHeldReply(t *testing.T) {
	srv, err := smtpd.New(smtpd.Config{Faults: smtpd.Faults{Delay: smtpd.Delay{Step: smtpd.Mail, For: time.Hour}}})
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, srv, smtpd.Plain)
	errc := make(chan error, 1)
	go func() { errc <- c.Mail("f@example.com") }()
	time.Sleep(20 * time.Millisecond) // let MAIL reach the server; the test passes either way
	srv.Close()
	if err := <-errc; err == nil {
		t.Error("MAIL succeeded on a closed server")
	}
	srv.Close() // a second Close is harmless
}
