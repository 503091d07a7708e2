/**
 * A line whose medicine name the lexicon does not know — a short brand printed with its
 * strength ("Pan 40mg") — is kept as printed with a low confidence, never dropped; form words
 * and dosing words are not taken for names. The list layout is read from OCR lines built here.
 */
import { describe, expect, it } from 'vitest';
import { UNKNOWN_NAME_MAX_CONFIDENCE } from '../../src/reading/confidence.ts';
import { readList } from '../../src/reading/layouts/list.ts';
import type { PageAnalysis } from '../../src/reading/layouts/types.ts';
import { loadLexiconFile } from '../../src/reading/lexicon/load.ts';
import { Lexicon, plausibleName } from '../../src/reading/lexicon/match.ts';
import type { OcrLine, OcrPage, OcrWord } from '../../src/reading/ocr.ts';
import { detectRulings } from '../../src/reading/rulings.ts';

const lexicon = new Lexicon(loadLexiconFile());

/** OCR lines as the engine gives them: words left to right, one line every 60 px. */
function pageOf(texts: string[]): OcrPage {
  const words: OcrWord[] = [];
  const lines: OcrLine[] = texts.map((text, li) => {
    let x = 40;
    const y0 = 100 + li * 60;
    const lw = text.split(' ').map((t) => {
      const w: OcrWord = { text: t, conf: 90, bbox: { x0: x, y0, x1: x + t.length * 18, y1: y0 + 32 }, line: li };
      x += t.length * 18 + 14;
      return w;
    });
    words.push(...lw);
    return { text, conf: 90, bbox: { x0: 40, y0, x1: x, y1: y0 + 32 }, words: lw };
  });
  return { words, lines, text: texts.join('\n'), confidence: 90 };
}

function analysis(texts: string[]): PageAnalysis {
  const image = { width: 1200, height: 900, data: new Uint8Array(1200 * 900).fill(255) };
  return {
    page: pageOf(texts),
    image,
    rulings: detectRulings(image),
    table: null,
    textHeight: 32,
    boxes: [],
    lexicon,
    ocrCell: () => Promise.resolve(null),
  };
}

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
