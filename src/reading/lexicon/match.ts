/**
 * Fuzzy matching of an OCR'd drug name against the lexicon: generic, INN, French, other
 * names and brand products. Candidates come from a trigram index over OCR skeletons
 * (candidate-index.ts) and are scored with an OCR-weighted edit distance (ocr-distance.ts).
 * The printed name is corrected only where the differences are the kind OCR makes (l/1, O/0,
 * rn/m …); a real spelling variant ("Multivitamine") is kept as printed. A printed strength
 * that the brand or molecule is sold in lets a short, slightly misread brand match. When
 * nothing matches, a name cut short ("Amoxicil") or with its strength glued on
 * ("Amlodipine5mg") is matched by prefix, with a lower similarity.
 */
import { levenshtein } from '../text.ts';
import { CandidateIndex } from './candidate-index.ts';
import type { DrugEntry, LexiconFile, ProductEntry } from './load.ts';
import { foldKey, ocrDistance, ocrSkeleton } from './ocr-distance.ts';

export type VariantKind = 'generic' | 'inn' | 'fr' | 'other' | 'brand';

interface Variant {
  key: string;
  text: string;
  kind: VariantKind;
  drug: DrugEntry;
  product: ProductEntry | null;
}

export interface NameMatch {
  drug: DrugEntry;
  variant: string;
  kind: VariantKind;
  /** 0..1 */
  similarity: number;
  exact: boolean;
  /** How the name was found: the exact key, the OCR-weighted distance, or a prefix. */
  method: 'exact' | 'fuzzy' | 'prefix';
  /** The brand product matched (maker, strengths), when the name is a brand. */
  product: ProductEntry | null;
  /** Whether the printed strength is one this brand or molecule is sold in; null without a strength. */
  strengthKnown: boolean | null;
  /** The name with the matched words replaced by the lexicon spelling when that is an OCR fix. */
  corrected: string;
  /** Whether `corrected` differs from the input. */
  changed: boolean;
}

export interface MatchOptions {
  /** Compare with every variant instead of the index's candidates (reference for tests and the bench). */
  fullScan?: boolean;
}

/** Words that describe the form, not the drug: never matched alone. */
export const FORM_WORDS = new Set([
  'tablet',
  'tablets',
  'tab',
  'tabs',
  'amp',
  'amps',
  'ampoule',
  'caps',
  'capsule',
  'capsules',
  'cap',
  'syrup',
  'sirop',
  'inj',
  'injection',
  'cream',
  'creme',
  'gel',
  'drops',
  'sachet',
  'susp',
  'suspension',
  'solution',
  'sol',
  'comprime',
  'comprimes',
  'gelule',
  'gelules',
  'film',
  'coated',
  'forte',
  'plus',
  'retard',
  'sr',
  'xr',
  'mr',
  'cr',
  'er',
  'la',
  'oral',
  'iv',
  'im',
  'vial',
  'bottle',
  'ml',
  'mg',
  'and',
  'et',
  'de',
  'du',
]);

const FORM_SKELETONS = new Set([...FORM_WORDS].filter((w) => w.length >= 3).map(ocrSkeleton));

/** Words that start a line or cell but are never a medicine's name. */
const NOT_NAME_WORDS = new Set([
  'day',
  'days',
  'jour',
  'jours',
  'sig',
  'qty',
  'dose',
  'doses',
  'total',
  'per',
  'for',
  'the',
  'with',
  'take',
  'each',
  'times',
  'fois',
  'par',
  'pour',
  'avec',
  'date',
  'age',
  'sex',
  'tel',
  'no',
  'rx',
]);

/**
 * Could this printed name be a medicine the lexicon does not know? A word of three or more
 * letters that is neither a form or unit word (even misread: "Tab1et") nor a word that starts
 * dosing lines ("Take", "Sig"). A short unknown brand ("Pan 40mg") passes; the reader keeps it.
 */
export function plausibleName(name: string): boolean {
  return name
    .split(/\s+/)
    .map(keyOf)
    .some(
      (k) =>
        k.replace(/[^a-z]/g, '').length >= 3 &&
        !FORM_WORDS.has(k) &&
        !FORM_SKELETONS.has(ocrSkeleton(k)) &&
        !NOT_NAME_WORDS.has(k),
    );
}

/** The matcher's key: accents and case folded, everything but a-z and 0-9 dropped. */
export const keyOf = (s: string): string => foldKey(s).replace(/[^a-z0-9]+/g, '');

/** Similarity needed when a brand's key is the printed key cut short or run on. */
const BRAND_CUT_ACCEPT = 0.85;
/** Share of a generic name a cut-short word must cover to match it by prefix. */
const PREFIX_MIN_COVER = 0.6;
/** Similarity of a known name with a strength glued on ("Amlodipine5mg"). */
const GLUED_SIMILARITY = 0.95;

/** Similarity needed to accept a match, by length: short names must be (nearly) exact. */
function acceptAt(len: number, strengthFits: boolean): number {
  if (len <= 4) return strengthFits ? 0.85 : 0.99;
  if (len <= 6) return 0.8;
  if (len <= 9) return 0.76;
  return 0.72;
}

/** "500 MG", "0.5g" → milligrams (for comparing strengths written differently), else null. */
function milligrams(s: string): number | null {
  const m = /^(\d+(?:[.,]\d+)?)(mg|g|mcg|µg)$/i.exec(s.replace(/\s+/g, ''));
  if (m === null) return null;
  const v = Number((m[1] ?? '').replace(',', '.'));
  const unit = (m[2] ?? '').toLowerCase();
  return unit === 'g' ? v * 1000 : unit === 'mg' ? v : v / 1000;
}

const normStrength = (s: string): string => s.replace(/\s+/g, '').toLowerCase();

/** Is the printed strength one of the listed ones (500mg = 0.5g; a combination by its first part)? */
export function strengthListed(printed: string, listed: readonly string[]): boolean {
  const p = normStrength(printed);
  const pMg = milligrams(p);
  for (const l of listed) {
    const n = normStrength(l);
    if (n === p) return true;
    const first = n.split(/[+/]/)[0] ?? '';
    const lMg = milligrams(first);
    if (pMg !== null && lMg !== null && Math.abs(pMg - lMg) < 1e-9 && (n === first || !n.includes('/'))) return true;
  }
  return false;
}

interface Found {
  v: Variant;
  sim: number;
  dist: number;
  plain: number;
  i: number;
  j: number;
  fits: boolean;
  method: NameMatch['method'];
}

/** Whether candidate c beats the best so far: more similar (a known strength counts a little), then longer. */
function better(c: Found, best: Found | null): boolean {
  if (best === null) return true;
  const a = c.sim + (c.fits ? 0.02 : 0);
  const b = best.sim + (best.fits ? 0.02 : 0);
  return a > b + 1e-9 || (Math.abs(a - b) < 1e-9 && c.j - c.i > best.j - best.i);
}

/** An accented Latin letter. */
const ACCENTED = /[À-ÖØ-öø-ÿĀ-ž]/;

export class Lexicon {
  readonly version: string;
  readonly size: number;
  readonly productCount: number;
  private readonly variants: Variant[] = [];
  private readonly byKey = new Map<string, Variant>();
  private readonly byId = new Map<string, DrugEntry>();
  private readonly index: CandidateIndex;
  /** Variant keys sorted, for the prefix search. */
  private readonly sortedKeys: Array<{ key: string; v: Variant }>;

  constructor(file: LexiconFile) {
    this.version = file.version;
    this.size = file.drugs.length;
    const products = file.products ?? [];
    this.productCount = products.length;
    const productOf = new Map(products.map((p) => [`${p.drug}|${keyOf(p.brand)}`, p]));
    for (const drug of file.drugs) {
      this.byId.set(drug.id, drug);
      const add = (text: string | undefined, kind: VariantKind): void => {
        if (text === undefined) return;
        const key = keyOf(text);
        if (key.length < 3) return;
        const product = kind === 'brand' ? (productOf.get(`${drug.id}|${key}`) ?? null) : null;
        const v: Variant = { key, text, kind, drug, product };
        this.variants.push(v);
        if (!this.byKey.has(key)) this.byKey.set(key, v);
      };
      add(drug.generic_name, 'generic');
      add(drug.inn, 'inn');
      for (const n of drug.names_fr ?? []) add(n, 'fr');
      for (const n of drug.other_names ?? []) add(n, 'other');
      for (const n of drug.brands ?? []) add(n, 'brand');
    }
    this.index = new CandidateIndex(this.variants.map((v) => v.key));
    this.sortedKeys = [...this.byKey.entries()]
      .map(([key, v]) => ({ key, v }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  get(id: string): DrugEntry | undefined {
    return this.byId.get(id);
  }

  private fits(v: Variant, strength: string | null | undefined): boolean {
    if (strength === null || strength === undefined || strength === '') return false;
    return strengthListed(strength, [...(v.product?.strengths ?? []), ...(v.drug.strengths ?? [])]);
  }

  /** Best match of a printed name (one to four words) and, when printed, its strength; or null. */
  match(name: string, strength?: string | null, opts: MatchOptions = {}): NameMatch | null {
    const tokens = name.split(/\s+/).filter((t) => t !== '');
    let best: Found | null = null;
    for (let i = 0; i < tokens.length; i++) {
      for (let j = i + 1; j <= Math.min(tokens.length, i + 3); j++) {
        const span = tokens.slice(i, j);
        if (span.every((t) => FORM_WORDS.has(keyOf(t)) || keyOf(t).length < 2)) continue;
        if (FORM_WORDS.has(keyOf(span[0] ?? '')) && j - i > 1) continue;
        const key = keyOf(span.join(''));
        if (key.length < 3) continue;
        best = this.spanMatch(key, i, j, strength, opts, best);
      }
    }
    best ??= this.prefixMatch(tokens, strength);
    return best === null ? null : this.describe(name, tokens, best, strength);
  }

  /** The better of `best` and what the span tokens[i..j) (its key `key`) matches. */
  private spanMatch(
    key: string,
    i: number,
    j: number,
    strength: string | null | undefined,
    opts: MatchOptions,
    best: Found | null,
  ): Found | null {
    const exact = this.byKey.get(key);
    if (exact !== undefined) {
      const cand: Found = {
        v: exact,
        sim: 1,
        dist: 0,
        plain: 0,
        i,
        j,
        fits: this.fits(exact, strength),
        method: 'exact',
      };
      return best === null || best.sim < 1 || j - i > best.j - best.i ? cand : best;
    }
    if (best !== null && best.sim === 1) return best;
    // A strength glued to the name ("Amlodipine5mg", "Paracetamol500").
    const head = key.replace(/\d.*$/, '');
    const glued = head !== key && head.length >= 5 ? this.byKey.get(head) : undefined;
    if (glued !== undefined) {
      const fits = this.fits(glued, strength);
      const cand: Found = { v: glued, sim: GLUED_SIMILARITY, dist: 0, plain: 0, i, j, fits, method: 'prefix' };
      return better(cand, best) ? cand : best;
    }
    // A form word misread ("Tab1et") is still a form word.
    if (FORM_SKELETONS.has(ocrSkeleton(key))) return best;
    const maxDiff = Math.max(2, key.length * 0.3);
    const pool =
      opts.fullScan === true
        ? this.variants
        : this.index.candidates(key, maxDiff).map((k) => this.variants[k] as Variant);
    for (const v of pool) {
      if (Math.abs(v.key.length - key.length) > maxDiff) continue;
      const fits = this.fits(v, strength);
      const len = Math.max(key.length, v.key.length);
      // A brand that is a word plus letters ("Control" in "Controloc") needs more than the cut.
      const cut = v.kind === 'brand' && (v.key.startsWith(key) || key.startsWith(v.key));
      const need = Math.max(acceptAt(Math.min(key.length, v.key.length), fits), cut ? BRAND_CUT_ACCEPT : 0);
      const dist = ocrDistance(key, v.key, (1 - need) * len + 1e-9);
      const sim = 1 - dist / len;
      if (sim < need) continue;
      const cand: Found = { v, sim, dist, plain: 0, i, j, fits, method: 'fuzzy' };
      if (better(cand, best)) best = { ...cand, plain: levenshtein(key, v.key) };
    }
    return best;
  }

  /** The match as returned: the name corrected where OCR confusions explain the difference. */
  private describe(name: string, tokens: string[], best: Found, strength: string | null | undefined): NameMatch {
    const exact = best.sim === 1;
    const printed = tokens.slice(best.i, best.j).join(' ');
    // Correct only what OCR confusions explain: the weighted cost (print, else handwriting
    // costs) is well under the plain one.
    const fixable = (dist: number): boolean => dist <= best.plain * 0.6 && dist <= 1.2;
    const explainable =
      best.method === 'fuzzy' &&
      (fixable(best.dist) || fixable(ocrDistance(keyOf(printed), best.v.key, Number.POSITIVE_INFINITY, true)));
    // Same letters, other accents ("Kétoproféne" for "Kétoprofène"): OCR swaps accents freely.
    const accentsOnly =
      exact &&
      ACCENTED.test(best.v.text) &&
      ACCENTED.test(printed) &&
      printed.toLowerCase() !== best.v.text.toLowerCase() &&
      printed.split(' ').length === best.v.text.split(' ').length;
    let corrected = name;
    if (explainable || accentsOnly) {
      const upper = printed === printed.toUpperCase() && /[A-Z]/.test(printed);
      const cap = /^[A-Z]/.test(printed);
      let text = best.v.text;
      if (upper) text = text.toUpperCase();
      else if (cap) text = text.charAt(0).toUpperCase() + text.slice(1);
      corrected = [...tokens.slice(0, best.i), text, ...tokens.slice(best.j)].join(' ');
    }
    const hasStrength = strength !== null && strength !== undefined && strength !== '';
    return {
      drug: best.v.drug,
      variant: best.v.text,
      kind: best.v.kind,
      similarity: best.sim,
      exact,
      method: best.method,
      product: best.v.product,
      strengthKnown: hasStrength ? best.fits : null,
      corrected,
      changed: corrected !== name,
    };
  }

  /** A single word that is the first ≥ 60 % of exactly one molecule's generic name ("Amoxicil"). */
  private prefixMatch(tokens: string[], strength: string | null | undefined): Found | null {
    let best: Found | null = null;
    for (let i = 0; i < tokens.length; i++) {
      const key = keyOf(tokens[i] ?? '');
      if (key.length < 6 || FORM_WORDS.has(key)) continue;
      const cover = (h: { key: string }): number => key.length / h.key.length;
      // Generic names only: brands are short and often a common word plus a few letters.
      const hits = this.keysStartingWith(key)
        .filter((h) => h.v.kind !== 'brand' && cover(h) >= PREFIX_MIN_COVER)
        .sort((x, y) => cover(y) - cover(x));
      const top = hits[0];
      if (top === undefined) continue;
      // Two molecules cut to the same letters: no guess.
      if (hits.some((h) => h.v.drug.id !== top.v.drug.id && Math.abs(cover(h) - cover(top)) < 1e-9)) continue;
      const c: Found = {
        v: top.v,
        sim: 0.6 + 0.3 * cover(top),
        dist: 0,
        plain: 0,
        i,
        j: i + 1,
        fits: this.fits(top.v, strength),
        method: 'prefix',
      };
      if (best === null || c.sim > best.sim) best = c;
    }
    return best;
  }

  private keysStartingWith(prefix: string): Array<{ key: string; v: Variant }> {
    const ks = this.sortedKeys;
    let lo = 0;
    let hi = ks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((ks[mid]?.key ?? '') < prefix) lo = mid + 1;
      else hi = mid;
    }
    const out: Array<{ key: string; v: Variant }> = [];
    for (let k = lo; k < ks.length && (ks[k]?.key ?? '').startsWith(prefix); k++)
      out.push(ks[k] as { key: string; v: Variant });
    return out;
  }
}

export const EMPTY_LEXICON = new Lexicon({ version: 'empty', drugs: [], products: [] });
