package sqltext

// The SaaS platform's stations: tasks, balances and their ledger.
const (
	// TaskInsert records a task not yet started and returns its id.
	TaskInsert = `INSERT INTO saas_tasks (group_id, station_id, restaurant_id, receive_name, receive_phone, content,
	business_type, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING id`
	TaskByID = `SELECT id, group_id, station_id, restaurant_id, receive_name, receive_phone, content, business_type,
	message_id, created_at, started_at
FROM saas_tasks WHERE group_id = $1 AND id = $2`
	// TaskStart links task $5 of group $3's station $4 to message $1,
	// which starts it at $2, unless its message is no longer $6 (another
	// start came first). No row changed: that, or no such task (TaskExists
	// tells which).
	TaskStart = `UPDATE saas_tasks SET message_id = $1, started_at = $2
WHERE group_id = $3 AND station_id = $4 AND id = $5 AND message_id = $6`
	TaskExists = `SELECT EXISTS (SELECT 1 FROM saas_tasks WHERE group_id = $1 AND station_id = $2 AND id = $3)`
	// BalanceTake takes $1 units from a balance that holds them. No row
	// changed: too few units, or no balance.
	BalanceTake = `UPDATE saas_balances SET units = units - $1 WHERE group_id = $2 AND station_id = $3 AND units >= $1`
	// LedgerSpend records that message $4, starting task $5, took $3 (a
	// negative number) units.
	LedgerSpend = `INSERT INTO saas_ledger (group_id, station_id, kind, units, message_id, task_id, created_at)
VALUES ($1, $2, 'spend', $3, $4, $5, $6)`
	// LedgerRefund records the refund of what message $1 spent, unless it
	// spent nothing or was refunded already (saas_ledger_message), and
	// returns the balance to credit and by how much.
	LedgerRefund = `INSERT INTO saas_ledger (group_id, station_id, kind, units, message_id, task_id, created_at)
SELECT group_id, station_id, 'refund', -units, message_id, task_id, $2 FROM saas_ledger
WHERE message_id = $1 AND message_id <> '' AND kind = 'spend'
ON CONFLICT DO NOTHING
RETURNING group_id, station_id, units`
	// BalanceGiveBack adds $3 units to a balance.
	BalanceGiveBack = `UPDATE saas_balances SET units = units + $3 WHERE group_id = $1 AND station_id = $2`
	// LedgerRecharge records a recharge, unless the group recharged with
	// its deal code already (saas_ledger_deal): then it changes no row.
	LedgerRecharge = `INSERT INTO saas_ledger (group_id, station_id, kind, units, money_fen, combo_id, combo_name,
	unit_price, operator_name, deal_code, remark, created_at)
VALUES ($1, $2, 'recharge', $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT DO NOTHING`
	// BalanceCredit adds a recharge of $3 units paid $4 fen to a balance,
	// making it if the station has none.
	BalanceCredit = `INSERT INTO saas_balances (group_id, station_id, units, recharged_units, recharged_fen)
VALUES ($1, $2, $3, $3, $4)
ON CONFLICT (group_id, station_id) DO UPDATE SET units = saas_balances.units + excluded.units,
	recharged_units = saas_balances.recharged_units + excluded.recharged_units,
	recharged_fen = saas_balances.recharged_fen + excluded.recharged_fen`
	// RechargeByDeal finds what a group's recharge with a deal code
	// credited.
	RechargeByDeal = `SELECT station_id, combo_id, units, money_fen FROM saas_ledger
WHERE group_id = $1 AND deal_code = $2 AND kind = 'recharge' AND deal_code <> ''`
	Balance = `SELECT units FROM saas_balances WHERE group_id = $1 AND station_id = $2`
	// Totals sums a group's balances. (The casts keep the sums integers:
	// PostgreSQL's SUM of BIGINT is NUMERIC.)
	Totals = `SELECT CAST(COALESCE(SUM(units), 0) AS BIGINT), CAST(COALESCE(SUM(recharged_units), 0) AS BIGINT),
	CAST(COALESCE(SUM(recharged_fen), 0) AS BIGINT)
FROM saas_balances WHERE group_id = $1`
)
