/**
 * Upload checks by content, never by file name: JPEG, PNG or WebP magic bytes, at most
 * 15 MB and 40 megapixels (read from the header before any decoding), and a thumbnail.
 */
import sharp, { type Metadata } from 'sharp';
import { MAX_BYTES, MAX_PIXELS, sniffFormat } from '../reading/index.ts';
import { ApiError } from '../http/errors.ts';

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
  if (format === null) throw new ApiError(415, 'unsupported_image', 'send a JPEG, PNG or WebP photo of the prescription');
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: MAX_PIXELS }).metadata();
  } catch (err) {
    // A decompression bomb: the header announces more pixels than allowed.
    if (err instanceof Error && /pixel limit/i.test(err.message)) throw new ApiError(413, 'too_many_pixels', 'the image is larger than 40 megapixels');
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
    return await sharp(bytes, { limitInputPixels: MAX_PIXELS })
      .rotate()
      .resize(320, 320, { fit: 'inside', withoutEnlargement: true })
      .jpeg({ quality: 75 })
      .toBuffer();
  } catch {
    throw new ApiError(400, 'corrupt_image', 'the image could not be decoded (damaged or incomplete file)');
  }
}
