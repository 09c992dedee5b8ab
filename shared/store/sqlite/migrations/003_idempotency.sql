-- Idempotency-Key records: one per group and key, kept until expires_at.
-- status 0 is a request still being handled, until lease_until; after that
-- its handler is taken to have died and the key may be claimed again.
CREATE TABLE idempotency (
	group_id    TEXT    NOT NULL,
	key         TEXT    NOT NULL,
	hash        TEXT    NOT NULL,
	status      INTEGER NOT NULL,
	reply       BLOB    NOT NULL,
	created_at  TEXT    NOT NULL,
	expires_at  TEXT    NOT NULL,
	lease_until TEXT    NOT NULL,
	PRIMARY KEY (group_id, key)
) STRICT;
