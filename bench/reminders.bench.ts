/**
 * Reminder dispatcher benchmark (`npm run bench:reminders`). Prints figures; never asserts.
 *
 * In its own database (created, dropped at the end): 100,000 patients, each with one
 * prescription and three medications, one reminder each (300,000 active reminders) at times
 * spread over the day (≈ 208 per minute), generated with set-based SQL.
 *   1. One minute's due doses: dispatchReminders() (the real code, as dastern_app / 'system')
 *      for BENCH_MINUTES consecutive minutes; time per minute, and client queries per dose
 *      (every query the pg clients of this process send, counted in pg.Client.prototype.query).
 *   2. A burst: 100,000 reminders due in the same minute (everyone's 07:00), dispatched per
 *      batch size in BENCH_BATCHES; doses per second (goal ≥ 5,000/s on 2 cores), peak RSS and
 *      heap of this process (the dispatcher), and where the database spent the time
 *      (pg_stat_user_functions with track_functions = all on the bench database).
 *
 *   BENCH_SCALE=1 (0.1 → 10,000 patients, a 10,000-dose burst)  BENCH_MINUTES=10
 *   BENCH_BATCHES=2000,10000   DATABASE_URL (superuser; default postgres://postgres@127.0.0.1:5432/postgres)
 */
import pg from 'pg';
import { withMigrator } from '../src/db/migrations.ts';
import { deriveAppUrl, ensureAppLogin } from '../src/db/bootstrap.ts';
import { Database } from '../src/db/database.ts';
import { dispatchReminders } from '../src/reminders/dispatcher.ts';
import { int, ms, progress, secs, summarize } from './support/stats.ts';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const MINUTES = Math.max(1, Number(process.env.BENCH_MINUTES ?? 10));
const BATCHES = (process.env.BENCH_BATCHES ?? '2000,10000').split(',').map(Number).filter((n) => n > 0);
const PATIENTS = Math.round(100_000 * SCALE);
const BURST = Math.round(100_000 * SCALE);
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
  const audited = ['users', 'prescriptions', 'medications', 'medication_reminders'];
  await c.query('BEGIN');
  for (const t of audited) await c.query(`ALTER TABLE ${t} DISABLE TRIGGER audit_row_change`);
  say(`users… `);
  await c.query(
    `INSERT INTO users (email, password_hash, role, first_name, last_name, language, email_verified_at)
     SELECT 'p' || g || '@bench.example', '$2b$04$abcdefghijklmnopqrstuuFJ6c0g2J8w9Dz0xq0B2dN5m4yW9C2Lm', 'patient',
            'Bench', 'Patient ' || g, (ARRAY['km','en','fr'])[1 + g % 3], now()
       FROM generate_series(1, $1) g`, [PATIENTS]);
  say(`prescriptions… `);
  await c.query(
    `INSERT INTO prescriptions (patient_id, uploaded_by, status, hospital_name, confirmed_at)
     SELECT id, id, 'completed', 'Calmette Hospital', now() FROM users WHERE role = 'patient'`);
  say(`medications… `);
  await c.query(
    `INSERT INTO medications (prescription_id, patient_id, sequence, name, strength, dose_morning)
     SELECT p.id, p.patient_id, s, (ARRAY['Paracetamol','Amoxicillin','Amlodipine'])[s], '500mg', 1
       FROM prescriptions p CROSS JOIN generate_series(1, 3) s`);
  say(`reminders… `);
  // reminder k gets minute (k * 7) mod 1440 of the day: ≈ 208 reminders per minute
  await c.query(
    `INSERT INTO medication_reminders (medication_id, patient_id, slot, reminder_time, dose_amount, start_date, timezone, next_reminder_at)
     SELECT m.id, m.patient_id, (ARRAY['morning','noon','evening','night']::dose_slot[])[1 + (r.k % 4)],
            time '00:00' + make_interval(mins => (r.k * 7) % 1440), 1, DATE '${DAY}', 'Asia/Phnom_Penh',
            (DATE '${DAY}' + time '00:00' + make_interval(mins => (r.k * 7) % 1440)) AT TIME ZONE 'Asia/Phnom_Penh'
       FROM (SELECT id, (row_number() OVER (ORDER BY id))::int AS k FROM medications) r JOIN medications m ON m.id = r.id`);
  for (const t of audited) await c.query(`ALTER TABLE ${t} ENABLE TRIGGER audit_row_change`);
  await c.query('COMMIT');
  say('vacuum analyze…');
  await c.query('VACUUM ANALYZE');
  say('\n');
}

/**
 * Proposed SQL changes for the SQL engineer (applied to the bench database only, then the burst
 * is measured again): (1) dose-log INSERT counters as one statement-level trigger with a
 * transition table instead of one UPDATE per row; (2) the medication_reminders audit trigger
 * skipped by a WHEN clause when only operational columns change (no plpgsql call, no jsonb
 * diff); (3) reminder_next_occurrence() computed once per row in dispatch_due_reminders (the
 * pulled-up subquery evaluated it twice: next_reminder_at and is_active); (4) its UPDATE by
 * primary key; (5) random_page_cost 1.1 for it (index joins to medications and users).
 */
const AUDITED = 'medication_id, patient_id, slot, reminder_time, dose_amount, dose_unit, days_of_week, start_date, end_date, timezone, is_active, snooze_minutes, advance_minutes, grace_minutes';
const NOISE = `'patient_id', 'next_reminder_at', 'last_dispatched_at', 'total_doses', 'taken_count', 'missed_count', 'skipped_count', 'adherence_rate'`;
const PROPOSED = `
CREATE OR REPLACE FUNCTION trg_medication_reminder_logs_counters_insert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  UPDATE medication_reminders mr SET total_doses = mr.total_doses + n.total, taken_count = mr.taken_count + n.taken,
         missed_count = mr.missed_count + n.missed, skipped_count = mr.skipped_count + n.skipped
    FROM (SELECT reminder_id, count(*)::int AS total, count(*) FILTER (WHERE status = 'taken')::int AS taken,
                 count(*) FILTER (WHERE status = 'missed')::int AS missed, count(*) FILTER (WHERE status = 'skipped')::int AS skipped
            FROM new_rows GROUP BY reminder_id) n
   WHERE mr.id = n.reminder_id;
  RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION trg_medication_reminder_logs_counters_update() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  -- new rows count in, old rows count out, per reminder (a log moved between reminders too)
  UPDATE medication_reminders mr SET total_doses = mr.total_doses + d.total, taken_count = mr.taken_count + d.taken,
         missed_count = mr.missed_count + d.missed, skipped_count = mr.skipped_count + d.skipped
    FROM (SELECT reminder_id, sum(k)::int AS total, sum(k * (status = 'taken')::int)::int AS taken,
                 sum(k * (status = 'missed')::int)::int AS missed, sum(k * (status = 'skipped')::int)::int AS skipped
            FROM (SELECT reminder_id, status, 1 AS k FROM new_rows UNION ALL SELECT reminder_id, status, -1 FROM old_rows) x
           GROUP BY reminder_id) d
   WHERE mr.id = d.reminder_id AND (d.total, d.taken, d.missed, d.skipped) <> (0, 0, 0, 0);
  RETURN NULL;
END $$;
DROP TRIGGER medication_reminder_logs_counters ON medication_reminder_logs;
-- deleted dose logs: row by row as before (rare: erasure, cascades)
CREATE TRIGGER medication_reminder_logs_counters AFTER DELETE ON medication_reminder_logs
    FOR EACH ROW EXECUTE FUNCTION trg_medication_reminder_logs_counters();
CREATE TRIGGER medication_reminder_logs_counters_insert AFTER INSERT ON medication_reminder_logs
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION trg_medication_reminder_logs_counters_insert();
CREATE TRIGGER medication_reminder_logs_counters_update AFTER UPDATE ON medication_reminder_logs
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION trg_medication_reminder_logs_counters_update();
DROP TRIGGER audit_row_change ON medication_reminders;
CREATE TRIGGER audit_row_change AFTER INSERT OR DELETE ON medication_reminders FOR EACH ROW
    EXECUTE FUNCTION trg_audit_row_change(${NOISE});
CREATE TRIGGER audit_row_change_update AFTER UPDATE ON medication_reminders FOR EACH ROW
    WHEN ((${AUDITED.split(', ').map((c) => `OLD.${c}`).join(', ')}) IS DISTINCT FROM (${AUDITED.split(', ').map((c) => `NEW.${c}`).join(', ')}))
    EXECUTE FUNCTION trg_audit_row_change(${NOISE});`;

async function applyProposed(c: pg.Client): Promise<void> {
  await c.query(PROPOSED);
  const def = (await c.query<{ d: string }>(`SELECT pg_get_functiondef('dispatch_due_reminders(timestamptz, integer)'::regprocedure) AS d`)).rows[0]!.d;
  // (3) once per row (OFFSET 0 keeps the subquery from being pulled up); (4) the UPDATE finds its
  // rows through the primary key instead of a sequential scan of every reminder per batch
  const fixed = def
    .replace(/(FROM medication_reminders r WHERE r\.id = ANY \(v_ids\))(\s*\) AS n)/, '$1 OFFSET 0$2')
    .replace(/WHERE mr\.id = n\.id;/, 'WHERE mr.id = n.id AND mr.id = ANY (v_ids);');
  if (fixed.split('OFFSET 0').length !== 2 || !fixed.includes('AND mr.id = ANY (v_ids);')) throw new Error('dispatch_due_reminders changed: update the bench patch');
  await c.query(fixed);
  // (5) a batch joins medications and users by primary key, not by hashing both tables whole:
  // the planner's random-I/O cost is for spinning disks; the working set is in memory
  await c.query('ALTER FUNCTION dispatch_due_reminders(timestamptz, integer) SET random_page_cost = 1.1');
}

interface FnStat { funcname: string; calls: number; total_time: number; self_time: number }

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
  for (const n of notices) out(n.split('\n').map((l) => `     ${l}`).join('\n'));
}

async function main(): Promise<void> {
  const name = `dastern_bench_rem_${process.pid}`;
  const admin = new pg.Client({ connectionString: ownerBase });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const ownerUrl = withDb(ownerBase, name);
  const owner = new pg.Client({ connectionString: ownerUrl });
  let db: Database | undefined;
  try {
    say('migrating…\n');
    await withMigrator(ownerUrl, (m) => m.up().then(() => undefined));
    await ensureAppLogin(ownerUrl, 'benchpassword0123456789');
    await owner.connect();
    await owner.query(`ALTER DATABASE "${name}" SET track_functions = 'all'`);
    const t0 = Date.now();
    await seed(owner);
    const active = (await owner.query<{ n: number }>('SELECT count(*)::int AS n FROM medication_reminders WHERE is_active')).rows[0]!.n;
    out(`DasTern reminder dispatcher benchmark — ${int(PATIENTS)} patients, ${int(active)} active reminders (generated in ${secs(Date.now() - t0)})`);
    const appUrl = deriveAppUrl(ownerUrl, 'benchpassword0123456789');
    db = new Database(appUrl, { max: 4 });

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
    out(`   client queries per dose    median ${summarize(perDose).median.toFixed(3)}  (a tick's queries ÷ its doses; a tick costs a fixed handful)`);

    // 2. bursts
    out(`\n2. Burst: ${int(BURST)} doses due in the same minute`);
    const runs = [...BATCHES.map((b) => ({ batchSize: b, proposed: false })), ...(process.env.BENCH_PROPOSED === '0' ? [] : [{ batchSize: BATCHES[0] ?? 2000, proposed: true }])];
    for (const [i, { batchSize, proposed }] of runs.entries()) {
      if (proposed) {
        await applyProposed(owner);
        out('   with the proposed SQL changes (statement-level dose-log counters, audit WHEN clause, dispatch_due_reminders plan fixes):');
      }
      const due = local('07:00', i + 1);
      // each run starts from the same state: no dose logs or notifications from earlier runs
      await owner.query(`ALTER TABLE medication_reminder_logs DISABLE TRIGGER USER; DELETE FROM medication_reminder_logs;
                         ALTER TABLE medication_reminder_logs ENABLE TRIGGER USER; DELETE FROM notifications`);
      await owner.query('ALTER TABLE medication_reminders DISABLE TRIGGER audit_row_change');
      await owner.query(
        `UPDATE medication_reminders mr SET next_reminder_at = CASE WHEN b.rn <= $2 THEN $1 ELSE $1::timestamptz + interval '1 day' END
           FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM medication_reminders WHERE is_active) b
          WHERE mr.id = b.id`, [due, BURST]);
      await owner.query('ALTER TABLE medication_reminders ENABLE TRIGGER audit_row_change');
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
      const q0 = queries;
      const start = performance.now();
      const r = await dispatchReminders(db, due, { batchSize });
      const elapsed = performance.now() - start;
      clearInterval(sampler);
      // backends flush their statistics when they end: a new pool for what follows
      await db.close();
      db = new Database(appUrl, { max: 4 });
      await new Promise((r) => setTimeout(r, 300));
      const after = await functionStats(owner);
      // two hours later (the grace window): the whole burst is marked missed in one tick
      const graceStart = performance.now();
      const grace = await dispatchReminders(db, new Date(due.getTime() + 121 * 60_000), { batchSize });
      const graceMs = performance.now() - graceStart;
      const mb = (b: number): string => `${(b / 1_048_576).toFixed(0)} MB`;
      out(`   batch ${String(batchSize).padStart(6)}: ${int(r.dispatched)} doses in ${secs(elapsed)} = ${int(r.dispatched / (elapsed / 1000))} doses/s` +
        `   ${int(queries - q0)} client queries (${((queries - q0) / Math.max(1, r.dispatched)).toFixed(4)} per dose)`);
      out(`                  the tick 2 h later marks ${int(grace.missed)} doses missed in ${secs(graceMs)}`);
      out(`                  dispatcher memory: RSS ${mb(base.rss)} → peak ${mb(peak.rss)}, heap ${mb(base.heapUsed)} → peak ${mb(peak.heap)}`);
      const rows = [...after.values()]
        .map((f) => ({ ...f, self: f.self_time - (before.get(f.funcname)?.self_time ?? 0), n: f.calls - (before.get(f.funcname)?.calls ?? 0) }))
        .filter((f) => f.n > 0).sort((a, b) => b.self - a.self).slice(0, 8);
      out('                  database time by function (self time, calls):');
      for (const f of rows) out(`                    ${f.funcname.padEnd(40)} ${ms(f.self).padStart(12)}  ${int(f.n).padStart(9)} calls`);
    }
  } finally {
    await db?.close();
    await owner.end().catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}

await main();
