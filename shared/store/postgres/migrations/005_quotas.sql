-- Send limits (notify.LimitStore): the SQLite store's 005, in PostgreSQL's
-- types. One row per quota key and window, holding the uses counted in it;
-- expires_at is the window's end. A key is counted in windows of one length
-- (notify's keys end in :m, :h or :d). A row is useless once expired;
-- TakeQuotas deletes a few expired rows at each take, found through
-- quotas_expires, so the table holds about the live windows.
CREATE TABLE quotas (
	key          TEXT           NOT NULL,
	window_start TIMESTAMPTZ(3) NOT NULL,
	uses         INTEGER        NOT NULL CHECK (uses >= 0),
	expires_at   TIMESTAMPTZ(3) NOT NULL,
	PRIMARY KEY (key, window_start)
);

CREATE INDEX quotas_expires ON quotas (expires_at);
