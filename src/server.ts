/**
 * Composition root of `dastern serve`: config → database (embedded when DATABASE_URL is
 * unset) → HTTP. The API runs as dastern_app; the queue and the jobs (unless
 * DASTERN_RUN_WORKERS=false: a separate `dastern worker` runs them) as dastern_worker.
 * Stops cleanly on SIGINT/SIGTERM, in this order: HTTP, the queue and its jobs, the audit
 * sealer (a last seal), the pools, and last the embedded PostgreSQL (which runs in its own
 * process group, so a terminal's Ctrl-C does not reach it first).
 */
import type { Config } from './config.ts';
import type { Logger } from './log.ts';
import { serveDatabase, type DatabaseUrls } from './db/bootstrap.ts';
import { Database } from './db/database.ts';
import { ReadReplica } from './db/read-replica.ts';
import { buildApp } from './http/app.ts';
import { listenOnSockets, type Listeners } from './http/listen.ts';
import { NotificationHub } from './notifications/hub.ts';
import { startAuditSealer, type AuditSealer } from './audit/sealer.ts';
import { startBackupSchedule } from './backup/schedule.ts';
import { startExternalBackupSchedule } from './backup/external.ts';
import { walStagingDir } from './db/embedded.ts';
import { FileStore } from './files/store.ts';
import { loadFileKey } from './files/key.ts';
import { installQueues, startQueue, type ReadingQueueTuning } from './jobs/queue.ts';
import { readingEnqueuer, startWorkers, type RunningWorkers, type WorkerDeps } from './jobs/workers.ts';
import { bakongPollEnqueuer, paymentMailEnqueuer } from './billing/jobs.ts';
import { ensurePartitions } from './jobs/maintenance.ts';
import { closeSharedReader, readPrescription } from './reading/index.ts';
import { createMailer } from './mail/mailer.ts';
import { createDeliverer } from './delivery/index.ts';

/** The reading queue's policy from config.jobs (shared with `dastern worker`). */
export function jobsTuning(config: Config): ReadingQueueTuning {
  return {
    timeoutSeconds: config.jobs.readingTimeoutSeconds,
    retries: config.jobs.readingRetries,
    retryDelaySeconds: config.jobs.readingRetryDelaySeconds,
  };
}

/** The schedule knobs of config.jobs, for startWorkers (shared with `dastern worker`). */
export function scheduleOptions(
  config: Config,
): Pick<
  WorkerDeps,
  | 'dispatchIntervalSeconds'
  | 'missedGraceMinutes'
  | 'cleanupSessionsCron'
  | 'archivePrescriptionsCron'
  | 'archiveAfterDays'
  | 'partitionMonthsAhead'
  | 'logRetentionMonths'
> {
  return {
    archiveAfterDays: config.jobs.archiveAfterDays,
    partitionMonthsAhead: config.jobs.partitionMonthsAhead,
    logRetentionMonths: config.jobs.logRetentionMonths,
    dispatchIntervalSeconds: config.jobs.dispatchIntervalSeconds,
    missedGraceMinutes: config.jobs.missedGraceMinutes,
    cleanupSessionsCron: config.jobs.cleanupSessionsCron,
    archivePrescriptionsCron: config.jobs.archivePrescriptionsCron,
  };
}

/** The replica's URL with the service's own user and password (never another login's). */
export function replicaLogin(readUrl: string, appUrl: string): string {
  const read = new URL(readUrl);
  const app = new URL(appUrl);
  read.username = app.username;
  read.password = app.password;
  return read.toString();
}

export interface RunningServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * `database`: serveDatabase's promise when the caller started it already (`dastern serve` starts
 * the database while this module loads).
 */
export async function startServer(
  config: Config,
  logger: Logger,
  database: Promise<DatabaseUrls> = serveDatabase(config, logger),
): Promise<RunningServer> {
  const urls = await database;
  const prepare = config.preparedStatements;
  const db = new Database(urls.appUrl, { prepare });
  // background work: the only login whose 'system' context counts (migration 014)
  const jobsDb = new Database(urls.workerUrl, { max: 10, prepare });
  // lists and statistics on the replica; LISTEN on a direct connection (a transaction pooler drops it)
  const readDb =
    config.readDatabaseUrl === undefined
      ? undefined
      : new ReadReplica(db, new Database(replicaLogin(config.readDatabaseUrl, urls.appUrl), { prepare }));
  const hub = new NotificationHub(
    config.listenDatabaseUrl === undefined ? urls.appUrl : replicaLogin(config.listenDatabaseUrl, urls.appUrl),
    logger,
  );
  const files = new FileStore(`${config.dataDir}/files`, loadFileKey(config));
  // One mailer for the API (verification, reset) and the delivery workers (notifications).
  const mailer = createMailer({
    smtpUrl: config.api.smtpUrl,
    from: config.api.mailFrom,
    outboxDir: `${config.dataDir}/outbox`,
    logger,
  });
  let app: Awaited<ReturnType<typeof buildApp>> | undefined;
  let boss: Awaited<ReturnType<typeof startQueue>> | undefined;
  let sealer: AuditSealer | undefined;
  const backups = urls.embedded
    ? startBackupSchedule(config, urls.ownerUrl, urls.embedded.cluster, walStagingDir(urls.embedded.cluster), logger)
    : await startExternalBackupSchedule(config, urls.ownerUrl, logger);
  let listeners: Listeners | undefined;
  let workers: RunningWorkers | undefined;
  // What both a failed start and stop() release last, after the HTTP server and the queue.
  const releaseResources = async (): Promise<void> => {
    await sealer?.stop();
    mailer.close();
    await hub.stop();
    await db.close();
    await readDb?.replica.close();
    await jobsDb.close();
    await backups?.stop();
    await urls.embedded?.stop();
  };
  try {
    sealer = startAuditSealer(jobsDb, logger, config.jobs.auditSealIntervalMs);
    // The queue (schema, partitions, pg-boss) and the HTTP app (routes, hooks) are made at the
    // same time: one waits on PostgreSQL, the other on the CPU. Nothing is served before both.
    const queueReady = (async () => {
      await installQueues(urls.ownerUrl, jobsTuning(config));
      // the log tables' months ahead exist before any write (the daily job keeps them ahead)
      await ensurePartitions(jobsDb, config.jobs.partitionMonthsAhead);
      boss = await startQueue(
        urls.workerUrl,
        { supervise: config.jobs.runWorkers, maintenanceIntervalSeconds: config.jobs.maintenanceIntervalSeconds },
        (err) => logger.error({ err: err.message }, 'job queue error'),
      );
      return boss;
    })();
    const workersReady = queueReady.then(async (queue) => {
      if (!config.jobs.runWorkers) {
        logger.info('job workers off (DASTERN_RUN_WORKERS=false): a `dastern worker` process runs them');
        return;
      }
      workers = await startWorkers({
        boss: queue,
        db: jobsDb,
        files,
        logger,
        reader: {
          read: (bytes) => readPrescription(bytes, { workers: 1, logger: { warn: (msg) => logger.warn(msg) } }),
        },
        missedThreshold: config.jobs.missedDoseThreshold,
        deliverer: createDeliverer(config, jobsDb, mailer, logger),
        mailer,
        ...scheduleOptions(config),
        config,
      });
    });
    // the app's hooks reach the queue once it is there (no request is served before)
    const appReady = (async () => {
      app = await buildApp({
        db,
        systemDb: jobsDb,
        readDb,
        logger,
        config,
        hub,
        mailer,
        prescriptions: {
          files,
          enqueueReading: async (tx, id) => readingEnqueuer(await queueReady)(tx, id),
        },
        queueDepth: async () => (await queueReady).getQueueSize('prescription-read'),
        billing: {
          enqueuePoll: async (tx, id, delay) => bakongPollEnqueuer(await queueReady)(tx, id, delay),
          enqueueMail: async (tx, id) => paymentMailEnqueuer(await queueReady)(tx, id),
        },
      });
      return app;
    })();
    // all settled before going on or cleaning up: nothing half-started is left running
    // (and the API's first connection is opened meanwhile, not by the first request)
    const settled = await Promise.allSettled([queueReady, workersReady, hub.start(), appReady, db.ping()]);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    app = await appReady;
    // A burst of new connections (a clinic's morning, clients reconnecting after a restart, a load
    // test) must neither overflow the accept queue nor wait in it while the event loop is busy.
    listeners = await listenOnSockets(
      app,
      { host: config.host, port: config.port, sockets: config.api.listenSockets },
      logger,
    );
  } catch (err) {
    logger.error({ err: err instanceof Error ? err.message : String(err) }, 'DasTern failed to start');
    workers?.stop();
    await app
      ?.close()
      .catch((closeErr: unknown) =>
        logger.error({ err: String(closeErr) }, 'closing the half-started HTTP server failed'),
      );
    await boss?.stop({ graceful: false, wait: true });
    await releaseResources();
    throw err;
  }
  const url = `http://${config.host}:${listeners.port}`;
  // bound for the closure below (both are set once the try block has run)
  const http = app;
  const accepting = listeners;
  let stopping: Promise<void> | undefined;
  return {
    url,
    stop() {
      stopping ??= (async () => {
        // Every socket stops accepting; in-flight requests finish (answered with Connection: close);
        // only then do the queue, the pool and the database go.
        const extrasDrained = accepting.close();
        // Node closes only idle connections: one that never completes its request (a browser's
        // pre-opened socket, half-sent headers) would hold shutdown for ever. After the grace
        // period every connection still open is cut.
        const cut = setTimeout(() => http.server.closeAllConnections(), config.api.shutdownGraceMs);
        cut.unref();
        try {
          await http.close();
          await extrasDrained;
        } finally {
          clearTimeout(cut);
        }
        workers?.stop();
        await boss?.stop({ graceful: true, wait: true, timeout: 20_000 });
        await closeSharedReader();
        await releaseResources();
      })();
      return stopping;
    },
  };
}
