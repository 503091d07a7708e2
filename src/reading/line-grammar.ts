/**
 * The grammar of one prescription line or cell, whatever the layout:
 *   name and strength   "1. Amoxicillin 500mg", "Amoxicilline 500 mg, gélules"
 *   quantity            "14 គ្រាប់", "7 គ្រាប់ស្រោប", "14 tabs", "#14", "Qty: 14"
 *   dosing              "1-0-1", "1-0-1-0", "½-0-½", four slot cells "1 - 1 -", slot words, frequencies
 *                       (see dosing.ts)
 *   duration            "x 7 days", "for 7 days", "7 ថ្ងៃ", "pendant 7 jours", "QSP 7 jours"
 *   meal                ក្រោយបាយ, មុនបាយ, after/before meal, après/avant le repas (vocab.ts)
 */
import { parseDosingText } from './dosing.ts';
import { fixStrengthLetters, parseStrength } from './parse.ts';
import { normaliseText } from './text.ts';
import { SLOTS, type DosageSchedule } from './types.ts';
import { matchMeal, matchUnit, type MealMatch, type UnitMatch } from './vocab.ts';

export interface NameSplit {
  /** The printed name without numbering, strength or form words after a comma. */
  name: string;
  strength: string | null;
  /** What follows the name and strength on the line. */
  rest: string;
}

/** A short token ending in "mg" after a name: a strength whose digits the OCR lost. */
const GARBLED_STRENGTH = /^\S{1,4}(?:mg|MG|Mg)$/;

/** "1. Amoxicillin 500mg 1-0-1 x 7 days" → name, strength and the rest. */
export function splitNameLine(raw: string): NameSplit {
  let t = normaliseText(raw)
    .replace(/^[\s|[\](){}.,:;*•-]*\d{1,2}\s*[.)|\]:]\s*/, '')
    .replace(/^\d{1,2}\s+(?=[A-Za-zÀ-ÿ])/, '')
    // A numbering the OCR garbled ("\\.", "l.") before the name.
    .replace(/^[^A-Za-zÀ-ÿ\s]{1,2}\s+(?=[A-Za-zÀ-ÿ]{3})/, '')
    .replace(/^[lLI|]\.\s+(?=[A-Za-zÀ-ÿ]{3})/, '')
    // A handwritten list number ("1" as l, I, ")", "VL"; "4." as "UY", "U4"; "5." as "S"),
    // before a name in capitals.
    .replace(/^(?:[lLI|)\]}\\›»']|[Uu][Yy.4]?|[SV][Ll]?)\.?\s+(?=[A-ZÀ-Ý]{4,}\b)/, '');
  // Digits of a strength read as letters: "Smg" (5), "SOOMG" (500), "lOmg" (10), after a name.
  t = fixStrengthLetters(normaliseText(t));
  const st = parseStrength(t);
  let nameText: string;
  let rest: string;
  if (st !== null && /[A-Za-zÀ-ÿ]{3}/.test(t.slice(0, st.start))) {
    nameText = t.slice(0, st.start);
    rest = t.slice(st.end);
  } else {
    // No strength: the name is the leading run of words without digits.
    // A strength too garbled to read ("YMG", "¥0MG") ends the name too.
    const words = t.split(' ');
    let k = 0;
    while (
      k < words.length &&
      !/\d/.test(words[k] ?? '') &&
      /[A-Za-zÀ-ÿ]/.test(words[k] ?? '') &&
      !(k > 0 && GARBLED_STRENGTH.test(words[k] ?? ''))
    )
      k++;
    nameText = words.slice(0, k).join(' ');
    rest = words.slice(k).join(' ');
  }
  const name = nameText
    .split(',')[0]!
    .replace(/[\u1780-\u17ff]+/g, ' ')
    .replace(/[^A-Za-zÀ-ÿ0-9 +\-/]/g, ' ')
    .replace(/^[^A-Za-zÀ-ÿ]+|[^A-Za-zÀ-ÿ0-9)]+$/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  return {
    name,
    strength: st !== null && /[A-Za-zÀ-ÿ]{3}/.test(t.slice(0, st.start)) ? st.strength : null,
    rest: rest.trim(),
  };
}

const DAYS = '(?:days?|jours?|j|ថ្ងៃ)';

/** Days of treatment printed on the line, and the text without it. */
export function parseDuration(raw: string): { days: number | null; rest: string } {
  const t = normaliseText(raw);
  const re = new RegExp(
    `(?:(?:x|×|for|pendant|durant|during|qsp|q\\.s\\.p\\.?|រយៈពេល)\\s*)?(?<![/\\d.,])(\\d{1,3})\\s*${DAYS}(?![a-zA-Z\\u1780-\\u17ff])`,
    'i',
  );
  const m = re.exec(t);
  if (m === null) return { days: null, rest: t };
  const days = Number(m[1]);
  if (!(days >= 1 && days <= 365)) return { days: null, rest: t };
  return { days, rest: `${t.slice(0, m.index)} ${t.slice(m.index + m[0].length)}`.replace(/\s+/g, ' ').trim() };
}

/** A dose cell's value: "1", "2", "½", "1/2", "1½", "-", "0"; null for anything else. */
export function doseToken(tok: string): number | null {
  const t = tok.replace(/[()|[\]]/g, '');
  if (/^[-–—_.]$/.test(t) || t === '0' || t === 'o' || t === 'O') return 0;
  if (t === '½' || t === '1/2') return 0.5;
  const m = /^([1-4])(½)?$/.exec(t);
  if (m !== null) return Number(m[1]) + (m[2] !== undefined ? 0.5 : 0);
  return null;
}

export interface Instructions {
  schedule: DosageSchedule | null;
  /** 0..1 */
  scheduleConfidence: number;
  /** How the schedule was read: four slot cells, a pattern, slot words or a frequency. */
  scheduleKind: 'cells' | 'pattern' | 'slot-words' | 'frequency' | null;
  days: number | null;
  quantity: number | null;
  unit: UnitMatch | null;
  meal: MealMatch | null;
}

/**
 * A handwritten 1 read as ")" or "\\" beside a dash or alone ("1 tab", "1-0-1"), or as "%", "»"
 * or "Y" beside a dash ("%-0-1"); "--" is one dash; a last ")" glued to a pattern is a dash and a
 * 1 ("1-0-1)" for 1-0-1-1; not in "(1-0-1)").
 */
function fixHandDigits(raw: string): string {
  return (
    normaliseText(raw)
      .replace(/-{2,}/g, '-')
      .replace(/\bt[il1]?[mn]es\b/gi, 'times')
      .replace(/(?<=^|\s)([0-9½)\]}|\\'¥](?:-[0-9½)\]}|\\'¥]){2})[)\]}](?=$|\s)/g, '$1-1')
      .replace(/(?<=^|[\s-])[)\]}|\\'¥](?=$|[\s-])/g, '1')
      .replace(/(?<=-)[%»Y](?=$|[\s-])|(?<=^|\s)[%»Y](?=-)/g, '1')
      // Handwritten digits before a duration unit: "Iu DAYS" is 14 days, ")0 days" and "YO DAYS"
      // 10 days, "§ DAYS" 5 days; a 1 and a 4 run together read as "W"; a lone "0" is a 10 whose 1
      // was lost.
      .replace(/(?<=^|\s)(?:[0-9Il|)\]}UuY¥S§Oo]{1,3}|W)(?=\s*(?:days?|jours?)\b)/gi, (tok) => {
        const digits = tok
          .replace(/[Il|)\]}Y¥]/g, '1')
          .replace(/[Uu]/g, '4')
          .replace(/[S§]/g, '5')
          .replace(/[Oo]/g, '0')
          .replace(/^[Ww]$/, '14');
        return digits === '0' ? '10' : digits;
      })
  );
}

/** Four slot cells read as one line: the last run of four dose tokens, and where it starts. */
function slotCells(tokens: string[]): { schedule: DosageSchedule; start: number } | null {
  let runEnd = -1;
  let run: number[] = [];
  tokens.forEach((tok, i) => {
    const v = doseToken(tok);
    if (v === null) {
      if (run.length >= 4) runEnd = i;
      run = [];
      return;
    }
    run.push(v);
    if (run.length >= 4) runEnd = i + 1;
  });
  if (runEnd <= 0) return null;
  const vals = tokens.slice(Math.max(0, runEnd - 4), runEnd).map(doseToken);
  if (!vals.every((v): v is number => v !== null) || !vals.some((v) => v > 0)) return null;
  return {
    schedule: { morning: vals[0] ?? 0, noon: vals[1] ?? 0, evening: vals[2] ?? 0, night: vals[3] ?? 0 },
    start: runEnd - 4,
  };
}

/** A number with a unit word that is not the dose per intake, or "#14" / "Qty 14". */
function quantityOf(before: string[], cellsFound: boolean): { quantity: number | null; unit: UnitMatch | null } {
  let quantity: number | null = null;
  for (let i = 0; i < before.length; i++) {
    const tok = before[i] ?? '';
    const tagged = /^(?:#|qty:?|qté:?|n°)(\d{1,4})$/i.exec(tok);
    if (tagged !== null) {
      quantity = Number(tagged[1]);
      continue;
    }
    const glued = /^(\d{1,4})([\u1780-\u17ffA-Za-z]{2,})$/.exec(tok);
    const num = glued !== null ? glued[1] : /^\d{1,4}$/.test(tok) ? tok : null;
    if (num === null) continue;
    const u = matchUnit(glued !== null ? (glued[2] ?? '') : (before[i + 1] ?? ''));
    const v = Number(num);
    // "1 tab twice daily" is a dose; a quantity is larger, or stands before slot cells.
    if (u !== null && (v > 4 || cellsFound)) return { quantity: v, unit: u };
  }
  return { quantity, unit: null };
}

/** Everything after the name on a line (and its continuation lines). */
export function parseInstructions(raw: string): Instructions {
  const meal = matchMeal(raw);
  const { days, rest } = parseDuration(fixHandDigits(raw));
  const tokens = rest.split(/\s+/).filter((x) => x !== '');
  const cells = slotCells(tokens);
  let schedule: DosageSchedule | null = cells?.schedule ?? null;
  let kind: Instructions['scheduleKind'] = cells !== null ? 'cells' : null;
  let conf = cells !== null ? 0.8 : 0;
  const dosing = parseDosingText(rest);
  if (dosing !== null && (schedule === null || dosing.kind === 'pattern')) {
    schedule = dosing.schedule;
    kind = dosing.kind;
    conf = dosing.confidence;
  }
  let { quantity, unit } = quantityOf(cells !== null ? tokens.slice(0, cells.start) : tokens, cells !== null);
  // A table row read as a line ends with its quantity column: "1-0-1-0 7 ថ្ងៃ 28".
  const lastTok = tokens[tokens.length - 1] ?? '';
  if (
    quantity === null &&
    schedule !== null &&
    kind === 'pattern' &&
    tokens.length > 1 &&
    /^\d{1,3}$/.test(lastTok) &&
    Number(lastTok) >= 5
  ) {
    quantity = Number(lastTok);
    unit = null;
  }
  if (schedule !== null && SLOTS.every((s) => (schedule?.[s] ?? 0) === 0)) schedule = null;
  return { schedule, scheduleConfidence: conf, scheduleKind: kind, days, quantity, unit, meal };
}
