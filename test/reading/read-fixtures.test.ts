/**
 * End-to-end: the two real photos (hand-checked truth in shared/fixtures) must come out fully
 * right; the synthetic ones (test/reading/fixtures, made by synth/generate.ts and the harder
 * synth/variants.ts: borderless, hours-only, free-text dosing, ½ doses, upside down) measure
 * generality. One warm reader is shared by the whole file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReader, type PrescriptionReader } from '../../src/reading/index.ts';
import { scoreReading } from './score.ts';
import { sharedPrescriptions } from '../support/shared-fixtures.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const REAL_DIR = sharedPrescriptions('the real-photo cases of test/reading/read-fixtures.test.ts') ?? '';
const SYNTH_DIR = path.join(here, 'fixtures');
const LEXICON = path.join(here, 'fixtures', 'lexicon-small.json');

const real = REAL_DIR !== '' ? fs.readdirSync(REAL_DIR).filter((f) => f.endsWith('.png')) : [];
const synth = fs.readdirSync(SYNTH_DIR).filter((f) => /^synth-.*\.jpg$/.test(f));

let reader: PrescriptionReader;
beforeAll(async () => {
  reader = await createReader({ lexiconPath: LEXICON, workers: 1, logger: { warn: () => undefined } });
});
afterAll(async () => {
  await reader.close();
});

function truthOf(dir: string, image: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(dir, image.replace(/\.(png|jpg)$/, '.json')), 'utf8')) as Record<
    string,
    unknown
  >;
}

describe.skipIf(real.length === 0)('real prescription photos', () => {
  it.each(real)('%s: every field of the truth is read right', async (image) => {
    const truth = truthOf(REAL_DIR, image);
    const result = await reader.read(fs.readFileSync(path.join(REAL_DIR, image)));
    const score = scoreReading(truth, result);
    const wrong = [...score.headerFields, ...score.medFields].filter((f) => !f.ok);
    expect(wrong).toEqual([]);
    expect(score.extraMedications).toBe(0);
    expect(result.layout).toBe('table');
    // Contract shape.
    for (const m of result.medications) {
      expect(m.confidence).toBeGreaterThan(0);
      expect(m.confidence).toBeLessThanOrEqual(1);
      expect(m.duration_days).not.toBeNull();
    }
    expect(result.ocr.languages).toContain('eng');
    expect(result.raw_text.length).toBeGreaterThan(50);
  });

  it('fills duration_days from quantity ÷ daily doses', async () => {
    const image = real.find((f) => f.startsWith('ksfh'));
    if (image === undefined) return;
    const result = await reader.read(fs.readFileSync(path.join(REAL_DIR, image)));
    expect(result.medications.map((m) => m.duration_days)).toEqual([7, 7, 7, 7]);
    expect(result.medications[0]?.generic_name).toBe('butylscopolamine');
  });
});

describe('synthetic prescriptions (rendered, tilted, blurred, shadowed, JPEG)', () => {
  it.each(synth)('%s: ≥ 90 %% of the medication fields, nothing invented', async (image) => {
    const truth = truthOf(SYNTH_DIR, image);
    const result = await reader.read(fs.readFileSync(path.join(SYNTH_DIR, image)));
    const score = scoreReading(truth, result);
    expect(score.extraMedications).toBe(0);
    expect(score.medAccuracy).toBeGreaterThanOrEqual(0.9);
    if (image.includes('tick-form')) expect(result.layout).toBe('tick_form');
  });
});
