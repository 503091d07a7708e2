/**
 * Page quadrilateral and perspective dewarp, before the OCR. A phone held at an angle turns the
 * rectangular page into a quadrilateral on a darker background (desk, table): lines converge, so
 * no single tilt straightens them and the columns drift across the rows. When the whole page is
 * in the frame, its four corners are found on a small copy and the page is mapped back onto a
 * rectangle by the homography through them.
 *
 * Finding the page: on a copy about QUAD_WIDTH pixels wide, a max filter erases the print; Otsu's
 * threshold splits paper from background; the background is what a flood fill from the frame's
 * edge reaches through dark pixels (print inside the page is never reached). The page's corners
 * are the extremes of x + y and x − y. The page is dewarped only when that quadrilateral is
 * trustworthy: it covers the paper (area ratio), the paper is clearly brighter than the
 * background, and the page does not run out of the frame. Otherwise the image is left as it is.
 */
import { downscale, maxFilter, type GrayImage } from './image-ops.ts';

/** Width of the copy the page is looked for on. */
const QUAD_WIDTH = 400;
/** Radius (copy pixels) of the max filter that erases print before the page is thresholded. */
const ERASE_RADIUS = 2;
/** Paper must be this many grey levels brighter than the background (class means). */
const MIN_CONTRAST = 25;
/** The page covers at least this share of the frame, and the background at least MIN_BACKGROUND. */
const MIN_PAGE_SHARE = 0.35;
const MIN_BACKGROUND = 0.015;
/** The paper's pixel count over the quadrilateral's area: a page is a convex quadrilateral. */
const MIN_FILL = 0.95;
const MAX_FILL = 1.04;
/**
 * Page pixels on the frame's edge, as a share of its perimeter: above this, the page runs out
 * (a corner that just touches the frame, as in a tightly framed photo, stays under it).
 */
const MAX_EDGE_TOUCH = 0.04;
/**
 * Corners within this share of the page size of an upright rectangle: no perspective to undo
 * (the small-tilt correction handles the rest).
 */
const MIN_DISTORTION = 0.006;

export interface Point {
  x: number;
  y: number;
}

/** Corners in the order top-left, top-right, bottom-right, bottom-left. */
export type Quad = [Point, Point, Point, Point];

/** Otsu's threshold and the two class means of an 8-bit histogram. */
function otsu(hist: Uint32Array, total: number): { threshold: number; low: number; high: number } {
  let sumAll = 0;
  for (let v = 0; v < 256; v++) sumAll += v * (hist[v] ?? 0);
  let wB = 0;
  let sumB = 0;
  let best = -1;
  let out = { threshold: 128, low: 0, high: 255 };
  for (let t = 0; t < 255; t++) {
    wB += hist[t] ?? 0;
    sumB += t * (hist[t] ?? 0);
    const wF = total - wB;
    if (wB === 0 || wF === 0) continue;
    const mB = sumB / wB;
    const mF = (sumAll - sumB) / wF;
    const between = wB * wF * (mB - mF) * (mB - mF);
    if (between > best) {
      best = between;
      out = { threshold: t, low: mB, high: mF };
    }
  }
  return out;
}

/** Marks the pixels under `threshold` reached from the frame's edge (4-connected). */
function backgroundFromEdges(img: GrayImage, threshold: number): Uint8Array {
  const { width: w, height: h, data } = img;
  const bg = new Uint8Array(w * h);
  const stack: number[] = [];
  const push = (i: number): void => {
    if (bg[i] === 0 && (data[i] ?? 255) <= threshold) {
      bg[i] = 1;
      stack.push(i);
    }
  };
  for (let x = 0; x < w; x++) {
    push(x);
    push((h - 1) * w + x);
  }
  for (let y = 0; y < h; y++) {
    push(y * w);
    push(y * w + w - 1);
  }
  while (stack.length > 0) {
    const i = stack.pop() ?? 0;
    const x = i % w;
    if (x > 0) push(i - 1);
    if (x < w - 1) push(i + 1);
    if (i >= w) push(i - w);
    if (i < w * (h - 1)) push(i + w);
  }
  return bg;
}

function quadArea(q: Quad): number {
  let a = 0;
  for (let i = 0; i < 4; i++) {
    const p = q[i] as Point;
    const n = q[(i + 1) % 4] as Point;
    a += p.x * n.y - n.x * p.y;
  }
  return Math.abs(a) / 2;
}

const dist = (a: Point, b: Point): number => Math.hypot(a.x - b.x, a.y - b.y);

/**
 * The page's corners in the image's pixels, or null when no whole page stands out from a
 * background (a page filling the frame, a page running out of it, a background as bright as paper).
 */
export function findPageQuad(img: GrayImage): Quad | null {
  const factor = Math.max(1, Math.round(img.width / QUAD_WIDTH));
  const small = maxFilter(factor > 1 ? downscale(img, factor) : img, ERASE_RADIUS);
  const { width: w, height: h, data } = small;
  const hist = new Uint32Array(256);
  for (const v of data) hist[v] = (hist[v] ?? 0) + 1;
  const { threshold, low, high } = otsu(hist, data.length);
  if (high - low < MIN_CONTRAST) return null;
  const bg = backgroundFromEdges(small, threshold);
  let paper = 0;
  let tl = { x: 0, y: 0, s: Infinity };
  let br = { x: 0, y: 0, s: -Infinity };
  let tr = { x: 0, y: 0, s: -Infinity };
  let bl = { x: 0, y: 0, s: -Infinity };
  let edge = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (bg[y * w + x] === 1) continue;
      paper++;
      if (x === 0 || y === 0 || x === w - 1 || y === h - 1) edge++;
      if (x + y < tl.s) tl = { x, y, s: x + y };
      if (x + y > br.s) br = { x, y, s: x + y };
      if (x - y > tr.s) tr = { x, y, s: x - y };
      if (y - x > bl.s) bl = { x, y, s: y - x };
    }
  }
  const total = w * h;
  if (paper < total * MIN_PAGE_SHARE || total - paper < total * MIN_BACKGROUND) return null;
  if (edge > 2 * (w + h) * MAX_EDGE_TOUCH) return null;
  // Pixel centres to the outer edge of the corner pixel, then back to the full image.
  const scaleX = img.width / w;
  const scaleY = img.height / h;
  const at = (p: { x: number; y: number }, dx: number, dy: number): Point => ({
    x: (p.x + 0.5 + dx) * scaleX,
    y: (p.y + 0.5 + dy) * scaleY,
  });
  const quad: Quad = [at(tl, -0.5, -0.5), at(tr, 0.5, -0.5), at(br, 0.5, 0.5), at(bl, -0.5, 0.5)];
  const fill = (paper * scaleX * scaleY) / Math.max(1, quadArea(quad));
  if (fill < MIN_FILL || fill > MAX_FILL) return null;
  return quad;
}

/** Whether the quadrilateral differs from an upright rectangle enough to be worth a warp. */
export function isDistorted(q: Quad): boolean {
  const [tl, tr, br, bl] = q;
  const size = Math.max(dist(tl, tr), dist(tl, bl));
  const off = Math.max(Math.abs(tl.y - tr.y), Math.abs(bl.y - br.y), Math.abs(tl.x - bl.x), Math.abs(tr.x - br.x));
  return off > size * MIN_DISTORTION;
}

/** The 3×3 homography (row-major, h33 = 1) that maps each `from` point onto its `to` point. */
export function homography(from: Quad, to: Quad): number[] {
  const a: number[][] = [];
  for (let i = 0; i < 4; i++) {
    const { x, y } = from[i] as Point;
    const { x: u, y: v } = to[i] as Point;
    a.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u]);
    a.push([0, 0, 0, x, y, 1, -v * x, -v * y, v]);
  }
  for (let c = 0; c < 8; c++) {
    let p = c;
    for (let r = c + 1; r < 8; r++) if (Math.abs(a[r]?.[c] ?? 0) > Math.abs(a[p]?.[c] ?? 0)) p = r;
    [a[c], a[p]] = [a[p] as number[], a[c] as number[]];
    const pivot = a[c] as number[];
    for (let r = 0; r < 8; r++) {
      if (r === c) continue;
      const row = a[r] as number[];
      const f = (row[c] ?? 0) / (pivot[c] ?? 1);
      for (let k = c; k < 9; k++) row[k] = (row[k] ?? 0) - f * (pivot[k] ?? 0);
    }
  }
  return [...a.map((row, i) => (row[8] ?? 0) / (row[i] ?? 1)), 1];
}

/**
 * The page inside `quad` mapped onto an upright rectangle `width` pixels wide (the height keeps
 * the page's proportions), bilinear. Outside the source image: white.
 */
export function dewarp(img: GrayImage, quad: Quad, width: number): GrayImage {
  const [tl, tr, br, bl] = quad;
  const pageW = (dist(tl, tr) + dist(bl, br)) / 2;
  const pageH = (dist(tl, bl) + dist(tr, br)) / 2;
  const outW = Math.max(1, Math.round(width));
  const outH = Math.max(1, Math.round((pageH / pageW) * outW));
  const rect: Quad = [
    { x: 0, y: 0 },
    { x: outW, y: 0 },
    { x: outW, y: outH },
    { x: 0, y: outH },
  ];
  const [m0, m1, m2, m3, m4, m5, m6, m7] = homography(rect, quad) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const { width: w, height: h, data } = img;
  const out = new Uint8Array(outW * outH);
  for (let v = 0; v < outH; v++) {
    const cy = v + 0.5;
    for (let u = 0; u < outW; u++) {
      const cx = u + 0.5;
      const z = m6 * cx + m7 * cy + 1;
      const x = (m0 * cx + m1 * cy + m2) / z - 0.5;
      const y = (m3 * cx + m4 * cy + m5) / z - 0.5;
      const xi = Math.floor(x);
      const yi = Math.floor(y);
      if (xi < 0 || yi < 0 || xi >= w - 1 || yi >= h - 1) {
        out[v * outW + u] = 255;
        continue;
      }
      const fx = x - xi;
      const fy = y - yi;
      const i = yi * w + xi;
      const top = (data[i] ?? 255) * (1 - fx) + (data[i + 1] ?? 255) * fx;
      const bottom = (data[i + w] ?? 255) * (1 - fx) + (data[i + w + 1] ?? 255) * fx;
      out[v * outW + u] = Math.round(top * (1 - fy) + bottom * fy);
    }
  }
  return { data: out, width: outW, height: outH };
}
