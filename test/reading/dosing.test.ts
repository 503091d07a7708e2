/** Free-text dosing ("1-0-1", "1 tab x 2/day", "2 ដង/ថ្ងៃ", "bid") → the four slots. */
import { describe, expect, it } from 'vitest';
import { parseDosingText } from '../../src/reading/dosing.ts';

const S = (morning: number, noon: number, evening: number, night: number): Record<string, number> => ({
  morning,
  noon,
  evening,
  night,
});

describe('free-text dosing', () => {
  it.each([
    ['1-0-1', S(1, 0, 1, 0)],
    ['1-1-1', S(1, 1, 1, 0)],
    ['1-0-1-1', S(1, 0, 1, 1)],
    ['0-0-0-1', S(0, 0, 0, 1)],
    ['2 - 0 - 2', S(2, 0, 2, 0)],
    ['1+0+1', S(1, 0, 1, 0)],
    ['½-0-½', S(0.5, 0, 0.5, 0)],
    ['1/2-0-1/2', S(0.5, 0, 0.5, 0)],
    ['l-o-l', S(1, 0, 1, 0)],
  ])('pattern %j', (text, want) => {
    const d = parseDosingText(text);
    expect(d?.schedule).toEqual(want);
    expect(d?.kind).toBe('pattern');
  });

  it.each([
    ['x2/day', S(1, 0, 1, 0)],
    ['x3/day', S(1, 1, 1, 0)],
    ['x 3/d', S(1, 1, 1, 0)],
    ['1 tab x 2/day', S(1, 0, 1, 0)],
    ['2 caps x 3/day', S(2, 2, 2, 0)],
    ['2 caps x 1/day', S(2, 0, 0, 0)],
    ['1 x 2', S(1, 0, 1, 0)],
    ['1 caps 3 times a day', S(1, 1, 1, 0)],
    ['twice daily', S(1, 0, 1, 0)],
    ['once daily', S(1, 0, 0, 0)],
    ['BID', S(1, 0, 1, 0)],
    ['1 tab tid', S(1, 1, 1, 0)],
    ['qid', S(1, 1, 1, 1)],
    ['1 cp x 3/j', S(1, 1, 1, 0)],
    ['2 fois/jour', S(1, 0, 1, 0)],
    ['2 ដង/ថ្ងៃ', S(1, 0, 1, 0)],
    ['1 គ្រាប់ 2 ដង/ថ្ងៃ', S(1, 0, 1, 0)],
    ['ថ្ងៃ ៣ ដង ម្តង ១ គ្រាប់', S(1, 1, 1, 0)],
    ['1 1/2 tab x 2/day', S(1.5, 0, 1.5, 0)],
  ])('frequency %j', (text, want) => {
    const d = parseDosingText(text);
    expect(d?.schedule).toEqual(want);
    expect(d?.kind).toBe('frequency');
    // A convention, not printed slots: never as sure as a pattern.
    expect(d?.confidence).toBeLessThan(0.85);
  });

  it.each([
    ['1 tab morning and evening', S(1, 0, 1, 0)],
    ['1 cp le soir', S(0, 0, 1, 0)],
    ['at bedtime', S(0, 0, 0, 1)],
    ['1 គ្រាប់ ព្រឹក ល្ងាច', S(1, 0, 1, 0)],
  ])('slot words %j', (text, want) => {
    expect(parseDosingText(text)?.schedule).toEqual(want);
  });

  it.each([
    '',
    'after meal',
    'ក្រោយបាយ',
    'hello',
    '05-06-2025',
    '(6-8)',
    '0-0-0',
    '1-2-3-4-5',
    'Amoxicillin 500mg',
    '089-098-688',
  ])('no dosing in %j (never a guess)', (text) => {
    expect(parseDosingText(text)).toBeNull();
  });

  it('a strength is not a dose', () => {
    expect(parseDosingText('Amoxicillin 500mg 1-0-1')?.schedule).toEqual(S(1, 0, 1, 0));
    expect(parseDosingText('500mg x 2/day')?.perDose).toBe(1);
  });
});
