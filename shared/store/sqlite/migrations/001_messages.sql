-- One row per send request, written before anything is sent and updated
-- with the outcome. Times are UTC text with milliseconds,
-- "2006-01-02T15:04:05.000Z", so they sort as text and read in the sqlite3
-- shell. recipients is a JSON array of strings; params is the template
-- parameters' JSON object as the caller's request carried it.
CREATE TABLE messages (
	id          TEXT    NOT NULL PRIMARY KEY,
	group_id    TEXT    NOT NULL,
	channel     TEXT    NOT NULL,
	recipients  TEXT    NOT NULL,
	sign_name   TEXT    NOT NULL,
	template    TEXT    NOT NULL,
	params      TEXT    NOT NULL,
	out_id      TEXT    NOT NULL,
	provider    TEXT    NOT NULL,
	status      TEXT    NOT NULL,
	provider_id TEXT    NOT NULL,
	request_id  TEXT    NOT NULL,
	error_code  TEXT    NOT NULL,
	error_text  TEXT    NOT NULL,
	sandbox     INTEGER NOT NULL CHECK (sandbox IN (0, 1)),
	created_at  TEXT    NOT NULL,
	updated_at  TEXT    NOT NULL
) STRICT;

-- A group's messages by time: listings and quotas.
CREATE INDEX messages_group_created ON messages (group_id, created_at);

-- Delivery receipts and status queries name the provider's id. A record has
-- none until the provider accepts it, so the index skips those rows and a
-- send's first write does not touch it (queries must say provider_id <> ''
-- for SQLite to use it).
CREATE INDEX messages_provider_id ON messages (provider, provider_id) WHERE provider_id <> '';
