/**
 * Free-text dosing → the four slots, for prescriptions without slot columns:
 *   patterns      "1-0-1" (morning-noon-evening), "1-0-1-1" (+ night), "½-0-½", "1+0+1"
 *   slot words    "1 tab morning and evening", "1 cp matin et soir", "1 គ្រាប់ ព្រឹក ល្ងាច", "at bedtime"
 *   frequencies   "x2/day", "2 x/day", "2 times a day", "twice daily", "bid", "tid", "qid", "od",
 *                 "2 fois/jour", "2 ដង/ថ្ងៃ", "ថ្ងៃ 2 ដង", "1 x 2" (1 unit twice a day)
 * A frequency is spread over the slots by convention: 1 → morning, 2 → morning + evening,
 * 3 → morning + noon + evening, 4 → all four; the dose per intake is the number before the
 * unit or the "x" ("2 tab x 3/day"), else 1. Frequencies carry a lower confidence than a
 * pattern because the slots are a convention, not printed. Anything else → null (never a guess).
 */
import { foldLatin, normaliseText } from './text.ts';
import type { DosageSchedule, Slot } from './types.ts';

export interface DosingReading {
  schedule: DosageSchedule;
  /** 0..1 */
  confidence: number;
  kind: 'pattern' | 'slot-words' | 'frequency';
  timesPerDay: number;
  perDose: number;
}

const CANON: Record<number, [number, number, number, number]> = {
  1: [1, 0, 0, 0],
  2: [1, 0, 1, 0],
  3: [1, 1, 1, 0],
  4: [1, 1, 1, 1],
};

/** One dose amount: "1", "2", "½", "1/2", "0.5", "1½", "1 1/2" (OCR: o→0, l/I→1). */
const AMOUNT = '(?:\\d\\s*½|\\d\\s+1/2|[0-4](?:[.,]5)?|½|¼|1/2|1/4|[oOlI])';

function amount(s: string): number | null {
  const t = s.replace(/\s+/g, ' ').trim();
  let m = /^(\d)\s*½$/.exec(t);
  if (m !== null) return Number(m[1]) + 0.5;
  m = /^(\d) 1\/2$/.exec(t);
  if (m !== null) return Number(m[1]) + 0.5;
  if (t === '½' || t === '1/2') return 0.5;
  if (t === '¼' || t === '1/4') return 0.25;
  if (t === 'o' || t === 'O') return 0;
  if (t === 'l' || t === 'I') return 1;
  const v = Number(t.replace(',', '.'));
  return Number.isFinite(v) && v >= 0 && v <= 4 ? v : null;
}

const empty = (): DosageSchedule => ({ morning: 0, noon: 0, evening: 0, night: 0 });

function fromPattern(t: string): DosingReading | null {
  const sep = '\\s*[-–—+]\\s*';
  const re = new RegExp(
    `(?<![\\d/.,])(${AMOUNT})${sep}(${AMOUNT})${sep}(${AMOUNT})(?:${sep}(${AMOUNT}))?(?![\\d/]|\\s*[-–—+]\\s*\\d)`,
  );
  const m = re.exec(t);
  if (m === null) return null;
  const parts = [m[1], m[2], m[3], m[4]].filter((x): x is string => x !== undefined).map(amount);
  if (parts.some((p) => p === null)) return null;
  const v = parts as number[];
  if (v.every((x) => x === 0)) return null;
  // "1-0-1" must not be a date or a phone number: short values only (checked by AMOUNT).
  const schedule: DosageSchedule = { morning: v[0] ?? 0, noon: v[1] ?? 0, evening: v[2] ?? 0, night: v[3] ?? 0 };
  const doses = v.filter((x) => x > 0);
  const lettered = /[oOlI]/.test(m[0]);
  return {
    schedule,
    confidence: lettered ? 0.7 : 0.85,
    kind: 'pattern',
    timesPerDay: doses.length,
    perDose: doses[0] ?? 0,
  };
}

const SLOT_WORDS: Array<[RegExp, Slot]> = [
  [/\b(morning|matin|mane|am)\b|ព្រឹក/, 'morning'],
  [/\b(noon|midday|lunch|midi)\b|ថ្ងៃត្រង់|ត្រង់/, 'noon'],
  [/\b(evening|soir|dinner|pm)\b|ល្ងាច/, 'evening'],
  [/\b(night|bedtime|nocte|coucher|hs|nuit)\b|យប់|មុនគេង/, 'night'],
];

/** Times per day, or null. */
function frequency(t: string): { times: number; strong: boolean } | null {
  const day =
    '(?:/\\s*|\\s*per\\s*|\\s*par\\s*|\\s*a\\s*|\\s*an\\s*|\\s*/\\s*|\\s+)?(?:day|days|daily|d|j|jour|jours|24\\s*h|ថ្ងៃ)(?![a-z])';
  const patterns: Array<[RegExp, boolean]> = [
    [new RegExp(`[x×]\\s*([1-4])\\s*${day}`), true], // x2/day, x 3/j
    [new RegExp(`([1-4])\\s*(?:x|×|times?|fois|ដង)\\s*${day}`), true], // 2x/day, 2 times a day, 2 fois/jour, 2 ដង/ថ្ងៃ
    [/ថ្ងៃ\s*(?:មួយ\s*)?([1-4])\s*ដង/, true], // ថ្ងៃ 2 ដង
    [/([1-4])\s*ដង/, false], // 2 ដង
    [/(?:^|\s)[x×]\s*([1-4])(?!\s*\d)(?:\s|$)/, false], // "1 tab x 3"
    [/(?:^|[^\d/])\d(?:\s*½)?\s*[x×]\s*([1-4])(?![\d/]|\s*\d|\s*(?:mg|ml|g)\b)/, false], // 1 x 2
  ];
  for (const [re, strong] of patterns) {
    const m = re.exec(t);
    if (m !== null) return { times: Number(m[1]), strong };
  }
  const words: Array<[RegExp, number]> = [
    [/\btwice\b|\b(bid|b\.i\.d\.?|bd|b\.d\.?)\b/, 2],
    [/\bthrice\b|\bthree times\b|\b(tid|t\.i\.d\.?|tds|t\.d\.s\.?)\b/, 3],
    [/\bfour times\b|\b(qid|q\.i\.d\.?|qds|q\.d\.s\.?)\b/, 4],
    // Last: "daily" also follows "twice".
    [
      /\b(once|one time)\s*(a|per)?\s*(day|daily)\b|\bonce daily\b|\b(od|o\.d\.?|qd|q\.d\.?)\b|\b1\s*fois\b|\bdaily\b/,
      1,
    ],
  ];
  for (const [re, n] of words) if (re.test(t)) return { times: n, strong: true };
  return null;
}

/** Dose per intake: the number before a unit word or before "x". */
function perDose(t: string): number | null {
  const unit =
    '(?:tab|tabs|tablet|tablets|cap|caps|capsule|capsules|cp|cps|comp|comprime|comprimes|gel|gelule|gelules|sachet|sachets|amp|amps|puff|puffs|drop|drops|gtt|ml|គ្រាប់|កញ្ចប់|អំពូល|ស្លាបព្រា|ដំណក់)';
  const a = `(\\d\\s*½|\\d\\s+1/2|\\d(?:[.,]5)?|½|1/2|¼|1/4)`;
  let m = new RegExp(`(?:^|[^\\d/.,])${a}\\s*${unit}`).exec(t);
  if (m === null) m = new RegExp(`(?:^|[^\\d/.,])${a}\\s*[x×]\\s*\\d`).exec(t);
  if (m === null) m = new RegExp(`ម្តង\\s*${a}`).exec(t);
  if (m === null) return null;
  const v = amount(m[1] ?? '');
  return v !== null && v > 0 && v <= 4 ? v : null;
}

export function parseDosingText(raw: string): DosingReading | null {
  let t = foldLatin(normaliseText(raw)).replace(/×/g, 'x');
  if (t === '') return null;
  // Strengths would read as doses ("500mg x 2"): blank them out.
  t = t
    .replace(/\d+(?:[.,]\d+)?\s*(?:mg|mcg|µg|g|iu|ui|%)\b/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const pattern = fromPattern(t);
  if (pattern !== null) return pattern;

  const dose = perDose(t);
  const slots = SLOT_WORDS.filter(([re]) => re.test(t)).map(([, s]) => s);
  const freq = frequency(t);
  if (slots.length > 0 && (freq === null || freq.times === slots.length)) {
    const schedule = empty();
    for (const s of slots) schedule[s] = dose ?? 1;
    return {
      schedule,
      confidence: dose !== null ? 0.8 : 0.65,
      kind: 'slot-words',
      timesPerDay: slots.length,
      perDose: dose ?? 1,
    };
  }
  if (freq === null) return null;
  const c = CANON[freq.times];
  if (c === undefined) return null;
  const d = dose ?? 1;
  const schedule: DosageSchedule = { morning: c[0] * d, noon: c[1] * d, evening: c[2] * d, night: c[3] * d };
  const confidence = (freq.strong ? 0.7 : 0.55) * (dose !== null ? 1 : 0.9);
  return {
    schedule,
    confidence: Math.round(confidence * 100) / 100,
    kind: 'frequency',
    timesPerDay: freq.times,
    perDose: d,
  };
}
