/**
 * GET /prescriptions: pages, totals, each item's medications and its count of active ones,
 * newest first, and nothing of another patient's — through HTTP on a real database.
 */
import { describe, expect, it } from 'vitest';
import type { ReaderPort } from '../../src/prescriptions/reading-job.ts';
import { register } from '../support/api.ts';
import { useFlowApi } from './support.ts';

interface ListItem {
  id: string;
  patient_id: string;
  hospital_name: string | null;
  medication_count: number;
  medications: Array<{ name: string; sequence: number; is_active: boolean; dosage_schedule: Record<string, number> }>;
}
interface Page {
  items: ListItem[];
  total: number;
  limit: number;
  offset: number;
}

describe('GET /prescriptions', () => {
  // nothing is uploaded here: the reader is never asked
  const unused: ReaderPort = { read: () => Promise.reject(new Error('no reading in this test')) };
  const api = useFlowApi({ reader: () => unused });

  /** n prescriptions for a patient, created a minute apart (k = 1 is the oldest), each with k medications, the last inactive. */
  async function seedPrescriptions(patientId: string, n: number): Promise<string[]> {
    const { owner } = api().t;
    const ids: string[] = [];
    for (let k = 1; k <= n; k++) {
      const rx = await owner.query<{ id: string }>(
        `INSERT INTO prescriptions (patient_id, status, hospital_name, created_at)
         VALUES ($1, 'completed', $2, now() - make_interval(mins => $3::int)) RETURNING id`,
        [patientId, `Hospital ${k}`, n - k],
      );
      const id = rx.rows[0]?.id as string;
      ids.push(id);
      for (let s = 1; s <= k; s++) {
        await owner.query(
          `INSERT INTO medications (prescription_id, patient_id, sequence, name, dose_morning, dose_evening, is_active)
           VALUES ($1, $2, $3, $4, 1, 0.5, $5)`,
          [id, patientId, s, `Medicine ${k}.${s}`, !(s === k && k > 1)],
        );
      }
    }
    return ids;
  }

  it('pages newest first with the full total, each item with its own medications and active count', async () => {
    const h = api();
    const p = await register(h, 'patient');
    const ids = await seedPrescriptions(p.id, 5);

    const first = (await h.call('GET', '/prescriptions', { token: p.access, query: { limit: '2' } })).json<Page>();
    expect(first.total).toBe(5);
    expect(first.items.map((i) => i.id)).toEqual([ids[4], ids[3]]);
    const newest = first.items[0] as ListItem;
    expect(newest.hospital_name).toBe('Hospital 5');
    expect(newest.medications.map((m) => m.name)).toEqual([
      'Medicine 5.1',
      'Medicine 5.2',
      'Medicine 5.3',
      'Medicine 5.4',
      'Medicine 5.5',
    ]);
    expect(newest.medications.map((m) => m.is_active)).toEqual([true, true, true, true, false]);
    expect(newest.medication_count).toBe(4);
    expect(newest.medications[0]?.dosage_schedule).toEqual({ morning: 1, noon: 0, evening: 0.5, night: 0 });

    const last = (
      await h.call('GET', '/prescriptions', { token: p.access, query: { limit: '2', offset: '4' } })
    ).json<Page>();
    expect(last.total).toBe(5);
    expect(last.items.map((i) => i.id)).toEqual([ids[0]]);
    expect(last.items[0]?.medication_count).toBe(1);
    expect(last.items[0]?.medications).toHaveLength(1);

    const past = (
      await h.call('GET', '/prescriptions', { token: p.access, query: { limit: '2', offset: '10' } })
    ).json<Page>();
    expect(past.items).toEqual([]);
    expect(past.total).toBe(5);
  });

  it('a prescription without medications lists an empty array and a count of 0', async () => {
    const h = api();
    const p = await register(h, 'patient');
    await h.t.owner.query(`INSERT INTO prescriptions (patient_id, status) VALUES ($1, 'pending')`, [p.id]);
    const page = (await h.call('GET', '/prescriptions', { token: p.access })).json<Page>();
    expect(page.total).toBe(1);
    expect(page.items[0]?.medications).toEqual([]);
    expect(page.items[0]?.medication_count).toBe(0);
  });

  it("never lists another patient's prescriptions, even when asked for them by patient_id", async () => {
    const h = api();
    const owner = await register(h, 'patient');
    const stranger = await register(h, 'patient');
    await seedPrescriptions(owner.id, 2);
    const own = (await h.call('GET', '/prescriptions', { token: stranger.access })).json<Page>();
    expect(own.total).toBe(0);
    const asked = await h.call('GET', '/prescriptions', { token: stranger.access, query: { patient_id: owner.id } });
    expect(asked.statusCode === 200 ? asked.json<Page>().total : asked.statusCode).not.toBe(2);
    if (asked.statusCode === 200) expect(asked.json<Page>().items).toEqual([]);
  });
});
