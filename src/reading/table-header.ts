/**
 * Finds the medication table's header row and its columns: slot columns from Khmer/English/
 * French header words and hour ranges, ruling lines when the table has them, a missing slot
 * column inferred from the order and the spacing of the others.
 */
import type { OcrWord } from './ocr.ts';
import type { Ruling, Rulings } from './rulings.ts';
import type { Slot } from './types.ts';
import { SLOTS } from './types.ts';
import { classifyHeader, parseHourRange, type ColumnRole } from './vocab.ts';
import { centreX, centreY, median } from './stats.ts';

export interface Column {
  role: ColumnRole | null;
  x0: number;
  x1: number;
  /** Header text in the column (diagnostics). */
  label: string;
  hours: [number, number] | null;
  /** How the role was found: a header word, an hour range, or inferred from the others. */
  evidence: 'header' | 'hours' | 'inferred' | 'none';
}

export interface TableHeader {
  y0: number;
  y1: number;
  x0: number;
  x1: number;
  columns: Column[];
  /** Vertical rulings used for the columns (x positions). */
  ruled: boolean;
  score: number;
}

interface Tagged {
  word: OcrWord;
  role: ColumnRole | null;
  score: number;
  hours: [number, number] | null;
}

/** A dosing pattern ("1-0-1", "1-0-1-0", "½-0-½"): never an hour range, whole or split. */
const DOSE_PATTERN = /^\s*[0-9½¼](?:\s*[-–]\s*[0-9½¼]){2,3}\s*$/;
/** A ruled grid: at least this many vertical rulings cross the header band. */
const GRID_VERTICALS = 4;
/** How far (text heights) from the header words read a ruled grid's header rulings may lie. */
const GRID_HEADER_REACH = 5;

/** How far (text heights) left and right of the header's words a borderless table's body may reach. */
const BODY_MARGIN_LINES = 6;

/** Candidate header bands: words with a header role or an hour range, clustered by y. */
export function findHeader(allWords: OcrWord[], rulings: Rulings, pageWidth: number): TableHeader | null {
  const words = allWords.flatMap(splitHourRanges);
  const tagged: Tagged[] = words.map((word) => {
    const c = classifyHeader(word.text);
    const hours = DOSE_PATTERN.test(word.text) ? null : parseHourRange(word.text);
    return { word, role: c?.role ?? null, score: c?.score ?? 0, hours };
  });
  const lineH = median(words.map((w) => w.bbox.y1 - w.bbox.y0)) || 30;
  const cues = tagged.filter((t) => (t.role !== null && t.score > 0) || t.hours !== null);
  const best = bestBand(cues, rulings, lineH);
  if (best === null) return null;
  const band = best.band;
  let y0 = Math.min(...band.map((t) => t.word.bbox.y0));
  let y1 = Math.max(...band.map((t) => t.word.bbox.y1));
  // Hour ranges printed under the slot names belong to the header too.
  for (const t of tagged) {
    if (t.hours !== null && centreY(t.word) > y1 && centreY(t.word) - y1 < lineH * 1.5)
      y1 = Math.max(y1, t.word.bbox.y1);
  }
  const headerWords = words.filter((w) => centreY(w) >= y0 - 2 && centreY(w) <= y1 + 2);
  // In a ruled grid the header cell may be much taller than the words read in it (slot names
  // at its top, the other labels centred lower, hours under them misread): its rulings bound it.
  const reach = lineH * (gridAt(rulings, (y0 + y1) / 2, lineH) ? GRID_HEADER_REACH : 3);
  const top = rulingAbove(rulings.horizontal, y0, reach);
  const bottom = rulingBelow(rulings.horizontal, y1, reach);
  if (top !== null) y0 = Math.min(y0, top.pos);
  if (bottom !== null) y1 = Math.max(y1, bottom.pos);
  const frame = top ?? bottom;
  const xMin = frame ? frame.start : Math.min(...headerWords.map((w) => w.bbox.x0)) - lineH;
  const xMax = frame ? frame.end : Math.max(...headerWords.map((w) => w.bbox.x1)) + lineH;

  const verticals = rulings.vertical
    .filter(
      (v) => v.start <= (y0 + y1) / 2 + lineH && v.end >= y1 - lineH * 0.5 && v.pos >= xMin - 20 && v.pos <= xMax + 20,
    )
    .map((v) => v.pos)
    .sort((a, b) => a - b);
  let columns: Column[];
  const ruled = verticals.length >= 3;
  if (ruled) {
    const xs = uniq([Math.max(0, xMin), ...verticals, Math.min(pageWidth, xMax)]);
    columns = [];
    for (let i = 0; i + 1 < xs.length; i++) {
      const a = xs[i] ?? 0;
      const b = xs[i + 1] ?? 0;
      if (b - a < lineH * 0.8) continue;
      columns.push(
        labelColumn(
          a,
          b,
          tagged.filter((t) => headerWords.includes(t.word)),
        ),
      );
    }
  } else {
    const body = tableBody(words, y1, lineH, xMin, xMax);
    columns = columnsFromWords(
      tagged.filter((t) => headerWords.includes(t.word)),
      lineH,
      xMin,
      xMax,
      body,
    );
  }
  resolveSlots(columns);
  return { y0, y1, x0: xMin, x1: xMax, columns, ruled, score: best.score };
}

/** The header band: the line of cues (header words, hour ranges) that best looks like one. */
function bestBand(cues: Tagged[], rulings: Rulings, lineH: number): { band: Tagged[]; score: number } | null {
  let best: { band: Tagged[]; score: number } | null = null;
  for (const seed of cues) {
    const y = centreY(seed.word);
    const band = cues.filter((t) => Math.abs(centreY(t.word) - y) <= lineH * 1.6);
    const slots = new Set(
      band.filter((t) => t.role !== null && (SLOTS as readonly string[]).includes(t.role)).map((t) => t.role),
    );
    const others = new Set(
      band.filter((t) => t.role !== null && !(SLOTS as readonly string[]).includes(t.role)).map((t) => t.role),
    );
    const hours = band.filter((t) => t.hours !== null).length;
    // A table with slot columns (named or by their hours), or one with a free-text dosing
    // column: a drug-name header, a usage/dosage header and at least one more.
    const dosingTable = others.has('name') && others.has('usage') && others.size >= 3;
    // In a ruled grid, one slot word read among other header words is enough: the grid gives
    // the columns, and the slots missing (misread header words) follow by position.
    const gridTable = slots.size >= 1 && others.size >= 1 && gridAt(rulings, y, lineH);
    if (slots.size + Math.min(hours, 4) < 2 && !dosingTable && !gridTable) continue;
    const score = slots.size * 2 + others.size + Math.min(hours, 4) * 0.75;
    if (best === null || score > best.score) best = { band, score };
  }
  return best;
}

/**
 * OCR sometimes reads a row of hour ranges as one word ("|(11-12)|(17-18)|(20-22)",
 * "11h-12h17h-18h20h-22h"): split it
 * into one word per range, with boxes in proportion to the characters.
 */
function splitHourRanges(w: OcrWord): OcrWord[] {
  if (DOSE_PATTERN.test(w.text)) return [w];
  const ranges = [
    ...w.text.matchAll(/\(?\s*[0-9oOlI]{1,2}(?:[hH]|[:.]\d{2})?\s*[-–~]\s*[0-9oOlI]{1,2}(?:[hH]|[:.]\d{2})?\s*\)?/g),
  ];
  if (ranges.length < 2) return [w];
  const n = [...w.text].length;
  const width = w.bbox.x1 - w.bbox.x0;
  return ranges.map((m) => {
    const a = m.index ?? 0;
    const b = a + m[0].length;
    return {
      ...w,
      text: m[0],
      bbox: { ...w.bbox, x0: Math.round(w.bbox.x0 + (width * a) / n), x1: Math.round(w.bbox.x0 + (width * b) / n) },
    };
  });
}

/** Whether at least GRID_VERTICALS vertical rulings run through the line at `y`. */
function gridAt(rulings: Rulings, y: number, lineH: number): boolean {
  return rulings.vertical.filter((v) => v.start <= y + lineH * 0.5 && v.end >= y + lineH).length >= GRID_VERTICALS;
}

function uniq(xs: number[]): number[] {
  const out: number[] = [];
  for (const x of xs) if (out.length === 0 || x - (out[out.length - 1] ?? 0) > 12) out.push(x);
  return out;
}

function rulingAbove(hs: Ruling[], y: number, within: number): Ruling | null {
  const c = hs.filter((h) => h.pos <= y + 4 && y - h.pos <= within).sort((a, b) => b.pos - a.pos);
  return c[0] ?? null;
}

function rulingBelow(hs: Ruling[], y: number, within: number): Ruling | null {
  const c = hs.filter((h) => h.pos >= y - 4 && h.pos - y <= within).sort((a, b) => a.pos - b.pos);
  return c[0] ?? null;
}

function labelColumn(x0: number, x1: number, tagged: Tagged[]): Column {
  const inside = tagged
    .filter((t) => centreX(t.word) >= x0 && centreX(t.word) < x1)
    .sort((a, b) => a.word.bbox.x0 - b.word.bbox.x0);
  const label = inside.map((t) => t.word.text).join(' ');
  let role: ColumnRole | null = null;
  let score = 0;
  for (const t of inside) {
    if (t.role !== null && t.score > score) {
      role = t.role;
      score = t.score;
    }
  }
  // The whole label glued together can match where single words did not.
  const joined = classifyHeader(inside.map((t) => t.word.text).join(''));
  if (joined !== null && joined.score > score + 0.05) {
    role = joined.role;
    score = joined.score;
  }
  const hours = inside.find((t) => t.hours !== null)?.hours ?? null;
  return { role, x0, x1, label, hours, evidence: role !== null ? 'header' : hours !== null ? 'hours' : 'none' };
}

/**
 * The words of a borderless table's body: the lines below the header down to the first large
 * vertical gap (the table ends where the text stops), within the header's width.
 */
function tableBody(words: OcrWord[], headerBottom: number, lineH: number, xMin: number, xMax: number): OcrWord[] {
  // Names are left-aligned under a centred label: a wide name column's text starts well left
  // of its label (the first label of the row when no "No" column was read).
  const margin = lineH * BODY_MARGIN_LINES;
  const below = words
    .filter(
      (w) =>
        centreY(w) > headerBottom + 2 &&
        w.bbox.x1 >= xMin - margin &&
        w.bbox.x0 <= xMax + margin &&
        centreX(w) >= xMin - margin,
    )
    .sort((a, b) => a.bbox.y0 - b.bbox.y0);
  const out: OcrWord[] = [];
  let bottom = headerBottom;
  for (const w of below) {
    if (w.bbox.y0 - bottom > lineH * 4) break;
    out.push(w);
    bottom = Math.max(bottom, w.bbox.y1);
  }
  return out;
}

/**
 * Borderless table: columns are clusters of header words along x (words with different roles
 * never merge); the boundary between two columns is the widest vertical strip of whitespace in
 * the body between the two labels' centres (names are left-aligned, numbers centred: a
 * midpoint between labels would cut through them).
 */
function columnsFromWords(tagged: Tagged[], lineH: number, xMin: number, xMax: number, body: OcrWord[]): Column[] {
  const sorted = [...tagged].sort((a, b) => centreX(a.word) - centreX(b.word));
  const groups: Tagged[][] = [];
  const roleOf = (g: Tagged[]): ColumnRole | null => g.find((t) => t.role !== null)?.role ?? null;
  for (const t of sorted) {
    const g = groups[groups.length - 1];
    const last = g?.[g.length - 1];
    const gr = g !== undefined ? roleOf(g) : null;
    // Two labels never share a column: different roles, or two hour ranges.
    const clash =
      (gr !== null && t.role !== null && t.role !== gr) ||
      (t.hours !== null && g !== undefined && g.some((o) => o.hours !== null));
    if (g !== undefined && g.some((o) => Math.abs(centreX(o.word) - centreX(t.word)) < lineH * 1.2) && !clash)
      g.push(t);
    else if (g !== undefined && last !== undefined && t.word.bbox.x0 - last.word.bbox.x1 < lineH * 0.9 && !clash)
      g.push(t);
    else groups.push([t]);
  }
  const centres = groups.map((g) => g.reduce((s, t) => s + centreX(t.word), 0) / g.length);
  const ext = groups.map(
    (g) => [Math.min(...g.map((t) => t.word.bbox.x0)), Math.max(...g.map((t) => t.word.bbox.x1))] as const,
  );
  const lo = Math.floor(Math.min(xMin, ...body.map((w) => w.bbox.x0)));
  const hi = Math.ceil(Math.max(xMax, ...body.map((w) => w.bbox.x1)));
  // Blocks of body text along x (words of all rows projected), split at gaps wider than a space.
  const occ = new Uint8Array(Math.max(1, hi - lo + 2));
  for (const w of body) for (let x = Math.max(lo, w.bbox.x0); x <= Math.min(hi, w.bbox.x1); x++) occ[x - lo] = 1;
  const blocks: Array<[number, number]> = [];
  let start = -1;
  let last = -1;
  for (let x = lo; x <= hi + 1; x++) {
    if ((occ[x - lo] ?? 0) === 1) {
      if (start < 0 || x - last > lineH * 0.6) {
        if (start >= 0) blocks.push([start, last]);
        start = x;
      }
      last = x;
    }
  }
  if (start >= 0) blocks.push([start, last]);
  // Each block belongs to the label it overlaps most, else to the nearest label centre.
  const owner = blocks.map(([a, b]) => {
    let best = -1;
    let bestOverlap = 0;
    ext.forEach(([e0, e1], k) => {
      const o = Math.min(b, e1) - Math.max(a, e0);
      if (o > bestOverlap) {
        bestOverlap = o;
        best = k;
      }
    });
    if (best >= 0) return best;
    let d = Infinity;
    centres.forEach((c, k) => {
      const dk = Math.abs(c - (a + b) / 2);
      if (dk < d) {
        d = dk;
        best = k;
      }
    });
    return best;
  });
  const monotone = owner.every((o, k) => k === 0 || o >= (owner[k - 1] ?? 0));
  const cuts = centres.slice(1).map((c, i) => {
    const midpoint = ((centres[i] ?? 0) + c) / 2;
    if (!monotone) return midpoint;
    const left = Math.max(ext[i]?.[1] ?? 0, ...blocks.filter((_, k) => owner[k] === i).map((b) => b[1]));
    const right = Math.min(ext[i + 1]?.[0] ?? 0, ...blocks.filter((_, k) => owner[k] === i + 1).map((b) => b[0]));
    return left < right ? (left + right) / 2 : midpoint;
  });
  return groups.map((g, i) => {
    const a = i === 0 ? Math.min(xMin, lo) : (cuts[i - 1] ?? 0);
    const b = i === groups.length - 1 ? Math.max(xMax, hi) : (cuts[i] ?? 0);
    return labelColumn(a, b, g);
  });
}

const isSlot = (r: ColumnRole | null): r is Slot => r !== null && (SLOTS as readonly string[]).includes(r);

/** One column per slot, left to right in slot order; fill a missing one from hours/spacing. */
function resolveSlots(columns: Column[]): void {
  // Duplicates (e.g. "ថ្ងៃ" matched twice): keep the first in order, demote the others.
  const seen = new Set<ColumnRole>();
  for (const c of columns) {
    if (c.role === null) continue;
    if (seen.has(c.role)) {
      c.role = null;
      c.evidence = c.hours !== null ? 'hours' : 'none';
    } else seen.add(c.role);
  }
  slotsFromHours(columns, seen);
  const slotIdx = columns.map((c, i) => (isSlot(c.role) ? i : -1)).filter((i) => i >= 0);
  // Slot order must increase left to right; drop a slot that breaks it.
  for (let k = 1; k < slotIdx.length; k++) {
    const a = columns[slotIdx[k - 1] ?? 0];
    const b = columns[slotIdx[k] ?? 0];
    if (a && b && isSlot(a.role) && isSlot(b.role) && SLOTS.indexOf(b.role) < SLOTS.indexOf(a.role)) {
      b.role = null;
      b.evidence = 'none';
    }
  }
  // Unlabelled columns between/next to slot columns take the missing slots by position.
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < columns.length; i++) {
      const c = columns[i];
      if (c === undefined || c.role !== null) continue;
      const left = columns[i - 1];
      const right = columns[i + 1];
      let want: Slot | undefined;
      if (left !== undefined && isSlot(left.role)) want = SLOTS[SLOTS.indexOf(left.role) + 1];
      if (right !== undefined && isSlot(right.role)) {
        const r = SLOTS[SLOTS.indexOf(right.role) - 1];
        if (want !== undefined && r !== want) want = undefined;
        else want ??= r;
      }
      if (want === undefined || seen.has(want)) continue;
      // Only an hour range or a unit-free narrow column may be taken as a slot.
      const width = c.x1 - c.x0;
      const slotWidths = columns.filter((o) => isSlot(o.role)).map((o) => o.x1 - o.x0);
      const typical = median(slotWidths);
      if (c.hours === null && (width > typical * 1.8 || width < typical * 0.4)) continue;
      c.role = want;
      c.evidence = c.hours !== null ? 'hours' : 'inferred';
      seen.add(want);
    }
  }
  inferMissingBySpacing(columns, seen);
}

/** Borderless tables: a slot whose header was not read at all gets a column from the spacing. */
function inferMissingBySpacing(columns: Column[], seen: Set<ColumnRole>): void {
  const slots = columns.filter((c) => isSlot(c.role));
  if (slots.length !== 3) return;
  const missing = SLOTS.find((s) => !seen.has(s));
  if (missing === undefined) return;
  const width = median(slots.map((c) => c.x1 - c.x0));
  const mi = SLOTS.indexOf(missing);
  const after = slots.find((c) => isSlot(c.role) && SLOTS.indexOf(c.role) > mi);
  const before = [...slots].reverse().find((c) => isSlot(c.role) && SLOTS.indexOf(c.role) < mi);
  if (before !== undefined && after !== undefined) {
    // A gap wide enough between two slot columns.
    if (after.x0 - before.x1 < width * 0.6) return;
    const col: Column = { role: missing, x0: before.x1, x1: after.x0, label: '', hours: null, evidence: 'inferred' };
    columns.splice(columns.indexOf(after), 0, col);
  } else if (before !== undefined) {
    const col: Column = {
      role: missing,
      x0: before.x1,
      x1: before.x1 + width,
      label: '',
      hours: null,
      evidence: 'inferred',
    };
    const next = columns[columns.indexOf(before) + 1];
    if (next !== undefined && next.x0 < col.x1 - width * 0.3 && next.role !== null) return;
    columns.splice(columns.indexOf(before) + 1, 0, col);
  } else if (after !== undefined) {
    const col: Column = {
      role: missing,
      x0: after.x0 - width,
      x1: after.x0,
      label: '',
      hours: null,
      evidence: 'inferred',
    };
    const prev = columns[columns.indexOf(after) - 1];
    if (prev !== undefined && prev.x1 > col.x0 + width * 0.3 && prev.role !== null) return;
    columns.splice(columns.indexOf(after), 0, col);
  }
  seen.add(missing);
}

/**
 * Columns headed by hour ranges only ("(6-8) (11-12) (17-18) (20-22)", or a 12-hour clock
 * "(05-06) (08-10)" for the evening and night): hours made increasing left to right (adding 12
 * where they drop), then morning < 10 h ≤ noon < 15 h ≤ evening < 19 h ≤ night.
 */
/** Longest hour range a slot column is headed with; a longer one lost a digit. */
const MAX_SLOT_HOURS = 6;

function slotsFromHours(columns: Column[], seen: Set<ColumnRole>): void {
  const withHours = columns.filter((c) => c.hours !== null && (c.role === null || isSlot(c.role)));
  if (withHours.length < 2 || withHours.every((c) => c.role !== null)) return;
  let prev = -1;
  const slots: Slot[] = [];
  for (const c of withHours) {
    // A range that runs backwards ("(21-12)" for "(11-12)") or longer than a slot's window
    // ("7h-18h" for "17h-18h": a leading digit lost) trusts its end.
    const [from, to] = c.hours ?? [0, 0];
    let h = from <= to && to - from <= MAX_SLOT_HOURS ? from : to;
    while (h < prev && h + 12 <= 24) h += 12;
    if (h < prev) return;
    prev = h;
    slots.push(h < 10 ? 'morning' : h < 15 ? 'noon' : h < 19 ? 'evening' : 'night');
  }
  if (new Set(slots).size !== slots.length) return;
  withHours.forEach((c, i) => {
    const s = slots[i];
    if (s === undefined) return;
    if (c.role !== null && c.role !== s) return; // a header word disagrees: keep the word
    if (c.role === null && !seen.has(s)) {
      c.role = s;
      c.evidence = 'hours';
      seen.add(s);
    }
  });
}
