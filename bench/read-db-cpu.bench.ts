/**
 * PostgreSQL's own CPU time per `GET /prescriptions?limit=20` (`npx tsx bench/read-db-cpu.bench.ts`):
 * the route's transaction (BEGIN, RLS context, session check with the list behind it, the audit
 * row with COMMIT; through Database.withUser as the API runs it) sent by one connection, and the
 * CPU time of that connection's backend read from /proc/<pid>/stat — no HTTP, no other client,
 * no scheduler share in the figure, so it holds on a loaded machine. With BENCH_BEFORE=<another
 * checkout> the same on a second database migrated by that checkout's migrations and seeded the
 * same way; the lines (each database with and without the audit row) run in turns, in blocks, so
 * a drift of the load falls on all of them. Needs the PostgreSQL server on this machine
 * (DATABASE_URL, owner; e.g. a server of the bench's own). Prints figures; never asserts.
 *
 *   BENCH_USERS=10000  BENCH_ROUNDS=12  BENCH_BLOCK=250 (requests per line per round)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { deriveAppUrl } from '../src/db/bootstrap.ts';
import { Database } from '../src/db/database.ts';
import { listPrescriptions } from '../src/prescriptions/queries.ts';
import { recordReads } from '../src/audit/service.ts';
import { LIVE_SESSION_CHECK } from '../src/auth/queries.ts';
import { API_BENCH_PASSWORD, prepareApiDatabase } from './support/api-data.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const USERS = Number(process.env.BENCH_USERS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 12);
const BLOCK = Number(process.env.BENCH_BLOCK ?? 250);
const ownerBase = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

interface Line {
  name: string;
  db: Database;
  ids: string[];
  sessions: string[];
  audit: boolean;
  perBlock: number[];
}

function backendCpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** BLOCK requests of the line, each a new transaction as the API's; the backend's CPU per request. */
async function block(l: Line, offset: number, n: number): Promise<number> {
  // the pool's one connection (asked each time: an idle connection is closed after 30 s)
  const pid = (await l.db.pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid as number;
  const before = backendCpuMs(pid);
  for (let i = 0; i < n; i++) {
    const k = (offset + i) % l.ids.length;
    const id = l.ids[k] as string;
    await l.db.withUser(
      { userId: id, role: 'patient' },
      async (tx) => {
        const page = await listPrescriptions(tx, { patientId: id, limit: 20, offset: 0 });
        if (l.audit) await recordReads(tx, { requestId: 'bench-read-db-cpu' }, 'prescriptions', page.rows);
        return page;
      },
      {
        ip: '127.0.0.1',
        readOnly: true,
        precondition: { text: LIVE_SESSION_CHECK, values: [l.sessions[k], id], refuse: () => new Error('ended') },
      },
    );
  }
  return (backendCpuMs(pid) - before) / n;
}

async function linesOf(name: string, ownerUrl: string, checkout: string): Promise<Line[]> {
  const { ids, sessions } = await prepareApiDatabase(ownerUrl, checkout, USERS, Math.min(1000, USERS), 'x'.repeat(32));
  const lines: Line[] = [];
  for (const audit of [true, false]) {
    const db = new Database(deriveAppUrl(ownerUrl, API_BENCH_PASSWORD), { max: 1 });
    lines.push({
      name: `${name}, ${audit ? 'read + audit row' : 'read alone'}`,
      db,
      ids,
      sessions,
      audit,
      perBlock: [],
    });
  }
  return lines;
}

async function main(): Promise<void> {
  const name = `${process.env.BENCH_DB_PREFIX ?? ''}dastern_bench_dbcpu_${process.pid}`;
  const admin = new pg.Client({ connectionString: ownerBase });
  await admin.connect();
  const dbs = [name, ...(process.env.BENCH_BEFORE === undefined ? [] : [`${name}_before`])];
  const lines: Line[] = [];
  try {
    for (const db of dbs) {
      await admin.query(`CREATE DATABASE "${db}"`);
      const u = new URL(ownerBase);
      u.pathname = `/${db}`;
      const checkout = db === name ? root : (process.env.BENCH_BEFORE as string);
      lines.push(...(await linesOf(db === name ? 'now' : 'before', u.toString(), checkout)));
    }
    for (const l of lines) await block(l, 0, 100); // warm: catalog caches, prepared statements, generic plans
    for (let r = 0; r < ROUNDS; r++) for (const l of lines) l.perBlock.push(await block(l, r * BLOCK, BLOCK));
    const load = os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ');
    process.stdout.write(
      `PostgreSQL backend CPU per GET /prescriptions?limit=20 transaction (one connection; ${ROUNDS} rounds × ${BLOCK} requests per line, in turns; load average ${load}):\n`,
    );
    for (const l of lines) {
      const sorted = [...l.perBlock].sort((a, b) => a - b);
      const mean = l.perBlock.reduce((a, b) => a + b, 0) / l.perBlock.length;
      process.stdout.write(
        `  ${l.name.padEnd(26)} ${mean.toFixed(3)} ms/request (median of rounds ${(sorted[Math.floor(sorted.length / 2)] as number).toFixed(3)})\n`,
      );
    }
  } finally {
    for (const l of lines) await l.db.close();
    for (const db of dbs) await admin.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
    await admin.end();
  }
}

await main();
