/**
 * The job workers (run by `dastern serve` and `dastern worker`): prescription readings,
 * the reminder dispatcher every minute, and the seed's maintenance tasks (sessions daily,
 * archive monthly). Jobs run as app.user_role 'system', on the dastern_worker login (the only
 * one for which 'system' counts, migration 014). Each job logs one line naming it (`job`), so
 * an operator (and the process tests) can see every scheduled job run.
 */
import type PgBoss from 'pg-boss';
import type { Database, Tx } from '../db/database.ts';
import type { FileStore } from '../files/store.ts';
import type { Logger } from '../log.ts';
import { HOME_TIMEZONE } from '../core/constants.ts';
import { runReadingJob, type ReaderPort } from '../prescriptions/reading-job.ts';
import { dispatchReminders } from '../reminders/dispatcher.ts';
import { QUEUES, assertQueuesReady } from './queue.ts';
import { enqueueDeliveries, startDeliveryWorkers, unattemptedIds, type DeliveryPort } from '../delivery/jobs.ts';
import { startBillingWorkers } from '../billing/jobs.ts';
import type { Mailer } from '../mail/mailer.ts';
import { archiveAllLogPartitions, archivePrescriptions, cleanupSignIns, ensurePartitions } from './maintenance.ts';
import type { Config } from '../config.ts';

export interface WorkerDeps {
  boss: PgBoss;
  /** Logged in as dastern_worker. */
  db: Database;
  files: FileStore;
  reader: ReaderPort;
  logger: Logger;
  /** Consecutive missed doses before her doctors are alerted. */
  missedThreshold: number;
  /** Days after which prescriptions are archived by the monthly job. */
  archiveAfterDays: number;
  /**
   * Sends the push and e-mail channels of notifications (src/delivery). When set, the
   * dispatcher enqueues `notifications-deliver` jobs and this process runs delivery workers;
   * without it notifications stay in-app only.
   */
  deliverer?: DeliveryPort;
  /** Sends billing's payment e-mails (without it billing makes one from the configuration). */
  mailer?: Mailer | undefined;
  /** When set, besides the per-minute cron, a dispatch every N seconds (DASTERN_DISPATCH_INTERVAL_SECONDS). */
  dispatchIntervalSeconds?: number | undefined;
  /** When set, one grace window (minutes) before a dose is missed, for every reminder. */
  missedGraceMinutes?: number | undefined;
  /** Cron expressions of the maintenance jobs (defaults: daily 03:15, monthly the 1st 03:30). */
  cleanupSessionsCron?: string;
  archivePrescriptionsCron?: string;
  /** Log partitions made ahead by the daily job (default 3 months) and months kept by the monthly one (0 → never archive; default 24). */
  partitionMonthsAhead?: number;
  logRetentionMonths?: number;
  /** The process's configuration (gateways, Bakong polling); without it billing reads the environment. */
  config?: Config;
}

export interface RunningWorkers {
  /** Stops the dispatch timer (before the queue stops). */
  stop(): void;
}

const TZ = HOME_TIMEZONE;

interface ReadingData {
  prescriptionId: string;
}

/** Sends a reading job inside the caller's transaction (it exists only if that commits). */
export function readingEnqueuer(boss: PgBoss): (tx: Tx, prescriptionId: string) => Promise<void> {
  return async (tx, prescriptionId) => {
    const data: ReadingData = { prescriptionId };
    await boss.send(QUEUES.readPrescription, data, {
      db: { executeSql: async (text: string, values: unknown[]) => tx.query(text, values) },
    });
  };
}

export async function startWorkers(d: WorkerDeps): Promise<RunningWorkers> {
  await startReadingWorker(d);
  await startDispatchWorker(d);
  if (d.deliverer) await startDeliveryWorkers(d.boss, d.deliverer);
  await startBillingWorkers(d, d.config);
  await startMaintenanceWorkers(d);

  // Every queue and schedule must exist, or the process does not start (pg-boss hides a failure).
  await assertQueuesReady(d.boss, [QUEUES.dispatchReminders, QUEUES.cleanupSessions, QUEUES.archivePrescriptions]);

  const timer = startDispatchInterval(d);
  return {
    stop() {
      if (timer !== undefined) clearInterval(timer);
    },
  };
}

/** Prescription readings, one at a time per worker; the last attempt settles the prescription. */
async function startReadingWorker(d: WorkerDeps): Promise<void> {
  await d.boss.work<ReadingData>(
    QUEUES.readPrescription,
    { includeMetadata: true, batchSize: 1, pollingIntervalSeconds: 1 },
    async ([job]) => {
      if (!job) return;
      const outcome = await runReadingJob(
        { db: d.db, files: d.files, reader: d.reader, logger: d.logger },
        { prescriptionId: job.data.prescriptionId, lastAttempt: job.retryCount >= job.retryLimit },
      );
      d.logger.info(
        { job: QUEUES.readPrescription, prescriptionId: job.data.prescriptionId, outcome, retry: job.retryCount },
        'prescription reading job',
      );
    },
  );
}

/** The reminder dispatch every minute; with a deliverer, its notifications (and any lost ones) queued for sending. */
async function startDispatchWorker(d: WorkerDeps): Promise<void> {
  await d.boss.schedule(QUEUES.dispatchReminders, '* * * * *', { source: 'cron' }, { tz: TZ });
  await d.boss.work<{ source?: string }>(QUEUES.dispatchReminders, { pollingIntervalSeconds: 2 }, async ([job]) => {
    const result = await dispatchReminders(d.db, new Date(), {
      missedThreshold: d.missedThreshold,
      missedGraceMinutes: d.missedGraceMinutes,
    });
    let deliveryJobs = 0;
    if (d.deliverer) {
      const fresh = new Set(result.notificationIds);
      const lost = (await unattemptedIds(d.db)).filter((id) => !fresh.has(id));
      deliveryJobs = await enqueueDeliveries(d.boss, [...result.notificationIds, ...lost]);
    }
    const { notificationIds, ...counts } = result;
    d.logger.info(
      {
        job: QUEUES.dispatchReminders,
        source: job?.data.source ?? 'other',
        ...counts,
        notifications: notificationIds.length,
        deliveryJobs,
      },
      'reminders dispatched',
    );
  });
}

/** The daily clean-up (sessions, throttle rows, log partitions ahead) and the monthly archive. */
async function startMaintenanceWorkers(d: WorkerDeps): Promise<void> {
  await d.boss.schedule(QUEUES.cleanupSessions, d.cleanupSessionsCron ?? '15 3 * * *', {}, { tz: TZ });
  await d.boss.work(QUEUES.cleanupSessions, async () => {
    const { sessions: deleted, throttles } = await cleanupSignIns(d.db);
    const partitions = await ensurePartitions(d.db, d.partitionMonthsAhead ?? 3);
    d.logger.info(
      { job: QUEUES.cleanupSessions, deleted, throttles, partitions },
      'expired sessions cleaned up, log partitions made ahead',
    );
  });

  await d.boss.schedule(
    QUEUES.archivePrescriptions,
    d.archivePrescriptionsCron ?? '30 3 1 * *',
    { days: d.archiveAfterDays },
    { tz: TZ },
  );
  await d.boss.work<{ days?: number }>(QUEUES.archivePrescriptions, async ([job]) => {
    const days = job?.data.days ?? d.archiveAfterDays;
    const archived = await archivePrescriptions(d.db, days);
    const keep = d.logRetentionMonths ?? 24;
    const moved = keep > 0 ? await archiveAllLogPartitions(d.db, keep) : [];
    const partitions = moved.flatMap((m) => m.partitions.map((p) => p.partition));
    d.logger.info(
      { job: QUEUES.archivePrescriptions, archived, days, archivedPartitions: partitions },
      'old prescriptions and log partitions archived',
    );
  });
}

/** Besides the cron, one dispatch job per interval at most (singleton key), when an interval is set. */
function startDispatchInterval(d: WorkerDeps): NodeJS.Timeout | undefined {
  const every = d.dispatchIntervalSeconds;
  if (every === undefined) return undefined;
  const tick = (): void => {
    d.boss
      .send(QUEUES.dispatchReminders, { source: 'interval' }, { singletonKey: 'interval', singletonSeconds: every })
      .catch((err: unknown) =>
        d.logger.error(
          { err: err instanceof Error ? err.message : String(err) },
          'could not queue a reminder dispatch',
        ),
      );
  };
  const timer = setInterval(tick, every * 1000);
  timer.unref();
  return timer;
}
