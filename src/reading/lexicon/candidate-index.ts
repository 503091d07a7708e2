/**
 * Candidate search for the fuzzy matcher: a trigram index over the "OCR skeleton" of every
 * lexicon key (ocr-distance.ts `ocrSkeleton`: l/1/i, O/0, rn/m, cl/d … collapsed), so that a
 * misread name shares its trigrams with the right entry. Only the best-sharing keys within
 * the length window are then compared with the weighted edit distance, instead of all of them:
 * the full scan over the 3,573 names costs 6-8× more (bench/read.bench.ts prints both).
 */
import { ocrSkeleton } from './ocr-distance.ts';

/** Padded trigrams of a skeleton ("^^a", "^ab", …, "yz$"), each once. */
export function trigrams(skel: string): string[] {
  const s = `^^${skel}$`;
  const out = new Set<string>();
  for (let i = 0; i + 3 <= s.length; i++) out.add(s.slice(i, i + 3));
  return [...out];
}

export class CandidateIndex {
  private readonly postings = new Map<string, number[]>();
  private readonly lengths: number[] = [];

  /** keys: folded lexicon keys (a-z0-9), in the order the caller refers to them by index. */
  constructor(keys: readonly string[]) {
    keys.forEach((key, i) => {
      this.lengths.push(key.length);
      for (const g of trigrams(ocrSkeleton(key))) {
        const list = this.postings.get(g);
        if (list === undefined) this.postings.set(g, [i]);
        else list.push(i);
      }
    });
  }

  get size(): number {
    return this.lengths.length;
  }

  /**
   * Indices of the keys that share the most skeleton trigrams with `key` and whose length is
   * within `maxLengthDiff` of it, best first, at most `limit` (ties at the cut are kept).
   */
  candidates(key: string, maxLengthDiff: number, limit = 24): number[] {
    const shared = new Map<number, number>();
    for (const g of trigrams(ocrSkeleton(key))) {
      for (const i of this.postings.get(g) ?? []) {
        if (Math.abs((this.lengths[i] ?? 0) - key.length) > maxLengthDiff) continue;
        shared.set(i, (shared.get(i) ?? 0) + 1);
      }
    }
    const ranked = [...shared.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    if (ranked.length <= limit) return ranked.map(([i]) => i);
    const cut = ranked[limit - 1]?.[1] ?? 0;
    return ranked.filter(([, n], k) => k < limit || n === cut).map(([i]) => i);
  }
}
