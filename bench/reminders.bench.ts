/**
 * Reminder dispatcher benchmark (`npm run bench:reminders`). Prints figures; never asserts.
 *
 * In its own database (created, dropped at the end): 100,000 patients (more when the burst
 * needs them: BENCH_BURST ÷ 3), each with one prescription and three medications, one reminder
 * each (300,000 active reminders at scale 1) at times spread over the day, generated with
 * set-based SQL.
 *   1. One minute's due doses: dispatchReminders() (the real code, as dastern_app / 'system')
 *      for BENCH_MINUTES consecutive minutes; time per minute, and client queries per dose
 *      (every query the pg clients of this process send, counted in pg.Client.prototype.query).
 *   2. A burst: 1,000,000 reminders due in the same minute (everyone's 07:00 in a country),
 *      dispatched per batch size in BENCH_BATCHES and per number of parallel claim loops in
 *      BENCH_PARALLEL; doses per second (goal ≥ 20,000/s on 2 cores), each dose exactly once
 *      (dose logs and notifications counted after the burst), peak RSS and
 *      heap of this process (the dispatcher), the CPU time of the dispatcher's PostgreSQL backends
 *      (/proc, when the server runs on this machine: doses per CPU-second, which a shared machine's
 *      load does not shrink as it shrinks doses per second), and where the database spent the time
 *      (pg_stat_user_functions with track_functions = pl on the bench database: 'all' would also
 *      count SQL functions, which keeps PostgreSQL from inlining them and slows the dispatch).
 *
 *   BENCH_SCALE=1 (0.1 → 10,000 patients, a 100,000-dose burst)  BENCH_BURST (default 1,000,000 × scale)
 *   BENCH_ROLLBACK=N (the schema without its last N migrations, to compare before and after them)
 *   BENCH_MINUTES=10  BENCH_BATCHES=2000,10000  BENCH_PARALLEL=2 (e.g. 1,2 to compare)   DATABASE_URL (superuser; default postgres://postgres@127.0.0.1:5432/postgres)
 */
import fs from 'node:fs';
import os from 'node:os';
import pg from 'pg';
import { withMigrator } from '../src/db/migrations.ts';
import { deriveWorkerUrl, ensureAppLogin, ensureLogin } from '../src/db/bootstrap.ts';
import { Database } from '../src/db/database.ts';
import { dispatchReminders } from '../src/reminders/dispatcher.ts';
import { int, ms, progress, secs, summarize } from './support/stats.ts';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const MINUTES = Math.max(1, Number(process.env.BENCH_MINUTES ?? 10));
const BATCHES = (process.env.BENCH_BATCHES ?? '2000,10000')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const BURST = Math.round(Number(process.env.BENCH_BURST ?? 1_000_000 * SCALE));
const PATIENTS = Math.max(Math.round(100_000 * SCALE), Math.ceil(BURST / 3));
const PARALLEL = (process.env.BENCH_PARALLEL ?? '2')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const ownerBase = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DAY = '2030-01-07'; // a Monday; all reminders in Asia/Phnom_Penh (UTC+7)
const say = progress(process.stderr.isTTY === true);
const out = (text = ''): void => void process.stdout.write(`${text}\n`);
if (!Number.isFinite(SCALE) || SCALE <= 0 || SCALE > 10) throw new Error('BENCH_SCALE must be a number in (0, 10]');

/** Local time on DAY (+ days) in Phnom Penh as a Date. */
const local = (hhmm: string, days = 0): Date => new Date(Date.parse(`${DAY}T${hhmm}:00+07:00`) + days * 86_400_000);

// Every query any pg client of this process sends (the dispatcher's pool included).
let queries = 0;
const originalQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function counted(this: pg.Client, ...args: unknown[]) {
  queries += 1;
  return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
} as typeof pg.Client.prototype.query;

function withDb(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

async function seed(c: pg.Client): Promise<void> {
  await c.query('BEGIN');
  // generated rows, valid by construction: no trigger (audit rows, per-row guards and time zone
  // checks took most of the time of a 1M-reminder seed) and no foreign-key check
  await c.query('SET LOCAL session_replication_role = replica');
  say(`users… `);
  await c.query(
    `INSERT INTO users (email, password_hash, role, first_name, last_name, language, email_verified_at)
     SELECT 'p' || g || '@bench.example', '$2b$04$abcdefghijklmnopqrstuuFJ6c0g2J8w9Dz0xq0B2dN5m4yW9C2Lm', 'patient',
            'Bench', 'Patient ' || g, (ARRAY['km','en','fr'])[1 + g % 3], now()
       FROM generate_series(1, $1) g`,
    [PATIENTS],
  );
  say(`prescriptions… `);
  await c.query(
    `INSERT INTO prescriptions (patient_id, uploaded_by, status, hospital_name, confirmed_at)
     SELECT id, id, 'completed', 'Calmette Hospital', now() FROM users WHERE role = 'patient'`,
  );
  say(`medications… `);
  await c.query(
    `INSERT INTO medications (prescription_id, patient_id, sequence, name, strength, dose_morning)
     SELECT p.id, p.patient_id, s, (ARRAY['Paracetamol','Amoxicillin','Amlodipine'])[s], '500mg', 1
       FROM prescriptions p CROSS JOIN generate_series(1, 3) s`,
  );
  say(`reminders… `);
  // reminder k gets minute (k * 7) mod 1440 of the day: ≈ 208 reminders per minute
  await c.query(
    `INSERT INTO medication_reminders (medication_id, patient_id, slot, reminder_time, dose_amount, start_date, timezone, next_reminder_at)
     SELECT m.id, m.patient_id, (ARRAY['morning','noon','evening','night']::dose_slot[])[1 + (r.k % 4)],
            time '00:00' + make_interval(mins => (r.k * 7) % 1440), 1, DATE '${DAY}', 'Asia/Phnom_Penh',
            (DATE '${DAY}' + time '00:00' + make_interval(mins => (r.k * 7) % 1440)) AT TIME ZONE 'Asia/Phnom_Penh'
       FROM (SELECT id, (row_number() OVER (ORDER BY id))::int AS k FROM medications) r JOIN medications m ON m.id = r.id`,
  );
  await c.query('COMMIT');
  say('vacuum analyze…');
  await c.query('VACUUM ANALYZE');
  say('\n');
}

/** CPU time (user + system, ms) of a process of this machine so far; undefined when it is not one (Linux /proc). */
function cpuMs(pid: number): number | undefined {
  try {
    // after "pid (comm) ": utime is field 11, stime field 12 (clock ticks, 100 Hz)
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** The CPU time (ms) the dispatcher's PostgreSQL backends (the worker login's, in this database) used so far. */
async function backendsCpuMs(c: pg.Client, db: string): Promise<number | undefined> {
  const res = await c.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND usename = 'dastern_worker'`,
    [db],
  );
  let total = 0;
  for (const { pid } of res.rows) {
    const t = cpuMs(pid);
    if (t === undefined) return undefined;
    total += t;
  }
  return total;
}

interface FnStat {
  funcname: string;
  calls: number;
  total_time: number;
  self_time: number;
}

async function functionStats(c: pg.Client): Promise<Map<string, FnStat>> {
  await c.query('SELECT pg_stat_clear_snapshot()');
  const res = await c.query<FnStat>('SELECT funcname, calls::int, total_time, self_time FROM pg_stat_user_functions');
  return new Map(res.rows.map((r) => [r.funcname, r]));
}

/** BENCH_EXPLAIN=1: the plans of the statements inside one batch (auto_explain as notices), rolled back. */
async function explainBatch(c: pg.Client, due: Date, batchSize: number): Promise<void> {
  const notices: string[] = [];
  const onNotice = (n: { message?: string }): void => void notices.push(n.message ?? '');
  c.on('notice', onNotice);
  try {
    await c.query('BEGIN');
    await c.query(`LOAD 'auto_explain'`);
    await c.query(`SET LOCAL auto_explain.log_min_duration = 5; SET LOCAL auto_explain.log_analyze = on;
                   SET LOCAL auto_explain.log_nested_statements = on; SET LOCAL auto_explain.log_level = notice;
                   SET LOCAL auto_explain.log_timing = on; SET LOCAL client_min_messages = notice`);
    await c.query(`SELECT set_config('app.user_role', 'system', true)`);
    await c.query('SELECT count(*) FROM dispatch_due_reminders($1, $2)', [due, batchSize]);
  } finally {
    await c.query('ROLLBACK');
    c.off('notice', onNotice);
  }
  out('   EXPLAIN ANALYZE of one batch (auto_explain, nested statements):');
  for (const n of notices)
    out(
      n
        .split('\n')
        .map((l) => `     ${l}`)
        .join('\n'),
    );
}

async function main(): Promise<void> {
  const name = `${process.env.BENCH_DB_PREFIX ?? ''}dastern_bench_rem_${process.pid}`;
  const admin = new pg.Client({ connectionString: ownerBase });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const ownerUrl = withDb(ownerBase, name);
  const owner = new pg.Client({ connectionString: ownerUrl });
  let db: Database | undefined;
  try {
    say('migrating…\n');
    await withMigrator(ownerUrl, (m) => m.up().then(() => undefined));
    // BENCH_ROLLBACK=N: the database as it was N migrations ago (the same burst before and after them)
    const rollback = Number(process.env.BENCH_ROLLBACK ?? 0);
    if (rollback > 0)
      out(`rolled back: ${(await withMigrator(ownerUrl, (m) => m.down({ steps: rollback }))).join(', ')}`);
    await ensureAppLogin(ownerUrl, 'benchpassword0123456789');
    // the dispatcher acts as 'system', which counts only for the jobs' login (migration 014)
    await ensureLogin(ownerUrl, 'dastern_worker', 'benchpassword0123456789');
    await owner.connect();
    await owner.query(`ALTER DATABASE "${name}" SET track_functions = 'pl'`);
    const t0 = Date.now();
    await seed(owner);
    const active = (
      await owner.query<{ n: number }>('SELECT count(*)::int AS n FROM medication_reminders WHERE is_active')
    ).rows[0]!.n;
    out(
      `DasTern reminder dispatcher benchmark — ${int(PATIENTS)} patients, ${int(active)} active reminders (generated in ${secs(Date.now() - t0)})`,
    );
    const appUrl = deriveWorkerUrl(ownerUrl, 'benchpassword0123456789');
    db = new Database(appUrl, { max: 4 });
    out(
      `load average ${os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')} on ${os.cpus().length} cores`,
    );

    // 1. one minute's due doses
    const times: number[] = [];
    const perDose: number[] = [];
    let doses = 0;
    for (let m = 0; m < MINUTES; m++) {
      const now = local(`00:${String(m).padStart(2, '0')}`);
      const q0 = queries;
      const start = performance.now();
      const r = await dispatchReminders(db, now);
      times.push(performance.now() - start);
      perDose.push((queries - q0) / Math.max(1, r.dispatched));
      doses += r.dispatched;
      say(`minute ${m}: ${r.dispatched} doses`);
    }
    say('\n');
    const s = summarize(times);
    out(`\n1. One minute's due doses (${MINUTES} minutes, ${int(doses / MINUTES)} doses a minute on average)`);
    out(`   dispatch time per minute   median ${ms(s.median)}   p95 ${ms(s.p95)}   max ${ms(s.max)}`);
    out(
      `   client queries per dose    median ${summarize(perDose).median.toFixed(3)}  (a tick's queries ÷ its doses; a tick costs a fixed handful)`,
    );

    // 2. bursts
    out(`\n2. Burst: ${int(BURST)} doses due in the same minute`);
    const runs = BATCHES.flatMap((batchSize) => PARALLEL.map((parallel) => ({ batchSize, parallel })));
    for (const [i, { batchSize, parallel }] of runs.entries()) {
      const due = local('07:00', i + 1);
      // each run starts from the same state: no dose logs or notifications from earlier runs
      await owner.query(`ALTER TABLE medication_reminder_logs DISABLE TRIGGER USER; DELETE FROM medication_reminder_logs;
                         ALTER TABLE medication_reminder_logs ENABLE TRIGGER USER; DELETE FROM notifications`);
      // (only next_reminder_at changes: the audit trigger's WHEN clause skips these rows)
      await owner.query(
        `UPDATE medication_reminders mr SET next_reminder_at = CASE WHEN b.rn <= $2 THEN $1 ELSE $1::timestamptz + interval '1 day' END
           FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM medication_reminders WHERE is_active) b
          WHERE mr.id = b.id`,
        [due, BURST],
      );
      await owner.query('VACUUM ANALYZE medication_reminders, medication_reminder_logs, notifications');
      if (process.env.BENCH_EXPLAIN === '1' && i === 0) await explainBatch(owner, due, batchSize);
      await owner.query('SELECT pg_stat_reset()');
      const before = await functionStats(owner);
      global.gc?.();
      const base = process.memoryUsage();
      const peak = { rss: base.rss, heap: base.heapUsed };
      const sampler = setInterval(() => {
        const u = process.memoryUsage();
        peak.rss = Math.max(peak.rss, u.rss);
        peak.heap = Math.max(peak.heap, u.heapUsed);
      }, 20);
      // a new pool: its backends' CPU time is then this burst's alone
      await db.close();
      db = new Database(appUrl, { max: 4 });
      const q0 = queries;
      const start = performance.now();
      const r = await dispatchReminders(db, due, { batchSize, parallel });
      const elapsed = performance.now() - start;
      clearInterval(sampler);
      const dbCpu = await backendsCpuMs(owner, name);
      const once = (
        await owner.query<{ logs: number; notes: number; pairs: number }>(
          `SELECT (SELECT count(*)::int FROM medication_reminder_logs WHERE scheduled_for = $1) AS logs,
                (SELECT count(*)::int FROM notifications WHERE type = 'reminder' AND (data->>'scheduled_for')::timestamptz = $1) AS notes,
                (SELECT count(DISTINCT reminder_id)::int FROM medication_reminder_logs WHERE scheduled_for = $1) AS pairs`,
          [due],
        )
      ).rows[0];
      // backends flush their statistics when they end: a new pool for what follows
      await db.close();
      db = new Database(appUrl, { max: 4 });
      await new Promise((r) => setTimeout(r, 300));
      const after = await functionStats(owner);
      // two hours later (the grace window): the whole burst is marked missed in one tick
      const graceCpu0 = await backendsCpuMs(owner, name);
      const graceStart = performance.now();
      const grace = await dispatchReminders(db, new Date(due.getTime() + 121 * 60_000), { batchSize });
      const graceMs = performance.now() - graceStart;
      const graceCpu1 = await backendsCpuMs(owner, name);
      const graceCpu = graceCpu0 === undefined || graceCpu1 === undefined ? undefined : graceCpu1 - graceCpu0;
      const mb = (b: number): string => `${(b / 1_048_576).toFixed(0)} MB`;
      out(
        `   batch ${String(batchSize).padStart(6)} × ${parallel} loops: exactly once: ${once?.logs === BURST && once.notes === BURST && once.pairs === BURST ? 'yes' : 'NO'} ` +
          `(${int(once?.logs ?? 0)} dose logs, ${int(once?.notes ?? 0)} notifications, ${int(once?.pairs ?? 0)} reminders, for ${int(BURST)} due)`,
      );
      out(
        `   batch ${String(batchSize).padStart(6)}: ${int(r.dispatched)} doses in ${secs(elapsed)} = ${int(r.dispatched / (elapsed / 1000))} doses/s` +
          `   ${int(queries - q0)} client queries (${((queries - q0) / Math.max(1, r.dispatched)).toFixed(4)} per dose)`,
      );
      if (dbCpu !== undefined)
        out(
          `                  PostgreSQL CPU in the dispatcher's backends: ${secs(dbCpu)} = ${((dbCpu * 1000) / Math.max(1, r.dispatched)).toFixed(1)} µs per dose ` +
            `= ${int(r.dispatched / Math.max(0.001, dbCpu / 1000))} doses per CPU-second (what the load average leaves aside; WAL writer and checkpointer not counted)`,
        );
      out(
        `                  the tick 2 h later marks ${int(grace.missed)} doses missed in ${secs(graceMs)}` +
          (graceCpu === undefined
            ? ''
            : `, PostgreSQL CPU ${secs(graceCpu)} = ${((graceCpu * 1000) / Math.max(1, grace.missed)).toFixed(1)} µs per missed dose`),
      );
      out(
        `                  dispatcher memory: RSS ${mb(base.rss)} → peak ${mb(peak.rss)}, heap ${mb(base.heapUsed)} → peak ${mb(peak.heap)}`,
      );
      const rows = [...after.values()]
        .map((f) => ({
          ...f,
          self: f.self_time - (before.get(f.funcname)?.self_time ?? 0),
          n: f.calls - (before.get(f.funcname)?.calls ?? 0),
        }))
        .filter((f) => f.n > 0)
        .sort((a, b) => b.self - a.self)
        .slice(0, 8);
      out('                  database time by function (self time, calls):');
      for (const f of rows)
        out(`                    ${f.funcname.padEnd(40)} ${ms(f.self).padStart(12)}  ${int(f.n).padStart(9)} calls`);
    }
  } finally {
    await db?.close();
    await owner.end().catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}

await main();
