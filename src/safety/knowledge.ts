/**
 * The drug safety knowledge base: src/safety/knowledge/*.json (the source of truth, in the
 * repository) joined with the reader's lexicon (brands, names). Loaded once per process; the
 * same document is copied into PostgreSQL (schema kb, migration 024) by loadKnowledgeIntoDb().
 */
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { loadLexiconFile, type LexiconFile } from '../reading/lexicon/load.ts';
import { Lexicon } from '../reading/lexicon/match.ts';
import { foldKey } from '../reading/lexicon/ocr-distance.ts';
import type { Tx } from '../db/database.ts';
import { loadKnowledge } from './queries.ts';

export const SEVERITIES = ['info', 'moderate', 'major', 'contraindicated'] as const;
export type Severity = (typeof SEVERITIES)[number];
export type Caution = 'caution' | 'avoid' | 'contraindicated';

export interface Ingredient {
  kind: 'medicine' | 'food';
  id: string;
  name: string;
  atc: string | null;
  class: string | null;
  components: string[];
  groups: string[];
  allergy_groups: string[];
  max_daily_mg: number | null;
  max_daily_sources?: string[];
  pregnancy: Caution | null;
  breastfeeding: Caution | null;
  sources: string[];
  licence: string;
  /** From the lexicon entry of the same id. */
  brands: string[];
}

export interface Interaction {
  id: string;
  /** An ingredient id or `group:NAME`. */
  a: string;
  b: string;
  severity: Severity;
  effect: string;
  note: string;
  sources: string[];
  licence: string;
}

export interface Source {
  id: string;
  title: string;
  publisher: string | null;
  url: string | null;
  licence: string;
}

const dir = (name: string): string => fileURLToPath(new URL(`./knowledge/${name}`, import.meta.url));
export const KNOWLEDGE_FILES = {
  ingredients: dir('ingredients.json'),
  interactions: dir('interactions.json'),
  sources: dir('sources.json'),
};

export const severityRank = (s: Severity): number => SEVERITIES.indexOf(s);

export class KnowledgeBase {
  readonly version: string;
  readonly sha256: string;
  readonly ingredients = new Map<string, Ingredient>();
  readonly interactions: Interaction[];
  readonly sources = new Map<string, Source>();
  private readonly lexiconFile: LexiconFile;
  private lexiconIndex: Lexicon | undefined;
  private readonly byName = new Map<string, string>();
  /** Folded names (generic, INN, French, other names, brands) → id, for exact look-ups in free text. */
  private readonly byKey = new Map<string, string>();
  private readonly rulesBySide = new Map<string, Interaction[]>();

  constructor(
    doc: { version: string; ingredients: Ingredient[]; interactions: Interaction[]; sources: Source[] },
    lexicon: LexiconFile,
    sha256: string,
  ) {
    this.version = doc.version;
    this.sha256 = sha256;
    this.lexiconFile = lexicon;
    for (const s of doc.sources) this.sources.set(s.id, s);
    for (const i of doc.ingredients) {
      this.ingredients.set(i.id, i);
      this.byName.set(i.name.toLowerCase(), i.id);
    }
    for (const d of lexicon.drugs) {
      for (const n of [d.generic_name, d.inn, ...(d.names_fr ?? []), ...(d.other_names ?? []), ...(d.brands ?? [])]) {
        const key = nameKey(n ?? '');
        if (key.length >= 4 && !this.byKey.has(key) && this.ingredients.has(d.id)) this.byKey.set(key, d.id);
      }
    }
    for (const i of doc.ingredients) if (!this.byKey.has(nameKey(i.name))) this.byKey.set(nameKey(i.name), i.id);
    this.interactions = doc.interactions;
    for (const r of doc.interactions) {
      for (const side of new Set([r.a, r.b])) {
        const list = this.rulesBySide.get(side) ?? [];
        list.push(r);
        this.rulesBySide.set(side, list);
      }
    }
  }

  /** The reader's lexicon, indexed on first use (copying the knowledge base at start does not need it). */
  get lexicon(): Lexicon {
    this.lexiconIndex ??= new Lexicon(this.lexiconFile);
    return this.lexiconIndex;
  }

  get(id: string): Ingredient | undefined {
    return this.ingredients.get(id);
  }

  /** The ingredient a name (any spelling or brand of the lexicon) denotes exactly, accents and case aside. */
  findExact(name: string): Ingredient | undefined {
    const id = this.byKey.get(nameKey(name));
    return id === undefined ? undefined : this.ingredients.get(id);
  }

  idByName(name: string): string | undefined {
    return this.byName.get(name.trim().toLowerCase());
  }

  /** Every ingredient a product contains: itself and its components (recursively). */
  ingredientIds(id: string): string[] {
    const out = new Set<string>([id]);
    const walk = (x: string): void => {
      for (const c of this.ingredients.get(x)?.components ?? []) {
        if (!out.has(c)) {
          out.add(c);
          walk(c);
        }
      }
    };
    walk(id);
    return [...out];
  }

  /** The rules that name this ingredient or one of these groups on either side. */
  rulesFor(keys: Iterable<string>): Interaction[] {
    const seen = new Set<Interaction>();
    for (const k of keys) for (const r of this.rulesBySide.get(k) ?? []) seen.add(r);
    return [...seen];
  }

  sourceText(ids: readonly string[]): string {
    return ids.map((id) => this.sources.get(id)?.title.split(/[.(]/)[0]?.trim() ?? id).join('; ');
  }

  /** The document loaded into PostgreSQL (brands included). */
  document(): { sources: Source[]; ingredients: Ingredient[]; interactions: Interaction[] } {
    return {
      sources: [...this.sources.values()],
      ingredients: [...this.ingredients.values()],
      interactions: this.interactions,
    };
  }
}

const nameKey = (s: string): string => foldKey(s).replace(/[^a-z0-9]+/g, '');

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path, 'utf8')) as Record<string, unknown>;
}

let cached: KnowledgeBase | undefined;

/** The knowledge base of the repository's files (cached for the process). */
export function knowledgeBase(): KnowledgeBase {
  if (cached) return cached;
  const hash = createHash('sha256');
  for (const p of Object.values(KNOWLEDGE_FILES)) hash.update(fs.readFileSync(p, 'utf8'));
  const lexicon = loadLexiconFile();
  hash.update(lexicon.version);
  const ing = readJson(KNOWLEDGE_FILES.ingredients);
  const ddi = readJson(KNOWLEDGE_FILES.interactions);
  const src = readJson(KNOWLEDGE_FILES.sources);
  const brands = new Map(lexicon.drugs.map((d) => [d.id, d.brands ?? []]));
  const ingredients = (ing['ingredients'] as Omit<Ingredient, 'brands'>[]).map((i) => ({
    ...i,
    brands: brands.get(i.id) ?? [],
  }));
  cached = new KnowledgeBase(
    {
      version: String(ing['version']),
      ingredients,
      interactions: ddi['interactions'] as Interaction[],
      sources: src['sources'] as Source[],
    },
    lexicon,
    hash.digest('hex'),
  );
  return cached;
}

/** Copies the knowledge base into schema kb unless that version (sha256) is already there. */
export async function loadKnowledgeIntoDb(
  tx: Pick<Tx, 'query'>,
  kb: KnowledgeBase = knowledgeBase(),
): Promise<boolean> {
  return loadKnowledge(tx, kb.version, kb.sha256, JSON.stringify(kb.document()));
}
