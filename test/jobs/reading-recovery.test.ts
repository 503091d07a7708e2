/**
 * Readings survive their worker: a `dastern worker` process SIGKILLed in the middle of a
 * reading leaves the job active; once it expires (DASTERN_READING_TIMEOUT_SECONDS, shortened
 * here) the queue's maintenance on another worker puts it back and that worker completes it.
 * And a reading that keeps failing for a passing reason ends, after the retries, as status
 * `error` with a reason the patient can read.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type PgBoss from 'pg-boss';
import { loadConfig, type Config } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { FileStore } from '../../src/files/store.ts';
import { QUEUES, installQueues, startQueue } from '../../src/jobs/queue.ts';
import { startWorkers } from '../../src/jobs/workers.ts';
import { startWorkerProcess, type RunningWorker } from '../../src/cli/worker.ts';
import { ReadingError } from '../../src/reading/index.ts';
import { useTestDatabase } from '../support/db.ts';
import { cannedReading, pendingPrescription, startChild, waitFor, type Child } from './support.ts';

const t = useTestDatabase();
const key = randomBytes(32);
let dir = '';
let env: Record<string, string> = {};
let config: Config;
let sender: PgBoss;
let files: FileStore;
const children: Child[] = [];
const workers: RunningWorker[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dastern-jobs-'));
  env = {
    NODE_ENV: 'test',
    DATABASE_URL: t().ownerUrl,
    DASTERN_APP_DATABASE_URL: t().appUrl,
    DASTERN_WORKER_DATABASE_URL: t().workerUrl,
    DASTERN_DATA_DIR: dir,
    DASTERN_FILE_KEY: key.toString('base64'),
    DASTERN_READING_TIMEOUT_SECONDS: '3',
    DASTERN_READING_RETRIES: '2',
    DASTERN_READING_RETRY_DELAY_SECONDS: '1',
    DASTERN_QUEUE_MAINTENANCE_SECONDS: '1',
    LOG_LEVEL: 'silent',
  };
  config = loadConfig(env);
  // The in-process worker reads the file key from the environment, as `dastern worker` does.
  process.env.DASTERN_FILE_KEY = env.DASTERN_FILE_KEY;
  files = new FileStore(path.join(dir, 'files'), key);
  await installQueues(t().ownerUrl, { timeoutSeconds: 3, retries: 2, retryDelaySeconds: 1 });
  sender = await startQueue(t().appUrl, { supervise: false }, () => undefined);
});

afterAll(async () => {
  for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
  for (const w of workers) await w.stop();
  await sender?.stop({ graceful: false, wait: true });
  if (dir !== '') fs.rmSync(dir, { recursive: true, force: true });
});

async function prescription(id: string) {
  const res = await t().owner.query<{
    status: string;
    error_message: string | null;
    processing_attempts: number;
    ocr_engine: string | null;
  }>('SELECT status, error_message, processing_attempts, ocr_engine FROM prescriptions WHERE id = $1', [id]);
  return res.rows[0]!;
}

async function jobOf(prescriptionId: string) {
  const res = await t().owner.query<{ state: string; retry_count: number; output: unknown }>(
    `SELECT state, retry_count, output FROM pgboss.job WHERE name = $1 AND data->>'prescriptionId' = $2`,
    [QUEUES.readPrescription, prescriptionId],
  );
  return res.rows[0];
}

describe('a reading whose worker dies', () => {
  it('is retried after the job expires and completed by another worker', async () => {
    const child = startChild(['test/jobs/worker-child.ts'], env, { tsx: true });
    children.push(child);
    await child.waitForOutput('STARTED');

    const { id } = await pendingPrescription(t().owner, files);
    await sender.send(QUEUES.readPrescription, { prescriptionId: id });
    await child.waitForOutput('READING', 15_000);
    expect((await prescription(id)).status).toBe('processing');
    child.proc.kill('SIGKILL');
    expect((await child.exited).signal).toBe('SIGKILL');
    expect((await jobOf(id))?.state).toBe('active'); // nobody finished it: only expiry can free it

    // A second worker (its reader works): its queue maintenance expires the job, which is retried.
    const second = await startWorkerProcess(config, createLogger('silent'), {
      reader: { read: async () => cannedReading() },
    });
    workers.push(second);
    const done = await waitFor(
      'the reading to complete',
      async () => {
        const p = await prescription(id);
        return p.status === 'ocr_completed' ? p : undefined;
      },
      40_000,
    );
    expect(done).toMatchObject({ ocr_engine: 'test', processing_attempts: 2, error_message: null });
    const job = await waitFor(
      'the job to be completed',
      async () => {
        const j = await jobOf(id);
        return j?.state === 'completed' ? j : undefined;
      },
      10_000,
    );
    expect(job.retry_count).toBe(1);
    await second.stop();
  });
});

describe('a reading that keeps failing', () => {
  it('ends as status error with a readable reason after the retries', async () => {
    let calls = 0;
    const boss = await startQueue(t().workerUrl, { supervise: true, maintenanceIntervalSeconds: 1 }, () => undefined);
    try {
      await startWorkers({
        boss,
        db: t().worker,
        files,
        logger: createLogger('silent'),
        missedThreshold: 3,
        archiveAfterDays: 365,
        reader: {
          read: async () => {
            calls += 1;
            throw new ReadingError('ocr_unavailable', 'the OCR engine is not available');
          },
        },
      });
      const { id } = await pendingPrescription(t().owner, files);
      await sender.send(QUEUES.readPrescription, { prescriptionId: id });
      const failed = await waitFor(
        'status error',
        async () => {
          const p = await prescription(id);
          return p.status === 'error' ? p : undefined;
        },
        40_000,
      );
      expect(failed.error_message).toBe(
        'We could not read this photo. Please try again, or take a sharper photo in good light.',
      );
      expect(failed.processing_attempts).toBe(3);
      expect(calls).toBe(3); // the first try and two retries
      // the last try records the failure and ends the job (no further retry)
      const job = await waitFor(
        'the job to end',
        async () => {
          const j = await jobOf(id);
          return j?.state === 'completed' || j?.state === 'failed' ? j : undefined;
        },
        10_000,
      );
      expect(job.retry_count).toBe(2);
    } finally {
      await boss.stop({ graceful: false, wait: true });
    }
  });
});
