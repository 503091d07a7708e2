/** SQL of the safety checks: the patient's facts and her other active medicines (RLS applies). */
import type { Tx } from '../db/database.ts';

export interface PatientFactsRow {
  allergies: string[];
  medical_conditions: string[];
  gender: string | null;
}

export async function patientFacts(tx: Pick<Tx, 'query'>, patientId: string): Promise<PatientFactsRow | null> {
  const res = await tx.query<PatientFactsRow>('SELECT allergies, medical_conditions, gender FROM users WHERE id = $1', [patientId]);
  return res.rows[0] ?? null;
}

export async function viewerLanguage(tx: Pick<Tx, 'query'>): Promise<string | null> {
  const res = await tx.query<{ language: string }>('SELECT language FROM users WHERE id = app_current_user_id()');
  return res.rows[0]?.language ?? null;
}

export interface ActiveMedicationRow {
  id: string;
  prescription_id: string;
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
 * The patient's active medicines on confirmed prescriptions, optionally without those of one
 * prescription. "Active": the row is active and its course has not ended (duration from the
 * confirmation day).
 */
export async function activeMedications(tx: Pick<Tx, 'query'>, patientId: string, exceptPrescriptionId: string | null = null): Promise<ActiveMedicationRow[]> {
  const res = await tx.query<ActiveMedicationRow>(
    `SELECT m.id, m.prescription_id, m.name, m.generic_name, m.lexicon_id, m.strength, m.form,
            m.dose_morning, m.dose_noon, m.dose_evening, m.dose_night
       FROM medications m
       JOIN prescriptions p ON p.id = m.prescription_id
      WHERE m.patient_id = $1 AND m.is_active AND p.deleted_at IS NULL
        AND p.status = 'completed'
        AND ($2::uuid IS NULL OR m.prescription_id <> $2::uuid)
        AND (m.duration_days IS NULL OR m.created_at + make_interval(days => m.duration_days) > now())
      ORDER BY m.created_at, m.sequence`,
    [patientId, exceptPrescriptionId],
  );
  return res.rows;
}

/**
 * One in-app notification to each doctor following the patient (active relationship, may view
 * her prescriptions) about the major alerts of a confirmed prescription. No medicine name in
 * the text (notifications may go out by e-mail or push); the ids and kinds in data. A prescription
 * is confirmed once; the dedupe key makes a second notification impossible all the same (no ON
 * CONFLICT: under RLS the patient may not see her doctors' notifications).
 */
export async function notifyDoctors(tx: Pick<Tx, 'query'>, patientId: string, prescriptionId: string, summary: { count: number; kinds: string[]; worst: string }): Promise<number> {
  const res = await tx.query(
    `INSERT INTO notifications (user_id, type, title, body, data, dedupe_key)
     SELECT r.doctor_id, 'alert',
            CASE d.language WHEN 'en' THEN 'Medication safety alert' WHEN 'fr' THEN 'Alerte de sécurité médicamenteuse' ELSE 'ការជូនដំណឹងសុវត្ថិភាពថ្នាំ' END,
            CASE d.language
              WHEN 'en' THEN p.first_name || ' ' || p.last_name || ' confirmed a prescription with ' || $3::int || ' serious safety alert(s). Please review it.'
              WHEN 'fr' THEN p.first_name || ' ' || p.last_name || ' a confirmé une ordonnance avec ' || $3::int || ' alerte(s) de sécurité importante(s). Merci de la vérifier.'
              ELSE p.first_name || ' ' || p.last_name || ' បានបញ្ជាក់វេជ្ជបញ្ជាដែលមានការជូនដំណឹងសុវត្ថិភាពធ្ងន់ធ្ងរ ' || $3::int || '។ សូមពិនិត្យ។' END,
            jsonb_build_object('patient_id', $1::uuid, 'prescription_id', $2::uuid, 'alerts', $3::int, 'kinds', $4::text[], 'severity', $5::text),
            'safety:' || $2::text || ':' || r.doctor_id
       FROM doctor_patient_relationships r
       JOIN users d ON d.id = r.doctor_id
       JOIN users p ON p.id = r.patient_id
      WHERE r.patient_id = $1 AND r.status = 'active' AND r.can_view_prescriptions AND r.doctor_id IS NOT NULL`,
    [patientId, prescriptionId, summary.count, summary.kinds, summary.worst]);
  return res.rowCount ?? 0;
}
