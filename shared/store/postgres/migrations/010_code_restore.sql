-- A code's predecessor (docs/codes.md, "A send that failed"): the SQLite
-- store's 011, in PostgreSQL's types. IssueCode, as it replaces a key's
-- code, keeps the code it replaces in prev_*; RevokeCode, when the new
-- code's send certainly failed, puts that code back as it was, so that a
-- resend that failed leaves the number's earlier code alive.
-- prev_message_id '' is no predecessor.
ALTER TABLE codes
	ADD COLUMN prev_hash       BYTEA          NOT NULL DEFAULT '\x',
	ADD COLUMN prev_message_id TEXT           NOT NULL DEFAULT '',
	ADD COLUMN prev_attempts   INTEGER        NOT NULL DEFAULT 0,
	ADD COLUMN prev_used       BOOLEAN        NOT NULL DEFAULT false,
	ADD COLUMN prev_issued_at  TIMESTAMPTZ(3),
	ADD COLUMN prev_expires_at TIMESTAMPTZ(3);
