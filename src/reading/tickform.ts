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

export async function readTickForm(input: TickFormInput): Promise<ReadMedication[] | null> {
  const { boxes, textHeight } = input;
  if (boxes.length < 3) return null;
  // Rows of boxes.
  const rows: TickBox[][] = [];
  for (const b of [...boxes].sort((a, c) => centreY(a) - centreY(c))) {
    const r = rows.find((row) => Math.abs(centreY(row[0] ?? b) - centreY(b)) < textHeight * 0.6);
    if (r !== undefined) r.push(b);
    else rows.push([b]);
  }
  if (rows.length < 2) return null;
  // Columns: the boxes' rank in a row of the usual length (a photographed page drifts in x from
  // row to row, more than a box apart at the bottom of a tilted form); other rows by nearness.
  const counts = new Map<number, number>();
  for (const r of rows) counts.set(r.length, (counts.get(r.length) ?? 0) + 1);
  const usual = [...counts.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]?.[0] ?? 0;
  const sortedRows = rows.map((r) => [...r].sort((a, b) => a.x0 - b.x0));
  const model = sortedRows.find((r) => r.length === usual) ?? sortedRows[0] ?? [];
  const colXs = model.map((b) => centreX(b));
  const colSlot = new Map<number, Slot>();
  const words = input.page.words;
  const top = Math.min(...model.map((b) => b.y0));
  colXs.forEach((x, i) => {
    const above = words.filter(
      (w) =>
        w.bbox.y1 <= top + 2 && top - w.bbox.y1 < textHeight * 4 && Math.abs(centreX(w.bbox) - x) < textHeight * 1.5,
    );
    for (const w of above) {
      const c = classifyHeader(w.text);
      if (c !== null && (SLOTS as readonly string[]).includes(c.role)) colSlot.set(i, c.role as Slot);
    }
  });
  // Header words read only in part (Khmer slot names are often garbled): four columns are the
  // four slots in order; fewer columns without any header word, the first slots in order.
  const used = new Set(colSlot.values());
  if ((colSlot.size === 0 && colXs.length >= 2 && colXs.length <= 4) || colXs.length === SLOTS.length) {
    colXs.forEach((_, i) => {
      const s = SLOTS[i] as Slot;
      if (!colSlot.has(i) && !used.has(s)) colSlot.set(i, s);
    });
  }
  const columnOf = (row: TickBox[], b: TickBox): number => {
    if (row.length === colXs.length) return row.indexOf(b);
    let best = -1;
    colXs.forEach((x, i) => {
      if (
        Math.abs(x - centreX(b)) < textHeight &&
        (best < 0 || Math.abs(x - centreX(b)) < Math.abs((colXs[best] ?? 0) - centreX(b)))
      )
        best = i;
    });
    return best;
  };
  const meds: ReadMedication[] = [];
  for (const sorted of sortedRows) {
    if (!sorted.some((b) => b.ticked)) continue;
    const first = sorted[0];
    const last = sorted[sorted.length - 1];
    if (first === undefined || last === undefined) continue;
    const y = centreY(first);
    const lineWords = words.filter((w) => Math.abs(centreY(w.bbox) - y) < textHeight * 0.8);
    let nameWords: OcrWord[] = lineWords.filter((w) => w.bbox.x1 <= first.x0 + 2);
    if (latinLetters(nameWords.map((w) => w.text).join('')) < 3)
      nameWords = lineWords.filter((w) => w.bbox.x0 >= last.x1 - 2);
    if (nameWords.length === 0) continue;
    const x0 = Math.min(...nameWords.map((w) => w.bbox.x0));
    const x1 = Math.max(...nameWords.map((w) => w.bbox.x1));
    const latin = await input.ocrCell({ x0: x0 - 6, y0: y - textHeight, x1: x1 + 6, y1: y + textHeight }, 'name');
    const texts = [latin ? latin.words.map((w) => w.text).join(' ') : '', nameWords.map((w) => w.text).join(' ')];
    let name = '';
    let strength: string | null = null;
    for (const t of texts) {
      const p = parseNameCell(t);
      if (latinLetters(p.name) >= 3) {
        name = p.name;
        strength = p.strength;
        break;
      }
    }
    if (name === '') continue;
    const match = input.lexicon.match(name);
    const schedule: DosageSchedule = { morning: 0, noon: 0, evening: 0, night: 0 };
    const slotConf: Record<Slot, number> = { morning: 0.4, noon: 0.4, evening: 0.4, night: 0.4 };
    for (const b of sorted) {
      const ci = columnOf(sorted, b);
      const slot = colSlot.get(ci);
      if (slot === undefined) continue;
      schedule[slot] = b.ticked ? 1 : 0;
      slotConf[slot] = Math.min(0.9, 0.5 + Math.abs(b.fill - 0.06) * 4);
    }
    const conf = nameWords.reduce((s, w) => s + w.conf, 0) / nameWords.length / 100;
    const scored = scoreMedication({
      nameConf: conf,
      match,
      strength,
      quantity: null,
      quantityConf: 0,
      slotConf,
      slotsSeen: colSlot.size,
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
