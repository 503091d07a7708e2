/**
 * Edit distance weighted for OCR confusions: substitutions that OCR makes all the time
 * (l/1/I, O/0, S/5, rn/m, cl/d, vv/w, é/e …) cost less than an arbitrary edit, so that
 * "Omeprazo1e" is nearer to "Omeprazole" than "Omeprazine" is.
 */

const PAIRS: Array<[string, string, number]> = [
  ['l', '1', 0.2], ['l', 'i', 0.3], ['1', 'i', 0.3], ['l', 't', 0.5], ['i', 'j', 0.5],
  ['o', '0', 0.2], ['o', 'c', 0.5], ['o', 'a', 0.6], ['o', 'e', 0.6], ['a', 'e', 0.6], ['c', 'e', 0.5],
  ['s', '5', 0.2], ['z', '2', 0.3], ['b', '8', 0.3], ['b', '6', 0.4], ['g', '9', 0.4], ['q', '9', 0.4],
  ['g', 'q', 0.4], ['u', 'v', 0.4], ['n', 'u', 0.5], ['n', 'h', 0.5], ['h', 'b', 0.5], ['f', 't', 0.5],
  ['y', 'v', 0.5], ['k', 'x', 0.6], ['r', 'n', 0.6], ['m', 'n', 0.6], ['d', 'o', 0.6], ['p', 'b', 0.7],
];
const MULTI: Array<[string, string, number]> = [
  ['rn', 'm', 0.3], ['cl', 'd', 0.3], ['vv', 'w', 0.3], ['ri', 'n', 0.4], ['li', 'h', 0.4],
  ['in', 'm', 0.5], ['iu', 'm', 0.5], ['ll', 'u', 0.6], ['ii', 'u', 0.5], ['nn', 'm', 0.5], ['ph', 'f', 0.5],
];

const SUB = new Map<string, number>();
for (const [a, b, c] of PAIRS) {
  SUB.set(`${a}|${b}`, c);
  SUB.set(`${b}|${a}`, c);
}

function subCost(a: string, b: string): number {
  if (a === b) return 0;
  return SUB.get(`${a}|${b}`) ?? 1;
}

/** Lower-cases and removes accents, so that é/e and case never count. */
export function foldKey(s: string): string {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
}

/** Does chars[0..end) end with s? */
function endsWith(chars: string[], end: number, s: string): boolean {
  if (end < s.length) return false;
  for (let k = 0; k < s.length; k++) if (chars[end - s.length + k] !== s[k]) return false;
  return true;
}

/** Weighted distance between two folded strings. */
export function ocrDistance(a: string, b: string): number {
  const A = [...a];
  const B = [...b];
  const n = A.length;
  const m = B.length;
  const d: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = 0; i <= n; i++) (d[i] as number[])[0] = i;
  for (let j = 0; j <= m; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= n; i++) {
    const row = d[i] as number[];
    const prev = d[i - 1] as number[];
    for (let j = 1; j <= m; j++) {
      let best = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + subCost(A[i - 1] ?? '', B[j - 1] ?? ''));
      for (const [x, y, c] of MULTI) {
        // x (in a) ↔ y (in b), both directions
        if (endsWith(A, i, x) && endsWith(B, j, y)) best = Math.min(best, (d[i - x.length]?.[j - y.length] ?? 0) + c);
        if (endsWith(A, i, y) && endsWith(B, j, x)) best = Math.min(best, (d[i - y.length]?.[j - x.length] ?? 0) + c);
      }
      row[j] = best;
    }
  }
  return d[n]?.[m] ?? Math.max(n, m);
}

/** 0..1 similarity from the weighted distance. */
export function ocrSimilarity(a: string, b: string): number {
  const n = Math.max([...a].length, [...b].length);
  if (n === 0) return 1;
  return Math.max(0, 1 - ocrDistance(a, b) / n);
}
