-- The queue message a record came from, "<source>:<message id>", so that a
-- redelivered message is never sent twice; '' for HTTP requests.
ALTER TABLE messages ADD COLUMN queue_key TEXT NOT NULL DEFAULT '';

-- At most one record per queue key is in any status but failed. A failed
-- record does not hold its key: the queue redelivers a message whose send
-- failed for a transient reason, and that delivery must send again.
CREATE UNIQUE INDEX messages_queue_key ON messages (queue_key)
	WHERE queue_key <> '' AND status <> 'failed';
