/**
 * The simulated users of the load benchmarks (bench/load.bench.ts, bench/chaos.bench.ts): the
 * seed, the server process, the users' loop, the figures and the checks afterwards.
 *
 * Each user signs in (the starts spread over the first 10 s), opens the live stream (held open to
 * the end), then repeats, with a random pause of about `thinkMs` between actions: today's doses,
 * logging one of them (taken), the prescription list. 90 % of them have prescriptions and
 * reminders; the other 10 % are new patients who upload a prescription photo now and then.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import bcrypt from 'bcrypt';
import pg from 'pg';
import sharp from 'sharp';
import { seedApiData } from './api-data.ts';
import { percentile } from './stats.ts';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const PASSWORD = 'load-password-0123456789';
export const out = (s = ''): void => void process.stdout.write(`${s}\n`);
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
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

/** One failed request: when (ms since the epoch), which route, what (HTTP status or 0 = network). */
export interface Failure {
  at: number;
  route: string;
  status: number;
  text: string;
}

/** Latencies and failures per route. */
export class LoadStats {
  readonly latencies = new Map<string, number[]>();
  readonly failures: Failure[] = [];

  fail(route: string, status: number, text: string): void {
    this.failures.push({ at: Date.now(), route, status, text: text.slice(0, 160) });
  }

  ok(route: string, ms: number): void {
    const list = this.latencies.get(route) ?? [];
    list.push(ms);
    this.latencies.set(route, list);
  }

  async timed(
    route: string,
    fn: () => Promise<Answer>,
    ok: (status: number) => boolean = (s) => s >= 200 && s < 300,
  ): Promise<Answer | undefined> {
    const t0 = performance.now();
    try {
      const a = await fn();
      if (!ok(a.status)) {
        this.fail(route, a.status, a.body);
        return undefined;
      }
      this.ok(route, performance.now() - t0);
      return a;
    } catch (err) {
      this.fail(route, 0, (err as Error).message);
      return undefined;
    }
  }

  /** The table: requests, req/s, p50, p99 and errors per route; returns the number answered. */
  print(elapsedS: number, failures: readonly Failure[] = this.failures): number {
    let total = 0;
    out(
      `\n${'route'.padEnd(36)} ${'requests'.padStart(8)} ${'req/s'.padStart(7)} ${'p50'.padStart(9)} ${'p99'.padStart(9)} ${'errors'.padStart(7)}`,
    );
    const errors = new Map<string, number>();
    for (const f of failures) errors.set(f.route, (errors.get(f.route) ?? 0) + 1);
    const routes = new Set([...this.latencies.keys(), ...errors.keys()]);
    for (const r of [...routes].sort()) {
      const l = this.latencies.get(r) ?? [];
      total += l.length;
      out(
        `${r.padEnd(36)} ${String(l.length).padStart(8)} ${(l.length / elapsedS).toFixed(1).padStart(7)} ${`${percentile(l, 50).toFixed(0)} ms`.padStart(9)} ${`${percentile(l, 99).toFixed(0)} ms`.padStart(9)} ${String(errors.get(r) ?? 0).padStart(7)}`,
      );
    }
    return total;
  }
}

/** The seed's users (patients; bcrypt cost 4) with a reminder per medication of their latest prescription. */
export async function seedLoad(ownerUrl: string, users: number, withRx: number): Promise<string[]> {
  await seedApiData(ownerUrl, users, withRx);
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

/** Spawns `dastern <command>` with the benchmark's settings; `env` adds or overrides. */
export function spawnDastern(command: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [path.join(root, 'bin/dastern.js'), command], {
    env: {
      ...process.env,
      NODE_ENV: 'development',
      DASTERN_JWT_SECRET: 'load-secret-0123456789abcdef0123456789abcdef',
      DASTERN_RATE_LIMIT: '10000000',
      DASTERN_AUTH_RATE_LIMIT: '1000000',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** Waits until GET /api/v1/health answers (up to 60 s), else kills the child and throws. */
export async function waitHealthy(child: ChildProcess, port: number): Promise<ChildProcess> {
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

export interface UsersOptions {
  port: number;
  emails: readonly string[];
  seconds: number;
  thinkMs: number;
  uploadEvery: number;
  /** Users [0, withRx) have prescriptions; the others upload. */
  withRx: number;
}

/** A dose log the API was asked for: its key `reminder|scheduled ms` and the request. */
interface DoseRequest {
  key: string;
  token: string;
  reminderId: string;
  scheduledFor: string;
}

export interface UsersResult {
  elapsedS: number;
  /** Doses the API answered 201 for (a new log) and how many 201 answers there were. */
  created: Set<string>;
  createdAnswers: number;
  /** Doses the API confirmed as taken (201 or 200 with status taken). */
  confirmed: Set<string>;
  /** Dose logs whose answer was lost (5xx, network): they may or may not have been written. */
  unanswered: DoseRequest[];
  streamsOpen: number;
  /** Streams the server ended before the end of the run. */
  streamsClosed: number;
  /** `notification` events received on the live streams, with the time each came. */
  streamEvents: number[];
  uploads: number;
}

/** Runs the users until `seconds` have passed; closes their streams at the end. */
export async function runUsers(o: UsersOptions, stats: LoadStats): Promise<UsersResult> {
  const { port } = o;
  const r: UsersResult = {
    elapsedS: 0,
    created: new Set(),
    createdAnswers: 0,
    confirmed: new Set(),
    unanswered: [],
    streamsOpen: 0,
    streamsClosed: 0,
    streamEvents: [],
    uploads: 0,
  };
  const streams: http.ClientRequest[] = [];
  let actions = 0;
  const t0 = Date.now();
  const end = t0 + o.seconds * 1000;
  const user = async (k: number): Promise<void> => {
    await sleep(Math.random() * Math.min(10_000, o.seconds * 500));
    const login = await stats.timed('POST /auth/login', () =>
      request(
        port,
        'POST',
        '/api/v1/auth/login',
        { 'content-type': 'application/json' },
        JSON.stringify({ email: o.emails[k], password: PASSWORD }),
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
          stats.fail('GET /notifications/stream', res.statusCode ?? 0, 'not 200');
          res.resume();
          return;
        }
        let seen = false;
        res.on('data', (c: Buffer) => {
          const text = c.toString();
          if (!seen && text.includes('ready')) {
            seen = true;
            r.streamsOpen += 1;
            stats.ok('GET /notifications/stream (ready)', performance.now() - streamStart);
          }
          for (const m of text.matchAll(/^event: notification$/gm)) if (m) r.streamEvents.push(Date.now());
        });
        res.on('end', () => {
          if (Date.now() < end) r.streamsClosed += 1;
        });
        res.on('error', () => undefined);
      },
    );
    req.on('error', (err) => {
      if (Date.now() < end) stats.fail('GET /notifications/stream', 0, `stream → ${err.message}`);
    });
    req.end();
    streams.push(req);
    while (Date.now() < end) {
      await sleep(o.thinkMs * (0.5 + Math.random()));
      if (Date.now() >= end) break;
      actions += 1;
      if (k >= o.withRx && o.uploadEvery > 0 && Math.random() * o.uploadEvery < 1) {
        const form = multipart(await photo(k * 1000 + actions));
        const up = await stats.timed('POST /prescriptions (upload)', () =>
          request(port, 'POST', '/api/v1/prescriptions', { ...auth, 'content-type': form.type }, form.body),
        );
        if (up !== undefined) r.uploads += 1;
        continue;
      }
      const today = await stats.timed('GET /reminders/today', () =>
        request(port, 'GET', '/api/v1/reminders/today', auth),
      );
      const items =
        today === undefined
          ? []
          : (JSON.parse(today.body) as { items: Array<{ reminder_id: string; scheduled_for: string }> }).items;
      const past = items.filter((d) => Date.parse(d.scheduled_for) <= Date.now());
      const dose = past[Math.floor(Math.random() * past.length)];
      if (dose !== undefined) {
        const ask: DoseRequest = {
          key: `${dose.reminder_id}|${Date.parse(dose.scheduled_for)}`,
          token,
          reminderId: dose.reminder_id,
          scheduledFor: dose.scheduled_for,
        };
        await logDose(port, stats, ask, r);
      }
      await stats.timed('GET /prescriptions', () => request(port, 'GET', '/api/v1/prescriptions?limit=20', auth));
    }
  };
  await Promise.all(Array.from({ length: o.emails.length }, (_, k) => user(k)));
  r.elapsedS = (Date.now() - t0) / 1000;
  for (const s of streams) s.destroy();
  return r;
}

async function logDose(port: number, stats: LoadStats, ask: DoseRequest, r: UsersResult): Promise<void> {
  let answer: Answer | undefined;
  try {
    answer = await stats.timed('POST /reminders/:id/logs', () =>
      request(
        port,
        'POST',
        `/api/v1/reminders/${ask.reminderId}/logs`,
        { authorization: `Bearer ${ask.token}`, 'content-type': 'application/json' },
        JSON.stringify({ status: 'taken', scheduled_for: ask.scheduledFor }),
      ),
    );
  } finally {
    if (answer === undefined) r.unanswered.push(ask);
  }
  if (answer === undefined) return;
  if (answer.status === 201) {
    r.created.add(ask.key);
    r.createdAnswers += 1;
  }
  if (
    (answer.status === 201 || answer.status === 200) &&
    (JSON.parse(answer.body) as { status?: string }).status === 'taken'
  )
    r.confirmed.add(ask.key);
}

/**
 * The dose logs whose answer was lost, sent again once the service is back (a client retries):
 * the answer then says whether the first one was written. Returns how many still failed.
 */
export async function resendUnanswered(port: number, stats: LoadStats, r: UsersResult): Promise<number> {
  const pending = r.unanswered.splice(0);
  for (const ask of pending) await logDose(port, stats, ask, r);
  return r.unanswered.length;
}

/** After the run: every dose log counted exactly, and the audit chain verifies. Returns true when both hold. */
export async function checkAfter(ownerUrl: string, r: UsersResult): Promise<boolean> {
  const c = new pg.Client({ connectionString: ownerUrl });
  await c.connect();
  try {
    const logs =
      (
        await c.query<{ n: number }>(
          `SELECT count(DISTINCT (reminder_id, scheduled_for))::int AS n FROM medication_reminder_logs WHERE status = 'taken'`,
        )
      ).rows[0]?.n ?? -1;
    const rows =
      (await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM medication_reminder_logs WHERE status = 'taken'`))
        .rows[0]?.n ?? -1;
    const counters =
      (
        await c.query<{ bad: number }>(
          `SELECT count(*)::int AS bad FROM medication_reminders mr
          WHERE mr.taken_count <> (SELECT count(*) FROM medication_reminder_logs l WHERE l.reminder_id = mr.id AND l.status = 'taken')`,
        )
      ).rows[0]?.bad ?? -1;
    const exact =
      logs === rows && logs === r.confirmed.size && r.createdAnswers === r.created.size && r.unanswered.length === 0;
    out(
      `dose logs: ${rows} taken in the database (${logs} distinct doses); the API confirmed ${r.confirmed.size} doses taken (${r.createdAnswers} answered 201 for ${r.created.size} new logs; ${r.unanswered.length} unanswered): ${exact ? 'exact' : 'DIFFERENT'}; reminders whose taken_count differs from their logs: ${counters}`,
    );
    let verify: { ok: boolean; checked_rows: string; pending_rows: string | null; problem: string | null } | undefined;
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
    return exact && counters === 0 && verify?.ok === true;
  } finally {
    await c.end();
  }
}

/** What the server says about itself during the run (its /metrics, sampled every `everyMs`). */
export interface ServerSample {
  at: number;
  cpuSeconds: number;
  lagP99: number;
  poolWaiting: number;
  /** Per route: requests answered and the seconds the server spent on them (its own timing). */
  routes: Map<string, { count: number; sum: number }>;
}

function metric(text: string, name: string, labels?: string): number {
  const re = new RegExp(`^${name}${labels === undefined ? '' : `\\{[^}]*${labels}[^}]*\\}`} ([0-9.e+-]+)$`, 'm');
  return Number(re.exec(text)?.[1] ?? Number.NaN);
}

export async function sampleServer(port: number): Promise<ServerSample | undefined> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const routes = new Map<string, { count: number; sum: number }>();
    for (const m of text.matchAll(
      /^dastern_http_request_duration_seconds_(sum|count)\{method="([A-Z]+)",route="([^"]+)"\} ([0-9.e+-]+)$/gm,
    )) {
      const key = `${m[2]} ${m[3]}`;
      const r = routes.get(key) ?? { count: 0, sum: 0 };
      if (m[1] === 'sum') r.sum = Number(m[4]);
      else r.count = Number(m[4]);
      routes.set(key, r);
    }
    return {
      at: Date.now(),
      cpuSeconds: metric(text, 'dastern_process_cpu_seconds_total'),
      lagP99: metric(text, 'dastern_nodejs_eventloop_lag_p99_seconds'),
      poolWaiting: metric(text, 'dastern_db_pool_connections', 'state="waiting"'),
      routes,
    };
  } catch {
    return undefined;
  }
}

/** `GET /api/v1/reminders/:reminderId/logs` → `GET /reminders/:id/logs`. */
const norm = (route: string): string => route.replace('/api/v1', '').replace(/:\w+/g, ':id');

/** Samples the server until `stop()`; then prints where the time went. */
export function watchServer(port: number, everyMs = 2000): { stop(clientMs: Map<string, number[]>): Promise<void> } {
  const samples: ServerSample[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const s = await sampleServer(port);
      if (s !== undefined) samples.push(s);
      await sleep(everyMs);
    }
  })();
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  return {
    async stop(clientMs) {
      running = false;
      await loop;
      const first = samples[0];
      const last = samples[samples.length - 1];
      if (first === undefined || last === undefined || last === first) return;
      const wall = (last.at - first.at) / 1000;
      const own = process.cpuUsage(cpu0);
      const mine = (own.user + own.system) / 1e6;
      const lags = samples.map((s) => s.lagP99 * 1000).filter((x) => Number.isFinite(x));
      const waits = samples.map((s) => s.poolWaiting).filter((x) => Number.isFinite(x));
      out(
        `server process: ${(last.cpuSeconds - first.cpuSeconds).toFixed(1)} s of CPU in ${wall.toFixed(0)} s (${((100 * (last.cpuSeconds - first.cpuSeconds)) / wall).toFixed(0)} % of a core); event-loop delay p99 per sample: median ${percentile(lags, 50).toFixed(0)} ms, max ${Math.max(...lags).toFixed(0)} ms; requests waiting for a pool connection: median ${percentile(waits, 50)}, max ${Math.max(...waits)}; this load-generating process: ${mine.toFixed(1)} s of CPU in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
      );
      out(
        `${'time per request (mean)'.padEnd(36)} ${'client'.padStart(9)} ${'server'.padStart(9)}  (the difference: waiting before the server's handler starts or after it ends)`,
      );
      for (const [route, list] of [...clientMs].sort(([a], [b]) => a.localeCompare(b))) {
        const want = norm(route.split(' (')[0] ?? route);
        const key = [...last.routes.keys()].find((k) => norm(k) === want);
        const r = key === undefined ? undefined : last.routes.get(key);
        const b = key === undefined ? undefined : first.routes.get(key);
        const n = (r?.count ?? 0) - (b?.count ?? 0);
        const server = n > 0 ? (1000 * ((r?.sum ?? 0) - (b?.sum ?? 0))) / n : Number.NaN;
        const client = list.reduce((a, x) => a + x, 0) / Math.max(1, list.length);
        out(`${route.padEnd(36)} ${`${client.toFixed(0)} ms`.padStart(9)} ${`${server.toFixed(0)} ms`.padStart(9)}`);
      }
    },
  };
}
