/**
 * The failure classes of the generated benchmark, one by one, on hand-made inputs (no OCR):
 * hard shadows, blur, hour headers glued into one word, garbled duration cells, Khmer meal
 * words with an OCR confusion, accents swapped by the OCR, a numbered handwritten line whose
 * unknown name has no readable strength, tick-box forms photographed at a tilt.
 */
import { describe, expect, it } from 'vitest';
import type { GrayImage } from '../../src/reading/image-ops.ts';
import { flattenIllumination, isBlurred } from '../../src/reading/illumination.ts';
import { parseDurationCell, readDurationCell } from '../../src/reading/duration-cell.ts';
import { findHeader } from '../../src/reading/table-header.ts';
import { matchMeal } from '../../src/reading/vocab.ts';
import { Lexicon, EMPTY_LEXICON } from '../../src/reading/lexicon/match.ts';
import { DEFAULT_LEXICON_PATH, loadLexiconFile } from '../../src/reading/lexicon/load.ts';
import { splitNameLine } from '../../src/reading/line-grammar.ts';
import { readList } from '../../src/reading/layouts/list.ts';
import type { PageAnalysis } from '../../src/reading/layouts/types.ts';
import type { OcrLine, OcrWord } from '../../src/reading/ocr.ts';
import { readTickForm } from '../../src/reading/tickform.ts';
import type { TickBox } from '../../src/reading/tickbox.ts';
import { UNKNOWN_NAME_MAX_CONFIDENCE } from '../../src/reading/confidence.ts';

/** A 1000×800 page: paper 235, ink bars (text lines) of 10 px every 60 px, 0.45 shadow right of x = 500 + y/8. */
function shadowedPage(): { img: GrayImage; edge: (y: number) => number } {
  const w = 1000;
  const h = 800;
  const data = new Uint8Array(w * h);
  const edge = (y: number): number => 500 + y / 8;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const ink = y % 60 >= 25 && y % 60 < 35 && x % 40 < 25;
      const v = ink ? 30 : 235;
      data[y * w + x] = x > edge(y) ? Math.round(v * 0.45) : v;
    }
  }
  return { img: { data, width: w, height: h }, edge };
}

/** Vertical bars, sharp or smeared over `ramp` pixels. */
function bars(ramp: number): GrayImage {
  const w = 800;
  const h = 200;
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = x % 40;
      const d = p < 10 ? 0 : Math.min(p - 10, 40 - p);
      data[y * w + x] = ramp === 0 ? (p < 10 ? 20 : 240) : Math.round(20 + Math.min(1, d / ramp) * 220);
    }
  }
  return { data, width: w, height: h };
}

describe('illumination', () => {
  it('a hard shadow leaves no dark band along its edge (paper stays white on both sides)', () => {
    const { img, edge } = shadowedPage();
    const out = flattenIllumination(img);
    let dark = 0;
    let paper = 0;
    for (let y = 0; y < img.height; y++) {
      if (y % 60 >= 20 && y % 60 < 40) continue; // the ink rows
      for (let dx = -40; dx <= 40; dx += 4) {
        const x = Math.round(edge(y) + dx);
        if (Math.abs(dx) < 6) continue; // the step itself
        paper++;
        if ((out.data[y * out.width + x] ?? 0) < 170) dark++;
      }
    }
    expect(paper).toBeGreaterThan(1000);
    expect(dark / paper).toBeLessThan(0.02);
  });

  it('ink stays dark in the shadow', () => {
    const { img } = shadowedPage();
    const out = flattenIllumination(img);
    // An ink pixel deep in the shadow (x = 900, a bar row) and one in the light.
    expect(out.data[30 * out.width + 885] ?? 255).toBeLessThan(90);
    expect(out.data[30 * out.width + 5] ?? 255).toBeLessThan(90);
  });

  it('tells a blurred page from a sharp one by its edges', () => {
    expect(isBlurred(bars(0))).toBe(false);
    expect(isBlurred(bars(2))).toBe(false);
    expect(isBlurred(bars(8))).toBe(true);
  });
});

describe('cell grammar', () => {
  it('duration cells: a number and a day word is clean, a glued garble is not', () => {
    expect(parseDurationCell('7 ថ្ងៃ')).toEqual({ days: 7, clean: true, digits: '7' });
    expect(parseDurationCell('10 days').days).toBe(10);
    expect(parseDurationCell('14').clean).toBe(true);
    expect(parseDurationCell('51g')).toEqual({ days: 51, clean: false, digits: '51' });
  });

  it('a garbled duration is read again, else taken from the quantity when its digits agree', async () => {
    expect(await readDurationCell('51g', async () => '5 ថ្ងៃ', 15, 3)).toBe(5);
    expect(await readDurationCell('51g', async () => null, 15, 3)).toBe(5);
    expect(await readDurationCell('71g', async () => null, 15, 3)).toBe(71);
    let asked = false;
    expect(
      await readDurationCell(
        '7 days',
        async () => {
          asked = true;
          return null;
        },
        14,
        2,
      ),
    ).toBe(7);
    expect(asked).toBe(false);
  });

  it('Khmer meal words with បា read as ហ still match', () => {
    expect(matchMeal('មុនហយ')).toMatchObject({ before: true, after: false });
    expect(matchMeal('ក្រោយហយ')).toMatchObject({ before: false, after: true });
    expect(matchMeal('ហយ')).toBeNull();
  });

  it('hour headers read as one word are split into their columns', () => {
    const word = (text: string, x0: number, x1: number, y = 100): OcrWord => ({
      text,
      conf: 90,
      bbox: { x0, y0: y, x1, y1: y + 36 },
      line: y,
    });
    const words = [
      word('No', 50, 90),
      word('Medicine', 200, 340),
      word('Qty', 600, 660),
      word('6h-8h', 720, 800),
      word('11h-12h17h-18h20h-22h', 860, 1240),
      word('Amoxicillin', 120, 330, 200),
      word('1', 750, 765, 200),
      word('1', 1180, 1195, 200),
    ];
    const h = findHeader(words, { horizontal: [], vertical: [] }, 1400);
    const slots =
      h?.columns.filter((c) => c.role !== null && ['morning', 'noon', 'evening', 'night'].includes(c.role)) ?? [];
    expect(slots.map((c) => c.role)).toEqual(['morning', 'noon', 'evening', 'night']);
    expect(slots.map((c) => c.evidence)).toEqual(['hours', 'hours', 'hours', 'hours']);
  });

  it('accents the OCR swapped are restored from the lexicon; unaccented capitals stay', () => {
    const lex = new Lexicon(loadLexiconFile(DEFAULT_LEXICON_PATH));
    expect(lex.match('Kétoproféne')?.corrected).toBe('Kétoprofène');
    expect(lex.match('KETOPROFENE')?.changed).toBe(false);
  });
});

function pageOf(lines: Array<[number, string]>): PageAnalysis {
  const ocrLines: OcrLine[] = lines.map(([y, text], i) => {
    let x = 100;
    const words: OcrWord[] = text.split(' ').map((t) => {
      const w: OcrWord = { text: t, conf: 80, bbox: { x0: x, y0: y, x1: x + t.length * 18, y1: y + 38 }, line: i };
      x += t.length * 18 + 20;
      return w;
    });
    return { text, conf: 80, bbox: { x0: 100, y0: y, x1: x, y1: y + 38 }, words };
  });
  return {
    page: {
      words: ocrLines.flatMap((l) => l.words),
      lines: ocrLines,
      text: lines.map((l) => l[1]).join('\n'),
      confidence: 80,
    },
    image: { data: new Uint8Array(4), width: 2, height: 2 },
    rulings: { horizontal: [], vertical: [] },
    table: null,
    textHeight: 38,
    boxes: [],
    lexicon: EMPTY_LEXICON,
    ocrCell: async () => null,
  };
}

describe('unknown names on a handwritten list', () => {
  it('a strength too garbled to read ends the name', () => {
    expect(splitNameLine('). TRIPOLEX YMG )-)-)-) FOR 7 DAYS BEFORE MEAL')).toMatchObject({
      name: 'TRIPOLEX',
      strength: null,
    });
    expect(splitNameLine('L BEXILON 250MG ) TAB THREE TIMES A DAY')).toMatchObject({
      name: 'BEXILON',
      strength: '250mg',
    });
  });

  it('a numbered line with an unknown name, no strength and a dosing pattern is kept, low confidence', async () => {
    const meds = await readList(
      pageOf([
        [100, 'Patient: ........ Date: 22/5/2026'],
        [300, '). TRIPOLEX YMG )-)-)-) FOR 7 DAYS BEFORE MEAL'],
        [450, 'Sunday clinic hours 1-0-1'],
      ]),
    );
    expect(meds.map((m) => m.name)).toEqual(['TRIPOLEX']);
    expect(meds[0]?.dosage_schedule).toEqual({ morning: 1, noon: 1, evening: 1, night: 1 });
    expect(meds[0]?.duration_days).toBe(7);
    expect(meds[0]?.drug_id).toBeNull();
    expect(meds[0]?.confidence).toBeLessThanOrEqual(UNKNOWN_NAME_MAX_CONFIDENCE);
  });
});

describe('tick-box form photographed at a tilt', () => {
  it('boxes drifting more than a box width from row to row keep their slot by rank', async () => {
    const th = 38;
    const names = ['Metformin 500mg', 'Amlodipine 5mg', 'Losartan 50mg', 'Gliclazide 80mg'];
    const ticks = [
      [1, 0, 1, 0],
      [0, 0, 0, 0],
      [1, 1, 1, 0],
      [0, 0, 0, 1],
    ];
    const boxes: TickBox[] = [];
    const lines: Array<[number, string]> = [];
    names.forEach((n, r) => {
      const y = 400 + r * 140;
      const drift = -r * 45; // the page leans: each row starts 45 px further left
      lines.push([y + 10, n]);
      for (let k = 0; k < 4; k++) {
        const x0 = 1100 + drift + k * 180;
        const t = ticks[r]?.[k] === 1;
        boxes.push({ x0, y0: y, x1: x0 + 60, y1: y + 60, fill: t ? 0.28 : 0, ticked: t });
      }
    });
    const p = pageOf(lines);
    const meds = await readTickForm({
      page: p.page,
      boxes,
      lexicon: EMPTY_LEXICON,
      textHeight: th,
      ocrCell: async () => null,
    });
    expect(meds?.map((m) => [m.name, m.dosage_schedule])).toEqual([
      ['Metformin', { morning: 1, noon: 0, evening: 1, night: 0 }],
      ['Losartan', { morning: 1, noon: 1, evening: 1, night: 0 }],
      ['Gliclazide', { morning: 0, noon: 0, evening: 0, night: 1 }],
    ]);
  });
});

describe('handwritten digits on a list the lexicon knows', () => {
  const lexicon = new Lexicon(loadLexiconFile(DEFAULT_LEXICON_PATH));
  it('drops a garbled list number and restores a lost 1 only where the drug is made in that strength', async () => {
    const meds = await readList({
      ...pageOf([
        [300, 'U4. LORATADINE OMG 0-0-1 X W DAYS AFTER MEAL'],
        [400, 'S. PRIMAQUINE 5MG 1-0-0 FOR 0 DAYS'],
        [500, '3. PRIMAQUINE 15MG 1-0-0 FOR 7 DAYS'],
      ]),
      lexicon,
    });
    expect(meds.map((m) => [m.name, m.strength, m.duration_days])).toEqual([
      ['LORATADINE', '10mg', 14],
      ['PRIMAQUINE', '15mg', 10],
      ['PRIMAQUINE', '15mg', 7],
    ]);
  });
  it('keeps a strength the drug is made in', async () => {
    const meds = await readList({ ...pageOf([[300, '1. LORATADINE 10MG 0-0-1 X 5 DAYS']]), lexicon });
    expect(meds[0]?.strength).toBe('10mg');
  });
});
