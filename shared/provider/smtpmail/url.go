package smtpmail

import "github.com/seed4ddb146e/notify/shared/provider/smtpmail/smtpurl"

// The mail server URL is parsed and checked by package smtpurl, which the
// configuration shares to check NOTIFY_SMTP_URL at start; these are its
// names, as this package has always had them.

// StartTLS says whether an smtp:// session upgrades to TLS with STARTTLS.
type StartTLS = smtpurl.StartTLS

// Endpoint is a parsed mail server URL.
type Endpoint = smtpurl.Endpoint

// The STARTTLS policies, as the starttls URL parameter spells them.
const (
	StartTLSRequired      = smtpurl.StartTLSRequired
	StartTLSOpportunistic = smtpurl.StartTLSOpportunistic
	StartTLSOff           = smtpurl.StartTLSOff
)

// The SASL mechanisms, as the auth URL parameter spells them (in any case).
const (
	AuthPlain = smtpurl.AuthPlain
	AuthLogin = smtpurl.AuthLogin
)

// Default ports: submission with STARTTLS, and submissions (RFC 8314).
const (
	DefaultPort    = smtpurl.DefaultPort
	DefaultTLSPort = smtpurl.DefaultTLSPort
)

// ParseURL parses and checks a mail server URL: see smtpurl.ParseURL.
func ParseURL(raw string) (Endpoint, error) { return smtpurl.ParseURL(raw) }
