-- 025_ai_assistant.sql — the AI assistant (issue 14): a conversation records whether the user
-- agreed that a minimal extract of her record (medicine names, strengths, dose slots) may be sent
-- to an external language model. Off by default: without it an external provider receives
-- only her question and knowledge-base facts, never her record.
ALTER TABLE ai_chat_conversations
    ADD COLUMN share_record_with_provider boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN ai_chat_conversations.share_record_with_provider IS
    'Consent: a minimal extract of the record may reach an external AI provider (never names, dates of birth or doctors).';
-- which provider answered and whether the guardrails refused or routed to 119
ALTER TABLE ai_chat_messages
    ADD COLUMN refused boolean NOT NULL DEFAULT false,
    ADD COLUMN guard text CHECK (guard IN ('emergency', 'diagnosis', 'dose_change', 'injection', 'output_filtered'));

/* migrate:down
ALTER TABLE ai_chat_messages DROP COLUMN guard, DROP COLUMN refused;
ALTER TABLE ai_chat_conversations DROP COLUMN share_record_with_provider;
*/
