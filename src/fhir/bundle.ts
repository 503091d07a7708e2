/**
 * The user's record as a FHIR R4 Bundle (`GET /me/export?format=fhir`): Patient, the
 * Practitioners she has a care relationship with, a MedicationRequest per medicine (its
 * Cambodian four-slot schedule as one dosage per slot, FHIR Timing with the reminder's time of
 * day), a MedicationStatement per medicine, and a MedicationAdministration per recorded dose.
 * Pure: the export's rows in, a Bundle out (tested with @medplum/core's validator and our own
 * check of the code sets it does not check).
 */
import type { ExportRows, FhirResource, Bundle, Dosage, PractitionerRow, Row } from './types.ts';

const SLOTS = [
  { column: 'dose_morning', slot: 'morning', when: 'MORN' },
  { column: 'dose_noon', slot: 'noon', when: 'NOON' },
  { column: 'dose_evening', slot: 'evening', when: 'EVE' },
  { column: 'dose_night', slot: 'night', when: 'NIGHT' },
] as const;

const ref = (id: string): { reference: string } => ({ reference: `urn:uuid:${id}` });
const num = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : 0);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);

function gender(v: unknown): 'male' | 'female' | 'other' | 'unknown' {
  return v === 'male' || v === 'female' || v === 'other' ? v : 'unknown';
}

function humanName(first: unknown, last: unknown): Array<{ family?: string; given?: string[]; text: string }> {
  const given = str(first);
  const family = str(last);
  const text = [given, family].filter((x) => x !== undefined).join(' ');
  return text === '' ? [] : [{ ...(family ? { family } : {}), ...(given ? { given: [given] } : {}), text }];
}

function medicationConcept(m: Record<string, unknown>): { text: string } {
  return { text: [str(m.name), str(m.strength)].filter((x) => x !== undefined).join(' ') };
}

/** One dosage per slot with a dose; the reminder of that slot gives the time of day. */
function dosages(m: Record<string, unknown>, reminders: ReadonlyArray<Record<string, unknown>>): Dosage[] {
  const unit = str(m.form) ?? 'tablet';
  const meal = m.take_before_meal === true ? 'before meal' : m.take_after_meal === true ? 'after meal' : undefined;
  const out: Dosage[] = [];
  for (const s of SLOTS) {
    const dose = num(m[s.column]);
    if (dose <= 0) continue;
    const reminder = reminders.find((r) => r.slot === s.slot && r.medication_id === m.id);
    const time = str(reminder?.reminder_time);
    const days = num(m.duration_days);
    out.push({
      sequence: out.length + 1,
      text: `${dose} ${unit} (${s.slot})${meal ? `, ${meal}` : ''}`,
      ...(str(m.instructions) ? { patientInstruction: str(m.instructions) } : {}),
      timing: {
        repeat: {
          frequency: 1,
          period: 1,
          periodUnit: 'd',
          ...(time ? { timeOfDay: [time.length === 5 ? `${time}:00` : time.slice(0, 8)] } : { when: [s.when] }),
          ...(days > 0
            ? { boundsDuration: { value: days, unit: 'd', system: 'http://unitsofmeasure.org', code: 'd' } }
            : {}),
        },
      },
      doseAndRate: [{ doseQuantity: { value: dose, unit } }],
    });
  }
  return out;
}

function practitioner(p: PractitionerRow): FhirResource {
  return {
    resourceType: 'Practitioner',
    id: p.id,
    name: humanName(p.first_name, p.last_name),
    ...(str(p.license_number)
      ? { identifier: [{ system: 'urn:dastern:medical-licence', value: str(p.license_number) }] }
      : {}),
  };
}

export function buildFhirBundle(rows: ExportRows, practitioners: readonly PractitionerRow[], at: Date): Bundle {
  const profile = rows.profile;
  const patientId = String(profile.id);
  const resources: FhirResource[] = [];
  if (profile.role === 'patient') resources.push(patient(profile, patientId));
  for (const p of practitioners) resources.push(practitioner(p));
  const medicationOf = new Map<string, Row>();
  for (const prescription of rows.prescriptions) {
    for (const m of prescription.medications ?? []) {
      medicationOf.set(String(m.id), m);
      resources.push(...medicationResources(prescription, m, rows.reminders, patientId));
    }
  }
  resources.push(...administrations(rows, medicationOf, patientId));
  return {
    resourceType: 'Bundle',
    type: 'collection',
    timestamp: at.toISOString(),
    entry: resources.map((resource) => ({ fullUrl: `urn:uuid:${resource.id}`, resource })),
  };
}

function patient(profile: Row, patientId: string): FhirResource {
  return {
    resourceType: 'Patient',
    id: patientId,
    active: true,
    name: humanName(profile.first_name, profile.last_name),
    gender: gender(profile.gender),
    ...(str(profile.date_of_birth) ? { birthDate: String(profile.date_of_birth).slice(0, 10) } : {}),
    telecom: [
      { system: 'email', value: String(profile.email) },
      ...(str(profile.phone) ? [{ system: 'phone', value: String(profile.phone) }] : []),
    ],
    communication: [
      {
        language: { coding: [{ system: 'urn:ietf:bcp:47', code: String(profile.language ?? 'km') }] },
        preferred: true,
      },
    ],
  };
}

/** A medicine's MedicationRequest, and its MedicationStatement once the prescription is confirmed. */
function medicationResources(prescription: Row, m: Row, reminders: readonly Row[], patientId: string): FhirResource[] {
  const confirmed = prescription.status === 'completed' || prescription.confirmed_at != null;
  const active = confirmed && m.is_active !== false;
  const requestId = String(m.id);
  const doctor = str(prescription.prescribing_doctor_name);
  const out: FhirResource[] = [
    {
      resourceType: 'MedicationRequest',
      id: requestId,
      status: !confirmed ? 'draft' : active ? 'active' : 'stopped',
      intent: 'order',
      medicationCodeableConcept: medicationConcept(m),
      subject: ref(patientId),
      ...(str(prescription.prescription_date)
        ? { authoredOn: String(prescription.prescription_date).slice(0, 10) }
        : {}),
      ...(doctor ? { requester: { display: doctor } } : {}),
      dosageInstruction: dosages(m, reminders),
      ...(num(m.quantity) > 0
        ? { dispenseRequest: { quantity: { value: num(m.quantity), unit: str(m.quantity_unit) ?? 'tablet' } } }
        : {}),
    },
  ];
  if (confirmed) {
    out.push({
      resourceType: 'MedicationStatement',
      id: statementId(requestId),
      status: active ? 'active' : 'stopped',
      medicationCodeableConcept: medicationConcept(m),
      subject: ref(patientId),
      basedOn: [ref(requestId)],
      derivedFrom: [ref(requestId)],
      ...(str(prescription.confirmed_at) ? { dateAsserted: String(prescription.confirmed_at) } : {}),
      dosage: dosages(m, reminders),
    });
  }
  return out;
}

/** A MedicationAdministration per taken, skipped or missed dose of a medicine in the export. */
function administrations(rows: ExportRows, medicationOf: ReadonlyMap<string, Row>, patientId: string): FhirResource[] {
  const out: FhirResource[] = [];
  const reminderMedication = new Map(rows.reminders.map((r) => [String(r.id), r]));
  for (const log of rows.dose_logs) {
    if (log.status !== 'taken' && log.status !== 'skipped' && log.status !== 'missed') continue;
    const reminder = reminderMedication.get(String(log.reminder_id));
    const m = reminder ? medicationOf.get(String(reminder.medication_id)) : undefined;
    if (!reminder || !m) continue;
    out.push({
      resourceType: 'MedicationAdministration',
      id: String(log.id),
      status: log.status === 'taken' ? 'completed' : 'not-done',
      ...(log.status !== 'taken'
        ? { statusReason: [{ text: log.status === 'missed' ? 'missed' : (str(log.reason) ?? 'skipped') }] }
        : {}),
      medicationCodeableConcept: medicationConcept(m),
      subject: ref(patientId),
      request: ref(String(m.id)),
      effectiveDateTime: String(log.action_at ?? log.scheduled_for),
      dosage: { dose: { value: num(reminder.dose_amount), unit: str(reminder.dose_unit) ?? 'tablet' } },
    });
  }
  return out;
}

/** A MedicationStatement's own uuid, derived from its medication's (a uuid's last group changed). */
function statementId(medicationId: string): string {
  const last = medicationId.slice(-12);
  const flipped = [...last].map((c) => (Number.parseInt(c, 16) ^ 0xf).toString(16)).join('');
  return `${medicationId.slice(0, -12)}${flipped}`;
}
