/** The prescription under review and how sure the reader was of each field. */
import type { GetOk } from '../../../api/client.ts';

export type Detail = GetOk<'/api/v1/prescriptions/{id}'>;
export type Draft = Detail['draft_medications'][number];
export const LOW = 0.7;

export function low(m: Draft, field: string): boolean {
  const c = m.field_confidence?.[field];
  if (typeof c === 'number') return c < LOW;
  if (c !== undefined) return Object.values(c).some((v) => v < LOW);
  return false;
}

/** A line the reader was unsure of, or whose name it did not find in the lexicon: OCR correction has something to offer. */
export function hardToRead(m: Draft): boolean {
  return (
    (typeof m.confidence === 'number' && m.confidence < LOW) ||
    low(m, 'name') ||
    low(m, 'strength') ||
    (m.drug_id ?? null) === null
  );
}

export function emptyMedication(): Draft {
  return { name: '', dosage_schedule: { morning: 0, noon: 0, evening: 0, night: 0 } };
}
