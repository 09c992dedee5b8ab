package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/internal/sqltext"
)

var _ notify.SaaSStore = (*Store)(nil)

// The statements of the SaaS platform's stations (migration 007) that
// differ from the SQLite store's (the rest are in sqltext). A balance
// changes only in a transaction that also writes its ledger row, and
// every change of one station's balance takes the lock of its row
// (saas_balances), so that concurrent spends, from any instance, run one
// after the other: under READ COMMITTED, a spend (sqltext.BalanceTake)
// that waited for the lock checks the balance again as the one before
// left it.
const (
	// taskColumns are sqltext.TaskByID's columns, of saas_tasks as t.
	taskColumns = `t.id, t.group_id, t.station_id, t.restaurant_id, t.receive_name, t.receive_phone, t.content,
	t.business_type, t.message_id, t.created_at, t.started_at`
	// refundSQL is sqltext.LedgerRefund and sqltext.BalanceGiveBack in
	// one statement, to run in the round trip of the outcome it follows,
	// for a message that is in status $2 (failed), dated when the message
	// was last updated.
	refundSQL = `WITH r AS (
	INSERT INTO saas_ledger (group_id, station_id, kind, units, message_id, task_id, created_at)
	SELECT l.group_id, l.station_id, 'refund', -l.units, l.message_id, l.task_id, m.updated_at
	FROM saas_ledger l JOIN messages m ON m.id = l.message_id
	WHERE l.message_id = $1 AND l.message_id <> '' AND l.kind = 'spend' AND m.status = $2
	ON CONFLICT DO NOTHING
	RETURNING group_id, station_id, units)
UPDATE saas_balances b SET units = b.units + r.units
FROM r WHERE b.group_id = r.group_id AND b.station_id = r.station_id`
	// dayCountsSQL counts by Beijing day, UTC+8 all year, as the SQLite
	// store counts, which has no time zones.
	dayCountsSQL = `SELECT to_char((t.created_at AT TIME ZONE 'UTC') + interval '8 hours', 'YYYY-MM-DD') AS day,
	m.status, count(*)
FROM saas_tasks t JOIN messages m ON m.id = t.message_id
WHERE t.group_id = $1 AND t.station_id = $2 AND t.message_id <> ''
	AND ($3::timestamptz IS NULL OR t.created_at >= $3) AND ($4::timestamptz IS NULL OR t.created_at < $4)
GROUP BY day, m.status
ORDER BY day, m.status COLLATE "C"`
)

// The listings' statements, each in its order (After) and in the reverse
// one (Before), for a page (listPage): their last three parameters are
// the key the page starts after (NULL for an id, the empty string for a
// station, when there is none), the number of rows to return, and how
// many to skip.
const (
	sendRecordsSQL = `SELECT ` + taskColumns + `, COALESCE(m.status, ''), COALESCE(m.error_text, '')
FROM saas_tasks t LEFT JOIN messages m ON m.id = t.message_id AND t.message_id <> ''
WHERE t.group_id = $1 AND t.station_id = $2
	AND ($3::timestamptz IS NULL OR t.created_at >= $3) AND ($4::timestamptz IS NULL OR t.created_at < $4)
	AND ($5::text = '' OR strpos(t.receive_phone, $5) > 0 OR strpos(t.receive_name, $5) > 0 OR t.restaurant_id = $6)
	AND (cardinality($7::int[]) = 0 OR t.business_type = ANY ($7))
	AND (cardinality($8::text[]) = 0 OR COALESCE(m.status, '') = ANY ($8))`
	sendRecordsAfterSQL  = sendRecordsSQL + ` AND ($9::bigint IS NULL OR t.id < $9) ORDER BY t.id DESC LIMIT $10 OFFSET $11`
	sendRecordsBeforeSQL = sendRecordsSQL + ` AND ($9::bigint IS NULL OR t.id > $9) ORDER BY t.id LIMIT $10 OFFSET $11`

	rechargesSQL = `SELECT id, group_id, station_id, combo_id, combo_name, units, money_fen, unit_price,
	operator_name, deal_code, remark, created_at
FROM saas_ledger
WHERE group_id = $1 AND ($2::text = '' OR station_id = $2) AND kind = 'recharge'
	AND ($3::timestamptz IS NULL OR created_at >= $3) AND ($4::timestamptz IS NULL OR created_at < $4)
	AND ($5::text = '' OR strpos(deal_code, $5) > 0 OR strpos(remark, $5) > 0 OR strpos(operator_name, $5) > 0
		OR strpos(combo_name, $5) > 0)`
	rechargesAfterSQL  = rechargesSQL + ` AND ($6::bigint IS NULL OR id < $6) ORDER BY id DESC LIMIT $7 OFFSET $8`
	rechargesBeforeSQL = rechargesSQL + ` AND ($6::bigint IS NULL OR id > $6) ORDER BY id LIMIT $7 OFFSET $8`

	// Stations are in the order of their ids' bytes, as in SQLite.
	stationsSQL = `SELECT station_id, units, recharged_units, recharged_fen FROM saas_balances
WHERE group_id = $1 AND (cardinality($2::text[]) = 0 OR station_id = ANY ($2))
	AND ($3::text = '' OR strpos(station_id, $3) > 0)`
	stationsAfterSQL = stationsSQL + ` AND ($4::text = '' OR station_id COLLATE "C" > $4)
ORDER BY station_id COLLATE "C" LIMIT $5 OFFSET $6`
	stationsBeforeSQL = stationsSQL + ` AND ($4::text = '' OR station_id COLLATE "C" < $4)
ORDER BY station_id COLLATE "C" DESC LIMIT $5 OFFSET $6`
)

// AddTask records t and sets t.ID. The task is not started: its MessageID
// and StartedAt are not written.
func (s *Store) AddTask(ctx context.Context, t *notify.Task) error {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return err
	}
	defer done()
	created, err := dbTime("created_at", t.CreatedAt)
	if err != nil {
		return fmt.Errorf("postgres: add task of station %s: %w", t.Station, err)
	}
	var name *string
	if t.ReceiveName != nil {
		n := text(*t.ReceiveName)
		name = &n
	}
	err = s.pool.QueryRow(ctx, sqltext.TaskInsert, text(t.GroupID), text(t.Station), t.RestaurantID, name, text(t.Phone),
		text(t.Content), t.BusinessType, created).Scan(&t.ID)
	if err != nil {
		return fmt.Errorf("postgres: add task of station %s: %w", t.Station, err)
	}
	return nil
}

// Task returns the task id of group groupID. None is an *notify.Error of
// kind NotFound with Reason "not_found".
func (s *Store) Task(ctx context.Context, groupID string, id int64) (*notify.Task, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	t, err := scanTask(s.pool.QueryRow(ctx, sqltext.TaskByID, text(groupID), id).Scan)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, &notify.Error{Op: "postgres.Task", Kind: notify.NotFound, Reason: notify.ReasonNotFound,
			Err: fmt.Errorf("no task %d", id)}
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: read task %d: %w", id, err)
	}
	return &t, nil
}

// scanTask reads the columns of sqltext.TaskByID (taskColumns), and then
// the columns extra, with scan (a pgx.Row's or pgx.Rows's Scan).
func scanTask(scan func(dest ...any) error, extra ...any) (notify.Task, error) {
	var (
		t       notify.Task
		started *time.Time
	)
	err := scan(append([]any{&t.ID, &t.GroupID, &t.Station, &t.RestaurantID, &t.ReceiveName, &t.Phone, &t.Content,
		&t.BusinessType, &t.MessageID, &t.CreatedAt, &started}, extra...)...)
	if started != nil {
		t.StartedAt = *started
	}
	return t, err
}

// Recharge credits r.Units to r.Station and records r, in one
// transaction of two round trips: BEGIN, the ledger's row and the credit
// in one batch, then COMMIT, or ROLLBACK when the group has used r's deal
// code already. That one credits nothing again: when it has r's station,
// combo, units and money, Recharge reports replayed; otherwise it is an
// *notify.Error of kind Conflict with Reason "deal_code_reused". Units
// below 1 or money below 0 is an error.
func (s *Store) Recharge(ctx context.Context, r notify.Recharge) (replayed bool, err error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return false, err
	}
	defer done()
	credited, err := s.credit(ctx, r)
	if err != nil {
		return false, fmt.Errorf("postgres: recharge station %s, deal %q: %w", r.Station, r.DealCode, err)
	}
	if credited {
		return false, nil
	}
	var (
		was                 string
		combo, units, money int64
	)
	err = s.pool.QueryRow(ctx, sqltext.RechargeByDeal, text(r.GroupID), text(r.DealCode)).Scan(&was, &combo, &units, &money)
	if err != nil {
		return false, fmt.Errorf("postgres: recharge station %s: read the recharge of deal %q: %w", r.Station, r.DealCode, err)
	}
	if was != text(r.Station) || combo != r.ComboID || units != r.Units || money != r.MoneyFen {
		return false, &notify.Error{Op: "postgres.Recharge", Kind: notify.Conflict, Reason: notify.ReasonDealCodeReused,
			Err: fmt.Errorf("deal code %q credited %d units for %d fen to station %s already", r.DealCode, units, money, was)}
	}
	return true, nil
}

// credit records r and credits it, unless r's deal code was used: then it
// reports false, and changes nothing.
func (s *Store) credit(ctx context.Context, r notify.Recharge) (bool, error) {
	if r.Units < 1 || r.MoneyFen < 0 {
		return false, fmt.Errorf("%d units for %d fen: want at least 1 unit and 0 fen", r.Units, r.MoneyFen)
	}
	at, err := dbTime("time", r.At)
	if err != nil {
		return false, err
	}
	group, station := text(r.GroupID), text(r.Station)
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return false, fmt.Errorf("connect: %w", err)
	}
	defer c.Release()
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	b.Queue(sqltext.LedgerRecharge, group, station, r.Units, r.MoneyFen, r.ComboID, text(r.ComboName),
		text(r.UnitPrice), text(r.Operator), text(r.DealCode), text(r.Remark), at)
	b.Queue(sqltext.BalanceCredit, group, station, r.Units, r.MoneyFen)
	br := c.SendBatch(ctx, b)
	_, err = br.Exec()
	var tag pgconn.CommandTag
	if err == nil {
		tag, err = br.Exec()
	}
	if err == nil {
		_, err = br.Exec()
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return false, err
	}
	// The credit runs either way, in the batch; it stays only with the
	// ledger's row.
	credited := tag.RowsAffected() != 0
	sql := "COMMIT"
	if !credited {
		sql = "ROLLBACK"
	}
	return credited, end(ctx, c, sql)
}

// Balance returns the units left to a station, 0 for one never recharged.
func (s *Store) Balance(ctx context.Context, groupID, station string) (int64, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return 0, err
	}
	defer done()
	var units int64
	err = s.pool.QueryRow(ctx, sqltext.Balance, text(groupID), text(station)).Scan(&units)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("postgres: read the balance of station %s: %w", station, err)
	}
	return units, nil
}

// Totals returns a group's figures over all its stations.
func (s *Store) Totals(ctx context.Context, groupID string) (notify.SaaSTotals, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return notify.SaaSTotals{}, err
	}
	defer done()
	var t notify.SaaSTotals
	if err := s.pool.QueryRow(ctx, sqltext.Totals, text(groupID)).Scan(&t.Balance, &t.RechargedUnits, &t.RechargedFen); err != nil {
		return notify.SaaSTotals{}, fmt.Errorf("postgres: read the totals of group %s: %w", groupID, err)
	}
	return t, nil
}

// DayCounts counts a station's started tasks added in [from, to) (a zero
// time is unbounded) by Beijing day and status of their messages.
func (s *Store) DayCounts(ctx context.Context, groupID, station string, from, to time.Time) ([]notify.DayCount, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	var days []notify.DayCount
	err = each(ctx, s.pool, dayCountsSQL, []any{text(groupID), text(station), bound(from), bound(to)}, func(r pgx.Rows) error {
		var (
			d      notify.DayCount
			status string
		)
		err := r.Scan(&d.Day, &status, &d.N)
		d.Status = notify.Status(status)
		days = append(days, d)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: count the sends of station %s by day: %w", station, err)
	}
	return days, nil
}

// SendRecords returns the page of a station's tasks that q asks for,
// newest first, and whether more follow in the page's direction.
func (s *Store) SendRecords(ctx context.Context, q notify.SendRecordQuery) ([]notify.SendRecord, bool, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return nil, false, err
	}
	defer done()
	after, err := idKey(q.Page)
	if err != nil {
		return nil, false, err
	}
	var restaurant *int64
	if n, err := strconv.ParseInt(q.Search, 10, 64); err == nil {
		restaurant = &n
	}
	statuses := make([]string, len(q.Statuses))
	for i, st := range q.Statuses {
		statuses[i] = text(string(st))
	}
	sql := sendRecordsAfterSQL
	if q.Page.Reverse {
		sql = sendRecordsBeforeSQL
	}
	args := []any{text(q.GroupID), text(q.Station), bound(q.From), bound(q.To), text(q.Search), restaurant,
		append([]int{}, q.BusinessTypes...), statuses, after} // the types never nil: pgx sends a nil slice as NULL
	recs, more, err := listPage(ctx, s, q.Page, sql, args, func(r pgx.Rows) (notify.SendRecord, error) {
		var (
			rec    notify.SendRecord
			status string
			err    error
		)
		rec.Task, err = scanTask(r.Scan, &status, &rec.ErrorText)
		rec.Status = notify.Status(status)
		return rec, err
	})
	if err != nil {
		return nil, false, fmt.Errorf("postgres: list the send records of station %s: %w", q.Station, err)
	}
	return recs, more, nil
}

// Recharges returns the page of a station's recharges (every station's
// when q.Station is "") that q asks for, newest first, and whether more
// follow in the page's direction.
func (s *Store) Recharges(ctx context.Context, q notify.RechargeQuery) ([]notify.Recharge, bool, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return nil, false, err
	}
	defer done()
	after, err := idKey(q.Page)
	if err != nil {
		return nil, false, err
	}
	sql := rechargesAfterSQL
	if q.Page.Reverse {
		sql = rechargesBeforeSQL
	}
	args := []any{text(q.GroupID), text(q.Station), bound(q.From), bound(q.To), text(q.Q), after}
	rs, more, err := listPage(ctx, s, q.Page, sql, args, func(r pgx.Rows) (notify.Recharge, error) {
		var rc notify.Recharge
		err := r.Scan(&rc.ID, &rc.GroupID, &rc.Station, &rc.ComboID, &rc.ComboName, &rc.Units, &rc.MoneyFen,
			&rc.UnitPrice, &rc.Operator, &rc.DealCode, &rc.Remark, &rc.At)
		return rc, err
	})
	if err != nil {
		return nil, false, fmt.Errorf("postgres: list the recharges of station %s: %w", q.Station, err)
	}
	return rs, more, nil
}

// Stations returns the page of a group's stations that q asks for, by
// station id, and whether more follow in the page's direction.
func (s *Store) Stations(ctx context.Context, q notify.StationQuery) ([]notify.StationFigures, bool, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return nil, false, err
	}
	defer done()
	if err := checkPage(q.Page); err != nil {
		return nil, false, err
	}
	stations := make([]string, len(q.Stations))
	for i, st := range q.Stations {
		stations[i] = text(st)
	}
	sql := stationsAfterSQL
	if q.Page.Reverse {
		sql = stationsBeforeSQL
	}
	args := []any{text(q.GroupID), stations, text(q.Q), text(q.Page.After)}
	fs, more, err := listPage(ctx, s, q.Page, sql, args, func(r pgx.Rows) (notify.StationFigures, error) {
		var f notify.StationFigures
		err := r.Scan(&f.Station, &f.Balance, &f.RechargedUnits, &f.RechargedFen)
		return f, err
	})
	if err != nil {
		return nil, false, fmt.Errorf("postgres: list the stations of group %s: %w", q.GroupID, err)
	}
	return fs, more, nil
}

// listPage runs sql, a listing's statement in the page's direction, with
// args (the key last), then p.Limit+1 and p.Offset, and reads each row
// with read. It returns at most p.Limit items, in the listing's order,
// and whether there were more.
func listPage[T any](ctx context.Context, s *Store, p notify.Page, sql string, args []any, read func(pgx.Rows) (T, error)) ([]T, bool, error) {
	var items []T
	err := each(ctx, s.pool, sql, append(args, p.Limit+1, p.Offset), func(r pgx.Rows) error {
		it, err := read(r)
		items = append(items, it)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	items, more := notify.Cut(p, items)
	return items, more, nil
}

// checkPage refuses a page with a negative limit or offset.
func checkPage(p notify.Page) error {
	if p.Limit < 0 || p.Offset < 0 {
		return notify.Invalidf("page_obj", notify.ReasonInvalidField, "page of %d items after %d: want no negative number", p.Limit, p.Offset)
	}
	return nil
}

// idKey returns the id a page of an id listing starts after, nil for
// none.
func idKey(p notify.Page) (*int64, error) {
	if err := checkPage(p); err != nil || p.After == "" {
		return nil, err
	}
	id, err := strconv.ParseInt(p.After, 10, 64)
	if err != nil {
		return nil, notify.Invalidf("page_obj", notify.ReasonInvalidField, "page key %q is not an id", p.After)
	}
	return &id, nil
}

// bound returns a query's time bound as the stored times compare with it
// (to the millisecond), or nil for the zero time, no bound.
func bound(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC().Truncate(time.Millisecond)
	return &t
}

// queueSpend queues on b the statements of m.Spend that follow the insert
// of m: the link of its task to m, and, when it costs units, their take
// from the balance and the ledger's row, which the transaction must not
// keep if the take took none.
func queueSpend(b *pgx.Batch, m *notify.Message) {
	sp := m.Spend
	id, group, station := text(m.ID), text(m.GroupID), text(sp.Station)
	created := m.CreatedAt.UTC().Truncate(time.Millisecond) // as createArgs stores it
	b.Queue(sqltext.TaskStart, id, created, group, station, sp.TaskID, text(sp.Prev))
	if sp.Units > 0 {
		b.Queue(sqltext.BalanceTake, sp.Units, group, station)
		b.Queue(sqltext.LedgerSpend, group, station, -sp.Units, id, sp.TaskID, created)
	}
}

// readSpend reads the results of queueSpend's statements. A task that
// its station does not have, or a balance too low, is a refusal: an
// *notify.Error for the caller, whose transaction must then be rolled
// back.
func readSpend(br pgx.BatchResults, m *notify.Message) (refusal, err error) {
	sp := m.Spend
	tag, err := br.Exec()
	if err != nil {
		return nil, fmt.Errorf("start task %d: %w", sp.TaskID, err)
	}
	if tag.RowsAffected() == 0 {
		refusal = errTaskNotLinked
	}
	if sp.Units == 0 {
		return refusal, nil
	}
	if tag, err = br.Exec(); err != nil {
		return nil, fmt.Errorf("spend %d units of station %s: %w", sp.Units, sp.Station, err)
	}
	if refusal == nil && tag.RowsAffected() == 0 {
		refusal = &notify.Error{Op: "postgres.CreateMessage", Kind: notify.Insufficient, Reason: notify.ReasonBalanceTooLow,
			Err: fmt.Errorf("station %s has fewer than %d units", sp.Station, sp.Units)}
	}
	if _, err := br.Exec(); err != nil {
		return nil, fmt.Errorf("record the spend of %d units of station %s: %w", sp.Units, sp.Station, err)
	}
	return refusal, nil
}

// errTaskNotLinked is readSpend's refusal of a start whose task was not
// linked to its message; taskRefusal tells why, once the transaction is
// rolled back.
var errTaskNotLinked = errors.New("the task was not linked to the message")

// taskRefusal is the refusal of m's start of its task, which was not
// linked to it: when the task exists, another message started it since
// m's Spend.Prev; otherwise its station has no such task.
func taskRefusal(ctx context.Context, c querier, m *notify.Message) error {
	sp := m.Spend
	var exists bool
	if err := c.QueryRow(ctx, sqltext.TaskExists, text(m.GroupID), text(sp.Station), sp.TaskID).Scan(&exists); err != nil {
		return fmt.Errorf("postgres: create message %s: find task %d: %w", m.ID, sp.TaskID, err)
	}
	if exists {
		return &notify.Error{Op: "postgres.CreateMessage", Kind: notify.Conflict, Reason: notify.ReasonTaskStarted,
			Err: fmt.Errorf("message %s: task %d was started by another message since %q", m.ID, sp.TaskID, sp.Prev)}
	}
	return &notify.Error{Op: "postgres.CreateMessage", Kind: notify.NotFound, Reason: notify.ReasonNotFound,
		Err: fmt.Errorf("message %s: no task %d of station %s", m.ID, sp.TaskID, sp.Station)}
}

// checkSpend refuses a spend no store should record.
func checkSpend(sp *notify.Spend) error {
	if sp != nil && sp.Units < 0 {
		return fmt.Errorf("spend of %d units: want at least 0", sp.Units)
	}
	return nil
}
