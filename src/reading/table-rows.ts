/**
 * Rows of the medication table and the words of each cell. Ruled tables: rows between the
 * horizontal rulings below the header, kept only where the table's column lines run through
 * them (a box drawn under the table is not a row). Borderless tables: rows keyed on the drug
 * names of the name column. Words go to the cell that contains their centre, so a cell
 * top-aligned over two lines stays whole.
 */
import type { Box, OcrWord } from './ocr.ts';
import type { Rulings } from './rulings.ts';
import type { Column, TableHeader } from './table-header.ts';
import { latinLetters } from './text.ts';
import { matchMeal, matchUnit, type ColumnRole } from './vocab.ts';
import { centreX, centreY, median } from './stats.ts';

export interface TableRow {
  y0: number;
  y1: number;
  /** Words per column index (same order as header.columns). */
  cells: OcrWord[][];
}

export interface TableLayout {
  header: TableHeader;
  rows: TableRow[];
  nameColumn: number;
  bbox: Box;
}

/** The name column: labelled, else the widest unlabelled column left of the first slot. */
export function pickNameColumn(columns: Column[], words: OcrWord[], y0: number, y1: number): number {
  const labelled = columns.findIndex((c) => c.role === 'name');
  if (labelled >= 0) return labelled;
  const firstSlot = columns.findIndex(
    (c) => c.role === 'morning' || c.role === 'noon' || c.role === 'evening' || c.role === 'night',
  );
  let best = -1;
  let bestLetters = 0;
  columns.forEach((c, i) => {
    if (c.role !== null || (firstSlot >= 0 && i > firstSlot)) return;
    const letters = words
      .filter((w) => centreX(w) >= c.x0 && centreX(w) < c.x1 && centreY(w) > y0 && centreY(w) < y1)
      .reduce((s, w) => s + latinLetters(w.text), 0);
    if (letters > bestLetters) {
      best = i;
      bestLetters = letters;
    }
  });
  return best;
}

function cellsFor(columns: Column[], words: OcrWord[], y0: number, y1: number): OcrWord[][] {
  return columns.map((c) =>
    words.filter((w) => centreX(w) >= c.x0 && centreX(w) < c.x1 && centreY(w) >= y0 && centreY(w) < y1),
  );
}

export function findRows(
  header: TableHeader,
  words: OcrWord[],
  rulings: Rulings,
  pageHeight: number,
): TableLayout | null {
  const lineH = median(words.map((w) => w.bbox.y1 - w.bbox.y0)) || 30;
  const width = header.x1 - header.x0;
  const below = words.filter((w) => centreY(w) > header.y1 - 2);
  const nameColumn = pickNameColumn(header.columns, below, header.y1, pageHeight);
  let rows: TableRow[] = [];

  const hs = rulings.horizontal
    .filter(
      (h) =>
        h.pos >= header.y1 - lineH * 0.6 && Math.min(h.end, header.x1) - Math.max(h.start, header.x0) > width * 0.6,
    )
    .sort((a, b) => a.pos - b.pos);
  const interior = header.ruled
    ? rulings.vertical.filter((v) => header.columns.some((c, i) => i > 0 && Math.abs(c.x0 - v.pos) < 15))
    : [];
  if (hs.length >= 2) {
    for (let i = 0; i + 1 < hs.length; i++) {
      const a = hs[i]?.pos ?? 0;
      const b = hs[i + 1]?.pos ?? 0;
      if (b - a < lineH * 1.2) continue;
      if (interior.length >= 2) {
        const mid = (a + b) / 2;
        const through = interior.filter((v) => v.start <= mid && v.end >= mid).length;
        if (through < interior.length / 2) break; // the grid ended: a box below is not a row
      }
      rows.push({ y0: a, y1: b, cells: cellsFor(header.columns, words, a, b) });
    }
  }
  // A table without column lines may have only a rule under its header and the page's edge
  // below: between them lies the whole table, not a row. Rows from the names then.
  if (!header.ruled && rows.length > 0) {
    const named = rowsFromNames(header, below, nameColumn, lineH);
    if (named.length > rows.length) rows = named;
  }
  if (rows.length === 0) rows = rowsFromNames(header, below, nameColumn, lineH);
  // Rows with no text at all are blank lines of a pre-printed table.
  rows = rows.filter((r) => r.cells.some((c) => c.length > 0));
  if (rows.length === 0) return null;
  inferRolesFromBody(header.columns, rows, nameColumn);
  const last = rows[rows.length - 1];
  return {
    header,
    rows,
    nameColumn,
    bbox: { x0: header.x0, y0: header.y0, x1: header.x1, y1: last?.y1 ?? header.y1 },
  };
}

/** Borderless: a row starts at each name-column line that begins with a word (not a strength). */
function rowsFromNames(header: TableHeader, below: OcrWord[], nameColumn: number, lineH: number): TableRow[] {
  const col = header.columns[nameColumn];
  if (col === undefined) return [];
  const nameWords = below
    .filter((w) => centreX(w) >= col.x0 && centreX(w) < col.x1)
    .sort((a, b) => centreY(a) - centreY(b));
  const lines: OcrWord[][] = [];
  for (const w of nameWords) {
    const l = lines[lines.length - 1];
    if (l !== undefined && Math.abs(centreY(w) - centreY(l[0] ?? w)) < lineH * 0.6) l.push(w);
    else lines.push([w]);
  }
  const starts: number[] = [];
  for (const l of lines) {
    const first = [...l].sort((a, b) => a.bbox.x0 - b.bbox.x0)[0];
    if (first === undefined) continue;
    if (latinLetters(l.map((w) => w.text).join('')) < 3) continue;
    if (/^\d/.test(first.text) && latinLetters(first.text) <= 3) continue; // "10mg" continues a name
    starts.push(Math.min(...l.map((w) => w.bbox.y0)));
  }
  if (starts.length === 0) return [];
  const pitches = starts.slice(1).map((s, i) => s - (starts[i] ?? 0));
  const pitch = Math.max(lineH * 1.5, median(pitches) || lineH * 2.5);
  const rows: TableRow[] = [];
  for (let i = 0; i < starts.length; i++) {
    const s = starts[i] ?? 0;
    const prevEnd = i === 0 ? header.y1 : s - lineH * 0.35;
    const next = starts[i + 1];
    if (i > 0 && s - (starts[i - 1] ?? 0) > pitch * 3) break; // far below: not the table any more
    const y0 = Math.max(prevEnd, s - lineH * 0.35);
    const y1 = next !== undefined && next - s <= pitch * 3 ? next - lineH * 0.35 : s + Math.min(pitch, lineH * 2.5);
    rows.push({ y0, y1, cells: cellsFor(header.columns, below, y0, y1) });
  }
  return rows;
}

/** Share of a column's filled cells that must look alike for its role to follow from them. */
const BODY_ROLE_SHARE = 0.6;

/** A quantity cell: a number and a unit ("10 គ្រាប់", "14 tabs", "20tab"). */
function looksLikeQuantity(ws: OcrWord[]): boolean {
  const text = ws.map((w) => w.text).join(' ');
  const m = /^\s*\d{1,3}\s*(.*)$/.exec(text);
  if (m === null) return false;
  const rest = (m[1] ?? '').trim().split(/\s+/)[0] ?? '';
  return rest !== '' && matchUnit(rest) !== null;
}

/**
 * A column whose header words were not read (dim, blurred or glared header) takes the quantity
 * or remarks role from its cells: most of them a number with a unit, or a meal timing. Only a
 * role no other column has.
 */
function inferRolesFromBody(columns: Column[], rows: TableRow[], nameColumn: number): void {
  const has = (r: ColumnRole): boolean => columns.some((c) => c.role === r);
  const tests: Array<[ColumnRole, (ws: OcrWord[]) => boolean]> = [
    ['quantity', looksLikeQuantity],
    ['remarks', (ws) => matchMeal(ws.map((w) => w.text).join(' ')) !== null],
  ];
  columns.forEach((c, i) => {
    if (c.role !== null || i === nameColumn) return;
    const filled = rows.map((r) => r.cells[i] ?? []).filter((ws) => ws.length > 0);
    if (filled.length < 2) return;
    for (const [role, test] of tests) {
      if (has(role) || filled.filter(test).length < filled.length * BODY_ROLE_SHARE) continue;
      c.role = role;
      c.evidence = 'inferred';
      return;
    }
  });
}
