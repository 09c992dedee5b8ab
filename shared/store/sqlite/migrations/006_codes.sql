-- One-time verification codes: one row per group, phone number and scene,
-- holding the last code sent for it (IssueCode replaces it), never the code
-- itself: hash is its HMAC-SHA256 under the gateway's code secret. A used
-- code has used = 1, and a used or void code (its last check spent on a
-- wrong guess) has its hash wiped (x''). The row stays until a purge after
-- expires_at, for issued_at to hold the cooldown.
CREATE TABLE codes (
	group_id     TEXT    NOT NULL,
	phone_number TEXT    NOT NULL,
	scene        TEXT    NOT NULL,
	hash         BLOB    NOT NULL,
	message_id   TEXT    NOT NULL,
	attempts     INTEGER NOT NULL,
	used         INTEGER NOT NULL,
	issued_at    TEXT    NOT NULL,
	expires_at   TEXT    NOT NULL,
	PRIMARY KEY (group_id, phone_number, scene)
) STRICT, WITHOUT ROWID;

-- PurgeCodes deletes by expiry.
CREATE INDEX codes_expires ON codes (expires_at);
