/**
 * A patient's own medicines, without a photo (what Medisafe and MyTherapy users expect):
 *   add by hand      → a medication (source 'manual', no prescription) with its reminders:
 *                      slots (her morning/noon/evening/night times), every N hours from a first
 *                      time (N divides 24: every 8 h from 06:00 → 06:00, 14:00, 22:00), or
 *                      as needed (PRN: no reminders, intakes logged on demand);
 *   stop             → no more reminders; everything recorded stays (history, adherence);
 *   log a PRN intake → counted apart from scheduled adherence;
 *   delete reminder  → removed, or ended when a dose of it was recorded (history kept);
 *   dose history     → dose logs and PRN intakes, by local date range and medicine, paginated.
 * No HTTP here: a plain context in, plain data out.
 */
import type { Tx } from '../db/database.ts';
import { ApiError, conflict, notFound } from '../core/errors.ts';
import type { RequestContext } from '../core/context.ts';
import { readPatientDoses } from './patient-read.ts';
import { durationDays, slotTimes, type ReminderPlan, type Slot } from './schedule.ts';
import { insertReminder, reminderVisible } from './queries.ts';
import { doseSettings } from '../users/queries.ts';
import * as mq from './medication-queries.ts';
import type {
  HistoryItemT,
  NewMedicationT,
  OwnMedicationT,
  PrnDoseBodyT,
  PrnDoseT,
  ScheduleInputT,
} from './medication-types.ts';

export interface PatientContext {
  userId: string;
  now: Date;
}

const slotOf = (hour: number): Slot =>
  hour >= 4 && hour < 11 ? 'morning' : hour >= 11 && hour < 14 ? 'noon' : hour >= 14 && hour < 19 ? 'evening' : 'night';
const pad = (n: number): string => String(n).padStart(2, '0');

/** Every `every` hours from `first` (HH:MM), within one day: every 8 h from 06:00 → 06:00, 14:00, 22:00. */
export function intervalTimes(first: string, every: number): string[] {
  const [h, m] = first.split(':').map(Number) as [number, number];
  const out: string[] = [];
  for (let k = 0; k < 24 / every; k++) out.push(`${pad((h + k * every) % 24)}:${pad(m)}`);
  return out.sort();
}

/** The reminders of a schedule (none for as-needed). */
export function remindersFor(schedule: ScheduleInputT, unit: string, template: unknown): ReminderPlan[] {
  if (schedule.kind === 'as_needed') return [];
  if (schedule.kind === 'interval') {
    return intervalTimes(schedule.first_dose_time, schedule.every_hours).map((time) => ({
      slot: slotOf(Number(time.slice(0, 2))),
      time,
      dose: schedule.dose_amount,
      unit,
    }));
  }
  const times = slotTimes(template);
  return (['morning', 'noon', 'evening', 'night'] as const)
    .filter((slot) => schedule.dosage_schedule[slot] > 0)
    .map((slot) => ({ slot, time: times[slot], dose: schedule.dosage_schedule[slot], unit }));
}

function unitOf(body: NewMedicationT): string {
  return (body.dose_unit ?? body.quantity_unit ?? body.form ?? 'dose').trim().slice(0, 32) || 'dose';
}

async function patientSettings(
  tx: Tx,
  userId: string,
): Promise<{ timezone: string; template: unknown; today: string }> {
  const row = await doseSettings(tx, userId);
  if (!row) throw notFound('patient');
  return { timezone: row.timezone, template: row.dose_schedule_template, today: row.today };
}

/** A start date: not before 1990, at most a year ahead. */
export function checkStartDate(startDate: string, today: string): void {
  const ahead = (Date.parse(startDate) - Date.parse(today)) / 86_400_000;
  if (startDate < '1990-01-01' || ahead > 366) {
    throw new ApiError(
      422,
      'invalid_start_date',
      'start_date must lie between 1990-01-01 and one year from today',
      {},
      [{ path: 'body/start_date', message: 'out of range' }],
    );
  }
}

export async function addMedication(tx: Tx, ctx: PatientContext, body: NewMedicationT): Promise<OwnMedicationT> {
  const settings = await patientSettings(tx, ctx.userId);
  if (body.start_date !== undefined) checkStartDate(body.start_date, settings.today);
  if (body.take_after_meal === true && body.take_before_meal === true) {
    throw new ApiError(422, 'meal_conflict', 'a medicine is taken either before or after a meal, not both');
  }
  const s = body.schedule;
  const slots = s.kind === 'slots' ? s.dosage_schedule : { morning: 0, noon: 0, evening: 0, night: 0 };
  if (s.kind === 'slots' && slots.morning + slots.noon + slots.evening + slots.night <= 0) {
    throw new ApiError(
      422,
      'no_dose_schedule',
      'give a dose in at least one slot (morning, noon, evening, night)',
      {},
      [{ path: 'body/schedule/dosage_schedule', message: 'no dose' }],
    );
  }
  const unit = unitOf(body);
  const perDay =
    s.kind === 'interval'
      ? s.dose_amount * (24 / s.every_hours)
      : slots.morning + slots.noon + slots.evening + slots.night;
  const days =
    s.kind === 'as_needed'
      ? (body.duration_days ?? null)
      : durationDays({
          dosage_schedule: { morning: perDay, noon: 0, evening: 0, night: 0 },
          quantity: body.quantity,
          duration_days: body.duration_days,
        });
  const id = await mq.insertManualMedication(tx, {
    patientId: ctx.userId,
    name: body.name.trim(),
    genericName: body.generic_name ?? null,
    strength: body.strength ?? null,
    form: body.form ?? null,
    quantity: body.quantity ?? null,
    quantityUnit: body.quantity_unit ?? null,
    instructions: body.instructions ?? null,
    takeAfterMeal: body.take_after_meal ?? false,
    takeBeforeMeal: body.take_before_meal ?? false,
    durationDays: days,
    scheduleKind: s.kind,
    slots,
    intervalHours: s.kind === 'interval' ? s.every_hours : null,
    firstDoseTime: s.kind === 'interval' ? s.first_dose_time : null,
    doseAmount: s.kind === 'slots' ? null : s.dose_amount,
    doseUnit: s.kind === 'slots' ? null : unit,
  });
  for (const r of remindersFor(s, unit, settings.template)) {
    await insertReminder(tx, {
      ...r,
      medicationId: id,
      patientId: ctx.userId,
      timezone: settings.timezone,
      durationDays: days,
      startDate: body.start_date ?? null,
    });
  }
  const [view] = await mq.ownMedications(tx, ctx.userId, { id });
  if (!view) throw notFound('medication');
  return view;
}

export async function listMedications(
  tx: Tx,
  ctx: PatientContext,
  active: boolean | undefined,
): Promise<OwnMedicationT[]> {
  return mq.ownMedications(tx, ctx.userId, { active });
}

async function ownMedication(tx: Tx, ctx: PatientContext, id: string) {
  const med = await mq.lockMedication(tx, id);
  if (!med) throw notFound('medication');
  if (med.patient_id !== ctx.userId) throw new ApiError(403, 'not_owner', 'only the patient manages her medicines');
  return med;
}

export async function stopMedication(
  tx: Tx,
  ctx: PatientContext,
  id: string,
  reason: string | null,
): Promise<OwnMedicationT> {
  await ownMedication(tx, ctx, id);
  await mq.stopMedications(tx, [id], reason);
  const [view] = await mq.ownMedications(tx, ctx.userId, { id });
  if (!view) throw notFound('medication');
  return view;
}

export async function logPrnDose(tx: Tx, ctx: PatientContext, id: string, body: PrnDoseBodyT): Promise<PrnDoseT> {
  const med = await ownMedication(tx, ctx, id);
  if (med.schedule_kind !== 'as_needed')
    throw conflict('not_as_needed', 'this medicine has a schedule: record its doses on its reminders');
  if (!med.is_active) throw conflict('medication_stopped', 'this medicine was stopped');
  const takenAt = body.taken_at !== undefined ? new Date(body.taken_at) : ctx.now;
  if (takenAt.getTime() > ctx.now.getTime() + 5 * 60_000)
    throw new ApiError(422, 'time_in_future', '"taken_at" cannot be in the future');
  const dose = body.dose_amount ?? (med.dose_amount === null ? 1 : Number(med.dose_amount));
  return mq.insertPrnDose(tx, {
    medicationId: id,
    patientId: ctx.userId,
    takenAt,
    doseAmount: dose,
    note: body.note ?? null,
  });
}

export async function deleteReminder(tx: Tx, ctx: PatientContext, id: string): Promise<'deleted' | 'ended'> {
  const outcome = await mq.deleteReminder(tx, id, ctx.userId);
  if (outcome === 'none') {
    if (await reminderVisible(tx, id))
      throw new ApiError(403, 'not_owner', 'only the patient deletes her reminders (her doctor may switch one off)');
    throw notFound('reminder');
  }
  return outcome;
}

/** A dose-history page: a local date range (default the last 30 days), one medicine or all. */
interface HistoryQuery {
  from?: string | undefined;
  to?: string | undefined;
  medication_id?: string | undefined;
  limit: number;
  offset: number;
}

export async function history(
  tx: Tx,
  patientId: string,
  q: HistoryQuery,
): Promise<{ items: HistoryItemT[]; total: number; from: string; to: string }> {
  const local = await mq.localToday(tx, patientId);
  if (!local) throw notFound('patient');
  const to = q.to ?? local.today;
  const from = q.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10);
  if (from > to)
    throw new ApiError(400, 'invalid_range', '"from" is after "to"', {}, [
      { path: 'querystring/from', message: 'on or before "to"' },
    ]);
  if (Date.parse(to) - Date.parse(from) > 366 * 86_400_000)
    throw new ApiError(400, 'range_too_long', 'at most 366 days at a time', {}, [
      { path: 'querystring/from', message: 'within 366 days of "to"' },
    ]);
  const page = await mq.doseHistory(tx, {
    patientId,
    from,
    to,
    medicationId: q.medication_id ?? null,
    limit: q.limit,
    offset: q.offset,
  });
  return { ...page, from, to };
}

/** The dose history of the signed-in patient, or (audited) of a patient who lets this doctor see her reminders. */
export async function doseHistoryFor(
  ctx: RequestContext,
  q: HistoryQuery & { patient_id?: string | undefined },
): Promise<{ items: HistoryItemT[]; total: number; from: string; to: string }> {
  return readPatientDoses(ctx, q.patient_id, 'read_dose_history', (tx, subject) => history(tx, subject, q));
}
