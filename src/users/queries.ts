/** SQL of profiles, sessions, export and erasure. */
import type { PractitionerRow } from '../fhir/types.ts';
import type { Tx } from '../db/database.ts';
import { actorName } from '../audit/service.ts';

/** The language stored on the account (undefined when the row is not visible). */
export async function storedLanguageOf(tx: Pick<Tx, 'query'>, userId: string): Promise<string | undefined> {
  const res = await tx.query<{ language: string }>('SELECT language FROM users WHERE id = $1', [userId]);
  return res.rows[0]?.language;
}

export interface ProfileRow {
  id: string;
  email: string;
  role: string;
  first_name: string;
  last_name: string;
  phone: string | null;
  language: string;
  timezone: string;
  notification_preferences: Record<string, boolean>;
  dose_schedule_template: Record<string, string>;
  date_of_birth: string | null;
  gender: string | null;
  medical_conditions: string[];
  allergies: string[];
  emergency_contact_name: string | null;
  emergency_contact_phone: string | null;
  emergency_contact_relationship: string | null;
  license_number: string | null;
  specialization: string | null;
  hospital_name: string | null;
  email_verified_at: Date | null;
  created_at: Date;
  subscription_tier: string;
  is_premium: boolean;
  plan_code: string | null;
  current_period_end: Date | null;
}

export async function profile(tx: Tx, userId: string): Promise<ProfileRow | undefined> {
  const res = await tx.query<ProfileRow>(
    `SELECT id, email::text AS email, role::text AS role, first_name, last_name, phone, language, timezone,
            notification_preferences, dose_schedule_template, to_char(date_of_birth, 'YYYY-MM-DD') AS date_of_birth, gender,
            medical_conditions, allergies, emergency_contact_name, emergency_contact_phone, emergency_contact_relationship,
            license_number, specialization, hospital_name, email_verified_at, created_at,
            subscription_tier::text AS subscription_tier, is_premium, plan_code, current_period_end
       FROM v_user_profiles WHERE id = $1`,
    [userId],
  );
  return res.rows[0];
}

/** Columns a user may change on herself; names are fixed here, values are bound parameters. */
export type ProfileColumn =
  | 'first_name'
  | 'last_name'
  | 'phone'
  | 'language'
  | 'timezone'
  | 'date_of_birth'
  | 'gender'
  | 'medical_conditions'
  | 'allergies'
  | 'emergency_contact_name'
  | 'emergency_contact_phone'
  | 'emergency_contact_relationship'
  | 'license_number'
  | 'specialization'
  | 'hospital_name';

export async function updateProfile(
  tx: Tx,
  userId: string,
  set: Partial<Record<ProfileColumn, unknown>>,
  merge: { notification_preferences?: Record<string, boolean>; dose_schedule_template?: Record<string, string> },
): Promise<number> {
  const parts: string[] = [];
  const values: unknown[] = [userId];
  for (const [column, value] of Object.entries(set)) {
    values.push(value);
    parts.push(`${column} = $${values.length}`);
  }
  for (const [column, value] of Object.entries(merge)) {
    values.push(JSON.stringify(value));
    parts.push(`${column} = ${column} || $${values.length}::jsonb`);
  }
  if (parts.length === 0) return 0;
  const res = await tx.query(`UPDATE users SET ${parts.join(', ')} WHERE id = $1`, values);
  return res.rowCount ?? 0;
}

export interface SessionRow {
  id: string;
  device_info: Record<string, string>;
  ip_address: string | null;
  user_agent: string | null;
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date;
}

export async function openSessions(tx: Tx, userId: string): Promise<SessionRow[]> {
  const res = await tx.query<SessionRow>(
    `SELECT id, device_info, host(ip_address) AS ip_address, user_agent, created_at, last_used_at, expires_at
       FROM user_sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()
      ORDER BY coalesce(last_used_at, created_at) DESC`,
    [userId],
  );
  return res.rows;
}

/** Everything about the acting user, as JSON built by PostgreSQL (RLS applies to every part). */
export async function exportData(tx: Tx, userId: string): Promise<Record<string, unknown>> {
  const res = await tx.query<{ data: Record<string, unknown> }>(
    `SELECT jsonb_build_object(
       'profile', app_user_export_profile($1),
       'sessions', coalesce((SELECT jsonb_agg(to_jsonb(s) - 'refresh_token_hash' ORDER BY s.created_at) FROM user_sessions s WHERE s.user_id = $1), '[]'),
       'subscriptions', coalesce((SELECT jsonb_agg(to_jsonb(x) ORDER BY x.created_at) FROM user_subscriptions x WHERE x.user_id = $1), '[]'),
       'payments', coalesce((SELECT jsonb_agg(to_jsonb(x) ORDER BY x.created_at) FROM payment_transactions x WHERE x.user_id = $1), '[]'),
       'prescriptions', coalesce((SELECT jsonb_agg(to_jsonb(p) || jsonb_build_object('medications',
            coalesce((SELECT jsonb_agg(to_jsonb(m) ORDER BY m.sequence) FROM medications m WHERE m.prescription_id = p.id), '[]'))
            ORDER BY p.created_at) FROM prescriptions p WHERE p.patient_id = $1), '[]'),
       'reminders', coalesce((SELECT jsonb_agg(to_jsonb(r) ORDER BY r.created_at) FROM medication_reminders r WHERE r.patient_id = $1), '[]'),
       'medications_added_by_hand', coalesce((SELECT jsonb_agg(to_jsonb(m) ORDER BY m.created_at) FROM medications m WHERE m.patient_id = $1 AND m.prescription_id IS NULL), '[]'),
       'as_needed_doses', coalesce((SELECT jsonb_agg(to_jsonb(d) ORDER BY d.taken_at) FROM medication_prn_doses d WHERE d.patient_id = $1), '[]'),
       'dose_logs', coalesce((SELECT jsonb_agg(to_jsonb(l) ORDER BY l.scheduled_for) FROM medication_reminder_logs l WHERE l.patient_id = $1), '[]'),
       'care_relationships', coalesce((SELECT jsonb_agg(to_jsonb(c) - 'invitation_code' ORDER BY c.created_at) FROM doctor_patient_relationships c
            WHERE c.patient_id = $1 OR c.doctor_id = $1), '[]'),
       'clinical_notes', coalesce((SELECT jsonb_agg(to_jsonb(n) ORDER BY n.created_at) FROM clinical_notes n
            WHERE n.patient_id = $1 OR n.doctor_id = $1), '[]'),
       'notifications', coalesce((SELECT jsonb_agg(to_jsonb(n) ORDER BY n.created_at) FROM notifications n WHERE n.user_id = $1), '[]'),
       'ai_conversations', coalesce((SELECT jsonb_agg(to_jsonb(c) || jsonb_build_object('messages',
            coalesce((SELECT jsonb_agg(to_jsonb(m) ORDER BY m.created_at) FROM ai_chat_messages m WHERE m.conversation_id = c.id), '[]'))
            ORDER BY c.created_at) FROM ai_chat_conversations c WHERE c.user_id = $1), '[]'),
       'ai_reports', coalesce((SELECT jsonb_agg(to_jsonb(r) ORDER BY r.created_at) FROM ai_reports r WHERE r.user_id = $1), '[]')
     ) AS data`,
    [userId],
  );
  return { ...(res.rows[0]?.data ?? {}), access_log: await wholeAccessLog(tx) };
}

/** The doctors she has (or had) a care relationship with, for the FHIR export's Practitioners. */
export async function careTeam(tx: Tx, patientId: string): Promise<PractitionerRow[]> {
  return (
    await tx.query<PractitionerRow>(
      `SELECT u.id, u.first_name, u.last_name, u.license_number FROM users u
      WHERE u.id IN (SELECT doctor_id FROM doctor_patient_relationships WHERE patient_id = $1) ORDER BY u.last_name, u.id`,
      [patientId],
    )
  ).rows;
}

/** Every access-log row about the acting user, oldest first (the function gives pages of ≤ 1,000, newest first). */
async function wholeAccessLog(tx: Tx): Promise<Record<string, unknown>[]> {
  const PAGE = 1000;
  const newestFirst: AccessLogRow[] = [];
  let page = await accessLogPage(tx, PAGE, null);
  newestFirst.push(...page);
  while (page.length === PAGE) {
    page = await accessLogPage(tx, PAGE, page[PAGE - 1]?.seq ?? null);
    newestFirst.push(...page);
  }
  return newestFirst
    .reverse()
    .map((r) => ({ ...r.row, actor_name: actorName(r.row as Parameters<typeof actorName>[0]) }));
}

interface AccessLogRow {
  row: Record<string, unknown>;
  seq: string;
}

async function accessLogPage(tx: Tx, limit: number, beforeSeq: string | null): Promise<AccessLogRow[]> {
  return (
    await tx.query<AccessLogRow>(
      'SELECT to_jsonb(a) AS row, a.seq::text AS seq FROM app_my_access_log($1, $2, true) a',
      [limit, beforeSeq],
    )
  ).rows;
}

/**
 * Erasure. The users row is deleted: every personal and medical row cascades (foreign keys act
 * beneath RLS); payments and usage events keep their rows with the user nulled (accounting,
 * anonymous statistics). Then the audit trail forgets the user: ids, values, IP and user
 * agent are blanked in every row about her, including the rows this deletion just wrote.
 */
export async function eraseUser(tx: Tx, userId: string): Promise<{ auditRowsRedacted: number }> {
  await tx.query('DELETE FROM users WHERE id = $1', [userId]);
  const res = await tx.query<{ n: number }>('SELECT app_audit_erase_user($1) AS n', [userId]);
  return { auditRowsRedacted: res.rows[0]?.n ?? 0 };
}

/** Has an admin verified this doctor's licence? False for anyone else. */
export async function isVerifiedDoctor(tx: Tx, userId: string): Promise<boolean> {
  const res = await tx.query<{ ok: boolean }>(
    `SELECT (role = 'doctor' AND doctor_verified_at IS NOT NULL) AS ok FROM users WHERE id = $1`,
    [userId],
  );
  return res.rows[0]?.ok ?? false;
}

/** What planning reminders needs of a patient: her time zone, dose-time template, today there, and language. */
export interface DoseSettingsRow {
  timezone: string;
  dose_schedule_template: unknown;
  today: string;
  language: string | null;
}

export async function doseSettings(tx: Pick<Tx, 'query'>, userId: string): Promise<DoseSettingsRow | undefined> {
  const res = await tx.query<DoseSettingsRow>(
    `SELECT timezone, dose_schedule_template, to_char((now() AT TIME ZONE timezone)::date, 'YYYY-MM-DD') AS today, language FROM users WHERE id = $1`,
    [userId],
  );
  return res.rows[0];
}
