/**
 * Field accuracy of a reading against a hand-checked (or generated) truth JSON: every field the
 * truth has. Medications are aligned by name; an invented extra medication counts against.
 */
import type { PrescriptionReading, ReadMedication } from '../../src/reading/index.ts';

export interface FieldResult {
  field: string;
  expected: unknown;
  actual: unknown;
  ok: boolean;
}

export interface Score {
  /** Medication fields: name, strength, quantity (+unit), 4 slots, meal flags when in the truth. */
  medFields: FieldResult[];
  headerFields: FieldResult[];
  extraMedications: number;
  missingMedications: number;
  /** 0..1 over medication fields; each extra medication adds 7 wrong fields. */
  medAccuracy: number;
  nameAccuracy: number;
  headerAccuracy: number;
}

type Json = Record<string, unknown>;

const norm = (s: unknown): string =>
  String(s ?? '')
    .normalize('NFC')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();

function eq(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' || typeof b === 'string') return norm(a) === norm(b);
  return JSON.stringify(a) === JSON.stringify(b);
}

function nameSim(a: string, b: string): number {
  const x = norm(a);
  const y = norm(b);
  if (x === y) return 1;
  const common = [...new Set(x.split(' '))].filter((w) => y.split(' ').includes(w)).length;
  return common / Math.max(x.split(' ').length, y.split(' ').length);
}

export function scoreReading(truth: Json, got: PrescriptionReading): Score {
  const headerFields: FieldResult[] = [];
  for (const k of [
    'hospital_name',
    'prescription_number',
    'prescription_date',
    'diagnosis',
    'department',
    'prescribing_doctor_name',
  ]) {
    if (k in truth)
      headerFields.push({
        field: k,
        expected: truth[k],
        actual: (got as unknown as Json)[k],
        ok: eq(truth[k], (got as unknown as Json)[k]),
      });
  }
  const tp = (truth['patient'] ?? {}) as Json;
  for (const k of Object.keys(tp)) {
    const actual = (got.patient as unknown as Json)[k];
    headerFields.push({ field: `patient.${k}`, expected: tp[k], actual, ok: eq(tp[k], actual) });
  }

  const want = (truth['medications'] ?? []) as Json[];
  const used = new Set<number>();
  const medFields: FieldResult[] = [];
  let missing = 0;
  for (const w of want) {
    let bi = -1;
    let bs = 0;
    got.medications.forEach((m, i) => {
      if (used.has(i)) return;
      const s = nameSim(String(w['name']), m.name);
      if (s > bs) {
        bs = s;
        bi = i;
      }
    });
    const m: ReadMedication | undefined = bi >= 0 && bs >= 0.3 ? got.medications[bi] : undefined;
    if (m !== undefined) used.add(bi);
    else missing++;
    const tag = String(w['name']);
    const push = (field: string, expected: unknown, actual: unknown): void => {
      medFields.push({ field: `${tag}.${field}`, expected, actual, ok: m !== undefined && eq(expected, actual) });
    };
    push('name', w['name'], m?.name);
    if ('strength' in w) push('strength', w['strength'], m?.strength);
    if ('quantity' in w) push('quantity', w['quantity'], m?.quantity);
    if ('quantity_unit' in w) push('quantity_unit', w['quantity_unit'], m?.quantity_unit);
    const ds = (w['dosage_schedule'] ?? {}) as Json;
    for (const slot of ['morning', 'noon', 'evening', 'night'] as const) {
      if (slot in ds) push(slot, ds[slot], m?.dosage_schedule[slot]);
    }
    for (const k of ['take_after_meal', 'take_before_meal', 'duration_days'] as const) {
      if (k in w) push(k, w[k], m?.[k]);
    }
  }
  const extra = got.medications.length - used.size;
  const okCount = medFields.filter((f) => f.ok).length;
  const names = medFields.filter((f) => f.field.endsWith('.name'));
  return {
    medFields,
    headerFields,
    extraMedications: extra,
    missingMedications: missing,
    medAccuracy: medFields.length + extra * 7 === 0 ? 1 : okCount / (medFields.length + extra * 7),
    nameAccuracy:
      names.length === 0 ? (extra === 0 ? 1 : 0) : names.filter((f) => f.ok).length / (names.length + extra),
    headerAccuracy: headerFields.length === 0 ? 1 : headerFields.filter((f) => f.ok).length / headerFields.length,
  };
}
