/**
 * The drug lexicon (src/reading/lexicon/drugs.json, curated and versioned): loading and
 * validation. A missing or malformed file gives an empty lexicon and a warning, never a crash.
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

export interface LexiconFile {
  version: string;
  description?: string;
  sources?: Array<{ id: string; title?: string; publisher?: string; url?: string; year?: number }>;
  drugs: DrugEntry[];
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
  return {
    version: typeof o['version'] === 'string' ? o['version'] : 'unknown',
    description: typeof o['description'] === 'string' ? o['description'] : undefined,
    drugs,
  };
}

export function loadLexiconFile(path: string = DEFAULT_LEXICON_PATH): LexiconFile {
  return parseLexicon(JSON.parse(fs.readFileSync(path, 'utf8')) as unknown);
}
