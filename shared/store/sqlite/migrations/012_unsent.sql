-- A failed record holds its queue key unless it was never sent
-- (docs/stores.md, "Queue keys"). Before, no failed record held it, so a
-- queue message delivered again after a report had failed its send was
-- sent again. unsent marks a record that failed before any provider took
-- it: created failed (refused), or finished failed with no reports.
-- Numbered as the PostgreSQL store's 011.
ALTER TABLE messages ADD COLUMN unsent INTEGER NOT NULL DEFAULT 0 CHECK (unsent IN (0, 1));

-- Records failed before: unsent unless a provider took them, which their
-- provider id or their reports say.
UPDATE messages SET unsent = 1
WHERE status = 'failed' AND provider_id = ''
	AND NOT EXISTS (SELECT 1 FROM reports WHERE reports.message_id = messages.id);

-- A key that was sent again after a report failed its first record has
-- two records that now hold it; the older, failed, gives it up to the
-- newer, so that the index can be made. Its provider id and reports still
-- say it was taken.
UPDATE messages SET unsent = 1 WHERE id IN (
	SELECT id FROM (
		SELECT id, row_number() OVER (PARTITION BY queue_key ORDER BY created_at DESC, id DESC) AS n
		FROM messages WHERE queue_key <> '' AND NOT unsent) AS held
	WHERE n > 1);

DROP INDEX messages_queue_key;
CREATE UNIQUE INDEX messages_queue_key ON messages (queue_key)
	WHERE queue_key <> '' AND NOT unsent;
