/**
 * Where a read's database time goes (`npm run bench:request`). Prints figures; never asserts.
 *
 * The SQL of GET /prescriptions?limit=20 (session check, list, audit row) through
 * Database.withUser, as dastern_app under RLS, `BENCH_CONNECTIONS` loops at once for
 * BENCH_DURATION seconds per variant, variants interleaved BENCH_REPEATS times (medians):
 *   read      opening (BEGIN, context, session check) + the list + COMMIT
 *   +audit    … and the audit row of the read (what the route does)
 *   +insert   … and instead an insert into a table without index or trigger: the cost of
 *             making the transaction a writing one (xid, WAL flush at commit)
 * Then EXPLAIN (ANALYZE, BUFFERS) of the session check, the list and the audit insert.
 *
 *   BENCH_USERS=2000 BENCH_DURATION=5 BENCH_REPEATS=3 BENCH_CONNECTIONS=40 BENCH_DB_PREFIX
 */
import os from 'node:os';
import pg from 'pg';
import { withMigrator } from '../src/db/migrations.ts';
import { deriveAppUrl, ensureAppLogin } from '../src/db/bootstrap.ts';
import { Database, type Tx } from '../src/db/database.ts';
import { listPrescriptions } from '../src/prescriptions/queries.ts';
import { recordReads } from '../src/audit/service.ts';
import { seedApiData } from './support/api-data.ts';
import { summarize } from './support/stats.ts';

const USERS = Number(process.env.BENCH_USERS ?? 2000);
const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const REPEATS = Math.max(1, Number(process.env.BENCH_REPEATS ?? 3));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 40);
const ownerBase = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const out = (s = ''): void => void process.stdout.write(`${s}\n`);

const SESSION_CHECK = `SELECT 1 FROM user_sessions s JOIN users u ON u.id = s.user_id
  WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > now() AND u.is_active AND u.deleted_at IS NULL`;

type Work = (tx: Tx, id: string) => Promise<unknown>;

async function loop(
  db: Database,
  users: { id: string; sid: string }[],
  work: Work,
): Promise<{ rps: number; p50: number; errors: number }> {
  const lat: number[] = [];
  let errors = 0;
  let n = 0;
  const end = Date.now() + DURATION * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (Date.now() < end) {
        const u = users[n++ % users.length] as { id: string; sid: string };
        const t0 = performance.now();
        try {
          await db.withUser({ userId: u.id, role: 'patient' }, (tx) => work(tx, u.id), {
            precondition: { text: SESSION_CHECK, values: [u.sid, u.id], refuse: () => new Error('session ended') },
          });
          lat.push(performance.now() - t0);
        } catch {
          errors += 1;
        }
      }
    }),
  );
  return { rps: lat.length / DURATION, p50: summarize(lat).median, errors };
}

async function explain(owner: pg.Client, appUrl: string, user: { id: string; sid: string }): Promise<void> {
  const c = new pg.Client({ connectionString: appUrl });
  await c.connect();
  try {
    await c.query('BEGIN');
    await c.query(`SELECT set_config('app.user_id', $1, true), set_config('app.user_role', 'patient', true)`, [
      user.id,
    ]);
    // warm: the connection's catalog caches and plpgsql functions compiled, as on a pooled connection
    const show = async (label: string, text: string, values: unknown[]): Promise<void> => {
      for (let i = 0; i < 20; i++) await c.query(`EXPLAIN (ANALYZE, TIMING OFF) ${text}`, values);
      const res = await c.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) ${text}`, values);
      out(`\n${label}:`);
      for (const r of res.rows) out(`   ${r['QUERY PLAN']}`);
    };
    await show('session check', SESSION_CHECK, [user.sid, user.id]);
    const ids = (
      await c.query<{ id: string }>('SELECT id FROM prescriptions WHERE patient_id = $1 LIMIT 20', [user.id])
    ).rows.map((r) => r.id);
    await show(
      'audit row insert',
      `INSERT INTO audit_logs (actor_user_id, actor_role, action, table_name, resource_id, subject_user_id, new_values, ip_address, user_agent, request_id)
      VALUES ($1, 'patient', 'list', 'prescriptions', NULL, $1, $2, app_client_ip(), NULL, 'bench')`,
      [user.id, JSON.stringify({ ids, count: ids.length })],
    );
    await c.query('ROLLBACK');
  } finally {
    await c.end();
  }
  void owner;
}

async function main(): Promise<void> {
  const name = `${process.env.BENCH_DB_PREFIX ?? ''}dastern_bench_req_${process.pid}`;
  const admin = new pg.Client({ connectionString: ownerBase });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const u = new URL(ownerBase);
  u.pathname = `/${name}`;
  const ownerUrl = u.toString();
  const owner = new pg.Client({ connectionString: ownerUrl });
  try {
    await withMigrator(ownerUrl, (m) => m.up().then(() => undefined));
    const password = 'benchpassword0123456789';
    await ensureAppLogin(ownerUrl, password);
    const { ids, sessions } = await seedApiData(ownerUrl, USERS, Math.min(1000, USERS));
    await owner.connect();
    await owner.query('CREATE TABLE bench_plain_insert (x jsonb); GRANT INSERT ON bench_plain_insert TO dastern_app');
    const users = ids.map((id, k) => ({ id, sid: sessions[k] as string }));
    const appUrl = deriveAppUrl(ownerUrl, password);
    const db = new Database(appUrl, { max: 20 });
    const variants: Array<{ name: string; work: Work }> = [
      { name: 'read', work: (tx, id) => listPrescriptions(tx, { patientId: id, limit: 20, offset: 0 }) },
      {
        name: '+audit',
        work: async (tx, id) => {
          const { rows } = await listPrescriptions(tx, { patientId: id, limit: 20, offset: 0 });
          await recordReads(tx, { requestId: 'bench' }, 'prescriptions', rows);
        },
      },
      {
        name: '+insert',
        work: async (tx, id) => {
          const { rows } = await listPrescriptions(tx, { patientId: id, limit: 20, offset: 0 });
          tx.defer('INSERT INTO bench_plain_insert (x) VALUES ($1)', [JSON.stringify({ ids: rows.map((r) => r.id) })]);
        },
      },
    ];
    const runs = new Map<string, number[]>(variants.map((v) => [v.name, []]));
    const p50s = new Map<string, number[]>(variants.map((v) => [v.name, []]));
    let errors = 0;
    for (let k = 0; k < REPEATS; k++) {
      for (const v of variants) {
        const r = await loop(db, users, v.work);
        runs.get(v.name)?.push(r.rps);
        p50s.get(v.name)?.push(r.p50);
        errors += r.errors;
      }
    }
    const paired = (v: string): string => {
      const xs = runs.get(v) ?? [];
      const rs = runs.get('read') ?? [];
      return summarize(xs.map((x, i) => x / (rs[i] ?? x))).median.toFixed(2);
    };
    out(
      `Database work of GET /prescriptions?limit=20: ${CONNECTIONS} loops, pool 20, medians of ${REPEATS} × ${DURATION} s; load average ${os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}; errors ${errors}`,
    );
    const base = summarize(runs.get('read') ?? []).median;
    for (const v of variants) {
      const rps = summarize(runs.get(v.name) ?? []).median;
      out(
        `   ${v.name.padEnd(8)} ${rps.toFixed(0).padStart(6)} req/s  p50 ${summarize(p50s.get(v.name) ?? [])
          .median.toFixed(1)
          .padStart(6)} ms  ${(rps / base).toFixed(2)} × read (median of paired runs ${paired(v.name)})`,
      );
    }
    await explain(owner, appUrl, users[0] as { id: string; sid: string });
    await db.close();
  } finally {
    await owner.end().catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}

await main();
