/** Layout stage on hand-made word boxes: hour-only headers, borderless columns, orientation. */
import { describe, expect, it } from 'vitest';
import { line } from '../support/ocr-words.ts';
import { findHeader } from '../../src/reading/table-header.ts';
import { findRows } from '../../src/reading/table-rows.ts';
import { lineDirectionRatio, rotate180, rotate90, type GrayImage } from '../../src/reading/image-ops.ts';

const NO_RULINGS = { horizontal: [], vertical: [] };

describe('table header', () => {
  it('names the slot columns from hour ranges alone (12-hour clock for the evening)', () => {
    const words = [
      ...line(
        100,
        ['No', 50, 90],
        ['Medicine', 200, 340],
        ['(6-8)', 700, 780],
        ['(11-12)', 850, 960],
        ['(05-06)', 1000, 1110],
        ['(08-10)', 1150, 1260],
      ),
      ...line(
        200,
        ['1', 55, 70],
        ['Omeprazole', 150, 330],
        ['20mg', 345, 420],
        ['1', 735, 750],
        ['-', 900, 910],
        ['1', 1050, 1065],
        ['-', 1200, 1210],
      ),
    ];
    const h = findHeader(words, NO_RULINGS, 1400);
    expect(
      h?.columns
        .filter((c) => c.role !== null && ['morning', 'noon', 'evening', 'night'].includes(c.role))
        .map((c) => c.role),
    ).toEqual(['morning', 'noon', 'evening', 'night']);
  });

  it('splits hour ranges the OCR glued into one word', () => {
    const words = [
      ...line(
        100,
        ['No', 50, 90],
        ['Medicine', 200, 340],
        ['(6-8)', 700, 780],
        ['|(11-12)|(17-18)|(20-22)', 840, 1270],
      ),
      ...line(
        200,
        ['1', 55, 70],
        ['Omeprazole', 150, 330],
        ['1', 735, 750],
        ['-', 900, 910],
        ['1', 1050, 1065],
        ['-', 1200, 1210],
      ),
    ];
    const roles = findHeader(words, NO_RULINGS, 1400)?.columns.map((c) => c.role);
    expect(roles).toEqual(expect.arrayContaining(['morning', 'noon', 'evening', 'night']));
  });

  it('borderless: column boundaries fall in the body whitespace, not halfway between labels', () => {
    const words = [
      ...line(
        100,
        ['No', 40, 80],
        ['Medicine', 420, 560],
        ['Qty', 880, 940],
        ['Morning', 1010, 1130],
        ['Noon', 1190, 1260],
        ['Evening', 1320, 1440],
        ['Night', 1500, 1580],
      ),
      ...line(
        200,
        ['1', 50, 65],
        ['Metronidazole', 110, 330],
        ['250mg', 345, 440],
        ['14', 870, 900],
        ['tab', 910, 960],
        ['1', 1065, 1080],
        ['-', 1220, 1230],
        ['1', 1375, 1390],
        ['-', 1535, 1545],
      ),
      ...line(
        300,
        ['2', 50, 65],
        ['Amlodipine', 108, 280],
        ['5mg', 295, 350],
        ['56', 870, 900],
        ['tab', 910, 960],
        ['1', 1065, 1080],
        ['1', 1220, 1235],
        ['1', 1375, 1390],
        ['1', 1535, 1550],
      ),
    ];
    const header = findHeader(words, NO_RULINGS, 1700);
    expect(header).not.toBeNull();
    if (header === null) return;
    const layout = findRows(header, words, NO_RULINGS, 2000);
    const name = header.columns.findIndex((c) => c.role === 'name');
    expect(layout?.rows.map((r) => r.cells[name]?.map((w) => w.text).join(' '))).toEqual([
      'Metronidazole 250mg',
      'Amlodipine 5mg',
    ]);
  });

  it('finds a table with a dosing column instead of slot columns', () => {
    const words = [
      ...line(
        100,
        ['No', 40, 80],
        ['Medicine', 300, 440],
        ['Qty', 800, 860],
        ['Dosage', 1000, 1120],
        ['Remarks', 1300, 1430],
      ),
      ...line(
        200,
        ['1', 50, 65],
        ['Amlodipine', 110, 280],
        ['5mg', 295, 350],
        ['14', 800, 830],
        ['tab', 840, 890],
        ['1-0-1', 1000, 1090],
      ),
    ];
    const h = findHeader(words, NO_RULINGS, 1500);
    expect(h?.columns.map((c) => c.role)).toEqual(['number', 'name', 'quantity', 'usage', 'remarks']);
  });

  it('finds no table in prose', () => {
    const words = line(
      100,
      ['The', 40, 90],
      ['medicine', 100, 240],
      ['was', 250, 300],
      ['taken', 310, 400],
      ['at', 410, 440],
      ['night', 450, 540],
    );
    expect(findHeader(words, NO_RULINGS, 1500)).toBeNull();
  });
});

describe('orientation', () => {
  /** A page of "text lines": short dark dashes in rows. */
  function page(): GrayImage {
    const w = 600;
    const h = 800;
    const data = new Uint8Array(w * h).fill(255);
    for (let y = 60; y < 740; y += 30) {
      for (let x = 40; x < 560; x += 40) {
        for (let yy = y; yy < y + 10; yy++) for (let xx = x; xx < x + 30; xx++) data[yy * w + xx] = 20;
      }
    }
    return { data, width: w, height: h };
  }
  it('tells upright lines from lines turned a quarter', () => {
    const p = page();
    expect(lineDirectionRatio(p)).toBeGreaterThan(2);
    expect(lineDirectionRatio(rotate90(p))).toBeLessThan(0.5);
  });
  it('rotate90 four times and rotate180 twice are the identity', () => {
    const p = page();
    expect(Buffer.compare(Buffer.from(rotate90(rotate90(rotate90(rotate90(p)))).data), Buffer.from(p.data))).toBe(0);
    expect(Buffer.compare(Buffer.from(rotate180(rotate180(p)).data), Buffer.from(p.data))).toBe(0);
    const r = rotate90(p);
    expect([r.width, r.height]).toEqual([800, 600]);
  });
});
