-- A code's predecessor (docs/codes.md, "A send that failed"). IssueCode,
-- as it replaces a key's code, keeps the code it replaces in prev_*;
-- RevokeCode, when the new code's send certainly failed, puts that code
-- back as it was, so that a resend that failed leaves the number's earlier
-- code alive. prev_message_id '' is no predecessor. Numbered as the
-- PostgreSQL store's 010.
ALTER TABLE codes ADD COLUMN prev_hash       BLOB    NOT NULL DEFAULT x'';
ALTER TABLE codes ADD COLUMN prev_message_id TEXT    NOT NULL DEFAULT '';
ALTER TABLE codes ADD COLUMN prev_attempts   INTEGER NOT NULL DEFAULT 0;
ALTER TABLE codes ADD COLUMN prev_used       INTEGER NOT NULL DEFAULT 0;
ALTER TABLE codes ADD COLUMN prev_issued_at  TEXT    NOT NULL DEFAULT '';
ALTER TABLE codes ADD COLUMN prev_expires_at TEXT    NOT NULL DEFAULT '';
