/** Unit tests of the parsing stage: dose cells, strengths, quantities, units, meals, headers. */
import { describe, expect, it } from 'vitest';
import { parseDoseCell } from '../../src/reading/dose.ts';
import {
  durationFromQuantity,
  fixStrengthLetters,
  garbledStrength,
  listedStrengthNear,
  parseNameCell,
  parseQuantityCell,
  parseStrength,
} from '../../src/reading/parse.ts';
import { classifyHeader, matchMeal, matchUnit, parseHourRange } from '../../src/reading/vocab.ts';
import { findDate } from '../../src/reading/header-fields.ts';
import { normaliseText } from '../../src/reading/text.ts';

describe('dose cells', () => {
  it.each(['-', '=', '~', '', '  ', '—', '–', '_', '0', 'o', '|', '||', '- -'])('%j → 0', (t) => {
    expect(parseDoseCell(t).value).toBe(0);
  });
  it.each(['1', 'l', 'I', '[1', '1]', '(1)', '1គ្រាប់', '1 គ្រាប់', '1 amp', '1tab', 'l.', '|1', '1|', '១'])(
    '%j → 1',
    (t) => {
      expect(parseDoseCell(t).value).toBe(1);
    },
  );
  it.each([
    ['½', 0.5],
    ['1/2', 0.5],
    ['l/2', 0.5],
    ['0.5', 0.5],
    ['0,5', 0.5],
    ['¼', 0.25],
    ['1½', 1.5],
    ['1 1/2', 1.5],
    ['2', 2],
    ['2 គ្រាប់', 2],
    ['២', 2],
    ['3', 3],
  ])('%j → %d', (t, v) => {
    expect(parseDoseCell(t).value).toBe(v);
  });
  it('a border is never a 1', () => {
    expect(parseDoseCell('|').value).toBe(0);
    expect(parseDoseCell('| |').value).toBe(0);
  });
  it('garbage is unknown (null), not a guess', () => {
    expect(parseDoseCell('ឃ').value).toBeNull();
    expect(parseDoseCell('%$#').value).toBeNull();
  });
  it('keeps the unit it saw', () => {
    expect(parseDoseCell('1 គ្រាប់').unit?.unit).toBe('tablet');
    expect(parseDoseCell('1 amp').unit?.unit).toBe('ampoule');
  });
});

describe('strength', () => {
  it.each([
    ['Butylscopolamine 10mg', '10mg'],
    ['Celcoxx 100mg', '100mg'],
    ['Amoxicillin 500 mg', '500mg'],
    ['Paracetamol 0.5 g', '0.5g'],
    ['Paracetamol 0,5g', '0.5g'],
    ['Amoxicillin 125mg/5ml', '125mg/5ml'],
    ['Paracetamol 120 mg / 5 ml', '120mg/5ml'],
    ['Mixtard 70/30', '70/30'],
    ['Omeprazole 2Omg', '20mg'],
    ['Metformin S00mg', '500mg'],
    ['Amlodipine l0mg', '10mg'],
    ['Celcoxx100mg', '100mg'],
    ['Vitamin D3 1000 IU', '1000iu'],
    ['Ceftriaxone 1 G', '1g'],
    ['Betamethasone cream 0.1%', '0.1%'],
    ['Salbutamol 100 mcg', '100mcg'],
  ])('%s → %s', (t, s) => {
    expect(parseStrength(t)?.strength).toBe(s);
  });
  it('no strength', () => {
    expect(parseStrength('Multivitamine')).toBeNull();
    expect(parseStrength('Calcium amp Tablet')).toBeNull();
    expect(parseStrength('Vitamin B12')).toBeNull();
  });
});

describe('name cells', () => {
  it('splits name and strength, drops row numbers and borders', () => {
    expect(parseNameCell('Butylscopolamine 10mg')).toEqual({ name: 'Butylscopolamine', strength: '10mg' });
    expect(parseNameCell('2. | Omeprazole 20mg')).toEqual({ name: 'Omeprazole', strength: '20mg' });
    expect(parseNameCell('Calcium amp Tablet')).toEqual({ name: 'Calcium amp Tablet', strength: null });
    expect(parseNameCell('Celcoxx100mg')).toEqual({ name: 'Celcoxx', strength: '100mg' });
    expect(parseNameCell('Amitriptyline 10mg |')).toEqual({ name: 'Amitriptyline', strength: '10mg' });
  });
});

describe('quantity cells', () => {
  it.each([
    ['14 គ្រាប់', 14, 'tablet'],
    ['14 គ្រាប់ស្រោប', 14, 'coated tablet'],
    ['4 Amps', 4, 'ampoule'],
    ['10 tabs', 10, 'tablet'],
    ['20 caps', 20, 'capsule'],
    ['1 ដប', 1, 'bottle'],
    ['2 sachets', 2, 'sachet'],
    ['x14', 14, null],
    ['21', 21, null],
    ['l4 គ្រាប់', 14, 'tablet'],
    ['១៤ គ្រាប់', 14, 'tablet'],
    ['100 ml', 100, 'ml'],
  ])('%s → %d %s', (t, q, u) => {
    const r = parseQuantityCell(t);
    expect(r.quantity).toBe(q);
    expect(r.unit?.unit ?? null).toBe(u);
  });
  it('no number', () => {
    expect(parseQuantityCell('គ្រាប់').quantity).toBeNull();
    expect(parseQuantityCell('<').quantity).toBeNull();
  });
});

describe('units, meals, headers, dates', () => {
  it('Khmer units tolerate OCR damage', () => {
    expect(matchUnit('គ្រាប')?.unit).toBe('tablet');
    expect(matchUnit('គ្រាប់ស្រោ')?.unit).toBe('coated tablet');
    expect(matchUnit('Amps')?.unit).toBe('ampoule');
  });
  it('meal instructions', () => {
    expect(matchMeal('ក្រោយបាយ')).toMatchObject({ after: true, before: false });
    expect(matchMeal('6ក្រាយបាយ')).toMatchObject({ after: true });
    expect(matchMeal('មុនបាយ')).toMatchObject({ after: false, before: true });
    expect(matchMeal('after meal')).toMatchObject({ after: true });
    expect(matchMeal('avant les repas')).toMatchObject({ before: true });
    expect(matchMeal('PO')).toBeNull();
  });
  it('slot headers in three languages', () => {
    expect(classifyHeader('ព្រឹក')?.role).toBe('morning');
    expect(classifyHeader('ថ្ងៃត្រង់')?.role).toBe('noon');
    expect(classifyHeader('ល្ងាច')?.role).toBe('evening');
    expect(classifyHeader('យប់')?.role).toBe('night');
    expect(classifyHeader('Evening')?.role).toBe('evening');
    expect(classifyHeader('Midi')?.role).toBe('noon');
    expect(classifyHeader('Nuit')?.role).toBe('night');
    expect(classifyHeader('ចំនួន')?.role).toBe('quantity');
    expect(classifyHeader('Celcoxx')).toBeNull();
  });
  it('hour ranges', () => {
    expect(parseHourRange('(6-8)')).toEqual([6, 8]);
    expect(parseHourRange('(11-12)')).toEqual([11, 12]);
    expect(parseHourRange('(O5-O6)')).toEqual([5, 6]);
    expect(parseHourRange('Omeprazole')).toBeNull();
  });
  it('dates, Khmer digits and OCR noise', () => {
    expect(findDate('រាជធានីភ្នំពេញ,ថ្ងៃទី 15/06/2025 14:20')).toBe('2025-06-15');
    expect(findDate('05/០01/2026')).toBe('2026-01-05');
    expect(findDate('១៥/០៦/២០២៥')).toBe('2025-06-15');
    expect(findDate('31/02/2025')).toBeNull();
    expect(normaliseText('១២៣')).toBe('123');
  });
  it('duration from quantity and daily doses', () => {
    expect(durationFromQuantity(14, 2, 'tablet')).toBe(7);
    expect(durationFromQuantity(21, 3, 'tablet')).toBe(7);
    expect(durationFromQuantity(15, 2, 'tablet')).toBe(8);
    expect(durationFromQuantity(100, 2, 'ml')).toBeNull();
    expect(durationFromQuantity(null, 2, 'tablet')).toBeNull();
    expect(durationFromQuantity(10, 0, 'tablet')).toBeNull();
  });
  it('a handwritten strength the medicine is not made in: the one listed strength a slip explains', () => {
    expect(listedStrengthNear('90mg', ['40mg', '80mg', '120mg'])).toBe('80mg'); // 8 read as 9
    expect(listedStrengthNear('100mg', ['200mg', '400mg'])).toBe('400mg'); // 4 read as 1
    expect(listedStrengthNear('5mg', ['15mg', '30mg'])).toBe('15mg'); // a 1 lost
    expect(listedStrengthNear('0mg', ['100mg', '300mg'])).toBeNull(); // two slips: only when asked
    expect(listedStrengthNear('0mg', ['100mg', '300mg'], true)).toBe('100mg');
    expect(listedStrengthNear('10mg', ['25mg', '100mg'])).toBe('100mg'); // a 0 of 00 lost
    // Listed already, nothing near, or several near: as read.
    expect(listedStrengthNear('80mg', ['40mg', '80mg'])).toBeNull();
    expect(listedStrengthNear('325mg', ['500mg', '1000mg'])).toBeNull();
    expect(listedStrengthNear('10mg', ['40mg', '110mg'])).toBeNull();
  });
  it('a garbled handwritten strength: the one listed strength its characters can stand for', () => {
    expect(garbledStrength('WMG', ['8mg', '16mg'])).toBe('16mg');
    expect(garbledStrength('WMG', ['1mg', '4mg'])).toBe('1mg');
    expect(garbledStrength('WG', ['0.5mg', '1mg'])).toBe('1mg');
    expect(garbledStrength('NOMG', ['75mg', '110mg', '150mg'])).toBe('110mg');
    expect(garbledStrength('WMG', ['1mg', '16mg'])).toBeNull(); // two fit: no guess
    expect(garbledStrength('WMG', [])).toBeNull();
    expect(garbledStrength('TABS', ['1mg'])).toBeNull();
  });
  it('MG read as 76 after the digits', () => {
    expect(fixStrengthLetters('PARACETAMOL 50076 1-0-1')).toBe('PARACETAMOL 500MG 1-0-1');
    expect(fixStrengthLetters('LASIX 2076 ) TAB')).toBe('LASIX 20MG ) TAB');
    expect(fixStrengthLetters('SORAVENT ។076 1-0-0')).toBe('SORAVENT 40MG 1-0-0');
    expect(fixStrengthLetters('Born 1976')).toBe('Born 1976');
  });
});
