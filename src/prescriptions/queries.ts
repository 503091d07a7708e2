/** Prescriptions: SQL only (parameterised; RLS decides what each actor sees). */
import type { Tx } from '../db/database.ts';
import { medicationColumns } from '../reminders/medication-queries.ts';
import type {
  DraftMedicationT,
  MedicationViewT,
  PatchPrescriptionT,
  PrescriptionStatus,
  ReminderViewT,
} from './types.ts';

/** A prescription row: the header fields (as read, then reviewed) and the rest. */
export interface PrescriptionRow extends ReadingHeader {
  id: string;
  patient_id: string;
  status: PrescriptionStatus;
  error_message: string | null;
  pharmacy_name: string | null;
  ocr_raw_text: string | null;
  ocr_corrected_text: string | null;
  ocr_confidence: string | null;
  processing_time_ms: number | null;
  structured_data: { medications?: DraftMedicationT[] } | null;
  image_path: string | null;
  image_mime_type: string | null;
  thumbnail_path: string | null;
  medication_count: number;
  created_at: Date;
  updated_at: Date;
  confirmed_at: Date | null;
}

const COLUMNS = `p.id, p.patient_id, p.status, p.error_message, p.hospital_name, p.prescription_number,
  to_char(p.prescription_date, 'YYYY-MM-DD') AS prescription_date, p.patient_name_as_written, p.patient_age_as_written,
  p.patient_gender_as_written, p.diagnosis, p.department, p.prescribing_doctor_name, p.pharmacy_name,
  p.ocr_raw_text, p.ocr_corrected_text, p.ocr_confidence, p.detected_language, p.processing_time_ms,
  p.structured_data, p.image_path, p.image_mime_type, p.thumbnail_path, p.created_at, p.updated_at, p.confirmed_at,
  (SELECT count(*)::int FROM medications m WHERE m.prescription_id = p.id AND m.is_active) AS medication_count`;

export async function canCreatePrescription(tx: Tx, patientId: string): Promise<boolean> {
  const res = await tx.query<{ ok: boolean }>('SELECT can_create_prescription($1) AS ok', [patientId]);
  return res.rows[0]?.ok === true;
}

export interface NewPrescription {
  patientId: string;
  imagePath: string;
  thumbnailPath: string;
  mimeType: string;
  size: number;
  sha256: string;
  metadata: Record<string, string | number | boolean | null>;
}

export async function insertPrescription(
  tx: Tx,
  p: NewPrescription,
): Promise<{ id: string; status: PrescriptionStatus }> {
  const res = await tx.query<{ id: string; status: PrescriptionStatus }>(
    `INSERT INTO prescriptions (patient_id, uploaded_by, image_path, thumbnail_path, image_mime_type, image_size_bytes, image_sha256, image_metadata, status)
     VALUES ($1, $1, $2, $3, $4, $5, $6, $7, 'pending') RETURNING id, status`,
    [p.patientId, p.imagePath, p.thumbnailPath, p.mimeType, p.size, p.sha256, JSON.stringify(p.metadata)],
  );
  const row = res.rows[0];
  if (!row) throw new Error('insert returned no row');
  return row;
}

/** The patient's newest prescription (not deleted) with this photo (SHA-256 of its bytes). */
export async function prescriptionWithImage(tx: Tx, patientId: string, sha256: string): Promise<string | undefined> {
  const res = await tx.query<{ id: string }>(
    `SELECT id FROM prescriptions WHERE patient_id = $1 AND image_sha256 = $2 AND deleted_at IS NULL
      ORDER BY created_at DESC LIMIT 1`,
    [patientId, sha256],
  );
  return res.rows[0]?.id;
}

export async function findPrescription(tx: Tx, id: string, forUpdate = false): Promise<PrescriptionRow | undefined> {
  const res = await tx.query<PrescriptionRow>(
    `SELECT ${COLUMNS} FROM prescriptions p WHERE p.id = $1 AND p.deleted_at IS NULL ${forUpdate ? 'FOR UPDATE OF p' : ''}`,
    [id],
  );
  return res.rows[0];
}

export interface ListFilter {
  patientId?: string | undefined;
  /** A doctor's list: only patients who share their prescriptions with him (lets the index work; RLS decides anyway). */
  sharedWithDoctor?: boolean;
  status?: PrescriptionStatus | undefined;
  limit: number;
  offset: number;
}

/** What a list item needs (never the OCR text or the draft: those are for the detail). */
export type PrescriptionListRow = Pick<
  PrescriptionRow,
  | 'id'
  | 'patient_id'
  | 'status'
  | 'error_message'
  | 'hospital_name'
  | 'prescription_date'
  | 'prescribing_doctor_name'
  | 'medication_count'
  | 'created_at'
  | 'confirmed_at'
> & { medications: MedicationViewT[] };

/**
 * A page of prescriptions with their medications, in one query and one pass over each
 * prescription's medications (the list and the count of active ones together).
 */
export async function listPrescriptions(
  tx: Tx,
  f: ListFilter,
): Promise<{ rows: PrescriptionListRow[]; total: number }> {
  const where = ['p.deleted_at IS NULL'];
  const values: unknown[] = [];
  if (f.patientId !== undefined) {
    values.push(f.patientId);
    where.push(`p.patient_id = $${values.length}`);
  }
  if (f.patientId === undefined && f.sharedWithDoctor === true) {
    where.push(`p.patient_id = ANY (app_doctor_patient_ids('view_prescriptions'))`);
  }
  if (f.status !== undefined) {
    values.push(f.status);
    where.push(`p.status = $${values.length}`);
  }
  const page = [...values, f.limit, f.offset];
  const rows = await tx.query<PrescriptionListRow & { total: number }>(
    `SELECT p.id, p.patient_id, p.status, p.error_message, p.hospital_name,
            to_char(p.prescription_date, 'YYYY-MM-DD') AS prescription_date, p.prescribing_doctor_name,
            p.created_at, p.confirmed_at, coalesce(m.active, 0)::int AS medication_count,
            coalesce(m.list, '[]') AS medications, p.total
       FROM (SELECT p.id, p.patient_id, p.status, p.error_message, p.hospital_name, p.prescription_date,
                    p.prescribing_doctor_name, p.created_at, p.confirmed_at, count(*) OVER ()::int AS total
               FROM prescriptions p WHERE ${where.join(' AND ')}
             ORDER BY p.created_at DESC, p.id LIMIT $${page.length - 1} OFFSET $${page.length}) p
       LEFT JOIN LATERAL (
         SELECT count(*) FILTER (WHERE m.is_active) AS active,
                json_agg(json_build_object(
                  'id', m.id, 'sequence', m.sequence, 'name', m.name, 'generic_name', m.generic_name, 'strength', m.strength,
                  'form', m.form, 'quantity', m.quantity, 'quantity_unit', m.quantity_unit,
                  'dosage_schedule', json_build_object('morning', m.dose_morning, 'noon', m.dose_noon, 'evening', m.dose_evening, 'night', m.dose_night),
                  'duration_days', m.duration_days, 'instructions', m.instructions, 'take_after_meal', m.take_after_meal,
                  'take_before_meal', m.take_before_meal, 'confidence', m.confidence, 'is_active', m.is_active) ORDER BY m.sequence) AS list
           FROM medications m WHERE m.prescription_id = p.id) m ON true
      ORDER BY p.created_at DESC, p.id`,
    page,
  );
  let total = rows.rows[0]?.total;
  if (total === undefined) {
    // a page past the end: count separately
    const counted =
      f.offset === 0
        ? undefined
        : await tx.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM prescriptions p WHERE ${where.join(' AND ')}`,
            values,
          );
    total = counted?.rows[0]?.n ?? 0;
  }
  return { rows: rows.rows, total };
}

interface MedicationRow extends Omit<MedicationViewT, 'dosage_schedule' | 'quantity' | 'confidence'> {
  prescription_id: string;
  quantity: string | null;
  confidence: string | null;
  dose_morning: string;
  dose_noon: string;
  dose_evening: string;
  dose_night: string;
}

export async function medicationsOf(
  tx: Tx,
  prescriptionIds: readonly string[],
): Promise<Map<string, MedicationViewT[]>> {
  const out = new Map<string, MedicationViewT[]>();
  if (prescriptionIds.length === 0) return out;
  const res = await tx.query<MedicationRow>(
    `SELECT id, prescription_id, sequence, name, generic_name, strength, form, quantity, quantity_unit, duration_days,
            instructions, take_after_meal, take_before_meal, confidence, is_active,
            dose_morning, dose_noon, dose_evening, dose_night
     FROM medications WHERE prescription_id = ANY ($1::uuid[]) ORDER BY prescription_id, sequence`,
    [prescriptionIds],
  );
  for (const r of res.rows) {
    const list = out.get(r.prescription_id) ?? [];
    list.push({
      id: r.id,
      sequence: r.sequence,
      ...medicationColumns(r),
      duration_days: r.duration_days,
      confidence: r.confidence === null ? null : Number(r.confidence),
      is_active: r.is_active,
    });
    out.set(r.prescription_id, list);
  }
  return out;
}

export async function remindersOf(tx: Tx, prescriptionId: string): Promise<ReminderViewT[]> {
  const res = await tx.query<ReminderViewT & { dose_amount: string }>(
    `SELECT r.id, r.medication_id, r.slot, to_char(r.reminder_time, 'HH24:MI') AS reminder_time, r.dose_amount, r.dose_unit,
            r.days_of_week, to_char(r.start_date, 'YYYY-MM-DD') AS start_date, to_char(r.end_date, 'YYYY-MM-DD') AS end_date,
            r.timezone, r.is_active, r.next_reminder_at
     FROM medication_reminders r JOIN medications m ON m.id = r.medication_id
     WHERE m.prescription_id = $1 ORDER BY m.sequence, array_position(ARRAY['morning','noon','evening','night']::dose_slot[], r.slot)`,
    [prescriptionId],
  );
  return res.rows.map((r) => ({ ...r, dose_amount: Number(r.dose_amount) }));
}

const PATCHABLE: ReadonlyArray<keyof PatchPrescriptionT> = [
  'ocr_corrected_text',
  'hospital_name',
  'prescription_number',
  'prescription_date',
  'patient_name_as_written',
  'patient_age_as_written',
  'patient_gender_as_written',
  'diagnosis',
  'department',
  'prescribing_doctor_name',
  'pharmacy_name',
];

export async function updateHeader(tx: Tx, id: string, patch: PatchPrescriptionT): Promise<void> {
  const sets: string[] = [];
  const values: unknown[] = [id];
  for (const key of PATCHABLE) {
    if (patch[key] === undefined) continue;
    values.push(patch[key]);
    sets.push(`${key} = $${values.length}`);
  }
  if (patch.medications !== undefined) {
    values.push(JSON.stringify(patch.medications));
    sets.push(
      `structured_data = jsonb_set(coalesce(structured_data, '{}'::jsonb), '{medications}', $${values.length}::jsonb)`,
    );
  }
  if (sets.length === 0) return;
  await tx.query(`UPDATE prescriptions SET ${sets.join(', ')} WHERE id = $1`, values);
}

export async function setStatus(
  tx: Tx,
  id: string,
  status: PrescriptionStatus,
  errorMessage: string | null = null,
): Promise<void> {
  await tx.query(
    `UPDATE prescriptions SET status = $2::prescription_status, error_message = $3,
       confirmed_at = CASE WHEN $2::prescription_status = 'completed' THEN now() ELSE confirmed_at END
     WHERE id = $1`,
    [id, status, errorMessage],
  );
}

export async function medicationIdsOf(tx: Tx, prescriptionId: string): Promise<string[]> {
  const res = await tx.query<{ id: string }>('SELECT id FROM medications WHERE prescription_id = $1', [prescriptionId]);
  return res.rows.map((r) => r.id);
}

export async function deletePrescription(tx: Tx, id: string): Promise<void> {
  await tx.query('DELETE FROM prescriptions WHERE id = $1', [id]);
}

export async function softDeletePrescription(tx: Tx, id: string): Promise<void> {
  await tx.query('UPDATE prescriptions SET deleted_at = now() WHERE id = $1', [id]);
}

/** The stored files (photos, thumbnails) of every prescription of a patient, deleted ones included. */
export async function photoPathsOf(tx: Pick<Tx, 'query'>, patientId: string): Promise<string[]> {
  const res = await tx.query<{ image_path: string | null; thumbnail_path: string | null }>(
    'SELECT image_path, thumbnail_path FROM prescriptions WHERE patient_id = $1',
    [patientId],
  );
  return res.rows.flatMap((r) => [r.image_path, r.thumbnail_path]).filter((f): f is string => f !== null);
}

/** Is this prescription (visible to the caller) the patient's? */
export async function isPrescriptionOf(tx: Pick<Tx, 'query'>, id: string, patientId: string): Promise<boolean> {
  return (
    ((await tx.query('SELECT 1 FROM prescriptions WHERE id = $1 AND patient_id = $2', [id, patientId])).rowCount ?? 0) >
    0
  );
}

/** A reading job takes its prescription: the photo's path, or null when there is nothing to read (confirmed, archived or deleted meanwhile). */
export async function claimForReading(tx: Pick<Tx, 'query'>, id: string): Promise<string | null> {
  const res = await tx.query<{ image_path: string | null; status: string }>(
    'SELECT image_path, status FROM prescriptions WHERE id = $1 AND deleted_at IS NULL FOR UPDATE',
    [id],
  );
  const row = res.rows[0];
  if (!row || (row.status !== 'pending' && row.status !== 'processing') || row.image_path === null) return null;
  await tx.query(
    `UPDATE prescriptions SET status = 'processing', processing_attempts = processing_attempts + 1,
       processing_started_at = now(), error_message = NULL WHERE id = $1`,
    [id],
  );
  return row.image_path;
}

export async function failReading(tx: Pick<Tx, 'query'>, id: string, message: string): Promise<void> {
  await tx.query(
    `UPDATE prescriptions SET status = 'error', error_message = $2, processed_at = now()
     WHERE id = $1 AND status = 'processing'`,
    [id, message],
  );
}

/** Back to pending, for the queue's retry. */
export async function requeueReading(tx: Pick<Tx, 'query'>, id: string): Promise<void> {
  await tx.query(`UPDATE prescriptions SET status = 'pending' WHERE id = $1 AND status = 'processing'`, [id]);
}

/** Header values the reader found (each null when absent); a value the patient already set is kept. */
export interface ReadingHeader {
  hospital_name: string | null;
  prescription_number: string | null;
  prescription_date: string | null;
  patient_name_as_written: string | null;
  patient_age_as_written: number | null;
  patient_gender_as_written: string | null;
  diagnosis: string[];
  department: string | null;
  prescribing_doctor_name: string | null;
  detected_language: string | null;
}

/** Stores a reading (status ocr_completed); the patient's id, or undefined when it is no longer being read. */
export async function saveReading(
  tx: Pick<Tx, 'query'>,
  id: string,
  r: {
    rawText: string;
    structured: unknown;
    confidence: number;
    engine: string;
    processingMs: number;
    header: ReadingHeader;
  },
): Promise<string | undefined> {
  const h = r.header;
  const updated = await tx.query<{ patient_id: string }>(
    `UPDATE prescriptions p SET status = 'ocr_completed', ocr_raw_text = $2, structured_data = $3, ocr_confidence = $4,
       ocr_engine = $5, detected_language = $6, processing_time_ms = $7, processed_at = now(), error_message = NULL,
       hospital_name = coalesce(p.hospital_name, $8), prescription_number = coalesce(p.prescription_number, $9),
       prescription_date = coalesce(p.prescription_date, $10::date), patient_name_as_written = coalesce(p.patient_name_as_written, $11),
       patient_age_as_written = coalesce(p.patient_age_as_written, $12), patient_gender_as_written = coalesce(p.patient_gender_as_written, $13),
       diagnosis = CASE WHEN cardinality(p.diagnosis) = 0 THEN $14 ELSE p.diagnosis END,
       department = coalesce(p.department, $15), prescribing_doctor_name = coalesce(p.prescribing_doctor_name, $16)
     WHERE p.id = $1 AND p.status = 'processing'
     RETURNING p.patient_id`,
    [
      id,
      r.rawText,
      JSON.stringify(r.structured),
      r.confidence,
      r.engine,
      h.detected_language,
      r.processingMs,
      h.hospital_name,
      h.prescription_number,
      h.prescription_date,
      h.patient_name_as_written,
      h.patient_age_as_written,
      h.patient_gender_as_written,
      h.diagnosis,
      h.department,
      h.prescribing_doctor_name,
    ],
  );
  return updated.rows[0]?.patient_id;
}

/** Prescriptions older than `days` archived (archive_old_prescriptions, as 'system'). */
export async function archiveOldPrescriptions(tx: Pick<Tx, 'query'>, days: number): Promise<number> {
  return Number((await tx.query<{ n: number }>('SELECT archive_old_prescriptions($1) AS n', [days])).rows[0]?.n ?? 0);
}

export interface PrescriptionDraftRow<L> {
  patient_id: string;
  structured_data: { medications?: L[] } | null;
}

/** A prescription's patient and draft (not deleted; RLS applies); the caller gives a line's shape. */
export async function prescriptionDraft<L>(
  tx: Pick<Tx, 'query'>,
  prescriptionId: string,
): Promise<PrescriptionDraftRow<L> | undefined> {
  const res = await tx.query<PrescriptionDraftRow<L>>(
    'SELECT patient_id, structured_data FROM prescriptions WHERE id = $1 AND deleted_at IS NULL',
    [prescriptionId],
  );
  return res.rows[0];
}
