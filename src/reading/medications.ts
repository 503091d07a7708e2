/**
 * Table rows → medications: each row's cells read by the steps of table-cells.ts (name,
 * dose slots, quantity, remarks), a free-text dosing column when the table has no slot
 * columns, the duration, and the confidences.
 */
import { matchUnit, type UnitMatch } from './vocab.ts';
import { parseDosingText, type DosingReading } from './dosing.ts';
import { durationFromQuantity } from './parse.ts';
import { readDurationCell } from './duration-cell.ts';
import type { TableRow } from './table-rows.ts';
import { hasKhmer, similarity } from './text.ts';
import { SLOTS, type ReadMedication } from './types.ts';
import type { MealMatch } from './vocab.ts';
import { scoreMedication } from './confidence.ts';
import {
  cellBox,
  cellText,
  formBoxes,
  readNameCell,
  readQuantityCell,
  readRemarkCells,
  readSlots,
  type RowContext,
} from './table-cells.ts';

export type { CellKind, CellOcr, RowContext } from './table-cells.ts';

/** Where each kind of cell is in the table. */
interface TableColumns {
  slot: (role: string) => number;
  quantity: number;
  remarks: number[];
  duration: number;
  /** Where free-text dosing may be written when the table has no slot columns. */
  dosing: number[];
}

function tableColumns(ctx: RowContext): TableColumns {
  const cols = ctx.layout.header.columns;
  const colOf = (role: string): number => cols.findIndex((c) => c.role === role);
  const where = (pred: (role: string | null) => boolean): number[] =>
    cols.map((c, i) => (pred(c.role) ? i : -1)).filter((i) => i >= 0);
  return {
    slot: colOf,
    quantity: colOf('quantity'),
    remarks: where((r) => r === 'remarks' || r === 'usage'),
    duration: colOf('duration'),
    dosing: [...where((r) => r === 'usage'), ...where((r) => r === 'remarks')],
  };
}

export async function readTableRows(ctx: RowContext): Promise<ReadMedication[]> {
  const cols = tableColumns(ctx);
  const boxes = formBoxes(
    ctx,
    SLOTS.map((s) => cols.slot(s)).filter((ci) => ci >= 0),
  );
  const meds: ReadMedication[] = [];
  const remarks: Array<{ text: string; meal: MealMatch | null }> = [];
  for (const row of ctx.layout.rows) {
    const name = await readNameCell(ctx, row);
    if (name === null) continue;
    const { chosen } = name;
    const slots = await readSlots(ctx, row, cols.slot, boxes);
    // No slot columns: a free-text dosing column ("1-0-1", "1 tab x 2/day", "2 ដង/ថ្ងៃ"), else
    // dosing written after the name.
    if (slots.slotsSeen === 0) {
      const dosing = await readDosing(ctx, row, cols.dosing, name.pageText);
      if (dosing !== null) {
        Object.assign(slots.schedule, dosing.schedule);
        for (const s of SLOTS) slots.slotConf[s] = dosing.confidence;
        slots.slotsSeen = 4;
      }
    }
    const tickForm = slots.boxesInRow > 0;
    if (tickForm && slots.ticked === 0) continue; // a pre-printed drug nobody ticked

    const q = await readQuantityCell(ctx, row, cols.quantity);
    const lexForm = chosen.match?.drug.forms?.find((f) => f === 'tablet' || f === 'capsule');
    const unit =
      q.unit ??
      slots.doseUnit ??
      unitFromName(chosen.name) ??
      (q.quantity !== null && lexForm !== undefined ? matchUnit(lexForm) : null);
    const remark = await readRemarkCells(ctx, row, cols.remarks, chosen.name);
    const daily = SLOTS.reduce((s, k) => s + slots.schedule[k], 0);
    const duration =
      (await readRowDuration(ctx, row, cols.duration, q.quantity, daily)) ??
      durationFromQuantity(q.quantity, daily, unit?.unit ?? null);

    // Nothing but a name: not a prescribed line (a note, a repeated header).
    if (!tickForm && daily === 0 && q.quantity === null) continue;

    const fields = scoreMedication({
      nameConf: chosen.conf,
      match: chosen.match,
      strength: chosen.strength,
      quantity: q.quantity,
      quantityConf: q.conf,
      slotConf: slots.slotConf,
      slotsSeen: slots.slotsSeen,
    });
    remarks.push({ text: remark.text, meal: remark.meal });
    meds.push({
      sequence: meds.length + 1,
      name: chosen.name,
      generic_name: chosen.match?.drug.generic_name ?? null,
      drug_id: chosen.match?.drug.id ?? null,
      strength: chosen.strength,
      form: unit?.form ?? chosen.match?.drug.forms?.[0] ?? null,
      quantity: q.quantity,
      quantity_unit: unit?.unit ?? null,
      dosage_schedule: slots.schedule,
      duration_days: duration,
      instructions: remark.instructions,
      take_after_meal: remark.meal?.after ?? false,
      take_before_meal: remark.meal?.before ?? false,
      confidence: fields.overall,
      field_confidence: fields.fields,
    });
  }
  applyRemarkConsensus(meds, remarks);
  return meds;
}

function unitFromName(name: string): UnitMatch | null {
  for (const w of name.split(/\s+/)) {
    const u = matchUnit(w);
    if (u !== null) return u;
  }
  return null;
}

/** A duration column's cell (re-read alone when unclear), or null without one. */
async function readRowDuration(
  ctx: RowContext,
  row: TableRow,
  durCol: number,
  quantity: number | null,
  daily: number,
): Promise<number | null> {
  if (durCol < 0) return null;
  const box = cellBox(ctx.layout, row, durCol);
  const again = async (): Promise<string | null> => {
    const page = box !== null ? await ctx.ocrCell(box, 'quantity') : null;
    return page !== null ? cellText(page.words, ctx.textHeight) : null;
  };
  return readDurationCell(cellText(row.cells[durCol] ?? [], ctx.textHeight), again, quantity, daily);
}

/** Free-text dosing of one row: the usage/remarks cells as read on the page, then alone. */
async function readDosing(
  ctx: RowContext,
  row: TableRow,
  dosingCols: number[],
  nameText: string,
): Promise<DosingReading | null> {
  for (const ci of dosingCols) {
    const d = parseDosingText(cellText(row.cells[ci] ?? [], ctx.textHeight));
    if (d !== null) return d;
  }
  for (const ci of dosingCols) {
    if ((row.cells[ci] ?? []).length === 0) continue;
    const box = cellBox(ctx.layout, row, ci);
    const again = box !== null ? await ctx.ocrCell(box, 'remark') : null;
    const d = again !== null ? parseDosingText(cellText(again.words, ctx.textHeight)) : null;
    if (d !== null) return { ...d, confidence: Math.min(d.confidence, 0.75) };
  }
  // "Amoxicillin 500mg 1-0-1" in the name cell.
  return parseDosingText(nameText.replace(/^[\s|[\]()]*\d{1,2}\s*[.)|\]]\s*/, ''));
}

/**
 * A remarks column repeats the same words down the rows ("ក្រោយបាយ" on each line): a row whose
 * text was too garbled to match takes the meal timing of a matched row whose text it resembles.
 */
function applyRemarkConsensus(meds: ReadMedication[], remarks: Array<{ text: string; meal: MealMatch | null }>): void {
  const matched = remarks.filter((r) => r.meal !== null);
  if (matched.length === 0) return;
  meds.forEach((m, i) => {
    const r = remarks[i];
    if (r === undefined || r.meal !== null || !hasKhmer(r.text)) return;
    const key = r.text.replace(/[^\u1780-\u17ff]/g, '');
    let best: { sim: number; meal: MealMatch } | null = null;
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
