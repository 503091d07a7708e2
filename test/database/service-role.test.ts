/**
 * "No context" is privileged for the owner's direct SQL only, never for the service (migration 005).
 *
 * The service (login dastern_app) runs login, refresh and password reset in a transaction without
 * app.user_id / app.user_role (nobody is signed in yet). There it may call the signed-out
 * functions (app_auth_*, app_session_*) and nothing else: no rows, no admin, no audit functions,
 * no acting for anybody.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/db.ts';
import { createUser, seed, sha256Hex } from './fixtures.ts';

const t = useTestDatabase({ seed: true });
// DROP DATABASE … WITH (FORCE) may reach an owner connection that is still closing.
beforeAll(() => void t().owner.on('error', () => undefined));

const HASH = '$2b$12$adfdm/VnCi9FuqMCuAVG4eoSKYduZe/B38.kAF2WPP27nP0oyBvJC';

/**
 * A transaction as the service with NO user context, exactly like src/auth's anonymous():
 * only app.client_ip / app.user_agent are set. Always rolled back.
 */
async function anonymous<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await t().db.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      "SELECT set_config('app.client_ip', '203.0.113.5', true), set_config('app.user_agent', 'vitest', true)",
    );
    return await fn(client);
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release();
  }
}

/** The statement fails (in its own subtransaction) with this SQLSTATE. */
async function fails(c: pg.PoolClient, sql: string, values: unknown[] = []): Promise<string | undefined> {
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

describe('the service without a context', () => {
  it('sees no row of any table or view (but the public plan list)', async () => {
    const res = await t().owner.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c
       WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v')
         AND has_any_column_privilege('dastern_app', c.oid, 'SELECT') ORDER BY 1`,
    ); // users: every column but password_hash (014)
    const names = res.rows.map((r) => r.name);
    expect(names).toEqual(
      expect.arrayContaining(['users', 'prescriptions', 'audit_logs', 'push_subscriptions', 'v_user_profiles']),
    );
    // the seed has rows in these: the owner sees them, the service without context none
    for (const table of [
      'users',
      'prescriptions',
      'medications',
      'medication_reminders',
      'medication_reminder_logs',
      'audit_logs',
      'user_sessions',
    ]) {
      const all = await t().owner.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
      expect(all.rows[0]!.n, table).toBeGreaterThan(0);
    }
    const counts = await anonymous(async (c) => {
      const out: Record<string, number> = {};
      for (const name of names)
        out[name] = (await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${name}`)).rows[0]!.n;
      return out;
    });
    const visible = Object.entries(counts)
      .filter(([, n]) => n > 0)
      .map(([name]) => name);
    expect(visible).toEqual(['subscription_plans']);
  });

  it('cannot create an admin, neither directly nor through a SECURITY DEFINER path (the users guard)', async () => {
    await anonymous(async (c) => {
      expect(
        await fails(
          c,
          `INSERT INTO users (id, email, password_hash, role, first_name, last_name)
                             VALUES ($1, $2, $3, 'admin', 'Evil', 'Admin')`,
          [randomUUID(), `evil-${randomUUID()}@example.com`, HASH],
        ),
      ).toBe('42501');
      const upd = await c.query("UPDATE users SET role = 'admin' WHERE id = $1", [seed.dara]);
      expect(upd.rowCount).toBe(0);
    });
    // A SECURITY DEFINER function runs as the owner (RLS is bypassed): only the trigger stands
    // between it and a new admin. Before migration 005 "no context" let it through.
    const fn = `mk_admin_${randomBytes(4).toString('hex')}`;
    await t().owner
      .query(`CREATE FUNCTION ${fn}(p_id uuid) RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      INSERT INTO users (id, email, password_hash, role, first_name, last_name)
      VALUES (p_id, p_id::text || '@example.com', '${HASH}', 'admin', 'Evil', 'Admin') $$`);
    await t().owner.query(`GRANT EXECUTE ON FUNCTION ${fn}(uuid) TO dastern_app`);
    try {
      await anonymous(async (c) => {
        await expect(c.query(`SELECT ${fn}($1)`, [randomUUID()])).rejects.toMatchObject({
          code: '42501',
          message: 'only the system may create an admin',
        });
      });
      // as 'system' the same path works; and so does the owner's direct SQL
      const id = randomUUID();
      await t().asUser({ userId: null, role: 'system' }, (tx) => tx.query(`SELECT ${fn}($1)`, [id]));
      await t().owner.query(`SELECT ${fn}($1)`, [randomUUID()]);
      expect((await t().owner.query('SELECT role FROM users WHERE id = $1', [id])).rows).toEqual([{ role: 'admin' }]);
    } finally {
      await t().owner.query(`DROP FUNCTION ${fn}(uuid)`);
    }
  });

  it('cannot activate a relationship through a SECURITY DEFINER path (the relationships guard)', async () => {
    const fn = `mk_rel_${randomBytes(4).toString('hex')}`;
    await t().owner
      .query(`CREATE FUNCTION ${fn}(p_doctor uuid, p_patient uuid) RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      INSERT INTO doctor_patient_relationships (doctor_id, patient_id, initiated_by, status, can_view_prescriptions)
      VALUES (p_doctor, p_patient, 'doctor', 'active', true) $$`);
    await t().owner.query(`GRANT EXECUTE ON FUNCTION ${fn}(uuid, uuid) TO dastern_app`);
    try {
      await anonymous(async (c) => {
        await expect(c.query(`SELECT ${fn}($1, $2)`, [seed.rithy, seed.mao])).rejects.toMatchObject({ code: '42501' });
      });
    } finally {
      await t().owner.query(`DROP FUNCTION ${fn}(uuid, uuid)`);
    }
  });

  it('cannot verify or erase the audit trail', async () => {
    await anonymous(async (c) => {
      expect(await fails(c, 'SELECT * FROM app_audit_verify()')).toBe('42501');
      expect(await fails(c, 'SELECT app_audit_erase_user($1)', [seed.dara])).toBe('42501');
      expect((await c.query('SELECT * FROM app_my_access_log()')).rowCount).toBe(0);
    });
    const left = await t().owner.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM audit_logs WHERE subject_user_id = $1',
      [seed.dara],
    );
    expect(left.rows[0]!.n).toBeGreaterThan(0);
  });

  it('cannot act for another user (quota, subscription, free-tier checks)', async () => {
    await anonymous(async (c) => {
      expect((await c.query('SELECT app_can_act_for($1) AS ok', [seed.dara])).rows).toEqual([{ ok: false }]);
      expect((await c.query('SELECT app_is_direct_sql() AS d, app_is_owner_session() AS o')).rows).toEqual([
        { d: false, o: false },
      ]);
      for (const sql of [
        'SELECT user_has_premium_subscription($1)',
        'SELECT * FROM get_ai_quota($1)',
        'SELECT can_make_ai_request($1)',
        'SELECT can_create_prescription($1)',
      ])
        expect(await fails(c, sql, [seed.dara]), sql).toBe('42501');
    });
  });

  it('cannot use invitations or push subscriptions', async () => {
    await anonymous(async (c) => {
      expect((await c.query("SELECT * FROM app_find_invitation('SRPT8WQ3KD')")).rowCount).toBe(0);
      expect(await fails(c, "SELECT * FROM app_accept_invitation('SRPT8WQ3KD')")).toBe('P0001');
      expect(await fails(c, "SELECT app_decline_invitation('SRPT8WQ3KD')")).toBe('P0001');
      expect(
        await fails(c, "SELECT app_push_subscribe('https://push.example.com/x', repeat('A', 87), repeat('B', 22))"),
      ).toBe('42501');
    });
  });

  it('a login that is merely a member of dastern_app is the service too; SET ROLE changes nothing', async () => {
    const role = `dastern_svc_${randomBytes(4).toString('hex')}`;
    const client = await t().owner.connect();
    try {
      await client.query(`CREATE ROLE ${role} NOLOGIN IN ROLE dastern_app`);
      await client.query(`SET SESSION AUTHORIZATION ${role}`);
      expect(
        (
          await client.query('SELECT session_user::text AS s, app_is_direct_sql() AS d, app_can_act_for($1) AS a', [
            seed.dara,
          ])
        ).rows,
      ).toEqual([{ s: role, d: false, a: false }]);
      await expect(client.query('SELECT * FROM app_audit_verify()')).rejects.toMatchObject({ code: '42501' });
      await client.query('SET ROLE NONE');
      await client.query('RESET SESSION AUTHORIZATION');
      // the service's login with SET ROLE to the member role: session_user stays dastern_app
      await client.query('SET SESSION AUTHORIZATION dastern_app');
      expect((await client.query('SELECT session_user::text AS s, app_is_direct_sql() AS d', [])).rows).toEqual([
        { s: 'dastern_app', d: false },
      ]);
    } finally {
      await client.query('RESET SESSION AUTHORIZATION').catch(() => undefined);
      await client.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
      client.release();
    }
  });

  it('still runs the signed-out flows: find the account, count failures, rotate a refresh token', async () => {
    const email = `anon-${randomUUID()}@example.com`;
    const id = await createUser(t().owner, { email });
    const h1 = sha256Hex(`${id}-1`);
    const h2 = sha256Hex(`${id}-2`);
    await t().owner.query(
      "INSERT INTO user_sessions (user_id, refresh_token_hash, expires_at) VALUES ($1, $2, now() + interval '1 day')",
      [id, h1],
    );
    const client = await t().db.pool.connect();
    try {
      await client.query('BEGIN');
      expect((await client.query('SELECT id FROM app_auth_find_user($1)', [email.toUpperCase()])).rows).toEqual([
        { id },
      ]);
      expect(
        (await client.query("SELECT app_auth_record_login_failure($1, 5, '15 minutes', '15 minutes') AS u", [id])).rows,
      ).toEqual([{ u: null }]);
      await client.query('SELECT app_auth_record_login_success($1)', [id]);
      expect((await client.query('SELECT result FROM app_session_rotate($1, $2)', [h1, h2])).rows).toEqual([
        { result: 'rotated' },
      ]);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  });
});

describe('the owner in direct SQL (psql, `dastern audit verify`)', () => {
  it('keeps the no-context exemption; a context removes it', async () => {
    expect(
      (await t().owner.query('SELECT app_is_direct_sql() AS d, app_can_act_for($1) AS a', [seed.dara])).rows,
    ).toEqual([{ d: true, a: true }]);
    expect((await t().owner.query('SELECT ok FROM app_audit_verify()')).rows).toEqual([{ ok: true }]);
    const client = await t().owner.connect();
    try {
      await client.query('BEGIN');
      await client.query("SELECT set_config('app.user_id', $1, true), set_config('app.user_role', 'patient', true)", [
        seed.bopha,
      ]);
      expect(
        (await client.query('SELECT app_is_direct_sql() AS d, app_can_act_for($1) AS a', [seed.dara])).rows,
      ).toEqual([{ d: false, a: false }]);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
  });
});
