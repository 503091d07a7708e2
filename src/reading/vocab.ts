/**
 * Words the layout and the parser look for, in Khmer, English and French, matched fuzzily
 * because OCR drops or swaps Khmer vowel signs and subscripts.
 */
import type { Slot } from './types.ts';
import { foldLatin, fuzzyContains, hasKhmer, normaliseText, similarity } from './text.ts';

export type ColumnRole = Slot | 'number' | 'name' | 'quantity' | 'usage' | 'remarks' | 'duration';

interface Keyword {
  role: ColumnRole;
  words: string[];
}

export const HEADER_KEYWORDS: Keyword[] = [
  { role: 'morning', words: ['ព្រឹក', 'morning', 'matin', 'am'] },
  { role: 'noon', words: ['ថ្ងៃត្រង់', 'ថ្ងៃ', 'ត្រង់', 'noon', 'midday', 'lunch', 'midi'] },
  { role: 'evening', words: ['ល្ងាច', 'evening', 'afternoon', 'soir', 'pm'] },
  { role: 'night', words: ['យប់', 'night', 'bedtime', 'nuit', 'coucher'] },
  {
    role: 'name',
    words: [
      'ឈ្មោះឱសថ',
      'ឈ្មោះថ្នាំ',
      'ឱសថ',
      'ថ្នាំ',
      'medicine',
      'medication',
      'drug',
      'médicament',
      'medicament',
      'designation',
    ],
  },
  { role: 'quantity', words: ['ចំនួន', 'quantity', 'qty', 'quantité', 'quantite', 'qte', 'total'] },
  {
    role: 'usage',
    words: [
      'វិធីប្រើ',
      'របៀបប្រើ',
      'usage',
      'route',
      'posologie',
      'dosage',
      'dose',
      'doses',
      'frequency',
      'directions',
      'sig',
    ],
  },
  {
    role: 'remarks',
    words: [
      'សម្គាល់',
      'ផ្សេងៗ',
      'ការណែនាំ',
      'ណែនាំ',
      'remark',
      'remarks',
      'remarque',
      'remarques',
      'note',
      'notes',
      'instruction',
      'instructions',
      'observation',
    ],
  },
  { role: 'duration', words: ['រយៈពេល', 'ចំនួនថ្ងៃ', 'days', 'duration', 'durée', 'duree', 'jours'] },
  { role: 'number', words: ['ល.រ', 'លរ', 'no', 'n°', 'nº', '#'] },
];

/** Minimum similarity for a header keyword: Khmer is read less reliably than Latin. */
function threshold(word: string): number {
  if (hasKhmer(word)) return [...word].length <= 3 ? 0.67 : 0.6;
  return word.length <= 3 ? 1 : 0.8;
}

/** Which column a header cell's text names, with a score 0..1 (null if none). */
export function classifyHeader(text: string): { role: ColumnRole; score: number } | null {
  const t = normaliseText(text)
    .replace(/[()[\]|:]/g, '')
    .trim();
  if (t === '') return null;
  const folded = foldLatin(t);
  let best: { role: ColumnRole; score: number } | null = null;
  for (const kw of HEADER_KEYWORDS) {
    for (const w of kw.words) {
      let s: number;
      if (hasKhmer(w)) {
        if (!hasKhmer(t)) continue;
        // A header cell is short: compare whole strings, but allow extra trailing marks.
        s = Math.max(similarity(t, w), [...t].length > [...w].length + 2 ? 0 : fuzzyContains(t, w) - 0.05);
      } else {
        if (hasKhmer(t)) continue;
        s = similarity(folded, w);
      }
      if (s >= threshold(w) && (best === null || s > best.score)) best = { role: kw.role, score: s };
    }
  }
  return best;
}

/** "(6-8)", "(11-12)", "6h-8h", "06:00-08:00" → [from, to] hours, or null. */
export function parseHourRange(text: string): [number, number] | null {
  const t = normaliseText(text).replace(/[oO]/g, '0').replace(/[lI]/g, '1');
  const m = /\(?\s*(\d{1,2})(?:[:h.]\d{0,2})?\s*[-–~]\s*(\d{1,2})(?:[:h.]\d{0,2})?\s*h?\s*\)?/.exec(t);
  if (m === null) return null;
  const a = Number(m[1]);
  const b = Number(m[2]);
  if (a > 24 || b > 24) return null;
  return [a, b];
}

export interface UnitMatch {
  unit: string;
  form: string | null;
}

/** Quantity/dose units, longest first so that "គ្រាប់ស្រោប" wins over "គ្រាប់". */
const KHMER_UNITS: Array<[string, UnitMatch]> = [
  ['គ្រាប់ស្រោប', { unit: 'coated tablet', form: 'tablet' }],
  ['គ្រាប់ទន់', { unit: 'capsule', form: 'capsule' }],
  ['គ្រាប់', { unit: 'tablet', form: 'tablet' }],
  ['អំពូល', { unit: 'ampoule', form: 'injection' }],
  ['កញ្ចប់', { unit: 'sachet', form: 'sachet' }],
  ['ដប', { unit: 'bottle', form: 'syrup' }],
  ['បំពង់', { unit: 'tube', form: 'cream' }],
  ['ស្លាបព្រា', { unit: 'spoon', form: 'syrup' }],
  ['ដំណក់', { unit: 'drop', form: 'drops' }],
];

const LATIN_UNITS: Array<[RegExp, UnitMatch]> = [
  [/^(coated|film)[- ]?(tab|tablet|tabs|tablets)$/, { unit: 'coated tablet', form: 'tablet' }],
  [
    /^(tab|tabs|tablet|tablets|tb|cp|cps|comp|comprime|comprimes|cpr|pill|pills)\.?$/,
    { unit: 'tablet', form: 'tablet' },
  ],
  [/^(cap|caps|capsule|capsules|gel|gelule|gelules)\.?$/, { unit: 'capsule', form: 'capsule' }],
  [/^(amp|amps|ampoule|ampoules|ampule|ampules|inj|vial|vials)\.?$/, { unit: 'ampoule', form: 'injection' }],
  [/^(ml|mls)\.?$/, { unit: 'ml', form: 'syrup' }],
  [/^(sachet|sachets|sach|sac|packet|packets)\.?$/, { unit: 'sachet', form: 'sachet' }],
  [/^(bottle|bottles|btl|flacon|flacons|fl)\.?$/, { unit: 'bottle', form: 'syrup' }],
  [/^(tube|tubes)\.?$/, { unit: 'tube', form: 'cream' }],
  [/^(drop|drops|gtt|gouttes?)\.?$/, { unit: 'drop', form: 'drops' }],
  [/^(supp|suppo|suppository|suppositoire|suppositoires)\.?$/, { unit: 'suppository', form: 'suppository' }],
  [/^(puff|puffs|dose|doses)\.?$/, { unit: 'puff', form: 'inhaler' }],
];

/** A unit word (Khmer or Latin, fuzzy for Khmer), or null. */
export function matchUnit(token: string): UnitMatch | null {
  const t = normaliseText(token);
  if (t === '') return null;
  if (hasKhmer(t)) {
    let best: { m: UnitMatch; s: number; len: number } | null = null;
    for (const [w, m] of KHMER_UNITS) {
      const s = similarity(t, w);
      const need = [...w].length <= 2 ? 1 : 0.6;
      if (s >= need && (best === null || s > best.s || (s === best.s && [...w].length > best.len))) {
        best = { m, s, len: [...w].length };
      }
    }
    return best?.m ?? null;
  }
  const f = foldLatin(t).replace(/[^a-z. -]/g, '');
  for (const [re, m] of LATIN_UNITS) if (re.test(f)) return m;
  return null;
}

export interface MealMatch {
  after: boolean;
  before: boolean;
  text: string;
}

const MEAL_WORDS: Array<[string, 'after' | 'before' | 'with' | 'empty']> = [
  ['ក្រោយបាយ', 'after'],
  ['ក្រោយអាហារ', 'after'],
  ['បន្ទាប់ពីបាយ', 'after'],
  ['មុនបាយ', 'before'],
  ['មុនអាហារ', 'before'],
  ['ពេលបាយ', 'with'],
  ['ពេលញ៉ាំបាយ', 'with'],
  ['after meal', 'after'],
  ['after meals', 'after'],
  ['after food', 'after'],
  ['after eating', 'after'],
  ['before meal', 'before'],
  ['before meals', 'before'],
  ['before food', 'before'],
  ['with meal', 'with'],
  ['with food', 'with'],
  ['apres repas', 'after'],
  ['apres les repas', 'after'],
  ['avant repas', 'before'],
  ['avant les repas', 'before'],
  ['au cours du repas', 'with'],
  ['pendant le repas', 'with'],
  ['a jeun', 'empty'],
  ['empty stomach', 'empty'],
  ['pc', 'after'],
  ['ac', 'before'],
];

const MEAL_TEXT = {
  after: 'after meal',
  before: 'before meal',
  with: 'with meal',
  empty: 'on an empty stomach',
} as const;

/** Meal timing from a remarks/usage cell or a name cell. */
export function matchMeal(text: string): MealMatch | null {
  const t = normaliseText(text);
  if (t === '') return null;
  const folded = foldLatin(t)
    .replace(/[^a-z\u1780-\u17ff ]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  let best: { kind: 'after' | 'before' | 'with' | 'empty'; s: number } | null = null;
  for (const [w, kind] of MEAL_WORDS) {
    let s: number;
    if (hasKhmer(w)) {
      if (!hasKhmer(t)) continue;
      // "បា" and "ហ" look alike in print and are swapped by the OCR: compared folded too.
      const bare = t.replace(/\s+/g, '');
      s = Math.max(fuzzyContains(bare, w), fuzzyContains(bare.replace(/បា/g, 'ហ'), w.replace(/បា/g, 'ហ')));
      if (s < 0.74) continue;
    } else if (w.length <= 2) {
      s = new RegExp(`(^| )${w}( |$)`).test(folded) ? 1 : 0;
      if (s < 1) continue;
    } else {
      s = fuzzyContains(folded, w);
      if (s < 0.85) continue;
    }
    if (best === null || s > best.s) best = { kind, s };
  }
  if (best === null) return null;
  return {
    after: best.kind === 'after',
    before: best.kind === 'before' || best.kind === 'empty',
    text: MEAL_TEXT[best.kind],
  };
}
