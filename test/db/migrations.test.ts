/**
 * SQL is the source of truth: all migrations applied ≡ schema.sql + functions/user_functions.sql,
 * migrations roll back to zero and apply again, and the seed README's psql commands work verbatim.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { DATABASE_DIR, listMigrations, withMigrator } from '../../src/db/migrations.ts';
import { createEmptyDatabase } from '../support/db.ts';
import { fingerprint } from '../support/fingerprint.ts';

const read = (relative: string): string => fs.readFileSync(path.join(DATABASE_DIR, relative), 'utf8');

async function runSql(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function psqlAvailable(): boolean {
  try {
    execFileSync('psql', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const drop of cleanups) await drop();
});

describe('migrations', () => {
  it('are numbered, each with a down part', () => {
    const migrations = listMigrations();
    expect(migrations.map((m) => m.name)).toContain('001_initial_schema');
    for (const m of migrations) {
      expect(m.down, `${m.name} has a down part`).toBeDefined();
      expect(m.up.trim().length).toBeGreaterThan(0);
    }
  });

  it('all applied give exactly schema.sql + functions/user_functions.sql', async () => {
    const fromFiles = await createEmptyDatabase();
    const fromMigrations = await createEmptyDatabase();
    cleanups.push(fromFiles.drop, fromMigrations.drop);
    await runSql(fromFiles.url, read('schema.sql'));
    await runSql(fromFiles.url, read('functions/user_functions.sql'));
    await withMigrator(fromMigrations.url, (m) => m.up());
    const a = await fingerprint(fromFiles.url);
    const b = await fingerprint(fromMigrations.url);
    expect(a.columns?.length ?? 0).toBeGreaterThan(100);
    expect(b).toEqual(a);
  });

  it('migrate → roll back to zero → migrate gives the same schema', async () => {
    const db = await createEmptyDatabase();
    cleanups.push(db.drop);
    const empty = await fingerprint(db.url);
    await withMigrator(db.url, (m) => m.up());
    const first = await fingerprint(db.url);
    const rolledBack = await withMigrator(db.url, (m) => m.down({ to: 0 }));
    expect(rolledBack.length).toBe(listMigrations().length);
    expect(await fingerprint(db.url)).toEqual(empty);
    await withMigrator(db.url, (m) => m.up());
    expect(await fingerprint(db.url)).toEqual(first);
    const status = await withMigrator(db.url, (m) => m.status());
    expect(status.pending).toEqual([]);
  });

  it('012 rolls back over a sound audit chain (rows kept, chain rebuilt) and refuses over a tampered one', async () => {
    const db = await createEmptyDatabase();
    cleanups.push(db.drop);
    await withMigrator(db.url, (m) => m.up());
    // the ones after 012 first, so that 012 is the next step down
    const after012 = listMigrations().length - 12;
    if (after012 > 0) await withMigrator(db.url, (m) => m.down({ steps: after012 }));
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query(`INSERT INTO audit_logs (actor_role, action, table_name, resource_id)
                          SELECT 'system', 'read', 'prescriptions', g::text FROM generate_series(1, 5) g`);
      await client.query('SELECT app_audit_seal(); SELECT app_audit_seal();');
      await client.query("UPDATE audit_logs SET resource_id = 'edited' WHERE resource_id = '3'");
      const down012 = (m: Parameters<Parameters<typeof withMigrator>[1]>[0]) => m.down({ steps: 1 });
      await expect(withMigrator(db.url, down012)).rejects.toThrow(/does not verify/);
      await client.query("UPDATE audit_logs SET resource_id = '3' WHERE resource_id = 'edited'");
      await withMigrator(db.url, down012);
      const after = await client.query<{ n: number; ok: boolean }>(
        'SELECT (SELECT count(*)::int FROM audit_logs) AS n, (SELECT ok FROM app_audit_verify()) AS ok',
      );
      expect(after.rows[0]).toEqual({ n: 5, ok: true });
    } finally {
      await client.end();
    }
  });

  it('a failing step leaves nothing half-applied', async () => {
    const db = await createEmptyDatabase();
    cleanups.push(db.drop);
    const dir = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'dastern-mig-'));
    fs.writeFileSync(
      path.join(dir, '001_ok.sql'),
      'CREATE TABLE t_ok (id int);\n/* migrate:down\nDROP TABLE t_ok;\n*/\n',
    );
    fs.writeFileSync(
      path.join(dir, '002_bad.sql'),
      'CREATE TABLE t_bad (id int);\nSELECT 1/0;\n/* migrate:down\nDROP TABLE t_bad;\n*/\n',
    );
    await expect(withMigrator(db.url, (m) => m.up(), dir)).rejects.toThrow(/division by zero/);
    const status = await withMigrator(db.url, (m) => m.status(), dir);
    expect(status).toEqual({ applied: ['001_ok'], pending: ['002_bad'] });
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const tables = await client.query("SELECT to_regclass('t_bad') AS bad, to_regclass('t_ok') AS ok");
    await client.end();
    expect(tables.rows[0]).toEqual({ bad: null, ok: 't_ok' });
    fs.rmSync(dir, { recursive: true });
  });
});

describe.runIf(psqlAvailable())('the seed README set-up commands, verbatim with psql', () => {
  // The README's commands, with only the database name made unique for this run.
  const commands = [
    'psql -v ON_ERROR_STOP=1 -d dastern_v2 -f database/schema.sql',
    'psql -v ON_ERROR_STOP=1 -d dastern_v2 -f database/seeds/development_data.sql',
    'psql -v ON_ERROR_STOP=1 -d dastern_v2 -f database/functions/user_functions.sql',
  ];
  for (const [label, steps] of [['schema.sql', commands]] as const) {
    it(`run clean with ${label}, and the sample queries answer`, async () => {
      const db = await createEmptyDatabase();
      cleanups.push(db.drop);
      const u = new URL(db.url);
      const env = {
        ...process.env,
        PGHOST: u.hostname,
        PGPORT: u.port || '5432',
        PGUSER: decodeURIComponent(u.username),
        PGPASSWORD: decodeURIComponent(u.password),
      };
      for (const command of steps) {
        const args = command
          .split(' ')
          .slice(1)
          .map((a) => (a === 'dastern_v2' ? db.name : a));
        execFileSync('psql', [...args, '-q'], {
          env,
          cwd: path.resolve(DATABASE_DIR, '..'),
          stdio: ['ignore', 'ignore', 'pipe'],
        });
      }
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        const patient = await client.query<{ id: string }>(
          "SELECT id FROM users WHERE role = 'patient' ORDER BY created_at LIMIT 1",
        );
        const id = patient.rows[0]?.id;
        expect(id).toBeDefined();
        const sample = await client.query(
          `SELECT p.id, p.prescription_date, p.pharmacy_name, p.status,
                  array_agg(m.name || ' ' || m.strength) as medications
           FROM prescriptions p LEFT JOIN medications m ON p.id = m.prescription_id
           WHERE p.patient_id = $1
           GROUP BY p.id, p.prescription_date, p.pharmacy_name, p.status
           ORDER BY p.created_at DESC`,
          [id],
        );
        expect(sample.rowCount).toBeGreaterThan(0);
        const access = await client.query(
          'SELECT user_has_premium_subscription($1) as has_premium, can_make_ai_request($1) as can_use_ai',
          [id],
        );
        expect(access.rows[0]).toHaveProperty('has_premium');
        await client.query('SELECT * FROM get_active_reminders($1)', [id]);
        await client.query('SELECT cleanup_expired_sessions()');
        await client.query('SELECT archive_old_prescriptions(365)');
        expect((await client.query('SELECT * FROM get_user_statistics()')).rowCount).toBeGreaterThan(0);
        expect((await client.query('SELECT * FROM get_prescription_statistics()')).rowCount).toBeGreaterThan(0);
      } finally {
        await client.end();
      }
    });
  }
});
