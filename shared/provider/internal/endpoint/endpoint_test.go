package endpoint

import (
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

func FuzzParse(f *testing.F) {
	for _, s := range []string{"sms.tencentcloudapi.com", "http://127.0.0.1:1/", "https://u:p@h", "%zz", "://"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ep string) {
		got, err := Parse(ep)
		if err == nil && !strings.HasPrefix(got, "http://") && !strings.HasPrefix(got, "https://") {
			t.Errorf("Parse(%q) = %q", ep, got)
		}
	})
}
