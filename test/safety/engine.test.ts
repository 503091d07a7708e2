/**
 * The engine trusts the name the patient confirmed over a lexicon id the reader stored: a
 * misread corrected on the review screen is checked as what she will take.
 */
import { describe, expect, it } from 'vitest';
import { SafetyEngine, type MedicineInput } from '../../src/safety/engine.ts';
import { knowledgeBase } from '../../src/safety/knowledge.ts';

const twice = { morning: 1, noon: 0, evening: 1, night: 0 };

describe('SafetyEngine: which medicine a line is', () => {
  const engine = new SafetyEngine(knowledgeBase(), 'en');
  it("a name corrected by the patient wins over the reader's stale lexicon id", () => {
    const meds: MedicineInput[] = [
      // read as amoxicillin, corrected to Warfarin on the review screen: the id is the reader's
      {
        name: 'Warfarin',
        drugId: 'amoxicillin',
        strength: '5mg',
        schedule: { morning: 1, noon: 0, evening: 0, night: 0 },
        origin: 'review',
      },
      { name: 'Metronidazole', strength: '500mg', schedule: twice, origin: 'review' },
    ];
    const alerts = engine.check(meds, { allergies: [], conditions: [] });
    expect(
      alerts.find((a) => a.kind === 'interaction' && a.drugs.includes('Warfarin') && a.drugs.includes('Metronidazole'))
        ?.severity,
    ).toBe('major');
  });

  it('the lexicon id still names a line whose name the knowledge base cannot place', () => {
    const meds: MedicineInput[] = [
      {
        name: 'Wrfxn 5',
        drugId: 'warfarin',
        schedule: { morning: 1, noon: 0, evening: 0, night: 0 },
        origin: 'review',
      },
      { name: 'Metronidazole', strength: '500mg', schedule: twice, origin: 'review' },
    ];
    expect(engine.check(meds, { allergies: [], conditions: [] }).some((a) => a.kind === 'interaction')).toBe(true);
  });

  it('two different medicines are never reported as one ingredient', () => {
    const meds: MedicineInput[] = [
      { name: 'Omeprazole', drugId: 'butylscopolamine', strength: '20mg', schedule: twice, origin: 'active' },
      { name: 'Butylscopolamine', strength: '10mg', schedule: twice, origin: 'review' },
    ];
    expect(engine.check(meds, { allergies: [], conditions: [] }).filter((a) => a.kind === 'duplicate_therapy')).toEqual(
      [],
    );
  });
});
