/**
 * Any page read line by line: clinic lists ("1. Amoxicillin 500mg 1-0-1 x 7 days"), French
 * ordonnances (the dosing on the next line), handwritten pads, and tables whose header was not
 * found (a row read as one line: name, quantity, four slot cells). A line is a medication when
 * it has a name and a strength, or a name the lexicon knows and a dosing. A name the lexicon
 * does not know is kept as printed, with a low confidence.
 */
import { scoreMedication } from '../confidence.ts';
import { parseInstructions, splitNameLine, type Instructions } from '../line-grammar.ts';
import type { OcrLine, OcrWord } from '../ocr.ts';
import { plausibleName } from '../lexicon/match.ts';
import { durationFromQuantity, garbledStrength, listedStrengthNear, parseStrength } from '../parse.ts';
import { latinLetters, normaliseText } from '../text.ts';
import { SLOTS, type ReadMedication, type Slot } from '../types.ts';
import type { LayoutModule, PageAnalysis } from './types.ts';

/** Continuation lines (dosing under the name) start within this many text heights. */
const CONTINUATION_GAP = 1.6;
/** A line that starts with a list number ("2.", "2)", or a garbled "\\.", "l.", ")."). */
const NUMBERED = /^[^A-Za-zÀ-ÿ0-9]{0,2}(?:\d{1,2}|[lI|\\)\]])\s*[.)]\s/;

/** Khmer characters (digits aside) a Latin line may hold, misread marks, and still be read again as Latin. */
const MAX_KHMER_IN_LATIN = 2;
const khmerChars = (s: string): number => (normaliseText(s).match(/[\u1780-\u17ff]/g) ?? []).length;

/** At most this many continuation lines belong to one medication. */
const MAX_CONTINUATION = 2;
/** Lines read again with the Latin model, at most, per page; margin around each, in text heights. */
const MAX_LINE_PASSES = 8;
const LINE_MARGIN = 0.35;

interface Line {
  words: OcrWord[];
  text: string;
  y0: number;
  y1: number;
  conf: number;
}

/** OCR lines on the same baseline (a table row split into cells by the engine) joined. */
export function joinLines(lines: OcrLine[]): Line[] {
  const sorted = lines
    .filter((l) => l.words.length > 0)
    .sort((a, b) => a.bbox.y0 + a.bbox.y1 - (b.bbox.y0 + b.bbox.y1));
  const groups: OcrLine[][] = [];
  for (const l of sorted) {
    const g = groups.find((grp) =>
      grp.every((o) => {
        const overlap = Math.min(o.bbox.y1, l.bbox.y1) - Math.max(o.bbox.y0, l.bbox.y0);
        const h = Math.min(o.bbox.y1 - o.bbox.y0, l.bbox.y1 - l.bbox.y0);
        const apart = l.bbox.x0 >= o.bbox.x1 - 2 || l.bbox.x1 <= o.bbox.x0 + 2;
        return overlap > h * 0.5 && apart;
      }),
    );
    if (g !== undefined) g.push(l);
    else groups.push([l]);
  }
  return groups
    .map((g) => {
      const words = g.flatMap((l) => l.words).sort((a, b) => a.bbox.x0 - b.bbox.x0);
      return {
        words,
        text: words.map((w) => w.text).join(' '),
        y0: Math.min(...g.map((l) => l.bbox.y0)),
        y1: Math.max(...g.map((l) => l.bbox.y1)),
        conf: words.reduce((s, w) => s + w.conf, 0) / Math.max(1, words.length) / 100,
      };
    })
    .sort((a, b) => a.y0 - b.y0);
}

interface Candidate {
  line: Line;
  name: string;
  strength: string | null;
  rest: string;
  match: ReturnType<PageAnalysis['lexicon']['match']>;
}

function candidate(line: Line, p: PageAnalysis): Candidate | null {
  const split = splitNameLine(line.text);
  if (latinLetters(split.name) < 3) return null;
  let match = p.lexicon.match(split.name, split.strength);
  const dosing = parseInstructions(split.rest);
  const hasDosing = dosing.schedule !== null || dosing.days !== null;
  // A name no lexicon knows, without a readable strength, is still a medication on a numbered
  // line with a dosing pattern ("2. Quelmira ¥0MG 1-1-1-1 for 5 days"): kept, low confidence.
  const numberedUnknown =
    match === null &&
    dosing.schedule !== null &&
    NUMBERED.test(normaliseText(line.text)) &&
    /^[A-Za-zÀ-ÿ]{4,}$/.test(split.name);
  if (split.strength === null && !(match !== null && hasDosing) && !numberedUnknown) return null;
  // A name no lexicon knows, printed with a strength, is kept (low confidence) when it can be a name.
  if (split.strength !== null && match === null && !plausibleName(split.name)) return null;
  let { name, strength, rest } = split;
  if (match !== null) {
    // The name is what the lexicon matched; what follows it on the name side is a garbled
    // strength ("YoOMG") or form, not part of the name.
    const drug = match.drug;
    const words = name.split(' ');
    const k = words.findIndex((w) => p.lexicon.match(w)?.drug.id === drug.id);
    let end = words.length;
    if (k >= 0 && words.length > k + 1 && /mg$|\d/i.test(words[words.length - 1] ?? '')) {
      rest = `${words.slice(k + 1).join(' ')} ${rest}`.trim();
      end = k + 1;
    }
    // A list number read as one or two stray characters before the name ("U4", "S", "VL").
    const start = k > 0 && words.slice(0, k).every((w) => w.length <= 2) ? k : 0;
    // A stray mark or two after the name ("RANOLAZINE T7SOMG", "COLCHICINE WG"): not part of a
    // name the lexicon knows in fewer words.
    if (k >= 0 && end > k + 1 && words.slice(k + 1, end).every((w) => w.length <= 2)) {
      if (match.variant.split(' ').length <= k + 1 - start) {
        rest = `${words.slice(k + 1, end).join(' ')} ${rest}`.trim();
        end = k + 1;
      }
    }
    name = words.slice(start, end).join(' ');
    const made = [...(match.product?.strengths ?? []), ...(drug.strengths ?? [])];
    strength = repairedStrength(strength, made, line);
    // A strength misread after its digits ("50076" for 500MG): accepted only when the digits
    // are a strength this drug is made in.
    if (strength === null) {
      const tok = /^\S+/.exec(rest)?.[0] ?? '';
      for (let n = 1; n <= Math.min(4, tok.length); n++) {
        const digits = tok.slice(0, n);
        const known = drug.strengths?.find((x) => x === `${digits}mg`);
        if (/^\d+$/.test(digits) && tok.length - n <= 2 && known !== undefined) {
          strength = known;
          rest = rest.slice(tok.length).trim();
          break;
        }
      }
      // Digits read as letters ("WMG" for 16MG): the one strength of this drug they can stand for.
      const garbled = strength === null ? garbledStrength(tok, made) : null;
      if (garbled !== null) {
        strength = garbled;
        rest = rest.slice(tok.length).trim();
      }
    }
  }
  // A strength of 0 is a handwritten 1 lost ("OMG" for 10MG).
  if (match === null && strength === '0mg') strength = '10mg';
  if (name !== split.name && match !== null) match = p.lexicon.match(name, strength) ?? match;
  return { line, name, strength, rest, match };
}

/**
 * A strength the medicine is not made in. Read plainly: only a lost 1 is put back ("5MG" for
 * 15MG, where the drug is made in 15mg). Read from letters or come to 0 ("YOOMG" for 400MG, "OMG"
 * for 100MG): the one strength it is made in that a slip or two explain. Else as read.
 */
function repairedStrength(strength: string | null, made: string[], line: Line): string | null {
  if (strength === null) return null;
  const garbled = strength === '0mg' || parseStrength(normaliseText(line.text))?.strength !== strength;
  if (garbled) return listedStrengthNear(strength, made, true) ?? strength;
  const lostOne = `1${strength}`;
  return /^\d+mg$/.test(strength) && !made.includes(strength) && made.includes(lostOne) ? lostOne : strength;
}

/** A line's medication: the candidate and its instructions (continuation lines included). */
interface LineReading {
  c: Candidate;
  ins: Instructions;
}

/** How much of a medication a line reading holds (the better of two readings holds more). */
function completeness(r: LineReading | null): number {
  if (r === null) return 0;
  const { c, ins } = r;
  return (
    1 +
    (c.match !== null ? 1 : 0) +
    (c.strength !== null ? 1 : 0) +
    (ins.schedule !== null ? 1 : 0) +
    (ins.days !== null ? 1 : 0) +
    (ins.meal !== null ? 0.5 : 0)
  );
}

/** The candidate on line i with the continuation lines under it, or null. */
function readLineAt(lines: Line[], cands: Array<Candidate | null>, i: number, p: PageAnalysis): LineReading | null {
  const c = cands[i];
  if (c === null || c === undefined) return null;
  let rest = c.rest;
  let last = c.line;
  for (let k = i + 1; k < Math.min(lines.length, i + 1 + MAX_CONTINUATION); k++) {
    const next = lines[k];
    if (next === undefined || cands[k] !== null || next.y0 - last.y1 > p.textHeight * CONTINUATION_GAP) break;
    rest = `${rest} ${next.text}`;
    last = next;
  }
  const ins = parseInstructions(rest);
  // Neither a dosing nor a duration nor a quantity: a heading or a stray line, not a medication;
  // unless a known medicine with its strength, or a numbered line with a strength (the dosing
  // too garbled to read: kept with the slots at zero and a low confidence, never dropped).
  const named = c.strength !== null && (c.match !== null || NUMBERED.test(normaliseText(c.line.text)));
  if (ins.schedule === null && ins.days === null && ins.quantity === null && !named) return null;
  return { c, ins };
}

/**
 * A Latin line the page OCR left incomplete (no strength, dosing or duration; or a numbered
 * line it could not read as a medication): read again alone with the Latin model, which reads
 * handwritten digits the Khmer+Latin page model turns into ")", "}" or "U".
 */
function needsLatinPass(line: Line, r: LineReading | null): boolean {
  // A Khmer line is not for the Latin model; a Latin line may hold a mark or two read as Khmer
  // (a handwritten list number read as "ុ›", a 4 as "។").
  if (khmerChars(line.text) > MAX_KHMER_IN_LATIN || latinLetters(line.text) < 3) return false;
  if (r === null) return NUMBERED.test(normaliseText(line.text));
  return r.c.strength === null || r.ins.schedule === null || r.ins.days === null;
}

async function latinLine(line: Line, p: PageAnalysis): Promise<Line | null> {
  const margin = p.textHeight * LINE_MARGIN;
  const box = {
    x0: Math.min(...line.words.map((w) => w.bbox.x0)) - margin,
    x1: Math.max(...line.words.map((w) => w.bbox.x1)) + margin,
    y0: line.y0 - margin,
    y1: line.y1 + margin,
  };
  const page = await p.ocrCell(box, 'line');
  if (page === null || page.words.length === 0) return null;
  const words = [...page.words].sort((a, b) => a.bbox.x0 - b.bbox.x0);
  return { ...line, words, text: words.map((w) => w.text).join(' '), conf: meanWordConf(words) };
}

const meanWordConf = (ws: OcrWord[]): number => ws.reduce((s, w) => s + w.conf, 0) / Math.max(1, ws.length) / 100;

/** Each line's reading, with the Latin second pass where the page's reading was incomplete. */
async function readLines(lines: Line[], p: PageAnalysis): Promise<Array<LineReading | null>> {
  const cands = lines.map((l) => candidate(l, p));
  const readings = lines.map((_, i) => readLineAt(lines, cands, i, p));
  let passes = 0;
  for (let i = 0; i < lines.length && passes < MAX_LINE_PASSES; i++) {
    const line = lines[i];
    if (line === undefined || !needsLatinPass(line, readings[i] ?? null)) continue;
    passes++;
    const again = await latinLine(line, p);
    if (again === null) continue;
    const c2 = candidate(again, p);
    const trial = [...cands];
    trial[i] = c2;
    const r2 = readLineAt(lines, trial, i, p);
    if (completeness(r2) > completeness(readings[i] ?? null)) {
      cands[i] = c2;
      readings[i] = r2;
    }
  }
  return readings;
}

export async function readList(p: PageAnalysis): Promise<ReadMedication[]> {
  const lines = joinLines(p.page.lines);
  const readings = await readLines(lines, p);
  const meds: ReadMedication[] = [];
  for (const r of readings) {
    if (r === null) continue;
    const { c, ins } = r;
    const schedule = ins.schedule ?? { morning: 0, noon: 0, evening: 0, night: 0 };
    const slotConf = Object.fromEntries(
      SLOTS.map((s) => [s, ins.schedule === null ? 0.2 : ins.scheduleConfidence]),
    ) as Record<Slot, number>;
    const daily = SLOTS.reduce((a, s) => a + schedule[s], 0);
    const unitName = ins.unit?.unit ?? null;
    const scored = scoreMedication({
      nameConf: c.line.conf,
      match: c.match,
      strength: c.strength,
      quantity: ins.quantity,
      quantityConf: ins.quantity !== null ? 0.8 : 0,
      slotConf,
      slotsSeen: ins.scheduleKind === 'cells' || ins.scheduleKind === 'pattern' ? 4 : 2,
    });
    meds.push({
      sequence: meds.length + 1,
      name: c.match?.changed === true ? c.match.corrected : c.name,
      generic_name: c.match?.drug.generic_name ?? null,
      drug_id: c.match?.drug.id ?? null,
      strength: c.strength,
      form: ins.unit?.form ?? c.match?.drug.forms?.[0] ?? null,
      quantity: ins.quantity,
      quantity_unit: unitName,
      dosage_schedule: schedule,
      duration_days: ins.days ?? durationFromQuantity(ins.quantity, daily, unitName),
      instructions: ins.meal?.text ?? null,
      take_after_meal: ins.meal?.after ?? false,
      take_before_meal: ins.meal?.before ?? false,
      confidence: scored.overall,
      field_confidence: scored.fields,
    });
  }
  return meds;
}

/** Lines that read as a medication with a strength and a dosing: a cheap "is this upright?". */
export function countListLines(page: { lines: OcrLine[] }): number {
  return joinLines(page.lines).filter((l) => {
    const split = splitNameLine(l.text);
    return split.strength !== null && latinLetters(split.name) >= 3 && parseInstructions(split.rest).schedule !== null;
  }).length;
}

export const listLayout: LayoutModule = {
  id: 'list',
  // The fallback: any page with text can be read line by line; a found table goes first.
  detect: (p) => (p.page.lines.length === 0 ? 0 : p.table === null ? 0.5 : 0.1),
  read: readList,
};
