/**
 * Looking at the ink of a cell when OCR is unsure: connected components of dark pixels,
 * classified as dashes, '1'-like strokes or other marks. Rulings at the cell's edges are
 * excluded (inset and long-component rejection), so a border is never a '1'.
 */
import type { GrayImage } from './image-ops.ts';
import type { Box } from './ocr.ts';

export interface Component {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  area: number;
}

/** 4-connected components of pixels darker than `threshold` inside a box. */
export function components(img: GrayImage, b: Box, threshold = 140, minArea = 10): Component[] {
  const x0 = Math.max(0, Math.floor(b.x0));
  const y0 = Math.max(0, Math.floor(b.y0));
  const x1 = Math.min(img.width, Math.ceil(b.x1));
  const y1 = Math.min(img.height, Math.ceil(b.y1));
  const w = x1 - x0;
  const h = y1 - y0;
  if (w <= 0 || h <= 0) return [];
  const seen = new Uint8Array(w * h);
  const out: Component[] = [];
  const stack: number[] = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (seen[i] === 1 || (img.data[(y + y0) * img.width + x + x0] ?? 255) >= threshold) continue;
      const c: Component = { x0: x, y0: y, x1: x, y1: y, area: 0 };
      seen[i] = 1;
      stack.push(i);
      while (stack.length > 0) {
        const j = stack.pop() ?? 0;
        const px = j % w;
        const py = (j - px) / w;
        c.area++;
        if (px < c.x0) c.x0 = px;
        if (px > c.x1) c.x1 = px;
        if (py < c.y0) c.y0 = py;
        if (py > c.y1) c.y1 = py;
        const nb = [px > 0 ? j - 1 : -1, px < w - 1 ? j + 1 : -1, py > 0 ? j - w : -1, py < h - 1 ? j + w : -1];
        for (const k of nb) {
          if (k < 0 || seen[k] === 1) continue;
          const kx = k % w;
          const ky = (k - kx) / w;
          if ((img.data[(ky + y0) * img.width + kx + x0] ?? 255) < threshold) {
            seen[k] = 1;
            stack.push(k);
          }
        }
      }
      if (c.area >= minArea)
        out.push({ x0: c.x0 + x0, y0: c.y0 + y0, x1: c.x1 + x0 + 1, y1: c.y1 + y0 + 1, area: c.area });
    }
  }
  return out;
}

export interface InkReading {
  value: 0 | 1 | null;
  confidence: number;
  marks: number;
}

/** Reads a dose cell from its ink: empty or dashes only → 0; one upright stroke → 1. */
export function readDoseInk(img: GrayImage, cell: Box, textHeight: number): InkReading {
  const inset = Math.max(6, Math.round(textHeight * 0.2));
  const box = { x0: cell.x0 + inset, y0: cell.y0 + inset, x1: cell.x1 - inset, y1: cell.y1 - inset };
  const cw = box.x1 - box.x0;
  const ch = box.y1 - box.y0;
  const comps = components(img, box, 140, Math.max(8, Math.round(textHeight * textHeight * 0.01))).filter(
    // Leftovers of rulings: long along an edge of the cell.
    (c) => !(c.x1 - c.x0 > cw * 0.8 || c.y1 - c.y0 > ch * 0.9),
  );
  let dashes = 0;
  let ones = 0;
  let other = 0;
  for (const c of comps) {
    const w = c.x1 - c.x0;
    const h = c.y1 - c.y0;
    if (h <= textHeight * 0.3 && w >= h * 1.5 && w <= textHeight * 2.5) dashes++;
    else if (h >= textHeight * 0.55 && w <= h * 0.5) ones++;
    else if (w * h < textHeight * textHeight * 0.04)
      continue; // specks
    else other++;
  }
  if (comps.length === 0) return { value: 0, confidence: 0.85, marks: 0 };
  if (other === 0 && ones === 0 && dashes > 0) return { value: 0, confidence: 0.8, marks: dashes };
  if (other === 0 && ones === 1 && dashes === 0) return { value: 1, confidence: 0.6, marks: 1 };
  return { value: null, confidence: 0, marks: comps.length };
}

/**
 * A printed "½" (or "1½") from its ink: a small "1" high on the left, a slash taller than
 * either digit, a small "2" low on the right (and a full-height "1" before them for 1½).
 * OCR models without the glyph read it as "Ya", "Y2" or "1%"; the caller only asks when the
 * text is unreadable, and both must agree.
 */
export function readHalfInk(img: GrayImage, cell: Box, textHeight: number): 0.5 | 1.5 | null {
  const inset = Math.max(6, Math.round(textHeight * 0.2));
  const box = { x0: cell.x0 + inset, y0: cell.y0 + inset, x1: cell.x1 - inset, y1: cell.y1 - inset };
  const cw = box.x1 - box.x0;
  const ch = box.y1 - box.y0;
  const comps = components(img, box, 140, Math.max(4, Math.round(textHeight * textHeight * 0.005)))
    .filter((c) => !(c.x1 - c.x0 > cw * 0.8 || c.y1 - c.y0 > ch * 0.9))
    .sort((a, b) => a.x0 - b.x0);
  const half = (c: Component[]): boolean => {
    // The slash is the tallest mark (its left end may come before the small 1); the small 1
    // is the higher of the two others.
    const [slash, a, b] = [...c].sort((p, q) => q.y1 - q.y0 - (p.y1 - p.y0));
    const [one, two] = a !== undefined && b !== undefined && a.y0 + a.y1 > b.y0 + b.y1 ? [b, a] : [a, b];
    if (one === undefined || slash === undefined || two === undefined) return false;
    const h = (k: Component): number => k.y1 - k.y0;
    const mid = (k: Component): number => (k.y0 + k.y1) / 2;
    const cx = (k: Component): number => (k.x0 + k.x1) / 2;
    return (
      // Left to right: the small 1, the slash's middle, the small 2.
      cx(one) < cx(slash) &&
      cx(slash) < cx(two) &&
      h(slash) >= Math.max(h(one), h(two)) * 1.15 &&
      mid(one) < mid(two) - h(slash) * 0.2 &&
      h(one) < textHeight * 0.9 &&
      h(two) < textHeight * 0.9 &&
      slash.x1 - slash.x0 >= h(slash) * 0.25
    );
  };
  if (comps.length === 3 && half(comps)) return 0.5;
  if (mergedHalf(comps, textHeight)) return 0.5;
  const first = comps[0];
  if (comps.length === 4 && first !== undefined && first.y1 - first.y0 >= textHeight * 0.55 && half(comps.slice(1)))
    return 1.5;
  return null;
}

/** A "½" whose parts blur or JPEG joined: two or three marks as wide as they are tall. */
const HALF_MIN_ASPECT = 0.9;
const HALF_MAX_ASPECT = 1.6;
/** The marks together are at least this share of the text height (not specks). */
const HALF_MIN_HEIGHT = 0.5;

/**
 * A "½" whose small digits and slash touch: not three marks but two, together about as wide as
 * tall. A printed digit (what the OCR said instead) is one mark, much taller than wide.
 */
function mergedHalf(comps: Component[], textHeight: number): boolean {
  if (comps.length < 2 || comps.length > 3) return false;
  const x0 = Math.min(...comps.map((c) => c.x0));
  const x1 = Math.max(...comps.map((c) => c.x1));
  const y0 = Math.min(...comps.map((c) => c.y0));
  const y1 = Math.max(...comps.map((c) => c.y1));
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  return (
    h >= textHeight * HALF_MIN_HEIGHT && h <= textHeight * 1.2 && w / h >= HALF_MIN_ASPECT && w / h <= HALF_MAX_ASPECT
  );
}
