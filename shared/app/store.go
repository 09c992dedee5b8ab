package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed4ddb146e/notify/shared/config"
	"github.com/seed4ddb146e/notify/shared/notify"
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
	Close() error
}

var (
	_ Store = (*postgres.Store)(nil)
	_ Store = (*lazyStore)(nil)
)

// errNoSQLite is what a build without the embedded store says of a
// sqlite: URL.
var errNoSQLite = errors.New("this build has no embedded SQLite store (it was built with -tags nosqlite, " +
	"as the cloud builds are): set NOTIFY_DATABASE_URL to a postgres:// URL")

// OpenStore opens the store cfg.DatabaseURL names and applies its
// migrations.
func OpenStore(ctx context.Context, cfg config.Config) (Store, error) {
	kind, target, err := storeTarget(cfg)
	if err != nil {
		return nil, err
	}
	if kind == "sqlite" {
		return openSQLite(ctx, target)
	}
	return postgres.Open(ctx, target)
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
// starts. A failed open is an *notify.Error of kind Unavailable for that
// call, and the next call tries again. A URL this build cannot open is an
// error at once.
func LazyStore(cfg config.Config) (Store, error) {
	if _, _, err := storeTarget(cfg); err != nil {
		return nil, err
	}
	return &lazyStore{open: func(ctx context.Context) (Store, error) { return OpenStore(ctx, cfg) }}, nil
}

// lazyStore opens its store on first use. Calls that find it open take no
// lock; calls that race to open it wait for the first.
type lazyStore struct {
	open func(context.Context) (Store, error)
	st   atomic.Pointer[Store]
	mu   sync.Mutex // held while opening
}

func (l *lazyStore) get(ctx context.Context) (Store, error) {
	if st := l.st.Load(); st != nil {
		return *st, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if st := l.st.Load(); st != nil {
		return *st, nil
	}
	st, err := l.open(ctx)
	if err != nil {
		return nil, notify.E("store.open", notify.Unavailable, err)
	}
	l.st.Store(&st)
	return st, nil
}

// Close closes the store if it was opened.
func (l *lazyStore) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if st := l.st.Swap(nil); st != nil {
		return (*st).Close()
	}
	return nil
}

func (l *lazyStore) CreateMessage(ctx context.Context, m *notify.Message) error {
	st, err := l.get(ctx)
	if err != nil {
		return err
	}
	return st.CreateMessage(ctx, m)
}

func (l *lazyStore) FinishMessage(ctx context.Context, id string, o notify.Outcome) error {
	st, err := l.get(ctx)
	if err != nil {
		return err
	}
	return st.FinishMessage(ctx, id, o)
}

func (l *lazyStore) Message(ctx context.Context, id string) (*notify.Message, error) {
	st, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	return st.Message(ctx, id)
}

func (l *lazyStore) MessageByQueueKey(ctx context.Context, key string) (*notify.Message, error) {
	st, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	return st.MessageByQueueKey(ctx, key)
}

func (l *lazyStore) FindMessages(ctx context.Context, q notify.MessageQuery) ([]*notify.Message, int, error) {
	st, err := l.get(ctx)
	if err != nil {
		return nil, 0, err
	}
	return st.FindMessages(ctx, q)
}

func (l *lazyStore) ClaimIdempotency(ctx context.Context, k notify.Idempotency) (*notify.Idempotency, error) {
	st, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	return st.ClaimIdempotency(ctx, k)
}

func (l *lazyStore) CompleteIdempotency(ctx context.Context, groupID, key string, status int, reply []byte) error {
	st, err := l.get(ctx)
	if err != nil {
		return err
	}
	return st.CompleteIdempotency(ctx, groupID, key, status, reply)
}

func (l *lazyStore) ReleaseIdempotency(ctx context.Context, groupID, key string) error {
	st, err := l.get(ctx)
	if err != nil {
		return err
	}
	return st.ReleaseIdempotency(ctx, groupID, key)
}

func (l *lazyStore) RecordReport(ctx context.Context, r notify.Report) (notify.ReportResult, error) {
	st, err := l.get(ctx)
	if err != nil {
		return notify.ReportResult{}, err
	}
	return st.RecordReport(ctx, r)
}

func (l *lazyStore) RecordReply(ctx context.Context, r notify.Reply) (bool, error) {
	st, err := l.get(ctx)
	if err != nil {
		return false, err
	}
	return st.RecordReply(ctx, r)
}

func (l *lazyStore) Reports(ctx context.Context, messageID string) ([]notify.Report, error) {
	st, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	return st.Reports(ctx, messageID)
}

func (l *lazyStore) TakeQuotas(ctx context.Context, now time.Time, qs []notify.Quota) (int, time.Duration, error) {
	st, err := l.get(ctx)
	if err != nil {
		return 0, 0, err
	}
	return st.TakeQuotas(ctx, now, qs)
}

func (l *lazyStore) ReturnQuotas(ctx context.Context, taken time.Time, qs []notify.Quota) error {
	st, err := l.get(ctx)
	if err != nil {
		return err
	}
	return st.ReturnQuotas(ctx, taken, qs)
}

func (l *lazyStore) IssueCode(ctx context.Context, c notify.IssuedCode, cooldown time.Duration) error {
	st, err := l.get(ctx)
	if err != nil {
		return err
	}
	return st.IssueCode(ctx, c, cooldown)
}

func (l *lazyStore) RevokeCode(ctx context.Context, key notify.CodeKey, messageID string) error {
	st, err := l.get(ctx)
	if err != nil {
		return err
	}
	return st.RevokeCode(ctx, key, messageID)
}

func (l *lazyStore) VerifyCode(ctx context.Context, key notify.CodeKey, hashes [][]byte, now time.Time, maxAttempts int) (notify.CodeResult, error) {
	st, err := l.get(ctx)
	if err != nil {
		return notify.CodeResult{}, err
	}
	return st.VerifyCode(ctx, key, hashes, now, maxAttempts)
}

func (l *lazyStore) PurgeCodes(ctx context.Context, before time.Time) (int64, error) {
	st, err := l.get(ctx)
	if err != nil {
		return 0, err
	}
	return st.PurgeCodes(ctx, before)
}

func (l *lazyStore) CreateMessageTakingQuotas(ctx context.Context, m *notify.Message, now time.Time, qs []notify.Quota) (int, time.Duration, error) {
	st, err := l.get(ctx)
	if err != nil {
		return -1, 0, err
	}
	return st.CreateMessageTakingQuotas(ctx, m, now, qs)
}

func (l *lazyStore) AddTask(ctx context.Context, t *notify.Task) error {
	st, err := l.get(ctx)
	if err != nil {
		return err
	}
	return st.AddTask(ctx, t)
}

func (l *lazyStore) Task(ctx context.Context, groupID string, id int64) (*notify.Task, error) {
	st, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	return st.Task(ctx, groupID, id)
}

func (l *lazyStore) Recharge(ctx context.Context, r notify.Recharge) (bool, error) {
	st, err := l.get(ctx)
	if err != nil {
		return false, err
	}
	return st.Recharge(ctx, r)
}

func (l *lazyStore) Balance(ctx context.Context, groupID, station string) (int64, error) {
	st, err := l.get(ctx)
	if err != nil {
		return 0, err
	}
	return st.Balance(ctx, groupID, station)
}

func (l *lazyStore) Recharges(ctx context.Context, q notify.RechargeQuery) ([]notify.Recharge, bool, error) {
	st, err := l.get(ctx)
	if err != nil {
		return nil, false, err
	}
	return st.Recharges(ctx, q)
}

func (l *lazyStore) SendRecords(ctx context.Context, q notify.SendRecordQuery) ([]notify.SendRecord, bool, error) {
	st, err := l.get(ctx)
	if err != nil {
		return nil, false, err
	}
	return st.SendRecords(ctx, q)
}

func (l *lazyStore) Stations(ctx context.Context, q notify.StationQuery) ([]notify.StationFigures, bool, error) {
	st, err := l.get(ctx)
	if err != nil {
		return nil, false, err
	}
	return st.Stations(ctx, q)
}

func (l *lazyStore) DayCounts(ctx context.Context, groupID, station string, from, to time.Time) ([]notify.DayCount, error) {
	st, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	return st.DayCounts(ctx, groupID, station, from, to)
}

func (l *lazyStore) Totals(ctx context.Context, groupID string) (notify.SaaSTotals, error) {
	st, err := l.get(ctx)
	if err != nil {
		return notify.SaaSTotals{}, err
	}
	return st.Totals(ctx, groupID)
}
