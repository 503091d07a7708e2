/**
 * Fuzzy matching of an OCR'd drug name against the lexicon: generic, INN, French, other
 * names and brands. The printed name is corrected only where the differences are the kind OCR
 * makes (l/1, O/0, rn/m …); a real spelling variant ("Multivitamine") is kept as printed.
 */
import { levenshtein } from '../text.ts';
import type { DrugEntry, LexiconFile } from './load.ts';
import { foldKey, ocrDistance } from './ocr-distance.ts';

export type VariantKind = 'generic' | 'inn' | 'fr' | 'other' | 'brand';

interface Variant {
  key: string;
  text: string;
  kind: VariantKind;
  drug: DrugEntry;
}

export interface NameMatch {
  drug: DrugEntry;
  variant: string;
  kind: VariantKind;
  /** 0..1 */
  similarity: number;
  exact: boolean;
  /** The name with the matched words replaced by the lexicon spelling when that is an OCR fix. */
  corrected: string;
  /** Whether `corrected` differs from the input. */
  changed: boolean;
}

/** Words that describe the form, not the drug: never matched alone. */
const FORM_WORDS = new Set([
  'tablet', 'tablets', 'tab', 'tabs', 'amp', 'amps', 'ampoule', 'caps', 'capsule', 'capsules', 'cap', 'syrup', 'sirop',
  'inj', 'injection', 'cream', 'creme', 'gel', 'drops', 'sachet', 'susp', 'suspension', 'solution', 'sol', 'comprime',
  'comprimes', 'gelule', 'gelules', 'film', 'coated', 'forte', 'plus', 'retard', 'sr', 'xr', 'mr', 'cr', 'er', 'la',
  'oral', 'iv', 'im', 'vial', 'bottle', 'ml', 'mg', 'and', 'et', 'de', 'du',
]);

/** An accented Latin letter. */
const ACCENTED = /[À-ÖØ-öø-ÿĀ-ž]/;

const keyOf = (s: string): string => foldKey(s).replace(/[^a-z0-9]+/g, '');

export class Lexicon {
  readonly version: string;
  readonly size: number;
  private readonly variants: Variant[] = [];
  private readonly byKey = new Map<string, Variant>();
  private readonly byId = new Map<string, DrugEntry>();

  constructor(file: LexiconFile) {
    this.version = file.version;
    this.size = file.drugs.length;
    for (const drug of file.drugs) {
      this.byId.set(drug.id, drug);
      const add = (text: string | undefined, kind: VariantKind): void => {
        if (text === undefined) return;
        const key = keyOf(text);
        if (key.length < 3) return;
        const v: Variant = { key, text, kind, drug };
        this.variants.push(v);
        if (!this.byKey.has(key)) this.byKey.set(key, v);
      };
      add(drug.generic_name, 'generic');
      add(drug.inn, 'inn');
      for (const n of drug.names_fr ?? []) add(n, 'fr');
      for (const n of drug.other_names ?? []) add(n, 'other');
      for (const n of drug.brands ?? []) add(n, 'brand');
    }
  }

  get(id: string): DrugEntry | undefined {
    return this.byId.get(id);
  }

  /** Best match of a printed name (one to four words), or null. */
  match(name: string): NameMatch | null {
    const tokens = name.split(/\s+/).filter((t) => t !== '');
    let best: { v: Variant; sim: number; dist: number; plain: number; i: number; j: number; key: string } | null = null;
    for (let i = 0; i < tokens.length; i++) {
      for (let j = i + 1; j <= Math.min(tokens.length, i + 3); j++) {
        const span = tokens.slice(i, j);
        if (span.every((t) => FORM_WORDS.has(keyOf(t)) || keyOf(t).length < 2)) continue;
        if (FORM_WORDS.has(keyOf(span[0] ?? '')) && j - i > 1) continue;
        const key = keyOf(span.join(''));
        if (key.length < 3) continue;
        const exact = this.byKey.get(key);
        if (exact !== undefined) {
          const cand = { v: exact, sim: 1, dist: 0, plain: 0, i, j, key };
          if (best === null || best.sim < 1 || j - i > best.j - best.i) best = cand;
          continue;
        }
        if (best !== null && best.sim === 1) continue;
        for (const v of this.variants) {
          if (Math.abs(v.key.length - key.length) > Math.max(2, key.length * 0.3)) continue;
          const dist = ocrDistance(key, v.key);
          const sim = 1 - dist / Math.max(key.length, v.key.length);
          if (sim < acceptAt(Math.min(key.length, v.key.length))) continue;
          if (best === null || sim > best.sim + 1e-9 || (Math.abs(sim - best.sim) < 1e-9 && j - i > best.j - best.i)) {
            best = { v, sim, dist, plain: levenshtein(key, v.key), i, j, key };
          }
        }
      }
    }
    if (best === null) return null;
    const exact = best.sim === 1;
    // Correct only what OCR confusions explain: the weighted cost is well under the plain one.
    const explainable = !exact && best.dist <= best.plain * 0.6 && best.dist <= 1.2;
    const printed = tokens.slice(best.i, best.j).join(' ');
    // Same letters, other accents ("Kétoproféne" for "Kétoprofène"): OCR swaps accents freely.
    const accentsOnly = exact && ACCENTED.test(best.v.text) && ACCENTED.test(printed) && printed.toLowerCase() !== best.v.text.toLowerCase() && printed.split(' ').length === best.v.text.split(' ').length;
    let corrected = name;
    if (explainable || accentsOnly) {
      const upper = printed === printed.toUpperCase() && /[A-Z]/.test(printed);
      const cap = /^[A-Z]/.test(printed);
      let text = best.v.text;
      if (upper) text = text.toUpperCase();
      else if (cap) text = text.charAt(0).toUpperCase() + text.slice(1);
      corrected = [...tokens.slice(0, best.i), text, ...tokens.slice(best.j)].join(' ');
    }
    return {
      drug: best.v.drug,
      variant: best.v.text,
      kind: best.v.kind,
      similarity: best.sim,
      exact,
      corrected,
      changed: corrected !== name,
    };
  }
}

/** Similarity needed to accept a match, by length: short names must be (nearly) exact. */
function acceptAt(len: number): number {
  if (len <= 4) return 0.99;
  if (len <= 6) return 0.8;
  if (len <= 9) return 0.76;
  return 0.72;
}

export const EMPTY_LEXICON = new Lexicon({ version: 'empty', drugs: [] });
