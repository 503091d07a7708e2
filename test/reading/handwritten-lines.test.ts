/**
 * Lines of a handwritten pad as the OCR reads them (capitals; digits read as letters; a list
 * number read as a stray mark): the list layout keeps every medicine line, corrects the name
 * to the lexicon where handwriting explains the difference, and reads the strength the medicine
 * is made in from digits read as letters. A name no lexicon knows is kept, low confidence.
 */
import { describe, expect, it } from 'vitest';
import { UNKNOWN_NAME_MAX_CONFIDENCE } from '../../src/reading/confidence.ts';
import { readList } from '../../src/reading/layouts/list.ts';
import { listPage } from '../support/list-page.ts';

const read = async (lines: string[]) => readList(listPage(lines));

describe('handwritten list lines', () => {
  it('a misread name is corrected to the lexicon and its line kept', async () => {
    const meds = await read([
      '\\. NFOROXAZIDE 200MG 1-0-0 X 3 DAYS BEFORE MEAL',
      '2. CARBMAZOLE 5MG 2-0-2 FOR 10 DAYS',
      '3. WERMECTIN 3MG )-)-)-) X 10 DAYS',
    ]);
    expect(meds.map((m) => [m.name, m.drug_id, m.strength])).toEqual([
      ['NIFUROXAZIDE', 'nifuroxazide', '200mg'],
      ['CARBIMAZOLE', 'carbimazole', '5mg'],
      ['IVERMECTIN', 'ivermectin', '3mg'],
    ]);
    expect(meds[1]?.dosage_schedule).toEqual({ morning: 2, noon: 0, evening: 2, night: 0 });
  });

  it('a known medicine with its strength is kept when its dosing cannot be read', async () => {
    const meds = await read(['ុ› RANEXA 37SMG | TAG TREE TPES A DAY FOR § DAYS BEFORE MEAL', 'Signature: ......']);
    expect(meds).toHaveLength(1);
    expect(meds[0]).toMatchObject({ name: 'RANEXA', drug_id: 'ranolazine', strength: '375mg' });
    expect(meds[0]?.dosage_schedule).toEqual({ morning: 0, noon: 0, evening: 0, night: 0 });
    expect(meds[0]?.confidence).toBeLessThan(0.6);
    // Without a strength, a name alone is not a medicine line.
    expect(await read(['Paracetamol', 'Amoxicillin as needed'])).toEqual([]);
  });

  it('a stray mark after the name is not part of it', async () => {
    const meds = await read([
      'U4. RANOLAZINE T7SOMG )-0-)-0 FOR 10 DAYS AFTER MEAL',
      '\\. COLCHICINE WG ¥-0-0-0 X 10 DAYS',
    ]);
    expect(meds.map((m) => [m.name, m.strength])).toEqual([
      ['RANOLAZINE', '750mg'],
      ['COLCHICINE', '1mg'],
    ]);
  });

  it.each([
    ['ATACAND WMG 1-0-1 X 5 DAYS', '16mg'], // "1" run into the 6: W
    ['ACENOCOUMAROL WMG 1-0-1 X 5 DAYS', '1mg'],
    ['SILYMARIN WOMG )-)-) X 5 DAYS', '140mg'],
    ['DABIGATRAN NOMG 1-0-)-0 X 7 DAYS', '110mg'], // "11" joined: N
    ['MOXIFLOXACIN YOOMG 1-0-0 FOR 10 DAYS', '400mg'], // a 4 read as Y, taken for a 1
    ['ISONIAZID 0076 ) TAB TWICE DAILY X 5 DAYS', '100mg'], // "1" lost, MG read as 76
    ['CHLORPROMAZINE YONG )-)-) FOR 10 DAYS', '100mg'],
    ['PARACETAMOL 50076 )-0-)-) X 5 DAYS', '500mg'],
  ])('%s: strength %s (one the medicine is made in)', async (line, strength) => {
    const meds = await read([`2. ${line}`]);
    expect(meds.map((m) => m.strength)).toEqual([strength]);
  });

  it('an unknown name keeps its strength as the handwriting allows, low confidence', async () => {
    const meds = await read(['4. KANTREXIL 50076 ) TAB FOUR TIMES A DAY FOR 5 DAYS', '2. SORAVENT OMG 1-0-1 X 3 DAYS']);
    expect(meds.map((m) => [m.name, m.strength, m.drug_id])).toEqual([
      ['KANTREXIL', '500mg', null],
      ['SORAVENT', '10mg', null],
    ]);
    for (const m of meds) expect(m.confidence).toBeLessThanOrEqual(UNKNOWN_NAME_MAX_CONFIDENCE);
  });

  it('a strength printed plainly that the lexicon lists stays as printed', async () => {
    const meds = await read(['1. Amlodipine 10mg 1-0-0 x 30 days', '2. Metformin 850mg 1-0-1 x 30 days']);
    expect(meds.map((m) => m.strength)).toEqual(['10mg', '850mg']);
    // Printed plainly but not listed (albendazole: 200, 400mg): as printed, never a slip away.
    const plain = await read(['1. Albendazole 100 mg, comprimés', '1 comprimé matin et soir pendant 3 jours']);
    expect(plain.map((m) => m.strength)).toEqual(['100mg']);
  });
});
