/**
 * The matcher on the repository lexicon (1,500+ brand products): OCR confusions, brand +
 * strength, names cut short or with the strength glued on, the candidate index against a full
 * scan, and false matches (words printed on prescriptions that are not medicines must not match).
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadLexiconFile } from '../../src/reading/lexicon/load.ts';
import { keyOf, Lexicon, strengthListed } from '../../src/reading/lexicon/match.ts';
import { ocrDistance, ocrSkeleton } from '../../src/reading/lexicon/ocr-distance.ts';

const file = loadLexiconFile();
const lex = new Lexicon(file);
const id = (name: string, strength?: string): string | null => lex.match(name, strength)?.drug.id ?? null;

describe('OCR confusions', () => {
  it.each([
    ['Arnlodipine', 'amlodipine'], // rn ~ m
    ['Omeprazo1e', 'omeprazole'], // l ~ 1
    ['0meprazole', 'omeprazole'], // O ~ 0
    ['IBUPROFEN', 'ibuprofen'],
    ['Dic1ofenac', 'diclofenac'],
    ['Cloxaci11in', 'cloxacillin'],
    ['Metforrnin', 'metformin'],
    ['5ERETIDE', 'salmeterol-fluticasone'], // 5 ~ S
    ['Augrnentin', 'amoxicillin-clavulanic-acid'],
    ['Klarnentin', 'amoxicillin-clavulanic-acid'],
    ['Ceftriaxonc', 'ceftriaxone'], // e ~ c
    ['Arnoxicilline', 'amoxicillin'],
    ['Pantoprazoie', 'pantoprazole'], // l ~ i
    ['Atorvastatln', 'atorvastatin'],
  ])('%s → %s', (printed, want) => {
    expect(id(printed)).toBe(want);
  });

  it('corrects the printed name to the lexicon spelling only for OCR confusions', () => {
    expect(lex.match('Arnlodipine 5mg')?.corrected).toBe('Amlodipine 5mg');
    expect(lex.match('KLAMENT1N')?.corrected).toBe('KLAMENTIN');
    // A spelling variant is kept as printed.
    expect(lex.match('Amoxicilin')?.changed).toBe(false);
  });

  it('corrects what OCR does to handwritten capitals: a thin letter lost, O/U, IV/W', () => {
    expect(lex.match('CARBMAZOLE 5mg')?.corrected).toBe('CARBIMAZOLE 5mg'); // I lost
    expect(lex.match('EZETMIBE')?.corrected).toBe('EZETIMIBE');
    expect(lex.match('NFOROXAZIDE')?.corrected).toBe('NIFUROXAZIDE'); // I lost, U read O
    expect(lex.match('ALFO20SIN')?.corrected).toBe('ALFUZOSIN'); // U read O, Z read 2
    expect(lex.match('WERMECTIN')?.corrected).toBe('IVERMECTIN'); // IV run together
    expect(lex.match('ROSOVASTATIN')?.corrected).toBe('ROSUVASTATIN');
    // Not for a letter beside the same letter (a spelling), nor for other letters.
    expect(lex.match('AMOXICILIN')?.changed).toBe(false);
    expect(lex.match('Amoxicilin')?.changed).toBe(false);
    expect(lex.match('THIRMAZOLE')?.changed).toBe(false);
  });
});

describe('brands and strengths', () => {
  it('matches a brand to its molecule, with its product (maker, strengths)', () => {
    const m = lex.match('Klamentin 625mg');
    expect(m?.drug.id).toBe('amoxicillin-clavulanic-acid');
    expect(m?.kind).toBe('brand');
    expect(m?.product?.maker).toBe('DHG Pharma');
    expect(lex.match('Nexium', '40mg')).toMatchObject({ strengthKnown: true, product: { brand: 'Nexium' } });
    expect(lex.match('Nexium', '75mg')?.strengthKnown).toBe(false);
    expect(lex.match('Nexium')?.strengthKnown).toBeNull();
  });

  it('a short brand misread by one OCR confusion matches only with a strength it is sold in', () => {
    // Ocid (omeprazole, 4 letters): "0cid" alone is too short to guess.
    expect(id('0cid')).toBeNull();
    expect(id('0cid', '20mg')).toBe('omeprazole');
    expect(id('0cid', '500mg')).toBeNull();
    expect(id('Razo', '20mg')).toBe('rabeprazole');
  });

  it('compares strengths written differently', () => {
    expect(strengthListed('500 MG', ['500mg'])).toBe(true);
    expect(strengthListed('0.5g', ['500mg'])).toBe(true);
    expect(strengthListed('1g', ['1000mg'])).toBe(true);
    expect(strengthListed('500mg', ['500mg+125mg'])).toBe(true);
    expect(strengthListed('120mg', ['120mg/5ml'])).toBe(false);
    expect(strengthListed('250mg', ['500mg'])).toBe(false);
  });
});

describe('prefixes', () => {
  it('a generic name cut short, or with its strength glued on, matches with a lower similarity', () => {
    const cut = lex.match('Amoxicil');
    expect(cut).toMatchObject({ method: 'prefix', drug: { id: 'amoxicillin' }, changed: false });
    expect(cut?.similarity).toBeLessThan(0.9);
    expect(lex.match('Amlodipine5mg')).toMatchObject({ method: 'prefix', drug: { id: 'amlodipine' } });
    expect(lex.match('Paracetamol500')?.drug.id).toBe('paracetamol');
  });

  it('no guess when the cut name starts two molecules equally, and brands are not cut', () => {
    // "Control" starts the brand Controloc (pantoprazole): a word, not a cut brand.
    expect(lex.match('Control')).toBeNull();
    expect(lex.match('Amox')).toBeNull();
  });
});

describe('candidate index', () => {
  /** Each name with one OCR confusion, deterministic. */
  const CONFUSE: Array<[RegExp, string]> = [
    [/m/, 'rn'],
    [/l/, '1'],
    [/o/, '0'],
    [/d/, 'cl'],
    [/s/, '5'],
    [/e/, 'c'],
    [/i/, 'l'],
  ];
  const names = file.drugs.flatMap((d, k) =>
    [d.generic_name, ...(d.brands ?? [])].map((n, j) => {
      const [re, to] = CONFUSE[(k + j) % CONFUSE.length] ?? [/x/, 'x'];
      return n.replace(re, to);
    }),
  );

  it('gives the same matches as comparing with every entry (every tenth name of the lexicon, misread)', () => {
    expect(names.length).toBeGreaterThan(2000);
    const sample = names.filter((_, i) => i % 10 === 0);
    const differ = sample.filter((n) => lex.match(n)?.drug.id !== lex.match(n, null, { fullScan: true })?.drug.id);
    expect(differ).toEqual([]);
  });

  it('finds the right molecule for ≥ 97 % of the misread names (every third)', () => {
    const owners = file.drugs.flatMap((d) => [d.generic_name, ...(d.brands ?? [])].map(() => d.id));
    let right = 0;
    let tried = 0;
    for (let k = 0; k < names.length; k += 3) {
      tried++;
      if (lex.match(names[k] ?? '')?.drug.id === owners[k]) right++;
    }
    expect(tried).toBeGreaterThan(600);
    expect(right / tried).toBeGreaterThanOrEqual(0.97);
  });
});

describe('distance with a limit', () => {
  it('stops early only when the distance is over the limit, and is exact otherwise', () => {
    const keys = file.drugs.map((d) => keyOf(d.generic_name)).filter((_, i) => i % 7 === 0);
    const wrong: string[] = [];
    for (let i = 0; i + 1 < keys.length; i++) {
      const a = keys[i] ?? '';
      const b = (keys[i + 1] ?? '').replace('m', 'rn');
      for (const pair of [
        [a, b],
        [a, a.replace('l', '1')],
        [b, a],
      ] as const) {
        const full = ocrDistance(pair[0], pair[1]);
        for (const max of [0.3, 1, 2.5]) {
          const limited = ocrDistance(pair[0], pair[1], max);
          if (full <= max ? Math.abs(limited - full) > 1e-9 : limited <= max)
            wrong.push(`${pair[0]}/${pair[1]} max ${max}: ${limited} vs ${full}`);
        }
      }
    }
    expect(keys.length).toBeGreaterThan(50);
    expect(wrong).toEqual([]);
  });

  it('the handwriting costs only lower the distance, with the same early stop', () => {
    expect(ocrDistance('carbmazole', 'carbimazole')).toBe(1);
    expect(ocrDistance('carbmazole', 'carbimazole', Infinity, true)).toBeCloseTo(0.4);
    expect(ocrDistance('amoxicilin', 'amoxicillin', Infinity, true)).toBeGreaterThan(0.6);
    const keys = file.drugs.map((d) => keyOf(d.generic_name)).filter((_, i) => i % 11 === 0);
    const wrong: string[] = [];
    for (let i = 0; i + 1 < keys.length; i++) {
      const a = keys[i] ?? '';
      for (const b of [keys[i + 1] ?? '', a.replace('i', ''), a.replace('u', 'o')]) {
        const full = ocrDistance(a, b, Infinity, true);
        if (full > ocrDistance(a, b) + 1e-9) wrong.push(`${a}/${b}: hand ${full} over print`);
        for (const max of [0.3, 1, 2.5]) {
          const limited = ocrDistance(a, b, max, true);
          if (full <= max ? Math.abs(limited - full) > 1e-9 : limited <= max)
            wrong.push(`${a}/${b} max ${max}: ${limited} vs ${full}`);
        }
      }
    }
    expect(keys.length).toBeGreaterThan(40);
    expect(wrong).toEqual([]);
  });

  it('OCR skeletons collapse the confusions the index must see through', () => {
    expect(ocrSkeleton('arnlodipine')).toBe(ocrSkeleton('amlodipine'));
    expect(ocrSkeleton('0meprazo1e')).toBe(ocrSkeleton('omeprazole'));
    expect(ocrSkeleton('5eretide')).toBe(ocrSkeleton('seretide'));
    expect(ocrSkeleton('amlodipine')).not.toBe(ocrSkeleton('amiodarone'));
  });
});

describe('false matches', () => {
  const words = fs
    .readFileSync(new URL('./fixtures/non-drug-words.txt', import.meta.url), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

  it('no word printed on prescriptions that is not a medicine matches the lexicon', () => {
    expect(words.length).toBeGreaterThanOrEqual(200);
    const matched = words
      .map((w) => [w, lex.match(w)] as const)
      .filter(([, m]) => m !== null)
      .map(([w, m]) => `${w} -> ${m?.variant ?? ''}`);
    expect(matched).toEqual([]);
  });

  it('nor with one OCR confusion in it', () => {
    const misread = words.map((w) => w.replace(/l/, '1').replace(/o/, '0'));
    const matched = misread
      .map((w) => [w, lex.match(w)] as const)
      .filter(([, m]) => m !== null)
      .map(([w, m]) => `${w} -> ${m?.variant ?? ''}`);
    expect(matched).toEqual([]);
  });
});
