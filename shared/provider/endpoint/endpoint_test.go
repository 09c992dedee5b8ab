package endpoint

import (
	"net/url"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"sms.tencentcloudapi.com", "https://sms.tencentcloudapi.com", ""},
		{"app.cloopen.com:8883", "https://app.cloopen.com:8883", ""},
		{"http://127.0.0.1:9000/", "http://127.0.0.1:9000", ""},
		{"ftp://x", "", "scheme"},
		{"https://x/path", "", "without a path"},
		{"https://user:secret@x", "", "without a path"},
		{"https://x:99999", "", "bad port"},
		{"https://x?q=1", "", "without a path"},
		{"", "", "without a path"},
		// A port without a host, which would dial this machine.
		{":443", "", "without a path"},
		{"https://:443", "", "without a path"},
	} {
		got, err := Parse(tc.in)
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("Parse(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("Parse(%q) = %q, %v; want an error about %q", tc.in, got, err, tc.err)
		case err != nil && strings.Contains(err.Error(), "secret"):
			t.Errorf("Parse(%q) error %q shows the password", tc.in, err)
		}
	}
}

// FuzzParse: what Parse takes comes back as an http or https URL with a
// host and nothing else, which Parse takes again as itself; what it
// refuses, it refuses without showing the password.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"sms.tencentcloudapi.com", "http://127.0.0.1:1/", "https://u:p@h", "%zz", "://", ":443", "[::1]:8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ep string) {
		got, err := Parse(ep)
		if err != nil {
			if u, perr := url.Parse(ep); perr == nil && u.User != nil {
				if pw, ok := u.User.Password(); ok && len(pw) > 3 && strings.Contains(err.Error(), pw) {
					t.Errorf("Parse(%q) error %q shows the password", ep, err)
				}
			}
			return
		}
		u, perr := url.Parse(got)
		if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil ||
			u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
			t.Fatalf("Parse(%q) = %q: not scheme://host[:port]", ep, got)
		}
		if again, err := Parse(got); err != nil || again != got {
			t.Fatalf("Parse(%q) = %q, which it takes as %q, %v", ep, got, again, err)
		}
	})
}
