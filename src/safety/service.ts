/**
 * Safety checks of a prescription (free, for every patient): its medicines — the draft under
 * review, or once confirmed its medications — against each other, the patient's other active
 * medicines and her profile (allergies, pregnancy). No HTTP types: called with the caller's RLS
 * transaction, so a doctor sees the alerts of what he may see.
 */
import type { Tx } from '../db/database.ts';
import { knowledgeBase } from './knowledge.ts';
import { SafetyEngine, type MedicineInput, type SafetyAlert } from './engine.ts';
import { asLanguage, type Language } from './messages.ts';
import * as q from './queries.ts';
import { prescriptionMedications, type MedicationDoseRow } from '../reminders/medication-queries.ts';

export type { SafetyAlert } from './engine.ts';

/** A draft line as src/prescriptions keeps it (structured_data.medications). */
export interface DraftLine {
  name: string;
  generic_name?: string | null;
  drug_id?: string | null;
  strength?: string | null;
  form?: string | null;
  dosage_schedule: { morning: number; noon: number; evening: number; night: number };
}

/** A medication row's four doses as numbers (the columns are numeric, read as text). */
export const doseSchedule = (m: MedicationDoseRow): MedicineInput['schedule'] => ({
  morning: Number(m.dose_morning),
  noon: Number(m.dose_noon),
  evening: Number(m.dose_evening),
  night: Number(m.dose_night),
});

/** A medication row as the engine reads it. */
export const medicineInput = (m: MedicationDoseRow, origin: MedicineInput['origin']): MedicineInput => ({
  name: m.name,
  drugId: m.lexicon_id,
  genericName: m.generic_name,
  strength: m.strength,
  form: m.form,
  schedule: doseSchedule(m),
  origin,
});

export const fromDraft = (d: DraftLine): MedicineInput => ({
  name: d.name,
  drugId: d.drug_id ?? null,
  genericName: d.generic_name ?? null,
  strength: d.strength ?? null,
  form: d.form ?? null,
  schedule: d.dosage_schedule,
  origin: 'review',
});

/**
 * The alerts of one prescription: the draft when it has one and is not confirmed yet, else its
 * confirmed medicines; against the patient's other active medicines.
 */
export async function prescriptionSafetyAlerts(
  tx: Pick<Tx, 'query'>,
  prescription: { id: string; patient_id: string; status: string },
  draft: readonly DraftLine[],
  language?: Language,
): Promise<SafetyAlert[]> {
  let review: MedicineInput[];
  if (prescription.status === 'completed' || prescription.status === 'archived') {
    review = (await prescriptionMedications(tx, prescription.id)).map((m) => medicineInput(m, 'review'));
  } else {
    review = draft.map(fromDraft);
  }
  if (review.length === 0) return [];
  const others = (await q.activeMedications(tx, prescription.patient_id, prescription.id)).map((m) =>
    medicineInput(m, 'active'),
  );
  const facts = await q.patientFacts(tx, prescription.patient_id);
  const lang = language ?? asLanguage(await q.viewerLanguage(tx));
  return new SafetyEngine(knowledgeBase(), lang).check([...review, ...others], {
    allergies: facts?.allergies ?? [],
    conditions: facts?.medical_conditions ?? [],
    gender: facts?.gender ?? null,
  });
}

/** Checks medicines not saved yet (the review screen) for the signed-in patient. */
export async function checkMedicines(
  tx: Pick<Tx, 'query'>,
  patientId: string,
  draft: readonly DraftLine[],
): Promise<SafetyAlert[]> {
  const others = (await q.activeMedications(tx, patientId)).map((m) => medicineInput(m, 'active'));
  const facts = await q.patientFacts(tx, patientId);
  const lang = asLanguage(await q.viewerLanguage(tx));
  return new SafetyEngine(knowledgeBase(), lang).check([...draft.map(fromDraft), ...others], {
    allergies: facts?.allergies ?? [],
    conditions: facts?.medical_conditions ?? [],
    gender: facts?.gender ?? null,
  });
}

/**
 * After confirmation: the major (and contraindicated) alerts of the prescription are sent to the
 * patient's doctors. Returns how many doctors were notified.
 */
export async function notifyDoctorsOfMajorAlerts(
  tx: Pick<Tx, 'query'>,
  prescription: { id: string; patient_id: string },
): Promise<number> {
  const alerts = (await prescriptionSafetyAlerts(tx, { ...prescription, status: 'completed' }, [], 'en')).filter(
    (a) => a.severity === 'major' || a.severity === 'contraindicated',
  );
  if (alerts.length === 0) return 0;
  return q.notifyDoctors(tx, prescription.patient_id, prescription.id, {
    count: alerts.length,
    kinds: [...new Set(alerts.map((a) => a.kind))],
    worst: alerts.some((a) => a.severity === 'contraindicated') ? 'contraindicated' : 'major',
  });
}
