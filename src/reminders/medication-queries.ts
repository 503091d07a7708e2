/** A patient's own medicines, stopping, as-needed intakes and the dose history: SQL only. */
import type { Tx } from '../db/database.ts';
import type { HistoryItemT, OwnMedicationT, PrnDoseT } from './medication-types.ts';

/** Doses of a medicine of a deleted prescription are history no view counts (see README: deleting). */
export const NOT_DELETED = `(m.prescription_id IS NULL OR EXISTS (SELECT 1 FROM prescriptions dp WHERE dp.id = m.prescription_id AND dp.deleted_at IS NULL))`;

/** What every new medicine states, by hand or from a prescription. */
interface NewMedicationFields {
  patientId: string;
  name: string;
  genericName: string | null;
  strength: string | null;
  form: string | null;
  quantity: number | null;
  quantityUnit: string | null;
  instructions: string | null;
  takeAfterMeal: boolean;
  takeBeforeMeal: boolean;
  durationDays: number | null;
}

/** The columns of NewMedicationFields, bound to $1..$11 by newMedicationValues. */
const NEW_MEDICATION_COLUMNS = `patient_id, name, generic_name, strength, form, quantity, quantity_unit,
        instructions, take_after_meal, take_before_meal, duration_days`;
const NEW_MEDICATION_VALUES = '$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11';
const newMedicationValues = (m: NewMedicationFields): unknown[] => [
  m.patientId,
  m.name,
  m.genericName,
  m.strength,
  m.form,
  m.quantity,
  m.quantityUnit,
  m.instructions,
  m.takeAfterMeal,
  m.takeBeforeMeal,
  m.durationDays,
];

/** A dose per slot of the day, in the column order dose_morning, dose_noon, dose_evening, dose_night. */
interface DoseSlots {
  morning: number;
  noon: number;
  evening: number;
  night: number;
}
const slotValues = (d: DoseSlots): number[] => [d.morning, d.noon, d.evening, d.night];

export interface MedicationInsert extends NewMedicationFields {
  scheduleKind: 'slots' | 'interval' | 'as_needed';
  slots: DoseSlots;
  intervalHours: number | null;
  firstDoseTime: string | null;
  doseAmount: number | null;
  doseUnit: string | null;
}

export async function insertManualMedication(tx: Tx, m: MedicationInsert): Promise<string> {
  const res = await tx.query<{ id: string }>(
    `INSERT INTO medications (${NEW_MEDICATION_COLUMNS}, prescription_id, source, sequence, schedule_kind,
        dose_morning, dose_noon, dose_evening, dose_night, interval_hours, first_dose_time, dose_amount, dose_unit)
     VALUES (${NEW_MEDICATION_VALUES}, NULL, 'manual', 1, $12, $13, $14, $15, $16, $17, $18::time, $19, $20)
     RETURNING id`,
    [
      ...newMedicationValues(m),
      m.scheduleKind,
      ...slotValues(m.slots),
      m.intervalHours,
      m.firstDoseTime,
      m.doseAmount,
      m.doseUnit,
    ],
  );
  const row = res.rows[0];
  if (!row) throw new Error('medication insert returned no row');
  return row.id;
}

/** The columns every view of a medicine shows (a prescription's line or an own medicine), as read. */
export interface MedicationColumns {
  name: string;
  generic_name: string | null;
  strength: string | null;
  form: string | null;
  quantity: string | null;
  quantity_unit: string | null;
  instructions: string | null;
  take_after_meal: boolean;
  take_before_meal: boolean;
  dose_morning: string;
  dose_noon: string;
  dose_evening: string;
  dose_night: string;
}

/** Those columns as the API shows them (numbers as numbers, the four doses as one schedule). */
export function medicationColumns(r: MedicationColumns) {
  return {
    name: r.name,
    generic_name: r.generic_name,
    strength: r.strength,
    form: r.form,
    quantity: r.quantity === null ? null : Number(r.quantity),
    quantity_unit: r.quantity_unit,
    instructions: r.instructions,
    take_after_meal: r.take_after_meal,
    take_before_meal: r.take_before_meal,
    dosage_schedule: {
      morning: Number(r.dose_morning),
      noon: Number(r.dose_noon),
      evening: Number(r.dose_evening),
      night: Number(r.dose_night),
    },
  };
}

interface MedRow extends Omit<
  OwnMedicationT,
  'quantity' | 'dosage_schedule' | 'dose_amount' | 'stopped_at' | 'created_at' | 'reminders'
> {
  quantity: string | null;
  dose_amount: string | null;
  dose_morning: string;
  dose_noon: string;
  dose_evening: string;
  dose_night: string;
  stopped_at: Date | null;
  created_at: Date;
  reminders: Array<Omit<OwnMedicationT['reminders'][number], 'dose_amount'> & { dose_amount: string | number }>;
}

/** The patient's medicines (or one), with their reminders; medicines of deleted prescriptions are left out. */
export async function ownMedications(
  tx: Tx,
  patientId: string,
  options: { id?: string; active?: boolean } = {},
): Promise<OwnMedicationT[]> {
  const res = await tx.query<MedRow>(
    `SELECT m.id, m.patient_id, m.prescription_id, m.source, m.name, m.generic_name, m.strength, m.form, m.quantity, m.quantity_unit,
            m.instructions, m.take_after_meal, m.take_before_meal, m.schedule_kind, m.dose_morning, m.dose_noon, m.dose_evening, m.dose_night,
            m.interval_hours::int AS interval_hours, to_char(m.first_dose_time, 'HH24:MI') AS first_dose_time, m.dose_amount, m.dose_unit,
            m.duration_days, m.is_active, m.stopped_at, m.stop_reason, m.created_at,
            coalesce((SELECT json_agg(json_build_object('id', r.id, 'slot', r.slot, 'reminder_time', to_char(r.reminder_time, 'HH24:MI'),
                        'dose_amount', r.dose_amount, 'dose_unit', r.dose_unit, 'start_date', to_char(r.start_date, 'YYYY-MM-DD'),
                        'end_date', to_char(r.end_date, 'YYYY-MM-DD'), 'is_active', r.is_active, 'next_reminder_at', r.next_reminder_at)
                        ORDER BY r.reminder_time)
                      FROM medication_reminders r WHERE r.medication_id = m.id), '[]') AS reminders
     FROM medications m
     WHERE m.patient_id = $1 AND ($2::uuid IS NULL OR m.id = $2) AND ($3::boolean IS NULL OR m.is_active = $3) AND ${NOT_DELETED}
     ORDER BY m.is_active DESC, m.created_at DESC, m.sequence
     LIMIT 500`,
    [patientId, options.id ?? null, options.active ?? null],
  );
  return res.rows.map((r) => ({
    id: r.id,
    patient_id: r.patient_id,
    prescription_id: r.prescription_id,
    source: r.source,
    ...medicationColumns(r),
    schedule_kind: r.schedule_kind,
    interval_hours: r.interval_hours,
    first_dose_time: r.first_dose_time,
    dose_amount: r.dose_amount === null ? null : Number(r.dose_amount),
    dose_unit: r.dose_unit,
    duration_days: r.duration_days,
    is_active: r.is_active,
    stopped_at: r.stopped_at?.toISOString() ?? null,
    stop_reason: r.stop_reason,
    created_at: r.created_at.toISOString(),
    reminders: r.reminders.map((x) => ({
      ...x,
      dose_amount: Number(x.dose_amount),
      next_reminder_at: x.next_reminder_at === null ? null : new Date(x.next_reminder_at).toISOString(),
    })),
  }));
}

export async function lockMedication(
  tx: Tx,
  id: string,
): Promise<
  { id: string; patient_id: string; is_active: boolean; schedule_kind: string; dose_amount: string | null } | undefined
> {
  const res = await tx.query<{
    id: string;
    patient_id: string;
    is_active: boolean;
    schedule_kind: string;
    dose_amount: string | null;
  }>(
    `SELECT m.id, m.patient_id, m.is_active, m.schedule_kind, m.dose_amount FROM medications m WHERE m.id = $1 AND ${NOT_DELETED} FOR UPDATE OF m`,
    [id],
  );
  return res.rows[0];
}

/**
 * Ends reminders (of some medicines, or one reminder): no more notifications, the last day
 * today (or left as it was when the schedule has not begun), open doses still ahead withdrawn.
 * Doses already due stay: taken, skipped, missed — and open ones become missed after the
 * grace window, as they were due while the medicine was on.
 */
export async function endReminders(
  tx: Tx,
  where: { medicationIds?: readonly string[]; reminderId?: string },
): Promise<void> {
  const values = [where.medicationIds ?? null, where.reminderId ?? null];
  const match = '(($1::uuid[] IS NOT NULL AND r.medication_id = ANY ($1::uuid[])) OR r.id = $2::uuid)';
  await tx.query(
    `UPDATE medication_reminders r SET is_active = false, next_reminder_at = NULL,
        end_date = CASE WHEN (now() AT TIME ZONE r.timezone)::date >= r.start_date
                        THEN least(coalesce(r.end_date, (now() AT TIME ZONE r.timezone)::date), (now() AT TIME ZONE r.timezone)::date)
                        ELSE r.end_date END
      WHERE ${match}`,
    values,
  );
  await tx.query(
    `DELETE FROM medication_reminder_logs l USING medication_reminders r
      WHERE r.id = l.reminder_id AND ${match} AND l.status IN ('pending', 'snoozed') AND l.scheduled_for > now()`,
    values,
  );
}

export async function stopMedications(tx: Tx, ids: readonly string[], reason: string | null): Promise<void> {
  await tx.query(
    `UPDATE medications SET is_active = false, stopped_at = coalesce(stopped_at, now()), stop_reason = coalesce(stop_reason, $2)
      WHERE id = ANY ($1::uuid[])`,
    [ids, reason],
  );
  await endReminders(tx, { medicationIds: ids });
}

export async function insertPrnDose(
  tx: Tx,
  d: { medicationId: string; patientId: string; takenAt: Date; doseAmount: number; note: string | null },
): Promise<PrnDoseT> {
  const res = await tx.query<{
    id: string;
    medication_id: string;
    taken_at: Date;
    dose_amount: string;
    note: string | null;
  }>(
    `INSERT INTO medication_prn_doses (medication_id, patient_id, taken_at, dose_amount, note) VALUES ($1, $2, $3, $4, $5)
     RETURNING id, medication_id, taken_at, dose_amount, note`,
    [d.medicationId, d.patientId, d.takenAt, d.doseAmount, d.note],
  );
  const r = res.rows[0];
  if (!r) throw new Error('PRN dose insert returned no row');
  return {
    id: r.id,
    medication_id: r.medication_id,
    taken_at: r.taken_at.toISOString(),
    dose_amount: Number(r.dose_amount),
    note: r.note,
  };
}

/** Reminders with a recorded dose are ended (history), others removed; false when not hers. */
export async function deleteReminder(tx: Tx, id: string, patientId: string): Promise<'deleted' | 'ended' | 'none'> {
  const found = await tx.query<{ logged: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM medication_reminder_logs l WHERE l.reminder_id = r.id AND l.status NOT IN ('pending', 'snoozed')) AS logged
       FROM medication_reminders r WHERE r.id = $1 AND r.patient_id = $2 FOR UPDATE`,
    [id, patientId],
  );
  const row = found.rows[0];
  if (!row) return 'none';
  if (row.logged) {
    await endReminders(tx, { reminderId: id });
    return 'ended';
  }
  await tx.query('DELETE FROM medication_reminders WHERE id = $1', [id]);
  return 'deleted';
}

export interface HistoryFilter {
  patientId: string;
  from: string;
  to: string;
  medicationId: string | null;
  limit: number;
  offset: number;
}

/** Dose logs and as-needed intakes between two local dates (the patient's time zone), newest first. */
export async function doseHistory(tx: Tx, f: HistoryFilter): Promise<{ items: HistoryItemT[]; total: number }> {
  const res = await tx.query<
    Omit<HistoryItemT, 'at' | 'action_at' | 'snoozed_until' | 'dose_amount'> & {
      at: Date;
      action_at: Date | null;
      snoozed_until: Date | null;
      dose_amount: string;
      total: number;
    }
  >(
    `WITH tz AS (SELECT u.timezone FROM users u WHERE u.id = $1),
     items AS (
       SELECT 'scheduled' AS kind, l.id, m.id AS medication_id, m.prescription_id, m.name, m.strength, l.reminder_id, l.scheduled_for AS at,
              l.status::text AS status, l.action_at, l.snoozed_until, l.reason, r.dose_amount, r.dose_unit
         FROM medication_reminder_logs l
         JOIN medication_reminders r ON r.id = l.reminder_id
         JOIN medications m ON m.id = r.medication_id
        WHERE l.patient_id = $1 AND ($4::uuid IS NULL OR m.id = $4) AND ${NOT_DELETED}
          AND (l.scheduled_for AT TIME ZONE (SELECT timezone FROM tz))::date BETWEEN $2::date AND $3::date
       UNION ALL
       SELECT 'as_needed', d.id, m.id, m.prescription_id, m.name, m.strength, NULL, d.taken_at, 'taken', d.taken_at, NULL, d.note,
              d.dose_amount, coalesce(m.dose_unit, 'dose')
         FROM medication_prn_doses d
         JOIN medications m ON m.id = d.medication_id
        WHERE d.patient_id = $1 AND ($4::uuid IS NULL OR m.id = $4) AND ${NOT_DELETED}
          AND (d.taken_at AT TIME ZONE (SELECT timezone FROM tz))::date BETWEEN $2::date AND $3::date)
     SELECT items.*, count(*) OVER ()::int AS total FROM items ORDER BY at DESC, id LIMIT $5 OFFSET $6`,
    [f.patientId, f.from, f.to, f.medicationId, f.limit, f.offset],
  );
  let total = res.rows[0]?.total;
  if (total === undefined) total = 0;
  return {
    total,
    items: res.rows.map(({ total: _t, ...r }) => ({
      ...r,
      at: r.at.toISOString(),
      action_at: r.action_at?.toISOString() ?? null,
      snoozed_until: r.snoozed_until?.toISOString() ?? null,
      dose_amount: Number(r.dose_amount),
    })),
  };
}

/** Today's local date for the patient, and the date `days` before. */
export async function localToday(tx: Tx, patientId: string): Promise<{ today: string; timezone: string } | undefined> {
  const res = await tx.query<{ today: string; timezone: string }>(
    `SELECT to_char((now() AT TIME ZONE u.timezone)::date, 'YYYY-MM-DD') AS today, u.timezone FROM users u WHERE u.id = $1`,
    [patientId],
  );
  return res.rows[0];
}

/** As-needed intakes per medicine over a date range (counted apart from scheduled adherence). */
export async function prnSummary(
  tx: Tx,
  patientId: string,
  from: string,
  to: string,
  tz: string,
): Promise<Array<{ medication_id: string; name: string; strength: string | null; doses: number; amount: number }>> {
  const res = await tx.query<{
    medication_id: string;
    name: string;
    strength: string | null;
    doses: number;
    amount: string;
  }>(
    `SELECT m.id AS medication_id, m.name, m.strength, count(*)::int AS doses, sum(d.dose_amount) AS amount
       FROM medication_prn_doses d JOIN medications m ON m.id = d.medication_id
      WHERE d.patient_id = $1 AND (d.taken_at AT TIME ZONE $4)::date BETWEEN $2::date AND $3::date AND ${NOT_DELETED}
      GROUP BY m.id ORDER BY m.name`,
    [patientId, from, to, tz],
  );
  return res.rows.map((r) => ({ ...r, amount: Number(r.amount) }));
}

/** A medicine of a confirmed prescription (its draft line, checked by the service). */
export interface PrescribedMedication extends NewMedicationFields {
  prescriptionId: string;
  sequence: number;
  dose: DoseSlots;
  confidence: number | null;
  fieldConfidence: unknown;
  lexiconId: string | null;
}

export async function insertPrescribedMedication(tx: Pick<Tx, 'query'>, m: PrescribedMedication): Promise<string> {
  const med = await tx.query<{ id: string }>(
    `INSERT INTO medications (${NEW_MEDICATION_COLUMNS}, prescription_id, sequence,
        dose_morning, dose_noon, dose_evening, dose_night, confidence, field_confidence, lexicon_id)
     VALUES (${NEW_MEDICATION_VALUES}, $12, $13, $14, $15, $16, $17, $18, $19, $20) RETURNING id`,
    [
      ...newMedicationValues(m),
      m.prescriptionId,
      m.sequence,
      ...slotValues(m.dose),
      m.confidence,
      JSON.stringify(m.fieldConfidence),
      m.lexiconId,
    ],
  );
  const id = med.rows[0]?.id;
  if (id === undefined) throw new Error('medication insert returned no row');
  return id;
}

/** A medicine with its daily doses, as the safety checks and the assistant read it. */
export interface MedicationDoseRow {
  id: string;
  name: string;
  generic_name: string | null;
  lexicon_id: string | null;
  strength: string | null;
  form: string | null;
  dose_morning: string;
  dose_noon: string;
  dose_evening: string;
  dose_night: string;
}

/**
 * An active medicine, the one definition (SQL over `m`, the medication, and `p`, its
 * prescription): the row is active, its prescription confirmed and not deleted, and its course
 * has not ended (duration from the confirmation day).
 */
export const ACTIVE_MEDICATION = `m.is_active AND p.status = 'completed' AND p.deleted_at IS NULL
        AND (m.duration_days IS NULL OR m.created_at + make_interval(days => m.duration_days) > now())`;

/** The active medications of one prescription, in its order (the safety check of a confirmed prescription). */
export async function prescriptionMedications(
  tx: Pick<Tx, 'query'>,
  prescriptionId: string,
): Promise<(MedicationDoseRow & { prescription_id: string })[]> {
  const res = await tx.query<MedicationDoseRow & { prescription_id: string }>(
    `SELECT id, prescription_id, name, generic_name, lexicon_id, strength, form, dose_morning, dose_noon, dose_evening, dose_night
         FROM medications WHERE prescription_id = $1 AND is_active ORDER BY sequence`,
    [prescriptionId],
  );
  return res.rows;
}
