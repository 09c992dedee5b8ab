-- The SaaS platform's stations (notify.SaaSStore; docs/saas.md). Times are
-- UTC text with milliseconds, as in messages.

-- Tasks: a message a station means to send, added before it is started.
-- id is the task_id callers hold. message_id is the message of the task's
-- last start ('' before one), started_at when it was started ('' before).
-- restaurant_id and receive_name are NULL when the caller gave none.
CREATE TABLE saas_tasks (
	id            INTEGER NOT NULL PRIMARY KEY,
	group_id      TEXT    NOT NULL,
	station_id    TEXT    NOT NULL,
	restaurant_id INTEGER,
	receive_name  TEXT,
	receive_phone TEXT    NOT NULL,
	content       TEXT    NOT NULL,
	business_type INTEGER NOT NULL,
	message_id    TEXT    NOT NULL DEFAULT '',
	created_at    TEXT    NOT NULL,
	started_at    TEXT    NOT NULL DEFAULT ''
) STRICT;

-- A station's send records, newest first, and its figures by day.
CREATE INDEX saas_tasks_station ON saas_tasks (group_id, station_id, id);

-- The ledger: every change of a balance, as a row written in the
-- transaction of what caused it. units is signed: a recharge or a refund
-- adds, a spend takes. A recharge row also holds what the operator
-- recorded of it (money in fen, the combo, the deal code, ...); a spend or
-- refund row names its message and task.
CREATE TABLE saas_ledger (
	id            INTEGER NOT NULL PRIMARY KEY,
	group_id      TEXT    NOT NULL,
	station_id    TEXT    NOT NULL,
	kind          TEXT    NOT NULL CHECK (kind IN ('recharge', 'spend', 'refund')),
	units         INTEGER NOT NULL,
	money_fen     INTEGER NOT NULL DEFAULT 0 CHECK (money_fen >= 0),
	message_id    TEXT    NOT NULL DEFAULT '',
	task_id       INTEGER NOT NULL DEFAULT 0,
	combo_id      INTEGER NOT NULL DEFAULT 0,
	combo_name    TEXT    NOT NULL DEFAULT '',
	unit_price    TEXT    NOT NULL DEFAULT '',
	operator_name TEXT    NOT NULL DEFAULT '',
	deal_code     TEXT    NOT NULL DEFAULT '',
	remark        TEXT    NOT NULL DEFAULT '',
	created_at    TEXT    NOT NULL,
	CHECK ((kind = 'spend') = (units < 0))
) STRICT;

-- A deal code credits once per group.
CREATE UNIQUE INDEX saas_ledger_deal ON saas_ledger (group_id, deal_code)
	WHERE kind = 'recharge' AND deal_code <> '';
-- A message spends once and is refunded at most once.
CREATE UNIQUE INDEX saas_ledger_message ON saas_ledger (message_id, kind) WHERE message_id <> '';
-- A station's recharge records, newest first.
CREATE INDEX saas_ledger_recharges ON saas_ledger (group_id, station_id, id) WHERE kind = 'recharge';

-- Balances: the sum of each station's ledger (units), and what it bought
-- in all, kept in the same transactions as the ledger rows. A station
-- without a row has never been recharged: its balance is 0.
CREATE TABLE saas_balances (
	group_id        TEXT    NOT NULL,
	station_id      TEXT    NOT NULL,
	units           INTEGER NOT NULL CHECK (units >= 0),
	recharged_units INTEGER NOT NULL CHECK (recharged_units >= 0),
	recharged_fen   INTEGER NOT NULL CHECK (recharged_fen >= 0),
	PRIMARY KEY (group_id, station_id)
) STRICT, WITHOUT ROWID;
