/**
 * The audit chain's sealer as the service runs it (a timer per process, a last seal on stop) and
 * `dastern audit verify` as a real process: seals, checks, names a tampered row, exit status.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuditSealer } from '../../src/audit/sealer.ts';
import { createLogger } from '../../src/log.ts';
import { useTestDatabase } from '../support/db.ts';
import { createUser } from '../database/fixtures.ts';
import { startChild, waitFor } from '../jobs/support.ts';

const t = useTestDatabase();
let dir = '';
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dastern-audit-cli-'));
});
afterAll(() => {
  if (dir !== '') fs.rmSync(dir, { recursive: true, force: true });
});

/** Audit rows not in the chain yet (as the owner sees them). */
async function unsealed(): Promise<number> {
  const res = await t().owner.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM audit_logs l WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.seq = l.seq)',
  );
  return res.rows[0]!.n;
}

async function readAs(userId: string, resource: string): Promise<void> {
  await t().db.withUser({ userId, role: 'patient' }, async (tx) => {
    tx.defer(
      `INSERT INTO audit_logs (actor_user_id, actor_role, action, table_name, resource_id, subject_user_id)
              VALUES ($1, 'patient', 'read', 'prescriptions', $2, $1)`,
      [userId, resource],
    );
  });
}

describe('the sealer of a serve or worker process', () => {
  it('chains what is written within a few ticks, and what is left when it stops', async () => {
    const u = await createUser(t().owner);
    const sealer = startAuditSealer(t().db, createLogger('silent'), 50);
    try {
      await Promise.all(Array.from({ length: 20 }, (_, i) => readAs(u, `r${i}`)));
      await waitFor('the rows to be sealed', async () => ((await unsealed()) === 0 ? true : undefined), 10_000, 50);
      await readAs(u, 'last');
    } finally {
      await sealer.stop();
    }
    expect(await unsealed()).toBe(0);
    const v = await t().owner.query<{ ok: boolean; pending_rows: string }>(
      'SELECT ok, pending_rows::text FROM app_audit_verify()',
    );
    expect(v.rows[0]).toEqual({ ok: true, pending_rows: '0' });
  });
});

describe('dastern audit verify', () => {
  const env = (): Record<string, string> => ({
    NODE_ENV: 'test',
    DASTERN_DATA_DIR: dir,
    DATABASE_URL: t().ownerUrl,
    LOG_LEVEL: 'warn',
  });

  it('seals, then reports the chain OK (exit 0) or names the first tampered row (exit 1)', async () => {
    const u = await createUser(t().owner);
    await readAs(u, 'cli');
    expect(await unsealed()).toBeGreaterThan(0);

    const ok = startChild(['bin/dastern.js', 'audit', 'verify', '--json'], env());
    expect(await ok.exited, ok.output()).toEqual({ code: 0, signal: null });
    const result = JSON.parse(ok.output().trim().split('\n').pop() ?? '{}') as {
      ok: boolean;
      checked_rows: number;
      pending_rows: number;
    };
    expect(result).toMatchObject({ ok: true, pending_rows: 0 });
    expect(result.checked_rows).toBeGreaterThan(0);
    expect(await unsealed()).toBe(0);

    const victim = await t().owner.query<{ seq: string }>("SELECT seq::text FROM audit_logs WHERE resource_id = 'cli'");
    const seq = victim.rows[0]!.seq;
    await t().owner.query("UPDATE audit_logs SET resource_id = 'someone else' WHERE seq = $1", [seq]);
    try {
      const bad = startChild(['bin/dastern.js', 'audit', 'verify'], env());
      expect(await bad.exited, bad.output()).toEqual({ code: 1, signal: null });
      expect(bad.output()).toContain(`audit chain BROKEN at seq ${seq}`);
    } finally {
      await t().owner.query("UPDATE audit_logs SET resource_id = 'cli' WHERE seq = $1", [seq]);
    }
  });
});
