/** A grey image in and out of sharp (libvips): one raw channel, no copy of the pixels. */
import sharp, { type Sharp } from 'sharp';
import type { GrayImage } from './image-ops.ts';

/** A sharp pipeline on a grey image. */
export function sharpOf(img: GrayImage): Sharp {
  return sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), {
    raw: { width: img.width, height: img.height, channels: 1 },
  });
}

/** The pipeline's output as a grey image; null when libvips did not give one channel. */
export async function grayOf(pipeline: Sharp): Promise<GrayImage | null> {
  const { data, info } = await pipeline.grayscale().raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 1) return null;
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
  };
}
