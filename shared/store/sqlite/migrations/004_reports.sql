-- Delivery receipts, every one as it came, whether or not it matched a
-- message: message_id is '' for an orphan, a receipt for a provider id and
-- recipient no record has (yet). id orders receipts as they were recorded.
-- Times are UTC text with milliseconds, as in messages; reported_at is ''
-- when the provider did not say. raw is the record's JSON, byte for byte.
CREATE TABLE reports (
	id          INTEGER NOT NULL PRIMARY KEY,
	message_id  TEXT    NOT NULL,
	provider    TEXT    NOT NULL,
	channel     TEXT    NOT NULL,
	provider_id TEXT    NOT NULL,
	recipient   TEXT    NOT NULL,
	status      TEXT    NOT NULL,
	code        TEXT    NOT NULL,
	text        TEXT    NOT NULL,
	out_id      TEXT    NOT NULL,
	reported_at TEXT    NOT NULL,
	received_at TEXT    NOT NULL,
	raw         BLOB    NOT NULL
) STRICT;

-- Providers push a receipt again when our reply is lost or late, and say
-- they cannot guarantee idempotence: the same receipt is kept once. The
-- channel is part of the key as it is of the match: an SMS and a call may
-- not share a receipt.
CREATE UNIQUE INDEX reports_dedupe ON reports (provider, provider_id, channel, recipient, status, code);

-- A message's receipts, to settle its status and to list them; orphans
-- share the key ''.
CREATE INDEX reports_message ON reports (message_id);

-- Orphans by provider id, to match them to their message later.
CREATE INDEX reports_orphans ON reports (provider, provider_id) WHERE message_id = '';

-- Inbound SMS: people answering a message. sequence_id is the provider's id
-- for one; a reply without one cannot be told from another and is always
-- kept.
CREATE TABLE replies (
	id          INTEGER NOT NULL PRIMARY KEY,
	provider    TEXT    NOT NULL,
	sequence_id TEXT    NOT NULL,
	recipient   TEXT    NOT NULL,
	content     TEXT    NOT NULL,
	dest_code   TEXT    NOT NULL,
	sign_name   TEXT    NOT NULL,
	sent_at     TEXT    NOT NULL,
	received_at TEXT    NOT NULL,
	raw         BLOB    NOT NULL
) STRICT;

CREATE UNIQUE INDEX replies_sequence ON replies (provider, sequence_id) WHERE sequence_id <> '';
