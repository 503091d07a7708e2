/**
 * Parsing of the text of one table row: drug name and strength (with OCR fixes S→5, O→0,
 * l→1 inside numbers, names glued to strengths), quantity and unit, meal instructions.
 */
import { normaliseText } from './text.ts';
import { matchUnit, type UnitMatch } from './vocab.ts';

const UNIT = '(mg|mcg|µg|ug|g|gr|ml|l|iu|ui|u|%|meq|mmol)';
/** A number as OCR may print it: digits with O/o/S/l/I confusions, decimal point or comma. */
const NUM = '([0-9OoSlI]*[0-9][0-9OoSlI]*(?:[.,][0-9Oo]+)?|[0-9]+)';

/** Fixes the usual letter-for-digit confusions inside something that must be a number. */
export function fixDigits(s: string): string {
  return s.replace(/[Oo]/g, '0').replace(/S/g, '5').replace(/[lI|]/g, '1').replace(/B/g, '8').replace(/,/g, '.');
}

function unitOf(u: string): string {
  const l = u.toLowerCase();
  if (l === 'µg' || l === 'ug') return 'mcg';
  if (l === 'ui' || l === 'u') return 'iu';
  if (l === 'gr') return 'g';
  return l;
}

function cleanNumber(n: string): string {
  const v = Number(fixDigits(n));
  if (!Number.isFinite(v)) return fixDigits(n);
  return String(v);
}

export interface StrengthMatch {
  strength: string;
  /** Index range in the normalised text. */
  start: number;
  end: number;
}

/**
 * Finds a strength: "10mg", "100 mg", "0.5 g", "0,5g", "500mg/5ml", "120mg/5ml", "70/30",
 * "1 g", "40 UI", "2%". Returns it normalised: no space, lower-case unit.
 */
export function parseStrength(text: string): StrengthMatch | null {
  const t = normaliseText(text);
  const patterns: RegExp[] = [
    // 120mg/5ml, 500 mg / 5 ml, 5mg/ml
    new RegExp(`(?<![A-Za-z0-9])${NUM}\\s*${UNIT}\\s*/\\s*${NUM}?\\s*${UNIT}(?![A-Za-z])`, 'i'),
    // 10mg, 0.5 g, 2%
    new RegExp(`(?<![A-Za-z0-9])${NUM}\\s*${UNIT}(?![A-Za-z])`, 'i'),
    // glued to the name: Celcoxx100mg
    new RegExp(`(?<=[A-Za-z])${NUM}\\s*${UNIT}(?![A-Za-z])`, 'i'),
  ];
  for (const [k, re] of patterns.entries()) {
    const m = re.exec(t);
    if (m === null) continue;
    const n1 = m[1] ?? '';
    if (!/\d/.test(n1)) continue;
    if (k === 0) {
      const n2 = m[3] ? cleanNumber(m[3]) : '';
      const s = `${cleanNumber(n1)}${unitOf(m[2] ?? '')}/${n2 === '1' ? '' : n2}${unitOf(m[4] ?? '')}`;
      return { strength: s, start: m.index, end: m.index + m[0].length };
    }
    const unit = unitOf(m[2] ?? '');
    if (unit === 'l' || unit === 'u') continue; // "1 l" is rarely a strength; "2 u" is doubtful
    return { strength: `${cleanNumber(n1)}${unit}`, start: m.index, end: m.index + m[0].length };
  }
  // Insulin mixes: 70/30
  const mix = /(?<![0-9/])(\d{1,2})\s*\/\s*(\d{1,2})(?![0-9/])/.exec(t);
  if (mix !== null && Number(mix[1]) + Number(mix[2]) === 100) {
    return { strength: `${mix[1]}/${mix[2]}`, start: mix.index, end: mix.index + mix[0].length };
  }
  return null;
}

/**
 * Digits of a strength read as letters after a name: "Smg" (5), "SOOMG" (500), "lOmg" (10); a
 * handwritten 1 read as ")", "}", "\\", "'", "Y" or "¥" ("YOOMG" for 100MG); the M of a
 * handwritten "MG" read as N ("SOONG" for 500MG).
 */
export function fixStrengthLetters(t: string): string {
  return t
    .replace(
      // A handwritten "MG" read as "76" or "7G" glued to the digits ("50076" for 500MG): only
      // after one digit or a round number (not "1976").
      /(?<=[A-Za-zÀ-ÿ] )([0-9SOolI)\]}|Uu។]{1,3}|[Y¥\\'][0-9SOo]{1,3})(?:76|7G)(?=\s|$)/g,
      (m, c: string) => (c.length === 1 || /[0O5S]$/.test(c) ? `${c}MG` : m),
    )
    .replace(
      /(?<=[A-Za-zÀ-ÿ] )([0-9SOolI)\]}|Uu។]{1,4}|[Y¥\\'][0-9SOo]{1,3})\s?(mg|MG|Mg|NG)\b/g,
      (_m, c: string, unit: string) =>
        c
          .replace(/S/g, '5')
          .replace(/[Oo]/g, '0')
          .replace(/[lI)\]}|Y¥\\']/g, '1')
          // A handwritten 4 with an open top reads as "U" ("UMG" for 4MG, "UOMG" for 40MG).
          .replace(/[Uu។]/g, '4') + (unit === 'NG' ? 'MG' : unit),
    );
}

/** Digit strings one handwriting slip away from `d`: a thin 1 lost, a 0 of a run lost, 1/4, 1/7, 8/9 mixed up. */
function handwritingSlips(d: string): string[] {
  const out: string[] = [];
  for (let i = 0; i <= d.length; i++) {
    out.push(`${d.slice(0, i)}1${d.slice(i)}`);
    if (d[i - 1] === '0') out.push(`${d.slice(0, i)}0${d.slice(i)}`);
  }
  const swaps: Record<string, string[]> = { '1': ['4', '7'], '4': ['1'], '7': ['1'], '8': ['9'], '9': ['8'] };
  [...d].forEach((ch, i) => {
    for (const to of swaps[ch] ?? []) out.push(`${d.slice(0, i)}${to}${d.slice(i + 1)}`);
  });
  return out;
}

/**
 * A strength in mg that the medicine is not made in, read from handwriting: the one strength it
 * is made in that one slip explains ("100mg" for 400mg; "5mg" for 15mg), or with `twoSlips` two
 * ("0mg" for 100mg: the 1 and a 0 lost). Null when none, or more than one, fits (no guess).
 */
export function listedStrengthNear(read: string, listed: readonly string[], twoSlips = false): string | null {
  const m = /^(\d+)mg$/.exec(read);
  if (m === null || listed.includes(read)) return null;
  const one = handwritingSlips(m[1] ?? '');
  for (const reach of twoSlips ? [one, one.flatMap(handwritingSlips)] : [one]) {
    const hits = new Set(reach.map((x) => `${x}mg`).filter((x) => !x.startsWith('0') && listed.includes(x)));
    if (hits.size === 1) return [...hits][0] ?? null;
    if (hits.size > 1) return null;
  }
  return null;
}

/** What each character of a garbled handwritten strength can stand for (W: a 1 run into the next digit). */
const GARBLED_DIGITS: Record<string, string[]> = {
  O: ['0'],
  o: ['0'],
  S: ['5'],
  s: ['5'],
  Z: ['2'],
  B: ['8'],
  U: ['4'],
  u: ['4'],
  '។': ['4'],
  Y: ['1', '4'],
  '¥': ['1', '4'],
  W: ['1', '14', '16'],
  N: ['11'],
  l: ['1'],
  I: ['1'],
  ')': ['1'],
  ']': ['1'],
  '}': ['1'],
  '|': ['1'],
  '\\': ['1'],
};

/**
 * A strength token too garbled to read ("WMG" for 16MG, "NOMG" for 110MG, "WG" for 1MG): the one
 * strength the medicine is made in that its characters can stand for. Null when none or several.
 */
export function garbledStrength(tok: string, listed: readonly string[]): string | null {
  const m = /^(.{1,4}?)(?:MG|mg|Mg|NG|G|76|7G)$/.exec(tok);
  if (m === null) return null;
  let readings = [''];
  for (const ch of m[1] ?? '') {
    const alts = /\d/.test(ch) ? [ch] : GARBLED_DIGITS[ch];
    if (alts === undefined) return null;
    readings = readings.flatMap((r) => alts.map((a) => r + a));
  }
  const hits = new Set(readings.map((r) => `${Number(r)}mg`).filter((x) => listed.includes(x)));
  return hits.size === 1 ? ([...hits][0] ?? null) : null;
}

/** Name cell → name as printed (without strength, row number, stray borders) and strength. */
export function parseNameCell(text: string): { name: string; strength: string | null } {
  let t = normaliseText(text);
  // Row number in front ("1.", "2)", "3 |") and borders.
  t = t.replace(/^[\s|[\]()]*\d{1,2}\s*[.)|\]]\s*/, '').replace(/[|[\]{}]/g, ' ');
  t = fixStrengthLetters(normaliseText(t)); // parseStrength's indices refer to the normalised text
  const st = parseStrength(t);
  let name = t;
  if (st !== null) name = `${t.slice(0, st.start)} ${t.slice(st.end)}`;
  name = name
    .replace(/[\u1780-\u17ff]+/g, ' ') // Khmer in a Latin name cell is noise or a note
    .replace(/\s+[-–—:;,.]+(?=\s|$)/g, ' ')
    .replace(/^[^A-Za-zÀ-ÿ0-9]+/, '')
    .replace(/[^A-Za-zÀ-ÿ0-9)%]+$/, '')
    .replace(/\s+/g, ' ')
    .trim();
  return { name, strength: st?.strength ?? null };
}

export interface QuantityReading {
  quantity: number | null;
  unit: UnitMatch | null;
  confidence: number;
}

/** "14 គ្រាប់", "4 Amps", "21", "x14", "10 tabs", "1 ដប" → quantity and unit. */
export function parseQuantityCell(text: string): QuantityReading {
  const t = normaliseText(text).replace(/([0-9])(?=[\u1780-\u17ffA-Za-z]{2,})/g, '$1 ');
  const tokens = t.split(' ').filter((x) => x !== '' && !/^[|[\](){}:.,]+$/.test(x));
  let quantity: number | null = null;
  let unit: UnitMatch | null = null;
  let confidence = 0;
  for (const tok of tokens) {
    const bare = tok.replace(/^[#xX×*([]+|[)\].,]+$/g, '');
    if (quantity === null && /^[0-9OoSlI]*[0-9][0-9OoSlI]*$/.test(bare) && bare.length <= 4) {
      const v = Number(fixDigits(bare));
      if (Number.isFinite(v) && v > 0 && v <= 1000) {
        quantity = v;
        confidence = /^[0-9]+$/.test(bare) ? 0.9 : 0.7;
        continue;
      }
    }
    unit ??= matchUnit(tok);
  }
  return { quantity, unit, confidence };
}

/** Daily number of doses and days of treatment when the duration is not printed. */
export function durationFromQuantity(quantity: number | null, dailyUnits: number, unit: string | null): number | null {
  if (quantity === null || dailyUnits <= 0) return null;
  if (unit !== null && ['ml', 'bottle', 'tube', 'drop', 'puff'].includes(unit)) return null;
  const d = quantity / dailyUnits;
  if (d < 1 || d > 365) return null;
  return Math.abs(d - Math.round(d)) < 1e-6 ? Math.round(d) : Math.ceil(d);
}
