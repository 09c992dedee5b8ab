-- The same receipt is one with the same provider id (004): but a report
-- without one is the gateway's own record of a number the provider
-- refused (Tencent gives a refused number no SerialNo), and two messages
-- refused the same number with the same code would have been one report,
-- the second message's lost: that message then never settled, and its
-- number's message.failed was never written. A report without a provider
-- id is now the same only as one of the same message: the SQLite store's
-- 013.
DROP INDEX reports_dedupe;
CREATE UNIQUE INDEX reports_dedupe ON reports (provider, provider_id, channel, recipient, status, code)
	WHERE provider_id <> '';
CREATE UNIQUE INDEX reports_own ON reports (message_id, provider, channel, recipient, status, code)
	WHERE provider_id = '';
