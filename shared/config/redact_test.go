package config

import (
	"strings"
	"testing"
)

// TestRedactURLHidesEveryPassword: the database URL is logged at start
// (serve, migrate, a local invoke) through RedactURL. pgx takes a password
// from the query string too, and a URL net/url cannot parse is still one a
// reader of the log can.
func TestRedactURLHidesEveryPassword(t *testing.T) {
	for _, u := range []string{
		"postgres://notify:s3cretpw@db.example.com:5432/notify",
		"postgres://notify@db.example.com/notify?password=s3cretpw",
		"postgresql://db.example.com/notify?sslmode=require&password=s3cretpw",
		"postgres://db.example.com/notify?sslpassword=s3cretpw&sslkey=/k",
		"postgres://notify:s3cretpw%zz@db.example.com/notify", // not a URL net/url parses
		"postgres://notify:s3cret pw@db.example.com/notify",
	} {
		got := RedactURL(u)
		if strings.Contains(got, "s3cret") {
			t.Errorf("RedactURL(%q) = %q: the password shows", u, got)
		}
	}
	if got := RedactURL("sqlite:/tmp/notify.db"); got != "sqlite:/tmp/notify.db" {
		t.Errorf("RedactURL of an SQLite URL = %q; want it whole", got)
	}
}
