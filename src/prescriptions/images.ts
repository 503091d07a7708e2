/**
 * Upload checks by content, never by file name: JPEG, PNG or WebP magic bytes, at most
 * 15 MB and 40 megapixels (read from the header before any decoding), a thumbnail, and the
 * original kept without its metadata (EXIF GPS position, device, free text).
 */
import type { Metadata } from 'sharp';
import { loadSharp } from '../reading/sharp.ts';
import { MAX_BYTES, MAX_PIXELS, sniffFormat } from '../reading/validate.ts';
import { ApiError } from '../core/errors.ts';

const MIME = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' } as const;

export interface CheckedImage {
  mimeType: (typeof MIME)[keyof typeof MIME];
  width: number;
  height: number;
}

export async function checkImage(bytes: Buffer): Promise<CheckedImage> {
  if (bytes.length === 0) throw new ApiError(400, 'empty_file', 'the image is empty');
  if (bytes.length > MAX_BYTES) throw new ApiError(413, 'file_too_large', 'the image is larger than 15 MB');
  const format = sniffFormat(bytes);
  if (format === null)
    throw new ApiError(415, 'unsupported_image', 'send a JPEG, PNG or WebP photo of the prescription');
  let meta: Metadata;
  try {
    meta = await (await loadSharp())(bytes, { limitInputPixels: MAX_PIXELS }).metadata();
  } catch (err) {
    // A decompression bomb: the header announces more pixels than allowed.
    if (err instanceof Error && /pixel limit/i.test(err.message))
      throw new ApiError(413, 'too_many_pixels', 'the image is larger than 40 megapixels');
    throw new ApiError(400, 'corrupt_image', 'the image could not be read (damaged or incomplete file)');
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width === 0 || height === 0) throw new ApiError(400, 'corrupt_image', 'the image has no size');
  if (width * height > MAX_PIXELS) throw new ApiError(413, 'too_many_pixels', 'the image is larger than 40 megapixels');
  return { mimeType: MIME[format], width, height };
}

/** A small JPEG preview, EXIF-rotated, without metadata. */
export async function makeThumbnail(bytes: Buffer): Promise<Buffer> {
  try {
    return await (
      await loadSharp()
    )(bytes, { limitInputPixels: MAX_PIXELS })
      .rotate()
      .resize(320, 320, { fit: 'inside', withoutEnlargement: true })
      .jpeg({ quality: 75 })
      .toBuffer();
  } catch {
    throw new ApiError(400, 'corrupt_image', 'the image could not be decoded (damaged or incomplete file)');
  }
}

/**
 * Does the file carry metadata beside the pixels? JPEG: an APP1–APP15 or COM segment (EXIF,
 * XMP, IPTC, MPF previews, comments); PNG: text, EXIF or time chunks; WebP: EXIF or XMP
 * chunks; and whatever sharp reads (EXIF, XMP, IPTC, a rotation). A colour profile (ICC) alone
 * is kept: it describes the colours, not the patient, and dropping it would change the pixels
 * the reader reads (when other metadata is removed, the profile goes with it).
 */
export async function hasMetadata(bytes: Buffer): Promise<boolean> {
  const format = sniffFormat(bytes);
  if (format === 'jpeg') {
    for (let i = 2; i + 4 <= bytes.length;) {
      if (bytes[i] !== 0xff) break;
      const marker = bytes[i + 1] ?? 0;
      if (marker === 0xda || marker === 0xd9) break; // start of scan: the header is over
      const icc = marker === 0xe2 && bytes.toString('latin1', i + 4, i + 16) === 'ICC_PROFILE\0';
      if (((marker >= 0xe1 && marker <= 0xef) || marker === 0xfe) && !icc) return true;
      i += 2 + bytes.readUInt16BE(i + 2);
    }
  } else if (format === 'png') {
    for (let i = 8; i + 8 <= bytes.length;) {
      const type = bytes.toString('latin1', i + 4, i + 8);
      if (['tEXt', 'zTXt', 'iTXt', 'eXIf', 'tIME'].includes(type)) return true;
      if (type === 'IDAT' || type === 'IEND') break;
      i += 12 + bytes.readUInt32BE(i);
    }
  } else if (format === 'webp') {
    for (let i = 12; i + 8 <= bytes.length;) {
      const type = bytes.toString('latin1', i, i + 4);
      if (['EXIF', 'XMP '].includes(type)) return true;
      const size = bytes.readUInt32LE(i + 4);
      i += 8 + size + (size % 2);
    }
  }
  const meta = await (await loadSharp())(bytes, { limitInputPixels: MAX_PIXELS }).metadata();
  return meta.exif !== undefined || meta.xmp !== undefined || meta.iptc !== undefined || (meta.orientation ?? 1) !== 1;
}

/**
 * The original as it is kept and served: without metadata, its orientation applied to the
 * pixels, in its own format (JPEG at quality 95). A photo without any metadata is kept as sent
 * (no needless re-encoding).
 */
export async function withoutMetadata(bytes: Buffer): Promise<Buffer> {
  try {
    if (!(await hasMetadata(bytes))) return bytes;
    const image = (await loadSharp())(bytes, { limitInputPixels: MAX_PIXELS }).rotate(); // sharp writes no metadata unless asked
    const format = sniffFormat(bytes);
    if (format === 'png') return await image.png().toBuffer();
    if (format === 'webp') return await image.webp({ quality: 95 }).toBuffer();
    return await image.jpeg({ quality: 95 }).toBuffer();
  } catch {
    throw new ApiError(400, 'corrupt_image', 'the image could not be decoded (damaged or incomplete file)');
  }
}
