/**
 * Stage "validate": cheap checks on the raw bytes before anything is decoded.
 * Magic bytes (JPEG, PNG, WebP), size, and pixel count read from the header only, so a
 * decompression bomb is refused without allocating its pixels.
 */
import type { Metadata } from 'sharp';
import { loadSharp } from './sharp.ts';
import { ReadingError } from './errors.ts';

export const MAX_BYTES = 15 * 1024 * 1024;
export const MAX_PIXELS = 40_000_000;

export type ImageFormat = 'jpeg' | 'png' | 'webp';

export interface ValidatedImage {
  format: ImageFormat;
  width: number;
  height: number;
  /** EXIF orientation 1..8 (1 when absent). */
  orientation: number;
}

/** Each format's magic bytes: (offset, bytes) pairs that must all be present. */
const SIGNATURES: ReadonlyArray<[ImageFormat, ReadonlyArray<[number, readonly number[]]>]> = [
  ['jpeg', [[0, [0xff, 0xd8, 0xff]]]],
  ['png', [[0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]]]], // \x89 P N G \r \n \x1a \n
  [
    'webp',
    [
      [0, [0x52, 0x49, 0x46, 0x46]], // RIFF
      [8, [0x57, 0x45, 0x42, 0x50]], // WEBP
    ],
  ],
];

const hasBytes = (b: Uint8Array, offset: number, bytes: readonly number[]): boolean =>
  b.length >= offset + bytes.length && bytes.every((x, i) => b[offset + i] === x);

export function sniffFormat(b: Uint8Array): ImageFormat | null {
  const found = SIGNATURES.find(([, parts]) => parts.every(([offset, bytes]) => hasBytes(b, offset, bytes)));
  return found?.[0] ?? null;
}

function describe(b: Uint8Array): string {
  if (b.length === 0) return 'the file is empty (0 bytes)';
  const head = Buffer.from(b.subarray(0, 64)).toString('latin1');
  if (/^%PDF/.test(head)) return 'a PDF is not an image: photograph the page or export it as JPEG/PNG';
  if (/^GIF8/.test(head)) return 'GIF is not supported: use JPEG, PNG or WebP';
  if (/^(II\*\0|MM\0\*)/.test(head)) return 'TIFF is not supported: use JPEG, PNG or WebP';
  if (/ftyp(heic|heix|mif1|avif)/.test(head)) return 'HEIC/AVIF is not supported: use JPEG, PNG or WebP';
  return 'not a JPEG, PNG or WebP image';
}

/** Validates the bytes and reads the dimensions from the header. Throws ReadingError. */
export async function validateImage(bytes: Uint8Array): Promise<ValidatedImage> {
  if (bytes.length === 0) throw new ReadingError('empty', 'the file is empty (0 bytes)');
  if (bytes.length > MAX_BYTES) {
    throw new ReadingError(
      'too_large',
      `image is ${(bytes.length / 1048576).toFixed(1)} MB; the limit is ${MAX_BYTES / 1048576} MB`,
    );
  }
  const format = sniffFormat(bytes);
  if (format === null) throw new ReadingError('unsupported_format', describe(bytes));

  let meta: Metadata;
  try {
    // metadata() parses the header only; no pixel is decoded here.
    const sharp = await loadSharp();
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw new ReadingError('corrupt_image', `the ${format.toUpperCase()} image header cannot be read`, { cause: err });
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width <= 0 || height <= 0) {
    throw new ReadingError('corrupt_image', `the ${format.toUpperCase()} image has no dimensions`);
  }
  if (width * height > MAX_PIXELS) {
    throw new ReadingError(
      'too_many_pixels',
      `image is ${width}x${height} (${((width * height) / 1e6).toFixed(0)} megapixels); the limit is ${MAX_PIXELS / 1e6}`,
    );
  }
  if (width < 200 || height < 200) {
    throw new ReadingError('too_small', `image is only ${width}x${height} pixels: too small to read`);
  }
  return { format, width, height, orientation: meta.orientation ?? 1 };
}
