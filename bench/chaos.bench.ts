/**
 * Chaos benchmark (`npm run bench:chaos`): the load of bench/load.bench.ts while things break.
 * Prints figures and what held; never asserts (the exit code is 1 when a check failed).
 *
 * Everything is the benchmark's own: an embedded PostgreSQL cluster (never the machine's shared
 * one) on a free port, a real SMTP server (smtp-server) in this process, `dastern serve` with
 * DASTERN_RUN_WORKERS=false and one `dastern worker` process running the jobs. BENCH_EMAIL_USERS
 * users (default 200) have one reminder each falling due during the run: the worker's
 * dispatcher notifies them (live stream and e-mail). During the run, at these seconds:
 *   BENCH_CHAOS_KILL_AT (15)   the worker is killed (SIGKILL) and started again 3 s later;
 *   BENCH_CHAOS_PG_AT (35)     PostgreSQL is restarted (a fast shutdown, then a start);
 *   BENCH_CHAOS_SMTP_AT (50)   the SMTP server stops for 30 s (connections refused).
 * Then, checked:
 *   - no 5xx (nor network error) outside the restart window: from the stop of PostgreSQL to
 *     BENCH_CHAOS_GRACE_MS (5,000) after it answers again;
 *   - nothing lost: the dose logs whose answer was lost are sent again (as a client would), then
 *     the taken logs in the database = the doses the API confirmed taken; the audit chain verifies;
 *   - every e-mail eventually sent exactly once: once no notification waits for its e-mail (up to
 *     BENCH_CHAOS_MAIL_WAIT_S, 600), each one whose e-mail is recorded sent was received once
 *     (its Message-ID names the notification), and none received twice;
 *   - the live streams received notifications after the restart (LISTEN reconnected).
 *
 *   BENCH_LOAD_USERS=1000 BENCH_LOAD_SECONDS=90 BENCH_THINK_MS=10000 BENCH_UPLOAD_EVERY=5
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/db/embedded.ts';
import { withMigrator } from '../src/db/migrations.ts';
import { createLogger } from '../src/log.ts';
import { freePort } from '../test/support/net.ts';
import {
  LoadStats,
  checkAfter,
  out,
  resendUnanswered,
  runUsers,
  seedLoad,
  sleep,
  spawnDastern,
  waitHealthy,
} from './support/load-run.ts';
import { percentile } from './support/stats.ts';

const num = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const USERS = num('BENCH_LOAD_USERS', 1000);
const SECONDS = num('BENCH_LOAD_SECONDS', 90);
const THINK_MS = num('BENCH_THINK_MS', 10_000);
const UPLOAD_EVERY = num('BENCH_UPLOAD_EVERY', 5);
const EMAIL_USERS = Math.min(num('BENCH_EMAIL_USERS', 200), Math.ceil(USERS * 0.9));
const KILL_AT = num('BENCH_CHAOS_KILL_AT', 15);
const PG_AT = num('BENCH_CHAOS_PG_AT', 35);
const SMTP_AT = num('BENCH_CHAOS_SMTP_AT', 50);
const SMTP_DOWN_S = 30;
const GRACE_MS = num('BENCH_CHAOS_GRACE_MS', 5000);
const MAIL_WAIT_S = num('BENCH_CHAOS_MAIL_WAIT_S', 600);
const WITH_RX = Math.ceil(USERS * 0.9);
const loadavg = (): string =>
  os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
const t = (at: number, t0: number): string => `${((at - t0) / 1000).toFixed(1)} s`;

/** A real SMTP server that can stop and start again on the same port; the inbox outlives it. */
class StoppableSmtp {
  readonly inbox: string[] = [];
  private server: SMTPServer | undefined;
  constructor(readonly port: number) {}

  async start(): Promise<void> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, _session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          this.inbox.push(Buffer.concat(chunks).toString('utf8'));
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

async function makeEmailRemindersDue(ownerUrl: string, emails: readonly string[], seconds: number): Promise<number> {
  const c = new pg.Client({ connectionString: ownerUrl });
  await c.connect();
  try {
    // one reminder of each such user falls due during the run (from 5 s to 15 s before its end)
    const r = await c.query(
      `UPDATE medication_reminders mr SET next_reminder_at = now() + make_interval(secs => 5 + random() * $2::int)
         FROM (SELECT DISTINCT ON (r.patient_id) r.id FROM medication_reminders r JOIN users u ON u.id = r.patient_id
                WHERE u.email = ANY($1) ORDER BY r.patient_id, r.id) x
        WHERE mr.id = x.id`,
      [emails, Math.max(1, seconds - 20)],
    );
    return r.rowCount ?? 0;
  } finally {
    await c.end();
  }
}

interface MailState {
  pending: number;
  sent: string[];
  /** Seconds from each notification to its e-mail recorded sent. */
  delays: number[];
  skipped: number;
  failed: number;
}

async function mailState(ownerUrl: string): Promise<MailState> {
  const c = new pg.Client({ connectionString: ownerUrl });
  await c.connect();
  try {
    const rows = (
      await c.query<{ id: string; email: string | null; delay: number | null }>(
        `SELECT id, delivery->'email'->>'status' AS email,
                extract(epoch FROM (delivery->'email'->>'at')::timestamptz - created_at)::float8 AS delay
           FROM notifications WHERE 'email' = ANY(channels)`,
      )
    ).rows;
    const state: MailState = { pending: 0, sent: [], delays: [], skipped: 0, failed: 0 };
    for (const row of rows) {
      if (row.email === 'sent') {
        state.sent.push(row.id);
        if (row.delay !== null) state.delays.push(row.delay);
      } else if (row.email === 'skipped') state.skipped += 1;
      else if (row.email === 'failed') state.failed += 1;
      else state.pending += 1;
    }
    return state;
  } finally {
    await c.end();
  }
}

async function main(): Promise<void> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'dastern-chaos-'));
  // reachable by the OS user `postgres` (src/db/embedded.ts): the cluster stays inside, removed at the end
  fs.chmodSync(base, 0o755);
  const pgPort = await freePort();
  const logger = createLogger('warn', 'chaos-pg');
  const pgOptions = { dataDir: path.join(base, 'pg'), port: pgPort, logger };
  let database: EmbeddedPostgres = await startEmbeddedPostgres(pgOptions);
  const ownerUrl = database.url;
  const smtp = new StoppableSmtp(await freePort());
  await smtp.start();
  const dataDir = path.join(base, 'app');
  const port = await freePort();
  const env = {
    DATABASE_URL: ownerUrl,
    DASTERN_DATA_DIR: dataDir,
    DASTERN_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
    DASTERN_PUBLIC_URL: 'http://dastern.example',
    DASTERN_DISPATCH_INTERVAL_SECONDS: '5',
    DASTERN_QUEUE_MAINTENANCE_SECONDS: '10',
  };
  let server: ChildProcess | undefined;
  let worker: ChildProcess | undefined;
  const startWorker = (): ChildProcess => spawnDastern('worker', env);
  let ok = true;
  try {
    await withMigrator(ownerUrl, (m) => m.up().then(() => undefined));
    const emails = await seedLoad(ownerUrl, USERS, WITH_RX);
    server = await waitHealthy(
      spawnDastern('serve', { ...env, PORT: String(port), DASTERN_RUN_WORKERS: 'false' }),
      port,
    );
    worker = startWorker();
    const due = await makeEmailRemindersDue(ownerUrl, emails.slice(0, EMAIL_USERS), SECONDS);
    out(
      `DasTern chaos benchmark: ${USERS} users, ${SECONDS} s, think ≈ ${THINK_MS} ms; ${due} reminders falling due (e-mail on); worker SIGKILL at ${KILL_AT} s, PostgreSQL restart at ${PG_AT} s, SMTP down at ${SMTP_AT} s for ${SMTP_DOWN_S} s; ${os.cpus().length} cores, load average ${loadavg()}`,
    );
    const stats = new LoadStats();
    const t0 = Date.now();
    const events: string[] = [];
    let pgDown = Number.POSITIVE_INFINITY;
    let pgUp = Number.POSITIVE_INFINITY;
    const chaos = (async () => {
      await sleep(KILL_AT * 1000);
      worker?.kill('SIGKILL');
      events.push(`${t(Date.now(), t0)} worker killed (SIGKILL)`);
      await sleep(3000);
      worker = startWorker();
      events.push(`${t(Date.now(), t0)} worker started again`);
      await sleep(Math.max(0, t0 + PG_AT * 1000 - Date.now()));
      pgDown = Date.now();
      await database.stop();
      events.push(`${t(Date.now(), t0)} PostgreSQL stopped (${Date.now() - pgDown} ms)`);
      database = await startEmbeddedPostgres(pgOptions);
      pgUp = Date.now();
      events.push(`${t(pgUp, t0)} PostgreSQL answers again (down ${pgUp - pgDown} ms)`);
      await sleep(Math.max(0, t0 + SMTP_AT * 1000 - Date.now()));
      await smtp.stop();
      events.push(`${t(Date.now(), t0)} SMTP server stopped`);
      await sleep(SMTP_DOWN_S * 1000);
      await smtp.start();
      events.push(`${t(Date.now(), t0)} SMTP server started again`);
    })();
    const r = await runUsers(
      { port, emails, seconds: SECONDS, thinkMs: THINK_MS, uploadEvery: UPLOAD_EVERY, withRx: WITH_RX },
      stats,
    );
    await chaos;
    for (const e of events) out(`   ${e}`);
    const inWindow = (at: number): boolean => at >= pgDown && at <= pgUp + GRACE_MS;
    const outside = stats.failures.filter((f) => !inWindow(f.at));
    const inside = stats.failures.length - outside.length;
    const total = stats.print(r.elapsedS);
    out(
      `total ${total} answered in ${r.elapsedS.toFixed(0)} s = ${(total / r.elapsedS).toFixed(1)} req/s; streams open ${r.streamsOpen}/${USERS}, ended by the server ${r.streamsClosed}; uploads ${r.uploads}`,
    );
    out(
      `errors in the restart window (${t(pgDown, t0)} → ${t(pgUp + GRACE_MS, t0)}): ${inside}; OUTSIDE it: ${outside.length} (5xx or network: ${outside.filter((f) => f.status === 0 || f.status >= 500).length})`,
    );
    for (const f of outside.slice(0, 10))
      out(`   error at ${t(f.at, t0)}: ${f.route} → ${f.status || 'network'} ${f.text}`);
    const afterRestart = r.streamEvents.filter((at) => at > pgUp).length;
    out(
      `live stream: ${r.streamEvents.length} notifications received, ${r.streamEvents.filter((at) => at < pgDown).length} before the restart, ${afterRestart} after it`,
    );
    const stillUnanswered = await resendUnanswered(port, stats, r);
    out(`dose logs whose answer was lost, sent again: ${stillUnanswered} still unanswered`);
    const checked = await checkAfter(ownerUrl, r);

    // every e-mail eventually sent, exactly once
    const waitFrom = Date.now();
    let state = await mailState(ownerUrl);
    while (state.pending > 0 && Date.now() - waitFrom < MAIL_WAIT_S * 1000) {
      await sleep(5000);
      state = await mailState(ownerUrl);
    }
    const received = new Map<string, number>();
    for (const raw of smtp.inbox) {
      const id = /^Message-ID:\s+<notification-([0-9a-f-]{36})@/im.exec(raw)?.[1];
      if (id !== undefined) received.set(id, (received.get(id) ?? 0) + 1);
    }
    const missing = state.sent.filter((id) => (received.get(id) ?? 0) === 0).length;
    const twice = [...received.values()].filter((n) => n > 1).length;
    const mailOk = state.pending === 0 && state.failed === 0 && missing === 0 && twice === 0;
    out(
      `e-mail: ${state.sent.length} recorded sent, ${smtp.inbox.length} messages received (${received.size} notifications), ${missing} sent but not received, ${twice} received more than once; ${state.skipped} skipped (dose already answered), ${state.failed} failed, ${state.pending} still pending after ${((Date.now() - waitFrom) / 1000).toFixed(0)} s more: ${mailOk ? 'each sent exactly once' : 'NOT EXACTLY ONCE'}`,
    );
    out(
      `e-mail delay (notification → sent): p50 ${percentile(state.delays, 50).toFixed(1)} s, max ${Math.max(...state.delays).toFixed(1)} s`,
    );
    out(`load average ${loadavg()}`);
    ok = checked && mailOk && outside.length === 0 && afterRestart > 0;
    out(ok ? 'chaos: everything held' : 'chaos: SOMETHING DID NOT HOLD (see above)');
  } finally {
    worker?.kill('SIGTERM');
    server?.kill('SIGTERM');
    await sleep(3000);
    await smtp.stop();
    await database.stop();
    fs.rmSync(base, { recursive: true, force: true });
  }
  if (!ok) process.exitCode = 1;
}

await main();
