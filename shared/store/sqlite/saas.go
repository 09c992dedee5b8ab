package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/internal/sqltext"
)

var _ notify.SaaSStore = (*Store)(nil)

// The SaaS statements that differ from the PostgreSQL store's (the rest
// are in sqltext): substrings are found with instr, days with date, and
// the listings are put together from the filters a query sets.
const (
	// sendRecordsSQL lists tasks with the status of their messages.
	sendRecordsSQL = `SELECT t.id, t.group_id, t.station_id, t.restaurant_id, t.receive_name, t.receive_phone,
	t.content, t.business_type, t.message_id, t.created_at, t.started_at,
	COALESCE(m.status, ''), COALESCE(m.error_text, '')
FROM saas_tasks t LEFT JOIN messages m ON m.id = t.message_id AND t.message_id <> ''`
	rechargesSQL = `SELECT id, group_id, station_id, combo_id, combo_name, units, money_fen, unit_price, operator_name,
	deal_code, remark, created_at
FROM saas_ledger`
	stationsSQL = `SELECT station_id, units, recharged_units, recharged_fen FROM saas_balances`
	// dayCountsSQL counts a station's started tasks by Beijing day (UTC+8,
	// which keeps no summer time) and status, in [$3, $4) ('': unbounded).
	dayCountsSQL = `SELECT date(t.created_at, '+8 hours') AS day, m.status, count(*)
FROM saas_tasks t JOIN messages m ON m.id = t.message_id
WHERE t.group_id = $1 AND t.station_id = $2 AND t.message_id <> ''
	AND ($3 = '' OR t.created_at >= $3) AND ($4 = '' OR t.created_at < $4)
GROUP BY day, m.status
ORDER BY day, m.status`
)

// AddTask records t, not yet started, and sets t.ID.
func (s *Store) AddTask(ctx context.Context, t *notify.Task) error {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return err
	}
	defer done()
	defer s.wrote()
	if err := checkTime("created_at", t.CreatedAt); err != nil {
		return fmt.Errorf("sqlite: add task of station %s: %w", t.Station, err)
	}
	err = s.db.QueryRowContext(ctx, sqltext.TaskInsert, t.GroupID, t.Station, t.RestaurantID, t.ReceiveName, t.Phone,
		t.Content, t.BusinessType, formatTime(t.CreatedAt)).Scan(&t.ID)
	if err != nil {
		return fmt.Errorf("sqlite: add task of station %s: %w", t.Station, err)
	}
	return nil
}

// Task returns task id of group groupID. An unknown one, or another
// group's, is an *notify.Error of kind NotFound with Reason "not_found".
func (s *Store) Task(ctx context.Context, groupID string, id int64) (*notify.Task, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	t, err := scanTask(s.taskByID.QueryRowContext(ctx, groupID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, &notify.Error{Op: "sqlite.Task", Kind: notify.NotFound, Reason: notify.ReasonNotFound,
			Err: fmt.Errorf("no task %d of group %s", id, groupID)}
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: read task %d: %w", id, err)
	}
	return t, nil
}

// scanTask reads a task's columns, as sqltext.TaskByID lists them, and
// then extra.
func scanTask(row interface{ Scan(...any) error }, extra ...any) (*notify.Task, error) {
	var (
		t                notify.Task
		restaurant       sql.NullInt64
		name             sql.NullString
		created, started string
	)
	err := row.Scan(append([]any{&t.ID, &t.GroupID, &t.Station, &restaurant, &name, &t.Phone, &t.Content,
		&t.BusinessType, &t.MessageID, &created, &started}, extra...)...)
	if err != nil {
		return nil, err
	}
	if restaurant.Valid {
		t.RestaurantID = &restaurant.Int64
	}
	if name.Valid {
		t.ReceiveName = &name.String
	}
	if t.CreatedAt, err = parseTime(created); err != nil {
		return nil, fmt.Errorf("task %d: created_at: %w", t.ID, err)
	}
	if started != "" {
		if t.StartedAt, err = parseTime(started); err != nil {
			return nil, fmt.Errorf("task %d: started_at: %w", t.ID, err)
		}
	}
	return &t, nil
}

// spend carries out m.Spend in tx, in which m was recorded: it links the
// task to m and, for Units above 0, takes them from the station's balance
// and writes the spend's row of the ledger. A task that is not the
// station's is the not_found *notify.Error, a balance below Units the
// balance_too_low one; the caller's rollback then undoes m.
func (s *Store) spend(ctx context.Context, tx *sql.Tx, m *notify.Message) error {
	sp := m.Spend
	if sp.Units < 0 {
		return fmt.Errorf("sqlite: create message %s: spend %d units: want at least 0", m.ID, sp.Units)
	}
	at := formatTime(m.CreatedAt)
	res, err := tx.StmtContext(ctx, s.taskStart).ExecContext(ctx, m.ID, at, m.GroupID, sp.Station, sp.TaskID, sp.Prev)
	if err != nil {
		return fmt.Errorf("sqlite: create message %s: start task %d: %w", m.ID, sp.TaskID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite: create message %s: start task %d: %w", m.ID, sp.TaskID, err)
	} else if n == 0 {
		var exists bool
		if err := tx.QueryRowContext(ctx, sqltext.TaskExists, m.GroupID, sp.Station, sp.TaskID).Scan(&exists); err != nil {
			return fmt.Errorf("sqlite: create message %s: start task %d: %w", m.ID, sp.TaskID, err)
		}
		return taskRefusal("sqlite.CreateMessage", m, exists)
	}
	if sp.Units == 0 {
		return nil
	}
	res, err = tx.StmtContext(ctx, s.balanceTake).ExecContext(ctx, sp.Units, m.GroupID, sp.Station)
	if err != nil {
		return fmt.Errorf("sqlite: create message %s: spend %d units of station %s: %w", m.ID, sp.Units, sp.Station, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite: create message %s: spend %d units of station %s: %w", m.ID, sp.Units, sp.Station, err)
	} else if n == 0 {
		return &notify.Error{Op: "sqlite.CreateMessage", Kind: notify.Insufficient, Reason: notify.ReasonBalanceTooLow,
			Err: fmt.Errorf("message %s: station %s has fewer than %d units", m.ID, sp.Station, sp.Units)}
	}
	if _, err := tx.StmtContext(ctx, s.ledgerSpend).ExecContext(ctx, m.GroupID, sp.Station, -sp.Units, m.ID, sp.TaskID, at); err != nil {
		return fmt.Errorf("sqlite: create message %s: record the spend: %w", m.ID, err)
	}
	return nil
}

// refund gives back in tx what message id spent, at at, unless it spent
// nothing or was given it back already.
func (s *Store) refund(ctx context.Context, tx *sql.Tx, id string, at time.Time) error {
	var (
		group, station string
		units          int64
	)
	err := tx.StmtContext(ctx, s.ledgerRefund).QueryRowContext(ctx, id, formatTime(at)).Scan(&group, &station, &units)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = tx.StmtContext(ctx, s.balanceGiveBack).ExecContext(ctx, group, station, units)
	return err
}

// Recharge credits r.Units to r.Station and records r, in one IMMEDIATE
// transaction. A recharge whose DealCode the group has used reports
// replayed when the first one had r's station, combo, units and money;
// with other values it is an *notify.Error of kind Conflict with Reason
// "deal_code_reused". Either way it credits nothing. Fewer than 1 unit, or
// negative money, is an error.
func (s *Store) Recharge(ctx context.Context, r notify.Recharge) (replayed bool, err error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return false, err
	}
	defer done()
	defer s.wrote()
	if r.Units < 1 || r.MoneyFen < 0 {
		return false, fmt.Errorf("sqlite: recharge station %s: %d units for %d fen: want at least 1 unit and 0 fen",
			r.Station, r.Units, r.MoneyFen)
	}
	if err := checkTime("recharge time", r.At); err != nil {
		return false, fmt.Errorf("sqlite: recharge station %s: %w", r.Station, err)
	}
	replayed, err = s.recharge(ctx, r)
	if err != nil && notify.KindOf(err) == notify.Internal {
		return false, fmt.Errorf("sqlite: recharge station %s: %w", r.Station, err)
	}
	return replayed, err
}

func (s *Store) recharge(ctx context.Context, r notify.Recharge) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, sqltext.LedgerRecharge, r.GroupID, r.Station, r.Units, r.MoneyFen, r.ComboID,
		r.ComboName, r.UnitPrice, r.Operator, r.DealCode, r.Remark, formatTime(r.At))
	if err != nil {
		return false, fmt.Errorf("record it: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record it: %w", err)
	}
	if n == 0 {
		// Nothing was written: the deferred Rollback ends the transaction.
		return replayedRecharge(ctx, tx, r)
	}
	if _, err := tx.ExecContext(ctx, sqltext.BalanceCredit, r.GroupID, r.Station, r.Units, r.MoneyFen); err != nil {
		return false, fmt.Errorf("credit it: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("commit: %w", err)
	}
	return false, nil
}

// replayedRecharge tells whether r, whose deal code its group used
// already, is that recharge again (true) or another (the Conflict error).
func replayedRecharge(ctx context.Context, tx *sql.Tx, r notify.Recharge) (bool, error) {
	var first notify.Recharge
	err := tx.QueryRowContext(ctx, sqltext.RechargeByDeal, r.GroupID, r.DealCode).Scan(&first.Station, &first.ComboID,
		&first.Units, &first.MoneyFen)
	if err != nil {
		return false, fmt.Errorf("read the recharge of deal code %q: %w", r.DealCode, err)
	}
	if first.Station != r.Station || first.ComboID != r.ComboID || first.Units != r.Units || first.MoneyFen != r.MoneyFen {
		return false, &notify.Error{Op: "sqlite.Recharge", Kind: notify.Conflict, Reason: notify.ReasonDealCodeReused,
			Err: fmt.Errorf("deal code %q credited station %s with %d units of combo %d for %d fen", r.DealCode,
				first.Station, first.Units, first.ComboID, first.MoneyFen)}
	}
	return true, nil
}

// Balance returns the units left to a station; 0 for one never recharged.
func (s *Store) Balance(ctx context.Context, groupID, station string) (int64, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return 0, err
	}
	defer done()
	var units int64
	err = s.db.QueryRowContext(ctx, sqltext.Balance, groupID, station).Scan(&units)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("sqlite: read the balance of station %s: %w", station, err)
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
	err = s.db.QueryRowContext(ctx, sqltext.Totals, groupID).Scan(&t.Balance, &t.RechargedUnits, &t.RechargedFen)
	if err != nil {
		return notify.SaaSTotals{}, fmt.Errorf("sqlite: sum the balances of group %s: %w", groupID, err)
	}
	return t, nil
}

// SendRecords returns a page of a station's tasks, newest first, with the
// status of their messages.
func (s *Store) SendRecords(ctx context.Context, q notify.SendRecordQuery) ([]notify.SendRecord, bool, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return nil, false, err
	}
	defer done()
	after, err := idAfter(q.Page, "a task")
	if err != nil {
		return nil, false, err
	}
	l := listing{key: "t.id", desc: true}
	l.and("t.group_id = " + l.arg(q.GroupID))
	l.and("t.station_id = " + l.arg(q.Station))
	l.during("t.created_at", q.From, q.To)
	if q.Search != "" {
		v := l.arg(q.Search)
		l.and("(instr(t.receive_phone, " + v + ") > 0 OR instr(t.receive_name, " + v + ") > 0" +
			" OR CAST(t.restaurant_id AS TEXT) = " + v + ")")
	}
	if len(q.BusinessTypes) > 0 {
		l.and("t.business_type IN " + in(&l, q.BusinessTypes))
	}
	if len(q.Statuses) > 0 {
		l.and("COALESCE(m.status, '') IN " + in(&l, q.Statuses))
	}
	rs, more, err := readPage(ctx, s.db, sendRecordsSQL, &l, q.Page, after,
		func(rows *sql.Rows) (notify.SendRecord, error) {
			var r notify.SendRecord
			t, err := scanTask(rows, &r.Status, &r.ErrorText)
			if err != nil {
				return r, err
			}
			r.Task = *t
			return r, nil
		})
	if err != nil {
		return nil, false, fmt.Errorf("sqlite: list the tasks of station %s: %w", q.Station, err)
	}
	return rs, more, nil
}

// Recharges returns a page of a station's recharges (every station's when
// q.Station is ""), newest first.
func (s *Store) Recharges(ctx context.Context, q notify.RechargeQuery) ([]notify.Recharge, bool, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return nil, false, err
	}
	defer done()
	after, err := idAfter(q.Page, "a recharge")
	if err != nil {
		return nil, false, err
	}
	l := listing{key: "id", desc: true}
	l.and("kind = 'recharge'")
	l.and("group_id = " + l.arg(q.GroupID))
	if q.Station != "" {
		l.and("station_id = " + l.arg(q.Station))
	}
	l.during("created_at", q.From, q.To)
	if q.Q != "" {
		v := l.arg(q.Q)
		l.and("(instr(deal_code, " + v + ") > 0 OR instr(remark, " + v + ") > 0 OR instr(operator_name, " + v +
			") > 0 OR instr(combo_name, " + v + ") > 0)")
	}
	rs, more, err := readPage(ctx, s.db, rechargesSQL, &l, q.Page, after,
		func(rows *sql.Rows) (notify.Recharge, error) {
			var (
				r  notify.Recharge
				at string
			)
			err := rows.Scan(&r.ID, &r.GroupID, &r.Station, &r.ComboID, &r.ComboName, &r.Units, &r.MoneyFen,
				&r.UnitPrice, &r.Operator, &r.DealCode, &r.Remark, &at)
			if err == nil {
				r.At, err = parseTime(at)
			}
			return r, err
		})
	if err != nil {
		return nil, false, fmt.Errorf("sqlite: list the recharges of station %s: %w", q.Station, err)
	}
	return rs, more, nil
}

// Stations returns a page of a group's stations that have a balance, by
// station id.
func (s *Store) Stations(ctx context.Context, q notify.StationQuery) ([]notify.StationFigures, bool, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return nil, false, err
	}
	defer done()
	l := listing{key: "station_id"}
	l.and("group_id = " + l.arg(q.GroupID))
	if len(q.Stations) > 0 {
		l.and("station_id IN " + in(&l, q.Stations))
	}
	if q.Q != "" {
		l.and("instr(station_id, " + l.arg(q.Q) + ") > 0")
	}
	var after any
	if q.Page.After != "" {
		after = q.Page.After
	}
	fs, more, err := readPage(ctx, s.db, stationsSQL, &l, q.Page, after,
		func(rows *sql.Rows) (notify.StationFigures, error) {
			var f notify.StationFigures
			err := rows.Scan(&f.Station, &f.Balance, &f.RechargedUnits, &f.RechargedFen)
			return f, err
		})
	if err != nil {
		return nil, false, fmt.Errorf("sqlite: list the stations of group %s: %w", q.GroupID, err)
	}
	return fs, more, nil
}

// DayCounts counts a station's started tasks added in [from, to) by
// Beijing day and status of their messages, in that order; a zero from or
// to is unbounded.
func (s *Store) DayCounts(ctx context.Context, groupID, station string, from, to time.Time) ([]notify.DayCount, error) {
	ctx, done, err := s.gate.Enter(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	var since, until string
	if !from.IsZero() {
		since = formatTime(from)
	}
	if !to.IsZero() {
		until = formatTime(to)
	}
	rows, err := s.db.QueryContext(ctx, dayCountsSQL, groupID, station, since, until)
	if err != nil {
		return nil, fmt.Errorf("sqlite: count the tasks of station %s by day: %w", station, err)
	}
	defer rows.Close()
	var counts []notify.DayCount
	for rows.Next() {
		var c notify.DayCount
		if err := rows.Scan(&c.Day, &c.Status, &c.N); err != nil {
			return nil, fmt.Errorf("sqlite: count the tasks of station %s by day: %w", station, err)
		}
		counts = append(counts, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: count the tasks of station %s by day: %w", station, err)
	}
	return counts, nil
}

// listing is the query of a listing, ordered by the column key (descending
// when desc), as it is put together: its conditions and their arguments.
type listing struct {
	key   string
	desc  bool
	where []string
	args  []any
}

// arg adds v to the arguments and returns its placeholder.
func (l *listing) arg(v any) string {
	l.args = append(l.args, v)
	return "$" + strconv.Itoa(len(l.args))
}

// and adds a condition.
func (l *listing) and(cond string) {
	l.where = append(l.where, cond)
}

// during keeps the rows whose time column col is in [from, to); a zero
// bound is none.
func (l *listing) during(col string, from, to time.Time) {
	if !from.IsZero() {
		l.and(col + " >= " + l.arg(formatTime(from)))
	}
	if !to.IsZero() {
		l.and(col + " < " + l.arg(formatTime(to)))
	}
}

// in adds vs to the arguments and returns the list of their placeholders,
// "($1, $2)".
func in[T any](l *listing, vs []T) string {
	ps := make([]string, len(vs))
	for i, v := range vs {
		ps[i] = l.arg(v)
	}
	return "(" + strings.Join(ps, ", ") + ")"
}

// readPage runs query with l's conditions and reads page p of its rows
// with scan; after is the value of l's key that p.After names, nil for
// none. It reads one row more than p.Limit, from After on in p's
// direction, to tell whether more follow, and returns the page in the
// listing's order.
func readPage[T any](ctx context.Context, db *sql.DB, query string, l *listing, p notify.Page, after any,
	scan func(*sql.Rows) (T, error)) ([]T, bool, error) {
	down := l.desc != p.Reverse // the rows are read in descending order
	if after != nil {
		op := " > "
		if down {
			op = " < "
		}
		l.and(l.key + op + l.arg(after))
	}
	order := " ASC"
	if down {
		order = " DESC"
	}
	query += " WHERE " + strings.Join(l.where, " AND ") + " ORDER BY " + l.key + order +
		" LIMIT " + l.arg(p.Limit+1) + " OFFSET " + l.arg(p.Offset)
	rows, err := db.QueryContext(ctx, query, l.args...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	var items []T
	for rows.Next() {
		item, err := scan(rows)
		if err != nil {
			return nil, false, err
		}
		items = append(items, item)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	items, more := notify.Cut(p, items)
	return items, more, nil
}

// idAfter returns the id p.After names, or nil when it is "". A key that
// is not a decimal id is the invalid page_obj *notify.Error.
func idAfter(p notify.Page, what string) (any, error) {
	if p.After == "" {
		return nil, nil
	}
	id, err := strconv.ParseInt(p.After, 10, 64)
	if err != nil || id < 0 {
		return nil, notify.Invalidf("page_obj", notify.ReasonInvalidField, "page key %q is not the id of %s", p.After, what)
	}
	return id, nil
}

// taskRefusal is the refusal of m's start of its task when the task was
// not linked to it: exists, the task was started by another message since
// m's Spend.Prev; otherwise its station has no such task.
func taskRefusal(op string, m *notify.Message, exists bool) *notify.Error {
	sp := m.Spend
	if exists {
		return &notify.Error{Op: op, Kind: notify.Conflict, Reason: notify.ReasonTaskStarted,
			Err: fmt.Errorf("message %s: task %d was started by another message since %q", m.ID, sp.TaskID, sp.Prev)}
	}
	return &notify.Error{Op: op, Kind: notify.NotFound, Reason: notify.ReasonNotFound,
		Err: fmt.Errorf("message %s: no task %d of station %s", m.ID, sp.TaskID, sp.Station)}
}
