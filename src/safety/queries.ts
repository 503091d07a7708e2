/** SQL of the safety checks: the patient's facts and her other active medicines (RLS applies). */
import type { Tx } from '../db/database.ts';
import { ACTIVE_MEDICATION, type MedicationDoseRow } from '../reminders/medication-queries.ts';
import { insertNotification } from '../i18n/notifications.ts';

export interface PatientFactsRow {
  allergies: string[];
  medical_conditions: string[];
  gender: string | null;
}

export async function patientFacts(tx: Pick<Tx, 'query'>, patientId: string): Promise<PatientFactsRow | null> {
  const res = await tx.query<PatientFactsRow>('SELECT allergies, medical_conditions, gender FROM users WHERE id = $1', [
    patientId,
  ]);
  return res.rows[0] ?? null;
}

export async function viewerLanguage(tx: Pick<Tx, 'query'>): Promise<string | null> {
  const res = await tx.query<{ language: string }>('SELECT language FROM users WHERE id = app_current_user_id()');
  return res.rows[0]?.language ?? null;
}

export interface ActiveMedicationRow extends MedicationDoseRow {
  prescription_id: string;
}

/**
 * The patient's active medicines on confirmed prescriptions, optionally without those of one
 * prescription. "Active": the row is active and its course has not ended (duration from the
 * confirmation day).
 */
export async function activeMedications(
  tx: Pick<Tx, 'query'>,
  patientId: string,
  exceptPrescriptionId: string | null = null,
): Promise<ActiveMedicationRow[]> {
  const res = await tx.query<ActiveMedicationRow>(
    `SELECT m.id, m.prescription_id, m.name, m.generic_name, m.lexicon_id, m.strength, m.form,
            m.dose_morning, m.dose_noon, m.dose_evening, m.dose_night
       FROM medications m
       JOIN prescriptions p ON p.id = m.prescription_id
      WHERE m.patient_id = $1 AND ${ACTIVE_MEDICATION}
        AND ($2::uuid IS NULL OR m.prescription_id <> $2::uuid)
      ORDER BY m.created_at, m.sequence`,
    [patientId, exceptPrescriptionId],
  );
  return res.rows;
}

/**
 * One in-app notification to each doctor following the patient (active relationship, may view
 * her prescriptions) about the major alerts of a confirmed prescription, in the doctor's language
 * (notification.safety_alert: her name and the count; the ids and kinds in data). No medicine name
 * in the text (notifications may go out by e-mail or push). A prescription is confirmed once; the
 * dedupe key makes a second notification impossible all the same (no ON CONFLICT: under RLS the
 * patient may not see her doctors' notifications).
 */
export async function notifyDoctors(
  tx: Pick<Tx, 'query'>,
  patientId: string,
  prescriptionId: string,
  summary: { count: number; kinds: string[]; worst: string },
): Promise<number> {
  const res = await tx.query<{ doctor_id: string; patient: string }>(
    `SELECT r.doctor_id, btrim(coalesce(p.first_name, '') || ' ' || coalesce(p.last_name, '')) AS patient
       FROM doctor_patient_relationships r
       JOIN users p ON p.id = r.patient_id
      WHERE r.patient_id = $1 AND r.status = 'active' AND r.can_view_prescriptions AND r.doctor_id IS NOT NULL`,
    [patientId],
  );
  for (const r of res.rows) {
    await insertNotification(tx, {
      userId: r.doctor_id,
      type: 'alert',
      key: 'safety_alert',
      data: {
        patient_id: patientId,
        prescription_id: prescriptionId,
        alerts: summary.count,
        kinds: summary.kinds,
        severity: summary.worst,
        patient: r.patient,
      },
      dedupeKey: `safety:${prescriptionId}:${r.doctor_id}`,
    });
  }
  return res.rows.length;
}

/** Copies the knowledge base document (JSON text) into schema kb unless that version (sha256) is already there. */
export async function loadKnowledge(
  tx: Pick<Tx, 'query'>,
  version: string,
  sha256: string,
  document: string,
): Promise<boolean> {
  const res = await tx.query<{ loaded: boolean }>('SELECT kb.load($1, $2, $3::jsonb) AS loaded', [
    version,
    sha256,
    document,
  ]);
  return res.rows[0]?.loaded === true;
}
