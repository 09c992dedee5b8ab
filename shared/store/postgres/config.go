package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
)

// defaultMaxConns is the pool's size unless the URL sets pool_max_conns. A
// function instance serves one request at a time (Lambda) or a few (FC 3
// with instance concurrency), and each request holds a connection for one
// statement at a time; a small pool keeps instances × pool under the
// server's max_connections (100 by default). (pgxpool's own default is the
// number of CPUs, at least 4.)
const defaultMaxConns = 4

// defaultConnectTimeout bounds each connection attempt unless the URL sets
// connect_timeout, so that a server that drops packets fails a cold start
// in seconds even when the caller's context has no deadline.
const defaultConnectTimeout = 5 * time.Second

// errNotURL is parseURL's error for a string it cannot read safely. It says
// nothing of the string: url.Parse's errors quote it, and a URL whose
// user info is ambiguous may hold the password anywhere.
var errNotURL = errors.New("postgres: the database URL is not a postgres:// URL " +
	"(in the user name and password, reserved characters such as @ / ? # % must be percent-encoded)")

// CheckURL reports what is wrong with the form of the database URL raw,
// as New and Migrate would, without connecting: for a check of the
// configuration at start, with every other variable. It leaves out pgx's
// own reading of the URL (an sslmode it does not know, say), which looks
// for a password file and costs about half a millisecond of a cold start:
// New and Migrate say that. Its errors show no password.
func CheckURL(raw string) error {
	_, _, err := readURL(raw)
	return err
}

// parseURL reads a postgres:// URL into a pgxpool configuration with this
// package's defaults, and returns the secrets its errors must hide. Its own
// errors show no password.
//
// pgx splits the user info off at the first "@" before any "/" (as
// libpq does), net/url at the last "@" before any "/", "?" or "#". So that
// the two agree on the password, and no part of it can pass for a host or a
// database name in an error, the URL may hold one raw "@" only, ending the
// user info, which holds none of "/?#".
func parseURL(raw string) (*pgxpool.Config, secrets, error) {
	hide, setsMaxConns, err := readURL(raw)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := pgxpool.ParseConfig(raw)
	if err != nil {
		// pgx's error quotes the URL with the passwords it finds masked.
		return nil, nil, hide.wrap("postgres: read the database URL", err)
	}
	hide = hide.with(cfg.ConnConfig.Password) // it may come from PGPASSWORD or a .pgpass file
	if !setsMaxConns {
		cfg.MaxConns = defaultMaxConns
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	cfg.AfterConnect = inUTC
	return cfg, hide, nil
}

// readURL checks the form of raw, as parseURL's doc says, before pgx
// reads it, and returns the passwords it holds and whether it sets
// pool_max_conns.
func readURL(raw string) (hide secrets, setsMaxConns bool, err error) {
	rest, ok := strings.CutPrefix(raw, "postgres://")
	if !ok {
		rest, ok = strings.CutPrefix(raw, "postgresql://")
	}
	if !ok {
		return nil, false, errNotURL
	}
	if at := strings.IndexByte(rest, '@'); at >= 0 {
		userinfo := rest[:at]
		if strings.ContainsAny(userinfo, "/?#") || strings.IndexByte(rest[at+1:], '@') >= 0 {
			return nil, false, errNotURL
		}
		if _, p, ok := strings.Cut(userinfo, ":"); ok {
			hide = hide.with(p)
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, false, errNotURL
	}
	if p, ok := u.User.Password(); ok {
		hide = hide.with(p)
	}
	// The query as pgx reads it: all that follows the first "?", "#"
	// included; u.Query would skip a pair that does not decode.
	if _, query, ok := strings.Cut(raw, "?"); ok {
		for pair := range strings.SplitSeq(query, "&") {
			k, v, _ := strings.Cut(pair, "=")
			if dk, err := url.QueryUnescape(k); err == nil {
				k = dk
			}
			setsMaxConns = setsMaxConns || k == "pool_max_conns"
			if k == "password" || k == "sslpassword" {
				hide = hide.with(v)
				if dv, err := url.QueryUnescape(v); err == nil {
					hide = hide.with(dv)
				}
			}
		}
	}
	return hide, setsMaxConns, nil
}

// inUTC makes conn read TIMESTAMPTZ values as times in UTC, rather than in
// the process's local zone, pgx's default.
func inUTC(_ context.Context, conn *pgx.Conn) error {
	conn.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID,
		Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
	return nil
}

// where names the database cfg connects to, for errors: "notify on
// db.internal:5432".
func where(cfg *pgxpool.Config) string {
	c := cfg.ConnConfig
	return c.Database + " on " + net.JoinHostPort(c.Host, strconv.Itoa(int(c.Port)))
}

// secrets are the texts an error must not show: the URL's passwords, each
// as written in the URL, decoded, and escaped the ways an error may quote
// it. Longest first, so that a secret's longer forms go before its shorter.
type secrets []string

// with returns s and the forms of password p.
func (s secrets) with(p string) secrets {
	if p == "" {
		return s
	}
	q := strconv.Quote(p)
	for _, form := range []string{p, url.PathEscape(p), url.QueryEscape(p), q[1 : len(q)-1]} {
		if !slices.Contains(s, form) {
			s = append(s, form)
		}
	}
	slices.SortFunc(s, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	return s
}

// scrub replaces every secret in text.
func (s secrets) scrub(text string) string {
	for _, p := range s {
		text = strings.ReplaceAll(text, p, "xxxxx")
	}
	return text
}

// wrap returns err, said to happen while doing what, with the secrets
// scrubbed from its text. errors.Is and errors.As still see err.
func (s secrets) wrap(what string, err error) error {
	return fmt.Errorf("%s: %w", s.scrub(what), &redacted{err: err, secrets: s})
}

// redacted is an error whose text has its secrets scrubbed.
type redacted struct {
	err     error
	secrets secrets
}

func (e *redacted) Error() string { return e.secrets.scrub(e.err.Error()) }
func (e *redacted) Unwrap() error { return e.err }
