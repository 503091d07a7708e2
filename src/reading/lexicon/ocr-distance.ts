/**
 * Edit distance weighted for OCR confusions: substitutions that OCR makes all the time
 * (l/1/I, O/0, S/5, rn/m, cl/d, vv/w, é/e …) cost less than an arbitrary edit, so that
 * "Omeprazo1e" is nearer to "Omeprazole" than "Omeprazine" is.
 * The handwriting costs (`hand`) add what OCR does to handwritten capitals: a thin one-stroke
 * letter (I, l, 1) lost or added ("CARBMAZOLE"), O/U, IV/W. They say whether a match found with
 * the print costs may be corrected to the lexicon spelling, never whether a word matches.
 */
const PAIRS: Array<[string, string, number]> = [
  ['l', '1', 0.2],
  ['l', 'i', 0.3],
  ['1', 'i', 0.3],
  ['l', 't', 0.5],
  ['i', 'j', 0.5],
  ['o', '0', 0.2],
  ['o', 'c', 0.5],
  ['o', 'a', 0.6],
  ['o', 'e', 0.6],
  ['a', 'e', 0.6],
  ['c', 'e', 0.5],
  ['s', '5', 0.2],
  ['z', '2', 0.3],
  ['b', '8', 0.3],
  ['b', '6', 0.4],
  ['g', '9', 0.4],
  ['q', '9', 0.4],
  ['g', 'q', 0.4],
  ['u', 'v', 0.4],
  ['n', 'u', 0.5],
  ['n', 'h', 0.5],
  ['h', 'b', 0.5],
  ['f', 't', 0.5],
  ['y', 'v', 0.5],
  ['k', 'x', 0.6],
  ['r', 'n', 0.6],
  ['m', 'n', 0.6],
  ['d', 'o', 0.6],
  ['p', 'b', 0.7],
];
const MULTI: Array<[string, string, number]> = [
  ['rn', 'm', 0.3],
  ['cl', 'd', 0.3],
  ['vv', 'w', 0.3],
  ['ri', 'n', 0.4],
  ['li', 'h', 0.4],
  ['in', 'm', 0.5],
  ['iu', 'm', 0.5],
  ['ll', 'u', 0.6],
  ['ii', 'u', 0.5],
  ['nn', 'm', 0.5],
  ['ph', 'f', 0.5],
];

/** Handwritten capitals: an open O reads as U and a U closed at the top as O; I and V run together as W. */
const HAND_PAIRS: Array<[string, string, number]> = [['u', 'o', 0.5]];
const HAND_MULTI: Array<[string, string, number]> = [['iv', 'w', 0.4]];
/** A thin one-stroke letter a handwritten line loses or gains (at least 0.3: the early stop relies on it). */
const THIN = new Set(['i', 'l', '1']);
const THIN_COST = 0.4;

interface CostModel {
  sub: Map<string, number>;
  /** The same costs by character code for ASCII (the matcher's keys are a-z0-9). */
  subAscii: Float64Array;
  /** Multi-character confusions by the last characters of both sides ("n|m" → rn↔m …), both directions. */
  multiByLast: Map<string, Array<[string, string, number]>>;
  /** Last characters that some multi-character confusion ends with (a cheap test before the look-up). */
  multiLast: Set<string>;
  /** Whether a thin letter lost or added costs THIN_COST. */
  thinGaps: boolean;
}

function costModel(
  pairs: Array<[string, string, number]>,
  multi: Array<[string, string, number]>,
  thin: boolean,
): CostModel {
  const sub = new Map<string, number>();
  const subAscii = new Float64Array(128 * 128).fill(1);
  for (let c = 0; c < 128; c++) subAscii[c * 128 + c] = 0;
  for (const [a, b, c] of pairs) {
    sub.set(`${a}|${b}`, c);
    sub.set(`${b}|${a}`, c);
    subAscii[a.charCodeAt(0) * 128 + b.charCodeAt(0)] = c;
    subAscii[b.charCodeAt(0) * 128 + a.charCodeAt(0)] = c;
  }
  const multiByLast = new Map<string, Array<[string, string, number]>>();
  for (const [x, y, c] of multi) {
    for (const [p, q] of [
      [x, y],
      [y, x],
    ] as const) {
      const k = `${p.charAt(p.length - 1)}|${q.charAt(q.length - 1)}`;
      multiByLast.set(k, [...(multiByLast.get(k) ?? []), [p, q, c]]);
    }
  }
  const multiLast = new Set(multi.flatMap(([x, y]) => [x.charAt(x.length - 1), y.charAt(y.length - 1)]));
  return { sub, subAscii, multiByLast, multiLast, thinGaps: thin };
}

const PRINT = costModel(PAIRS, MULTI, false);
const HAND = costModel([...PAIRS, ...HAND_PAIRS], [...MULTI, ...HAND_MULTI], true);

function subCost(model: CostModel, a: string, b: string): number {
  if (a === b) return 0;
  const x = a.charCodeAt(0);
  const y = b.charCodeAt(0);
  if (x < 128 && y < 128) return model.subAscii[x * 128 + y] ?? 1;
  return model.sub.get(`${a}|${b}`) ?? 1;
}

/** Cost of losing or adding chars[k]: less for a thin letter, except beside the same letter ("ll"). */
function gapCosts(chars: string[]): number[] {
  return chars.map((c, k) => (THIN.has(c) && chars[k - 1] !== c && chars[k + 1] !== c ? THIN_COST : 1));
}

/** Lower-cases and removes accents, so that é/e and case never count. */
export function foldKey(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
}

/** Does chars[0..end) end with s? */
function endsWith(chars: string[], end: number, s: string): boolean {
  if (end < s.length) return false;
  for (let k = 0; k < s.length; k++) if (chars[end - s.length + k] !== s[k]) return false;
  return true;
}

/** The distance matrix, reused between calls (grown when a longer pair comes). */
let matrix = new Float64Array(64 * 64);

/**
 * Weighted distance between two folded strings. With `max`, stops as soon as the distance must
 * exceed it and returns a value above `max` (the matcher only needs to know "too far"). With
 * `hand`, the handwriting costs too (see above).
 */
export function ocrDistance(a: string, b: string, max = Number.POSITIVE_INFINITY, hand = false): number {
  const model = hand ? HAND : PRINT;
  const A = [...a];
  const B = [...b];
  const n = A.length;
  const m = B.length;
  if (Math.abs(n - m) * 0.3 > max) return max + 1;
  const w = m + 1;
  if (matrix.length < (n + 1) * w) matrix = new Float64Array((n + 1) * w * 2);
  const d = matrix;
  // Print costs: every letter lost or added costs 1 (null: no array to build).
  const delA = model.thinGaps ? gapCosts(A) : null;
  const insB = model.thinGaps ? gapCosts(B) : null;
  d[0] = 0;
  for (let i = 1; i <= n; i++) d[i * w] = (d[(i - 1) * w] ?? 0) + (delA?.[i - 1] ?? 1);
  for (let j = 1; j <= m; j++) d[j] = (d[j - 1] ?? 0) + (insB?.[j - 1] ?? 1);
  let prevMin = 0;
  for (let i = 1; i <= n; i++) {
    const ai = A[i - 1] ?? '';
    const aMulti = model.multiLast.has(ai);
    const del = delA?.[i - 1] ?? 1;
    let rowMin = d[i * w] ?? i;
    for (let j = 1; j <= m; j++) {
      const bj = B[j - 1] ?? '';
      let best = Math.min(
        (d[(i - 1) * w + j] ?? 0) + del,
        (d[i * w + j - 1] ?? 0) + (insB?.[j - 1] ?? 1),
        (d[(i - 1) * w + j - 1] ?? 0) + subCost(model, ai, bj),
      );
      const multi = aMulti && model.multiLast.has(bj) ? model.multiByLast.get(`${ai}|${bj}`) : undefined;
      if (multi !== undefined) {
        for (const [x, y, c] of multi) {
          if (endsWith(A, i, x) && endsWith(B, j, y))
            best = Math.min(best, (d[(i - x.length) * w + j - y.length] ?? 0) + c);
        }
      }
      d[i * w + j] = best;
      if (best < rowMin) rowMin = best;
    }
    // Every later cell comes from this row at no cost or from the row before by a two-character
    // confusion (at least 0.3): when both bounds exceed max, so does the result.
    if (Math.min(rowMin, prevMin + 0.3) > max) return max + 1;
    prevMin = rowMin;
  }
  return d[n * w + m] ?? Math.max(n, m);
}

/** Characters OCR swaps for one another, collapsed to one (for candidate search, not scoring). */
const SKELETON_MULTI: Array<[RegExp, string]> = [
  [/rn/g, 'm'],
  [/cl/g, 'd'],
  [/vv/g, 'w'],
];
const SKELETON_CHAR: Record<string, string> = {
  '1': 'l',
  i: 'l',
  j: 'l',
  '0': 'o',
  '5': 's',
  '2': 'z',
  '8': 'b',
  '6': 'b',
  '9': 'g',
  q: 'g',
  v: 'u',
  e: 'c',
};

/** The OCR skeleton of a folded key: "arnlodipine" and "amlodipine" have the same one. */
export function ocrSkeleton(key: string): string {
  let s = key;
  for (const [re, to] of SKELETON_MULTI) s = s.replace(re, to);
  let out = '';
  for (const ch of s) out += SKELETON_CHAR[ch] ?? ch;
  return out;
}

/** 0..1 similarity from the weighted distance. */
export function ocrSimilarity(a: string, b: string): number {
  const n = Math.max([...a].length, [...b].length);
  if (n === 0) return 1;
  return Math.max(0, 1 - ocrDistance(a, b) / n);
}
