// Package smtpurl parses and checks the mail server URL of package
// smtpmail (NOTIFY_SMTP_URL), apart from the SMTP client, so that the
// configuration can check it at start, with every other variable, without
// linking the client's mail library into every function. Its errors keep
// smtpmail's prefix: they are that client's.
package smtpurl

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// StartTLS says whether an smtp:// session upgrades to TLS with STARTTLS.
type StartTLS string

// The STARTTLS policies, as the starttls URL parameter spells them.
const (
	// StartTLSRequired upgrades, and fails if the server does not offer it.
	StartTLSRequired StartTLS = "required"
	// StartTLSOpportunistic upgrades when the server offers it.
	StartTLSOpportunistic StartTLS = "opportunistic"
	// StartTLSOff never upgrades.
	StartTLSOff StartTLS = "off"
)

// The SASL mechanisms, as the auth URL parameter spells them (in any case).
const (
	AuthPlain = "PLAIN"
	AuthLogin = "LOGIN"
)

// Default ports: submission with STARTTLS, and submissions (RFC 8314).
const (
	DefaultPort    = 587
	DefaultTLSPort = 465
)

// Endpoint is a parsed mail server URL.
type Endpoint struct {
	Host        string // a host name or an IP address, without brackets
	Port        int
	ImplicitTLS bool     // smtps://: TLS from the first byte
	StartTLS    StartTLS // for smtp://; "" for smtps://
	Username    string
	Password    notify.Secret
	Auth        string // AuthPlain, AuthLogin, or "" for what the server offers (PLAIN first)
	HELO        string // the name to greet the server with; "" is the local host name
}

// Addr is the endpoint's host:port.
func (e Endpoint) Addr() string { return net.JoinHostPort(e.Host, strconv.Itoa(e.Port)) }

// String is the endpoint as a URL, its password replaced by REDACTED.
func (e Endpoint) String() string {
	u := url.URL{Scheme: "smtp", Host: e.Addr()}
	if e.ImplicitTLS {
		u.Scheme = "smtps"
	}
	if e.Username != "" {
		u.User = url.UserPassword(e.Username, e.Password.String())
	}
	q := url.Values{}
	if e.StartTLS != "" {
		q.Set("starttls", string(e.StartTLS))
	}
	if e.Auth != "" {
		q.Set("auth", strings.ToLower(e.Auth))
	}
	if e.HELO != "" {
		q.Set("helo", e.HELO)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Loopback reports whether the endpoint is on this machine, where nobody can
// listen in between.
func (e Endpoint) Loopback() bool {
	if strings.EqualFold(e.Host, "localhost") {
		return true
	}
	ip := net.ParseIP(e.Host)
	return ip != nil && ip.IsLoopback()
}

// ParseURL parses and checks a mail server URL:
//
//	smtp://[user:password@]host[:port][?starttls=required|opportunistic|off][&auth=plain|login][&helo=name]
//	smtps://[user:password@]host[:port][?auth=plain|login][&helo=name]
//
// The user name and password are percent-encoded. The port defaults to 587
// for smtp:// and 465 for smtps://.
//
// starttls defaults to required, and to opportunistic when the host is
// loopback (localhost, 127.0.0.0/8, ::1), where a local relay or a test
// server may have no certificate. A password is never sent in clear text to
// another machine: with credentials and a host that is not loopback, smtp://
// must keep starttls=required.
//
// Errors name what is wrong but quote nothing of the URL beyond its scheme
// and host: a password with an unescaped '/', '?' or '#' ends up in the
// port, path or query, so those are never echoed.
func ParseURL(raw string) (Endpoint, error) {
	var e Endpoint
	if strings.TrimSpace(raw) == "" {
		return e, errors.New("smtpmail: the mail server URL is empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse's errors quote the URL, password and all.
		return e, errors.New("smtpmail: the mail server URL is malformed (are special characters in the user name and password percent-encoded?)")
	}
	switch u.Scheme {
	case "smtp":
		e.Port = DefaultPort
	case "smtps":
		e.Port, e.ImplicitTLS = DefaultTLSPort, true
	default:
		return e, fmt.Errorf("smtpmail: the mail server URL has scheme %q; want smtp or smtps", u.Scheme)
	}
	if u.Opaque != "" || u.Host == "" {
		return e, errors.New("smtpmail: the mail server URL has no host; want smtp://host:port or smtps://host:port")
	}
	if e.Host = u.Hostname(); e.Host == "" {
		return e, errors.New("smtpmail: the mail server URL has no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return e, errors.New("smtpmail: the mail server URL has a port out of range; want 1 to 65535")
		}
		e.Port = n
	}
	if (u.Path != "" && u.Path != "/") || u.Fragment != "" || u.RawFragment != "" {
		return e, errors.New("smtpmail: the mail server URL has a path or fragment; want none")
	}
	if u.User != nil {
		pw, ok := u.User.Password()
		e.Username, e.Password = u.User.Username(), notify.Secret(pw)
		switch {
		case e.Username == "":
			return e, errors.New("smtpmail: the mail server URL has a password but no user name")
		case !ok || pw == "":
			return e, errors.New("smtpmail: the mail server URL has a user name but no password")
		}
	}
	if err := e.parseQuery(u.RawQuery); err != nil {
		return Endpoint{}, err
	}
	if err := e.checkTLS(); err != nil {
		return Endpoint{}, err
	}
	return e, nil
}

func (e *Endpoint) parseQuery(raw string) error {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return errors.New("smtpmail: the mail server URL has a malformed query")
	}
	for k, vs := range q {
		if len(vs) != 1 {
			return fmt.Errorf("smtpmail: the mail server URL gives a parameter %d times; want each once", len(vs))
		}
		v := vs[0]
		switch k {
		case "starttls":
			switch p := StartTLS(strings.ToLower(v)); p {
			case StartTLSRequired, StartTLSOpportunistic, StartTLSOff:
				e.StartTLS = p
			default:
				return errors.New("smtpmail: the mail server URL has a bad starttls; want required, opportunistic or off")
			}
		case "auth":
			switch a := strings.ToUpper(v); a {
			case AuthPlain, AuthLogin:
				e.Auth = a
			default:
				return errors.New("smtpmail: the mail server URL has a bad auth; want plain or login")
			}
		case "helo":
			if !ValidHELO(v) {
				return errors.New("smtpmail: the mail server URL has a bad helo; want a host name")
			}
			e.HELO = v
		default:
			return errors.New("smtpmail: the mail server URL has an unknown parameter; want only starttls, auth and helo")
		}
	}
	return nil
}

// checkTLS settles the STARTTLS policy and refuses a password in clear text.
func (e *Endpoint) checkTLS() error {
	if e.ImplicitTLS {
		if e.StartTLS != "" {
			return errors.New("smtpmail: starttls does not apply to smtps://, which is TLS from the start")
		}
		return nil
	}
	if e.StartTLS == "" {
		e.StartTLS = StartTLSRequired
		if e.Loopback() {
			e.StartTLS = StartTLSOpportunistic
		}
	}
	if e.Auth != "" && e.Username == "" {
		return fmt.Errorf("smtpmail: the mail server URL asks for auth=%s but has no user name and password", strings.ToLower(e.Auth))
	}
	if e.Username != "" && e.StartTLS != StartTLSRequired && !e.Loopback() {
		return fmt.Errorf("smtpmail: refusing starttls=%s with a password for %s, which is not loopback: the password could cross the network in clear text; use starttls=required or smtps://", e.StartTLS, e.Host)
	}
	return nil
}

// ValidHELO reports whether s is a plausible EHLO argument: a host name or
// an address literal, at most 255 characters.
func ValidHELO(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune(".-[]:", r):
		default:
			return false
		}
	}
	return true
}
