/** Text helpers shared by the stages: normalisation, Khmer digits, edit distances. */

const KHMER_DIGITS = '០១២៣៤៥៦៧៨៩';

/** Khmer digits → ASCII digits; NFC; collapses spaces. */
export function normaliseText(s: string): string {
  let out = '';
  for (const ch of s.normalize('NFC')) {
    const k = KHMER_DIGITS.indexOf(ch);
    out += k >= 0 ? String(k) : ch;
  }
  return out
    .replace(/\u200b|\u200c|\u200d|\ufeff/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Strips accents and lower-cases (Latin only; Khmer unchanged). */
export function foldLatin(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .normalize('NFC')
    .toLowerCase();
}

export function hasKhmer(s: string): boolean {
  return /[\u1780-\u17ff]/.test(s);
}

export function latinLetters(s: string): number {
  return (s.match(/[A-Za-zÀ-ÿ]/g) ?? []).length;
}

/** Plain Levenshtein distance on code points. */
export function levenshtein(a: string, b: string): number {
  const A = [...a];
  const B = [...b];
  if (A.length === 0) return B.length;
  if (B.length === 0) return A.length;
  let prev = Array.from({ length: B.length + 1 }, (_, i) => i);
  for (let i = 1; i <= A.length; i++) {
    const cur = [i];
    for (let j = 1; j <= B.length; j++) {
      const sub = (prev[j - 1] ?? 0) + (A[i - 1] === B[j - 1] ? 0 : 1);
      cur.push(Math.min(sub, (prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1));
    }
    prev = cur;
  }
  return prev[B.length] ?? 0;
}

/** Similarity 0..1 from Levenshtein distance, on code points. */
export function similarity(a: string, b: string): number {
  const n = Math.max([...a].length, [...b].length);
  if (n === 0) return 1;
  return 1 - levenshtein(a, b) / n;
}

/**
 * Best fuzzy occurrence of `needle` inside `hay` (substring alignment: free start and end in
 * hay). Returns the similarity 0..1. Used for Khmer keywords inside OCR lines.
 */
export function fuzzyContains(hay: string, needle: string): number {
  const H = [...hay];
  const N = [...needle];
  if (N.length === 0) return 1;
  let prev = new Array<number>(H.length + 1).fill(0);
  for (let i = 1; i <= N.length; i++) {
    const cur = [i];
    for (let j = 1; j <= H.length; j++) {
      const sub = (prev[j - 1] ?? 0) + (N[i - 1] === H[j - 1] ? 0 : 1);
      cur.push(Math.min(sub, (prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1));
    }
    prev = cur;
  }
  const best = Math.min(...prev);
  return 1 - best / N.length;
}
