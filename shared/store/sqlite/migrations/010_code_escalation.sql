-- Escalation of verification codes (docs/codes.md). A code whose scene
-- escalates keeps, until it is escalated, used, void or replaced, the code
-- itself sealed (AES-256-GCM under a key derived from the code secret,
-- bound to its key and first message): sealed, x'' for every other code.
-- escalate_at is when it is sent again (NULL: never) and escalate_to how
-- ('tts' or 'next_provider'); escalated is set by the claim that spends
-- it, which wipes sealed in the same transaction. Numbered as the
-- PostgreSQL store's 009, which leaves its 008 to another change.
ALTER TABLE codes ADD COLUMN sealed      BLOB    NOT NULL DEFAULT x'';
ALTER TABLE codes ADD COLUMN escalate_at TEXT;
ALTER TABLE codes ADD COLUMN escalate_to TEXT    NOT NULL DEFAULT '';
ALTER TABLE codes ADD COLUMN escalated   INTEGER NOT NULL DEFAULT 0;

-- ClaimEscalations reads the codes still to escalate by escalate_at.
CREATE INDEX codes_escalate ON codes (escalate_at) WHERE escalate_at IS NOT NULL AND escalated = 0;
