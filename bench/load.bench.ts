/**
 * Load benchmark (`npm run bench:load`). Prints figures; never asserts.
 *
 * A real server process (workers and audit sealer on) on its own database; BENCH_LOAD_USERS
 * simulated patients (default 1,000) for BENCH_LOAD_SECONDS (default 60). Each one signs in
 * (the starts spread over the first 10 s), opens the live stream (GET /notifications/stream, held
 * open to the end), then repeats, with a random pause of about BENCH_THINK_MS between actions:
 * today's doses, logging one of them (taken), the prescription list. 90 % of them have
 * prescriptions and reminders; the other 10 % are new patients: each uploads a prescription photo
 * now and then (one action in BENCH_UPLOAD_EVERY; a small generated PNG, read by the OCR job).
 * Prints throughput, p50/p99 per route and every error (status or network). The users are
 * bench/support/load-run.ts (bench/chaos.bench.ts runs the same while breaking things).
 * After the run:
 *   - every dose log counted exactly: the taken logs in the database = the doses the API
 *     confirmed taken (and no dose answered 201 twice), each reminder's taken_count = its taken logs;
 *   - the audit chain verifies (app_audit_verify, once the sealer has caught up).
 * Goals: 0 errors, p99 ≤ 1 s on reads at 1,000 users.
 *
 * Sign-in: the users' password hashes have bcrypt cost 4 (the seed's); a real cost-12 sign-in
 * costs ~250 ms of CPU, so 1,000 of them in 10 s would be the whole test on 2 cores.
 *
 *   BENCH_LOAD_USERS=1000 BENCH_LOAD_SECONDS=60 BENCH_THINK_MS=10000 BENCH_UPLOAD_EVERY=5
 *   DATABASE_URL (superuser; default postgres://postgres@127.0.0.1:5432/postgres) BENCH_DB_PREFIX
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { withMigrator } from '../src/db/migrations.ts';
import { freePort } from '../test/support/net.ts';
import {
  LoadStats,
  checkAfter,
  out,
  runUsers,
  seedLoad,
  sleep,
  spawnDastern,
  waitHealthy,
  watchServer,
} from './support/load-run.ts';

const USERS = Number(process.env.BENCH_LOAD_USERS ?? 1000);
const SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 60);
const THINK_MS = Number(process.env.BENCH_THINK_MS ?? 10_000);
const UPLOAD_EVERY = Number(process.env.BENCH_UPLOAD_EVERY ?? 5);
/** The first 90 % (by e-mail) have prescriptions and reminders; the others are new: they upload. */
const WITH_RX = Math.ceil(USERS * 0.9);
const ownerBase = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const loadavg = (): string =>
  os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');

async function main(): Promise<void> {
  const name = `${process.env.BENCH_DB_PREFIX ?? ''}dastern_bench_load_${process.pid}`;
  const admin = new pg.Client({ connectionString: ownerBase });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const u = new URL(ownerBase);
  u.pathname = `/${name}`;
  const ownerUrl = u.toString();
  let server: ReturnType<typeof spawnDastern> | undefined;
  const dataDir = path.join(os.tmpdir(), `dastern-load-${process.pid}`);
  try {
    await withMigrator(ownerUrl, (m) => m.up().then(() => undefined));
    const emails = await seedLoad(ownerUrl, USERS, WITH_RX);
    const port = await freePort();
    server = await waitHealthy(
      spawnDastern('serve', { DATABASE_URL: ownerUrl, PORT: String(port), DASTERN_DATA_DIR: dataDir }),
      port,
    );
    out(
      `DasTern load benchmark: ${USERS} users, ${SECONDS} s, think ≈ ${THINK_MS} ms, new patients (10 %) upload in one action of ${UPLOAD_EVERY}; ${os.cpus().length} cores, load average ${loadavg()}`,
    );
    const stats = new LoadStats();
    const watch = watchServer(port);
    const r = await runUsers(
      { port, emails, seconds: SECONDS, thinkMs: THINK_MS, uploadEvery: UPLOAD_EVERY, withRx: WITH_RX },
      stats,
    );
    const total = stats.print(r.elapsedS);
    out(
      `total ${total} answered in ${r.elapsedS.toFixed(0)} s = ${(total / r.elapsedS).toFixed(1)} req/s; errors ${stats.failures.length}; streams open ${r.streamsOpen}/${USERS}; uploads ${r.uploads}`,
    );
    for (const f of stats.failures.slice(0, 10)) out(`   error: ${f.route} → ${f.status || 'network'} ${f.text}`);
    await watch.stop(stats.latencies);
    out(`load average ${loadavg()}`);
    await checkAfter(ownerUrl, r);
  } finally {
    server?.kill('SIGTERM');
    await sleep(1000);
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
