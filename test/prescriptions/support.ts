/**
 * The API with the prescription flow wired as in `dastern serve`: an encrypted file store in a
 * temporary folder, pg-boss on the file's database, the reading worker with a real reader
 * (or one a test supplies), and the routes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import type PgBoss from 'pg-boss';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp, API_PREFIX } from '../../src/http/app.ts';
import { createLogger } from '../../src/log.ts';
import { FileStore } from '../../src/files/store.ts';
import { installQueues, startQueue } from '../../src/jobs/queue.ts';
import { readingEnqueuer, startWorkers } from '../../src/jobs/workers.ts';
import type { ReaderPort } from '../../src/prescriptions/reading-job.ts';
import { createReader, type PrescriptionReader } from '../../src/reading/index.ts';
import { useTestDatabase, type TestDatabase } from '../support/db.ts';
import { MemoryMailer, testConfig, type ApiHarness } from '../support/api.ts';

export interface FlowHarness extends Pick<ApiHarness, 'call'> {
  app: FastifyInstance;
  t: TestDatabase;
  boss: PgBoss;
  files: FileStore;
  upload(
    token: string,
    bytes: Buffer,
    options?: { field?: string; filename?: string; contentType?: string },
  ): Promise<LightMyRequestResponse>;
  waitForStatus(
    token: string,
    id: string,
    statuses: readonly string[],
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
}

/** A multipart/form-data body with one file part. */
export function multipartBody(
  bytes: Buffer,
  field = 'image',
  filename = 'photo.png',
  contentType = 'image/png',
): { body: Buffer; boundary: string } {
  const boundary = `----dastern${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: ${contentType}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { body: Buffer.concat([head, bytes, tail]), boundary };
}

export function useFlowApi(options: { reader?: () => ReaderPort } = {}): () => FlowHarness {
  const db = useTestDatabase();
  let harness: FlowHarness | undefined;
  let ownReader: PrescriptionReader | undefined;
  let dir = '';
  beforeAll(async () => {
    const t = db();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dastern-flow-'));
    const files = new FileStore(dir, randomBytes(32));
    const logger = createLogger(process.env.LOG_LEVEL ?? 'silent');
    await installQueues(t.ownerUrl);
    const boss = await startQueue(t.appUrl, { supervise: false }, () => undefined);
    let reader: ReaderPort;
    if (options.reader) {
      reader = options.reader();
    } else {
      ownReader = await createReader({ workers: 1, logger: { warn: () => undefined } });
      reader = ownReader;
    }
    await startWorkers({ boss, db: t.worker, files, reader, logger, missedThreshold: 3, archiveAfterDays: 365 });
    const app = await buildApp({
      db: t.db,
      systemDb: t.worker,
      logger,
      config: testConfig(),
      mailer: new MemoryMailer(),
      prescriptions: { files, enqueueReading: readingEnqueuer(boss) },
    });
    await app.ready();
    const call: FlowHarness['call'] = async (method, p, o = {}) => {
      const headers: Record<string, string> = { ...(o.headers ?? {}) };
      if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
      return app.inject({
        method: method as InjectOptions['method'],
        url: p.startsWith(API_PREFIX) ? p : `${API_PREFIX}${p}`,
        headers,
        query: o.query,
        ...(o.body !== undefined ? { payload: o.body as Record<string, unknown> } : {}),
      });
    };
    harness = {
      app,
      t,
      boss,
      files,
      call,
      async upload(token, bytes, o = {}) {
        const { body, boundary } = multipartBody(bytes, o.field, o.filename, o.contentType);
        return app.inject({
          method: 'POST',
          url: `${API_PREFIX}/prescriptions`,
          payload: body,
          headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
        });
      },
      async waitForStatus(token, id, statuses, timeoutMs = 90_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const res = await call('GET', `/prescriptions/${id}`, { token });
          const body = res.json<Record<string, unknown>>();
          if (statuses.includes(String(body.status))) return body;
          if (Date.now() > deadline)
            throw new Error(`prescription ${id} still ${String(body.status)} after ${timeoutMs} ms`);
          await new Promise((r) => setTimeout(r, 250));
        }
      },
    };
  });
  afterAll(async () => {
    await harness?.app.close();
    await harness?.boss.stop({ graceful: false, wait: true });
    await ownReader?.close();
    if (dir !== '') fs.rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    if (!harness) throw new Error('flow API not ready');
    return harness;
  };
}
