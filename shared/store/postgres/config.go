package postgres

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// defaultMaxConns is the pool's size unless the URL sets pool_max_conns. A
// function instance serves one request at a time (Lambda) or a few (FC 3
// with instance concurrency), and each request holds a connection for one
// statement at a time; a small pool keeps instances × pool under the
// server's max_connections (100 by default).
const defaultMaxConns = 4

// defaultConnectTimeout bounds each connection attempt unless the URL sets
// connect_timeout, so that a server that drops packets fails a cold start
// in seconds even when the caller's context has no deadline.
const defaultConnectTimeout = 5 * time.Second

// The pool's other defaults, pgxpool's: a connection is closed an hour
// after it was made, or when it has been idle for half an hour.
const (
	defaultMaxConnLifetime = time.Hour
	defaultMaxConnIdleTime = 30 * time.Minute
)

// poolConfig is what the URL says of the connections and their pool.
type poolConfig struct {
	ConnConfig *pgconn.Config
	MaxConns   int32
	// A connection is closed when it is MaxConnLifetime old, plus up to
	// MaxConnLifetimeJitter so that connections made together do not all
	// go at once, or when it has been idle for MaxConnIdleTime; 0 (or
	// less) is no limit.
	MaxConnLifetime       time.Duration
	MaxConnLifetimeJitter time.Duration
	MaxConnIdleTime       time.Duration
	// PingTimeout bounds the ping of a connection idle for over a second
	// before it is used again; 0 leaves it to the caller's context.
	PingTimeout time.Duration
	// StatementCacheCapacity is how many statements a connection keeps
	// prepared; 0 prepares none.
	StatementCacheCapacity int
}

// defaultStatementCacheCapacity is pgx's: more than the Store has.
const defaultStatementCacheCapacity = 512

// errNotURL is parseURL's error for a string it cannot read safely. It says
// nothing of the string: url.Parse's errors quote it, and a URL whose
// user info is ambiguous may hold the password anywhere.
var errNotURL = errors.New("postgres: the database URL is not a postgres:// URL " +
	"(in the user name and password, reserved characters such as @ / ? # % must be percent-encoded)")

// parseURL reads a postgres:// URL into a pool configuration with this
// package's defaults, and returns the secrets its errors must hide. Its own
// errors show no password.
//
// pgconn splits the user info off at the first "@" before any "/" (as
// libpq does), net/url at the last "@" before any "/", "?" or "#". So that
// the two agree on the password, and no part of it can pass for a host or a
// database name in an error, the URL may hold one raw "@" only, ending the
// user info, which holds none of "/?#".
func parseURL(raw string) (*poolConfig, secrets, error) {
	rest, ok := strings.CutPrefix(raw, "postgres://")
	if !ok {
		rest, ok = strings.CutPrefix(raw, "postgresql://")
	}
	if !ok {
		return nil, nil, errNotURL
	}
	var hide secrets
	if at := strings.IndexByte(rest, '@'); at >= 0 {
		userinfo := rest[:at]
		if strings.ContainsAny(userinfo, "/?#") || strings.IndexByte(rest[at+1:], '@') >= 0 {
			return nil, nil, errNotURL
		}
		if _, p, ok := strings.Cut(userinfo, ":"); ok {
			hide = hide.with(p)
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, nil, errNotURL
	}
	if p, ok := u.User.Password(); ok {
		hide = hide.with(p)
	}
	// The query as pgconn reads it: all that follows the first "?", "#"
	// included; u.Query would skip a pair that does not decode.
	if _, query, ok := strings.Cut(raw, "?"); ok {
		for pair := range strings.SplitSeq(query, "&") {
			k, v, _ := strings.Cut(pair, "=")
			if dk, err := url.QueryUnescape(k); err == nil {
				k = dk
			}
			if k == "password" || k == "sslpassword" {
				hide = hide.with(v)
				if dv, err := url.QueryUnescape(v); err == nil {
					hide = hide.with(dv)
				}
			}
		}
	}
	cfg, err := parseConfig(raw)
	if err != nil {
		// pgconn's error quotes the URL with the passwords it finds masked.
		return nil, nil, hide.wrap("postgres: read the database URL", err)
	}
	hide = hide.with(cfg.ConnConfig.Password) // it may come from PGPASSWORD or a .pgpass file
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	// Results come back as text: times in one format, in UTC. Times are
	// read whatever their offset; the format must be ISO's.
	for k := range cfg.ConnConfig.RuntimeParams {
		if strings.EqualFold(k, "TimeZone") || strings.EqualFold(k, "DateStyle") {
			delete(cfg.ConnConfig.RuntimeParams, k)
		}
	}
	cfg.ConnConfig.RuntimeParams["TimeZone"] = "UTC"
	cfg.ConnConfig.RuntimeParams["DateStyle"] = "ISO"
	return cfg, hide, nil
}

// parseConfig reads the URL as pgxpool.ParseConfig did, with its settings
// and errors: pgconn's, then those of pgx and of the pool, which pgconn
// would otherwise send the server as run-time parameters. Of pgx's
// default_query_exec_mode, cache_statement (the default) prepares each
// statement once per connection, as pgx did, up to
// statement_cache_capacity of them; the other modes send every statement
// unprepared, which is what exec did (docs/stores.md, on poolers).
// description_cache_capacity is read and checked, and changes nothing.
// pool_min_conns, pool_min_idle_conns and pool_health_check_period are
// read and checked too, and change nothing: no goroutine keeps
// connections open or checks them in the background; the pool checks a
// connection when it hands it out.
func parseConfig(raw string) (*poolConfig, error) {
	cc, err := pgconn.ParseConfig(raw)
	if err != nil {
		return nil, err
	}
	cfg := &poolConfig{ConnConfig: cc, MaxConns: defaultMaxConns, MaxConnLifetime: defaultMaxConnLifetime,
		MaxConnIdleTime: defaultMaxConnIdleTime, StatementCacheCapacity: defaultStatementCacheCapacity}
	take := func(key string) (string, bool) {
		v, ok := cc.RuntimeParams[key]
		delete(cc.RuntimeParams, key)
		return v, ok
	}
	bad := func(key string, err error) error {
		return pgconn.NewParseConfigError(raw, "cannot parse "+key, err)
	}
	if v, ok := take("statement_cache_capacity"); ok {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return nil, bad("statement_cache_capacity", err)
		}
		cfg.StatementCacheCapacity = int(max(n, 0))
	}
	if v, ok := take("description_cache_capacity"); ok {
		if _, err := strconv.ParseInt(v, 10, 32); err != nil {
			return nil, bad("description_cache_capacity", err)
		}
	}
	if v, ok := take("default_query_exec_mode"); ok {
		switch v {
		case "cache_statement":
		case "cache_describe", "describe_exec", "exec", "simple_protocol":
			cfg.StatementCacheCapacity = 0
		default:
			return nil, pgconn.NewParseConfigError(raw, "invalid default_query_exec_mode", fmt.Errorf("unknown value %q", v))
		}
	}
	if v, ok := take("pool_max_conns"); ok {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return nil, bad("pool_max_conns", err)
		}
		if n < 1 {
			return nil, pgconn.NewParseConfigError(raw, "pool_max_conns too small", nil)
		}
		cfg.MaxConns = int32(n)
	}
	for _, key := range []string{"pool_min_conns", "pool_min_idle_conns"} {
		if v, ok := take(key); ok {
			if _, err := strconv.ParseInt(v, 10, 32); err != nil {
				return nil, bad(key, err)
			}
		}
	}
	var ignored time.Duration
	for _, d := range []struct {
		key string
		to  *time.Duration
	}{
		{"pool_max_conn_lifetime", &cfg.MaxConnLifetime},
		{"pool_max_conn_idle_time", &cfg.MaxConnIdleTime},
		{"pool_health_check_period", &ignored},
		{"pool_max_conn_lifetime_jitter", &cfg.MaxConnLifetimeJitter},
		{"pool_ping_timeout", &cfg.PingTimeout},
	} {
		if v, ok := take(d.key); ok {
			if *d.to, err = time.ParseDuration(v); err != nil {
				return nil, bad(d.key, err)
			}
		}
	}
	return cfg, nil
}

// where names the database cfg connects to, for errors: "notify on
// db.internal:5432".
func where(cfg *poolConfig) string {
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
