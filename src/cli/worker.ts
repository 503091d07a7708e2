/**
 * `dastern worker`: only the job workers (prescription readings, the reminder dispatcher,
 * notification delivery, maintenance), for running them on other machines than `dastern serve`.
 *
 * Database preparation differs from serve on purpose:
 * - migrations are the serve process's job: the worker WAITS until none is pending (it never
 *   migrates, so a rolling deployment cannot have a new worker change the schema under a
 *   running service); it gives up after DASTERN_WORKER_MIGRATION_WAIT_SECONDS;
 * - it needs DATABASE_URL (the owner login, for the queue's tables): the embedded database
 *   belongs to `dastern serve`, which runs these workers itself;
 * - it never changes a login's password: it runs as dastern_worker (the only login whose
 *   'system' context counts), DASTERN_WORKER_DATABASE_URL or derived from
 *   DASTERN_DATA_DIR/secrets/db-worker-password, which must then be the serve machine's (a
 *   shared data dir — also where the encrypted photos are).
 * - PostgreSQL unreachable at start (restarting, not up yet) is waited for, as long as the
 *   migrations may be (src/db/transient.ts); a wrong login is not.
 * SIGINT/SIGTERM stop it gracefully: running jobs finish (up to 20 s), then the pools close; a
 * second signal exits at once. A job cut short is retried by the queue after its expiry.
 */
import type { Command } from 'commander';
import pg from 'pg';
import { ConfigError, loadConfig, type Config } from '../config.ts';
import { createLogger, type Logger } from '../log.ts';
import { deriveWorkerUrl, workerPassword } from '../db/bootstrap.ts';
import { Database } from '../db/database.ts';
import { isTransientDbError, retryWhileUnreachable } from '../db/transient.ts';
import { withMigrator } from '../db/migrations.ts';
import { FileStore } from '../files/store.ts';
import { loadFileKey } from '../files/key.ts';
import { installQueues, startQueue } from '../jobs/queue.ts';
import { startWorkers, type RunningWorkers } from '../jobs/workers.ts';
import { startAuditSealer, type AuditSealer } from '../audit/sealer.ts';
import { configuredMailer } from '../mail/configured.ts';
import { createDeliverer } from '../delivery/index.ts';
import type { ReaderPort } from '../prescriptions/reading-job.ts';
import { closeSharedReader, readPrescription } from '../reading/index.ts';
import { jobsTuning, scheduleOptions } from '../jobs/config-options.ts';
import { stopOnSignals } from './signals.ts';

export interface WorkerProcessOptions {
  /** Tests: a reader of their own (default: the shared tesseract reader, started lazily). */
  reader?: ReaderPort;
}

export interface RunningWorker {
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Returns once every migration file has been applied (by `dastern serve`). */
export async function waitForMigrations(ownerUrl: string, logger: Logger, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    const { pending } = await withMigrator(ownerUrl, (m) => m.status());
    if (pending.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(
        `migrations still pending after ${Math.round(timeoutMs / 1000)} s (${pending.join(', ')}): start \`dastern serve\` or run \`dastern db migrate\``,
      );
    }
    if (!told) logger.info({ pending }, 'waiting for `dastern serve` to apply the migrations');
    told = true;
    await sleep(2000);
  }
}

async function checkLogin(workerUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: workerUrl, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    // the server restarting or down is not a wrong login: the caller waits for it
    if (isTransientDbError(err)) throw err;
    throw new ConfigError(
      `the workers' login (dastern_worker) failed: ${err instanceof Error ? err.message : String(err)}. ` +
        "Set DASTERN_WORKER_DATABASE_URL, or share the serve machine's DASTERN_DATA_DIR/secrets/db-worker-password",
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function startWorkerProcess(
  config: Config,
  logger: Logger,
  options: WorkerProcessOptions = {},
): Promise<RunningWorker> {
  const ownerUrl = config.databaseUrl;
  if (ownerUrl === undefined) {
    throw new ConfigError(
      'dastern worker needs DATABASE_URL: the embedded database belongs to `dastern serve`, which runs the workers itself',
    );
  }
  await waitForMigrations(ownerUrl, logger, config.jobs.workerMigrationWaitSeconds * 1000);
  const workerUrl = config.workerDatabaseUrl ?? deriveWorkerUrl(ownerUrl, workerPassword(config.dataDir));
  await checkLogin(workerUrl);
  await installQueues(ownerUrl, jobsTuning(config));

  const db = new Database(workerUrl, { max: 10, prepare: config.preparedStatements });
  const mailer = configuredMailer(config, logger);
  let boss: Awaited<ReturnType<typeof startQueue>> | undefined;
  let sealer: AuditSealer | undefined;
  let workers: RunningWorkers | undefined;
  try {
    const files = new FileStore(`${config.dataDir}/files`, loadFileKey(config));
    const deliverer = createDeliverer(config, db, mailer, logger);
    sealer = startAuditSealer(db, logger, config.jobs.auditSealIntervalMs);
    boss = await startQueue(
      workerUrl,
      { supervise: true, maintenanceIntervalSeconds: config.jobs.maintenanceIntervalSeconds },
      (err) => logger.error({ err: err.message }, 'job queue error'),
    );
    workers = await startWorkers({
      boss,
      db,
      files,
      logger,
      deliverer,
      mailer,
      reader: options.reader ?? {
        read: (bytes) => readPrescription(bytes, { workers: 1, logger: { warn: (msg) => logger.warn(msg) } }),
      },
      missedThreshold: config.jobs.missedDoseThreshold,
      ...scheduleOptions(config),
      config,
    });
  } catch (err) {
    logger.error({ err: err instanceof Error ? err.message : String(err) }, 'DasTern workers failed to start');
    workers?.stop();
    await boss?.stop({ graceful: false, wait: true });
    await sealer?.stop();
    mailer.close();
    await db.close();
    throw err;
  }
  const queue = boss;
  const auditSealer = sealer;
  const running = workers;
  let stopping: Promise<void> | undefined;
  return {
    stop() {
      stopping ??= (async () => {
        running.stop();
        await queue.stop({ graceful: true, wait: true, timeout: 20_000 });
        await closeSharedReader();
        await auditSealer.stop();
        mailer.close();
        await db.close();
      })();
      return stopping;
    },
  };
}

/** Runs until SIGINT/SIGTERM (a second signal exits at once). */
export async function runWorkerUntilSignal(
  config: Config,
  logger: Logger,
  options: WorkerProcessOptions = {},
): Promise<void> {
  // PostgreSQL restarting or not up yet (the worker started with it, or restarted by a
  // supervisor during its restart) is waited for, as long as the migrations may be.
  const worker = await retryWhileUnreachable(() => startWorkerProcess(config, logger, options), {
    logger,
    timeoutMs: config.jobs.workerMigrationWaitSeconds * 1000,
    what: 'DasTern workers',
  });
  // Handlers first: whoever reads the line below may signal at once (a supervisor, a test).
  stopOnSignals(worker, logger, 'workers');
  logger.info({ pid: process.pid }, 'DasTern workers started');
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description(
      'run only the job workers (readings, reminders, delivery, maintenance) against DATABASE_URL; waits for `dastern serve` to migrate',
    )
    .action(async () => {
      const config = loadConfig();
      await runWorkerUntilSignal(config, createLogger(config.logLevel));
    });
}
