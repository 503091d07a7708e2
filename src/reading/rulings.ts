/**
 * Ruling lines of tables (long thin dark runs), found on the preprocessed raster.
 * A 3-pixel band is OR-ed so that a residual tilt of a few tenths of a degree does not break
 * a line into pieces; runs may have small gaps (broken print, light scans).
 */
import type { GrayImage } from './image-ops.ts';

export interface Ruling {
  /** y of a horizontal line, x of a vertical one (centre). */
  pos: number;
  start: number;
  end: number;
  thickness: number;
}

export interface Rulings {
  horizontal: Ruling[];
  vertical: Ruling[];
}

const DARK = 150;
/** A faded stretch of a line: darker than this on (nearly) every pixel of the gap. */
const FAINT = 225;
const FAINT_SHARE = 0.9;
/** Pieces on one line: centres this close (px), gap at most this share of the image's side. */
const BRIDGE_POS = 6;
const BRIDGE_GAP = 0.25;

interface Run {
  pos: number;
  start: number;
  end: number;
}

function runsAlong(
  len: number,
  count: number,
  isDark: (line: number, i: number) => boolean,
  minLen: number,
  maxGap: number,
): Run[] {
  const runs: Run[] = [];
  for (let line = 0; line < count; line++) {
    let start = -1;
    let lastDark = -1;
    for (let i = 0; i <= len; i++) {
      const d = i < len && isDark(line, i);
      if (d) {
        if (start < 0) start = i;
        lastDark = i;
      } else if (start >= 0 && i - lastDark > maxGap) {
        if (lastDark - start + 1 >= minLen) runs.push({ pos: line, start, end: lastDark });
        start = -1;
      }
    }
  }
  return runs;
}

/**
 * Merges runs of adjacent lines into rulings. A slightly tilted line shows as a staircase of
 * runs that touch end to start, so touching runs chain; thickness is measured as area / length
 * so that a tilted thin line is still thin and a solid blob (logo, photo edge) is not.
 */
function mergeRuns(runs: Run[], maxThickness: number): Ruling[] {
  runs.sort((a, b) => a.pos - b.pos || a.start - b.start);
  interface Group {
    last: number;
    start: number;
    end: number;
    area: number;
    wsum: number;
  }
  const groups: Group[] = [];
  const open: Group[] = [];
  for (const r of runs) {
    let target: Group | undefined;
    for (let i = open.length - 1; i >= 0; i--) {
      const g = open[i];
      if (g === undefined) continue;
      if (r.pos - g.last > 2) {
        open.splice(i, 1);
        continue;
      }
      if (r.start <= g.end + 6 && r.end >= g.start - 6) {
        target = g;
        break;
      }
    }
    const len = r.end - r.start + 1;
    if (target === undefined) {
      target = { last: r.pos, start: r.start, end: r.end, area: 0, wsum: 0 };
      groups.push(target);
      open.push(target);
    }
    target.last = r.pos;
    target.start = Math.min(target.start, r.start);
    target.end = Math.max(target.end, r.end);
    target.area += len;
    target.wsum += r.pos * len;
  }
  return groups
    .map((g) => ({
      pos: Math.round(g.wsum / g.area),
      start: g.start,
      end: g.end,
      // The 3-pixel OR band adds 2 to every line's apparent thickness.
      thickness: Math.max(1, g.area / (g.end - g.start + 1) - 2),
    }))
    .filter((g) => g.thickness <= maxThickness);
}

export function detectRulings(img: GrayImage): Rulings {
  const { width: w, height: h, data } = img;
  const dark = new Uint8Array(w * h);
  for (let i = 0; i < dark.length; i++) dark[i] = (data[i] ?? 255) < DARK ? 1 : 0;
  const at = (x: number, y: number): number => (x >= 0 && y >= 0 && x < w && y < h ? (dark[y * w + x] ?? 0) : 0);
  const hRuns = runsAlong(
    w,
    h,
    (y, x) => at(x, y) === 1 || at(x, y - 1) === 1 || at(x, y + 1) === 1,
    Math.round(w * 0.08),
    3,
  );
  const vRuns = runsAlong(
    h,
    w,
    (x, y) => at(x, y) === 1 || at(x - 1, y) === 1 || at(x + 1, y) === 1,
    Math.round(w * 0.035),
    3,
  );
  const horizontal = mergeRuns(hRuns, 10).filter((r) => r.end - r.start >= w * 0.08);
  const vertical = mergeRuns(vRuns, 10).filter((r) => r.end - r.start >= w * 0.035);
  const faintH = (x: number, pos: number): boolean => faintAt(img, x, pos, true);
  const faintV = (y: number, pos: number): boolean => faintAt(img, pos, y, false);
  return {
    horizontal: bridge(dedupe(horizontal), faintH, w * BRIDGE_GAP),
    vertical: bridge(dedupe(vertical), faintV, h * BRIDGE_GAP),
  };
}

/** Whether the line through (x, y) is at least faintly dark there (darkest of a 5-pixel band across it). */
function faintAt(img: GrayImage, x: number, y: number, horizontal: boolean): boolean {
  for (let d = -2; d <= 2; d++) {
    const xx = horizontal ? x : x + d;
    const yy = horizontal ? y + d : y;
    if (xx < 0 || yy < 0 || xx >= img.width || yy >= img.height) continue;
    if ((img.data[yy * img.width + xx] ?? 255) < FAINT) return true;
  }
  return false;
}

/**
 * Joins pieces of one line across a gap where the line is still faintly there (see the file
 * comment); a gap of bare paper (two underlines side by side) keeps them apart.
 */
export function bridge(rs: Ruling[], faint: (along: number, pos: number) => boolean, maxGap: number): Ruling[] {
  const out = [...rs].sort((a, b) => a.start - b.start);
  for (let i = 0; i < out.length; i++) {
    const a = out[i];
    if (a === undefined) continue;
    for (let j = i + 1; j < out.length; j++) {
      const b = out[j];
      if (b === undefined || Math.abs(b.pos - a.pos) > BRIDGE_POS || b.start <= a.end) continue;
      if (b.start - a.end > maxGap) continue;
      let traced = 0;
      for (let t = a.end + 1; t < b.start; t++) {
        const pos = Math.round(a.pos + ((b.pos - a.pos) * (t - a.end)) / (b.start - a.end));
        if (faint(t, pos)) traced++;
      }
      if (traced < (b.start - a.end - 1) * FAINT_SHARE) continue;
      const len = (r: Ruling): number => r.end - r.start + 1;
      out[i] = {
        pos: Math.round((a.pos * len(a) + b.pos * len(b)) / (len(a) + len(b))),
        start: a.start,
        end: Math.max(a.end, b.end),
        thickness: Math.max(a.thickness, b.thickness),
      };
      out.splice(j, 1);
      i--;
      break;
    }
  }
  return out.sort((a, b) => a.pos - b.pos);
}

/** Collapses parallel rulings closer than 8 px with overlapping spans (double-drawn borders). */
function dedupe(rs: Ruling[]): Ruling[] {
  const out: Ruling[] = [];
  for (const r of [...rs].sort((a, b) => a.pos - b.pos)) {
    const prev = out.find(
      (o) => Math.abs(o.pos - r.pos) <= 8 && Math.min(o.end, r.end) - Math.max(o.start, r.start) > 0,
    );
    if (prev !== undefined) {
      prev.start = Math.min(prev.start, r.start);
      prev.end = Math.max(prev.end, r.end);
      continue;
    }
    out.push({ ...r });
  }
  return out;
}
