/**
 * Migration 014, performing its attacks as the API's own login:
 * - dastern_app that says app.user_role = 'system' (an injection, a stolen credential) gets
 *   nothing: no rows, no privileged function; only dastern_worker (the jobs' login) is 'system';
 * - password_hash is out of the service's reach, whatever the context: a SELECT of the column
 *   is refused; the hash comes only through SECURITY DEFINER functions, for the user herself.
 */
import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/db.ts';
import { seed } from '../database/fixtures.ts';

const t = useTestDatabase({ seed: true });
beforeAll(() => void t().owner.on('error', () => undefined));

/** A transaction on `pool` with the given context, always rolled back. */
async function as<T>(pool: pg.Pool, role: string, userId: string, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query("SELECT set_config('app.user_role', $1, true), set_config('app.user_id', $2, true)", [
      role,
      userId,
    ]);
    return await fn(client);
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release();
  }
}

async function sqlstate(c: pg.PoolClient, sql: string, values: unknown[] = []): Promise<string | undefined> {
  await c.query('SAVEPOINT s');
  try {
    await c.query(sql, values);
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  } finally {
    await c.query('ROLLBACK TO SAVEPOINT s');
  }
}

const count = async (c: pg.PoolClient, table: string): Promise<number> =>
  (await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;

describe("'system' belongs to the jobs' login only", () => {
  it('dastern_app setting app.user_role = system sees no user, no prescription, no session, and cannot act as system', async () => {
    await as(t().db.pool, 'system', '', async (c) => {
      expect((await c.query<{ r: string | null }>('SELECT app_current_role() AS r')).rows[0]!.r).toBeNull();
      expect((await c.query<{ s: boolean }>('SELECT app_is_system() AS s')).rows[0]!.s).toBe(false);
      for (const table of [
        'users',
        'prescriptions',
        'medications',
        'user_sessions',
        'audit_logs',
        'notifications',
        'medication_reminders',
      ]) {
        expect(await count(c, table), table).toBe(0);
      }
      // the hashes: neither the column nor the function
      expect(await sqlstate(c, 'SELECT password_hash FROM users')).toBe('42501');
      expect(
        (await c.query<{ h: string | null }>('SELECT app_user_password_hash($1) AS h', [seed.dara])).rows[0]!.h,
      ).toBeNull();
      // privileged work of the jobs does nothing for it
      expect(
        (await c.query<{ n: number }>("SELECT mark_missed_doses(now() + interval '30 days') AS n")).rows[0]!.n,
      ).toBe(0);
      expect(
        await sqlstate(
          c,
          "INSERT INTO users (email, password_hash, role, first_name, last_name) VALUES ('x@example.com', repeat('x', 60), 'admin', 'A', 'B')",
        ),
      ).toBe('42501');
    });
  });

  it('the same context on dastern_worker is system (what the dispatcher and maintenance need)', async () => {
    await as(t().worker.pool, 'system', '', async (c) => {
      expect((await c.query<{ r: string | null }>('SELECT app_current_role() AS r')).rows[0]!.r).toBe('system');
      expect(await count(c, 'users')).toBeGreaterThan(0);
      expect(await count(c, 'medication_reminders')).toBeGreaterThan(0);
      // even the jobs' login cannot read the column itself; its function gives the hash to 'system'
      expect(await sqlstate(c, 'SELECT password_hash FROM users')).toBe('42501');
      expect(
        (await c.query<{ h: string | null }>('SELECT app_user_password_hash($1) AS h', [seed.dara])).rows[0]!.h,
      ).toMatch(/^\$2[aby]\$/);
    });
  });

  it('dastern_app cannot become dastern_worker', async () => {
    await as(t().db.pool, 'patient', seed.dara, async (c) => {
      expect(await sqlstate(c, 'SET ROLE dastern_worker')).toBe('42501');
    });
  });
});

describe('password_hash out of the service role', () => {
  it('a signed-in patient reads her related rows but never a hash, not even her own by SELECT', async () => {
    await as(t().db.pool, 'patient', seed.dara, async (c) => {
      expect(await sqlstate(c, 'SELECT password_hash FROM users')).toBe('42501');
      expect(await sqlstate(c, 'SELECT * FROM users')).toBe('42501');
      expect(await sqlstate(c, 'SELECT to_jsonb(u) FROM users u')).toBe('42501');
      // the other columns stay readable
      expect((await c.query('SELECT id, email, first_name FROM users WHERE id = $1', [seed.dara])).rowCount).toBe(1);
      // her own hash, for the password check, through the function only; another's: nothing
      expect(
        (await c.query<{ h: string | null }>('SELECT app_user_password_hash($1) AS h', [seed.dara])).rows[0]!.h,
      ).toMatch(/^\$2[aby]\$/);
      const other = (
        await t().owner.query<{ id: string }>("SELECT id FROM users WHERE id <> $1 AND role = 'doctor' LIMIT 1", [
          seed.dara,
        ])
      ).rows[0]!.id;
      expect(
        (await c.query<{ h: string | null }>('SELECT app_user_password_hash($1) AS h', [other])).rows[0]!.h,
      ).toBeNull();
      expect((await c.query<{ p: unknown }>('SELECT app_user_export_profile($1) AS p', [other])).rows[0]!.p).toBeNull();
      const mine = (
        await c.query<{ p: Record<string, unknown> }>('SELECT app_user_export_profile($1) AS p', [seed.dara])
      ).rows[0]!.p;
      expect(mine.id).toBe(seed.dara);
      expect(mine).not.toHaveProperty('password_hash');
    });
  });
});
