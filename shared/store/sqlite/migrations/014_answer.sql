-- The provider's answer to a send, kept apart from the status a report
-- may later give the message (notify.Message.Answer): FinishMessage
-- writes both, reports only status and updated_at. '' on the records
-- written before. Numbered as the PostgreSQL store's 013.
ALTER TABLE messages ADD COLUMN answer      TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN answered_at TEXT NOT NULL DEFAULT '';
