/**
 * One table row's cells, each read by its own small step: the name (page OCR or the Latin
 * second pass), the four dose slots (text, the ink of the cell, tick boxes), the quantity and
 * its unit, the remarks (meal timing). medications.ts puts a row's steps together.
 */
import type { GrayImage } from './image-ops.ts';
import { readDoseInk, readHalfInk, type InkReading } from './ink.ts';
import type { Lexicon, NameMatch } from './lexicon/match.ts';
import type { Box, OcrPage, OcrWord } from './ocr.ts';
import { parseDoseCell } from './dose.ts';
import { parseNameCell, parseQuantityCell } from './parse.ts';
import type { TableLayout, TableRow } from './table-rows.ts';
import type { TickBox } from './tickbox.ts';
import { hasKhmer, latinLetters, normaliseText } from './text.ts';
import { SLOTS, type DosageSchedule, type Slot } from './types.ts';
import { matchMeal, type MealMatch, type UnitMatch } from './vocab.ts';

/** Mean OCR confidence (0..100) under which an unmatched remarks cell is read again alone. */
const DOUBTFUL_REMARK_CONF = 70;
/** Two words belong to different lines of a cell when their tops differ by this share of the text height. */
const SAME_LINE_SHARE = 0.45;
/** Slot confidence given to a ½ recognised from its ink, and to a usual misreading of one. */
const HALF_FROM_INK_CONF = 0.55;
const HALF_FROM_MISREAD_CONF = 0.45;
/** "½" as the OCR often reads it: "Ya", "Y2", "1%", "¥". */
const HALF_MISREAD = /^\s*1?\s*(?:[%Yy¥]\s*[a2zZ]?|[%])\s*$/;

/** What a re-read box holds: a table cell of one kind, or a whole Latin line of a list. */
export type CellKind = 'name' | 'quantity' | 'quantity-latin' | 'dose' | 'remark' | 'line';
export type CellOcr = (box: Box, kind: CellKind) => Promise<OcrPage | null>;

export interface RowContext {
  layout: TableLayout;
  image: GrayImage;
  lexicon: Lexicon;
  textHeight: number;
  ocrCell: CellOcr;
  /** Tick boxes inside the table: a pre-printed table with boxes is read as a form. */
  boxes: TickBox[];
}

/** A cell's words in reading order: lines top to bottom, words left to right. */
export function cellText(ws: OcrWord[], textHeight = 32): string {
  const tol = textHeight * SAME_LINE_SHARE;
  return [...ws]
    .sort((a, b) => (Math.abs(a.bbox.y0 - b.bbox.y0) > tol ? a.bbox.y0 - b.bbox.y0 : a.bbox.x0 - b.bbox.x0))
    .map((w) => w.text)
    .join(' ');
}

/** Mean word confidence, 0..1. */
export const meanConf = (ws: OcrWord[]): number =>
  ws.length === 0 ? 0 : ws.reduce((s, w) => s + w.conf, 0) / ws.length / 100;

export function cellBox(layout: TableLayout, row: TableRow, col: number): Box | null {
  const c = layout.header.columns[col];
  if (c === undefined) return null;
  return { x0: c.x0, y0: row.y0, x1: c.x1, y1: row.y1 };
}

export const boxInside = (b: TickBox, c: Box): boolean => {
  const x = (b.x0 + b.x1) / 2;
  const y = (b.y0 + b.y1) / 2;
  return x > c.x0 && x < c.x1 && y > c.y0 && y < c.y1;
};

// ---- name -----------------------------------------------------------------------------------

export interface NameChoice {
  name: string;
  strength: string | null;
  conf: number;
  match: NameMatch | null;
}

function chooseName(candidates: Array<{ text: string; conf: number }>, lexicon: Lexicon): NameChoice | null {
  let best: (NameChoice & { score: number }) | null = null;
  for (const c of candidates) {
    const { name, strength } = parseNameCell(c.text);
    if (latinLetters(name) < 3) continue;
    const match = lexicon.match(name, strength);
    const score = c.conf + (match ? match.similarity * 0.5 : 0) + (strength !== null ? 0.05 : 0);
    if (best === null || score > best.score) {
      best = { name: match?.changed ? match.corrected : name, strength, conf: c.conf, match, score };
    }
  }
  if (best === null) return null;
  // A strength only one of the passes saw is still a strength.
  if (best.strength === null) {
    for (const c of candidates) {
      const s = parseNameCell(c.text).strength;
      if (s !== null) {
        best.strength = s;
        break;
      }
    }
  }
  return best;
}

/** The name cell: the page's reading and a Latin-only reading of the cell, the better one. */
export async function readNameCell(
  ctx: RowContext,
  row: TableRow,
): Promise<{ chosen: NameChoice; pageText: string } | null> {
  const { layout } = ctx;
  const nameWords = row.cells[layout.nameColumn] ?? [];
  const pageText = cellText(nameWords, ctx.textHeight);
  const nameBox = cellBox(layout, row, layout.nameColumn);
  if (latinLetters(pageText) < 2 && nameBox === null) return null;
  const candidates = [{ text: pageText, conf: meanConf(nameWords) }];
  if (nameBox !== null && (latinLetters(pageText) >= 2 || nameWords.length > 0)) {
    const latin = await ctx.ocrCell(nameBox, 'name');
    if (latin !== null && latin.words.length > 0)
      candidates.unshift({ text: cellText(latin.words, ctx.textHeight), conf: meanConf(latin.words) });
  }
  const chosen = chooseName(candidates, ctx.lexicon);
  return chosen === null ? null : { chosen, pageText };
}

// ---- dose slots -----------------------------------------------------------------------------

export interface SlotReading {
  schedule: DosageSchedule;
  slotConf: Record<Slot, number>;
  /** A unit written in a dose cell ("1 គ្រាប់"). */
  doseUnit: UnitMatch | null;
  /** Slot columns the table has. */
  slotsSeen: number;
  /** Tick boxes in the row's slot cells, and how many of them are ticked. */
  boxesInRow: number;
  ticked: number;
}

interface SlotValue {
  value: number;
  conf: number;
  unit: UnitMatch | null;
}

/**
 * The tick boxes that count: only when the slot cells are mostly boxes (a pre-printed form);
 * a stray box elsewhere is not a dose.
 */
export function formBoxes(ctx: RowContext, slotColumns: number[]): TickBox[] {
  const slotCells = ctx.layout.rows.flatMap((row) => slotColumns.map((ci) => cellBox(ctx.layout, row, ci)));
  const withBox = slotCells.filter((c) => c !== null && ctx.boxes.some((b) => boxInside(b, c))).length;
  return slotCells.length > 0 && withBox >= Math.max(2, slotCells.length * 0.5) ? ctx.boxes : [];
}

/** The four slots of one row. `slotCol(slot)` is the slot's column, or -1. */
export async function readSlots(
  ctx: RowContext,
  row: TableRow,
  slotCol: (slot: Slot) => number,
  boxes: TickBox[],
): Promise<SlotReading> {
  const out: SlotReading = {
    schedule: { morning: 0, noon: 0, evening: 0, night: 0 },
    slotConf: { morning: 0, noon: 0, evening: 0, night: 0 },
    doseUnit: null,
    slotsSeen: 0,
    boxesInRow: 0,
    ticked: 0,
  };
  for (const slot of SLOTS) {
    const ci = slotCol(slot);
    const box = ci >= 0 ? cellBox(ctx.layout, row, ci) : null;
    if (box === null) {
      out.slotConf[slot] = 0.3;
      continue;
    }
    out.slotsSeen++;
    const tick = boxes.find((b) => boxInside(b, box));
    if (tick !== undefined) {
      out.boxesInRow++;
      out.schedule[slot] = tick.ticked ? 1 : 0;
      out.slotConf[slot] = Math.min(0.9, 0.5 + Math.abs(tick.fill - 0.06) * 4);
      if (tick.ticked) out.ticked++;
      continue;
    }
    const v = await readDoseCell(ctx, box, row.cells[ci] ?? []);
    out.schedule[slot] = v.value;
    out.slotConf[slot] = v.conf;
    out.doseUnit ??= v.unit;
  }
  return out;
}

/**
 * One dose cell: its text on the page; when that is unreadable (or absent while there is ink),
 * the cell read alone in Latin; then the shape of the ink (a "½" misread as "Ya", a lone
 * stroke the OCR did not see).
 */
async function readDoseCell(ctx: RowContext, box: Box, words: OcrWord[]): Promise<SlotValue> {
  const { image, textHeight } = ctx;
  const text = cellText(words, textHeight);
  const parsed = parseDoseCell(text);
  const ink = words.length === 0 || parsed.value === null ? readDoseInk(image, box, textHeight) : null;
  if (parsed.value !== null && (words.length > 0 || ink === null || ink.value === 0))
    return fromPageText(ctx, box, words, { value: parsed.value, conf: parsed.confidence, unit: parsed.unit });
  const again = await ctx.ocrCell(box, 'dose');
  const againText = again !== null ? cellText(again.words, textHeight) : '';
  const p2 = again !== null && again.words.length > 0 ? parseDoseCell(againText) : null;
  if (p2 !== null && p2.value !== null && !(p2.value === 0 && ink !== null && ink.value === 1)) {
    const half = p2.value === 1 || p2.value === 2 ? readHalfInk(image, box, textHeight) : null;
    if (half !== null) return { value: half, conf: HALF_FROM_INK_CONF, unit: parsed.unit ?? p2.unit };
    const agree = ink !== null && ink.value !== null && ink.value === p2.value;
    const conf = p2.confidence * Math.max(0.5, meanConf(again?.words ?? [])) * (agree ? 1 : 0.85);
    return { value: p2.value, conf: Math.min(0.9, conf), unit: parsed.unit ?? p2.unit };
  }
  return { ...fromInk(image, box, textHeight, [text, againText], ink), unit: parsed.unit };
}

/** A readable dose on the page; a "1" or "2" whose ink is a "½" is a half. */
function fromPageText(ctx: RowContext, box: Box, words: OcrWord[], v: SlotValue): SlotValue {
  const { image, textHeight } = ctx;
  const half = v.value === 1 || v.value === 2 ? readHalfInk(image, box, textHeight) : null;
  if (half !== null) return { value: half, conf: HALF_FROM_INK_CONF, unit: v.unit };
  let conf = v.conf * (words.length > 0 ? Math.max(0.5, meanConf(words)) : 1);
  // "0"-like text: confirmed from the ink when the words were weak.
  if (v.value === 0 && words.length > 0 && readDoseInk(image, box, textHeight).value === 1) conf = 0.4;
  return { ...v, conf };
}

/** No text reading: a misread "½" when the ink has its shape (or any ink at all), else the ink's own value. */
function fromInk(image: GrayImage, box: Box, textHeight: number, texts: string[], ink: InkReading | null): SlotValue {
  const misread = texts.some((t) => t !== '' && HALF_MISREAD.test(t));
  const half = misread ? readHalfInk(image, box, textHeight) : null;
  if (half !== null) return { value: half, conf: HALF_FROM_INK_CONF, unit: null };
  const inkNow = ink ?? readDoseInk(image, box, textHeight);
  if (misread && inkNow.marks > 0) return { value: 0.5, conf: HALF_FROM_MISREAD_CONF, unit: null };
  return { value: inkNow.value ?? 0, conf: inkNow.value === null ? 0.2 : inkNow.confidence, unit: null };
}

// ---- quantity -------------------------------------------------------------------------------

export interface QuantityReading {
  quantity: number | null;
  unit: UnitMatch | null;
  conf: number;
}

/** The quantity cell: the page's reading, checked by the cell read alone when it is doubtful. */
export async function readQuantityCell(ctx: RowContext, row: TableRow, qtyCol: number): Promise<QuantityReading> {
  if (qtyCol < 0) return { quantity: null, unit: null, conf: 0.3 };
  const words = row.cells[qtyCol] ?? [];
  const text = cellText(words, ctx.textHeight);
  let q = parseQuantityCell(text);
  let conf = q.confidence * Math.max(0.5, meanConf(words));
  const box = cellBox(ctx.layout, row, qtyCol);
  if (box !== null && (q.quantity === null || q.unit === null || conf < 0.8)) {
    const latin = await ctx.ocrCell(box, hasKhmer(text) || words.length === 0 ? 'quantity' : 'quantity-latin');
    if (latin !== null) {
      const q2 = parseQuantityCell(cellText(latin.words, ctx.textHeight));
      // The page's own reading wins unless it had no number: a second reading that disagrees
      // only lowers the confidence. A Khmer digit among Latin words ("១ tabs") is a Latin
      // digit misread: the Latin pass wins.
      const strayKhmerDigit = /[០-៩]/.test(text) && !/[\u1780-\u17d3]/.test(text);
      if (q.quantity !== null && q2.quantity !== null && q2.quantity !== q.quantity && !strayKhmerDigit) {
        conf = Math.min(conf, 0.45);
        if (q.unit === null && q2.unit !== null) q = { ...q, unit: q2.unit };
      } else if (q2.quantity !== null) {
        if (q.quantity === null || q2.quantity !== q.quantity)
          conf = q2.confidence * Math.max(0.5, meanConf(latin.words));
        else conf = Math.min(0.98, conf + 0.15);
        q = { quantity: q2.quantity, unit: q.unit ?? q2.unit, confidence: q2.confidence };
      } else if (q.unit === null && q2.unit !== null) q = { ...q, unit: q2.unit };
    }
  }
  return { quantity: q.quantity, unit: q.unit, conf: q.quantity === null ? 0.2 : conf };
}

// ---- remarks --------------------------------------------------------------------------------

export interface RemarkReading {
  /** The remarks as read (kept for the consensus across rows). */
  text: string;
  meal: MealMatch | null;
  /** The meal timing, or other Latin remarks: the medication's instructions. */
  instructions: string | null;
}

/** The remarks cells: meal timing, re-read alone when the page's Khmer or Latin was doubtful. */
export async function readRemarkCells(
  ctx: RowContext,
  row: TableRow,
  remarkCols: number[],
  name: string,
): Promise<RemarkReading> {
  let text = remarkCols.map((ci) => cellText(row.cells[ci] ?? [], ctx.textHeight)).join(' ');
  let meal = matchMeal(text) ?? matchMeal(name);
  const words = remarkCols.flatMap((ci) => row.cells[ci] ?? []);
  const doubtful = words.length > 0 && words.reduce((a, w) => a + w.conf, 0) / words.length < DOUBTFUL_REMARK_CONF;
  if (meal === null && (hasKhmer(text) || doubtful)) {
    // Small Khmer words misread on the page (as Khmer, or as Latin garbage): read the cell alone.
    for (const ci of remarkCols) {
      const box = cellBox(ctx.layout, row, ci);
      const again = box !== null ? await ctx.ocrCell(box, 'remark') : null;
      const t = again !== null ? cellText(again.words, ctx.textHeight) : '';
      meal = matchMeal(t);
      if (meal !== null) {
        text = t;
        break;
      }
    }
  }
  const other = normaliseText(text.replace(/[\u1780-\u17ff]+/g, ' '))
    .replace(/[|[\]]/g, '')
    .trim();
  const instructions = [meal?.text, /[A-Za-z]{2,}/.test(other) && !hasKhmer(other) && meal === null ? other : undefined]
    .filter((x): x is string => x !== undefined && x !== '')
    .join('; ');
  return { text, meal, instructions: instructions === '' ? null : instructions };
}
