-- One row per send request, written before anything is sent and updated
-- with the outcome: the columns of the SQLite store's 001, in PostgreSQL's
-- types. Times are kept to the millisecond (the Store truncates them
-- first). recipients is a JSON array of strings; params is the template
-- parameters' JSON object as the caller's request carried it, kept as text.
CREATE TABLE messages (
	id          TEXT           NOT NULL PRIMARY KEY,
	group_id    TEXT           NOT NULL,
	channel     TEXT           NOT NULL,
	recipients  JSONB          NOT NULL,
	sign_name   TEXT           NOT NULL,
	template    TEXT           NOT NULL,
	params      TEXT           NOT NULL,
	out_id      TEXT           NOT NULL,
	provider    TEXT           NOT NULL,
	status      TEXT           NOT NULL,
	provider_id TEXT           NOT NULL,
	request_id  TEXT           NOT NULL,
	error_code  TEXT           NOT NULL,
	error_text  TEXT           NOT NULL,
	sandbox     BOOLEAN        NOT NULL,
	created_at  TIMESTAMPTZ(3) NOT NULL,
	updated_at  TIMESTAMPTZ(3) NOT NULL
);

-- A group's messages by time: listings and quotas.
CREATE INDEX messages_group_created ON messages (group_id, created_at);

-- Delivery receipts and status queries name the provider's id. A record has
-- none until the provider accepts it, so the index skips those rows and a
-- send's first write does not touch it.
CREATE INDEX messages_provider_id ON messages (provider, provider_id) WHERE provider_id <> '';
