package app

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed4ddb146e/notify/shared/config"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/platform"
	"github.com/seed4ddb146e/notify/shared/store/postgres"
)

// Store is what every store under shared/store provides: messages,
// Idempotency-Key replies, receipts, status queries, send limits,
// verification codes and the SaaS platform's stations. It must be closed.
type Store interface {
	notify.Store
	notify.IdempotencyStore
	notify.MessageFinder
	notify.ReportStore
	notify.LimitStore
	notify.QuotaCreator
	notify.CodeStore
	notify.SaaSStore
	notify.EventStore
	notify.ScheduledStore
	Ping(ctx context.Context) error
	Close() error
}

var (
	_ Store = (*postgres.Store)(nil)
	_ Store = (*boundedStore)(nil)
)

// errNoSQLite is what a build without the embedded store says of a
// sqlite: URL.
var errNoSQLite = config.ErrNoSQLite

// errClosed is the error of a call on a closed store.
var errClosed = errors.New("the store is closed")

// OpenStore opens the store cfg.DatabaseURL names and applies its
// migrations, within ctx. Each call on the store it returns is bounded by
// cfg.StoreTimeout, as LazyStore's are.
func OpenStore(ctx context.Context, cfg config.Config) (Store, error) {
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	b := newBoundedStore(cfg, nil)
	b.st.Store(&st)
	return b, nil
}

// openStore opens the store cfg.DatabaseURL names and applies its
// migrations.
func openStore(ctx context.Context, cfg config.Config) (Store, error) {
	kind, target, err := storeTarget(cfg)
	if err != nil {
		return nil, err
	}
	if kind == "sqlite" {
		return openSQLite(ctx, target)
	}
	return postgres.Open(ctx, cloudPool(target, cfg.Runtime))
}

// CloudPoolSize is how many connections a function instance on Lambda or
// FC keeps, unless the URL's pool_max_conns says: an instance serves one
// request at a time (a few on FC), and hundreds of instances each opening
// the local default would exhaust the database's connections.
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
		return "", "", fmt.Errorf("open store: NOTIFY_DATABASE_URL: %w", errNoSQLite)
	case kind != "sqlite" && kind != "postgres":
		return "", "", fmt.Errorf("open store: no store for %q", kind)
	}
	return kind, target, nil
}

// LazyStore returns the store cfg.DatabaseURL names without opening it:
// the first call that needs it opens it (connecting, applying migrations),
// so that a function's cold start does no I/O before its runtime loop
// starts. A URL this build cannot open is an error at once.
//
// Each call is bounded by cfg.StoreTimeout (config.DefaultStoreTimeout
// when 0), its wait for the store to open included: a store that does not
// answer in time fails the call, and a failed open is an *notify.Error of
// kind Unavailable. docs/guarantees.md has the bounds.
func LazyStore(cfg config.Config) (Store, error) {
	if _, _, err := storeTarget(cfg); err != nil {
		return nil, err
	}
	return newBoundedStore(cfg, func(ctx context.Context) (Store, error) { return openStore(ctx, cfg) }), nil
}

// minOpenTime is the least time an open is given, however short the store
// timeout: the functions' own timeout, which bounded a first request's
// open, migrations included, before opens ran on their own.
const minOpenTime = 10 * time.Second

// boundedStore is the store the functions and the local server use: it
// opens its store on first use, and bounds every call by timeout.
//
// An open runs on its own, within max(timeout, minOpenTime), and calls
// wait for it each within its own deadline, not one after another: of the
// calls that find the store not open yet, the first starts the open, and
// the others, and those that come later, wait for that one open until it
// ends or their deadline passes. A call that gives up leaves the open
// running, for the next calls; an open that fails is started again by the
// next call.
type boundedStore struct {
	open    func(context.Context) (Store, error)
	timeout time.Duration
	st      atomic.Pointer[Store] // nil until opened

	mu      sync.Mutex
	opening *opening // the open in flight, or nil
	closed  bool
}

// opening is an open in flight. When done is closed, st or err is its
// outcome.
type opening struct {
	done   chan struct{}
	cancel context.CancelFunc
	st     Store
	err    error
}

func newBoundedStore(cfg config.Config, open func(context.Context) (Store, error)) *boundedStore {
	timeout := cfg.StoreTimeout
	if timeout <= 0 {
		timeout = config.DefaultStoreTimeout
	}
	return &boundedStore{open: open, timeout: timeout}
}

// bound returns ctx with a deadline at most timeout away.
func (b *boundedStore) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, b.timeout)
}

// get returns the open store, opening it or waiting for the open in
// flight, until ctx is done.
func (b *boundedStore) get(ctx context.Context) (Store, error) {
	if st := b.st.Load(); st != nil {
		return *st, nil
	}
	b.mu.Lock()
	if st := b.st.Load(); st != nil {
		b.mu.Unlock()
		return *st, nil
	}
	if b.closed {
		b.mu.Unlock()
		return nil, notify.E("store.open", notify.Unavailable, errClosed)
	}
	o := b.opening
	if o == nil {
		octx, cancel := context.WithTimeout(context.Background(), max(b.timeout, minOpenTime))
		o = &opening{done: make(chan struct{}), cancel: cancel}
		b.opening = o
		go b.runOpen(octx, o)
	}
	b.mu.Unlock()
	select {
	case <-o.done:
		if o.err != nil {
			return nil, notify.E("store.open", notify.Unavailable, o.err)
		}
		return o.st, nil
	case <-ctx.Done():
		return nil, notify.E("store.open", notify.Unavailable,
			fmt.Errorf("the store is not open yet: %w", context.Cause(ctx)))
	}
}

// runOpen runs open o, and keeps the store it opens.
func (b *boundedStore) runOpen(ctx context.Context, o *opening) {
	defer o.cancel()
	st, err := b.open(ctx)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.opening = nil
	if err == nil && b.closed {
		st.Close()
		st, err = nil, errClosed
	}
	if err == nil {
		b.st.Store(&st)
	}
	o.st, o.err = st, err
	close(o.done)
}

// Close closes the store, once it is open: an open in flight is cancelled
// first. Calls after Close fail.
func (b *boundedStore) Close() error {
	b.mu.Lock()
	b.closed = true
	o := b.opening
	b.mu.Unlock()
	if o != nil {
		o.cancel()
		<-o.done
	}
	if st := b.st.Swap(nil); st != nil {
		return (*st).Close()
	}
	return nil
}

func (b *boundedStore) Ping(ctx context.Context) error {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	st, err := b.get(ctx)
	if err != nil {
		return err
	}
	return st.Ping(ctx)
}

func (b *boundedStore) CreateMessage(ctx context.Context, m *notify.Message) error {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	st, err := b.get(ctx)
	if err != nil {
		return err
	}
	return st.CreateMessage(ctx, m)
}

func (b *boundedStore) FinishMessage(ctx context.Context, id string, o notify.Outcome) error {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	st, err := b.get(ctx)
	if err != nil {
		return err
	}
	return st.FinishMessage(ctx, id, o)
}

func (b *boundedStore) Message(ctx context.Context, id string) (*notify.Message, error) {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	st, err := b.get(ctx)
	if err != nil {
		return nil, err
	}
	return st.Message(ctx, id)
}

func (b *boundedStore) MessageByQueueKey(ctx context.Context, key string) (*notify.Message, error) {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	st, err := b.get(ctx)
	if err != nil {
		return nil, err
	}
	return st.MessageByQueueKey(ctx, key)
}

func (b *boundedStore) FindMessages(ctx context.Context, q notify.MessageQuery) ([]*notify.Message, int, error) {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	st, err := b.get(ctx)
	if err != nil {
		return nil, 0, err
	}
	return st.FindMessages(ctx, q)
}

func (b *boundedStore) ClaimIdempotency(ctx context.Context, k notify.Idempotency) (*notify.Idempotency, error) {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	st, err := b.get(ctx)
	if err != nil {
		return nil, err
	}
	return st.ClaimIdempotency(ctx, k)
}

func (b *boundedStore) CompleteIdempotency(ctx context.Context, groupID, key string, status int, reply []byte) error {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	st, err := b.get(ctx)
	if err != nil {
		return err
	}
	return st.CompleteIdempotency(ctx, groupID, key, status, reply)
}

func (b *boundedStore) ReleaseIdempotency(ctx context.Context, groupID, key string) error {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	st, err := b.get(ctx)
	if err != nil {
		return err
	}
	return st.ReleaseIdempotency(ctx, groupID, key)
}

func (b *boundedStore) RecordReport(ctx context.Context, r notify.Report) (notify.ReportResult, error) {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	st, err := b.get(ctx)
	if err != nil {
		return notify.ReportResult{}, err
	}
	return st.RecordReport(ctx, r)
}

func (b *boundedStore) RecordReply(ctx context.Context, r notify.Reply) (bool, error) {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	st, err := b.get(ctx)
	if err != nil {
		return false, err
	}
	return st.RecordReply(ctx, r)
}

func (b *boundedStore) Reports(ctx context.Context, messageID string) ([]notify.Report, error) {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	st, err := b.get(ctx)
	if err != nil {
		return nil, err
	}
	return st.Reports(ctx, messageID)
}

func (b *boundedStore) TakeQuotas(ctx context.Context, now time.Time, qs []notify.Quota) (int, time.Duration, error) {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	st, err := b.get(ctx)
	if err != nil {
		return 0, 0, err
	}
	return st.TakeQuotas(ctx, now, qs)
}

func (b *boundedStore) ReturnQuotas(ctx context.Context, taken time.Time, qs []notify.Quota) error {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	st, err := b.get(ctx)
	if err != nil {
		return err
	}
	return st.ReturnQuotas(ctx, taken, qs)
}

func (b *boundedStore) IssueCode(ctx context.Context, c notify.IssuedCode, cooldown time.Duration) error {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	st, err := b.get(ctx)
	if err != nil {
		return err
	}
	return st.IssueCode(ctx, c, cooldown)
}

func (b *boundedStore) RevokeCode(ctx context.Context, key notify.CodeKey, messageID string) error {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	st, err := b.get(ctx)
	if err != nil {
		return err
	}
	return st.RevokeCode(ctx, key, messageID)
}

func (b *boundedStore) VerifyCode(ctx context.Context, key notify.CodeKey, hashes [][]byte, now time.Time, maxAttempts int) (notify.CodeResult, error) {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	st, err := b.get(ctx)
	if err != nil {
		return notify.CodeResult{}, err
	}
	return st.VerifyCode(ctx, key, hashes, now, maxAttempts)
}

func (b *boundedStore) PurgeCodes(ctx context.Context, before time.Time) (int64, error) {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	st, err := b.get(ctx)
	if err != nil {
		return 0, err
	}
	return st.PurgeCodes(ctx, before)
}

func (b *boundedStore) ClaimEscalations(ctx context.Context, now time.Time, limit int) ([]notify.Escalation, error) {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	st, err := b.get(ctx)
	if err != nil {
		return nil, err
	}
	return st.ClaimEscalations(ctx, now, limit)
}

func (b *boundedStore) CreateMessageTakingQuotas(ctx context.Context, m *notify.Message, now time.Time, qs []notify.Quota) (int, time.Duration, error) {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	st, err := b.get(ctx)
	if err != nil {
		return -1, 0, err
	}
	return st.CreateMessageTakingQuotas(ctx, m, now, qs)
}

func (b *boundedStore) AddTask(ctx context.Context, t *notify.Task) error {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	st, err := b.get(ctx)
	if err != nil {
		return err
	}
	return st.AddTask(ctx, t)
}

func (b *boundedStore) Task(ctx context.Context, groupID string, id int64) (*notify.Task, error) {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	st, err := b.get(ctx)
	if err != nil {
		return nil, err
	}
	return st.Task(ctx, groupID, id)
}

func (b *boundedStore) Recharge(ctx context.Context, r notify.Recharge) (bool, error) {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	st, err := b.get(ctx)
	if err != nil {
		return false, err
	}
	return st.Recharge(ctx, r)
}

func (b *boundedStore) Balance(ctx context.Context, groupID, station string) (int64, error) {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	st, err := b.get(ctx)
	if err != nil {
		return 0, err
	}
	return st.Balance(ctx, groupID, station)
}

func (b *boundedStore) Recharges(ctx context.Context, q notify.RechargeQuery) ([]notify.Recharge, bool, error) {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	st, err := b.get(ctx)
	if err != nil {
		return nil, false, err
	}
	return st.Recharges(ctx, q)
}

func (b *boundedStore) SendRecords(ctx context.Context, q notify.SendRecordQuery) ([]notify.SendRecord, bool, error) {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	st, err := b.get(ctx)
	if err != nil {
		return nil, false, err
	}
	return st.SendRecords(ctx, q)
}

func (b *boundedStore) Stations(ctx context.Context, q notify.StationQuery) ([]notify.StationFigures, bool, error) {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	st, err := b.get(ctx)
	if err != nil {
		return nil, false, err
	}
	return st.Stations(ctx, q)
}

func (b *boundedStore) DayCounts(ctx context.Context, groupID, station string, from, to time.Time) ([]notify.DayCount, error) {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	st, err := b.get(ctx)
	if err != nil {
		return nil, err
	}
	return st.DayCounts(ctx, groupID, station, from, to)
}

func (b *boundedStore) Totals(ctx context.Context, groupID string) (notify.SaaSTotals, error) {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	st, err := b.get(ctx)
	if err != nil {
		return notify.SaaSTotals{}, err
	}
	return st.Totals(ctx, groupID)
}

func (b *boundedStore) ClaimEvents(ctx context.Context, now time.Time, lease time.Duration, n int) ([]notify.Event, error) {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	st, err := b.get(ctx)
	if err != nil {
		return nil, err
	}
	return st.ClaimEvents(ctx, now, lease, n)
}

func (b *boundedStore) FinishEvent(ctx context.Context, id string, a notify.Attempt) error {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	st, err := b.get(ctx)
	if err != nil {
		return err
	}
	return st.FinishEvent(ctx, id, a)
}

func (b *boundedStore) MessageEvents(ctx context.Context, messageID string) ([]notify.Event, error) {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	st, err := b.get(ctx)
	if err != nil {
		return nil, err
	}
	return st.MessageEvents(ctx, messageID)
}

func (b *boundedStore) ClaimUnsettled(ctx context.Context, now, since, before time.Time, n int) ([]*notify.Message, error) {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	st, err := b.get(ctx)
	if err != nil {
		return nil, err
	}
	return st.ClaimUnsettled(ctx, now, since, before, n)
}

func (b *boundedStore) Purge(ctx context.Context, p notify.Purge) (notify.Purged, error) {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	st, err := b.get(ctx)
	if err != nil {
		return notify.Purged{}, err
	}
	return st.Purge(ctx, p)
}
