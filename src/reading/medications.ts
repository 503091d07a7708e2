/**
 * Table rows → medications: name and strength (page OCR and a Latin-only second pass over the
 * name cell, whichever the lexicon and the confidences favour), quantity and unit, the four
 * dose slots (text, else the ink of the cell), meal instructions, duration, confidences.
 */
import type { GrayImage } from './image-ops.ts';
import { readDoseInk, readHalfInk } from './ink.ts';
import type { Lexicon, NameMatch } from './lexicon/match.ts';
import type { Box, OcrPage, OcrWord } from './ocr.ts';
import { parseDoseCell } from './dose.ts';
import { parseDosingText, type DosingReading } from './dosing.ts';
import { durationFromQuantity, parseNameCell, parseQuantityCell } from './parse.ts';
import { readDurationCell } from './duration-cell.ts';
import type { TableLayout, TableRow } from './table-rows.ts';
import type { TickBox } from './tickbox.ts';
import { hasKhmer, latinLetters, normaliseText, similarity } from './text.ts';
import { SLOTS, type DosageSchedule, type ReadMedication, type Slot } from './types.ts';
import { matchMeal, matchUnit, type UnitMatch } from './vocab.ts';
import { scoreMedication } from './confidence.ts';

/** Mean OCR confidence (0..100) under which an unmatched remarks cell is read again alone. */
const DOUBTFUL_REMARK_CONF = 70;

export type CellKind = 'name' | 'quantity' | 'quantity-latin' | 'dose' | 'remark';
export type CellOcr = (box: Box, kind: CellKind) => Promise<OcrPage | null>;

const cellText = (ws: OcrWord[]): string =>
  [...ws]
    .sort((a, b) => (Math.abs(a.bbox.y0 - b.bbox.y0) > 15 ? a.bbox.y0 - b.bbox.y0 : a.bbox.x0 - b.bbox.x0))
    .map((w) => w.text)
    .join(' ');
const meanConf = (ws: OcrWord[]): number =>
  ws.length === 0 ? 0 : ws.reduce((s, w) => s + w.conf, 0) / ws.length / 100;

interface NameChoice {
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

function cellBox(layout: TableLayout, row: TableRow, col: number): Box | null {
  const c = layout.header.columns[col];
  if (c === undefined) return null;
  return { x0: c.x0, y0: row.y0, x1: c.x1, y1: row.y1 };
}

function unitFromName(name: string): UnitMatch | null {
  for (const w of name.split(/\s+/)) {
    const u = matchUnit(w);
    if (u !== null) return u;
  }
  return null;
}

export interface RowContext {
  layout: TableLayout;
  image: GrayImage;
  lexicon: Lexicon;
  textHeight: number;
  ocrCell: CellOcr;
  /** Tick boxes inside the table: a pre-printed table with boxes is read as a form. */
  boxes: TickBox[];
}

export async function readTableRows(ctx: RowContext): Promise<ReadMedication[]> {
  const { layout } = ctx;
  const cols = layout.header.columns;
  const colOf = (role: string): number => cols.findIndex((c) => c.role === role);
  const qtyCol = colOf('quantity');
  const remarkCols = cols.map((c, i) => (c.role === 'remarks' || c.role === 'usage' ? i : -1)).filter((i) => i >= 0);
  const durCol = colOf('duration');
  // Where free-text dosing may be written when the table has no slot columns.
  const dosingCols = [
    ...cols.map((c, i) => (c.role === 'usage' ? i : -1)),
    ...cols.map((c, i) => (c.role === 'remarks' ? i : -1)),
  ].filter((i) => i >= 0);
  const meds: ReadMedication[] = [];
  // Boxes count only when the slot cells are mostly boxes: a pre-printed form.
  const slotCells = layout.rows.flatMap((row) =>
    SLOTS.map((s) => colOf(s))
      .filter((ci) => ci >= 0)
      .map((ci) => cellBox(layout, row, ci)),
  );
  const inside = (b: TickBox, c: Box): boolean => {
    const x = (b.x0 + b.x1) / 2;
    const y = (b.y0 + b.y1) / 2;
    return x > c.x0 && x < c.x1 && y > c.y0 && y < c.y1;
  };
  const withBox = slotCells.filter((c) => c !== null && ctx.boxes.some((b) => inside(b, c))).length;
  const boxes = slotCells.length > 0 && withBox >= Math.max(2, slotCells.length * 0.5) ? ctx.boxes : [];

  const remarks: Array<{ text: string; meal: ReturnType<typeof matchMeal> }> = [];
  for (const row of layout.rows) {
    const nameWords = row.cells[layout.nameColumn] ?? [];
    const pageName = cellText(nameWords);
    const nameBox = cellBox(layout, row, layout.nameColumn);
    if (latinLetters(pageName) < 2 && nameBox === null) continue;
    const candidates = [{ text: pageName, conf: meanConf(nameWords) }];
    if (nameBox !== null && (latinLetters(pageName) >= 2 || nameWords.length > 0)) {
      const latin = await ctx.ocrCell(nameBox, 'name');
      if (latin !== null && latin.words.length > 0)
        candidates.unshift({ text: cellText(latin.words), conf: meanConf(latin.words) });
    }
    const chosen = chooseName(candidates, ctx.lexicon);
    if (chosen === null) continue;

    // Dose slots.
    const schedule: DosageSchedule = { morning: 0, noon: 0, evening: 0, night: 0 };
    const slotConf: Record<Slot, number> = { morning: 0, noon: 0, evening: 0, night: 0 };
    let doseUnit: UnitMatch | null = null;
    let slotsSeen = 0;
    let ticked = 0;
    let boxesInRow = 0;
    for (const slot of SLOTS) {
      const ci = colOf(slot);
      const box = ci >= 0 ? cellBox(layout, row, ci) : null;
      if (box === null) {
        slotConf[slot] = 0.3;
        continue;
      }
      slotsSeen++;
      const tick = boxes.find((b) => inside(b, box));
      if (tick !== undefined) {
        boxesInRow++;
        schedule[slot] = tick.ticked ? 1 : 0;
        slotConf[slot] = Math.min(0.9, 0.5 + Math.abs(tick.fill - 0.06) * 4);
        if (tick.ticked) ticked++;
        continue;
      }
      const words = row.cells[ci] ?? [];
      const parsed = parseDoseCell(cellText(words));
      doseUnit ??= parsed.unit;
      const ink = words.length === 0 || parsed.value === null ? readDoseInk(ctx.image, box, ctx.textHeight) : null;
      if (parsed.value !== null && (words.length > 0 || ink === null || ink.value === 0)) {
        // A "½" read as "1" or "2": the ink (a small 1, a slash, a small 2) tells.
        const half = parsed.value === 1 || parsed.value === 2 ? readHalfInk(ctx.image, box, ctx.textHeight) : null;
        if (half !== null) {
          schedule[slot] = half;
          slotConf[slot] = 0.55;
          continue;
        }
        schedule[slot] = parsed.value;
        slotConf[slot] = parsed.confidence * (words.length > 0 ? Math.max(0.5, meanConf(words)) : 1);
        if (parsed.value === 0 && words.length > 0) {
          // "0"-like text: confirm from the ink when the words were weak.
          if (readDoseInk(ctx.image, box, ctx.textHeight).value === 1) slotConf[slot] = 0.4;
        }
        continue;
      }
      // Unreadable text ("Ya" for ½), or ink the page OCR did not see (a lone digit in a
      // borderless table): read the cell alone, Latin only; else the ink's own reading.
      const again = await ctx.ocrCell(box, 'dose');
      const p2 = again !== null && again.words.length > 0 ? parseDoseCell(cellText(again.words)) : null;
      if (p2 !== null && p2.value !== null && !(p2.value === 0 && ink !== null && ink.value === 1)) {
        schedule[slot] = p2.value;
        const agree = ink !== null && ink.value !== null && ink.value === p2.value;
        slotConf[slot] = Math.min(
          0.9,
          p2.confidence * Math.max(0.5, meanConf(again?.words ?? [])) * (agree ? 1 : 0.85),
        );
        doseUnit ??= p2.unit;
        continue;
      }
      // "½" misread as "Ya"/"Y2"/"1%": only when the ink has the shape of one.
      const misread = [cellText(words), again !== null ? cellText(again.words) : ''].some((t) =>
        /^\s*1?\s*(?:[%Yy¥]\s*[a2zZ]?|[%])\s*$/.test(t),
      );
      const half = misread ? readHalfInk(ctx.image, box, ctx.textHeight) : null;
      if (half !== null) {
        schedule[slot] = half;
        slotConf[slot] = 0.55;
        continue;
      }
      // The usual misreadings of "½" with ink the shape test could not split (blur, tilt): still
      // a half, with a low confidence for the review.
      if (misread && (ink ?? readDoseInk(ctx.image, box, ctx.textHeight)).marks > 0) {
        schedule[slot] = 0.5;
        slotConf[slot] = 0.45;
        continue;
      }
      const inkNow = ink ?? readDoseInk(ctx.image, box, ctx.textHeight);
      schedule[slot] = inkNow.value ?? 0;
      slotConf[slot] = inkNow.value === null ? 0.2 : inkNow.confidence;
    }
    // No slot columns: a free-text dosing column ("1-0-1", "1 tab x 2/day", "2 ដង/ថ្ងៃ"), else
    // dosing written after the name.
    if (slotsSeen === 0) {
      const dosing = await readDosing(ctx, row, dosingCols, pageName);
      if (dosing !== null) {
        Object.assign(schedule, dosing.schedule);
        for (const s of SLOTS) slotConf[s] = dosing.confidence;
        slotsSeen = 4;
      }
    }
    const tickForm = boxesInRow > 0;
    if (tickForm && ticked === 0) continue; // a pre-printed drug nobody ticked

    // Quantity.
    let quantity: number | null = null;
    let qUnit: UnitMatch | null = null;
    let qConf = 0.3;
    if (qtyCol >= 0) {
      const words = row.cells[qtyCol] ?? [];
      let q = parseQuantityCell(cellText(words));
      let conf = q.confidence * Math.max(0.5, meanConf(words));
      const box = cellBox(layout, row, qtyCol);
      if (box !== null && (q.quantity === null || q.unit === null || conf < 0.8)) {
        const latin = await ctx.ocrCell(
          box,
          hasKhmer(cellText(words)) || words.length === 0 ? 'quantity' : 'quantity-latin',
        );
        if (latin !== null) {
          const q2 = parseQuantityCell(cellText(latin.words));
          // The page's own reading wins unless it had no number: a second reading that
          // disagrees only lowers the confidence.
          // A Khmer digit among Latin words ("១ tabs") is a Latin digit misread: the Latin pass wins.
          const strayKhmerDigit = /[០-៩]/.test(cellText(words)) && !/[\u1780-\u17d3]/.test(cellText(words));
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
      quantity = q.quantity;
      qUnit = q.unit;
      qConf = quantity === null ? 0.2 : conf;
    }
    const lexForm = chosen.match?.drug.forms?.find((f) => f === 'tablet' || f === 'capsule');
    const unit =
      qUnit ??
      doseUnit ??
      unitFromName(chosen.name) ??
      (quantity !== null && lexForm !== undefined ? matchUnit(lexForm) : null);
    const formFromLexicon = chosen.match?.drug.forms?.[0] ?? null;

    // Instructions.
    let remarkText = remarkCols.map((ci) => cellText(row.cells[ci] ?? [])).join(' ');
    let meal = matchMeal(remarkText) ?? matchMeal(chosen.name);
    const remarkWords = remarkCols.flatMap((ci) => row.cells[ci] ?? []);
    const doubtful =
      remarkWords.length > 0 && remarkWords.reduce((a, w) => a + w.conf, 0) / remarkWords.length < DOUBTFUL_REMARK_CONF;
    if (meal === null && (hasKhmer(remarkText) || doubtful)) {
      // Small Khmer words misread on the page (as Khmer, or as Latin garbage): read the cell alone.
      for (const ci of remarkCols) {
        const box = cellBox(layout, row, ci);
        const again = box !== null ? await ctx.ocrCell(box, 'remark') : null;
        const t = again !== null ? cellText(again.words) : '';
        meal = matchMeal(t);
        if (meal !== null) {
          remarkText = t;
          break;
        }
      }
    }
    const otherRemarks = normaliseText(remarkText.replace(/[\u1780-\u17ff]+/g, ' '))
      .replace(/[|[\]]/g, '')
      .trim();
    const instructions = [
      meal?.text,
      /[A-Za-z]{2,}/.test(otherRemarks) && !hasKhmer(otherRemarks) && meal === null ? otherRemarks : undefined,
    ]
      .filter((x): x is string => x !== undefined && x !== '')
      .join('; ');

    const daily = SLOTS.reduce((s, k) => s + schedule[k], 0);
    let duration: number | null = null;
    if (durCol >= 0) {
      const box = cellBox(layout, row, durCol);
      const again = async (): Promise<string | null> => {
        const page = box !== null ? await ctx.ocrCell(box, 'quantity') : null;
        return page !== null ? cellText(page.words) : null;
      };
      duration = await readDurationCell(cellText(row.cells[durCol] ?? []), again, quantity, daily);
    }
    duration ??= durationFromQuantity(quantity, daily, unit?.unit ?? null);

    // Nothing but a name: not a prescribed line (a note, a repeated header).
    if (!tickForm && daily === 0 && quantity === null) continue;

    const fields = scoreMedication({
      nameConf: chosen.conf,
      match: chosen.match,
      strength: chosen.strength,
      quantity,
      quantityConf: qConf,
      slotConf,
      slotsSeen,
    });
    remarks.push({ text: remarkText, meal });
    meds.push({
      sequence: meds.length + 1,
      name: chosen.name,
      generic_name: chosen.match?.drug.generic_name ?? null,
      drug_id: chosen.match?.drug.id ?? null,
      strength: chosen.strength,
      form: unit?.form ?? formFromLexicon,
      quantity,
      quantity_unit: unit?.unit ?? null,
      dosage_schedule: schedule,
      duration_days: duration,
      instructions: instructions === '' ? null : instructions,
      take_after_meal: meal?.after ?? false,
      take_before_meal: meal?.before ?? false,
      confidence: fields.overall,
      field_confidence: fields.fields,
    });
  }
  applyRemarkConsensus(meds, remarks);
  return meds;
}

/** Free-text dosing of one row: the usage/remarks cells as read on the page, then alone. */
async function readDosing(
  ctx: RowContext,
  row: TableRow,
  dosingCols: number[],
  nameText: string,
): Promise<DosingReading | null> {
  for (const ci of dosingCols) {
    const d = parseDosingText(cellText(row.cells[ci] ?? []));
    if (d !== null) return d;
  }
  for (const ci of dosingCols) {
    if ((row.cells[ci] ?? []).length === 0) continue;
    const box = cellBox(ctx.layout, row, ci);
    const again = box !== null ? await ctx.ocrCell(box, 'remark') : null;
    const d = again !== null ? parseDosingText(cellText(again.words)) : null;
    if (d !== null) return { ...d, confidence: Math.min(d.confidence, 0.75) };
  }
  // "Amoxicillin 500mg 1-0-1" in the name cell.
  return parseDosingText(nameText.replace(/^[\s|[\]()]*\d{1,2}\s*[.)|\]]\s*/, ''));
}

/**
 * A remarks column repeats the same words down the rows ("ក្រោយបាយ" on each line): a row whose
 * text was too garbled to match takes the meal timing of a matched row whose text it resembles.
 */
function applyRemarkConsensus(
  meds: ReadMedication[],
  remarks: Array<{ text: string; meal: ReturnType<typeof matchMeal> }>,
): void {
  const matched = remarks.filter((r) => r.meal !== null);
  if (matched.length === 0) return;
  meds.forEach((m, i) => {
    const r = remarks[i];
    if (r === undefined || r.meal !== null || !hasKhmer(r.text)) return;
    const key = r.text.replace(/[^\u1780-\u17ff]/g, '');
    let best: { sim: number; meal: NonNullable<ReturnType<typeof matchMeal>> } | null = null;
    for (const o of matched) {
      if (o.meal === null) continue;
      const sim = similarity(key, o.text.replace(/[^\u1780-\u17ff]/g, ''));
      if (best === null || sim > best.sim) best = { sim, meal: o.meal };
    }
    if (best !== null && best.sim >= 0.6) {
      m.take_after_meal = best.meal.after;
      m.take_before_meal = best.meal.before;
      m.instructions = m.instructions ?? best.meal.text;
    }
  });
}
