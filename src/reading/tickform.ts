/**
 * Pre-printed forms: a list of drugs, each with tick boxes (one per slot, or one to select the
 * drug). Only ticked drugs are proposed; the slots are the ticked boxes' columns, named by the
 * header words above them when present, else by their order.
 */
import type { Lexicon } from './lexicon/match.ts';
import type { OcrPage, OcrWord } from './ocr.ts';
import type { CellOcr } from './medications.ts';
import { parseNameCell } from './parse.ts';
import type { TickBox } from './tickbox.ts';
import { latinLetters } from './text.ts';
import { SLOTS, type DosageSchedule, type ReadMedication, type Slot } from './types.ts';
import { classifyHeader } from './vocab.ts';
import { scoreMedication } from './confidence.ts';
import { centreX, centreY } from './stats.ts';

export interface TickFormInput {
  page: OcrPage;
  boxes: TickBox[];
  lexicon: Lexicon;
  textHeight: number;
  ocrCell: CellOcr;
}

/** Boxes on one row: centres within this share of the text height. */
const ROW_SHARE = 0.6;
/** Header words of a column: above its top box by at most HEADER_REACH text heights, within HEADER_SPREAD across. */
const HEADER_REACH = 4;
const HEADER_SPREAD = 1.5;
/** A row's words: centres within this share of the text height of the row's boxes. */
const LINE_SHARE = 0.8;

/** Rows of boxes, top to bottom, each sorted left to right. */
function boxRows(boxes: TickBox[], textHeight: number): TickBox[][] {
  const rows: TickBox[][] = [];
  for (const b of [...boxes].sort((a, c) => centreY(a) - centreY(c))) {
    const r = rows.find((row) => Math.abs(centreY(row[0] ?? b) - centreY(b)) < textHeight * ROW_SHARE);
    if (r !== undefined) r.push(b);
    else rows.push([b]);
  }
  return rows.map((r) => [...r].sort((a, b) => a.x0 - b.x0));
}

interface FormColumns {
  /** Centre x of each box column. */
  xs: number[];
  /** The slot of each column that has one. */
  slot: Map<number, Slot>;
}

/**
 * Columns: the boxes' rank in a row of the usual length (a photographed page drifts in x from
 * row to row, more than a box apart at the bottom of a tilted form), named by the slot words
 * above them; header words read only in part (Khmer slot names are often garbled): four
 * columns are the four slots in order; fewer columns without any header word, the first slots.
 */
function formColumns(rows: TickBox[][], words: OcrWord[], textHeight: number): FormColumns {
  const counts = new Map<number, number>();
  for (const r of rows) counts.set(r.length, (counts.get(r.length) ?? 0) + 1);
  const usual = [...counts.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]?.[0] ?? 0;
  const model = rows.find((r) => r.length === usual) ?? rows[0] ?? [];
  const xs = model.map((b) => centreX(b));
  const slot = new Map<number, Slot>();
  const top = Math.min(...model.map((b) => b.y0));
  xs.forEach((x, i) => {
    const above = words.filter(
      (w) =>
        w.bbox.y1 <= top + 2 &&
        top - w.bbox.y1 < textHeight * HEADER_REACH &&
        Math.abs(centreX(w.bbox) - x) < textHeight * HEADER_SPREAD,
    );
    for (const w of above) {
      const c = classifyHeader(w.text);
      if (c !== null && (SLOTS as readonly string[]).includes(c.role)) slot.set(i, c.role as Slot);
    }
  });
  const used = new Set(slot.values());
  if ((slot.size === 0 && xs.length >= 2 && xs.length <= 4) || xs.length === SLOTS.length) {
    xs.forEach((_, i) => {
      const s = SLOTS[i] as Slot;
      if (!slot.has(i) && !used.has(s)) slot.set(i, s);
    });
  }
  return { xs, slot };
}

/** A box's column: its rank in a full row, else the nearest column within a text height. */
function columnOf(cols: FormColumns, row: TickBox[], b: TickBox, textHeight: number): number {
  if (row.length === cols.xs.length) return row.indexOf(b);
  let best = -1;
  cols.xs.forEach((x, i) => {
    const d = Math.abs(x - centreX(b));
    if (d < textHeight && (best < 0 || d < Math.abs((cols.xs[best] ?? 0) - centreX(b)))) best = i;
  });
  return best;
}

/** The drug printed beside a row of boxes (left of them, else right), read again in Latin. */
async function rowName(
  input: TickFormInput,
  row: TickBox[],
): Promise<{ name: string; strength: string | null; conf: number } | null> {
  const { textHeight } = input;
  const first = row[0];
  const last = row[row.length - 1];
  if (first === undefined || last === undefined) return null;
  const y = centreY(first);
  const lineWords = input.page.words.filter((w) => Math.abs(centreY(w.bbox) - y) < textHeight * LINE_SHARE);
  let nameWords: OcrWord[] = lineWords.filter((w) => w.bbox.x1 <= first.x0 + 2);
  if (latinLetters(nameWords.map((w) => w.text).join('')) < 3)
    nameWords = lineWords.filter((w) => w.bbox.x0 >= last.x1 - 2);
  if (nameWords.length === 0) return null;
  const x0 = Math.min(...nameWords.map((w) => w.bbox.x0));
  const x1 = Math.max(...nameWords.map((w) => w.bbox.x1));
  const latin = await input.ocrCell({ x0: x0 - 6, y0: y - textHeight, x1: x1 + 6, y1: y + textHeight }, 'name');
  const texts = [latin ? latin.words.map((w) => w.text).join(' ') : '', nameWords.map((w) => w.text).join(' ')];
  const conf = nameWords.reduce((s, w) => s + w.conf, 0) / nameWords.length / 100;
  for (const t of texts) {
    const p = parseNameCell(t);
    if (latinLetters(p.name) >= 3) return { name: p.name, strength: p.strength, conf };
  }
  return null;
}

export async function readTickForm(input: TickFormInput): Promise<ReadMedication[] | null> {
  const { boxes, textHeight } = input;
  if (boxes.length < 3) return null;
  const rows = boxRows(boxes, textHeight);
  if (rows.length < 2) return null;
  const cols = formColumns(rows, input.page.words, textHeight);
  const meds: ReadMedication[] = [];
  for (const row of rows) {
    if (!row.some((b) => b.ticked)) continue;
    const read = await rowName(input, row);
    if (read === null) continue;
    const { name, strength } = read;
    const match = input.lexicon.match(name);
    const schedule: DosageSchedule = { morning: 0, noon: 0, evening: 0, night: 0 };
    const slotConf: Record<Slot, number> = { morning: 0.4, noon: 0.4, evening: 0.4, night: 0.4 };
    for (const b of row) {
      const slot = cols.slot.get(columnOf(cols, row, b, textHeight));
      if (slot === undefined) continue;
      schedule[slot] = b.ticked ? 1 : 0;
      slotConf[slot] = Math.min(0.9, 0.5 + Math.abs(b.fill - 0.06) * 4);
    }
    const scored = scoreMedication({
      nameConf: read.conf,
      match,
      strength,
      quantity: null,
      quantityConf: 0,
      slotConf,
      slotsSeen: cols.slot.size,
    });
    meds.push({
      sequence: meds.length + 1,
      name: match?.changed ? match.corrected : name,
      generic_name: match?.drug.generic_name ?? null,
      drug_id: match?.drug.id ?? null,
      strength,
      form: match?.drug.forms?.[0] ?? null,
      quantity: null,
      quantity_unit: null,
      dosage_schedule: schedule,
      duration_days: null,
      instructions: null,
      take_after_meal: false,
      take_before_meal: false,
      confidence: scored.overall,
      field_confidence: scored.fields,
    });
  }
  return meds.length > 0 ? meds : null;
}
