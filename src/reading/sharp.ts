/**
 * sharp (libvips), loaded on first use: ~0.2–0.4 s of CPU that serving needs only when an image
 * arrives, not to start.
 */
import type sharpModule from 'sharp';

let loading: Promise<typeof sharpModule> | undefined;

export function loadSharp(): Promise<typeof sharpModule> {
  loading ??= import('sharp').then((m) => m.default);
  return loading;
}
