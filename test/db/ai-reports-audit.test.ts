/**
 * Migration 027: audit rows of AI reports written before it (001's trigger copied the report's
 * text into old_values/new_values) are reduced to the facts through a sealed erasure event, and
 * new rows never carry the text; the audit chain still verifies.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { listMigrations, withMigrator } from '../../src/db/migrations.ts';
import { createEmptyDatabase } from '../support/db.ts';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const drop of cleanups) await drop();
});

const SECRET = 'Patient reports chest pain since Tuesday';

describe('027_ai_reports_audit_facts', () => {
  it('reduces earlier audit rows to ids and kind, and new ones never carry the text; the chain verifies', async () => {
    const db = await createEmptyDatabase();
    cleanups.push(db.drop);
    const after = listMigrations().filter((m) => m.name >= '027_ai_reports_audit_facts').length;
    await withMigrator(db.url, async (m) => {
      await m.up();
      await m.down({ steps: after });
    });
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const user = await client.query<{ id: string }>(
        `INSERT INTO users (email, password_hash, first_name, last_name) VALUES ('audit027@example.org', repeat('x', 60), 'A', 'B') RETURNING id`,
      );
      const userId = user.rows[0]?.id;
      const insert = (): Promise<pg.QueryResult<{ id: string }>> =>
        client.query<{ id: string }>(
          `INSERT INTO ai_reports (user_id, report_type, title, language, content, status, model)
         VALUES ($1, 'risk_assessment', $2, 'en', jsonb_build_object('summary', $2::text), 'completed', 'dastern-builtin-1') RETURNING id`,
          [userId, SECRET],
        );
      const old = (await insert()).rows[0]?.id;
      await client.query(`UPDATE ai_reports SET error_message = $2, status = 'failed' WHERE id = $1`, [old, SECRET]);
      const text = async (id: string | undefined): Promise<string> =>
        (
          await client.query<{ v: string }>(
            `SELECT string_agg(coalesce(old_values::text, '') || coalesce(new_values::text, ''), ' ') AS v FROM audit_logs WHERE table_name = 'ai_reports' AND resource_id = $1`,
            [id],
          )
        ).rows[0]?.v ?? '';
      expect(await text(old)).toContain(SECRET); // what 001's trigger did
      await client.query('SELECT app_audit_seal()'); // sealed before the reduction

      await withMigrator(db.url, (m) => m.up());
      const reduced = await text(old);
      expect(reduced).not.toContain(SECRET);
      expect(reduced).toContain('risk_assessment');
      const event = await client.query<{ seq: string }>(
        `SELECT l.seq FROM audit_logs l JOIN audit_redactions r ON r.erasure_seq = l.seq
          WHERE l.action = 'erase_user' AND r.seq IN (SELECT seq FROM audit_logs WHERE resource_id = $1)`,
        [old],
      );
      expect(event.rows.length).toBe(2);

      const fresh = (await insert()).rows[0]?.id;
      await client.query(`UPDATE ai_reports SET error_message = $2, status = 'failed' WHERE id = $1`, [fresh, SECRET]);
      const rows = await client.query<{ action: string; new_values: Record<string, unknown> }>(
        `SELECT action, new_values FROM audit_logs WHERE table_name = 'ai_reports' AND resource_id = $1 ORDER BY seq`,
        [fresh],
      );
      expect(rows.rows.map((r) => r.action)).toEqual(['insert', 'update']);
      expect(rows.rows[0]?.new_values).toMatchObject({
        id: fresh,
        user_id: userId,
        report_type: 'risk_assessment',
        status: 'completed',
      });
      expect(rows.rows[1]?.new_values).toEqual({ status: 'failed', changed_columns: ['error_message', 'status'] });
      expect(await text(fresh)).not.toContain(SECRET);
      // only updated_at: nothing written
      await client.query(`UPDATE ai_reports SET updated_at = now() + interval '1 minute' WHERE id = $1`, [fresh]);
      expect(
        (await client.query(`SELECT 1 FROM audit_logs WHERE table_name = 'ai_reports' AND resource_id = $1`, [fresh]))
          .rowCount,
      ).toBe(2);

      await client.query('SELECT app_audit_seal()');
      const verify = await client.query<{ ok: boolean; problem: string | null }>(
        'SELECT ok, problem FROM app_audit_verify()',
      );
      expect(verify.rows[0], JSON.stringify(verify.rows[0])).toMatchObject({ ok: true });
    } finally {
      await client.end();
    }
  });
});
