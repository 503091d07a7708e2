/** The API benchmarks' data, loaded as the owner with the audit triggers off (set-based SQL). */
import path from 'node:path';
import pg from 'pg';
import { ensureAppLogin } from '../../src/db/bootstrap.ts';
import type { withMigrator } from '../../src/db/migrations.ts';
import { TokenService } from '../../src/auth/tokens.ts';

/** dastern_app's password in the benchmarks' databases. */
export const API_BENCH_PASSWORD = 'benchpassword0123456789';

/**
 * A new database made ready for a benchmark: migrated by `checkout`'s own migrations (another
 * checkout's for a before → after comparison), the dastern_app login, `users` seeded patients
 * (seedApiData); their ids, session ids and access tokens signed with `secret`.
 */
export async function prepareApiDatabase(
  ownerUrl: string,
  checkout: string,
  users: number,
  withRx: number,
  secret: string,
): Promise<{ ids: string[]; sessions: string[]; tokens: string[] }> {
  process.stderr.write(`migrating ${new URL(ownerUrl).pathname.slice(1)} (${checkout}) and seeding ${users} users…\n`);
  const migrations = (await import(path.join(checkout, 'src/db/migrations.ts'))) as {
    withMigrator: typeof withMigrator;
  };
  await migrations.withMigrator(ownerUrl, (m) => m.up().then(() => undefined));
  await ensureAppLogin(ownerUrl, API_BENCH_PASSWORD);
  const { ids, sessions } = await seedApiData(ownerUrl, users, withRx);
  const tokenService = new TokenService(secret, 3600);
  const tokens = await Promise.all(
    ids.map((id, k) => tokenService.signAccess({ userId: id, role: 'patient', sessionId: sessions[k] as string })),
  );
  return { ids, sessions, tokens };
}

/** `users` patients with an open session each; the first `withRx` of them 25 prescriptions of 3 medications. */
export async function seedApiData(
  ownerUrl: string,
  users: number,
  withRx: number,
): Promise<{ ids: string[]; sessions: string[] }> {
  const c = new pg.Client({ connectionString: ownerUrl });
  await c.connect();
  try {
    await c.query('BEGIN');
    await c.query(
      'ALTER TABLE users DISABLE TRIGGER audit_row_change; ALTER TABLE user_sessions DISABLE TRIGGER audit_row_change; ALTER TABLE prescriptions DISABLE TRIGGER audit_row_change; ALTER TABLE medications DISABLE TRIGGER audit_row_change',
    );
    await c.query(
      `INSERT INTO users (email, password_hash, role, first_name, last_name)
       SELECT 'bench' || g || '@example.com', '$2b$04$abcdefghijklmnopqrstuuFJ6c0g2J8w9Dz0xq0B2dN5m4yW9C2Lm', 'patient', 'Bench', 'User ' || g
         FROM generate_series(1, $1) g`,
      [users],
    );
    await c.query(
      `INSERT INTO user_sessions (user_id, refresh_token_hash, expires_at)
       SELECT id, encode(digest(id::text, 'sha256'), 'hex'), now() + interval '30 days' FROM users`,
    );
    await c.query(
      `INSERT INTO prescriptions (patient_id, status, hospital_name, prescription_date, confirmed_at)
       SELECT u.id, 'completed', 'Calmette Hospital', DATE '2025-01-01' + (g % 300), now()
         FROM (SELECT id FROM users ORDER BY email LIMIT $1) u CROSS JOIN generate_series(1, 25) g`,
      [withRx],
    );
    await c.query(
      `INSERT INTO medications (prescription_id, patient_id, sequence, name, strength, dose_morning, dose_evening, duration_days)
       SELECT p.id, p.patient_id, s, (ARRAY['Paracetamol','Amoxicillin','Amlodipine'])[s], '500mg', 1, 1, 7
         FROM prescriptions p CROSS JOIN generate_series(1, 3) s`,
    );
    await c.query(
      'ALTER TABLE users ENABLE TRIGGER audit_row_change; ALTER TABLE user_sessions ENABLE TRIGGER audit_row_change; ALTER TABLE prescriptions ENABLE TRIGGER audit_row_change; ALTER TABLE medications ENABLE TRIGGER audit_row_change',
    );
    await c.query('COMMIT');
    await c.query('ANALYZE');
    const rows = await c.query<{ id: string; sid: string }>(
      `SELECT u.id, s.id AS sid FROM users u JOIN user_sessions s ON s.user_id = u.id
        WHERE u.id IN (SELECT id FROM users ORDER BY email LIMIT $1) ORDER BY u.email`,
      [withRx],
    );
    return { ids: rows.rows.map((r) => r.id), sessions: rows.rows.map((r) => r.sid) };
  } finally {
    await c.end();
  }
}
