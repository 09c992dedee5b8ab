-- Escalation of verification codes (docs/codes.md): the SQLite store's
-- 010, in PostgreSQL's types. A code whose scene escalates keeps, until it
-- is escalated, used, void or replaced, the code itself sealed (AES-256-GCM
-- under a key derived from the code secret, bound to its key and first
-- message): sealed, '\x' for every other code. escalate_at is when it is
-- sent again (NULL: never) and escalate_to how ('tts' or 'next_provider');
-- escalated is set by the claim that spends it, which wipes sealed in the
-- same statement. 008 is left free for another change.
ALTER TABLE codes
	ADD COLUMN sealed      BYTEA          NOT NULL DEFAULT '\x',
	ADD COLUMN escalate_at TIMESTAMPTZ(3),
	ADD COLUMN escalate_to TEXT           NOT NULL DEFAULT '',
	ADD COLUMN escalated   BOOLEAN        NOT NULL DEFAULT false;

-- ClaimEscalations reads the codes still to escalate by escalate_at.
CREATE INDEX codes_escalate ON codes (escalate_at) WHERE escalate_at IS NOT NULL AND NOT escalated;
