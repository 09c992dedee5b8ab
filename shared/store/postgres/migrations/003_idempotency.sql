-- Idempotency-Key records: the SQLite store's 003, in PostgreSQL's types.
-- One per group and key, kept until expires_at. status 0 is a request still
-- being handled, until lease_until; after that its handler is taken to have
-- died and the key may be claimed again. reply is the first request's reply,
-- byte for byte.
CREATE TABLE idempotency (
	group_id    TEXT           NOT NULL,
	key         TEXT           NOT NULL,
	hash        TEXT           NOT NULL,
	status      INTEGER        NOT NULL,
	reply       BYTEA          NOT NULL,
	created_at  TIMESTAMPTZ(3) NOT NULL,
	expires_at  TIMESTAMPTZ(3) NOT NULL,
	lease_until TIMESTAMPTZ(3) NOT NULL,
	PRIMARY KEY (group_id, key)
);
