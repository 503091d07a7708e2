/**
 * Tick boxes of pre-printed forms: small squares found from their four sides (robust to a tick
 * that crosses the border), and the fill of their inside. Handwritten ticks are not read by
 * OCR; the fill ratio tells a ticked box from an empty one.
 */
import type { GrayImage } from './image-ops.ts';
import { darkFraction } from './image-ops.ts';

export interface TickBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** Dark fraction of the inside (0..1). */
  fill: number;
  ticked: boolean;
}

const DARK = 140;

interface HSeg {
  y: number;
  x0: number;
  x1: number;
}

/** Fraction of rows in [y0, y1] with a dark pixel within 2 px of column x. */
function sideCoverage(img: GrayImage, x: number, y0: number, y1: number): number {
  let hit = 0;
  for (let y = y0; y <= y1; y++) {
    for (let dx = -2; dx <= 2; dx++) {
      const xx = x + dx;
      if (xx >= 0 && xx < img.width && (img.data[y * img.width + xx] ?? 255) < DARK) {
        hit++;
        break;
      }
    }
  }
  return hit / Math.max(1, y1 - y0 + 1);
}

/** Horizontal dark runs (a gap of one pixel allowed) as long as a box side could be. */
function darkRuns(img: GrayImage, minSide: number, maxSide: number): HSeg[] {
  const { width: w, height: h, data } = img;
  const segs: HSeg[] = [];
  for (let y = 0; y < h; y++) {
    let start = -1;
    let gap = 0;
    for (let x = 0; x <= w; x++) {
      const dark = x < w && (data[y * w + x] ?? 255) < DARK;
      if (dark) {
        if (start < 0) start = x;
        gap = 0;
      } else if (start >= 0) {
        gap++;
        if (gap > 1 || x === w) {
          const end = x - gap;
          const len = end - start + 1;
          if (len >= minSide && len <= maxSide * 1.6) segs.push({ y, x0: start, x1: end });
          start = -1;
          gap = 0;
        }
      }
    }
  }
  return segs;
}

/** Finds square boxes with sides between minSide and maxSide pixels. */
export function detectTickBoxes(img: GrayImage, minSide: number, maxSide: number): TickBox[] {
  const segs = darkRuns(img, minSide, maxSide);
  // Keep one segment per drawn side (the first row of a thick line).
  const sides: HSeg[] = [];
  for (const s of segs) {
    const dup = sides.find(
      (o) => s.y - o.y <= 4 && s.y >= o.y && Math.abs(o.x0 - s.x0) <= 3 && Math.abs(o.x1 - s.x1) <= 3,
    );
    if (dup === undefined) sides.push(s);
  }
  const boxes: TickBox[] = [];
  const byY = [...sides].sort((a, b) => a.y - b.y);
  for (let i = 0; i < byY.length; i++) {
    const t = byY[i];
    if (t === undefined) continue;
    for (let j = i + 1; j < byY.length; j++) {
      const u = byY[j];
      if (u === undefined) continue;
      // A tick crossing one side lengthens that side's run: pair on the common part.
      const x0 = Math.max(t.x0, u.x0);
      const x1 = Math.min(t.x1, u.x1);
      const side = x1 - x0;
      if (side < minSide) continue;
      if (Math.abs(t.x0 - u.x0) > 4 && Math.abs(t.x1 - u.x1) > 4) continue;
      const hgt = u.y - t.y;
      if (hgt > maxSide * 1.25) break;
      if (hgt > side * 1.25 || hgt < side * 0.8) continue;
      const top = { y: t.y, x0, x1 };
      const bot = { y: u.y };
      if (sideCoverage(img, top.x0, top.y, bot.y) < 0.9 || sideCoverage(img, top.x1, top.y, bot.y) < 0.9) continue;
      // A drawn box stands alone: a ring just outside it is paper (a tick may cross it a little).
      const g = Math.max(3, Math.round(side * 0.12));
      const ring =
        darkFraction(img, top.x0 - 2 * g, top.y - 2 * g, top.x1 + 2 * g, top.y - g, DARK) +
        darkFraction(img, top.x0 - 2 * g, bot.y + g, top.x1 + 2 * g, bot.y + 2 * g, DARK) +
        darkFraction(img, top.x0 - 2 * g, top.y, top.x0 - g, bot.y, DARK) +
        darkFraction(img, top.x1 + g, top.y, top.x1 + 2 * g, bot.y, DARK);
      if (ring / 4 > 0.12) continue;
      const m = Math.max(3, Math.round(side * 0.18));
      const fill = darkFraction(img, top.x0 + m, top.y + m, top.x1 - m, bot.y - m, DARK);
      if (!boxes.some((b) => Math.abs(b.x0 - top.x0) < side / 2 && Math.abs(b.y0 - top.y) < side / 2)) {
        boxes.push({ x0: top.x0, y0: top.y, x1: top.x1, y1: bot.y, fill, ticked: false });
      }
      break;
    }
  }
  // A form's boxes share one size: drop squares of other sizes (letters, logos).
  const sizes = boxes.map((b) => b.x1 - b.x0).sort((a, b) => a - b);
  const typical = sizes[Math.floor(sizes.length / 2)] ?? 0;
  const same = boxes.filter((b) => Math.abs(b.x1 - b.x0 - typical) <= typical * 0.25);
  boxes.length = 0;
  boxes.push(...same);
  // Ticked: clearly more ink than an empty box of the same form. Without any empty box there
  // is no form (glyphs of text, a logo): nothing is reported.
  const fills = boxes.map((b) => b.fill).sort((a, b) => a - b);
  const base = fills[Math.floor(fills.length / 4)] ?? 1;
  if (base > 0.06) return [];
  for (const b of boxes) b.ticked = b.fill >= Math.max(0.08, base + 0.06);
  return boxes;
}
