/** Reminders and dose logs: SQL only (parameterised; RLS decides who may see and change). */
import type { Tx } from '../db/database.ts';
import type { ReminderPlan } from './schedule.ts';

export interface NewReminder extends ReminderPlan {
  medicationId: string;
  patientId: string;
  timezone: string;
  durationDays: number | null;
  /** YYYY-MM-DD in the patient's time zone; default today */
  startDate?: string | null | undefined;
}

/**
 * Starts on startDate (default today in the patient's time zone); next_reminder_at is the first
 * dose at or after now. A schedule whose last day is already past (an old start date) is written inactive.
 */
export async function insertReminder(tx: Tx, r: NewReminder): Promise<string> {
  const res = await tx.query<{ id: string }>(
    `WITH s AS (SELECT coalesce($9::date, (now() AT TIME ZONE $7)::date) AS start_date),
          e AS (SELECT s.start_date, CASE WHEN $8::int IS NULL THEN NULL ELSE s.start_date + ($8::int - 1) END AS end_date FROM s),
          n AS (SELECT e.*, reminder_next_occurrence(now(), $4::time, $7, '{1,2,3,4,5,6,7}', e.start_date, e.end_date) AS next_at FROM e)
     INSERT INTO medication_reminders (medication_id, patient_id, slot, reminder_time, dose_amount, dose_unit,
                                       start_date, end_date, timezone, next_reminder_at, is_active)
     SELECT $1, $2, $3, $4::time, $5, $6, n.start_date, n.end_date, $7, n.next_at,
            n.end_date IS NULL OR n.end_date >= (now() AT TIME ZONE $7)::date
     FROM n RETURNING id`,
    [r.medicationId, r.patientId, r.slot, r.time, r.dose, r.unit, r.timezone, r.durationDays, r.startDate ?? null],
  );
  const row = res.rows[0];
  if (!row) throw new Error('reminder insert returned no row');
  return row.id;
}

export interface ReminderRow {
  id: string;
  patient_id: string;
  medication_id: string;
  timezone: string;
  snooze_minutes: number;
  grace_minutes: number;
  is_active: boolean;
  /** YYYY-MM-DD */
  start_date: string;
}

export async function findReminder(tx: Tx, id: string, forUpdate = false): Promise<ReminderRow | undefined> {
  const res = await tx.query<ReminderRow>(
    `SELECT id, patient_id, medication_id, timezone, snooze_minutes, grace_minutes, is_active, to_char(start_date, 'YYYY-MM-DD') AS start_date
       FROM medication_reminders WHERE id = $1 ${forUpdate ? 'FOR UPDATE' : ''}`,
    [id],
  );
  return res.rows[0];
}

/** Is `at` one of the reminder's dose times (right weekday, inside its dates)? */
export async function isOccurrence(tx: Tx, reminderId: string, at: Date): Promise<boolean> {
  const res = await tx.query<{ ok: boolean }>(
    `SELECT reminder_next_occurrence($2, r.reminder_time, r.timezone, r.days_of_week, r.start_date, r.end_date) = $2 AS ok
     FROM medication_reminders r WHERE r.id = $1`,
    [reminderId, at],
  );
  return res.rows[0]?.ok === true;
}

/** The dose a report without a time refers to: the latest one notified and still open, else today's. */
export async function currentDose(tx: Tx, reminderId: string): Promise<Date | undefined> {
  const res = await tx.query<{ at: Date | null }>(
    `SELECT coalesce(
       (SELECT l.scheduled_for FROM medication_reminder_logs l
        WHERE l.reminder_id = r.id AND l.status IN ('pending', 'snoozed') ORDER BY l.scheduled_for DESC LIMIT 1),
       (SELECT o.at FROM (SELECT reminder_next_occurrence(t.day::timestamp AT TIME ZONE r.timezone, r.reminder_time, r.timezone,
                                                          r.days_of_week, r.start_date, r.end_date) AS at) AS o
        WHERE (o.at AT TIME ZONE r.timezone)::date = t.day)) AS at
     FROM medication_reminders r CROSS JOIN LATERAL (SELECT (now() AT TIME ZONE r.timezone)::date AS day) AS t
     WHERE r.id = $1`,
    [reminderId],
  );
  return res.rows[0]?.at ?? undefined;
}

export interface LogRow {
  id: string;
  reminder_id: string;
  scheduled_for: Date;
  status: string;
  action_at: Date | null;
  snoozed_until: Date | null;
  reason: string | null;
  inserted: boolean;
}

const LOG_COLUMNS =
  'l.id, l.reminder_id, l.scheduled_for, l.status::text AS status, l.action_at, l.snoozed_until, l.reason';

/** The log of one dose, locked for the change about to be made. */
export async function lockLog(tx: Tx, reminderId: string, scheduledFor: Date): Promise<LogRow | undefined> {
  const res = await tx.query<LogRow>(
    `SELECT ${LOG_COLUMNS}, false AS inserted FROM medication_reminder_logs l
      WHERE l.reminder_id = $1 AND l.scheduled_for = $2 FOR UPDATE`,
    [reminderId, scheduledFor],
  );
  return res.rows[0];
}

/**
 * The dose state machine's verdict (SQL function dose_log_refusal, the one definition the
 * dose_log_state trigger also enforces): null when the change is allowed, else its problem code.
 */
export async function transitionRefusal(tx: Tx, from: string, to: string): Promise<string | null> {
  const res = await tx.query<{ refusal: string | null }>(
    'SELECT dose_log_refusal($1::reminder_log_status, $2::reminder_log_status) AS refusal',
    [from, to],
  );
  return res.rows[0]?.refusal ?? null;
}

export interface DoseWrite {
  reminderId: string;
  patientId: string;
  scheduledFor: Date;
  status: 'taken' | 'skipped' | 'snoozed';
  /** when taken or skipped; null otherwise */
  actionAt: Date | null;
  /** when snoozed; null otherwise */
  snoozedUntil: Date | null;
  /** only with skipped */
  reason: string | null;
}

/**
 * Writes the dose's whole state (nothing of an earlier state survives); one log per dose.
 * `inserted`: the row was made by this transaction (its created_at is the transaction's start);
 * a partitioned table (migration 030) cannot return the system column xmax.
 */
export async function writeLog(tx: Tx, w: DoseWrite): Promise<LogRow> {
  const res = await tx.query<LogRow>(
    `INSERT INTO medication_reminder_logs AS l (reminder_id, patient_id, scheduled_for, status, action_at, snoozed_until, reason)
     VALUES ($1, $2, $3, $4::reminder_log_status, $5, $6, $7)
     ON CONFLICT ON CONSTRAINT medication_reminder_logs_reminder_id_scheduled_for_key DO UPDATE
       SET status = excluded.status, action_at = excluded.action_at, snoozed_until = excluded.snoozed_until, reason = excluded.reason
     RETURNING ${LOG_COLUMNS}, (l.created_at = now()) AS inserted`,
    [w.reminderId, w.patientId, w.scheduledFor, w.status, w.actionAt, w.snoozedUntil, w.reason],
  );
  const row = res.rows[0];
  if (!row) throw new Error('dose log write returned no row');
  return row;
}

/**
 * Refill alert: when what is left of a medication (quantity − doses taken) covers 3 days or
 * less, one notification to the patient (once per medication).
 */
export async function refillCheck(tx: Tx, medicationId: string): Promise<void> {
  await tx.query(
    `WITH left_ AS (
       SELECT m.id, m.patient_id, m.name, m.quantity - coalesce(sum(mr.dose_amount) FILTER (WHERE l.status = 'taken'), 0) AS remaining,
              m.daily_dose
       FROM medications m
       LEFT JOIN medication_reminders mr ON mr.medication_id = m.id
       LEFT JOIN medication_reminder_logs l ON l.reminder_id = mr.id
       WHERE m.id = $1 AND m.quantity IS NOT NULL AND m.daily_dose > 0
       GROUP BY m.id)
     INSERT INTO notifications (user_id, type, title, body, data, dedupe_key)
     SELECT patient_id, 'refill',
            CASE (SELECT language FROM users WHERE id = patient_id) WHEN 'en' THEN 'Time to refill your medicine'
                 WHEN 'fr' THEN 'Pensez à renouveler votre médicament' ELSE 'ថ្នាំរបស់អ្នកជិតអស់ហើយ' END,
            name, jsonb_build_object('medication_id', id, 'remaining_doses', remaining, 'days_left', round(remaining / daily_dose, 1)),
            'refill:' || id
     FROM left_ WHERE remaining / daily_dose <= 3
     ON CONFLICT ON CONSTRAINT notifications_dedupe_key_key DO NOTHING`,
    [medicationId],
  );
}

/** Can the caller see this reminder (RLS)? */
export async function reminderVisible(tx: Pick<Tx, 'query'>, id: string): Promise<boolean> {
  return ((await tx.query('SELECT 1 FROM medication_reminders WHERE id = $1', [id])).rowCount ?? 0) > 0;
}
