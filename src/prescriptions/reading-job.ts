/**
 * The reading job (queue `prescription-read`, run as app.user_role 'system'): decrypts the
 * photo, runs the reader, stores the draft. A photo that cannot be read for good (not an
 * image, too large, not a prescription) ends at once as status `error` with a reason the
 * patient can read; a passing failure (time-out, OCR unavailable) is retried with back-off by
 * the queue, and the last attempt ends as `error` too.
 */
import type { Database } from '../db/database.ts';
import type { FileStore } from '../files/store.ts';
import type { Logger } from '../log.ts';
import { isReadingError } from '../reading/errors.ts';
import type { ReadResult, ReadMedication } from '../reading/types.ts';
import type { DraftMedicationT } from './types.ts';
import { insertNotification } from '../notifications/service.ts';
import * as q from './queries.ts';

export interface ReaderPort {
  read(bytes: Buffer): Promise<ReadResult>;
}

export interface ReadingJobContext {
  db: Database;
  files: FileStore;
  reader: ReaderPort;
  logger: Logger;
}

export interface ReadingJob {
  prescriptionId: string;
  /** True on the queue's last try: a failure then is final. */
  lastAttempt: boolean;
}

const SYSTEM = { userId: null, role: 'system' } as const;
const PERMANENT = new Set([
  'unsupported_format',
  'too_large',
  'too_many_pixels',
  'too_small',
  'corrupt_image',
  'empty',
]);
const RETRY_LATER = 'We could not read this photo. Please try again, or take a sharper photo in good light.';

const clamp01 = (n: number): number => Math.min(1, Math.max(0, n));
const roundDose = (n: number): number => Math.min(100, Math.max(0, Math.round(n * 4) / 4));

export function toDraft(m: ReadMedication): DraftMedicationT {
  const afterMeal = m.take_after_meal && !m.take_before_meal;
  const beforeMeal = m.take_before_meal && !m.take_after_meal;
  return {
    name: m.name.slice(0, 200),
    generic_name: m.generic_name,
    drug_id: m.drug_id,
    strength: m.strength?.slice(0, 50) ?? null,
    form: m.form?.slice(0, 50) ?? null,
    quantity: m.quantity !== null && m.quantity > 0 && m.quantity <= 100_000 ? m.quantity : null,
    quantity_unit: m.quantity_unit?.slice(0, 32) ?? null,
    dosage_schedule: {
      morning: roundDose(m.dosage_schedule.morning),
      noon: roundDose(m.dosage_schedule.noon),
      evening: roundDose(m.dosage_schedule.evening),
      night: roundDose(m.dosage_schedule.night),
    },
    duration_days:
      m.duration_days !== null && m.duration_days >= 1 && m.duration_days <= 3650 ? Math.round(m.duration_days) : null,
    instructions: m.instructions?.slice(0, 500) ?? null,
    take_after_meal: afterMeal,
    take_before_meal: beforeMeal,
    confidence: clamp01(m.confidence),
    field_confidence: { ...m.field_confidence },
  };
}

/** Values the reader found, kept only when they fit the table's constraints. */
function header(r: ReadResult): q.ReadingHeader {
  const date =
    r.prescription_date !== null &&
    /^\d{4}-\d{2}-\d{2}$/.test(r.prescription_date) &&
    r.prescription_date >= '1990-01-01'
      ? r.prescription_date
      : null;
  const age =
    r.patient.age !== null && Number.isInteger(r.patient.age) && r.patient.age >= 0 && r.patient.age <= 150
      ? r.patient.age
      : null;
  const languages = r.ocr.languages.filter((l) => /^[a-z]{2,3}$/.test(l)).slice(0, 4);
  return {
    hospital_name: r.hospital_name?.slice(0, 200) ?? null,
    prescription_number: r.prescription_number?.slice(0, 64) ?? null,
    prescription_date: date,
    patient_name_as_written: r.patient.name?.slice(0, 200) ?? null,
    patient_age_as_written: age,
    patient_gender_as_written: r.patient.gender,
    diagnosis: r.diagnosis.map((d) => d.slice(0, 200)).slice(0, 20),
    department: r.department?.slice(0, 200) ?? null,
    prescribing_doctor_name: r.prescribing_doctor_name?.slice(0, 200) ?? null,
    detected_language: languages.length > 0 ? languages.join('+') : null,
  };
}

export async function runReadingJob(ctx: ReadingJobContext, job: ReadingJob): Promise<'done' | 'failed' | 'skipped'> {
  const id = job.prescriptionId;
  const imagePath = await ctx.db.withUser(SYSTEM, (tx) => q.claimForReading(tx, id));
  if (imagePath === null) return 'skipped';
  let result: ReadResult;
  try {
    const bytes = await ctx.files.get(imagePath);
    result = await ctx.reader.read(bytes);
  } catch (err) {
    const permanent = isReadingError(err) && PERMANENT.has(err.code);
    ctx.logger.warn(
      { prescriptionId: id, code: isReadingError(err) ? err.code : 'error', permanent, lastAttempt: job.lastAttempt },
      'prescription reading failed',
    );
    if (permanent || job.lastAttempt) {
      const message = permanent && isReadingError(err) ? err.message : RETRY_LATER;
      await ctx.db.withUser(SYSTEM, (tx) => q.failReading(tx, id, message.slice(0, 500)));
      return 'failed';
    }
    await ctx.db.withUser(SYSTEM, (tx) => q.requeueReading(tx, id));
    throw err;
  }
  const drafts = result.medications.map(toDraft);
  const h = header(result);
  const structured = { ...result, raw_text: undefined, medications: drafts };
  await ctx.db.withUser(SYSTEM, async (tx) => {
    const patientId = await q.saveReading(tx, id, {
      rawText: result.raw_text.slice(0, 100_000),
      structured,
      confidence: clamp01(result.ocr.confidence),
      engine: result.ocr.engine.slice(0, 100),
      processingMs: Math.max(0, Math.round(result.ocr.processing_ms)),
      header: h,
    });
    if (patientId === undefined) return;
    // the same function the routes' services use (src/notifications/service.ts)
    await insertNotification(tx, {
      userId: patientId,
      type: 'prescription',
      key: 'prescription_ready',
      data: { prescription_id: id, medications: drafts.length },
      dedupeKey: `read:${id}:${new Date().toISOString()}`,
      skipDuplicate: true,
    });
  });
  return 'done';
}
