package app

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"github.com/seed4ddb146e/notify/shared/config"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/platform"
	"github.com/seed4ddb146e/notify/shared/store/postgres"
)

// store is a store this package opens: either store under shared/store.
type store interface {
	notify.Store
	// Open opens it now, within ctx alone.
	Open(ctx context.Context) error
	// StartOpen begins, in the background, what of its open is worth
	// beginning before a request needs it, and returns at once: the
	// PostgreSQL store dials the server; the SQLite store opens.
	StartOpen()
}

// OpenStore opens the store cfg.DatabaseURL names and applies its
// migrations, within ctx, however long they take (notify migrate, the
// local server). Each call on the store it returns is bounded by
// cfg.StoreTimeout, as LazyStore's are.
func OpenStore(ctx context.Context, cfg config.Config) (notify.Store, error) {
	st, err := newStore(cfg)
	if err != nil {
		return nil, err
	}
	if err := st.Open(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	return st, nil
}

// LazyStore returns the store cfg.DatabaseURL names without opening it:
// the first call that needs it opens it (connecting, applying migrations).
// (Run, a function's start, also calls StartOpen: PostgreSQL's server
// then forks the connection's process while the start goes on.) A URL
// this build cannot open is an error at once.
//
// Each call is bounded by cfg.StoreTimeout (config.DefaultStoreTimeout
// when 0), its wait for the store to open included: a store that does not
// answer in time fails the call, and a failed open is an *notify.Error of
// kind Unavailable. docs/guarantees.md has the bounds.
func LazyStore(cfg config.Config) (notify.Store, error) {
	st, err := newStore(cfg)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// newStore returns the store cfg.DatabaseURL names, not yet open.
func newStore(cfg config.Config) (store, error) {
	kind, target, err := storeTarget(cfg)
	if err != nil {
		return nil, err
	}
	timeout := cfg.StoreTimeout
	if timeout <= 0 {
		timeout = config.DefaultStoreTimeout
	}
	if kind == "sqlite" {
		return newSQLite(target, timeout)
	}
	st, err := postgres.New(cloudPool(target, cfg.Runtime), postgres.Options{Timeout: timeout})
	if err != nil {
		return nil, err // not st: a nil *Store would be a non-nil store
	}
	return st, nil
}

// CloudPoolSize is how many connections a function instance on Lambda or
// FC keeps, unless the URL's pool_max_conns says: an instance serves one
// request at a time (a few on FC), or the up to 10 messages of a queue
// batch, whose writes the store's groups put on one connection of each
// kind (docs/stores.md), and hundreds of instances each opening the local
// default would exhaust the database's connections.
const CloudPoolSize = 2

// cloudPool returns the PostgreSQL URL u with pool_max_conns set to
// CloudPoolSize on the clouds, when u does not set it.
func cloudPool(u string, rt platform.Runtime) string {
	p, err := url.Parse(u)
	if rt == platform.Local || err != nil || p.Query().Has("pool_max_conns") {
		return u
	}
	q := p.Query()
	q.Set("pool_max_conns", strconv.Itoa(CloudPoolSize))
	p.RawQuery = q.Encode()
	return p.String()
}

// storeTarget checks, without any I/O, that this build has the store
// cfg.DatabaseURL names.
func storeTarget(cfg config.Config) (kind, target string, err error) {
	kind, target, err = config.ParseDatabaseURL(cfg.DatabaseURL)
	switch {
	case err != nil:
		return "", "", fmt.Errorf("open store: %w", err)
	case kind == "sqlite" && !haveSQLite:
		return "", "", fmt.Errorf("open store: NOTIFY_DATABASE_URL: %w", config.ErrNoSQLite)
	case kind != "sqlite" && kind != "postgres":
		return "", "", fmt.Errorf("open store: no store for %q", kind)
	}
	return kind, target, nil
}
