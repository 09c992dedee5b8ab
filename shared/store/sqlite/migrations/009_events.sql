-- Status webhooks and the scheduled work.
--
-- webhook is 1 on the records of a group with a webhook: each final state
-- of one of their recipients writes an event. checked_at is when the
-- scheduled work last asked the provider about a message no receipt has
-- settled ('' never); messages_unsettled finds those messages.
ALTER TABLE messages ADD COLUMN webhook INTEGER NOT NULL DEFAULT 0 CHECK (webhook IN (0, 1));
ALTER TABLE messages ADD COLUMN checked_at TEXT NOT NULL DEFAULT '';
CREATE INDEX messages_unsettled ON messages (created_at)
	WHERE status IN ('accepted', 'submitted', 'unknown') AND sandbox = 0;

-- The outbox: one row per event a group's webhook is told of, written in
-- the transaction of the change it tells. id is stable ("evt_" and the
-- message id and what in the message it is about), so that writing it
-- again changes nothing and a receiver de-duplicates by it. What the event
-- says (type to task_id, happened_at) never changes; station_id and
-- task_id name the SaaS task a message sent, if any; the delivery
-- columns do: state pending, delivered or dead; attempts made; next_at,
-- when a pending event is due (a claim moves it by its lease); the last
-- attempt's HTTP status (0: none came) and error; done_at, when it was
-- delivered or died.
CREATE TABLE events (
	id          TEXT    NOT NULL PRIMARY KEY,
	group_id    TEXT    NOT NULL,
	message_id  TEXT    NOT NULL,
	type        TEXT    NOT NULL,
	channel     TEXT    NOT NULL,
	recipient   TEXT    NOT NULL,
	status      TEXT    NOT NULL,
	code        TEXT    NOT NULL,
	text        TEXT    NOT NULL,
	out_id      TEXT    NOT NULL,
	provider    TEXT    NOT NULL,
	provider_id TEXT    NOT NULL,
	sign_name   TEXT    NOT NULL,
	station_id  TEXT    NOT NULL DEFAULT '',
	task_id     INTEGER NOT NULL DEFAULT 0,
	happened_at TEXT    NOT NULL,
	state       TEXT    NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
	attempts    INTEGER NOT NULL DEFAULT 0,
	next_at     TEXT    NOT NULL,
	last_status INTEGER NOT NULL DEFAULT 0,
	last_error  TEXT    NOT NULL DEFAULT '',
	done_at     TEXT    NOT NULL DEFAULT ''
) STRICT, WITHOUT ROWID;

-- Due events, for delivery.
CREATE INDEX events_due ON events (next_at) WHERE state = 'pending';
-- A message's events, for status queries.
CREATE INDEX events_message ON events (message_id) WHERE message_id <> '';
-- Delivered events by age, for the retention purge.
CREATE INDEX events_done ON events (done_at) WHERE state = 'delivered';

-- The retention purge keeps the messages of the SaaS stations' tasks, and
-- deletes idempotency keys by expiry.
CREATE INDEX saas_tasks_message ON saas_tasks (message_id) WHERE message_id <> '';
CREATE INDEX idempotency_expires ON idempotency (expires_at);
