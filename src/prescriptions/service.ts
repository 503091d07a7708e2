/**
 * Prescriptions: upload → reading job → review (draft) → confirm (medications + reminders).
 * Every query runs in the caller's RLS transaction: what another user cannot see answers 404.
 */
import type { RequestContext } from '../core/context.ts';
import { HOME_TIMEZONE } from '../core/constants.ts';
import { doseSettings } from '../users/queries.ts';
import { insertPrescribedMedication } from '../reminders/medication-queries.ts';
import type { Tx } from '../db/database.ts';
import type { FileStore } from '../files/store.ts';
import { ApiError, conflict, notFound } from '../core/errors.ts';
import { recordRead, recordReads } from '../audit/service.ts';
import { recordEvent } from '../analytics/service.ts';
import { planMedication, slotTimes } from '../reminders/schedule.ts';
import { insertReminder } from '../reminders/queries.ts';
import { stopMedications } from '../reminders/medication-queries.ts';
import { checkStartDate } from '../reminders/medication-service.ts';
import { checkImage, makeThumbnail, withoutMetadata } from './images.ts';
import * as q from './queries.ts';
import { assertPrescriptionWritable, freeTierLimit } from '../billing/limits.ts';
import { notifyDoctorsOfMajorAlerts, prescriptionSafetyAlerts } from '../safety/service.ts';
import { languageOf, t, type Language } from '../i18n/index.ts';
import type {
  DraftMedicationT,
  PatchPrescriptionT,
  PrescriptionDetailT,
  PrescriptionStatus,
  PrescriptionSummaryT,
} from './types.ts';

export interface PrescriptionDeps {
  files: FileStore;
  /** Queues the reading inside the caller's transaction (it runs only if the insert commits). */
  enqueueReading(tx: Tx, prescriptionId: string): Promise<void>;
}

export interface ConfirmWarning {
  code: string;
  detail: string;
}

const OLD_AFTER_DAYS = 30;

/** A prescription dated more than 30 days before the start: perhaps not what she takes today. Its detail in `language`. */
export function confirmWarnings(
  prescriptionDate: string | null,
  startDate: string | undefined,
  today: string,
  language: Language = 'en',
): ConfirmWarning[] {
  if (prescriptionDate === null) return [];
  const start = startDate ?? today;
  const days = Math.round((Date.parse(start) - Date.parse(prescriptionDate)) / 86_400_000);
  if (days <= OLD_AFTER_DAYS) return [];
  return [
    {
      code: 'old_prescription',
      detail: t(language, 'warning.old_prescription', { date: prescriptionDate, days, start }),
    },
  ];
}

/** The patient already has a prescription with this very photo (409 duplicate_prescription). */
export class DuplicatePrescription extends Error {
  override name = 'DuplicatePrescription';
  constructor(readonly existingId: string) {
    super('duplicate prescription');
  }
}

/** Longer than a reading job can take with all its retries (4 × 300 s + back-off): nothing is reading it any more. */
export const STALE_READING_MS = 30 * 60_000;
const EDITABLE: ReadonlySet<PrescriptionStatus> = new Set(['ocr_completed', 'error']);

function summary(row: Omit<q.PrescriptionListRow, 'medications'>): PrescriptionSummaryT {
  return {
    id: row.id,
    patient_id: row.patient_id,
    status: row.status,
    error_message: row.error_message,
    hospital_name: row.hospital_name,
    prescription_date: row.prescription_date,
    prescribing_doctor_name: row.prescribing_doctor_name,
    medication_count: row.medication_count,
    created_at: row.created_at.toISOString(),
    confirmed_at: row.confirmed_at?.toISOString() ?? null,
  };
}

function draftOf(row: q.PrescriptionRow): DraftMedicationT[] {
  return Array.isArray(row.structured_data?.medications) ? row.structured_data.medications : [];
}

/**
 * The patient's own prescription, locked for a change. A doctor who may view it still may not
 * change it (403); whoever cannot see it gets 404. (FOR UPDATE also needs the UPDATE policy,
 * so the visibility check comes first, without a lock.)
 */
async function ownedForUpdate(tx: Tx, id: string, userId: string): Promise<q.PrescriptionRow> {
  const visible = await q.findPrescription(tx, id);
  if (!visible) throw notFound('prescription');
  if (visible.patient_id !== userId)
    throw new ApiError(403, 'not_owner', 'only the patient can change her prescription');
  const row = await q.findPrescription(tx, id, true);
  if (!row) throw notFound('prescription');
  await assertPrescriptionWritable(tx, id);
  return row;
}

export class PrescriptionService {
  constructor(private readonly deps: PrescriptionDeps) {}

  /**
   * Before the photo is read: the session is live and the free tier has room. (Checked again,
   * under the lock, in the insert's transaction.)
   */
  async assertCanUpload(ctx: RequestContext): Promise<void> {
    const actor = ctx;
    const ok = await ctx.run((tx) => q.canCreatePrescription(tx, actor.userId));
    if (!ok) throw freeTierLimit();
  }

  async upload(
    ctx: RequestContext,
    bytes: Buffer,
    options: { allowDuplicate: boolean } = { allowDuplicate: false },
  ): Promise<{ id: string; status: PrescriptionStatus }> {
    const actor = ctx;
    const image = await checkImage(bytes);
    const thumbnail = await makeThumbnail(bytes);
    const stored = await this.deps.files.put(await withoutMetadata(bytes), bytes); // no EXIF (GPS…) kept or served; hash of the upload
    const thumb = await this.deps.files.put(thumbnail);
    try {
      return await ctx.run(async (tx) => {
        // can_create_prescription takes a per-patient transaction lock: the count and the insert agree.
        if (!(await q.canCreatePrescription(tx, actor.userId))) throw freeTierLimit();
        // the same photo again (a double tap, a second scan): say so unless she insists (the lock above orders the check and the insert)
        if (!options.allowDuplicate) {
          const existing = await q.prescriptionWithImage(tx, actor.userId, stored.sha256);
          if (existing !== undefined) throw new DuplicatePrescription(existing);
        }
        const created = await q.insertPrescription(tx, {
          patientId: actor.userId,
          imagePath: stored.location,
          thumbnailPath: thumb.location,
          mimeType: image.mimeType,
          size: stored.size,
          sha256: stored.sha256,
          metadata: { width: image.width, height: image.height },
        });
        await this.deps.enqueueReading(tx, created.id);
        await recordEvent(tx, actor.userId, 'prescription_scan', ctx.client, { bytes: stored.size });
        return created;
      });
    } catch (err) {
      await Promise.all([this.deps.files.remove(stored.location), this.deps.files.remove(thumb.location)]);
      throw err;
    }
  }

  async list(
    ctx: RequestContext,
    filter: { patient_id?: string | undefined; status?: PrescriptionStatus | undefined; limit: number; offset: number },
  ) {
    const actor = ctx;
    // An explicit scope lets the patient_id index serve the list; RLS still decides what is visible.
    const patientId = filter.patient_id ?? (actor.role === 'patient' ? actor.userId : undefined);
    return ctx.runRead(async (tx) => {
      const { rows, total } = await q.listPrescriptions(tx, {
        patientId,
        sharedWithDoctor: actor.role === 'doctor',
        status: filter.status,
        limit: filter.limit,
        offset: filter.offset,
      });
      await recordReads(tx, ctx, 'prescriptions', rows);
      return {
        items: rows.map((r) => ({ ...summary(r), medications: r.medications })),
        total,
        limit: filter.limit,
        offset: filter.offset,
      };
    });
  }

  async get(ctx: RequestContext, id: string): Promise<PrescriptionDetailT> {
    return ctx.run(async (tx) => {
      const row = await q.findPrescription(tx, id);
      if (!row) throw notFound('prescription');
      await recordRead(tx, ctx, { table: 'prescriptions', subjectUserId: row.patient_id, resourceIds: [row.id] });
      return this.detail(tx, row);
    });
  }

  async patch(ctx: RequestContext, id: string, body: PatchPrescriptionT): Promise<PrescriptionDetailT> {
    const actor = ctx;
    return ctx.run(async (tx) => {
      const row = await ownedForUpdate(tx, id, actor.userId);
      if (!EDITABLE.has(row.status)) throw this.notEditable(row.status);
      await q.updateHeader(tx, id, body);
      const updated = await q.findPrescription(tx, id);
      if (!updated) throw notFound('prescription');
      return this.detail(tx, updated);
    });
  }

  async reprocess(ctx: RequestContext, id: string): Promise<{ id: string; status: PrescriptionStatus }> {
    const actor = ctx;
    return ctx.run(async (tx) => {
      const row = await ownedForUpdate(tx, id, actor.userId);
      if (!EDITABLE.has(row.status)) throw this.notEditable(row.status);
      if (row.image_path === null) throw conflict('no_image', 'this prescription has no photo to read');
      await q.setStatus(tx, id, 'pending');
      await this.deps.enqueueReading(tx, id);
      return { id, status: 'pending' as const };
    });
  }

  /**
   * `options.language`: the language the client asked for (Accept-Language), if any; else the
   * patient's stored one. The warnings' details are in it.
   */
  async confirm(
    ctx: RequestContext,
    id: string,
    options: { startDate?: string | undefined; language?: Language | undefined } = {},
  ): Promise<PrescriptionDetailT & { warnings: ConfirmWarning[] }> {
    const actor = ctx;
    return ctx.run(async (tx) => {
      const row = await ownedForUpdate(tx, id, actor.userId);
      if (!EDITABLE.has(row.status)) throw this.notEditable(row.status);
      const draft = draftOf(row);
      if (draft.length === 0)
        throw new ApiError(422, 'no_medications', 'add at least one medication before confirming');
      const noDose = draft.filter(
        (m) =>
          m.dosage_schedule.morning + m.dosage_schedule.noon + m.dosage_schedule.evening + m.dosage_schedule.night <= 0,
      );
      if (noDose.length > 0) {
        throw new ApiError(
          422,
          'no_dose_schedule',
          'every medication needs a dose in at least one slot (morning, noon, evening, night)',
          {},
          noDose.map((m) => ({
            path: `medications/${draft.indexOf(m)}/dosage_schedule`,
            message: `${m.name}: no dose`,
          })),
        );
      }
      const user = await doseSettings(tx, actor.userId);
      const language = options.language ?? languageOf(user?.language);
      const times = slotTimes(user?.dose_schedule_template);
      const timezone = user?.timezone ?? HOME_TIMEZONE;
      const today = user?.today ?? new Date().toISOString().slice(0, 10);
      if (options.startDate !== undefined) checkStartDate(options.startDate, today);
      const warnings = confirmWarnings(row.prescription_date, options.startDate, today, language);
      for (const [index, m] of draft.entries()) {
        const plan = planMedication(m, times);
        const medicationId = await insertPrescribedMedication(tx, {
          prescriptionId: id,
          patientId: actor.userId,
          sequence: index + 1,
          name: m.name,
          genericName: m.generic_name ?? null,
          strength: m.strength ?? null,
          form: m.form ?? null,
          quantity: m.quantity ?? null,
          quantityUnit: m.quantity_unit ?? null,
          durationDays: plan.durationDays,
          dose: m.dosage_schedule,
          instructions: m.instructions ?? null,
          takeAfterMeal: m.take_after_meal ?? false,
          takeBeforeMeal: m.take_before_meal ?? false,
          confidence: m.confidence ?? null,
          fieldConfidence: m.field_confidence ?? {},
          lexiconId: m.drug_id ?? null,
        });
        for (const r of plan.reminders) {
          await insertReminder(tx, {
            ...r,
            medicationId,
            patientId: actor.userId,
            timezone,
            durationDays: plan.durationDays,
            startDate: options.startDate ?? null,
          });
        }
      }
      await q.setStatus(tx, id, 'completed');
      await recordEvent(tx, actor.userId, 'prescription_confirm', ctx.client, { medications: draft.length });
      await notifyDoctorsOfMajorAlerts(tx, { id, patient_id: actor.userId });
      const updated = await q.findPrescription(tx, id);
      if (!updated) throw notFound('prescription');
      const detail = await this.detail(tx, updated);
      if (detail.reminders.length > 0 && detail.reminders.every((r) => !r.is_active)) {
        warnings.push({ code: 'treatment_already_over', detail: t(language, 'warning.treatment_already_over') });
      }
      return { ...detail, warnings };
    });
  }

  /**
   * Deletes a prescription of hers. A draft (never confirmed: no medicine, no dose) goes for
   * good, with its photo. A confirmed one is soft-deleted (deleted_at): its medicines stop, their
   * reminders end, doses still ahead are withdrawn; the doses recorded stay in the database
   * (the audit trail, an undo) but no list, history or adherence figure counts them any more —
   * a deletion says "this was a mistake" (a duplicate, a wrong scan), unlike stopping a medicine,
   * whose history keeps counting. Her doctors no longer see it. While the photo is being read: 409
   * (unless the reading stopped: untouched for STALE_READING_MS).
   */
  async remove(ctx: RequestContext, id: string): Promise<{ id: string; outcome: 'deleted' | 'soft_deleted' }> {
    const actor = ctx;
    const result = await ctx.run(async (tx) => {
      const row = await ownedForUpdate(tx, id, actor.userId);
      // A reading untouched for longer than the job can live (all its retries) has no job left
      // behind it: she may remove it and scan again.
      const stale = Date.now() - row.updated_at.getTime() > STALE_READING_MS;
      if ((row.status === 'pending' || row.status === 'processing') && !stale) throw this.notEditable(row.status);
      const medicationIds = await q.medicationIdsOf(tx, id);
      if (medicationIds.length === 0) {
        await q.deletePrescription(tx, id);
        return { outcome: 'deleted' as const, files: [row.image_path, row.thumbnail_path] };
      }
      await stopMedications(tx, medicationIds, 'prescription deleted');
      await q.softDeletePrescription(tx, id);
      return { outcome: 'soft_deleted' as const, files: [] };
    });
    for (const location of result.files) if (location !== null) await this.deps.files.remove(location);
    return { id, outcome: result.outcome };
  }

  /** The original photo or its thumbnail, decrypted, for whoever may see the prescription. */
  async image(
    ctx: RequestContext,
    id: string,
    kind: 'original' | 'thumbnail',
  ): Promise<{ bytes: Buffer; mimeType: string }> {
    const row = await ctx.run(async (tx) => {
      const found = await q.findPrescription(tx, id);
      if (!found) throw notFound('prescription');
      await recordRead(tx, ctx, {
        table: 'prescriptions',
        action: kind === 'original' ? 'read_image' : 'read_thumbnail',
        subjectUserId: found.patient_id,
        resourceIds: [found.id],
      });
      return found;
    });
    const location = kind === 'original' ? row.image_path : row.thumbnail_path;
    if (location === null) throw notFound('image');
    const bytes = await this.deps.files.get(location);
    return {
      bytes,
      mimeType: kind === 'original' ? (row.image_mime_type ?? 'application/octet-stream') : 'image/jpeg',
    };
  }

  private async detail(tx: Tx, row: q.PrescriptionRow): Promise<PrescriptionDetailT> {
    const medications = (await q.medicationsOf(tx, [row.id])).get(row.id) ?? [];
    return {
      ...summary(row),
      prescription_number: row.prescription_number,
      patient_name_as_written: row.patient_name_as_written,
      patient_age_as_written: row.patient_age_as_written,
      patient_gender_as_written: row.patient_gender_as_written,
      diagnosis: row.diagnosis,
      department: row.department,
      pharmacy_name: row.pharmacy_name,
      ocr_raw_text: row.ocr_raw_text,
      ocr_corrected_text: row.ocr_corrected_text,
      ocr_confidence: row.ocr_confidence === null ? null : Number(row.ocr_confidence),
      detected_language: row.detected_language,
      processing_time_ms: row.processing_time_ms,
      has_image: row.image_path !== null,
      draft_medications: draftOf(row),
      medications,
      reminders: await q.remindersOf(tx, row.id),
      updated_at: row.updated_at.toISOString(),
      safety_alerts: await prescriptionSafetyAlerts(tx, row, draftOf(row)),
    };
  }

  private notEditable(status: PrescriptionStatus): ApiError {
    if (status === 'pending' || status === 'processing')
      return conflict('reading_in_progress', 'the photo is still being read; try again in a moment');
    if (status === 'completed') return conflict('already_confirmed', 'this prescription is already confirmed');
    return conflict('archived', 'this prescription is archived');
  }
}
