package console

import (
	"testing"
	"time"
)

// FuzzSession: no cookie value but one the console sealed opens a
// session (what opens is what was sealed), and none panics.
func FuzzSession(f *testing.F) {
	k, err := New(Config{Base: "/console/", Store: nilStore{}, Secret: []byte("a console secret of at least thirty-two bytes")})
	if err != nil {
		f.Fatal(err)
	}
	good := k.seal(session{Group: "gm", Key: "k", Expires: time.Now().Add(time.Hour)})
	f.Add(good)
	f.Add("")
	f.Add("not base64 at all!")
	f.Add(good[:len(good)-2])
	f.Fuzz(func(t *testing.T, v string) {
		if s, ok := k.open(v); ok && (s.Group != "gm" || s.Key != "k") {
			t.Fatalf("%q opened as %+v", v, s)
		}
	})
}

// nilStore is a Store for tests that read nothing.
type nilStore struct{ Store }
