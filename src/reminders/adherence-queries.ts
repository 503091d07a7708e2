/** Today's doses, reminder lists and changes, adherence: SQL only. */
import type { Tx } from '../db/database.ts';
import { NOT_DELETED, prnSummary } from './medication-queries.ts';
import type { AdherenceReportT, ReminderItemT, ReminderPatchT, TodayDoseT } from './types.ts';

export async function todayDoses(tx: Tx, patientId: string): Promise<TodayDoseT[]> {
  const res = await tx.query<
    Omit<TodayDoseT, 'dose_amount' | 'scheduled_for'> & { dose_amount: string; scheduled_for: Date }
  >(
    `SELECT r.id AS reminder_id, m.id AS medication_id, m.prescription_id, m.name, m.strength, r.slot::text AS slot,
            to_char(r.reminder_time, 'HH24:MI') AS time, o.at AS scheduled_for, r.dose_amount, r.dose_unit,
            m.take_after_meal, m.take_before_meal,
            coalesce(l.status::text, CASE WHEN o.at > now() THEN 'upcoming' ELSE 'pending' END) AS status, l.id AS log_id,
            (l.id IS NULL AND t.day = r.start_date AND o.at < date_trunc('minute', r.created_at)) AS before_start
     FROM medication_reminders r
     JOIN medications m ON m.id = r.medication_id AND m.is_active
     CROSS JOIN LATERAL (SELECT (now() AT TIME ZONE r.timezone)::date AS day) AS t
     CROSS JOIN LATERAL (SELECT (t.day + r.reminder_time) AT TIME ZONE r.timezone AS at) AS o
     LEFT JOIN medication_reminder_logs l ON l.reminder_id = r.id AND l.scheduled_for = o.at
     WHERE r.patient_id = $1
       AND (r.is_active OR l.id IS NOT NULL) AND ${NOT_DELETED}
       AND t.day >= r.start_date AND (r.end_date IS NULL OR t.day <= r.end_date)
       AND extract(isodow FROM t.day)::smallint = ANY (r.days_of_week)
     ORDER BY o.at, m.name`,
    [patientId],
  );
  return res.rows.map((r) => ({
    ...r,
    dose_amount: Number(r.dose_amount),
    scheduled_for: r.scheduled_for.toISOString(),
  }));
}

type ReminderRow = Omit<ReminderItemT, 'dose_amount' | 'adherence_rate' | 'next_reminder_at'> & {
  dose_amount: string;
  adherence_rate: string | null;
  next_reminder_at: Date | null;
};

export async function listReminders(
  tx: Tx,
  patientId: string | undefined,
  reminderId?: string,
): Promise<ReminderItemT[]> {
  const res = await tx.query<ReminderRow>(
    `SELECT r.id, r.patient_id, r.medication_id, m.name, m.strength, r.slot::text AS slot, to_char(r.reminder_time, 'HH24:MI') AS reminder_time,
            r.dose_amount, r.dose_unit, r.days_of_week::int[] AS days_of_week, to_char(r.start_date, 'YYYY-MM-DD') AS start_date,
            to_char(r.end_date, 'YYYY-MM-DD') AS end_date, r.timezone, r.is_active, r.advance_minutes, r.snooze_minutes,
            r.next_reminder_at, r.taken_count, r.missed_count, r.skipped_count, r.adherence_rate
     FROM medication_reminders r JOIN medications m ON m.id = r.medication_id
     WHERE ($1::uuid IS NULL OR r.patient_id = $1) AND ($2::uuid IS NULL OR r.id = $2)
     ORDER BY r.patient_id, m.name, r.reminder_time
     LIMIT 500`,
    [patientId ?? null, reminderId ?? null],
  );
  return res.rows.map((r) => ({
    ...r,
    dose_amount: Number(r.dose_amount),
    adherence_rate: r.adherence_rate === null ? null : Number(r.adherence_rate),
    next_reminder_at: r.next_reminder_at?.toISOString() ?? null,
  }));
}

/** Applies a change and recomputes the next dose; false when RLS refused the update. */
export async function updateReminder(tx: Tx, id: string, p: ReminderPatchT): Promise<boolean> {
  const res = await tx.query(
    `UPDATE medication_reminders r SET
        reminder_time = coalesce($2::time, r.reminder_time),
        days_of_week = coalesce($3::smallint[], r.days_of_week),
        is_active = coalesce($4::boolean, r.is_active),
        advance_minutes = coalesce($5::int, r.advance_minutes),
        snooze_minutes = coalesce($6::int, r.snooze_minutes),
        end_date = CASE WHEN $7::boolean THEN $8::date ELSE r.end_date END
     WHERE r.id = $1`,
    [
      id,
      p.reminder_time ?? null,
      p.days_of_week ?? null,
      p.is_active ?? null,
      p.advance_minutes ?? null,
      p.snooze_minutes ?? null,
      p.end_date !== undefined,
      p.end_date ?? null,
    ],
  );
  if (res.rowCount === 0) return false;
  await tx.query(
    `UPDATE medication_reminders r SET next_reminder_at = CASE WHEN r.is_active THEN
        reminder_next_occurrence(now() + make_interval(mins => r.advance_minutes), r.reminder_time, r.timezone, r.days_of_week, r.start_date, r.end_date)
          - make_interval(mins => r.advance_minutes) END
     WHERE r.id = $1`,
    [id],
  );
  return true;
}

export async function canSeeReminders(tx: Tx, patientId: string): Promise<boolean> {
  const res = await tx.query<{ ok: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM doctor_patient_relationships
                    WHERE patient_id = $1 AND doctor_id = app_current_user_id() AND status = 'active' AND can_view_prescriptions)
            OR app_is_admin() AS ok`,
    [patientId],
  );
  return res.rows[0]?.ok === true;
}

interface CountRow {
  taken: number;
  missed: number;
  skipped: number;
  pending: number;
}

function withRate<T extends CountRow>(r: T): T & { rate: number | null } {
  const done = r.taken + r.missed + r.skipped;
  return { ...r, rate: done === 0 ? null : Math.round((10000 * r.taken) / done) / 100 };
}

const COUNTS = `count(*) FILTER (WHERE l.status = 'taken')::int AS taken, count(*) FILTER (WHERE l.status = 'missed')::int AS missed,
  count(*) FILTER (WHERE l.status = 'skipped')::int AS skipped, count(*) FILTER (WHERE l.status IN ('pending', 'snoozed'))::int AS pending`;

export async function adherenceReport(tx: Tx, patientId: string, days: 7 | 30): Promise<AdherenceReportT> {
  const range = await tx.query<{ from: string; to: string; tz: string }>(
    `SELECT to_char((now() AT TIME ZONE u.timezone)::date - ($2::int - 1), 'YYYY-MM-DD') AS "from",
            to_char((now() AT TIME ZONE u.timezone)::date, 'YYYY-MM-DD') AS "to", u.timezone AS tz
     FROM users u WHERE u.id = $1`,
    [patientId, days],
  );
  const r = range.rows[0];
  if (!r)
    return {
      patient_id: patientId,
      days,
      from: '',
      to: '',
      overall: withRate({ taken: 0, missed: 0, skipped: 0, pending: 0 }),
      per_medication: [],
      per_prescription: [],
      per_day: [],
      refill_alerts: [],
      as_needed: [],
    };
  const base = `FROM medication_reminder_logs l JOIN medication_reminders mr ON mr.id = l.reminder_id JOIN medications m ON m.id = mr.medication_id
    WHERE l.patient_id = $1 AND (l.scheduled_for AT TIME ZONE $4)::date BETWEEN $2::date AND $3::date AND ${NOT_DELETED}`;
  const values = [patientId, r.from, r.to, r.tz];
  const overall = await tx.query<CountRow>(`SELECT ${COUNTS} ${base}`, values);
  const perMed = await tx.query<
    CountRow & { medication_id: string; prescription_id: string | null; name: string; strength: string | null }
  >(
    `SELECT m.id AS medication_id, m.prescription_id, m.name, m.strength, ${COUNTS} ${base} GROUP BY m.id ORDER BY m.name`,
    values,
  );
  const perRx = await tx.query<CountRow & { prescription_id: string | null }>(
    `SELECT m.prescription_id, ${COUNTS} ${base} GROUP BY m.prescription_id ORDER BY m.prescription_id NULLS LAST`,
    values,
  );
  const perDay = await tx.query<CountRow & { date: string }>(
    `SELECT to_char(d.day, 'YYYY-MM-DD') AS date,
            count(l.id) FILTER (WHERE l.status = 'taken')::int AS taken, count(l.id) FILTER (WHERE l.status = 'missed')::int AS missed,
            count(l.id) FILTER (WHERE l.status = 'skipped')::int AS skipped, count(l.id) FILTER (WHERE l.status IN ('pending', 'snoozed'))::int AS pending
     FROM generate_series($2::date, $3::date, interval '1 day') AS d(day)
     LEFT JOIN (medication_reminder_logs l JOIN medication_reminders mr ON mr.id = l.reminder_id JOIN medications m ON m.id = mr.medication_id AND ${NOT_DELETED})
       ON l.patient_id = $1 AND (l.scheduled_for AT TIME ZONE $4)::date = d.day::date
     GROUP BY d.day ORDER BY d.day`,
    values,
  );
  const refills = await tx.query<{ medication_id: string; name: string; remaining_doses: string; days_left: string }>(
    `SELECT m.id AS medication_id, m.name,
            m.quantity - coalesce(sum(mr.dose_amount) FILTER (WHERE l.status = 'taken'), 0) AS remaining_doses,
            round((m.quantity - coalesce(sum(mr.dose_amount) FILTER (WHERE l.status = 'taken'), 0)) / m.daily_dose, 1) AS days_left
     FROM medications m
     LEFT JOIN medication_reminders mr ON mr.medication_id = m.id
     LEFT JOIN medication_reminder_logs l ON l.reminder_id = mr.id
     WHERE m.patient_id = $1 AND m.is_active AND m.quantity IS NOT NULL AND m.daily_dose > 0
       AND EXISTS (SELECT 1 FROM medication_reminders x WHERE x.medication_id = m.id AND x.is_active)
     GROUP BY m.id
     HAVING (m.quantity - coalesce(sum(mr.dose_amount) FILTER (WHERE l.status = 'taken'), 0)) / m.daily_dose <= 3`,
    [patientId],
  );
  return {
    patient_id: patientId,
    days,
    from: r.from,
    to: r.to,
    overall: withRate(overall.rows[0] ?? { taken: 0, missed: 0, skipped: 0, pending: 0 }),
    per_medication: perMed.rows.map(withRate),
    per_prescription: perRx.rows.map(withRate),
    per_day: perDay.rows.map(withRate),
    as_needed: await prnSummary(tx, patientId, r.from, r.to, r.tz),
    refill_alerts: refills.rows.map((x) => ({
      medication_id: x.medication_id,
      name: x.name,
      remaining_doses: Number(x.remaining_doses),
      days_left: Number(x.days_left),
    })),
  };
}

export interface DoseCountsRow {
  medication_id: string;
  slot: string;
  taken: number;
  missed: number;
  skipped: number;
}

/** The patient's dose outcomes of the last N days, per medication and slot (the AI reports). */
export async function doseCountsBySlot(
  tx: Pick<Tx, 'query'>,
  patientId: string,
  days: number,
): Promise<DoseCountsRow[]> {
  const res = await tx.query<DoseCountsRow>(
    `SELECT r.medication_id, r.slot::text AS slot,
            count(*) FILTER (WHERE l.status = 'taken')::int AS taken,
            count(*) FILTER (WHERE l.status = 'missed')::int AS missed,
            count(*) FILTER (WHERE l.status = 'skipped')::int AS skipped
       FROM medication_reminder_logs l JOIN medication_reminders r ON r.id = l.reminder_id
      WHERE l.patient_id = $1 AND l.scheduled_for >= now() - make_interval(days => $2) AND l.scheduled_for <= now()
      GROUP BY r.medication_id, r.slot`,
    [patientId, days],
  );
  return res.rows;
}
