/**
 * End-to-end on the generated benchmark (test/reading/synth/layouts.ts): one photo per layout,
 * made at test time from a seed that neither tuning (1) nor the report (2) uses, and a table
 * row with a name no lexicon has. The full set (≥ 200 photos, per-layout figures) is in
 * `npm run bench:read`; this file keeps `npm test` short.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReader, type PrescriptionReader } from '../../src/reading/index.ts';
import { UNKNOWN_NAME_MAX_CONFIDENCE } from '../../src/reading/confidence.ts';
import { DEFAULT_LEXICON_PATH } from '../../src/reading/lexicon/load.ts';
import { scoreReading } from './score.ts';
import { generateSample, LAYOUTS } from './synth/layouts.ts';

const SEED = 3;
let reader: PrescriptionReader;
beforeAll(async () => {
  reader = await createReader({ lexiconPath: DEFAULT_LEXICON_PATH, workers: 1, logger: { warn: () => undefined } });
});
afterAll(async () => {
  await reader.close();
});

describe('generated prescriptions, one per layout', () => {
  let ok = 0;
  let all = 0;
  it.each(LAYOUTS.map((l, i) => [l, i] as const))('%s: medications found, most fields right', async (layout, index) => {
    const s = await generateSample(SEED, index, { degradation: 'flat' });
    const res = await reader.read(s.jpeg);
    const sc = scoreReading(s.truth as unknown as Record<string, unknown>, res);
    ok += sc.medFields.filter((f) => f.ok).length;
    all += sc.medFields.length + sc.extraMedications * 7;
    expect(res.medications.length).toBeGreaterThan(0);
    // The handwriting font is read worst (its 1 comes out as ")" or "¥"): a lower bar, measured.
    const bar = layout === 'handwritten' ? 0.4 : 0.6;
    expect(sc.nameAccuracy).toBeGreaterThanOrEqual(bar);
    expect(sc.medAccuracy).toBeGreaterThanOrEqual(bar);
  });
  it('all layouts together: ≥ 85 % of the medication fields', () => {
    expect(all).toBeGreaterThan(0);
    expect(ok / all).toBeGreaterThanOrEqual(0.85);
  });
});

describe('a row whose drug name no lexicon knows', () => {
  it.each([
    ['ruled Khmer table', 0],
    ['clinic list', 3],
  ] as const)('%s: kept as printed, with a low confidence', async (_what, index) => {
    const s = await generateSample(SEED, index, { unknownFirst: true, degradation: 'flat' });
    const unknown = String(s.truth.medications[0]?.['name']);
    const res = await reader.read(s.jpeg);
    const row = res.medications.find((m) => m.name.toLowerCase().includes(unknown.toLowerCase()));
    expect(row, `${unknown} dropped; read: ${res.medications.map((m) => m.name).join(', ')}`).toBeDefined();
    expect(row?.generic_name).toBeNull();
    expect(row?.drug_id).toBeNull();
    expect(row?.confidence).toBeLessThanOrEqual(UNKNOWN_NAME_MAX_CONFIDENCE);
    const known = res.medications.filter((m) => m.drug_id !== null);
    expect(known.length).toBeGreaterThan(0);
  });
});
