package smtpmail_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/smtpmail"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		raw  string
		want smtpmail.Endpoint
	}{
		{"smtp://mail.example.com", smtpmail.Endpoint{Host: "mail.example.com", Port: 587, StartTLS: smtpmail.StartTLSRequired}},
		{"smtp://127.0.0.1:2525", smtpmail.Endpoint{Host: "127.0.0.1", Port: 2525, StartTLS: smtpmail.StartTLSOpportunistic}},
		{"smtp://[::1]:25", smtpmail.Endpoint{Host: "::1", Port: 25, StartTLS: smtpmail.StartTLSOpportunistic}},
		{"smtp://LocalHost:25/", smtpmail.Endpoint{Host: "LocalHost", Port: 25, StartTLS: smtpmail.StartTLSOpportunistic}},
		{"smtp://relay.internal:25?starttls=off", smtpmail.Endpoint{Host: "relay.internal", Port: 25, StartTLS: smtpmail.StartTLSOff}},
		{"smtp://relay.internal?starttls=Opportunistic", smtpmail.Endpoint{Host: "relay.internal", Port: 587, StartTLS: smtpmail.StartTLSOpportunistic}},
		{"smtp://u%40x.com:p%2Fw%3A%40@mail.example.com?auth=login&helo=gw.example.com",
			smtpmail.Endpoint{Host: "mail.example.com", Port: 587, StartTLS: smtpmail.StartTLSRequired,
				Username: "u@x.com", Password: "p/w:@", Auth: smtpmail.AuthLogin, HELO: "gw.example.com"}},
		{"smtp://u:p@localhost:1025?starttls=off&auth=PLAIN",
			smtpmail.Endpoint{Host: "localhost", Port: 1025, StartTLS: smtpmail.StartTLSOff, Username: "u", Password: "p", Auth: smtpmail.AuthPlain}},
		{"smtps://u:p@smtp.example.com", smtpmail.Endpoint{Host: "smtp.example.com", Port: 465, ImplicitTLS: true, Username: "u", Password: "p"}},
		{"SMTPS://smtp.example.com:2465", smtpmail.Endpoint{Host: "smtp.example.com", Port: 2465, ImplicitTLS: true}},
	}
	for _, tt := range tests {
		got, err := smtpmail.ParseURL(tt.raw)
		if err != nil || got != tt.want {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", tt.raw, got, err, tt.want)
			continue
		}
		// String gives a URL that parses back to the same endpoint, but for
		// the password.
		again, err := smtpmail.ParseURL(got.String())
		want := tt.want
		if want.Password != "" {
			want.Password = "REDACTED"
		}
		if err != nil || again != want {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", got.String(), again, err, want)
		}
	}
}

func TestParseURLErrors(t *testing.T) {
	const pw = "Hunter2xyz"
	tests := []struct {
		raw     string
		wantErr string
	}{
		{"", "empty"},
		{"mail.example.com:587", "scheme"},
		{"http://mail.example.com", `scheme "http"`},
		{"smtp:mail.example.com", "no host"},
		{"smtp://:25", "no host"},
		{"smtp://mail.example.com:0", "port out of range"},
		{"smtp://mail.example.com:70000", "port out of range"},
		{"smtp://mail.example.com/path", "path"},
		{"smtp://mail.example.com#frag", "fragment"},
		{"smtp://user@mail.example.com", "no password"},
		{"smtp://user:@mail.example.com", "no password"},
		{"smtp://:" + pw + "@mail.example.com", "no user name"},
		{"smtp://mail.example.com?starttls=maybe", "bad starttls"},
		{"smtp://mail.example.com?auth=cram-md5", "bad auth"},
		{"smtp://mail.example.com?helo=bad%20name", "bad helo"},
		{"smtp://mail.example.com?timeout=5", "unknown parameter"},
		{"smtp://mail.example.com?starttls=off&starttls=off", "2 times"},
		{"smtp://mail.example.com?auth=plain", "no user name and password"},
		{"smtps://mail.example.com?starttls=required", "does not apply to smtps"},
		{"smtp://u:" + pw + "@mail.example.com?starttls=off", "clear text"},
		{"smtp://u:" + pw + "@mail.example.com?starttls=opportunistic", "clear text"},
		// Unescaped special characters push the password into other parts.
		{"smtp://u:" + pw + "/x@mail.example.com", "malformed"},
		{"smtp://u:12345/" + pw + "@mail.example.com", "path"},
		{"smtp://u:12345?" + pw + "=1@mail.example.com", "unknown parameter"},
		{"smtp://u:12345?starttls=" + pw + "@mail.example.com", "bad starttls"},
		{"smtp://u:12345#" + pw + "@mail.example.com", "fragment"},
		{"smtp://u:" + pw + "%zz@mail.example.com", "malformed"},
		{"smtp://u:" + pw + "\n@mail.example.com", "malformed"},
	}
	for _, tt := range tests {
		_, err := smtpmail.ParseURL(tt.raw)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("ParseURL(%q) error = %v, want one saying %q", tt.raw, err, tt.wantErr)
			continue
		}
		if strings.Contains(err.Error(), pw) {
			t.Errorf("ParseURL(%q) error shows the password: %v", tt.raw, err)
		}
		if _, err := smtpmail.New(smtpmail.Config{URL: notify.Secret(tt.raw)}); err == nil || strings.Contains(err.Error(), pw) {
			t.Errorf("New with URL %q: %v, want the same error, password hidden", tt.raw, err)
		}
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		cfg     smtpmail.Config
		wantErr string
	}{
		{smtpmail.Config{URL: "smtp://127.0.0.1:25", Timeout: -1}, "negative"},
		{smtpmail.Config{URL: "smtp://127.0.0.1:25", From: "not an address"}, "default sender"},
		{smtpmail.Config{URL: "smtp://127.0.0.1:25", From: "a@example.com\r\nBcc: x@example.com"}, "line break"},
	}
	for _, tt := range tests {
		if _, err := smtpmail.New(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("New(%+v) error = %v, want one saying %q", tt.cfg, err, tt.wantErr)
		}
	}
}

// FuzzParseURL checks that ParseURL never panics and never shows the
// password, however the rest of the URL is mangled: the password always
// holds a marker, and the marker is kept out of every other part.
func FuzzParseURL(f *testing.F) {
	f.Add("smtp://", "mail.example.com:587", "starttls=required", "secret")
	f.Add("smtps://", "127.0.0.1:465", "auth=login", "p/w:@?#")
	f.Add("smtp://", "[::1]", "starttls=off&helo=x", "")
	f.Add("smtp://", "host:99/", "starttls=maybe", "%zz")
	f.Add("smtp:", "host", "a=1&a=2", "x\x00y")
	const marker = "PWMARK"
	f.Fuzz(func(t *testing.T, scheme, host, query, pw string) {
		scheme = strings.ReplaceAll(scheme, marker, "")
		host = strings.ReplaceAll(host, marker, "")
		query = strings.ReplaceAll(query, marker, "")
		pw = marker + pw
		for _, raw := range []string{
			scheme + "user:" + url.QueryEscape(pw) + "@" + host + "?" + query,
			scheme + "user:" + pw + "@" + host + "?" + query, // unescaped
		} {
			ep, err := smtpmail.ParseURL(raw)
			if err != nil {
				if strings.Contains(err.Error(), marker) {
					t.Fatalf("ParseURL(%q) error shows the password: %v", raw, err)
				}
				continue
			}
			if ep.Host == "" || ep.Port < 1 || ep.Port > 65535 {
				t.Fatalf("ParseURL(%q) = %+v: no host or a bad port", raw, ep)
			}
			if strings.Contains(ep.String(), marker) {
				t.Fatalf("Endpoint.String() shows the password: %s", ep)
			}
		}
	})
}
