/** The layout-independent grammar of a prescription line or cell (src/reading/line-grammar.ts). */
import { describe, expect, it } from 'vitest';
import { doseToken, parseDuration, parseInstructions, splitNameLine } from '../../src/reading/line-grammar.ts';
import { parseQuantityCell } from '../../src/reading/parse.ts';

describe('splitNameLine', () => {
  it.each([
    ['1. Amoxicillin 500mg 1-0-1 x 7 days', 'Amoxicillin', '500mg', '1-0-1 x 7 days'],
    ['2) Omeprazole 20 mg  1 cap once daily', 'Omeprazole', '20mg', '1 cap once daily'],
    ['Amoxicilline 500 mg, gélules', 'Amoxicilline', '500mg', ', gélules'],
    ['3 Vandorix 10mg 12 គ្រាប់ PO 1 1 1 1', 'Vandorix', '10mg', '12 គ្រាប់ PO 1 1 1 1'],
    ['Vitamin B Complex 1-0-1', 'Vitamin B Complex', null, '1-0-1'],
  ])('%s', (line, name, strength, rest) => {
    expect(splitNameLine(line)).toEqual({ name, strength, rest });
  });
});

describe('durations', () => {
  it.each([
    ['1-0-1 x 7 days', 7, '1-0-1'],
    ['1 tab twice daily for 5 days', 5, '1 tab twice daily'],
    ['1 comprimé matin et soir, pendant 10 jours.', 10, '1 comprimé matin et soir, .'],
    ['1 គ្រាប់ 7 ថ្ងៃ', 7, '1 គ្រាប់'],
    ['QSP 30 jours', 30, ''],
    ['1 គ្រាប់ 2 ដង/ថ្ងៃ', null, '1 គ្រាប់ 2 ដង/ថ្ងៃ'],
    ['1 tab x 2/day', null, '1 tab x 2/day'],
  ])('%s', (text, days, rest) => {
    expect(parseDuration(text)).toEqual({ days, rest });
  });
});

describe('dose cells', () => {
  it.each([
    ['1', 1],
    ['2', 2],
    ['½', 0.5],
    ['1/2', 0.5],
    ['1½', 1.5],
    ['-', 0],
    ['—', 0],
    ['0', 0],
    ['5', null],
    ['tab', null],
  ])('%s → %s', (t, v) => {
    expect(doseToken(t)).toBe(v);
  });
});

describe('quantity cells', () => {
  it.each([
    ['14 គ្រាប់', 14, 'tablet'],
    ['7 គ្រាប់ស្រោប', 7, 'coated tablet'],
    ['20 tabs', 20, 'tablet'],
    ['10 caps', 10, 'capsule'],
  ])('%s', (cell, q, unit) => {
    const r = parseQuantityCell(cell);
    expect(r.quantity).toBe(q);
    expect(r.unit?.unit).toBe(unit);
  });
});

describe('parseInstructions', () => {
  const sched = (m: number, n: number, e: number, ni: number): Record<string, number> => ({
    morning: m,
    noon: n,
    evening: e,
    night: ni,
  });
  it('1-0-1 notation, days and meal', () => {
    const r = parseInstructions('1-0-1 x 7 days after meal');
    expect(r.schedule).toEqual(sched(1, 0, 1, 0));
    expect(r.days).toBe(7);
    expect(r.meal?.after).toBe(true);
  });
  it('1-0-1-0 notation with halves', () => {
    expect(parseInstructions('½-0-½-1').schedule).toEqual(sched(0.5, 0, 0.5, 1));
  });
  it('a table row read as one line: quantity with a Khmer unit, route, four slot cells, meal', () => {
    const r = parseInstructions('14 គ្រាប់ PO 1 - 1 - ក្រោយបាយ');
    expect(r.quantity).toBe(14);
    expect(r.unit?.unit).toBe('tablet');
    expect(r.schedule).toEqual(sched(1, 0, 1, 0));
    expect(r.meal?.after).toBe(true);
  });
  it('a coated-tablet quantity and ½ cells', () => {
    const r = parseInstructions('7 គ្រាប់ស្រោប ½ 0 ½ 0');
    expect(r.quantity).toBe(7);
    expect(r.unit?.unit).toBe('coated tablet');
    expect(r.schedule).toEqual(sched(0.5, 0, 0.5, 0));
  });
  it('French free text', () => {
    const r = parseInstructions('2 comprimés matin et soir, après le repas, pendant 10 jours.');
    expect(r.schedule).toEqual(sched(2, 0, 2, 0));
    expect(r.days).toBe(10);
    expect(r.meal?.after).toBe(true);
  });
  it('before meal in Khmer and English', () => {
    expect(parseInstructions('1 គ្រាប់ 2 ដង/ថ្ងៃ មុនបាយ').meal?.before).toBe(true);
    expect(parseInstructions('1 tab three times a day before meal').schedule).toEqual(sched(1, 1, 1, 0));
  });
  it('a dose per intake is not a quantity', () => {
    const r = parseInstructions('1 tab twice daily for 5 days');
    expect(r.quantity).toBeNull();
    expect(r.schedule).toEqual(sched(1, 0, 1, 0));
  });
});

describe('OCR slips in one-digit strengths', () => {
  it('reads "Smg" after a name as 5mg', () => {
    expect(splitNameLine('Terbutaline Smg 1-0-1')).toEqual({ name: 'Terbutaline', strength: '5mg', rest: '1-0-1' });
  });
});

describe('OCR slips in handwritten strengths', () => {
  it('reads "SOOMG" as 500mg', () => {
    expect(splitNameLine('3. TRIPOLEX SOOMG 1 TAB ONCE DAILY').strength).toBe('500mg');
  });
  it.each([
    ['2. GUELMIRA UOMG )-)-)-) % 5 DAYS', '40mg'],
    ['\\. DECADRON UMG ) TAB THREE TIMES A DAY', '4mg'],
    ['3. ENALAPRIL )0MG 1-0-1', '10mg'],
  ])('reads the handwritten 4 and 1 of "%s" in the strength', (line, strength) => {
    expect(splitNameLine(line).strength).toBe(strength);
  });
  it('drops a list number read as letters before a name in capitals', () => {
    expect(splitNameLine('UY PROMETHAZINE 10MG 1-0-1-0 X 10 DAYS').name).toBe('PROMETHAZINE');
    expect(splitNameLine(') CEFACLOR 250MG 1-0-1').name).toBe('CEFACLOR');
  });
  it('reads a handwritten 1 drawn as "}" in a dosing pattern', () => {
    expect(parseInstructions('}-0-)-0 FOR 7 DAYS').schedule).toEqual({ morning: 1, noon: 0, evening: 1, night: 0 });
  });
  it('reads handwritten digits before a duration unit', () => {
    expect(parseInstructions('1-0-0-0 x Iu DAYS').days).toBe(14);
    expect(parseInstructions('}-0-}-0 FOR )0 DAYS').days).toBe(10);
  });
  it.each([
    ['2. SITAGLIPTIN YOOMG ) TAB THREE TIMES A DAY', '100mg'],
    ['2. NITAZOXANIDE SOONG 1-0-1 X 7 DAYS', '500mg'],
    ['3. CEFALEXIN ¥OOMG 1-0-1', '100mg'],
  ])('reads the handwritten 1 and MG of "%s" in the strength', (line, strength) => {
    expect(splitNameLine(line).strength).toBe(strength);
  });
  it.each([
    ['U4. LORATADINE 10MG 0-0-1', 'LORATADINE'],
    ['S. ERDOSTEINE 300MG ) CAP FOUR TIMES A DAY', 'ERDOSTEINE'],
    ['VL TETRACYCLINE 250MG ) CAP', 'TETRACYCLINE'],
  ])('drops the garbled list number of "%s"', (line, name) => {
    expect(splitNameLine(line).name).toBe(name);
  });
  it('reads a handwritten 1 drawn as an apostrophe or a yen sign in a dosing pattern', () => {
    expect(parseInstructions("'-0-) X 7 DAYS").schedule).toEqual({ morning: 1, noon: 0, evening: 1, night: 0 });
    expect(parseInstructions('¥-0-0-0 X 5 DAYS').schedule).toEqual({ morning: 1, noon: 0, evening: 0, night: 0 });
  });
  it('reads a 14 run together as "W", and a 10 whose 1 was lost, before a duration unit', () => {
    expect(parseInstructions('1-0-1 FOR W DAYS').days).toBe(14);
    expect(parseInstructions(')-0-)-0 FOR 0 DAYS').days).toBe(10);
    expect(parseInstructions('1-0-1 FOR YO DAYS AFTER MEAL').days).toBe(10);
    const slots = (t: string): unknown => parseInstructions(t).schedule;
    expect(slots('%-0-1 X W DAYS')).toEqual({ morning: 1, noon: 0, evening: 1, night: 0 });
    expect(slots('»-0-)-) X 3 DAYS')).toEqual({ morning: 1, noon: 0, evening: 1, night: 1 });
    expect(slots('0-0-0-Y X W DAYS')).toEqual({ morning: 0, noon: 0, evening: 0, night: 1 });
    // A dash lost before a last handwritten 1; a pattern in brackets is not that.
    expect(slots('1-0-1) X 3 DAYS AFTER MEAL')).toEqual({ morning: 1, noon: 0, evening: 1, night: 1 });
    expect(slots('1 tab (1-0-1) x 3 days')).toEqual({ morning: 1, noon: 0, evening: 1, night: 0 });
    expect(slots('1-0-1 % 5 DAYS')).toEqual({ morning: 1, noon: 0, evening: 1, night: 0 });
    expect(parseInstructions('1-0-1 % 5 DAYS').days).toBe(5);
    expect(parseInstructions('1 TAB TWICE DAILY X § DAYS').days).toBe(5);
    expect(parseInstructions('1 TAB TWICE DAILY FOR S DAYS').days).toBe(5);
    expect(parseInstructions('1-0-1 X O DAYS').days).toBe(10);
    expect(parseInstructions('1-0-1 FOR 7 DAYS').days).toBe(7);
  });
  it('keeps a name in capitals after a real word', () => {
    expect(splitNameLine('SERETIDE 250MG 1-0-1').name).toBe('SERETIDE');
  });
  it('keeps names that merely start with U', () => {
    expect(splitNameLine('Ursodiol 250mg 1-0-1').name).toBe('Ursodiol');
  });
});

describe('a dosing-column table read as lines', () => {
  it('takes the trailing number as the quantity', () => {
    const r = parseInstructions('1-0-1-0 7 ថ្ងៃ 14');
    expect(r.quantity).toBe(14);
    expect(r.days).toBe(7);
  });
});
