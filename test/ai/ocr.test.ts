/**
 * OCR correction through HTTP: suggestions for the low-confidence lines of a draft (lexicon
 * name, a strength the medicine is sold in); confident lines get none; Premium only; another
 * patient's draft is 404.
 */
import { describe, expect, it } from 'vitest';
import { register, useApi } from '../support/api.ts';
import { makePremium } from './support.ts';

const h = useApi();
const dose = { morning: 1, noon: 0, evening: 1, night: 0 };

async function draft(patientId: string, medications: unknown[]): Promise<string> {
  const res = await h().t.owner.query<{ id: string }>(
    `INSERT INTO prescriptions (patient_id, uploaded_by, status, structured_data) VALUES ($1, $1, 'ocr_completed', $2) RETURNING id`,
    [patientId, JSON.stringify({ medications })],
  );
  return res.rows[0]?.id ?? '';
}

describe('GET /ai/prescriptions/:id/suggestions', () => {
  it('suggests "Amoxicillin 500mg?" for a misread line, nothing for a confident one', async () => {
    const p = await register(h(), 'patient');
    await makePremium(h(), p.id);
    const id = await draft(p.id, [
      {
        name: 'Amlodipine',
        strength: '5mg',
        drug_id: 'amlodipine',
        generic_name: 'amlodipine',
        dosage_schedule: dose,
        confidence: 0.97,
        field_confidence: { name: 0.98, strength: 0.95 },
      },
      {
        name: 'Amoxicilin',
        strength: '5OOmg',
        dosage_schedule: dose,
        confidence: 0.52,
        field_confidence: { name: 0.6, strength: 0.4 },
      },
    ]);
    const res = await h().call('GET', `/ai/prescriptions/${id}/suggestions`, { token: p.access });
    expect(res.statusCode, res.body).toBe(200);
    const { items } = res.json<{
      items: Array<{
        index: number;
        label: string;
        suggestions: Array<{ field: string; value: string; drug_id?: string }>;
      }>;
    }>();
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ index: 1, label: 'Amoxicillin 500mg?' });
    expect(items[0]?.suggestions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'name', value: 'Amoxicillin', drug_id: 'amoxicillin' }),
        { field: 'strength', value: '500mg' },
      ]),
    );
  });

  it("Premium only; another patient's draft is 404", async () => {
    const free = await register(h(), 'patient');
    const id = await draft(free.id, [
      { name: 'Paracetamo1', strength: '500mg', dosage_schedule: dose, confidence: 0.4 },
    ]);
    const refused = await h().call('GET', `/ai/prescriptions/${id}/suggestions`, { token: free.access });
    expect(refused.statusCode).toBe(402);
    expect(refused.json()).toMatchObject({ code: 'premium_required' });
    const other = await register(h(), 'patient');
    await makePremium(h(), other.id);
    expect((await h().call('GET', `/ai/prescriptions/${id}/suggestions`, { token: other.access })).statusCode).toBe(
      404,
    );
  });
});
