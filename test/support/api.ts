/**
 * Builds the API on the file's fresh test database, with a test configuration (low bcrypt
 * cost, generous rate limits unless a test asks otherwise) and helpers to create users and
 * sign in through the real routes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { loadConfig, type Config } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { buildApp, API_PREFIX } from '../../src/http/app.ts';
import type { Mailer, MailMessage } from '../../src/mail/mailer.ts';
import { NotificationHub } from '../../src/notifications/hub.ts';
import { FileStore } from '../../src/files/store.ts';
import { installQueues, startQueue } from '../../src/jobs/queue.ts';
import { readingEnqueuer } from '../../src/jobs/workers.ts';
import { bakongPollEnqueuer, paymentMailEnqueuer } from '../../src/billing/jobs.ts';
import { useTestDatabase, type TestDatabase } from '../support/db.ts';

export const JWT_SECRET = 'test-secret-0123456789abcdef0123456789abcdef';

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    DASTERN_JWT_SECRET: JWT_SECRET,
    DASTERN_BCRYPT_COST: '4',
    DASTERN_AUTH_RATE_LIMIT: '100000',
    DASTERN_REGISTER_RATE_LIMIT: '100000',
    DASTERN_RATE_LIMIT: '1000000',
    DASTERN_DATA_DIR: '.data/test-api',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    ...(process.env.DASTERN_CHROMIUM_PATH ? { DASTERN_CHROMIUM_PATH: process.env.DASTERN_CHROMIUM_PATH } : {}),
    ...overrides,
  });
}

/** Collects messages instead of sending them (the SMTP path has its own test). */
export class MemoryMailer implements Mailer {
  readonly sent: MailMessage[] = [];
  async send(message: MailMessage): Promise<void> {
    this.sent.push(message);
  }
  close(): void {}
}

export interface ApiHarness {
  app: FastifyInstance;
  t: TestDatabase;
  mailer: MemoryMailer;
  hub: NotificationHub | undefined;
  call(
    method: InjectOptions['method'],
    path: string,
    options?: { token?: string; body?: unknown; headers?: Record<string, string>; query?: Record<string, string> },
  ): Promise<LightMyRequestResponse>;
}

export function useApi(
  options: { env?: Record<string, string>; seed?: boolean; hub?: boolean; mailer?: () => Mailer } = {},
): () => ApiHarness {
  const db = useTestDatabase({ seed: options.seed ?? false });
  let harness: ApiHarness | undefined;
  beforeAll(async () => {
    const t = db();
    const mailer = new MemoryMailer();
    const logger = createLogger(process.env.LOG_LEVEL ?? 'silent');
    const hub = options.hub ? new NotificationHub(t.appUrl, logger) : undefined;
    await hub?.start();
    const app = await buildApp({
      db: t.db,
      systemDb: t.worker,
      logger,
      config: testConfig(options.env),
      mailer: options.mailer?.() ?? mailer,
      hub,
    });
    await app.ready();
    harness = {
      app,
      t,
      mailer,
      hub,
      async call(method, path, o = {}) {
        const headers: Record<string, string> = { ...(o.headers ?? {}) };
        if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
        return app.inject({
          method,
          url:
            path.startsWith('/') &&
            !path.startsWith(API_PREFIX) &&
            !path.startsWith('/docs') &&
            !path.startsWith('/metrics')
              ? `${API_PREFIX}${path}`
              : path,
          headers,
          query: o.query,
          ...(o.body !== undefined ? { payload: o.body as Record<string, unknown> } : {}),
        });
      },
    };
  });
  afterAll(async () => {
    await harness?.app.close();
    await harness?.hub?.stop();
  });
  return () => {
    if (!harness) throw new Error('API not ready');
    return harness;
  };
}

/** Waits for the (asynchronous) e-mail to an address and returns the token of its link. */
export async function mailToken(h: ApiHarness, to: string): Promise<string> {
  // up to 30 s: the mail is written after the answer, and two busy cores can be slow
  for (let i = 0; i < 1500; i++) {
    const msg = [...h.mailer.sent].reverse().find((m) => m.to === to.toLowerCase());
    const m = msg === undefined ? null : /token=([^\s]+)/.exec(msg.text);
    if (m?.[1] !== undefined) return decodeURIComponent(m[1]);
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no e-mail to ${to}`);
}

let seq = 0;
export function uniqueEmail(prefix = 'user'): string {
  seq += 1;
  return `${prefix}.${process.pid}.${seq}.${Math.random().toString(36).slice(2, 7)}@example.com`;
}

export interface SignedIn {
  id: string;
  email: string;
  password: string;
  access: string;
  refresh: string;
  role: 'patient' | 'doctor' | 'admin';
}

/**
 * Registers through the API. A doctor is then verified as an admin would (an
 * unverified doctor cannot connect with patients) when the harness has the database, unless
 * `options.verified` is false.
 */
export async function register(
  h: Pick<ApiHarness, 'call'> & { t?: TestDatabase },
  role: 'patient' | 'doctor',
  extra: Record<string, unknown> = {},
  options: { verified?: boolean } = {},
): Promise<SignedIn> {
  const email = uniqueEmail(role);
  const password = 'correct horse 42 battery';
  const res = await h.call('POST', '/auth/register', {
    body: { email, password, role, first_name: 'Sok', last_name: 'Dara', ...extra },
  });
  if (res.statusCode !== 201) throw new Error(`register failed: ${res.statusCode} ${res.body}`);
  const body = res.json<{ user: { id: string }; access_token: string; refresh_token: string }>();
  if (role === 'doctor' && options.verified !== false && h.t !== undefined) await verifyDoctorBySql(h.t, body.user.id);
  return { id: body.user.id, email, password, access: body.access_token, refresh: body.refresh_token, role };
}

/** Test set-up: the doctor's licence verified (what POST /admin/doctors/:id/verify does, without the admin). */
export async function verifyDoctorBySql(t: Pick<TestDatabase, 'owner'>, doctorId: string): Promise<void> {
  await t.owner.query('UPDATE users SET doctor_verified_at = now() WHERE id = $1', [doctorId]);
}

/** An admin can only be made by the CLI path (service function); then signs in through the API. */
export async function makeAdmin(h: ApiHarness): Promise<SignedIn> {
  const { createAdmin } = await import('../../src/users/admin-accounts.ts');
  const email = uniqueEmail('admin');
  const password = 'admin password 42 ok';
  const id = await createAdmin(h.t.worker, { email, password, firstName: 'Admin', lastName: 'User' }, 4);
  const res = await h.call('POST', '/auth/login', { body: { email, password } });
  if (res.statusCode !== 200) throw new Error(`admin login failed: ${res.statusCode} ${res.body}`);
  const body = res.json<{ access_token: string; refresh_token: string }>();
  return { id, email, password, access: body.access_token, refresh: body.refresh_token, role: 'admin' };
}

export interface FullApp {
  app: FastifyInstance;
  boss: Awaited<ReturnType<typeof startQueue>>;
  close(): Promise<void>;
}

/**
 * The whole API as `dastern serve` builds it — prescriptions (an encrypted file store in a temp
 * dir, the real job queue, no workers) and the queue-depth metric — on the harness's database.
 */
export async function startFullApp(
  h: Pick<ApiHarness, 't' | 'mailer'>,
  options: { env?: Record<string, string> } = {},
): Promise<FullApp> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dastern-full-app-'));
  await installQueues(h.t.ownerUrl);
  const boss = await startQueue(h.t.workerUrl, { supervise: false }, () => undefined);
  const app = await buildApp({
    db: h.t.db,
    systemDb: h.t.worker,
    logger: createLogger(process.env.LOG_LEVEL ?? 'silent'),
    config: testConfig(options.env),
    mailer: h.mailer,
    prescriptions: { files: new FileStore(dir, randomBytes(32)), enqueueReading: readingEnqueuer(boss) },
    queueDepth: () => boss.getQueueSize('prescription-read'),
    billing: { enqueuePoll: bakongPollEnqueuer(boss), enqueueMail: paymentMailEnqueuer(boss) },
  });
  await app.ready();
  return {
    app,
    boss,
    async close() {
      await app.close();
      await boss.stop({ graceful: false, wait: true });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
