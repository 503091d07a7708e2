/**
 * Database benchmark (`npm run bench:db`). Prints figures; never asserts.
 *
 *  1. On generated data (scale 1: 100k patients, 1M prescriptions, 10M dose logs, with their
 *     medications and reminders; see bench/support/db-data.ts), the latency of
 *       - SELECT * FROM get_active_reminders($1)
 *       - the seed README's "prescriptions with medications" query
 *     for random patients: as dastern_app inside a transaction with the RLS context set (how the
 *     service runs them), and as the owner for comparison; median, p95, p99 over BENCH_RUNS runs;
 *     server-side execution times; EXPLAIN (ANALYZE, BUFFERS) of both (the function's inner query
 *     with its generic plan, as the SQL function runs it). Goals: get_active_reminders ≤ 1 ms
 *     at 10M dose logs (the performance goal), the prescriptions query ≤ 2 ms.
 *  2. The time to apply all migrations to an empty database.
 *  3. The time for `npm start` to answer GET /api/v1/health on a new data dir, then on the same
 *     one again (stopped with SIGINT in between).
 *
 * Environment:
 *   BENCH_SCALE=1        data scale (0.01 for a quick check)
 *   BENCH_RUNS=300       measured runs per query and role (at least 200 recommended)
 *   BENCH_DB=dastern_bench   its own database, created when missing and reused when it holds the
 *                        same scale and the same migrations (marker table bench_meta.marker);
 *   BENCH_REBUILD=1      regenerate the data anyway
 *   BENCH_SKIP=start,migrate,queries   parts to leave out
 *   BENCH_DATABASE_URL / DATABASE_URL  the server (a superuser URL); else 127.0.0.1:5432 when it
 *                        answers; else an embedded server under .data/bench.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { appPassword, deriveAppUrl, ensureAppLogin } from '../src/db/bootstrap.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/db/embedded.ts';
import { listMigrations, withMigrator } from '../src/db/migrations.ts';
import { createLogger } from '../src/log.ts';
import { loadData, scaleOf, type Scale } from './support/db-data.ts';
import { cliStartMs, freePort, timeStart, type StartResult } from './support/start.ts';
import { int, ms, progress, secs, summarize, table, type Summary } from './support/stats.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SCALE = Number(process.env['BENCH_SCALE'] ?? 1);
const RUNS = Math.max(1, Number(process.env['BENCH_RUNS'] ?? 300));
const WARMUP = 30;
const BENCH_DB = process.env['BENCH_DB'] ?? 'dastern_bench';
const SKIP = new Set(
  (process.env['BENCH_SKIP'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== ''),
);
const GOAL_MS = { get_active_reminders: 1, 'prescriptions with medications': 2 } as const;
const say = progress(process.stderr.isTTY === true);
const out = (text = ''): void => void process.stdout.write(`${text}\n`);

if (!Number.isFinite(SCALE) || SCALE <= 0 || SCALE > 10) throw new Error('BENCH_SCALE must be a number in (0, 10]');
if (!/^[a-z_][a-z0-9_]*$/.test(BENCH_DB)) throw new Error('BENCH_DB must be a plain lower-case identifier');

const README_QUERY = `SELECT
    p.id,
    p.prescription_date,
    p.pharmacy_name,
    p.status,
    array_agg(m.name || ' ' || m.strength) as medications
FROM prescriptions p
LEFT JOIN medications m ON p.id = m.prescription_id
WHERE p.patient_id = $1
GROUP BY p.id, p.prescription_date, p.pharmacy_name, p.status
ORDER BY p.created_at DESC`;
const REMINDERS_QUERY = 'SELECT * FROM get_active_reminders($1)';

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

async function connect(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return c;
}

async function answers(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function resolveServer(): Promise<{ url: string; embedded: EmbeddedPostgres | undefined; where: string }> {
  const given = process.env['BENCH_DATABASE_URL'] ?? process.env['DATABASE_URL'];
  if (given !== undefined && given !== '')
    return { url: given, embedded: undefined, where: 'BENCH_DATABASE_URL/DATABASE_URL' };
  const local = 'postgres://postgres@127.0.0.1:5432/postgres';
  if (await answers(local)) return { url: local, embedded: undefined, where: '127.0.0.1:5432' };
  say('starting an embedded PostgreSQL under .data/bench…');
  const embedded = await startEmbeddedPostgres({
    dataDir: path.join(root, '.data/bench'),
    port: Number(process.env['BENCH_PG_PORT'] ?? 54331),
    logger: createLogger('warn', 'bench-pg'),
  });
  return { url: embedded.url, embedded, where: 'embedded (.data/bench)' };
}

function migrationHashes(): Record<string, string> {
  return Object.fromEntries(
    listMigrations().map((m) => [
      m.name,
      createHash('sha256')
        .update(m.up)
        .update('\0')
        .update(m.down ?? '')
        .digest('hex'),
    ]),
  );
}

interface Marker {
  scale: number;
  migrations: Record<string, string>;
  counts: Record<string, number>;
  loaded_at: Date;
  load_seconds: Record<string, number>;
}

async function readMarker(c: pg.Client): Promise<Marker | undefined> {
  const exists = await c.query<{ t: string | null }>("SELECT to_regclass('bench_meta.marker')::text AS t");
  if (exists.rows[0]?.t === null) return undefined;
  const res = await c.query<Marker>(
    'SELECT scale::float8 AS scale, migrations, counts, loaded_at, load_seconds FROM bench_meta.marker',
  );
  return res.rows[0];
}

/** The bench database, populated at this scale with the current migrations. */
async function prepareBenchDb(
  serverUrl: string,
  scale: Scale,
): Promise<{ url: string; reused: boolean; marker: Marker; applied: string[] }> {
  const admin = await connect(serverUrl);
  const url = withDatabase(serverUrl, BENCH_DB);
  const current = migrationHashes();
  try {
    const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [BENCH_DB])).rowCount === 1;
    let rebuild = !exists || process.env['BENCH_REBUILD'] === '1';
    let why = !exists ? 'missing' : 'BENCH_REBUILD=1';
    if (!rebuild) {
      const c = await connect(url);
      try {
        const marker = await readMarker(c);
        if (marker === undefined) {
          rebuild = true;
          why = 'not (completely) populated';
        } else if (Math.abs(marker.scale - scale.factor) > 1e-9) {
          rebuild = true;
          why = `populated at scale ${marker.scale}`;
        } else {
          const changed = Object.entries(marker.migrations)
            .filter(([name, sha]) => current[name] !== sha)
            .map(([name]) => name);
          if (changed.length > 0) {
            rebuild = true;
            why = `migrations changed since the load: ${changed.join(', ')}`;
          } else {
            const pending = Object.keys(current).filter((n) => !(n in marker.migrations));
            if (pending.length > 0) {
              say(`applying new migrations to ${BENCH_DB}: ${pending.join(', ')}…`);
              await withMigrator(url, (m) => m.up());
              await c.query('ANALYZE');
              await c.query('UPDATE bench_meta.marker SET migrations = $1', [JSON.stringify(current)]);
              marker.migrations = current;
            }
            return { url, reused: true, marker, applied: pending };
          }
        }
      } finally {
        await c.end();
      }
    }
    say(`building ${BENCH_DB} (${why})…`);
    await admin.query(`DROP DATABASE IF EXISTS ${BENCH_DB} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${BENCH_DB}`);
    await withMigrator(url, (m) => m.up());
    const c = await connect(url);
    try {
      const report = await loadData(c, scale, say);
      await c.query(`CREATE TABLE bench_meta.marker (scale numeric NOT NULL, migrations jsonb NOT NULL, counts jsonb NOT NULL,
                                                      load_seconds jsonb NOT NULL, loaded_at timestamptz NOT NULL DEFAULT now())`);
      await c.query('INSERT INTO bench_meta.marker (scale, migrations, counts, load_seconds) VALUES ($1, $2, $3, $4)', [
        scale.factor,
        JSON.stringify(current),
        JSON.stringify(report.counts),
        JSON.stringify(report.seconds),
      ]);
      const marker = await readMarker(c);
      return { url, reused: false, marker: marker!, applied: [] };
    } finally {
      await c.end();
    }
  } finally {
    await admin.end();
  }
}

// ------------------------------------------------------------------ queries

interface QueryFigures {
  appFirst: Summary; // dastern_app, the SELECT in the service's RLS transaction, first touch of that patient
  appWarm: Summary; // the same patient again right after (her pages now in shared buffers)
  appTx: Summary; // BEGIN + set_config + SELECT + COMMIT (the whole withUser round trip), warm
  serverApp: Summary; // EXPLAIN ANALYZE planning + execution on the server, as dastern_app, warm
  ownerFirst: Summary; // the owner (no RLS), other random patients, first touch
  ownerWarm: Summary;
  serverOwner: Summary;
  rows: number; // mean rows per call
  mismatches: number; // patients for whom dastern_app and the owner got different row counts
}

async function setContext(c: pg.Client, patientId: string): Promise<void> {
  await c.query(`SELECT set_config('app.user_id', $1, true), set_config('app.user_role', 'patient', true)`, [
    patientId,
  ]);
}

async function serverTime(c: pg.Client, sql: string, id: string): Promise<number> {
  const res = await c.query<{ 'QUERY PLAN': Array<{ 'Execution Time': number; 'Planning Time': number }> }>(
    `EXPLAIN (ANALYZE, FORMAT JSON) ${sql.replace('$1', `'${id}'::uuid`)}`,
  );
  const plan = res.rows[0]!['QUERY PLAN'][0]!;
  return plan['Execution Time'] + plan['Planning Time'];
}

/**
 * dastern_app and the owner each get their own random patients (never touched before by this
 * run), so that neither profits from the other's cache: "first" is the first query for that
 * patient (her pages mostly outside shared buffers), "warm" the same query again at once.
 */
async function measure(
  app: pg.Client,
  owner: pg.Client,
  sql: string,
  appIds: string[],
  ownerIds: string[],
  label: string,
): Promise<QueryFigures> {
  const appFirst: number[] = [];
  const appWarm: number[] = [];
  const appTx: number[] = [];
  const ownerFirst: number[] = [];
  const ownerWarm: number[] = [];
  let rows = 0;
  for (const [i, id] of appIds.entries()) {
    if (i % 20 === 0) say(`${label}: dastern_app ${i}/${appIds.length}`);
    await app.query('BEGIN');
    await setContext(app, id);
    const q0 = performance.now();
    const res = await app.query(sql, [id]);
    const q1 = performance.now();
    await app.query('COMMIT');
    const t0 = performance.now();
    await app.query('BEGIN');
    await setContext(app, id);
    const w0 = performance.now();
    await app.query(sql, [id]);
    const w1 = performance.now();
    await app.query('COMMIT');
    const t1 = performance.now();
    if (i >= WARMUP) {
      appFirst.push(q1 - q0);
      appWarm.push(w1 - w0);
      appTx.push(t1 - t0);
      rows += res.rowCount ?? 0;
    }
  }
  for (const [i, id] of ownerIds.entries()) {
    if (i % 20 === 0) say(`${label}: owner ${i}/${ownerIds.length}`);
    const q0 = performance.now();
    await owner.query(sql, [id]);
    const q1 = performance.now();
    await owner.query(sql, [id]);
    const q2 = performance.now();
    if (i >= WARMUP) {
      ownerFirst.push(q1 - q0);
      ownerWarm.push(q2 - q1);
    }
  }
  // the same answers for both (RLS lets the patient see all her rows), and server-side times
  let mismatches = 0;
  const srvApp: number[] = [];
  const srvOwner: number[] = [];
  for (const [i, id] of appIds.slice(WARMUP, WARMUP + 100).entries()) {
    if (i % 20 === 0) say(`${label}: server-side times ${i}/100`);
    await app.query('BEGIN');
    await setContext(app, id);
    const a = (await app.query(sql, [id])).rowCount;
    srvApp.push(await serverTime(app, sql, id));
    await app.query('COMMIT');
    if ((await owner.query(sql, [id])).rowCount !== a) mismatches += 1;
    srvOwner.push(await serverTime(owner, sql, id));
  }
  return {
    appFirst: summarize(appFirst),
    appWarm: summarize(appWarm),
    appTx: summarize(appTx),
    serverApp: summarize(srvApp),
    ownerFirst: summarize(ownerFirst),
    ownerWarm: summarize(ownerWarm),
    serverOwner: summarize(srvOwner),
    rows: rows / Math.max(1, appIds.length - WARMUP),
    mismatches,
  };
}

/** Scan nodes of a text plan: "Index Scan using idx on tbl [Index Cond: …]", "Seq Scan on tbl", … */
function scans(plan: string): string[] {
  const found: string[] = [];
  const lines = plan.split('\n');
  for (const [i, line] of lines.entries()) {
    const m =
      /(Parallel )?(Seq Scan|Index Only Scan|Index Scan|Bitmap Heap Scan|Bitmap Index Scan|Function Scan)( Backward)?( using (\S+))? on (\S+)/.exec(
        line,
      );
    if (m === null) continue;
    let text = `${m[2]}${m[5] ? ` using ${m[5]}` : ''} on ${m[6]}`;
    const depth = line.search(/\S/);
    for (const next of lines.slice(i + 1)) {
      if (next.search(/\S/) <= depth || next.includes('->')) break;
      const cond = /(Index Cond|Recheck Cond): (.*)$/.exec(next);
      if (cond !== null) text += ` [${cond[1]}: ${cond[2]!.replace(/'[0-9a-f-]{36}'::uuid/g, '$id')}]`;
    }
    if (!found.includes(text)) found.push(text);
  }
  return found;
}

async function explainText(c: pg.Client, sql: string): Promise<string> {
  const res = await c.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`);
  return res.rows.map((r) => r['QUERY PLAN']).join('\n');
}

const indent = (text: string): string =>
  text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');

async function explainAll(app: pg.Client, owner: pg.Client, id: string): Promise<void> {
  const lit = `'${id}'::uuid`;
  const body = (
    await owner.query<{ src: string }>(
      "SELECT prosrc AS src FROM pg_proc WHERE proname = 'get_active_reminders' AND pronamespace = 'public'::regnamespace",
    )
  ).rows[0]!.src;
  // PL/pgSQL (migration 007): the query after RETURN QUERY; a SQL function: its whole body
  const query = /RETURN QUERY([\s\S]*?);\s*END\s*$/i.exec(body)?.[1] ?? body;
  const inner = query
    .replace(/\bp_user_id\b/g, '$1')
    .trim()
    .replace(/;$/, '');

  await app.query('BEGIN');
  await setContext(app, id);
  const outer = await explainText(app, REMINDERS_QUERY.replace('$1', lit));
  await app.query(`PREPARE bench_gar(uuid) AS ${inner}`);
  await app.query("SET LOCAL plan_cache_mode = 'force_generic_plan'");
  const innerPlan = await explainText(app, `EXECUTE bench_gar(${lit})`);
  await app.query('DEALLOCATE bench_gar');
  const readme = await explainText(app, README_QUERY.replace('$1', lit));
  await app.query('COMMIT');

  await owner.query(`PREPARE bench_gar(uuid) AS ${inner}`);
  await owner.query("SET plan_cache_mode = 'force_generic_plan'");
  const ownerInner = await explainText(owner, `EXECUTE bench_gar(${lit})`);
  await owner.query('RESET plan_cache_mode');
  await owner.query('DEALLOCATE bench_gar');
  const ownerReadme = await explainText(owner, README_QUERY.replace('$1', lit));

  out(`EXPLAIN (ANALYZE, BUFFERS) for patient ${id}, as dastern_app with the RLS context (patient):`);
  out('');
  out('  get_active_reminders($1) — the call (a function: its inner plan is not shown here):');
  out(indent(outer));
  out('');
  out('  …its query, with the generic plan the function caches (PREPARE + plan_cache_mode = force_generic_plan):');
  out(indent(innerPlan));
  out('');
  out('  the README "prescriptions with medications" query:');
  out(indent(readme));
  out('');
  out('  scan summary (each scan node with its index condition):');
  const list = (xs: string[]): string => xs.map((x) => `\n        ${x}`).join('');
  out(`    get_active_reminders, dastern_app:${list(scans(innerPlan))}`);
  out(`    get_active_reminders, owner:${list(scans(ownerInner))}`);
  out(`    README query, dastern_app:${list(scans(readme))}`);
  out(`    README query, owner:${list(scans(ownerReadme))}`);
  const seq = [...scans(innerPlan), ...scans(readme)].filter((s) => s.startsWith('Seq Scan'));
  out(`    sequential scans as dastern_app: ${seq.length === 0 ? 'none' : seq.join('; ')}`);
  out('');
}

async function benchQueries(serverUrl: string, benchUrl: string): Promise<void> {
  const password = appPassword(path.join(root, '.data'));
  await ensureAppLogin(benchUrl, password);
  const app = await connect(deriveAppUrl(benchUrl, password));
  const owner = await connect(benchUrl);
  try {
    const who = (
      await app.query<{ u: string; s: boolean; b: boolean }>(
        'SELECT current_user AS u, r.rolsuper AS s, r.rolbypassrls AS b FROM pg_roles r WHERE r.rolname = current_user',
      )
    ).rows[0]!;
    const ids = (
      await owner.query<{ id: string }>('SELECT id FROM bench_meta.patients ORDER BY random() LIMIT $1', [
        4 * (RUNS + WARMUP),
      ])
    ).rows.map((r) => r.id);
    const n = Math.floor(ids.length / 4); // fewer at a small BENCH_SCALE
    const version = (await owner.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
    const buffers = (await owner.query<{ v: string }>("SELECT current_setting('shared_buffers') AS v")).rows[0]!.v;
    out(
      `Server: PostgreSQL ${version} (${serverUrl.replace(/\/\/[^@]*@/, '//')}), shared_buffers ${buffers}; service login ${who.u} (superuser ${who.s}, bypassrls ${who.b})`,
    );
    out(
      `Runs: ${n - WARMUP} measured per query, role and case (after ${WARMUP} warm-up), each on a different random patient; dastern_app and`,
    );
    out(
      '  the owner on disjoint patients. "first": the first query for that patient in this run; "warm": the same again at once.',
    );
    out('');
    const reminders = await measure(
      app,
      owner,
      REMINDERS_QUERY,
      ids.slice(0, n),
      ids.slice(n, 2 * n),
      'get_active_reminders',
    );
    const rx = await measure(
      app,
      owner,
      README_QUERY,
      ids.slice(2 * n, 3 * n),
      ids.slice(3 * n),
      'prescriptions with medications',
    );
    say('\n');
    const line = (label: string, x: Summary): string[] => [label, ms(x.median), ms(x.p95), ms(x.p99), ms(x.max)];
    const rowsOf = (label: string, f: QueryFigures): string[][] => [
      line(`${label} — dastern_app + RLS context, SELECT, first`, f.appFirst),
      line('    dastern_app, SELECT, warm', f.appWarm),
      line('    dastern_app, whole transaction (BEGIN, set_config, SELECT, COMMIT), warm', f.appTx),
      line('    dastern_app, server-side planning + execution (EXPLAIN ANALYZE, 100 runs, warm)', f.serverApp),
      line('    owner (no RLS), SELECT, first', f.ownerFirst),
      line('    owner, SELECT, warm', f.ownerWarm),
      line('    owner, server-side (100 runs, warm)', f.serverOwner),
    ];
    out(
      table([
        ['query / how', 'median', 'p95', 'p99', 'max'],
        ...rowsOf('get_active_reminders($1)', reminders),
        ...rowsOf('README prescriptions with medications', rx),
      ]),
    );
    out('');
    out(
      `Rows per call (mean): get_active_reminders ${reminders.rows.toFixed(2)}, prescriptions ${rx.rows.toFixed(2)}; ` +
        `row-count differences dastern_app vs owner: ${reminders.mismatches + rx.mismatches} (expected 0)`,
    );
    for (const [label, f] of [
      ['get_active_reminders', reminders],
      ['prescriptions with medications', rx],
    ] as const) {
      const goal = GOAL_MS[label];
      const verdict = (x: Summary): string => (x.median <= goal ? 'met' : 'MISSED');
      out(
        `Goal ≤ ${goal} ms, ${label} as dastern_app: first touch ${verdict(f.appFirst)} (median ${ms(f.appFirst.median)}, p95 ${ms(f.appFirst.p95)}), ` +
          `warm ${verdict(f.appWarm)} (median ${ms(f.appWarm.median)}, p95 ${ms(f.appWarm.p95)})`,
      );
    }
    out('');
    // a patient with a typical number of reminders today for the plans
    const typical =
      (
        await owner.query<{ id: string }>(
          `SELECT p.id FROM bench_meta.patients p
        WHERE (SELECT count(*) FROM get_active_reminders(p.id)) >= 3
        ORDER BY p.n LIMIT 1 OFFSET 7`,
        )
      ).rows[0]?.id ?? ids[0]!;
    await explainAll(app, owner, typical);
  } finally {
    await app.end();
    await owner.end();
  }
}

// ------------------------------------------------------------------ migrations

async function benchMigrations(serverUrl: string): Promise<void> {
  const admin = await connect(serverUrl);
  const name = `${BENCH_DB}_migrate`;
  const times: number[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      say(`migrations on an empty database, run ${i + 1}/3…`);
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${name}`);
      const t0 = performance.now();
      await withMigrator(withDatabase(serverUrl, name), (m) => m.up());
      times.push(performance.now() - t0);
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
  say('\n');
  const n = listMigrations().length;
  out(
    `All ${n} migrations on an empty database (Umzug, one transaction each): ${times.map(ms).join(', ')} (median ${ms(summarize(times).median)})`,
  );
  out('');
}

// ------------------------------------------------------------------ npm start

function describeStart(label: string, r: StartResult): void {
  const ready = r.readyMs === undefined ? `never answered (${r.error ?? 'unknown'})` : secs(r.readyMs);
  out(
    `npm start → /api/v1/health 200, ${label}: ${ready}; SIGINT → exit ${r.exitMs === undefined ? 'n/a' : ms(r.exitMs)} ` +
      `(code ${String(r.exitCode)}), embedded PostgreSQL stopped: ${r.postgresStopped ? 'yes' : 'NO'}${r.error !== undefined && r.readyMs !== undefined ? ` — ${r.error}` : ''}`,
  );
  const shown = r.timeline.slice(0, 12);
  for (const e of shown) out(`      ${secs(e.at).padStart(8)}  ${e.msg}`);
  if (r.timeline.length > shown.length) out(`      … ${r.timeline.length - shown.length} more log lines`);
}

async function benchStart(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dastern-bench-start-'));
  try {
    const ports = { http: await freePort(), pg: await freePort() };
    say('npm start on a new data dir…');
    const first = await timeStart(root, dataDir, ports);
    say('npm start on the existing data dir…');
    const second = await timeStart(root, dataDir, ports);
    say('\n');
    out(
      `npm start (node bin/dastern.js serve, embedded PostgreSQL, DASTERN_DATA_DIR=${dataDir}, PORT=${ports.http}, DASTERN_EMBEDDED_PG_PORT=${ports.pg}):`,
    );
    describeStart('new data dir (initdb, migrations, demo data)', first);
    describeStart('existing data dir', second);
    const cli = cliStartMs(root);
    out(
      `  for reference, \`node bin/dastern.js --help\` (Node + tsx loading the sources, no database): ${cli.map(secs).join(', ')}`,
    );
    out('');
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ main

const scale = scaleOf(SCALE);
out(
  `DasTern database benchmark — scale ${SCALE}: ${int(scale.patients)} patients, ${int(scale.prescriptions)} prescriptions, ${int(scale.doseLogs)} dose logs`,
);
out(
  `Machine: ${os.cpus().length} CPU (${os.cpus()[0]?.model ?? '?'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GB RAM, Node ${process.version}`,
);
const server = await resolveServer();
try {
  if (!SKIP.has('queries')) {
    const t0 = performance.now();
    const bench = await prepareBenchDb(server.url, scale);
    say('\n');
    out(
      `Data: database ${BENCH_DB} on ${server.where}, ${bench.reused ? `reused (loaded ${bench.marker.loaded_at.toISOString()})` : `generated in ${secs(performance.now() - t0)}`}`,
    );
    if (bench.applied.length > 0) out(`  migrations applied to it now: ${bench.applied.join(', ')} (then ANALYZE)`);
    out(
      `  rows: ${Object.entries(bench.marker.counts)
        .map(([t, n]) => `${t} ${int(n)}`)
        .join(', ')}`,
    );
    out(
      `  load steps: ${Object.entries(bench.marker.load_seconds)
        .map(([s, n]) => `${s} ${n.toFixed(1)} s`)
        .join(', ')}`,
    );
    out('');
    await benchQueries(server.url, bench.url);
  }
  if (!SKIP.has('migrate')) await benchMigrations(server.url);
  if (!SKIP.has('start')) await benchStart();
} finally {
  await server.embedded?.stop();
}
