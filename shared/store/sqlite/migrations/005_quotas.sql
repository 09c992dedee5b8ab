-- Send limits (notify.LimitStore): one row per quota key and window, holding
-- the uses counted in it. A key is counted in windows of one length (notify's
-- keys end in :m, :h or :d): the same key in windows of two lengths would
-- share the row of a start they share. window_start and expires_at (the
-- window's end) are UTC text with milliseconds, as in messages. A row is
-- useless once expired; TakeQuotas deletes a few expired rows at each take,
-- found through quotas_expires, so the table holds about the live windows.
CREATE TABLE quotas (
	key          TEXT    NOT NULL,
	window_start TEXT    NOT NULL,
	uses         INTEGER NOT NULL CHECK (uses >= 0),
	expires_at   TEXT    NOT NULL,
	PRIMARY KEY (key, window_start)
) STRICT, WITHOUT ROWID;

CREATE INDEX quotas_expires ON quotas (expires_at);
