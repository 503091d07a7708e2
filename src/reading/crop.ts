/** Cropping cells out of the working raster for the second OCR pass. */
import type { GrayImage } from './image-ops.ts';
import type { Box } from './ocr.ts';

/**
 * Copies a box (inset to stay clear of the rulings) onto a white margin. `darken` applies a
 * gamma that makes light-grey print (units printed in grey) black enough for binarisation.
 */
export function cropCell(img: GrayImage, b: Box, inset: number, darken: boolean, pad = 12): GrayImage | null {
  const x0 = Math.max(0, Math.round(b.x0 + inset));
  const y0 = Math.max(0, Math.round(b.y0 + inset));
  const x1 = Math.min(img.width, Math.round(b.x1 - inset));
  const y1 = Math.min(img.height, Math.round(b.y1 - inset));
  const w = x1 - x0;
  const h = y1 - y0;
  if (w < 8 || h < 8) return null;
  const W = w + pad * 2;
  const H = h + pad * 2;
  const out = new Uint8Array(W * H).fill(255);
  const lut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) lut[v] = darken ? Math.round(255 * (v / 255) ** 2.2) : v;
  let dark = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = lut[img.data[(y + y0) * img.width + x + x0] ?? 255] ?? 255;
      out[(y + pad) * W + x + pad] = v;
      if (v < 128) dark++;
    }
  }
  if (dark < 15) return null; // blank cell: nothing to read
  return { data: out, width: W, height: H };
}
