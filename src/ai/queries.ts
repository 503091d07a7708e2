/** SQL of the AI assistant (RLS applies: conversations and messages are the owner's alone). */
import type { Tx } from '../db/database.ts';
import { ACTIVE_MEDICATION, type MedicationDoseRow } from '../reminders/medication-queries.ts';

type Q = Pick<Tx, 'query'>;

export interface AiQuota {
  is_premium: boolean;
  monthly_limit: number | null;
  used_this_month: number;
  remaining: number | null;
}

export async function quota(tx: Q, userId: string): Promise<AiQuota> {
  const res = await tx.query<AiQuota>(
    'SELECT is_premium, monthly_limit, used_this_month, remaining FROM get_ai_quota($1)',
    [userId],
  );
  const row = res.rows[0];
  if (!row) throw new Error('get_ai_quota returned no row');
  return row;
}

export async function canMakeAiRequest(tx: Q, userId: string): Promise<boolean> {
  const res = await tx.query<{ ok: boolean | null }>('SELECT can_make_ai_request($1) AS ok', [userId]);
  return res.rows[0]?.ok === true;
}

export interface ConversationRow {
  id: string;
  title: string | null;
  language: string;
  share_record_with_provider: boolean;
  last_message_at: Date | null;
  created_at: Date;
}

const CONVERSATION_COLUMNS = 'id, title, language, share_record_with_provider, last_message_at, created_at';

export async function insertConversation(
  tx: Q,
  c: { userId: string; title: string | null; language: string; shareRecord: boolean },
): Promise<ConversationRow> {
  const res = await tx.query<ConversationRow>(
    `INSERT INTO ai_chat_conversations (user_id, title, language, share_record_with_provider)
     VALUES ($1, $2, $3, $4) RETURNING ${CONVERSATION_COLUMNS}`,
    [c.userId, c.title, c.language, c.shareRecord],
  );
  const row = res.rows[0];
  if (!row) throw new Error('conversation insert returned no row');
  return row;
}

export async function listConversations(
  tx: Q,
  userId: string,
  limit: number,
  offset: number,
): Promise<{ rows: ConversationRow[]; total: number }> {
  const res = await tx.query<ConversationRow & { total: string }>(
    `SELECT ${CONVERSATION_COLUMNS}, count(*) OVER () AS total FROM ai_chat_conversations
      WHERE user_id = $1 AND NOT is_archived ORDER BY coalesce(last_message_at, created_at) DESC, id LIMIT $2 OFFSET $3`,
    [userId, limit, offset],
  );
  return { rows: res.rows, total: Number(res.rows[0]?.total ?? 0) };
}

export async function findConversation(tx: Q, id: string): Promise<ConversationRow | null> {
  const res = await tx.query<ConversationRow>(
    `SELECT ${CONVERSATION_COLUMNS} FROM ai_chat_conversations WHERE id = $1`,
    [id],
  );
  return res.rows[0] ?? null;
}

export interface MessageRow {
  id: string;
  role: 'user' | 'assistant' | 'system';
  content: string;
  refused: boolean;
  guard: string | null;
  model: string | null;
  created_at: Date;
}

export async function insertMessage(
  tx: Q,
  m: {
    conversationId: string;
    userId: string;
    role: 'user' | 'assistant';
    content: string;
    refused?: boolean;
    guard?: string | null;
    model?: string | null;
    tokensIn?: number;
    tokensOut?: number;
  },
): Promise<MessageRow> {
  const res = await tx.query<MessageRow>(
    `INSERT INTO ai_chat_messages (conversation_id, user_id, role, content, refused, guard, model, tokens_input, tokens_output)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id, role, content, refused, guard, model, created_at`,
    [
      m.conversationId,
      m.userId,
      m.role,
      m.content,
      m.refused ?? false,
      m.guard ?? null,
      m.model ?? null,
      m.tokensIn ?? 0,
      m.tokensOut ?? 0,
    ],
  );
  const row = res.rows[0];
  if (!row) throw new Error('message insert returned no row');
  await tx.query('UPDATE ai_chat_conversations SET last_message_at = now() WHERE id = $1', [m.conversationId]);
  return row;
}

export async function recentMessages(tx: Q, conversationId: string, limit: number): Promise<MessageRow[]> {
  const res = await tx.query<MessageRow>(
    `SELECT id, role, content, refused, guard, model, created_at FROM ai_chat_messages
      WHERE conversation_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`,
    [conversationId, limit],
  );
  return res.rows.reverse();
}

export interface RecordMedicationRow extends MedicationDoseRow {
  instructions: string | null;
  take_after_meal: boolean;
  take_before_meal: boolean;
  duration_days: number | null;
  started: Date;
  taken_count: number;
  missed_count: number;
  skipped_count: number;
  adherence_rate: string | null;
  times: Record<string, string> | null;
}

/** The user's confirmed, active medicines with their reminder times and adherence. */
export async function recordMedications(tx: Q, userId: string): Promise<RecordMedicationRow[]> {
  const res = await tx.query<RecordMedicationRow>(
    `SELECT m.id, m.name, m.generic_name, m.lexicon_id, m.strength, m.form, m.dose_morning, m.dose_noon, m.dose_evening, m.dose_night,
            m.instructions, m.take_after_meal, m.take_before_meal, m.duration_days, m.created_at AS started,
            a.taken_count, a.missed_count, a.skipped_count, a.adherence_rate,
            (SELECT jsonb_object_agg(r.slot::text, to_char(r.reminder_time, 'HH24:MI')) FROM medication_reminders r
              WHERE r.medication_id = m.id AND r.is_active) AS times
       FROM medications m
       JOIN prescriptions p ON p.id = m.prescription_id
       JOIN v_medication_adherence a ON a.medication_id = m.id
      WHERE m.patient_id = $1 AND ${ACTIVE_MEDICATION}
      ORDER BY m.created_at, m.sequence`,
    [userId],
  );
  return res.rows;
}

export async function insertReport(
  tx: Q,
  r: { userId: string; reportType: string; title: string; language: string; content: string },
): Promise<{ id: string; created_at: Date } | undefined> {
  const res = await tx.query<{ id: string; created_at: Date }>(
    `INSERT INTO ai_reports (user_id, report_type, title, language, content, file_mime_type, status, model, generated_at)
       VALUES ($1, $2, $3, $4, $5, 'application/pdf', 'completed', 'dastern-builtin-1', now()) RETURNING id, created_at`,
    [r.userId, r.reportType, r.title, r.language, r.content],
  );
  return res.rows[0];
}

export interface ReportRow<C> {
  id: string;
  report_type: string;
  content: C;
  created_at: Date;
}

/** One report (RLS: the owner's alone); the caller gives the content's shape. */
export async function reportById<C>(tx: Q, id: string): Promise<ReportRow<C> | undefined> {
  const res = await tx.query<ReportRow<C>>(
    'SELECT id, report_type, content, created_at FROM ai_reports WHERE id = $1',
    [id],
  );
  return res.rows[0];
}
