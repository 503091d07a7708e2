/**
 * The message catalogue is complete: every key in every language, the same {{placeholders}},
 * real Khmer script in km, and an entry for every problem `code` the source can answer with
 * (found by scanning src/ for ApiError and its helpers) and every notFound('what').
 * A failure names exactly what to add and where.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOGUES, LANGUAGES, lookup, negotiateLanguage, t, type MessageKey } from '../../src/i18n/index.ts';
import { en } from '../../src/i18n/locales/en.ts';

type Tree = { readonly [k: string]: string | Tree };

function leaves(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(tree)) {
    if (typeof v === 'string') out.set(`${prefix}${k}`, v);
    else for (const [kk, vv] of leaves(v, `${prefix}${k}.`)) out.set(kk, vv);
  }
  return out;
}

const placeholders = (s: string): string[] => [...s.matchAll(/\{\{\s*([a-z_]+)\s*\}\}/gi)].map((m) => m[1]!).sort();

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (p === path.join('src', 'i18n')) return []; // the catalogue itself (its comments quote examples)
    return e.isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every problem code the source can produce, with the file that throws it. */
function codesInSource(): Map<string, string> {
  const found = new Map<string, string>();
  const patterns = [
    /new ApiError\(\s*\d{3}\s*,\s*'([a-z0-9_]+)'/g,
    /\b(?:unauthorized|badRequest|conflict)\(\s*'([a-z0-9_]+)'/g,
    /\bcode:\s*'([a-z0-9_]+)'/g, // classify() in src/http/errors.ts
    /\bcode\s*=\s*'([a-z0-9_]+)'/g, // default parameters of the helpers
  ];
  for (const file of sourceFiles('src')) {
    if (file.startsWith(path.join('src', 'reading'))) continue; // the reader's own error codes never reach HTTP
    const text = fs.readFileSync(file, 'utf8');
    const relevant = file === path.join('src', 'http', 'errors.ts') ? patterns : patterns.slice(0, 2);
    for (const re of relevant) for (const m of text.matchAll(re)) if (!found.has(m[1]!)) found.set(m[1]!, file);
  }
  // helpers in errors.ts whose code is fixed
  for (const code of ['not_found', 'forbidden', 'unauthorized', 'route_not_found'])
    found.set(code, found.get(code) ?? 'src/http/errors.ts');
  return found;
}

function notFoundNames(): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of sourceFiles('src')) {
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/\bnotFound\(\s*'([^']+)'\s*\)/g))
      found.set(m[1]!.replace(/\s+/g, '_'), file);
  }
  return found;
}

describe('message catalogue', () => {
  const reference = leaves(en);

  it('has every key of en.ts in km and fr, and no other key', () => {
    const problems: string[] = [];
    for (const lang of LANGUAGES) {
      const keys = leaves(CATALOGUES[lang] as Tree);
      for (const k of reference.keys()) if (!keys.has(k)) problems.push(`missing in src/i18n/locales/${lang}.ts: ${k}`);
      for (const k of keys.keys()) if (!reference.has(k)) problems.push(`not in en.ts but in ${lang}.ts: ${k}`);
    }
    expect(problems).toEqual([]);
    expect(reference.size).toBeGreaterThan(100);
  });

  it('every text is non-empty and has the same placeholders in every language', () => {
    const problems: string[] = [];
    for (const [key, english] of reference) {
      for (const lang of LANGUAGES) {
        const text = leaves(CATALOGUES[lang] as Tree).get(key) ?? '';
        if (text.trim() === '') problems.push(`${lang}: ${key} is empty`);
        if (placeholders(text).join() !== placeholders(english).join())
          problems.push(
            `${lang}: ${key} has {{${placeholders(text).join('}}, {{')}}} but en has {{${placeholders(english).join('}}, {{')}}}`,
          );
      }
    }
    expect(problems).toEqual([]);
  });

  it('the Khmer texts are written in Khmer script (not left in English)', () => {
    const khmer = /[\u1780-\u17FF]/;
    const notKhmer = [...leaves(CATALOGUES.km as Tree)].filter(([, v]) => !khmer.test(v)).map(([k]) => k);
    expect(notKhmer).toEqual([]);
    // and French is not left in English where the English is a sentence
    const sameAsEnglish = [...leaves(CATALOGUES.fr as Tree)]
      .filter(([k, v]) => v === reference.get(k) && v.includes(' '))
      .map(([k]) => k);
    expect(sameAsEnglish).toEqual([]);
  });

  it('has a problem.<code> text for every code the source answers with', () => {
    const codes = codesInSource();
    expect(codes.size).toBeGreaterThan(60);
    const missing = [...codes]
      .filter(([code]) => !Object.hasOwn(en.problem, code))
      .map(
        ([code, file]) =>
          `problem.${code} (thrown in ${file}): add one line to src/i18n/locales/en.ts, km.ts and fr.ts`,
      );
    expect(missing).toEqual([]);
  });

  it("has a resource.<what> for every notFound('what') in the source", () => {
    const missing = [...notFoundNames()]
      .filter(([what]) => !Object.hasOwn(en.resource, what))
      .map(
        ([what, file]) =>
          `resource.${what} (notFound in ${file}): add one line to src/i18n/locales/en.ts, km.ts and fr.ts`,
      );
    expect(missing).toEqual([]);
  });
});

describe('rendering', () => {
  it('interpolates plain {{placeholders}}, and never interprets a value', () => {
    expect(t('km', 'problem.not_found', { what: 'វេជ្ជបញ្ជា' })).toBe('រកមិនឃើញវេជ្ជបញ្ជាទេ។');
    expect(t('fr', 'problem.route_not_found', { method: 'GET', path: '/x/{{what}}/$t(problem.retry)<b>' })).toBe(
      'aucune route pour GET /x/{{what}}/$t(problem.retry)<b>',
    );
    expect(lookup('en', 'problem.no_such_code')).toBeUndefined();
    expect(lookup('fr', 'status.404')).toBe('Introuvable');
  });

  it('a text asked for again without parameters is the same as i18next renders it (kept texts never differ)', () => {
    const problems: string[] = [];
    for (const lang of LANGUAGES) {
      for (const key of leaves(CATALOGUES[lang] as Tree).keys()) {
        const rendered = t(lang, key as MessageKey, {}); // with parameters: always through i18next
        const first = t(lang, key as MessageKey);
        const again = t(lang, key as MessageKey);
        if (first !== rendered || again !== rendered || lookup(lang, key) !== rendered)
          problems.push(`${lang}: ${key}`);
      }
    }
    expect(problems).toEqual([]);
    expect(t('en', 'slot.morning')).toBe('morning');
    expect(t('km', 'slot.morning')).toBe('ព្រឹក');
    expect(lookup('fr', 'purpose.no_such_class')).toBeUndefined();
    expect(lookup('fr', 'purpose')).toBeUndefined(); // a branch, not a text
  });

  it('negotiates Accept-Language by q value, among km, en and fr only', () => {
    expect(negotiateLanguage('fr-FR,fr;q=0.9,en;q=0.8')).toBe('fr');
    expect(negotiateLanguage('de-DE, en;q=0.5, km;q=0.7')).toBe('km');
    expect(negotiateLanguage('en-US,en;q=0.9')).toBe('en');
    expect(negotiateLanguage('KM')).toBe('km');
    expect(negotiateLanguage('de, *;q=0.1')).toBeUndefined();
    expect(negotiateLanguage('fr;q=0, en;q=0.2')).toBe('en');
    expect(negotiateLanguage('')).toBeUndefined();
    expect(negotiateLanguage(undefined)).toBeUndefined();
    expect(negotiateLanguage('x'.repeat(5000))).toBeUndefined();
  });
});
