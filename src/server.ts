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
import { installQueues, startQueue } from './jobs/queue.ts';
import { readingEnqueuer, startWorkers, type RunningWorkers } from './jobs/workers.ts';
import { bakongPollEnqueuer, paymentMailEnqueuer } from './billing/jobs.ts';
import { ensurePartitions } from './jobs/maintenance.ts';
import { configuredMailer } from './mail/configured.ts';
import { jobsTuning, scheduleOptions } from './jobs/config-options.ts';
import { createDeliverer } from './delivery/index.ts';
import { markPhase, timePhase } from './startup-phases.ts';
import type { Mailer } from './mail/mailer.ts';

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

type HttpApp = Awaited<ReturnType<typeof buildApp>>;
type Queue = Awaited<ReturnType<typeof startQueue>>;

/** What the server holds open apart from HTTP and the queue: pools, LISTEN, mail, backups, the database. */
interface Resources {
  urls: DatabaseUrls;
  db: Database;
  /** background work: the only login whose 'system' context counts (migration 014) */
  jobsDb: Database;
  readDb: ReadReplica | undefined;
  hub: NotificationHub;
  files: FileStore;
  mailer: Mailer;
  backups: { stop(): Promise<void> } | undefined;
}

/** The reader, loaded with the first prescription read (its OCR and image modules are not needed to serve). */
const reading = (): Promise<typeof import('./reading/index.ts')> => import('./reading/index.ts');
let readingLoaded = false;

async function openResources(config: Config, logger: Logger, urls: DatabaseUrls): Promise<Resources> {
  const prepare = config.preparedStatements;
  const db = new Database(urls.appUrl, { prepare });
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
  const mailer = configuredMailer(config, logger);
  const jobsDb = new Database(urls.workerUrl, { max: 10, prepare });
  const resources: Resources = { urls, db, jobsDb, readDb, hub, files, mailer, backups: undefined };
  try {
    resources.backups = urls.embedded
      ? startBackupSchedule(config, urls.ownerUrl, urls.embedded.cluster, walStagingDir(urls.embedded.cluster), logger)
      : await startExternalBackupSchedule(config, urls.ownerUrl, logger);
  } catch (err) {
    await releaseResources(resources, undefined);
    throw err;
  }
  return resources;
}

/** What both a failed start and stop() release last, after the HTTP server and the queue. */
async function releaseResources(r: Resources, sealer: AuditSealer | undefined): Promise<void> {
  await sealer?.stop();
  r.mailer.close();
  await r.hub.stop();
  await r.db.close();
  await r.readDb?.replica.close();
  await r.jobsDb.close();
  await r.backups?.stop();
  await r.urls.embedded?.stop();
}

/** The queue's schema, the log tables' months ahead (before any write), then pg-boss. */
async function readyQueue(config: Config, logger: Logger, r: Resources): Promise<Queue> {
  await installQueues(r.urls.ownerUrl, jobsTuning(config));
  // the daily job keeps them ahead
  await ensurePartitions(r.jobsDb, config.jobs.partitionMonthsAhead);
  return startQueue(
    r.urls.workerUrl,
    { supervise: config.jobs.runWorkers, maintenanceIntervalSeconds: config.jobs.maintenanceIntervalSeconds },
    (err) => logger.error({ err: err.message }, 'job queue error'),
  );
}

async function runWorkers(
  config: Config,
  logger: Logger,
  r: Resources,
  queue: Queue,
): Promise<RunningWorkers | undefined> {
  if (!config.jobs.runWorkers) {
    logger.info('job workers off (DASTERN_RUN_WORKERS=false): a `dastern worker` process runs them');
    return undefined;
  }
  return startWorkers({
    boss: queue,
    db: r.jobsDb,
    files: r.files,
    logger,
    reader: {
      read: async (bytes) => {
        readingLoaded = true;
        const { readPrescription } = await reading();
        return readPrescription(bytes, { workers: 1, logger: { warn: (msg) => logger.warn(msg) } });
      },
    },
    missedThreshold: config.jobs.missedDoseThreshold,
    deliverer: createDeliverer(config, r.jobsDb, r.mailer, logger),
    mailer: r.mailer,
    ...scheduleOptions(config),
    config,
  });
}

/** The HTTP app; its hooks reach the queue once it is there (no request is served before). */
function buildHttpApp(config: Config, logger: Logger, r: Resources, queueReady: Promise<Queue>): Promise<HttpApp> {
  return buildApp({
    db: r.db,
    systemDb: r.jobsDb,
    readDb: r.readDb,
    logger,
    config,
    hub: r.hub,
    mailer: r.mailer,
    prescriptions: {
      files: r.files,
      enqueueReading: async (tx, id) => readingEnqueuer(await queueReady)(tx, id),
    },
    queueDepth: async () => (await queueReady).getQueueSize('prescription-read'),
    billing: {
      enqueuePoll: async (tx, id, delay) => bakongPollEnqueuer(await queueReady)(tx, id, delay),
      enqueueMail: async (tx, id) => paymentMailEnqueuer(await queueReady)(tx, id),
    },
  });
}

interface Started {
  app: HttpApp;
  listeners: Listeners;
  boss: Queue;
  workers: RunningWorkers | undefined;
  sealer: AuditSealer;
}

/**
 * The queue (schema, partitions, pg-boss) and the HTTP app (routes, hooks) are made at the same
 * time: one waits on PostgreSQL, the other on the CPU. Nothing is served before both; all have
 * settled before going on or cleaning up, so nothing half-started is left running (and the API's
 * first connection is opened meanwhile, not by the first request).
 */
async function startParts(config: Config, logger: Logger, r: Resources): Promise<Started> {
  const parts: Partial<Started> = { sealer: startAuditSealer(r.jobsDb, logger, config.jobs.auditSealIntervalMs) };
  try {
    const queueReady = timePhase('queue', readyQueue(config, logger, r));
    const workersReady = timePhase(
      'workers',
      queueReady.then((queue) => runWorkers(config, logger, r, queue)),
    );
    const appReady = timePhase('http app', buildHttpApp(config, logger, r, queueReady));
    queueReady.then((boss) => (parts.boss = boss)).catch(() => undefined);
    workersReady.then((workers) => (parts.workers = workers)).catch(() => undefined);
    appReady.then((app) => (parts.app = app)).catch(() => undefined);
    const settled = await Promise.allSettled([queueReady, workersReady, r.hub.start(), appReady, r.db.ping()]);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const app = await appReady;
    // A burst of new connections (a clinic's morning, clients reconnecting after a restart, a load
    // test) must neither overflow the accept queue nor wait in it while the event loop is busy.
    const listen = { host: config.host, port: config.port, sockets: config.api.listenSockets };
    const listeners = await listenOnSockets(app, listen, logger);
    return { app, listeners, boss: await queueReady, workers: await workersReady, sealer: parts.sealer! };
  } catch (err) {
    logger.error({ err: err instanceof Error ? err.message : String(err) }, 'DasTern failed to start');
    parts.workers?.stop();
    await parts.app
      ?.close()
      .catch((closeErr: unknown) =>
        logger.error({ err: String(closeErr) }, 'closing the half-started HTTP server failed'),
      );
    await parts.boss?.stop({ graceful: false, wait: true });
    await releaseResources(r, parts.sealer);
    throw err;
  }
}

/**
 * Every socket stops accepting; in-flight requests finish (answered with Connection: close);
 * only then do the queue, the pool and the database go.
 */
async function stopServer(config: Config, r: Resources, s: Started): Promise<void> {
  const extrasDrained = s.listeners.close();
  // Node closes only idle connections: one that never completes its request (a browser's
  // pre-opened socket, half-sent headers) would hold shutdown for ever. After the grace
  // period every connection still open is cut.
  const cut = setTimeout(() => s.app.server.closeAllConnections(), config.api.shutdownGraceMs);
  cut.unref();
  try {
    await s.app.close();
    await extrasDrained;
  } finally {
    clearTimeout(cut);
  }
  s.workers?.stop();
  await s.boss.stop({ graceful: true, wait: true, timeout: 20_000 });
  if (readingLoaded) await (await reading()).closeSharedReader();
  await releaseResources(r, s.sealer);
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
  markPhase('server modules');
  const urls = await timePhase('database', database);
  const resources = await openResources(config, logger, urls);
  const started = await startParts(config, logger, resources);
  markPhase('listening');
  let stopping: Promise<void> | undefined;
  return {
    url: `http://${config.host}:${started.listeners.port}`,
    stop: () => (stopping ??= stopServer(config, resources, started)),
  };
}
