-- The same receipt is one with the same provider id (004): but a report
-- without one is the gateway's own record of a number the provider
-- refused (Tencent gives a refused number no SerialNo), and two messages
-- refused the same number with the same code would have been one report,
-- the second message's lost: that message then never settled, and its
-- number's message.failed was never written. A report without a provider
-- id is now the same only as one of the same message: the index's last
-- column is its message's id, '' for every report with a provider id. One
-- index, as the SQLite store's 013 has it (see there why not two partial
-- ones).
DROP INDEX reports_dedupe;
CREATE UNIQUE INDEX reports_dedupe ON reports (provider, provider_id, channel, recipient, status, code,
	(CASE WHEN provider_id = '' THEN message_id ELSE '' END));
