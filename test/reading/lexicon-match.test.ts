/** The lexicon loader and the fuzzy matcher (OCR-weighted edit distance). */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LEXICON_PATH, loadLexiconFile, parseLexicon } from '../../src/reading/lexicon/load.ts';
import { Lexicon } from '../../src/reading/lexicon/match.ts';
import { ocrDistance } from '../../src/reading/lexicon/ocr-distance.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const lex = new Lexicon(loadLexiconFile(path.join(here, 'fixtures', 'lexicon-small.json')));

describe('OCR-weighted distance', () => {
  it('OCR confusions cost less than other edits', () => {
    expect(ocrDistance('omeprazo1e', 'omeprazole')).toBeLessThan(0.5);
    expect(ocrDistance('arnlodipine', 'amlodipine')).toBeLessThan(0.5);
    expect(ocrDistance('c1ose', 'close')).toBeLessThan(0.5);
    expect(ocrDistance('omeprazine', 'omeprazole')).toBeGreaterThanOrEqual(2);
  });
});

describe('matching names', () => {
  it('exact generic, French and brand names', () => {
    expect(lex.match('Omeprazole')).toMatchObject({ exact: true, changed: false });
    expect(lex.match('Paracétamol')?.drug.id).toBe('paracetamol');
    expect(lex.match('Panadol')?.drug.generic_name).toBe('paracetamol');
    expect(lex.match('Multivitamine Tablet')?.drug.id).toBe('multivitamin');
  });
  it('corrects OCR errors to the lexicon spelling', () => {
    const m = lex.match('Omeprazo1e');
    expect(m?.drug.id).toBe('omeprazole');
    expect(m?.corrected).toBe('Omeprazole');
    expect(lex.match('Arnlodipine')?.corrected).toBe('Amlodipine');
    expect(lex.match('Butylscopo1amine')?.corrected).toBe('Butylscopolamine');
  });
  it('keeps a real spelling variant as printed', () => {
    const m = lex.match('Multivitamins');
    expect(m?.drug.id).toBe('multivitamin');
    expect(lex.match('Amoxicilin')?.changed).toBe(false);
    expect(lex.match('Amoxicilin')?.drug.id).toBe('amoxicillin');
  });
  it('unknown names give no match (kept as printed, generic_name null)', () => {
    expect(lex.match('Celcoxx')).toBeNull();
    expect(lex.match('Tablet')).toBeNull();
    expect(lex.match('Xyzzy')).toBeNull();
  });
  it('keeps the words around the drug name', () => {
    expect(lex.match('Calcium amp Tablet')).toMatchObject({ exact: true, corrected: 'Calcium amp Tablet' });
  });
});

describe('loading', () => {
  it('skips malformed entries and rejects a non-lexicon', () => {
    const l = parseLexicon({
      version: '1',
      drugs: [{ id: 'a', generic_name: 'alpha' }, { id: 3 }, null, { generic_name: 'x' }],
    });
    expect(l.drugs.map((d) => d.id)).toEqual(['a']);
    expect(() => parseLexicon({ drugs: 'no' })).toThrow();
    expect(() => parseLexicon(null)).toThrow();
  });
  it.skipIf(!fs.existsSync(DEFAULT_LEXICON_PATH))(
    'the repository lexicon loads and every entry is matchable by its generic name',
    () => {
      const file = loadLexiconFile();
      const real = new Lexicon(file);
      expect(file.drugs.length).toBeGreaterThanOrEqual(300);
      for (const d of file.drugs.slice(0, 400)) {
        if (d.generic_name.replace(/[^a-z]/gi, '').length < 5) continue;
        expect(real.match(d.generic_name)?.drug.generic_name).toBeDefined();
      }
    },
  );
});
