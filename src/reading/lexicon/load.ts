/**
 * The drug lexicon (src/reading/lexicon/drugs.json, curated and versioned): loading and
 * validation. A missing or malformed file gives an empty lexicon and a warning, never a crash.
 * Brands live in `products` (one brand of one molecule, with its strengths, maker and sources);
 * each molecule's `brands` is filled from them here, so readers of `DrugEntry` see both.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface DrugEntry {
  id: string;
  generic_name: string;
  inn?: string;
  names_fr?: string[];
  other_names?: string[];
  brands?: string[];
  class?: string;
  atc?: string;
  strengths?: string[];
  forms?: string[];
  sources?: string[];
}

/** A brand sold in Cambodia or the region, mapped to its molecule (`drug` = a DrugEntry id). */
export interface ProductEntry {
  id: string;
  brand: string;
  drug: string;
  /** The strengths this brand is sold in; [] when not recorded (the molecule's list applies). */
  strengths: string[];
  maker: string | null;
  sources: string[];
}

export interface LexiconFile {
  version: string;
  description?: string;
  sources?: Array<{ id: string; title?: string; publisher?: string; url?: string; year?: number }>;
  drugs: DrugEntry[];
  /** Always set by parseLexicon; optional for lexicons built in code. */
  products?: ProductEntry[];
}

export const DEFAULT_LEXICON_PATH = fileURLToPath(new URL('./drugs.json', import.meta.url));

const strArr = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.trim() !== '') : undefined;

/** Parses and checks a lexicon document; entries without id or generic_name are skipped. */
export function parseLexicon(doc: unknown): LexiconFile {
  if (typeof doc !== 'object' || doc === null) throw new Error('lexicon: not a JSON object');
  const o = doc as Record<string, unknown>;
  if (!Array.isArray(o['drugs'])) throw new Error('lexicon: "drugs" must be an array');
  const drugs: DrugEntry[] = [];
  for (const raw of o['drugs'] as unknown[]) {
    if (typeof raw !== 'object' || raw === null) continue;
    const d = raw as Record<string, unknown>;
    const id = d['id'];
    const generic = d['generic_name'];
    if (typeof id !== 'string' || typeof generic !== 'string' || id === '' || generic === '') continue;
    drugs.push({
      id,
      generic_name: generic,
      inn: typeof d['inn'] === 'string' ? d['inn'] : undefined,
      names_fr: strArr(d['names_fr']),
      other_names: strArr(d['other_names']),
      brands: strArr(d['brands']),
      class: typeof d['class'] === 'string' ? d['class'] : undefined,
      atc: typeof d['atc'] === 'string' ? d['atc'] : undefined,
      strengths: strArr(d['strengths']),
      forms: strArr(d['forms']),
      sources: strArr(d['sources']),
    });
  }
  const products = parseProducts(o['products'], new Set(drugs.map((d) => d.id)));
  const byId = new Map(drugs.map((d) => [d.id, d]));
  for (const p of products) {
    const d = byId.get(p.drug);
    if (d !== undefined && !(d.brands ?? []).includes(p.brand)) d.brands = [...(d.brands ?? []), p.brand];
  }
  return {
    version: typeof o['version'] === 'string' ? o['version'] : 'unknown',
    description: typeof o['description'] === 'string' ? o['description'] : undefined,
    drugs,
    products,
  };
}

/** Products with a brand and a known molecule; others are skipped (the lexicon test names them). */
function parseProducts(v: unknown, drugIds: Set<string>): ProductEntry[] {
  if (!Array.isArray(v)) return [];
  const out: ProductEntry[] = [];
  for (const raw of v as unknown[]) {
    if (typeof raw !== 'object' || raw === null) continue;
    const p = raw as Record<string, unknown>;
    const brand = p['brand'];
    const drug = p['drug'];
    if (typeof brand !== 'string' || brand.trim() === '' || typeof drug !== 'string' || !drugIds.has(drug)) continue;
    out.push({
      id: typeof p['id'] === 'string' ? p['id'] : brand,
      brand,
      drug,
      strengths: strArr(p['strengths']) ?? [],
      maker: typeof p['maker'] === 'string' ? p['maker'] : null,
      sources: strArr(p['sources']) ?? [],
    });
  }
  return out;
}

export function loadLexiconFile(path: string = DEFAULT_LEXICON_PATH): LexiconFile {
  return parseLexicon(JSON.parse(fs.readFileSync(path, 'utf8')) as unknown);
}
