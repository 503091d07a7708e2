/**
 * A line whose medicine name the lexicon does not know — a short brand printed with its
 * strength ("Pan 40mg") — is kept as printed with a low confidence, never dropped; form words
 * and dosing words are not taken for names. The list layout is read from OCR lines (test/support/list-page.ts).
 */
import { describe, expect, it } from 'vitest';
import { UNKNOWN_NAME_MAX_CONFIDENCE } from '../../src/reading/confidence.ts';
import { readList } from '../../src/reading/layouts/list.ts';
import { plausibleName } from '../../src/reading/lexicon/match.ts';
import { listPage as analysis } from '../support/list-page.ts';

describe('names the lexicon does not know', () => {
  it('a short brand with its strength is kept as printed, flagged low-confidence', async () => {
    const meds = await readList(
      analysis(['1. Omeprazole 20mg 1-0-1 x 7 days', '2. Pan 40mg 1-0-0 x 14 days', '3. Zyx 5mg 0-0-1 x 10 days']),
    );
    expect(meds.map((m) => m.name)).toEqual(['Omeprazole', 'Pan', 'Zyx']);
    const pan = meds[1];
    expect(pan).toMatchObject({ strength: '40mg', drug_id: null, generic_name: null, duration_days: 14 });
    expect(pan?.confidence).toBeLessThanOrEqual(UNKNOWN_NAME_MAX_CONFIDENCE);
    expect(meds[0]?.drug_id).toBe('omeprazole');
    expect(meds[0]?.confidence).toBeGreaterThan(pan?.confidence ?? 1);
  });

  it('form and dosing words with a number are not taken for a medicine', async () => {
    const meds = await readList(
      analysis(['Tab 500mg 1-0-1 x 5 days', 'Tab1et 20mg 1-0-1 x 5 days', 'Take 2mg 1-0-0 x 3 days']),
    );
    expect(meds).toEqual([]);
  });

  it('plausibleName', () => {
    expect(plausibleName('Pan')).toBe(true);
    expect(plausibleName('Vandorix')).toBe(true);
    expect(plausibleName('Tab')).toBe(false);
    expect(plausibleName('TABLET')).toBe(false);
    expect(plausibleName('Tab1et')).toBe(false);
    expect(plausibleName('Caps')).toBe(false);
    expect(plausibleName('Sig')).toBe(false);
    expect(plausibleName('Rx')).toBe(false);
  });
});
