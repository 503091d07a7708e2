/**
 * Load benchmark (`npm run bench:load`). Prints figures; never asserts.
 *
 * A real server process (workers and audit sealer on) on its own database; BENCH_LOAD_USERS
 * simulated patients (default 1,000) for BENCH_LOAD_SECONDS (default 60). Each one signs in
 * (the starts spread over the first 10 s), opens the live stream (GET /notifications/stream, held
 * open to the end), then repeats, with a random pause of about BENCH_THINK_MS between actions:
 * today's doses, logging one of them (taken), the prescription list. 90 % of them have
 * prescriptions and reminders; the other 10 % are new patients: each uploads a prescription photo
 * now and then (one action in BENCH_UPLOAD_EVERY; a small generated PNG, read by the OCR job). Prints throughput, p50/p99 per route and every error (status or network).
 * After the run:
 *   - every dose log counted exactly: the logs in the database = the doses the API answered
 *     201 (created) for, and each reminder's taken_count = its taken logs;
 *   - the audit chain verifies (app_audit_verify, once the sealer has caught up).
 * Goals: 0 errors, p99 ≤ 1 s on reads at 1,000 users.
 *
 * Sign-in: the users' password hashes have bcrypt cost 4 (the seed's); a real cost-12 sign-in
 * costs ~250 ms of CPU, so 1,000 of them in 10 s would be the whole test on 2 cores.
 *
 *   BENCH_LOAD_USERS=1000 BENCH_LOAD_SECONDS=60 BENCH_THINK_MS=10000 BENCH_UPLOAD_EVERY=5
 *   DATABASE_URL (superuser; default postgres://postgres@127.0.0.1:5432/postgres) BENCH_DB_PREFIX
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import bcrypt from 'bcrypt';
import pg from 'pg';
import sharp from 'sharp';
import { withMigrator } from '../src/db/migrations.ts';
import { freePort } from '../test/support/net.ts';
import { seedApiData } from './support/api-data.ts';
import { percentile } from './support/stats.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const USERS = Number(process.env.BENCH_LOAD_USERS ?? 1000);
const SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 60);
const THINK_MS = Number(process.env.BENCH_THINK_MS ?? 10_000);
const UPLOAD_EVERY = Number(process.env.BENCH_UPLOAD_EVERY ?? 5);
const PASSWORD = 'load-password-0123456789';
/** The first 90 % (by e-mail) have prescriptions and reminders; the others are new: they upload. */
const WITH_RX = Math.ceil(USERS * 0.9);
const ownerBase = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const out = (s = ''): void => void process.stdout.write(`${s}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

interface Answer {
  status: number;
  body: string;
}

function request(
  port: number,
  method: string,
  url: string,
  headers: Record<string, string>,
  body?: Buffer | string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: url, headers, agent, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const latencies = new Map<string, number[]>();
const errors = new Map<string, number>();
const errorSamples: string[] = [];

async function timed(
  route: string,
  fn: () => Promise<Answer>,
  ok: (status: number) => boolean = (s) => s >= 200 && s < 300,
): Promise<Answer | undefined> {
  const t0 = performance.now();
  try {
    const a = await fn();
    if (!ok(a.status)) {
      errors.set(route, (errors.get(route) ?? 0) + 1);
      if (errorSamples.length < 10) errorSamples.push(`${route} → ${a.status} ${a.body.slice(0, 160)}`);
      return undefined;
    }
    const list = latencies.get(route) ?? [];
    list.push(performance.now() - t0);
    latencies.set(route, list);
    return a;
  } catch (err) {
    errors.set(route, (errors.get(route) ?? 0) + 1);
    if (errorSamples.length < 10) errorSamples.push(`${route} → ${(err as Error).message}`);
    return undefined;
  }
}

async function seedLoad(ownerUrl: string): Promise<string[]> {
  await seedApiData(ownerUrl, USERS, WITH_RX);
  const c = new pg.Client({ connectionString: ownerUrl });
  await c.connect();
  try {
    const hash = await bcrypt.hash(PASSWORD, 4);
    await c.query('BEGIN');
    await c.query(
      'ALTER TABLE users DISABLE TRIGGER audit_row_change; ALTER TABLE medication_reminders DISABLE TRIGGER audit_row_change',
    );
    await c.query('UPDATE users SET password_hash = $1, email_verified_at = now()', [hash]);
    // each patient: her latest prescription's three medications, one reminder each, at times
    // spread over the day in Phnom Penh (so that some are due whenever the test runs)
    await c.query(
      `INSERT INTO medication_reminders (medication_id, patient_id, slot, reminder_time, dose_amount, start_date, timezone, next_reminder_at)
       SELECT m.id, m.patient_id, (ARRAY['morning','noon','evening']::dose_slot[])[m.sequence],
              time '00:00' + make_interval(mins => ((m.sequence - 1) * 480 + (abs(hashtext(m.patient_id::text)) % 480))),
              1, (now() AT TIME ZONE 'Asia/Phnom_Penh')::date - 1, 'Asia/Phnom_Penh', now() + interval '1 day'
         FROM medications m
         JOIN (SELECT DISTINCT ON (patient_id) id FROM prescriptions ORDER BY patient_id, prescription_date DESC, id) p ON p.id = m.prescription_id`,
    );
    await c.query(
      'ALTER TABLE users ENABLE TRIGGER audit_row_change; ALTER TABLE medication_reminders ENABLE TRIGGER audit_row_change',
    );
    await c.query('COMMIT');
    await c.query('ANALYZE');
    return (await c.query<{ email: string }>('SELECT email FROM users ORDER BY email')).rows.map((r) => r.email);
  } finally {
    await c.end();
  }
}

async function startServer(ownerUrl: string, port: number, dataDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(root, 'bin/dastern.js'), 'serve'], {
    env: {
      ...process.env,
      NODE_ENV: 'development',
      DATABASE_URL: ownerUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      DASTERN_JWT_SECRET: 'load-secret-0123456789abcdef0123456789abcdef',
      DASTERN_RATE_LIMIT: '10000000',
      DASTERN_AUTH_RATE_LIMIT: '1000000',
      LOG_LEVEL: 'warn',
      DASTERN_DATA_DIR: dataDir,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/api/v1/health`)).ok) return child;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  child.kill('SIGTERM');
  throw new Error('the server did not start');
}

/** A small PNG that differs per call (so no upload is a duplicate of another). */
async function photo(k: number): Promise<Buffer> {
  const raw = Buffer.alloc(120 * 80 * 3, 255);
  for (let i = 0; i < 40; i++) raw[(k * 7919 + i * 104_729) % raw.length] = 0;
  return sharp(raw, { raw: { width: 120, height: 80, channels: 3 } })
    .png()
    .toBuffer();
}

function multipart(png: Buffer): { body: Buffer; type: string } {
  const boundary = `----dastern${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="rx.png"\r\nContent-Type: image/png\r\n\r\n`,
  );
  return {
    body: Buffer.concat([head, png, Buffer.from(`\r\n--${boundary}--\r\n`)]),
    type: `multipart/form-data; boundary=${boundary}`,
  };
}

async function main(): Promise<void> {
  const name = `${process.env.BENCH_DB_PREFIX ?? ''}dastern_bench_load_${process.pid}`;
  const admin = new pg.Client({ connectionString: ownerBase });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const u = new URL(ownerBase);
  u.pathname = `/${name}`;
  const ownerUrl = u.toString();
  let server: ChildProcess | undefined;
  const dataDir = path.join(os.tmpdir(), `dastern-load-${process.pid}`);
  const streams: http.ClientRequest[] = [];
  try {
    await withMigrator(ownerUrl, (m) => m.up().then(() => undefined));
    const emails = await seedLoad(ownerUrl);
    const port = await freePort();
    server = await startServer(ownerUrl, port, dataDir);
    out(
      `DasTern load benchmark: ${USERS} users, ${SECONDS} s, think ≈ ${THINK_MS} ms, new patients (10 %) upload in one action of ${UPLOAD_EVERY}; ${os.cpus().length} cores, load average ${os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}`,
    );
    const created = new Set<string>();
    let createdAnswers = 0;
    let streamsOpen = 0;
    let uploads = 0;
    let actions = 0;
    const t0 = Date.now();
    const end = t0 + SECONDS * 1000;
    const user = async (k: number): Promise<void> => {
      await sleep(Math.random() * Math.min(10_000, SECONDS * 500));
      const login = await timed('POST /auth/login', () =>
        request(
          port,
          'POST',
          '/api/v1/auth/login',
          { 'content-type': 'application/json' },
          JSON.stringify({ email: emails[k], password: PASSWORD }),
        ),
      );
      if (login === undefined) return;
      const token = (JSON.parse(login.body) as { access_token: string }).access_token;
      const auth = { authorization: `Bearer ${token}` };
      // the live stream: open until the end ("ready" is its first event)
      const streamStart = performance.now();
      const req = http.request(
        { host: '127.0.0.1', port, path: '/api/v1/notifications/stream', headers: auth },
        (res) => {
          if (res.statusCode !== 200) {
            errors.set('GET /notifications/stream', (errors.get('GET /notifications/stream') ?? 0) + 1);
            res.resume();
            return;
          }
          let seen = false;
          res.on('data', (c: Buffer) => {
            if (!seen && c.toString().includes('ready')) {
              seen = true;
              streamsOpen += 1;
              const list = latencies.get('GET /notifications/stream (ready)') ?? [];
              list.push(performance.now() - streamStart);
              latencies.set('GET /notifications/stream (ready)', list);
            }
          });
          res.on('error', () => undefined);
        },
      );
      req.on('error', (err) => {
        if (Date.now() < end) {
          errors.set('GET /notifications/stream', (errors.get('GET /notifications/stream') ?? 0) + 1);
          if (errorSamples.length < 10) errorSamples.push(`stream → ${err.message}`);
        }
      });
      req.end();
      streams.push(req);
      while (Date.now() < end) {
        await sleep(THINK_MS * (0.5 + Math.random()));
        if (Date.now() >= end) break;
        actions += 1;
        if (k >= WITH_RX && UPLOAD_EVERY > 0 && Math.random() * UPLOAD_EVERY < 1) {
          const form = multipart(await photo(k * 1000 + actions));
          const up = await timed('POST /prescriptions (upload)', () =>
            request(port, 'POST', '/api/v1/prescriptions', { ...auth, 'content-type': form.type }, form.body),
          );
          if (up !== undefined) uploads += 1;
          continue;
        }
        const today = await timed('GET /reminders/today', () => request(port, 'GET', '/api/v1/reminders/today', auth));
        const items =
          today === undefined
            ? []
            : (JSON.parse(today.body) as { items: Array<{ reminder_id: string; scheduled_for: string }> }).items;
        const past = items.filter((d) => Date.parse(d.scheduled_for) <= Date.now());
        const dose = past[Math.floor(Math.random() * past.length)];
        if (dose !== undefined) {
          const logged = await timed('POST /reminders/:id/logs', () =>
            request(
              port,
              'POST',
              `/api/v1/reminders/${dose.reminder_id}/logs`,
              { ...auth, 'content-type': 'application/json' },
              JSON.stringify({ status: 'taken', scheduled_for: dose.scheduled_for }),
            ),
          );
          if (logged?.status === 201) {
            created.add(`${dose.reminder_id}|${Date.parse(dose.scheduled_for)}`);
            createdAnswers += 1;
          }
        }
        await timed('GET /prescriptions', () => request(port, 'GET', '/api/v1/prescriptions?limit=20', auth));
      }
    };
    await Promise.all(Array.from({ length: USERS }, (_, k) => user(k)));
    const elapsed = (Date.now() - t0) / 1000;
    for (const s of streams) s.destroy();

    let total = 0;
    out(
      `\n${'route'.padEnd(36)} ${'requests'.padStart(8)} ${'req/s'.padStart(7)} ${'p50'.padStart(9)} ${'p99'.padStart(9)} ${'errors'.padStart(7)}`,
    );
    const routes = new Set([...latencies.keys(), ...errors.keys()]);
    for (const r of [...routes].sort()) {
      const l = latencies.get(r) ?? [];
      total += l.length;
      out(
        `${r.padEnd(36)} ${String(l.length).padStart(8)} ${(l.length / elapsed).toFixed(1).padStart(7)} ${`${percentile(l, 50).toFixed(0)} ms`.padStart(9)} ${`${percentile(l, 99).toFixed(0)} ms`.padStart(9)} ${String(errors.get(r) ?? 0).padStart(7)}`,
      );
    }
    const errorCount = [...errors.values()].reduce((a, b) => a + b, 0);
    out(
      `total ${total} answered in ${elapsed.toFixed(0)} s = ${(total / elapsed).toFixed(1)} req/s; errors ${errorCount}; streams open ${streamsOpen}/${USERS}; uploads ${uploads}`,
    );
    for (const e of errorSamples) out(`   error: ${e}`);
    out(
      `load average ${os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}`,
    );

    // afterwards: every dose log counted exactly, the audit chain verifies
    const c = new pg.Client({ connectionString: ownerUrl });
    await c.connect();
    try {
      const logs =
        (await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM medication_reminder_logs WHERE status = 'taken'`))
          .rows[0]?.n ?? -1;
      const counters =
        (
          await c.query<{ bad: number }>(
            `SELECT count(*)::int AS bad FROM medication_reminders mr
          WHERE mr.taken_count <> (SELECT count(*) FROM medication_reminder_logs l WHERE l.reminder_id = mr.id AND l.status = 'taken')`,
          )
        ).rows[0]?.bad ?? -1;
      out(
        `dose logs: ${logs} taken in the database, ${createdAnswers} answered 201 by the API for ${created.size} distinct doses: ${logs === created.size && createdAnswers === created.size ? 'exact' : 'DIFFERENT'}; reminders whose taken_count differs from their logs: ${counters}`,
      );
      let verify:
        { ok: boolean; checked_rows: string; pending_rows: string | null; problem: string | null } | undefined;
      for (let i = 0; i < 60; i++) {
        verify = (
          await c.query<{ ok: boolean; checked_rows: string; pending_rows: string | null; problem: string | null }>(
            'SELECT * FROM app_audit_verify()',
          )
        ).rows[0];
        if (verify !== undefined && Number(verify.pending_rows ?? 0) === 0) break;
        await sleep(1000);
      }
      out(
        `audit chain: ${verify?.ok === true ? 'verifies' : `DOES NOT VERIFY (${verify?.problem ?? 'no answer'})`}, ${verify?.checked_rows ?? '?'} rows checked, ${verify?.pending_rows ?? '?'} not sealed yet`,
      );
    } finally {
      await c.end();
    }
  } finally {
    for (const s of streams) s.destroy();
    agent.destroy();
    server?.kill('SIGTERM');
    await sleep(1000);
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
