/** Small shared helpers of the layout code: the median, and the centre of a word or a box. */

/** The median (upper middle for an even count); 0 for no values. */
export function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

/** Horizontal centre of a box, or of a word's box. */
export const centreX = (b: { x0: number; x1: number } | { bbox: { x0: number; x1: number } }): number => {
  const r = 'bbox' in b ? b.bbox : b;
  return (r.x0 + r.x1) / 2;
};

/** Vertical centre of a box, or of a word's box. */
export const centreY = (b: { y0: number; y1: number } | { bbox: { y0: number; y1: number } }): number => {
  const r = 'bbox' in b ? b.bbox : b;
  return (r.y0 + r.y1) / 2;
};
