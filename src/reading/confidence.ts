/** Confidence per field and per medication (0..1), for the review screen to flag doubtful cells. */
import type { NameMatch } from './lexicon/match.ts';
import type { FieldConfidence, Slot } from './types.ts';
import { SLOTS } from './types.ts';

export interface ConfidenceInput {
  /** Mean OCR confidence of the name words, 0..1. */
  nameConf: number;
  match: NameMatch | null;
  strength: string | null;
  quantity: number | null;
  quantityConf: number;
  slotConf: Record<Slot, number>;
  slotsSeen: number;
}

/** The highest overall confidence of a medication whose name the lexicon does not know. */
export const UNKNOWN_NAME_MAX_CONFIDENCE = 0.5;

const clamp = (x: number): number => Math.max(0, Math.min(1, Math.round(x * 100) / 100));

export function scoreMedication(i: ConfidenceInput): { overall: number; fields: FieldConfidence } {
  // An unknown name is kept as printed, with a low confidence.
  const lex = i.match === null ? 0.55 : i.match.exact ? 1 : 0.6 + 0.4 * i.match.similarity;
  const name = clamp(Math.min(1, i.nameConf + 0.1) * lex);
  let strength: number;
  const usual = i.match?.drug.strengths ?? [];
  if (i.strength === null) strength = usual.length > 0 ? 0.5 : 0.7;
  else if (usual.length === 0) strength = Math.min(0.85, name + 0.1);
  else strength = usual.some((u) => u.replace(/\s+/g, '').toLowerCase() === i.strength) ? 0.95 : 0.6;
  const quantity = clamp(i.quantity === null ? 0.2 : i.quantityConf);
  const dosage_schedule = {} as Record<Slot, number>;
  for (const s of SLOTS) dosage_schedule[s] = clamp(i.slotConf[s]);
  const minSlot = Math.min(...SLOTS.map((s) => dosage_schedule[s]));
  const meanSlot = SLOTS.reduce((a, s) => a + dosage_schedule[s], 0) / SLOTS.length;
  const schedule = ((minSlot + meanSlot) / 2) * (i.slotsSeen >= 3 ? 1 : 0.7);
  let overall = clamp(name * 0.3 + clamp(strength) * 0.15 + quantity * 0.15 + schedule * 0.4);
  // A name no lexicon knows is kept, flagged for review: never above this.
  if (i.match === null) overall = Math.min(overall, UNKNOWN_NAME_MAX_CONFIDENCE);
  return { overall, fields: { name, strength: clamp(strength), quantity, dosage_schedule } };
}
