/**
 * Stages "decode" and "preprocess": EXIF rotation, grayscale, scale to ~2000 px wide, the page
 * cut out of its background and its perspective undone (dewarp.ts), shadow removal and an
 * unsharp mask on a blurred page (illumination.ts), level stretch and small-tilt correction.
 * Output: an 8-bit grayscale raster the OCR and the layout analysis both use.
 */
import sharp from 'sharp';
import { ReadingError } from './errors.ts';
import { estimateSkew, lineDirectionRatio, rotate90, type GrayImage } from './image-ops.ts';
import { grayOf, sharpOf } from './sharp-gray.ts';
import { flattenIllumination, isBlurred, sharpenText } from './illumination.ts';
import { dewarp, findPageQuad, isDistorted } from './dewarp.ts';
import { MAX_PIXELS } from './validate.ts';

export const TARGET_WIDTH = 2000;
const MAX_HEIGHT = 3400;

export interface Preprocessed {
  image: GrayImage;
  /** Tilt that was corrected, degrees. */
  skewDeg: number;
  /** Factor from the original (EXIF-rotated) pixels to the working raster. */
  scale: number;
  /** Quarter turns applied (clockwise) because the text ran vertically; 0 or 1. */
  quarterTurns: number;
  /** The photo was blurred (sharpened here; the OCR should binarise adaptively). */
  blurred: boolean;
  /** The page was found as a quadrilateral on a background and mapped onto a rectangle. */
  dewarped: boolean;
}

/** Below this, words run top to bottom: the page was photographed turned (no EXIF). */
const TURNED_RATIO = 0.5;

/** Decodes to grayscale, EXIF-rotated and scaled. Throws ReadingError('corrupt_image'). */
export async function decodeGray(
  bytes: Uint8Array,
  timeoutSeconds: number,
): Promise<{ image: GrayImage; scale: number }> {
  try {
    const { data, info } = await sharp(bytes, {
      limitInputPixels: MAX_PIXELS,
      failOn: 'truncated',
      sequentialRead: true,
    })
      .timeout({ seconds: Math.max(1, Math.ceil(timeoutSeconds)) })
      .rotate() // EXIF orientation
      .flatten({ background: '#ffffff' })
      .grayscale()
      .resize({ width: TARGET_WIDTH, height: MAX_HEIGHT, fit: 'inside', kernel: 'lanczos3' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 1) throw new Error(`expected 1 channel, got ${info.channels}`);
    const image = {
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
    };
    const meta = await sharp(bytes, { limitInputPixels: MAX_PIXELS }).metadata();
    const srcW = (meta.orientation ?? 1) >= 5 ? (meta.height ?? info.width) : (meta.width ?? info.width);
    return { image, scale: info.width / srcW };
  } catch (err) {
    if (err instanceof ReadingError) throw err;
    const msg = err instanceof Error ? err.message : String(err);
    if (/pixel limit/i.test(msg))
      throw new ReadingError('too_many_pixels', 'image exceeds the pixel limit', { cause: err });
    if (/timeout/i.test(msg)) throw new ReadingError('timeout', 'decoding the image took too long', { cause: err });
    throw new ReadingError('corrupt_image', `the image cannot be decoded (${firstLine(msg)})`, { cause: err });
  }
}

function firstLine(s: string): string {
  return (s.split('\n')[0] ?? '').slice(0, 120);
}

/** The page alone, upright and rectangular, when it was photographed at an angle on a background. */
function dewarpPage(img: GrayImage): GrayImage | null {
  const quad = findPageQuad(img);
  if (quad === null || !isDistorted(quad)) return null;
  const out = dewarp(img, quad, TARGET_WIDTH);
  return out.height <= MAX_HEIGHT ? out : dewarp(img, quad, (TARGET_WIDTH * MAX_HEIGHT) / out.height);
}

export async function preprocess(decoded: { image: GrayImage; scale: number }): Promise<Preprocessed> {
  const page = dewarpPage(decoded.image);
  let image = flattenIllumination(page ?? decoded.image);
  const blurred = isBlurred(image);
  if (blurred) image = await sharpenText(image);
  // A page turned 90° or 270° without EXIF: turn it a quarter; whether it is then upside down
  // is decided after the OCR (the reader retries a page that reads as nothing turned 180°).
  let quarterTurns = 0;
  if (lineDirectionRatio(image) < TURNED_RATIO) {
    image = rotate90(image);
    quarterTurns = 1;
    // Back to the working width (a landscape photo turned upright is narrower).
    image = await resizeGray(image, TARGET_WIDTH);
  }
  const skew = estimateSkew(image);
  let applied = 0;
  if (Math.abs(skew) >= 0.3) {
    image = await rotateKeepSize(image, -skew);
    applied = skew;
  }
  return { image, skewDeg: applied, scale: decoded.scale, quarterTurns, blurred, dewarped: page !== null };
}

/** Rotation that keeps the canvas size (crops the expanded corners back to the original box). */
async function rotateKeepSize(img: GrayImage, deg: number): Promise<GrayImage> {
  const rotated = await grayOf(sharpOf(img).rotate(deg, { background: { r: 255, g: 255, b: 255 } }));
  if (rotated === null) return img;
  const left = Math.max(0, Math.floor((rotated.width - img.width) / 2));
  const top = Math.max(0, Math.floor((rotated.height - img.height) / 2));
  const cropped = sharpOf(rotated).extract({
    left,
    top,
    width: Math.min(img.width, rotated.width),
    height: Math.min(img.height, rotated.height),
  });
  return (await grayOf(cropped)) ?? img;
}

async function resizeGray(img: GrayImage, width: number): Promise<GrayImage> {
  const resized = sharpOf(img).resize({ width, height: MAX_HEIGHT, fit: 'inside', kernel: 'lanczos3' });
  return (await grayOf(resized)) ?? img;
}
