// Package sqltext holds the SQL statements that both stores run word for
// word: $N placeholders, and nothing that one of SQLite and PostgreSQL does
// not speak. Each store keeps its own statements where the two differ: the
// upserts, and the reads that PostgreSQL must lock (FOR UPDATE) where an
// IMMEDIATE transaction locks the whole SQLite file. It also says, for
// both, which takes of quotas sweep the windows that ended (Sweeps).
package sqltext

import "sync/atomic"

// Messages.
const (
	CreateMessage = `INSERT INTO messages (id, group_id, channel, recipients, sign_name, template, params, out_id,
	queue_key, provider, status, provider_id, request_id, error_code, error_text, sandbox, created_at, updated_at,
	webhook)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
ON CONFLICT DO NOTHING`
	finishSet = `UPDATE messages SET status = $2, provider = $3, provider_id = $4, request_id = $5,
	error_code = $6, error_text = $7, sandbox = $8, updated_at = $9, answer = $2, answered_at = $9`
	// FinishMessage writes a send's outcome to a message that may have
	// reports, which say a provider took it (notify.Message.Taken).
	FinishMessage = finishSet + `,
	taken = taken OR EXISTS (SELECT 1 FROM reports WHERE message_id = messages.id)
WHERE id = $1`
	// FinishAlone is FinishMessage for a message that has no reports:
	// none of its own, and no orphan that its provider id names. A message
	// with some is not changed, and the store takes the longer way. (Both
	// checks refer to the row being updated: with "message_id = $1" in the
	// first, SQLite gave up updating in one pass, and a create and finish
	// took 40% longer.) NOT taken is for PostgreSQL: a report that
	// committed while the update waited for the row's lock is not in the
	// snapshot the NOT EXISTS reads, but the report marked the row taken
	// when it moved the message, and the update checks the row again as
	// the report left it: without it, a lost outcome (unknown) written
	// beside a report of the message by our id, which no report lock keeps
	// apart, overwrote the status the report gave (storetest.RaceLostOutcome).
	FinishAlone = finishSet + `
WHERE id = $1 AND NOT taken
	AND NOT EXISTS (SELECT 1 FROM reports WHERE message_id = messages.id)
	AND NOT EXISTS (SELECT 1 FROM reports WHERE message_id = '' AND provider = $3 AND provider_id = $4
		AND provider_id <> '' AND channel = messages.channel)`
	// MessageColumns are the columns a message is read from.
	MessageColumns = `id, group_id, channel, recipients, sign_name, template, params, out_id, queue_key,
	provider, status, provider_id, request_id, error_code, error_text, sandbox, created_at, updated_at, taken,
	answer, answered_at`
	SelectMessages = `SELECT ` + MessageColumns + `
FROM messages`
	MessageByID = SelectMessages + ` WHERE id = $1`
	// MessageByQueueKey repeats the partial index's WHERE clause: SQLite
	// cannot tell that queue_key = $1 implies queue_key <> '', and
	// PostgreSQL's plan of the prepared statement, made for any $1, may
	// then use the index. The key "" finds nothing, not an HTTP request.
	MessageByQueueKey = SelectMessages + `
WHERE queue_key = $1 AND queue_key <> '' AND (status <> 'failed' OR taken)
ORDER BY created_at DESC, id DESC LIMIT 1`
	IDExists = `SELECT EXISTS (SELECT 1 FROM messages WHERE id = $1)`
)

// Send limits.
const (
	QuotaReturn = `UPDATE quotas SET uses = uses - 1 WHERE key = $1 AND window_start = $2 AND uses > 0`
)

// Verification codes.
const (
	CodeKeyWhere = ` WHERE group_id = $1 AND phone_number = $2 AND scene = $3`
	CodeIssued   = `SELECT issued_at FROM codes` + CodeKeyWhere
	// CodeRevoke deletes the code of message $4 unless its escalation
	// was sent: that may have reached the number.
	CodeRevoke = `DELETE FROM codes` + CodeKeyWhere + ` AND message_id = $4 AND NOT escalated`
	// CodeKeepReplaced is the part of an issue's upsert that keeps the code
	// it replaces in prev_*, for a revoke to put back.
	CodeKeepReplaced = `prev_hash = codes.hash, prev_message_id = codes.message_id, prev_attempts = codes.attempts,
	prev_used = codes.used, prev_issued_at = codes.issued_at, prev_expires_at = codes.expires_at`
	// CodePutBack is the part of a revoke's update that puts the replaced
	// code back, as it was; CodePutBackWhere is its condition: the code of
	// message $4 replaced one, and was not verified or voided (its hash is
	// wiped then), nor escalated. Otherwise a code put back would be a
	// second live code after one verified, or beside one that may have
	// reached the number.
	CodePutBack = `hash = prev_hash, message_id = prev_message_id, attempts = prev_attempts,
	used = prev_used, issued_at = prev_issued_at, expires_at = prev_expires_at`
	CodePutBackWhere = CodeKeyWhere + ` AND message_id = $4 AND prev_message_id <> ''` +
		` AND length(hash) > 0 AND NOT used AND NOT escalated`
	CodeCheck = `UPDATE codes SET attempts = $4, used = $5, hash = $6` + CodeKeyWhere
	// CodeWipe is CodeCheck for a check that wipes the hash ($6, empty):
	// the code's sealed copy, kept for its escalation, goes with it.
	CodeWipe  = `UPDATE codes SET attempts = $4, used = $5, hash = $6, sealed = $6` + CodeKeyWhere
	CodePurge = `DELETE FROM codes WHERE expires_at <= $1`
)

// Delivery reports and inbound replies.
const (
	// ReportByRecipientID finds the message of a provider id that a
	// provider gave one recipient only (Tencent's SerialNo), through the
	// report the send recorded for that recipient.
	ReportByRecipientID = `SELECT message_id FROM reports
WHERE provider = $1 AND provider_id = $2 AND provider_id <> '' AND channel = $3 AND recipient = $4 AND message_id <> ''
LIMIT 1`
	// LearnID records a report's provider id on the message that its
	// out_id named, which had none (its outcome was unknown).
	LearnID = `UPDATE messages SET provider_id = $2 WHERE id = $1 AND provider_id = ''`
	// Orphans lists the orphans of a provider id on a channel, in the
	// order they were recorded, through the partial index reports_orphans.
	Orphans = `SELECT id, recipient FROM reports
WHERE message_id = '' AND provider = $1 AND provider_id = $2 AND provider_id <> '' AND channel = $3
ORDER BY received_at, id`
	// Adopt makes orphan $3 message $1's report for recipient $2, unless
	// that would make it the same report as one kept already. An orphan
	// has a provider id (Orphans), and so has the report it would be the
	// same as: d.provider_id <> '' says so.
	Adopt = `UPDATE reports SET message_id = $1, recipient = $2
WHERE id = $3 AND message_id = '' AND NOT EXISTS (SELECT 1 FROM reports d
	WHERE d.provider = reports.provider AND d.provider_id = reports.provider_id AND d.provider_id <> ''
		AND d.channel = reports.channel AND d.recipient = $2 AND d.status = reports.status AND d.code = reports.code
		AND d.id <> reports.id)`
	ReportInsert = `INSERT INTO reports (message_id, provider, channel, provider_id, recipient, status, code, text,
	out_id, reported_at, received_at, raw)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT DO NOTHING`
	// ReportFinals lists the final reports of a message in the order they
	// were recorded.
	ReportFinals = `SELECT recipient, status, code, text FROM reports
WHERE message_id = $1 AND status IN ($2, $3)
ORDER BY received_at, id`
	// ReportSettle moves a message on, and marks it taken: a provider
	// spoke of it (notify.Message.Taken). The guard keeps a final status
	// final whatever the caller computed.
	ReportSettle = `UPDATE messages SET status = $2, error_code = $3, error_text = $4, updated_at = $5, taken = true
WHERE id = $1 AND status NOT IN ($6, $7)`
	// ReportSubmit moves an accepted or unknown message to submitted, and
	// marks it taken.
	ReportSubmit = `UPDATE messages SET status = $2, updated_at = $3, taken = true WHERE id = $1 AND status IN ($4, $5)`
	Reports      = `SELECT message_id, provider, channel, provider_id, recipient, status, code, text, out_id,
	reported_at, received_at, raw
FROM reports WHERE message_id = $1
ORDER BY received_at, id`
	InboundInsert = `INSERT INTO replies (provider, sequence_id, recipient, content, dest_code, sign_name,
	sent_at, received_at, raw)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT DO NOTHING`
)

// Webhook events (the outbox). An event's id is made from what it is
// about, so that writing it again, from a retried transaction or a second
// path to the same state, changes nothing.
const (
	// EventColumns are the columns an event is written with.
	EventColumns = `id, group_id, message_id, type, channel, recipient, status, code, text, out_id, provider,
	provider_id, sign_name, happened_at, state, next_at, station_id, task_id`
	// EventTask joins a message m to the SaaS task it sends, if any.
	EventTask = ` LEFT JOIN saas_tasks t ON t.message_id = m.id AND t.message_id <> ''`
	// EventsFromReports writes an event for each recipient of message $1
	// with a final report (delivered or failed), due at $2, when the
	// message's group has a webhook: one per recipient and status,
	// "evt_<message>_<index of the recipient><d|f>", the first report's.
	// A second report of one state (another code, a lookup's) writes
	// none; a failed send's event of a recipient (the stores'
	// eventsFromFailure) has the same id as its failed report's. Only
	// reports received since $3 (notify.KeepDelivered before now) write
	// one: the event of an older report was written with it, and may
	// have been delivered and deleted since, which must not make a later
	// report of the message write it, and deliver it, again. Each store
	// fills in %[1]s, its expression of the index of r.recipient among
	// m.recipients.
	EventsFromReports = `INSERT INTO events (` + EventColumns + `)
SELECT 'evt_' || m.id || '_' || COALESCE(%[1]s, 'r' || r.id) || CASE r.status WHEN 'delivered' THEN 'd' ELSE 'f' END,
	m.group_id, m.id, CASE r.status WHEN 'delivered' THEN 'message.delivered' ELSE 'message.failed' END,
	m.channel, r.recipient, r.status, r.code, r.text, m.out_id, r.provider, r.provider_id, '', r.received_at,
	'pending', $2, COALESCE(t.station_id, ''), COALESCE(t.id, 0)
FROM reports r JOIN messages m ON m.id = r.message_id` + EventTask + `
WHERE r.message_id = $1 AND r.status IN ('delivered', 'failed') AND m.webhook AND r.received_at >= $3
ORDER BY r.id
ON CONFLICT DO NOTHING`
	// InboundInsertID is InboundInsert returning the new reply's id.
	InboundInsertID = InboundInsert + ` RETURNING id`
	// InboundEvent writes the event of inbound reply $1 for group $2, due at $3.
	InboundEvent = `INSERT INTO events (` + EventColumns + `)
SELECT 'evt_reply_' || id, $2, '', 'reply.received', 'sms', recipient, '', dest_code, content, '', provider,
	sequence_id, sign_name, received_at, 'pending', $3, '', 0
FROM replies WHERE id = $1
ON CONFLICT DO NOTHING`
	// EventSelect reads events.
	EventSelect = `SELECT id, group_id, message_id, type, channel, recipient, status, code, text, out_id, provider,
	provider_id, sign_name, happened_at, state, attempts, next_at, last_status, last_error, done_at, station_id,
	task_id FROM events`
	// EventsOfMessage are the events of message $1, oldest first.
	EventsOfMessage = EventSelect + ` WHERE message_id = $1 AND message_id <> '' ORDER BY happened_at, id`
	// EventDelivered records the delivery of event $1 at $2, answered $3.
	EventDelivered = `UPDATE events SET state = 'delivered', done_at = $2, last_status = $3, last_error = ''
WHERE id = $1`
	// EventRetry makes event $1 due again at $2 after an attempt answered
	// $3 (0: none) with error $4.
	EventRetry = `UPDATE events SET next_at = $2, last_status = $3, last_error = $4 WHERE id = $1 AND state = 'pending'`
	// EventDie gives event $1 up at $2 after an attempt answered $3 with
	// error $4.
	EventDie = `UPDATE events SET state = 'dead', done_at = $2, last_status = $3, last_error = $4
WHERE id = $1 AND state = 'pending'`
)

// Scheduled work: what it settles and what it deletes. $1 to $3 of the
// purges are the time before which rows go, the batch size and, for
// messages, the id before which they go (ids begin with their time).
const (
	PurgeKeys = `DELETE FROM idempotency WHERE (group_id, key) IN
	(SELECT group_id, key FROM idempotency WHERE expires_at < $1 LIMIT $2)`
	PurgeDelivered = `DELETE FROM events WHERE id IN
	(SELECT id FROM events WHERE state = 'delivered' AND done_at < $1 LIMIT $2)`
	// OldMessages are the messages a purge deletes: recorded before $1,
	// which no SaaS task or ledger entry names.
	OldMessages = `SELECT id FROM messages m WHERE id < $3 AND created_at < $1
	AND NOT EXISTS (SELECT 1 FROM saas_ledger l WHERE l.message_id = m.id AND l.message_id <> '')
	AND NOT EXISTS (SELECT 1 FROM saas_tasks t WHERE t.message_id = m.id AND t.message_id <> '')
	ORDER BY id LIMIT $2`
	PurgeMessageReports = `DELETE FROM reports WHERE message_id IN (` + OldMessages + `)`
	PurgeMessageEvents  = `DELETE FROM events WHERE message_id IN (` + OldMessages + `)`
	PurgeMessages       = `DELETE FROM messages WHERE id IN (` + OldMessages + `)`
	PurgeOrphans        = `DELETE FROM reports WHERE id IN
	(SELECT id FROM reports WHERE message_id = '' AND received_at < $1 LIMIT $2)`
	PurgeInbound       = `DELETE FROM replies WHERE id IN (SELECT id FROM replies WHERE received_at < $1 LIMIT $2)`
	PurgeInboundEvents = `DELETE FROM events WHERE id IN
	(SELECT id FROM events WHERE message_id = '' AND happened_at < $1 LIMIT $2)`
)

// PurgeStep is one statement of a purge: what it deletes, its arguments,
// and which count of notify.Purged its rows add to.
type PurgeStep struct {
	What  string
	Query string
	Args  []any
	Count int // CountKeys, CountEvents, CountMessages, CountReports or CountQuotas
}

// The counts of a purge.
const (
	CountKeys = iota
	CountEvents
	CountMessages
	CountReports
	CountQuotas
)

// PurgeSteps are the statements of one purge batch, in order, each of at
// most limit rows: now, delivered and old are the store's form of the
// times before which keys and quota windows, delivered events and
// messages go; oldID the id before which messages do; quotaSweep the
// store's statement that deletes at most $2 quota windows that ended at
// or before $1.
func PurgeSteps(now, delivered, old any, limit int, oldID, quotaSweep string) []PurgeStep {
	return []PurgeStep{
		{"expired quota windows", quotaSweep, []any{now, limit}, CountQuotas},
		{"idempotency keys", PurgeKeys, []any{now, limit}, CountKeys},
		{"delivered events", PurgeDelivered, []any{delivered, limit}, CountEvents},
		{"reports of old messages", PurgeMessageReports, []any{old, limit, oldID}, CountReports},
		{"events of old messages", PurgeMessageEvents, []any{old, limit, oldID}, CountEvents},
		{"old messages", PurgeMessages, []any{old, limit, oldID}, CountMessages},
		{"old orphan reports", PurgeOrphans, []any{old, limit}, CountReports},
		{"old inbound replies", PurgeInbound, []any{old, limit}, CountReports},
		{"events of old inbound replies", PurgeInboundEvents, []any{old, limit}, CountEvents},
	}
}

// SweepEvery is how many takes of quotas, in a store's process, one sweep
// of the windows that ended follows. That take deletes up to
// 2*SweepEvery windows per quota it takes, so the table holds about the
// live windows and most takes write only their own rows. A process's
// first take never sweeps: on a new PostgreSQL connection, preparing the
// sweep was the costliest statement of a function's first send
// (docs/stores.md, "Opening on a cold start"). The scheduled purge
// deletes the windows that ended too, for the processes that end before
// their SweepEvery-th take, and for the sweeps rolled back with a take
// whose quota was at its Max (Due counts takes asked for, not committed).
const SweepEvery = 16

// Sweeps counts a store's takes of quotas, to sweep one in SweepEvery.
type Sweeps struct{ takes atomic.Uint64 }

// Due counts one take of n quotas and returns how many windows that ended
// it is to delete: 2*SweepEvery*n on every SweepEvery-th take, otherwise
// none.
func (s *Sweeps) Due(n int) int {
	if n == 0 || s.takes.Add(1)%SweepEvery != 0 {
		return 0
	}
	return 2 * SweepEvery * n
}
