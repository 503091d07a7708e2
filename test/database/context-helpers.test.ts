/**
 * app_current_user_id(), the acting user every RLS policy reads: its value for every kind of
 * app.user_id (the same as the definition before migration 039), inlined by the planner (no
 * function call per policy), and immune to the caller's search_path (every name qualified).
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/db.ts';

const t = useTestDatabase({ seed: false });

/** The definition before migration 039 (a sub-select; nullif of the trimmed setting). */
const REFERENCE = `SELECT CASE WHEN s ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN s::uuid END
  FROM (SELECT nullif(btrim(current_setting('app.user_id', true)), '') AS s) AS x`;

const UUID = '4f9c1c2e-8a3b-4d5e-9f00-1a2b3c4d5e6f';
const INPUTS = [
  UUID,
  UUID.toUpperCase(),
  `  ${UUID}\t`,
  '',
  '   ',
  'not-a-uuid',
  UUID.replace(/-/g, ''),
  `{${UUID}}`,
  `x${UUID}`,
  `${UUID}x`,
  `${UUID.slice(0, 8)}-${UUID.slice(9, 13)}${UUID.slice(13)}`,
  "'; SELECT 1; --",
];

async function asApp<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: t().appUrl });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

describe('app_current_user_id()', () => {
  it('gives what the definition before 039 gave for every kind of app.user_id, unset included, never an error', async () => {
    await asApp(async (c) => {
      const unset = await c.query<{ id: string | null }>('SELECT app_current_user_id() AS id');
      expect(unset.rows[0]?.id).toBeNull();
      for (const input of INPUTS) {
        await c.query("SELECT set_config('app.user_id', $1, false)", [input]);
        const now = (await c.query<{ id: string | null }>('SELECT app_current_user_id() AS id')).rows[0]?.id;
        const before = (await c.query<{ s: string | null }>(`SELECT (${REFERENCE}) AS s`)).rows[0]?.s;
        expect(now, JSON.stringify(input)).toBe(before);
      }
      await c.query("SELECT set_config('app.user_id', $1, false)", [UUID.toUpperCase()]);
      expect((await c.query<{ id: string }>('SELECT app_current_user_id() AS id')).rows[0]?.id).toBe(UUID);
    });
  });

  it('is inlined into the RLS policies: no call of the function is left in the plan', async () => {
    await asApp(async (c) => {
      const plan = await c.query<{ 'QUERY PLAN': string }>(
        "EXPLAIN (VERBOSE, COSTS OFF) SELECT 1 FROM prescriptions WHERE patient_id = '00000000-0000-0000-0000-000000000000'",
      );
      const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(text).toContain("current_setting('app.user_id'");
      expect(text).not.toContain('app_current_user_id(');
    });
  });

  it('means the same under any search_path: a look-alike operator earlier on the path is never used', async () => {
    const owner = t().owner;
    await owner.query(`CREATE SCHEMA lookalike;
      CREATE FUNCTION lookalike.always(text, text) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true';
      CREATE OPERATOR lookalike.~* (LEFTARG = text, RIGHTARG = text, FUNCTION = lookalike.always);
      GRANT USAGE ON SCHEMA lookalike TO PUBLIC`);
    try {
      await asApp(async (c) => {
        await c.query('SET search_path = lookalike, pg_catalog, public');
        await c.query("SELECT set_config('app.user_id', 'not-a-uuid', false)");
        // the look-alike is there and would match
        expect((await c.query<{ m: boolean }>("SELECT 'a' ~* 'b' AS m")).rows[0]?.m).toBe(true);
        expect(
          (await c.query<{ id: string | null }>('SELECT public.app_current_user_id() AS id')).rows[0]?.id,
        ).toBeNull();
      });
    } finally {
      await owner.query('DROP SCHEMA lookalike CASCADE');
    }
  });
});
