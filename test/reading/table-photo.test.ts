/**
 * Table finding under photo degradations, on drawn rasters and hand-made word boxes: a ruling
 * faded by glare, a dosing pattern that is not an hour header, a ruled grid whose slot headers
 * were misread, a column whose header was not read (the corner touching the frame: dewarp.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { line } from '../support/ocr-words.ts';
import type { GrayImage } from '../../src/reading/image-ops.ts';
import { detectRulings, type Ruling } from '../../src/reading/rulings.ts';
import { findHeader } from '../../src/reading/table-header.ts';
import { findRows } from '../../src/reading/table-rows.ts';

/** White raster with horizontal strokes [y, x0, x1, grey] (3 px thick). */
function drawn(w: number, h: number, strokes: Array<[number, number, number, number]>): GrayImage {
  const data = new Uint8Array(w * h).fill(255);
  for (const [y, x0, x1, grey] of strokes)
    for (let yy = y - 1; yy <= y + 1; yy++) for (let x = x0; x <= x1; x++) data[yy * w + x] = grey;
  return { data, width: w, height: h };
}

describe('rulings under glare', () => {
  it('a line that fades to light grey for a stretch is one ruling again', () => {
    const img = drawn(1000, 200, [
      [100, 50, 400, 20],
      [100, 401, 600, 190], // the glare's stretch: lighter than ink, darker than paper
      [100, 601, 950, 20],
    ]);
    const hs = detectRulings(img).horizontal;
    expect(hs).toHaveLength(1);
    expect(hs[0]?.start).toBeLessThanOrEqual(52);
    expect(hs[0]?.end).toBeGreaterThanOrEqual(948);
  });

  it('two lines with bare paper between them stay apart', () => {
    const img = drawn(1000, 200, [
      [100, 50, 400, 20],
      [100, 651, 950, 20],
    ]);
    expect(detectRulings(img).horizontal).toHaveLength(2);
  });
});

const vertical = (pos: number, start: number, end: number): Ruling => ({ pos, start, end, thickness: 2 });

describe('table header under misreadings', () => {
  it('a dosing pattern ("1-0-1-0") is not a row of hour ranges', () => {
    const words = [
      ...line(100, ['Patient:', 40, 160]),
      ...line(
        200,
        ['1.', 40, 70],
        ['Cleocin', 90, 230],
        ['150mg', 250, 360],
        ['1-0-1-0', 880, 1010],
        ['30', 1200, 1240],
        ['ថ្ងៃ', 1250, 1300],
      ),
      ...line(
        300,
        ['2.', 40, 70],
        ['Pentasa', 90, 230],
        ['400mg', 250, 360],
        ['1-1-1', 880, 980],
        ['14', 1200, 1240],
        ['ថ្ងៃ', 1250, 1300],
      ),
    ];
    expect(findHeader(words, { horizontal: [], vertical: [] }, 1600)).toBeNull();
  });

  it('a ruled grid with one slot header read and the others misread: slots follow by position', () => {
    // Columns: No | name | qty | morning | noon | evening | night | remarks, ruled.
    const xs = [100, 190, 700, 1010, 1170, 1330, 1490, 1650, 1890];
    const rulings = { horizontal: [], vertical: xs.map((x) => vertical(x, 530, 1030)) };
    const words = [
      ...line(
        580,
        ['ល.រ', 120, 170],
        ['ឈ្មោះឱសថ', 350, 560],
        ['ចំនួន', 800, 900],
        ['ហឹ', 1060, 1110],
        ['ថ្ងៃត្រង់', 1190, 1310],
        ['ងក', 1380, 1440],
        ['យ', 1550, 1580],
        ['ការណែនាំ', 1690, 1850],
      ),
      ...line(
        730,
        ['1', 140, 155],
        ['Minocycline', 215, 430],
        ['100mg', 446, 540],
        ['1', 1082, 1095],
        ['1', 1402, 1415],
      ),
    ];
    const h = findHeader(words, rulings, 2000);
    expect(h?.ruled).toBe(true);
    const slots = h?.columns.filter((c) => c.role !== null && ['morning', 'noon', 'evening', 'night'].includes(c.role));
    expect(slots?.map((c) => [c.role, Math.round(c.x0)])).toEqual([
      ['morning', 1010],
      ['noon', 1170],
      ['evening', 1330],
      ['night', 1490],
    ]);
  });

  it('columns whose header words were not read take the quantity and remarks roles from their cells', () => {
    const xs = [100, 190, 700, 1010, 1170, 1330, 1490, 1650, 1890];
    const hs = [535, 686, 800, 913].map((pos) => ({ pos, start: 100, end: 1890, thickness: 2 }));
    const rulings = { horizontal: hs, vertical: xs.map((x) => vertical(x, 535, 913)) };
    const words = [
      ...line(560, ['ពឹក', 1060, 1110], ['ថ្ងៃត្រង់', 1190, 1310], ['ល្ងាច', 1380, 1440], ['យប់', 1550, 1590]),
      ...line(
        720,
        ['Diltiazem', 215, 400],
        ['120mg', 410, 500],
        ['10', 740, 780],
        ['គ្រាប់', 790, 880],
        ['1', 1082, 1095],
        ['មុនបាយ', 1690, 1850],
      ),
      ...line(
        835,
        ['Morvadex', 215, 400],
        ['40mg', 410, 500],
        ['6', 740, 760],
        ['tabs', 770, 840],
        ['1', 1402, 1415],
        ['ក្រោយបាយ', 1690, 1850],
      ),
    ];
    const header = findHeader(words, rulings, 2000);
    expect(header).not.toBeNull();
    if (header === null) return;
    const layout = findRows(header, words, rulings, 2800);
    const roleAt = (x: number): string | null | undefined =>
      layout?.header.columns.find((c) => c.x0 <= x && c.x1 > x)?.role;
    expect([roleAt(800), roleAt(1700)]).toEqual(['quantity', 'remarks']);
    expect(layout?.rows).toHaveLength(2);
  });

  it('one slot word without a ruled grid is still no table', () => {
    const words = line(580, ['ឈ្មោះឱសថ', 350, 560], ['ចំនួន', 800, 900], ['ថ្ងៃត្រង់', 1190, 1310]);
    expect(findHeader(words, { horizontal: [], vertical: [] }, 2000)).toBeNull();
  });
});
