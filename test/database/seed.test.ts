/** development_data.sql + user_functions.sql give meaningful answers (statistics on known data). */
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/db.ts';
import { seed } from './fixtures.ts';

const t = useTestDatabase({ seed: true });
// DROP DATABASE … WITH (FORCE) may reach an owner connection that is still closing.
beforeAll(() => void t().owner.on('error', () => undefined));

describe('development data', () => {
  it('the demo logins exist with a bcrypt hash of DasTern!2026', async () => {
    const res = await t().db.pool.query<{ password_hash: string }>('SELECT password_hash FROM app_auth_find_user($1)', [
      'dara.sok@example.com',
    ]);
    const { default: bcrypt } = await import('bcrypt');
    expect(await bcrypt.compare('DasTern!2026', res.rows[0]!.password_hash)).toBe(true);
  });

  it('user statistics', async () => {
    const res = await t().owner.query('SELECT * FROM get_user_statistics()');
    expect(res.rows[0]).toMatchObject({
      total_users: '9',
      patients: '5',
      doctors: '3',
      admins: '1',
      active_users: '9',
      deleted_users: '0',
      verified_users: '8',
      premium_users: '1',
      active_relationships: '2',
      pending_invitations: '2',
    });
    const asAdmin = await t().asUser({ userId: seed.admin, role: 'admin' }, (tx) =>
      tx.query('SELECT total_users FROM get_user_statistics()'),
    );
    expect(asAdmin.rows[0]).toEqual({ total_users: '9' });
    const asPatient = await t().asUser({ userId: seed.bopha, role: 'patient' }, (tx) =>
      tx.query('SELECT total_users FROM get_user_statistics()'),
    );
    expect(asPatient.rows[0]).toEqual({ total_users: '1' });
  });

  it('prescription statistics', async () => {
    const res = await t().owner.query('SELECT * FROM get_prescription_statistics()');
    expect(res.rows[0]).toMatchObject({
      total_prescriptions: '16',
      pending: '0',
      processing: '1',
      ocr_completed: '1',
      completed: '12',
      error: '1',
      archived: '1',
      total_medications: '17',
      active_reminders: '8',
    });
    expect(Number(res.rows[0].adherence_rate_last_30_days)).toBeGreaterThan(60);
  });

  it('the demo draft awaiting review holds the medicine its text names (the review screen opens filled)', async () => {
    const res = await t().owner.query<{
      meds: { name: string; dosage_schedule: Record<string, number>; duration_days: number }[];
    }>(
      `SELECT structured_data->'medications' AS meds FROM prescriptions WHERE status = 'ocr_completed' AND ocr_raw_text LIKE '%Omeprazole 20mg 1-0-0-0 x14%'`,
    );
    expect(res.rows).toHaveLength(1);
    expect(res.rows[0]?.meds).toMatchObject([
      {
        name: 'Omeprazole',
        strength: '20mg',
        dosage_schedule: { morning: 1, noon: 0, evening: 0, night: 0 },
        duration_days: 14,
      },
    ]);
  });

  it('premium, AI quota and free-tier answers per demo patient', async () => {
    const res = await t().owner.query<{ id: string; has_premium: boolean; can_use_ai: boolean; can_create: boolean }>(
      `SELECT id, user_has_premium_subscription(id) AS has_premium, can_make_ai_request(id) AS can_use_ai,
              can_create_prescription(id) AS can_create
       FROM users WHERE role = 'patient' ORDER BY id`,
    );
    expect(res.rows).toEqual([
      { id: seed.dara, has_premium: true, can_use_ai: true, can_create: true },
      { id: seed.sreymom, has_premium: false, can_use_ai: false, can_create: true },
      { id: seed.bopha, has_premium: false, can_use_ai: false, can_create: false },
      { id: seed.sovann, has_premium: false, can_use_ai: false, can_create: true },
      { id: seed.mao, has_premium: false, can_use_ai: false, can_create: true },
    ]);
    const quota = await t().asUser({ userId: seed.dara, role: 'patient' }, (tx) =>
      tx.query('SELECT monthly_limit, used_this_month FROM get_ai_quota($1)', [seed.dara]),
    );
    expect(quota.rows[0]).toEqual({ monthly_limit: 100, used_this_month: 12 });
  });

  it("today's reminders and adherence for Dara", async () => {
    const today = await t().asUser({ userId: seed.dara, role: 'patient' }, (tx) =>
      tx.query<{ medication_name: string; slot: string }>(
        'SELECT medication_name, slot FROM get_active_reminders($1)',
        [seed.dara],
      ),
    );
    expect(today.rows.map((r) => `${r.medication_name}/${r.slot}`).sort()).toEqual([
      'Amlodipine/morning',
      'Metformin/evening',
      'Metformin/morning',
    ]);
    const adherence = await t().asUser({ userId: seed.vannak, role: 'doctor' }, (tx) =>
      tx.query<{ medication_name: string; taken: string; adherence_rate: string }>(
        'SELECT * FROM get_adherence_statistics($1)',
        [seed.dara],
      ),
    );
    expect(adherence.rows.map((r) => r.medication_name)).toEqual(['Amlodipine', 'Metformin']);
    for (const row of adherence.rows) {
      expect(Number(row.taken)).toBeGreaterThan(10);
      expect(Number(row.adherence_rate)).toBeGreaterThan(50);
      expect(Number(row.adherence_rate)).toBeLessThan(100);
    }
  });

  it('maintenance on the demo data: 1 expired + 1 long-revoked session, 2 old prescriptions of Bopha', async () => {
    const client = await t().owner.connect();
    try {
      await client.query('BEGIN');
      expect((await client.query('SELECT cleanup_expired_sessions() AS n')).rows[0]).toEqual({ n: 2 });
      expect((await client.query('SELECT archive_old_prescriptions(365) AS n')).rows[0]).toEqual({ n: 2 });
      expect((await client.query('SELECT archive_old_prescriptions(365) AS n')).rows[0]).toEqual({ n: 0 });
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it('the demo audit chain verifies', async () => {
    expect((await t().owner.query('SELECT ok FROM app_audit_verify()')).rows[0]).toEqual({ ok: true });
  });
});
