-- Status webhooks and the scheduled work: the SQLite store's 009, in
-- PostgreSQL's types. webhook marks the records of a group with a webhook;
-- checked_at is when the scheduled work last asked the provider about a
-- message no receipt has settled (NULL: never).
ALTER TABLE messages ADD COLUMN webhook BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE messages ADD COLUMN checked_at TIMESTAMPTZ(3);
CREATE INDEX messages_unsettled ON messages (created_at)
	WHERE status IN ('accepted', 'submitted', 'unknown') AND NOT sandbox;

-- The outbox: see the SQLite store's 009. done_at is NULL until the event
-- is delivered or dead.
CREATE TABLE events (
	id          TEXT           PRIMARY KEY,
	group_id    TEXT           NOT NULL,
	message_id  TEXT           NOT NULL,
	type        TEXT           NOT NULL,
	channel     TEXT           NOT NULL,
	recipient   TEXT           NOT NULL,
	status      TEXT           NOT NULL,
	code        TEXT           NOT NULL,
	text        TEXT           NOT NULL,
	out_id      TEXT           NOT NULL,
	provider    TEXT           NOT NULL,
	provider_id TEXT           NOT NULL,
	sign_name   TEXT           NOT NULL,
	station_id  TEXT           NOT NULL DEFAULT '',
	task_id     BIGINT         NOT NULL DEFAULT 0,
	happened_at TIMESTAMPTZ(3) NOT NULL,
	state       TEXT           NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
	attempts    INTEGER        NOT NULL DEFAULT 0,
	next_at     TIMESTAMPTZ(3) NOT NULL,
	last_status INTEGER        NOT NULL DEFAULT 0,
	last_error  TEXT           NOT NULL DEFAULT '',
	done_at     TIMESTAMPTZ(3)
);

CREATE INDEX events_due ON events (next_at) WHERE state = 'pending';
CREATE INDEX events_message ON events (message_id) WHERE message_id <> '';
CREATE INDEX events_done ON events (done_at) WHERE state = 'delivered';

-- The retention purge keeps the messages of the SaaS stations' tasks, and
-- deletes idempotency keys by expiry.
CREATE INDEX saas_tasks_message ON saas_tasks (message_id) WHERE message_id <> '';
CREATE INDEX idempotency_expires ON idempotency (expires_at);
