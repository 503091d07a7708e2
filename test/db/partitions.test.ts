/**
 * Migration 030: dose logs, audit rows and usage events in monthly partitions. The demo data
 * converts (every row kept, the sealed chain verifies, no counter counted twice); partitions
 * exist ahead and rows land in their month; the dispatcher's upsert target still works;
 * retention moves old months to schema archive (never deletes), and refuses audit_logs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, listMigrations, loadDevelopmentData, withMigrator } from '../../src/db/migrations.ts';
import { archiveLogPartitions, ensurePartitions } from '../../src/jobs/maintenance.ts';
import { createEmptyDatabase, useTestDatabase } from '../support/db.ts';
import pg from 'pg';

const t = useTestDatabase({ seed: true });
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

const TABLES = ['medication_reminder_logs', 'audit_logs', 'usage_analytics'] as const;

function month(offset: number): string {
  const now = new Date();
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));
  return `${d.getUTCFullYear()}_${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

async function snapshot(c: pg.Client) {
  const counts: Record<string, number> = {};
  for (const table of TABLES) counts[table] = Number((await c.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
  const counters = (
    await c.query(
      'SELECT sum(total_doses)::int AS total, sum(taken_count)::int AS taken, sum(missed_count)::int AS missed FROM medication_reminders',
    )
  ).rows[0];
  const seqs = (await c.query("SELECT string_agg(seq::text, ',' ORDER BY seq) AS s FROM audit_logs")).rows[0]
    .s as string;
  return { counts, counters, seqs };
}

describe('converting existing data (the demo seed)', () => {
  it('keeps every row, the audit chain verifies, the counters are not counted again', async () => {
    const db = await createEmptyDatabase();
    cleanups.push(db.drop);
    const before030 = fs.mkdtempSync(path.join(os.tmpdir(), 'dastern-mig-'));
    cleanups.push(async () => fs.rmSync(before030, { recursive: true, force: true }));
    for (const m of listMigrations())
      if (m.name < '030') fs.copyFileSync(m.file, path.join(before030, path.basename(m.file)));
    await withMigrator(db.url, (m) => m.up(), before030);
    await loadDevelopmentData(db.url);
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      await c.query('SELECT app_audit_seal()');
      const before = await snapshot(c);
      expect(before.counts.medication_reminder_logs).toBeGreaterThan(50);
      expect(before.counts.audit_logs).toBeGreaterThan(10);
      const verified = (await c.query('SELECT ok, checked_rows FROM app_audit_verify()')).rows[0];
      expect(verified.ok).toBe(true);

      expect(await withMigrator(db.url, (m) => m.up(), MIGRATIONS_DIR)).toContain('030_partitioned_logs');
      expect(await snapshot(c)).toEqual(before);
      for (const table of TABLES) {
        expect(
          (await c.query('SELECT relkind FROM pg_class WHERE oid = $1::regclass', [table])).rows[0].relkind,
          table,
        ).toBe('p');
        // nothing left in the default partition from the seed: its months were made
        expect(Number((await c.query(`SELECT count(*) AS n FROM ${table}_default`)).rows[0].n), table).toBe(0);
      }
      expect((await c.query('SELECT ok, checked_rows FROM app_audit_verify()')).rows[0]).toEqual(verified);
      // new rows are chained after the converted ones
      await c.query(
        "INSERT INTO audit_logs (actor_role, action, table_name) VALUES ('system', 'read', 'prescriptions')",
      );
      await c.query('SELECT app_audit_seal()');
      expect((await c.query('SELECT ok, checked_rows::int AS n FROM app_audit_verify()')).rows[0]).toEqual({
        ok: true,
        n: Number(verified.checked_rows) + 1,
      });
    } finally {
      await c.end();
    }
  }, 120_000);
});

describe('partitions ahead, routing, the upsert target', () => {
  it('the maintenance makes this month and the next ones; the service login may not', async () => {
    await ensurePartitions(t().worker, 5);
    for (const table of TABLES) {
      const names = (
        await t().owner.query<{ name: string }>(
          'SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass',
          [table],
        )
      ).rows.map((r) => r.name);
      for (let i = 0; i <= 5; i++) expect(names, table).toContain(`${table}_p${month(i)}`);
      expect(names).toContain(`${table}_default`);
    }
    expect(await ensurePartitions(t().worker, 5)).toBe(0);
    await expect(
      t().db.withUser({ userId: null, role: 'system' }, (tx) => tx.query('SELECT app_partitions_ensure(3)')),
    ).rejects.toThrow(/permission denied/);
  });

  it('rows land in their month; a dose far ahead in the default partition; the conflict target holds', async () => {
    const {
      rows: [r],
    } = await t().owner.query<{ id: string; patient_id: string }>(
      'SELECT id, patient_id FROM medication_reminders LIMIT 1',
    );
    const inTwoMonths = new Date();
    inTwoMonths.setUTCMonth(inTwoMonths.getUTCMonth() + 2, 10);
    const insert = `INSERT INTO medication_reminder_logs (reminder_id, patient_id, scheduled_for) VALUES ($1, $2, $3)
                    ON CONFLICT ON CONSTRAINT medication_reminder_logs_reminder_id_scheduled_for_key DO NOTHING
                    RETURNING tableoid::regclass::text AS part`;
    const routed = await t().asUser({ userId: null, role: 'system' }, async (tx) => {
      const first = await tx.query<{ part: string }>(insert, [r!.id, r!.patient_id, inTwoMonths]);
      const again = await tx.query<{ part: string }>(insert, [r!.id, r!.patient_id, inTwoMonths]);
      const far = await tx.query<{ part: string }>(insert, [r!.id, r!.patient_id, new Date('2100-01-01T00:00:00Z')]);
      return { first: first.rows[0]?.part, again: again.rowCount, far: far.rows[0]?.part };
    });
    expect(routed).toEqual({
      first: `medication_reminder_logs_p${month(2)}`,
      again: 0,
      far: 'medication_reminder_logs_default',
    });
    // the service's audit row goes to this month; the chain verifies
    const u = (await t().owner.query<{ id: string }>("SELECT id FROM users WHERE role = 'patient' LIMIT 1")).rows[0]!
      .id;
    await t().db.withUser({ userId: u, role: 'patient' }, (tx) =>
      tx.query(
        "INSERT INTO audit_logs (actor_user_id, actor_role, action, table_name, request_id) VALUES ($1, 'patient', 'read', 'prescriptions', 'partition-test')",
        [u],
      ),
    );
    const part = await t().owner.query<{ part: string }>(
      "SELECT tableoid::regclass::text AS part FROM audit_logs WHERE request_id = 'partition-test'",
    );
    expect(part.rows.map((p) => p.part)).toEqual([`audit_logs_p${month(0)}`]);
    await t().owner.query('SELECT app_audit_seal()');
    expect((await t().owner.query('SELECT ok FROM app_audit_verify()')).rows[0].ok).toBe(true);
    // back-dating a sealed row into another month moves it to another partition: verify names it
    const c = await t().owner.connect();
    try {
      const seq = (
        await c.query<{ seq: string }>("SELECT seq::text FROM audit_logs WHERE request_id = 'partition-test'")
      ).rows[0]!.seq;
      await c.query('BEGIN');
      const moved = await c.query<{ part: string }>(
        "UPDATE audit_logs SET created_at = created_at - interval '40 days' WHERE seq = $1 RETURNING tableoid::regclass::text AS part",
        [seq],
      );
      expect(moved.rows[0]!.part).not.toBe(`audit_logs_p${month(0)}`);
      expect((await c.query('SELECT ok, first_bad_seq::text AS seq FROM app_audit_verify()')).rows[0]).toEqual({
        ok: false,
        seq,
      });
    } finally {
      await c.query('ROLLBACK');
      c.release();
    }
  });
});

describe('retention', () => {
  it('moves old months to schema archive with their rows, never deletes; audit_logs is refused', async () => {
    const {
      rows: [r],
    } = await t().owner.query<{ id: string; patient_id: string }>(
      'SELECT id, patient_id FROM medication_reminders LIMIT 1',
    );
    // an old month, as a long-running install has (made by the owner, then filled)
    await t().owner.query("SELECT app_partition_create('medication_reminder_logs', date '2024-03-01')");
    await t().owner.query(
      `INSERT INTO medication_reminder_logs (reminder_id, patient_id, scheduled_for, status, action_at)
       SELECT $1, $2, g, 'taken', g FROM generate_series(timestamptz '2024-03-01 01:00Z', '2024-03-20 01:00Z', interval '1 day') g`,
      [r!.id, r!.patient_id],
    );
    const total = Number((await t().owner.query('SELECT count(*) AS n FROM medication_reminder_logs')).rows[0].n);

    const moved = await archiveLogPartitions(t().worker, 'medication_reminder_logs', 12);
    expect(moved).toEqual([{ partition: 'archive.medication_reminder_logs_p2024_03', rows: 20 }]);
    expect(Number((await t().owner.query('SELECT count(*) AS n FROM medication_reminder_logs')).rows[0].n)).toBe(
      total - 20,
    );
    expect(
      Number((await t().owner.query('SELECT count(*) AS n FROM archive.medication_reminder_logs_p2024_03')).rows[0].n),
    ).toBe(20);
    // the service's login cannot see the archive
    await expect(
      t().db.withUser({ userId: r!.patient_id, role: 'patient' }, (tx) =>
        tx.query('SELECT 1 FROM archive.medication_reminder_logs_p2024_03'),
      ),
    ).rejects.toThrow(/permission denied/);
    // kept months are not touched: a second run moves nothing
    expect(await archiveLogPartitions(t().worker, 'medication_reminder_logs', 12)).toEqual([]);
    await expect(
      t().worker.withUser({ userId: null, role: 'system' }, (tx) =>
        tx.query("SELECT * FROM app_partitions_archive('audit_logs', 1)"),
      ),
    ).rejects.toThrow(/audit_logs is never detached/);
    await t().owner.query('SELECT app_audit_seal()');
    expect((await t().owner.query('SELECT ok FROM app_audit_verify()')).rows[0].ok).toBe(true);
  });
});
