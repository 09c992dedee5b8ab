-- The same receipt is one with the same provider id (004): but a report
-- without one is the gateway's own record of a number the provider
-- refused (Tencent gives a refused number no SerialNo), and two messages
-- refused the same number with the same code would have been one report,
-- the second message's lost: that message then never settled, and its
-- number's message.failed was never written. A report without a provider
-- id is now the same only as one of the same message: the index's last
-- column is its message's id, '' for every report with a provider id.
-- One index, not a partial one for each kind: SQLite planned a send's
-- outcome (sqltext.FinishAlone, provider_id = $4) against an index WHERE
-- provider_id = '' with the bound value, and so prepared the statement
-- again at every send, which took a fifth off the sends a second.
-- Numbered as the PostgreSQL store's 012.
DROP INDEX reports_dedupe;
CREATE UNIQUE INDEX reports_dedupe ON reports (provider, provider_id, channel, recipient, status, code,
	(CASE WHEN provider_id = '' THEN message_id ELSE '' END));
