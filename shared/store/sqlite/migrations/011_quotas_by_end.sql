-- quotas becomes clustered on the end of its windows: (expires_at, key,
-- window_start) is its primary key, and the index quotas_expires goes. The
-- sweep of ended windows reads the table from its start, and a window
-- written for the first time costs one b-tree insert rather than two. A
-- take knows the window's end, so it still finds its row by the key. Rows
-- whose windows end together (the minute, hour or day of every number)
-- lie together, so a group of sends writes fewer pages. A take of four
-- quotas went from 190 to 140 us (docs/stores.md, "Quotas").
--
-- The old key, (key, window_start), was unique, and stays so within the
-- new one: every row is copied.
CREATE TABLE quotas_by_end (
	key          TEXT    NOT NULL,
	window_start TEXT    NOT NULL,
	uses         INTEGER NOT NULL CHECK (uses >= 0),
	expires_at   TEXT    NOT NULL,
	PRIMARY KEY (expires_at, key, window_start)
) STRICT, WITHOUT ROWID;

INSERT INTO quotas_by_end (key, window_start, uses, expires_at)
SELECT key, window_start, uses, expires_at FROM quotas;

DROP TABLE quotas;
ALTER TABLE quotas_by_end RENAME TO quotas;
