/**
 * The lexicon's brand products (src/reading/lexicon/drugs.json `products`): one brand of one
 * molecule, with the strengths it is sold in, its maker and the sources it can be checked
 * against; and the agreement of the lexicon with the safety knowledge base
 * (src/safety/knowledge/ingredients.json), whose brands come from these products.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { knowledgeBase } from '../../src/safety/knowledge.ts';

interface Product {
  id: string;
  brand: string;
  drug: string;
  strengths: string[];
  maker: string | null;
  sources: string[];
}

interface Doc {
  sources: Array<{ id: string }>;
  drugs: Array<{ id: string; deprecated?: boolean }>;
  products: Product[];
}

const doc = JSON.parse(
  fs.readFileSync(new URL('../../src/reading/lexicon/drugs.json', import.meta.url), 'utf8'),
) as Doc;
const kbRows = (
  JSON.parse(fs.readFileSync(new URL('../../src/safety/knowledge/ingredients.json', import.meta.url), 'utf8')) as {
    ingredients: Array<{ id: string }>;
  }
).ingredients;

/** Lexicon molecules the knowledge base does not describe (none today); each needs a reason here. */
const OUTSIDE_KB: readonly string[] = [];

const AMOUNT = String.raw`\d+(?:\.\d+)?(?:mg|g|mcg|ml|IU|%|mmol)`;
const STRENGTH = new RegExp(
  String.raw`^(?:${AMOUNT}(?:\+${AMOUNT})*(?:\/(?:\d+(?:\.\d+)?)?(?:mg|g|ml|l|dose|drop))?|\d+\/\d+)$`,
);
const fold = (s: string): string =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');
const slug = (s: string): string =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

const products = doc.products;

describe('lexicon products', () => {
  it('has at least 1,500 brand products (and at least 1,500 entries with the molecules)', () => {
    expect(products.length).toBeGreaterThanOrEqual(1500);
    expect(products.length + doc.drugs.length).toBeGreaterThanOrEqual(1500);
  });

  it('has exactly the documented fields, with unique slug ids made from the brand', () => {
    const keys = ['brand', 'drug', 'id', 'maker', 'sources', 'strengths'];
    const bad = products.filter((p) => JSON.stringify(Object.keys(p).sort()) !== JSON.stringify(keys)).map((p) => p.id);
    expect(bad).toEqual([]);
    expect(products.filter((p) => p.id !== slug(p.brand)).map((p) => p.id)).toEqual([]);
    expect(new Set(products.map((p) => p.id)).size).toBe(products.length);
  });

  it('names each brand once (folded), never under three letters', () => {
    const seen = new Map<string, string>();
    const dup: string[] = [];
    for (const p of products) {
      const k = fold(p.brand);
      if (k.length < 3) dup.push(`${p.brand}: too short`);
      const prev = seen.get(k);
      if (prev !== undefined) dup.push(`${p.brand} (${p.drug}) = ${prev}`);
      seen.set(k, `${p.brand} (${p.drug})`);
    }
    expect(dup).toEqual([]);
  });

  it('maps every brand to a live lexicon molecule', () => {
    const drugs = new Map(doc.drugs.map((d) => [d.id, d]));
    expect(products.filter((p) => drugs.get(p.drug) === undefined).map((p) => `${p.brand} -> ${p.drug}`)).toEqual([]);
    expect(products.filter((p) => drugs.get(p.drug)?.deprecated === true).map((p) => p.brand)).toEqual([]);
  });

  it('records the sources of every entry, all declared; the maker cited only when named', () => {
    const declared = new Set(doc.sources.map((s) => s.id));
    const problems: string[] = [];
    for (const p of products) {
      if (p.sources.length === 0) problems.push(`${p.brand}: no source`);
      for (const s of p.sources) if (!declared.has(s)) problems.push(`${p.brand}: undeclared ${s}`);
      if (new Set(p.sources).size !== p.sources.length) problems.push(`${p.brand}: repeated source`);
      if (p.maker !== null && (typeof p.maker !== 'string' || p.maker.trim() === ''))
        problems.push(`${p.brand}: empty maker`);
      if (p.sources.includes('manufacturer') && p.maker === null)
        problems.push(`${p.brand}: cites the maker without naming it`);
    }
    expect(problems).toEqual([]);
    // Most brands added since 2026.12 name their maker and their strengths.
    expect(products.filter((p) => p.maker !== null).length).toBeGreaterThanOrEqual(600);
    expect(products.filter((p) => p.strengths.length > 0).length).toBeGreaterThanOrEqual(600);
  });

  it('writes strengths in the normalised form, each once', () => {
    const bad = products.flatMap((p) => p.strengths.filter((s) => !STRENGTH.test(s)).map((s) => `${p.brand}: ${s}`));
    expect(bad).toEqual([]);
    expect(products.filter((p) => new Set(p.strengths).size !== p.strengths.length).map((p) => p.brand)).toEqual([]);
  });
});

describe('lexicon and safety knowledge base agree', () => {
  const kbIds = new Set(kbRows.map((r) => r.id));

  it('every lexicon molecule has a knowledge-base row, or is named as outside it', () => {
    const missing = doc.drugs.map((d) => d.id).filter((id) => !kbIds.has(id) && !OUTSIDE_KB.includes(id));
    expect(missing).toEqual([]);
    // The exceptions are real exceptions: not in the KB, but in the lexicon.
    expect(OUTSIDE_KB.filter((id) => kbIds.has(id) || !doc.drugs.some((d) => d.id === id))).toEqual([]);
  });

  it('the knowledge base lists, per ingredient, exactly the brands of the lexicon products', () => {
    const kb = knowledgeBase();
    const want = new Map<string, string[]>();
    for (const p of products) want.set(p.drug, [...(want.get(p.drug) ?? []), p.brand]);
    const wrong: string[] = [];
    for (const d of doc.drugs) {
      const got = kb.get(d.id)?.brands ?? [];
      if (JSON.stringify(got) !== JSON.stringify(want.get(d.id) ?? [])) wrong.push(d.id);
    }
    expect(wrong).toEqual([]);
    // A brand finds its ingredient in free text (the safety checks' exact look-up).
    expect(kb.findExact('Klamentin')?.id).toBe('amoxicillin-clavulanic-acid');
    expect(kb.findExact('NEXIUM')?.id).toBe('esomeprazole');
  });
});
