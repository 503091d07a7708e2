/**
 * The reading job (queue `prescription-read`, run as app.user_role 'system'): decrypts the
 * photo, runs the reader, stores the draft. A photo that cannot be read for good (not an
 * image, too large, not a prescription) ends at once as status `error` with a reason the
 * patient can read; a passing failure (time-out, OCR unavailable) is retried with back-off by
 * the queue, and the last attempt ends as `error` too.
 */
import type { Database, Tx } from '../db/database.ts';
import type { FileStore } from '../files/store.ts';
import type { Logger } from '../log.ts';
import { isReadingError, type ReadResult, type ReadMedication } from '../reading/index.ts';
import type { DraftMedicationT } from './types.ts';
import { languageOf, t } from '../i18n/index.ts';

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
const PERMANENT = new Set(['unsupported_format', 'too_large', 'too_many_pixels', 'too_small', 'corrupt_image', 'empty']);
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
    duration_days: m.duration_days !== null && m.duration_days >= 1 && m.duration_days <= 3650 ? Math.round(m.duration_days) : null,
    instructions: m.instructions?.slice(0, 500) ?? null,
    take_after_meal: afterMeal,
    take_before_meal: beforeMeal,
    confidence: clamp01(m.confidence),
    field_confidence: { ...m.field_confidence },
  };
}

/** Values the reader found, kept only when they fit the table's constraints. */
function header(r: ReadResult) {
  const date = r.prescription_date !== null && /^\d{4}-\d{2}-\d{2}$/.test(r.prescription_date) && r.prescription_date >= '1990-01-01' ? r.prescription_date : null;
  const age = r.patient.age !== null && Number.isInteger(r.patient.age) && r.patient.age >= 0 && r.patient.age <= 150 ? r.patient.age : null;
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

async function claim(tx: Tx, id: string): Promise<string | null> {
  const res = await tx.query<{ image_path: string | null; status: string }>(
    'SELECT image_path, status FROM prescriptions WHERE id = $1 AND deleted_at IS NULL FOR UPDATE', [id]);
  const row = res.rows[0];
  // Stale job (confirmed, archived or deleted meanwhile): nothing to do.
  if (!row || (row.status !== 'pending' && row.status !== 'processing') || row.image_path === null) return null;
  await tx.query(
    `UPDATE prescriptions SET status = 'processing', processing_attempts = processing_attempts + 1,
       processing_started_at = now(), error_message = NULL WHERE id = $1`, [id]);
  return row.image_path;
}

async function fail(tx: Tx, id: string, message: string): Promise<void> {
  await tx.query(
    `UPDATE prescriptions SET status = 'error', error_message = $2, processed_at = now()
     WHERE id = $1 AND status = 'processing'`, [id, message]);
}

export async function runReadingJob(ctx: ReadingJobContext, job: ReadingJob): Promise<'done' | 'failed' | 'skipped'> {
  const id = job.prescriptionId;
  const imagePath = await ctx.db.withUser(SYSTEM, (tx) => claim(tx, id));
  if (imagePath === null) return 'skipped';
  let result: ReadResult;
  try {
    const bytes = await ctx.files.get(imagePath);
    result = await ctx.reader.read(bytes);
  } catch (err) {
    const permanent = isReadingError(err) && PERMANENT.has(err.code);
    ctx.logger.warn({ prescriptionId: id, code: isReadingError(err) ? err.code : 'error', permanent, lastAttempt: job.lastAttempt }, 'prescription reading failed');
    if (permanent || job.lastAttempt) {
      const message = permanent && isReadingError(err) ? err.message : RETRY_LATER;
      await ctx.db.withUser(SYSTEM, (tx) => fail(tx, id, message.slice(0, 500)));
      return 'failed';
    }
    await ctx.db.withUser(SYSTEM, (tx) => tx.query(`UPDATE prescriptions SET status = 'pending' WHERE id = $1 AND status = 'processing'`, [id]));
    throw err;
  }
  const drafts = result.medications.map(toDraft);
  const h = header(result);
  const structured = { ...result, raw_text: undefined, medications: drafts };
  await ctx.db.withUser(SYSTEM, async (tx) => {
    const updated = await tx.query<{ patient_id: string; language: string }>(
      `UPDATE prescriptions p SET status = 'ocr_completed', ocr_raw_text = $2, structured_data = $3, ocr_confidence = $4,
         ocr_engine = $5, detected_language = $6, processing_time_ms = $7, processed_at = now(), error_message = NULL,
         hospital_name = coalesce(p.hospital_name, $8), prescription_number = coalesce(p.prescription_number, $9),
         prescription_date = coalesce(p.prescription_date, $10::date), patient_name_as_written = coalesce(p.patient_name_as_written, $11),
         patient_age_as_written = coalesce(p.patient_age_as_written, $12), patient_gender_as_written = coalesce(p.patient_gender_as_written, $13),
         diagnosis = CASE WHEN cardinality(p.diagnosis) = 0 THEN $14 ELSE p.diagnosis END,
         department = coalesce(p.department, $15), prescribing_doctor_name = coalesce(p.prescribing_doctor_name, $16)
       FROM users u
       WHERE p.id = $1 AND p.status = 'processing' AND u.id = p.patient_id
       RETURNING p.patient_id, u.language`,
      [id, result.raw_text.slice(0, 100_000), JSON.stringify(structured), clamp01(result.ocr.confidence), result.ocr.engine.slice(0, 100),
        h.detected_language, Math.max(0, Math.round(result.ocr.processing_ms)), h.hospital_name, h.prescription_number, h.prescription_date,
        h.patient_name_as_written, h.patient_age_as_written, h.patient_gender_as_written, h.diagnosis, h.department, h.prescribing_doctor_name],
    );
    const row = updated.rows[0];
    if (!row) return;
    const lang = languageOf(row.language);
    await tx.query(
      `INSERT INTO notifications (user_id, type, title, body, data, dedupe_key, message_key)
       VALUES ($1, 'prescription', $2, $5, jsonb_build_object('prescription_id', $3::uuid, 'medications', $4::int), 'read:' || $3 || ':' || now()::text, 'prescription_ready')
       ON CONFLICT ON CONSTRAINT notifications_dedupe_key_key DO NOTHING`,
      [row.patient_id, t(lang, 'notification.prescription_ready.title'), id, drafts.length, t(lang, 'notification.prescription_ready.body')],
    );
  });
  return 'done';
}
