/**
 * Uneven light and blur, before the OCR:
 *  - flattenIllumination: divides the page by an estimate of the bare paper, made on a small
 *    copy: a max filter erases the print, a blur smooths it. A blur smears a hard shadow's edge
 *    into a dark band across the text (read as ink by the OCR and the ruling finder), so on a
 *    page with a hard shadow, where the blurred estimate is much brighter than a grey-level
 *    closing (max filter then min filter, which keeps a step where it was), the closing is used.
 *  - sharpenText: an unsharp mask, so that blurred strokes come back apart (a blurred photo
 *    otherwise loses whole columns in the page segmentation). Only for a blurred page
 *    (edgeSlope): on a sharp photo it adds halos that cost characters.
 * Sizes are given on the working raster (preprocess.ts, 2000 px wide), where the body text is
 * about 30-40 px high.
 */
import { boxBlur, downscale, maxFilter, minFilter, stretchLevels, type GrayImage } from './image-ops.ts';
import { grayOf, sharpOf } from './sharp-gray.ts';

/** The paper estimate is computed on a copy about this many pixels wide. */
const PAPER_WIDTH = 250;
/** Radius of the max filter that erases the print (small-copy pixels: ~1.5 text heights). */
const PRINT_RADIUS = 2;
/** Radius of the smoothing of the paper estimate (small-copy pixels). */
const SMOOTH_RADIUS = 3;
/**
 * A page has a hard shadow when the smoothed estimate is brighter than the closing by more than
 * HARD_SHADOW_STEP grey levels on more than HARD_SHADOW_SHARE of it (hard shadows: ~2 %; flat
 * or softly lit photos, dense print included: ≤ 0.15 %). On such a page the closing is used
 * wherever the smoothed estimate is brighter by more than SMEARED_STEP. Elsewhere the smoothed
 * estimate stays (a closing lets dense print survive in the estimate, which then fades it).
 */
const HARD_SHADOW_STEP = 60;
const HARD_SHADOW_SHARE = 0.005;
const SMEARED_STEP = 20;
/** Darkest paper estimate divided by (a black region is not paper in deep shadow). */
const MIN_PAPER = 24;
/** Unsharp-mask radius (Gaussian sigma, px): about a stroke's width on the working raster. */
const SHARPEN_SIGMA = 2;

/**
 * Edge steepness (grey levels per pixel, 90th percentile over the edge pixels of a flattened
 * page) under which the page counts as blurred. Sharp print on the working raster: 58-125;
 * a photo blurred by camera shake or focus: 40-50.
 */
const BLURRED_EDGE_SLOPE = 52;
/** Grey-level step (per pixel) from which a pixel counts as an edge. */
const EDGE_MIN_SLOPE = 8;

/** Bilinear sample of a small image at fractional coordinates. */
function sample(img: GrayImage, fx: number, fy: number): number {
  const x0 = Math.max(0, Math.min(img.width - 1, Math.floor(fx)));
  const y0 = Math.max(0, Math.min(img.height - 1, Math.floor(fy)));
  const x1 = Math.min(img.width - 1, x0 + 1);
  const y1 = Math.min(img.height - 1, y0 + 1);
  const ax = Math.max(0, Math.min(1, fx - x0));
  const ay = Math.max(0, Math.min(1, fy - y0));
  const d = img.data;
  const top = (d[y0 * img.width + x0] ?? 255) * (1 - ax) + (d[y0 * img.width + x1] ?? 255) * ax;
  const bot = (d[y1 * img.width + x0] ?? 255) * (1 - ax) + (d[y1 * img.width + x1] ?? 255) * ax;
  return top * (1 - ay) + bot * ay;
}

/** Shadow and uneven-light removal (see the file comment), then a level stretch. */
export function flattenIllumination(img: GrayImage): GrayImage {
  const factor = Math.max(2, Math.round(img.width / PAPER_WIDTH));
  const erased = maxFilter(downscale(img, factor), PRINT_RADIUS);
  const smooth = boxBlur(erased, SMOOTH_RADIUS, 2);
  const closed = minFilter(erased, PRINT_RADIUS);
  let steep = 0;
  for (let i = 0; i < smooth.data.length; i++)
    if ((smooth.data[i] ?? 255) - (closed.data[i] ?? 255) > HARD_SHADOW_STEP) steep++;
  let est = smooth;
  if (steep > smooth.data.length * HARD_SHADOW_SHARE) {
    const paper = new Uint8Array(smooth.data.length);
    for (let i = 0; i < paper.length; i++) {
      const s = smooth.data[i] ?? 255;
      const c = closed.data[i] ?? 255;
      paper[i] = s - c > SMEARED_STEP ? c : s;
    }
    est = { data: paper, width: smooth.width, height: smooth.height };
  }
  const out = new Uint8Array(img.width * img.height);
  for (let y = 0; y < img.height; y++) {
    const fy = (y + 0.5) / factor - 0.5;
    for (let x = 0; x < img.width; x++) {
      const bg = Math.max(MIN_PAPER, sample(est, (x + 0.5) / factor - 0.5, fy));
      const v = ((img.data[y * img.width + x] ?? 255) * 255) / bg;
      out[y * img.width + x] = v >= 255 ? 255 : Math.round(v);
    }
  }
  return stretchLevels({ data: out, width: img.width, height: img.height });
}

/** Unsharp mask (sharp/libvips): strokes of a blurred photo come apart again. */
export async function sharpenText(img: GrayImage): Promise<GrayImage> {
  return (await grayOf(sharpOf(img).sharpen({ sigma: SHARPEN_SIGMA, m1: 1, m2: 3 }))) ?? img;
}

/** 90th percentile of the horizontal grey slope over edge pixels (every other row). */
export function edgeSlope(img: GrayImage): number {
  const hist = new Uint32Array(256);
  let n = 0;
  const w = img.width;
  for (let y = 0; y < img.height; y += 2) {
    for (let x = 1; x < w - 1; x++) {
      const g = Math.abs((img.data[y * w + x + 1] ?? 0) - (img.data[y * w + x - 1] ?? 0)) >> 1;
      if (g > EDGE_MIN_SLOPE) {
        hist[g] = (hist[g] ?? 0) + 1;
        n++;
      }
    }
  }
  let acc = 0;
  for (let v = 0; v < 256; v++) {
    acc += hist[v] ?? 0;
    if (acc >= n * 0.9) return v;
  }
  return 255;
}

/** Whether a flattened page is blurred (its edges are shallow). */
export function isBlurred(img: GrayImage): boolean {
  return edgeSlope(img) < BLURRED_EDGE_SLOPE;
}
