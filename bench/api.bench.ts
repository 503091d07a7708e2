/**
 * API benchmark (`npm run bench:api`): a real server process on a fresh database with 10,000
 * seeded users; autocannon runs GET /api/v1/me and GET /api/v1/prescriptions (a page of 20 with
 * medications) at 100 and 1,000 connections, then the same SQL through `pg` alone at the same
 * concurrency, and prints requests/s, p50/p99 latency, errors and the ratio API ÷ raw.
 * "The same SQL" is the route's own: the session check, the route's query and, for the
 * prescription list, the audit row the route writes for a read of medical data; a second raw
 * line leaves that audit row out, to show what it costs. The raw line is a peer on the same
 * footing (bench/support/raw-server.ts): its own process, a pool of 20, a bare node:http
 * server driven by the same autocannon with the same tokens (it used to run as loops inside the
 * benchmark's process, with no HTTP, no token check and no JSON: not the same work, and a
 * process of its own competing with the server for the cores). Each figure is the median of
 * BENCH_REPEATS runs, API and raw interleaved (the machine's load drifts).
 * The prescription list also runs against PostGraphile 4.14.1 on the same database (a peer line:
 * its own process, dastern_app under RLS, pool of 20, the same tokens → the same RLS context
 * through pgSettings; bench/support/postgraphile-server.ts), with the equivalent GraphQL query,
 * first checked to return the same prescriptions and medications as the API for a few patients.
 * Figures are printed, never asserted. Goals: API ÷ PostGraphile ≥ 2.0 at 100 and
 * 1,000 connections with 0 errors; API ÷ raw ≥ 0.8 (audit row included).
 *
 *   DATABASE_URL (owner; default postgres://postgres@127.0.0.1:5432/postgres)
 *   BENCH_USERS=10000  BENCH_DURATION=10 (seconds per run)  BENCH_CONNECTIONS=100,1000
 *   BENCH_ROUTES=me,prescriptions (which routes to run)  BENCH_REPEATS=3
 *   BENCH_PEER=0 leaves the PostGraphile line out
 *   BENCH_BEFORE=<path of another checkout, built> also runs that checkout's server, interleaved
 *   with this one (a before → after comparison under the same load), on a database of its own
 *   on the same server, migrated by that checkout's migrations and seeded the same way
 *   BENCH_DB_CPU=1 also prints PostgreSQL's CPU time per request (its processes' /proc times; only
 *   meaningful on a server of the benchmark's own, e.g. an embedded one, with DATABASE_URL to it),
 *   and how much of it the line's own backends used (bench/support/db-cpu.ts).
 *   With CPU time per request (server + PostgreSQL) the comparison holds on a loaded machine,
 *   where requests/s mostly show how the scheduler shares the cores between processes.
 *   BENCH_STATEMENTS=1 also prints, after each run, the statements PostgreSQL ran per request
 *   (pg_stat_statements; bench/support/statements.ts says what the server needs).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { deriveAppUrl } from '../src/db/bootstrap.ts';
import { freePort } from '../test/support/net.ts';
import { API_BENCH_PASSWORD as PASSWORD, prepareApiDatabase } from './support/api-data.ts';
import { statementSnapshot, statementText } from './support/statements.ts';
import { DbCpuMeter, type DbCpu } from './support/db-cpu.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const USERS = Number(process.env.BENCH_USERS ?? 10_000);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '100,1000').split(',').map(Number);
const REPEATS = Math.max(1, Number(process.env.BENCH_REPEATS ?? 3));
const ROUTES = new Set((process.env.BENCH_ROUTES ?? 'me,prescriptions').split(','));
const PATIENTS_WITH_RX = Math.min(1000, USERS);
const SECRET = 'bench-secret-0123456789abcdef0123456789abcdef';
const ownerBase = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const log = (s: string): void => void process.stderr.write(`${s}\n`);

function withDb(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

async function startServer(ownerUrl: string, appUrl: string, port: number, checkout = root): Promise<ChildProcess> {
  // BENCH_SERVER_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the server process.
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const child = spawn(process.execPath, [...nodeArgs, path.join(checkout, 'bin/dastern.js'), 'serve'], {
    env: {
      ...process.env,
      NODE_ENV: 'development',
      DATABASE_URL: ownerUrl,
      DASTERN_APP_DATABASE_URL: appUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      DASTERN_JWT_SECRET: SECRET,
      DASTERN_RATE_LIMIT: '10000000',
      LOG_LEVEL: 'warn',
      DASTERN_DATA_DIR: path.join(root, '.data/bench'),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  // up to 90 s: at a load of 30 a start takes longer than the 20 s this used to wait
  for (let i = 0; i < 900; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/api/v1/health`);
      if (r.ok) return child;
    } catch {
      // not yet listening
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGTERM');
  throw new Error('the server did not start');
}

/** A peer server of bench/support/ (PostGraphile, raw pg) in its own process, on the same database as dastern_app. */
async function startPeer(script: string, appUrl: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'bench/support', script)], {
    env: { ...process.env, PG_URL: appUrl, PORT: String(port), DASTERN_JWT_SECRET: SECRET, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start`)), 120_000);
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => reject(new Error(`${script} exited (${String(code)})`)));
  });
  return child;
}

/** GET /prescriptions?limit=20 as GraphQL: her prescriptions not deleted, newest first, with their medications. */
const GRAPHQL_LIST = `query($patientId: UUID!) {
  allPrescriptions(condition: { patientId: $patientId, deletedAt: null }, orderBy: [CREATED_AT_DESC, PRIMARY_KEY_ASC], first: 20) {
    totalCount
    nodes {
      id patientId status errorMessage hospitalName prescriptionDate prescribingDoctorName createdAt confirmedAt
      medicationsByPrescriptionIdAndPatientId(orderBy: SEQUENCE_ASC) {
        nodes {
          id sequence name genericName strength form quantity quantityUnit doseMorning doseNoon doseEvening doseNight
          durationDays instructions takeAfterMeal takeBeforeMeal confidence isActive
        }
      }
    }
  }
}`;
const graphqlBody = (patientId: string): string => JSON.stringify({ query: GRAPHQL_LIST, variables: { patientId } });

interface ListShape {
  total: number;
  items: Array<{ id: string; medications: string[] }>;
}

/** The API's and PostGraphile's answers for the same patients, reduced to ids and order; throws on a difference. */
async function verifySameRows(apiBase: string, peerUrl: string, tokens: string[], ids: string[]): Promise<number> {
  let compared = 0;
  for (let k = 0; k < Math.min(5, tokens.length); k++) {
    const headers = { authorization: `Bearer ${tokens[k] as string}`, 'content-type': 'application/json' };
    const api = (await (await fetch(`${apiBase}/prescriptions?limit=20`, { headers })).json()) as {
      total: number;
      items: Array<{ id: string; medications: Array<{ id: string }> }>;
    };
    const peerRes = (await (
      await fetch(peerUrl, { method: 'POST', headers, body: graphqlBody(ids[k] as string) })
    ).json()) as {
      data?: {
        allPrescriptions: {
          totalCount: number;
          nodes: Array<{ id: string; medicationsByPrescriptionIdAndPatientId: { nodes: Array<{ id: string }> } }>;
        };
      };
      errors?: unknown;
    };
    if (peerRes.data === undefined) throw new Error(`PostGraphile answered ${JSON.stringify(peerRes.errors)}`);
    const a: ListShape = {
      total: api.total,
      items: api.items.map((p) => ({ id: p.id, medications: p.medications.map((m) => m.id) })),
    };
    const b: ListShape = {
      total: peerRes.data.allPrescriptions.totalCount,
      items: peerRes.data.allPrescriptions.nodes.map((p) => ({
        id: p.id,
        medications: p.medicationsByPrescriptionIdAndPatientId.nodes.map((m) => m.id),
      })),
    };
    if (JSON.stringify(a) !== JSON.stringify(b))
      throw new Error(
        `PostGraphile and the API differ for patient ${k}: ${JSON.stringify(a).slice(0, 200)} vs ${JSON.stringify(b).slice(0, 200)}`,
      );
    if (a.items.length === 0) throw new Error('the compared page is empty');
    compared += a.items.length;
  }
  return compared;
}

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  cpuMsPerRequest?: number;
  userCpuMsPerRequest?: number;
  /** PostgreSQL's CPU per request, split by whose connection it served */
  dbCpuPerRequest?: DbCpu;
}

/** BENCH_DB_CPU=1: PostgreSQL's CPU time, when the server runs on this machine (bench/support/db-cpu.ts). */
let dbMeter: DbCpuMeter | undefined;

/**
 * CPU time a process has used so far, in ms (Linux /proc; undefined elsewhere): user + system,
 * and user alone (the process's own code; system time, mostly socket writes on loopback, which
 * also deliver to the receiver, grows with the machine's load).
 */
function cpuMs(pid: number | undefined): { total: number; user: number } | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // after "pid (comm) ": state is field 0, utime field 11, stime field 12 (clock ticks, 100 Hz)
    return { total: (Number(fields[11]) + Number(fields[12])) * 10, user: Number(fields[11]) * 10 };
  } catch {
    return undefined;
  }
}

/** BENCH_STATEMENTS=1: the owner's connection and the database, to read pg_stat_statements around each run. */
let statements: { admin: pg.Client; db: string } | undefined;

async function cannon(
  url: string,
  tokens: string[],
  connections: number,
  serverPid?: number,
  bodyOf?: (k: number) => string,
): Promise<Figures> {
  let i = 0;
  const cpuBefore = cpuMs(serverPid);
  const dbBefore = dbMeter?.now();
  const stBefore = statements && (await statementSnapshot(statements.admin, statements.db));
  const result = await autocannon({
    url,
    connections,
    duration: DURATION,
    requests: [
      {
        method: bodyOf === undefined ? 'GET' : 'POST',
        setupRequest: (req) => {
          const k = i++ % tokens.length;
          const headers = {
            ...req.headers,
            authorization: `Bearer ${tokens[k] as string}`,
            ...(bodyOf === undefined ? {} : { 'content-type': 'application/json' }),
          };
          return bodyOf === undefined ? { ...req, headers } : { ...req, headers, body: bodyOf(k) };
        },
      },
    ],
  });
  if (process.env.BENCH_VERBOSE === '1')
    log(
      `  autocannon: errors ${result.errors}, timeouts ${result.timeouts}, non-2xx ${result.non2xx}, status ${JSON.stringify(result.statusCodeStats)}, latency p2.5 ${result.latency.p2_5} p50 ${result.latency.p50} p90 ${result.latency.p90} p97.5 ${result.latency.p97_5} max ${result.latency.max}`,
    );
  const cpuAfter = cpuMs(serverPid);
  const dbUsed = dbBefore === undefined ? undefined : await dbMeter?.since(dbBefore, serverPid);
  const served = result.requests.total;
  if (statements !== undefined)
    process.stdout.write(
      `statements per request of ${url} (${served} requests):\n${statementText(stBefore, await statementSnapshot(statements.admin, statements.db), served)}`,
    );
  const cpuMsPerRequest =
    cpuBefore !== undefined && cpuAfter !== undefined && served > 0
      ? (cpuAfter.total - cpuBefore.total) / served
      : undefined;
  const userCpuMsPerRequest =
    cpuBefore !== undefined && cpuAfter !== undefined && served > 0
      ? (cpuAfter.user - cpuBefore.user) / served
      : undefined;
  const per = (x: number): number => x / Math.max(served, 1);
  const dbCpuPerRequest =
    dbUsed === undefined
      ? undefined
      : {
          total: per(dbUsed.total),
          own: per(dbUsed.own),
          others: per(dbUsed.others),
          background: per(dbUsed.background),
        };
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
    cpuMsPerRequest,
    userCpuMsPerRequest,
    dbCpuPerRequest,
  }; // errors include timeouts
}

/** Each figure's median over the runs (requests/s, p50, p99; errors summed). */
function median(runs: Figures[]): Figures {
  const mid = (xs: number[]): number => {
    const sorted = [...xs].sort((x, y) => x - y);
    const m = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? (sorted[m] as number) : ((sorted[m - 1] as number) + (sorted[m] as number)) / 2;
  };
  return {
    rps: mid(runs.map((r) => r.rps)),
    p50: mid(runs.map((r) => r.p50)),
    p99: mid(runs.map((r) => r.p99)),
    errors: runs.reduce((n, r) => n + r.errors, 0),
  };
}

/** The server's and the database's CPU per request (medians over the runs), when measured. */
function cpuText(runs: Figures[]): string {
  const xs = runs
    .map((x) => x.cpuMsPerRequest)
    .filter((x): x is number => x !== undefined)
    .sort((x, y) => x - y);
  const user = runs
    .map((x) => x.userCpuMsPerRequest)
    .filter((x): x is number => x !== undefined)
    .sort((x, y) => x - y);
  const userText = user.length > 0 ? ` (user ${(user[Math.floor(user.length / 2)] as number).toFixed(2)})` : '';
  return xs.length > 0
    ? `   server CPU ${(xs[Math.floor(xs.length / 2)] as number).toFixed(2)} ms/request${userText}${dbCpuText(runs)}`
    : '';
}

/** The database's CPU per request (medians over the runs), when measured, and whose backends used it. */
function dbCpuText(runs: Figures[]): string {
  const xs = runs.map((x) => x.dbCpuPerRequest).filter((x): x is DbCpu => x !== undefined);
  if (xs.length === 0) return '';
  const mid = (f: (c: DbCpu) => number): string => {
    const sorted = xs.map(f).sort((a, b) => a - b);
    return (sorted[Math.floor(sorted.length / 2)] as number).toFixed(2);
  };
  return `, PostgreSQL CPU ${mid((c) => c.total)} ms/request (its backends ${mid((c) => c.own)}, other clients ${mid((c) => c.others)}, background ${mid((c) => c.background)})`;
}

const fmt = (f: Figures): string =>
  `${f.rps.toFixed(0).padStart(7)} req/s  p50 ${f.p50.toFixed(1).padStart(6)} ms  p99 ${f.p99.toFixed(1).padStart(7)} ms  errors ${f.errors}`;

async function main(): Promise<void> {
  const name = `${process.env.BENCH_DB_PREFIX ?? ''}dastern_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: ownerBase });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const ownerUrl = withDb(ownerBase, name);
  let server: ChildProcess | undefined;
  let before: ChildProcess | undefined;
  let beforeDb: string | undefined;
  let peer: ChildProcess | undefined;
  let rawServer: ChildProcess | undefined;
  try {
    const { ids, tokens } = await prepareApiDatabase(ownerUrl, root, USERS, PATIENTS_WITH_RX, SECRET);
    if (process.env.BENCH_DB_CPU === '1') dbMeter = await DbCpuMeter.of(admin);
    if (process.env.BENCH_STATEMENTS === '1') statements = { admin, db: name };
    const port = await freePort();
    server = await startServer(ownerUrl, deriveAppUrl(ownerUrl, PASSWORD), port);
    // BENCH_BEFORE=<another checkout>: its server too, side by side, on a database of its own
    // migrated by that checkout (its migrations, not this tree's) and seeded the same way
    const beforeRoot = process.env.BENCH_BEFORE;
    const beforePort = beforeRoot === undefined ? undefined : await freePort();
    let beforeTokens = tokens;
    if (beforeRoot !== undefined && beforePort !== undefined) {
      await admin.query(`CREATE DATABASE "${name}_before"`);
      beforeDb = `${name}_before`;
      const beforeUrl = withDb(ownerBase, beforeDb);
      beforeTokens = (await prepareApiDatabase(beforeUrl, beforeRoot, USERS, PATIENTS_WITH_RX, SECRET)).tokens;
      before = await startServer(beforeUrl, deriveAppUrl(beforeUrl, PASSWORD), beforePort, beforeRoot);
    }
    const beforeBase = beforePort === undefined ? undefined : `http://127.0.0.1:${beforePort}/api/v1`;
    const rawPort = await freePort();
    rawServer = await startPeer('raw-server.ts', deriveAppUrl(ownerUrl, PASSWORD), rawPort);
    const rawBase = `http://127.0.0.1:${rawPort}`;
    const base = `http://127.0.0.1:${port}/api/v1`;
    for (let k = 0; k < Math.min(5, tokens.length); k++) {
      const headers = { authorization: `Bearer ${tokens[k] as string}` };
      const ids = async (u: string): Promise<string> => {
        const res = await fetch(u, { headers });
        if (!res.ok) throw new Error(`${u} answered ${res.status}`);
        const body = (await res.json()) as {
          items?: Array<{ id: string }>;
          rows?: Array<{ id: string }>;
          total: number;
        };
        return JSON.stringify([body.total, (body.items ?? body.rows ?? []).map((r) => r.id)]);
      };
      if ((await ids(`${base}/prescriptions?limit=20`)) !== (await ids(`${rawBase}/prescriptions`)))
        throw new Error(`the raw line and the API list different prescriptions for patient ${k}`);
    }
    process.stdout.write('raw pg peer: same prescriptions as the API for 5 patients\n');
    process.stdout.write(
      `DasTern API benchmark: ${USERS} users, ${DURATION} s per run, pool 20 per server, each server its own process (DasTern, raw pg, PostGraphile); ${os.cpus().length} cores, load average ${os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}\n`,
    );
    const PEER = process.env.BENCH_PEER !== '0' && ROUTES.has('prescriptions');
    let peerUrl: string | undefined;
    if (PEER) {
      const peerPort = await freePort();
      peer = await startPeer('postgraphile-server.ts', deriveAppUrl(ownerUrl, PASSWORD), peerPort);
      peerUrl = `http://127.0.0.1:${peerPort}/graphql`;
      const n = await verifySameRows(base, peerUrl, tokens, ids);
      process.stdout.write(
        `PostGraphile 4.14.1 peer: same rows as the API (${n} prescriptions of 5 patients, with their medications, in the same order)\n`,
      );
    }
    // raw: the raw server's path for the same SQL; readOnly: without the audit row
    const routes: Array<{ name: string; path: string; raw: string; readOnly?: string; peer?: boolean }> = [
      { name: 'me', path: '/me', raw: '/me' },
      {
        name: 'prescriptions',
        path: '/prescriptions?limit=20',
        raw: '/prescriptions',
        readOnly: '/prescriptions?audit=0',
        peer: true,
      },
    ];
    process.stdout.write(`medians of ${REPEATS} runs each\n`);
    for (const route of routes.filter((r) => ROUTES.has(r.name))) {
      for (const c of CONNECTIONS) {
        const api: Figures[] = [];
        const same: Figures[] = [];
        const readOnly: Figures[] = [];
        const peerRuns: Figures[] = [];
        const beforeRuns: Figures[] = [];
        for (let k = 0; k < REPEATS; k++) {
          log(`GET ${route.path} at ${c} connections, run ${k + 1}/${REPEATS}…`);
          api.push(await cannon(`${base}${route.path}`, tokens, c, server.pid));
          if (beforeBase !== undefined)
            beforeRuns.push(await cannon(`${beforeBase}${route.path}`, beforeTokens, c, before?.pid));
          same.push(await cannon(`${rawBase}${route.raw}`, tokens, c, rawServer.pid));
          if (route.readOnly) readOnly.push(await cannon(`${rawBase}${route.readOnly}`, tokens, c, rawServer.pid));
          if (route.peer === true && peerUrl !== undefined)
            peerRuns.push(await cannon(peerUrl, tokens, c, peer?.pid, (j) => graphqlBody(ids[j] as string)));
        }
        const a = median(api);
        const r = median(same);
        process.stdout.write(
          `GET ${route.path.padEnd(24)} ${String(c).padStart(5)} conn  API ${fmt(a)}${cpuText(api)}\n`,
        );
        process.stdout.write(
          `${''.padEnd(35)}pg  ${fmt(r)}${cpuText(same)}   (the route's SQL${route.readOnly ? ', audit row included' : ''}; bare node:http)\n`,
        );
        process.stdout.write(
          `${''.padEnd(35)}ratio API ÷ raw = ${(a.rps / Math.max(r.rps, 1)).toFixed(2)}   (runs: ${api.map((x, i) => (x.rps / Math.max(same[i]?.rps ?? 1, 1)).toFixed(2)).join(', ')})\n`,
        );
        if (beforeRuns.length > 0) {
          const b = median(beforeRuns);
          process.stdout.write(
            `${''.padEnd(35)}was ${fmt(b)}${cpuText(beforeRuns)}   (${beforeRoot ?? ''}; ratio now ÷ before = ${(a.rps / Math.max(b.rps, 1)).toFixed(2)})\n`,
          );
        }
        if (route.readOnly) {
          const ro = median(readOnly);
          process.stdout.write(`${''.padEnd(35)}pg  ${fmt(ro)}   (read only, without the audit row)\n`);
          process.stdout.write(
            `${''.padEnd(35)}ratio API ÷ read-only raw = ${(a.rps / Math.max(ro.rps, 1)).toFixed(2)}\n`,
          );
        }
        if (peerRuns.length > 0) {
          const pg2 = median(peerRuns);
          process.stdout.write(
            `${''.padEnd(35)}PG  ${fmt(pg2)}${cpuText(peerRuns)}   (PostGraphile 4.14.1, same rows; no session check, no audit row)\n`,
          );
          process.stdout.write(
            `${''.padEnd(35)}ratio API ÷ PostGraphile = ${(a.rps / Math.max(pg2.rps, 1)).toFixed(2)}   (goal ≥ 2.0; runs: ${api.map((x, i) => (x.rps / Math.max(peerRuns[i]?.rps ?? 1, 1)).toFixed(2)).join(', ')})\n`,
          );
        }
        process.stdout.write(
          `${''.padEnd(35)}load average ${os
            .loadavg()
            .map((x) => x.toFixed(1))
            .join(' ')}\n`,
        );
      }
    }
  } finally {
    server?.kill('SIGTERM');
    before?.kill('SIGTERM');
    rawServer?.kill('SIGTERM');
    peer?.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    if (beforeDb !== undefined) await admin.query(`DROP DATABASE IF EXISTS "${beforeDb}" WITH (FORCE)`);
    await admin.end();
  }
}

await main();
