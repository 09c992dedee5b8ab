-- The provider's answer to a send, kept apart from the status a report
-- may later give the message (notify.Message.Answer): FinishMessage
-- writes both, reports only status and updated_at. NULL and '' on the
-- records written before. The SQLite store's 014, in PostgreSQL's types.
ALTER TABLE messages
	ADD COLUMN answer      TEXT NOT NULL DEFAULT '',
	ADD COLUMN answered_at TIMESTAMPTZ(3);
