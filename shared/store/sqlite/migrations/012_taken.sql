-- A failed record a provider took holds its queue key (docs/stores.md,
-- "Queue keys"). Before, no failed record held it, so a queue message
-- delivered again after a report had failed its send was sent again.
-- taken marks a record a report or a status lookup has settled, or whose
-- outcome came after reports of its own; the statements write it. Its
-- default, false, keeps the rule as it was for a record the code before
-- this one writes while both run, in a rolling deploy: a failed record
-- of that code gives up its key, as that code expects. Numbered as
-- the PostgreSQL store's 011.
ALTER TABLE messages ADD COLUMN taken INTEGER NOT NULL DEFAULT 0 CHECK (taken IN (0, 1));

-- Records failed before that a provider took: their provider id or their
-- reports say so.
UPDATE messages SET taken = 1
WHERE status = 'failed' AND queue_key <> ''
	AND (provider_id <> '' OR EXISTS (SELECT 1 FROM reports WHERE reports.message_id = messages.id));

-- A key sent again after a report failed its first record has more than
-- one record that now holds it. The one not failed, if any, else the
-- newest, keeps it; the others give it up, so that the index can be made.
-- Their provider id and reports still say they were taken.
UPDATE messages SET taken = 0 WHERE id IN (
	SELECT id FROM (
		SELECT id, status, row_number() OVER (PARTITION BY queue_key
			ORDER BY status <> 'failed' DESC, created_at DESC, id DESC) AS n
		FROM messages WHERE queue_key <> '' AND (status <> 'failed' OR taken)) AS held
	WHERE n > 1 AND status = 'failed');

DROP INDEX messages_queue_key;
CREATE UNIQUE INDEX messages_queue_key ON messages (queue_key)
	WHERE queue_key <> '' AND (status <> 'failed' OR taken);
