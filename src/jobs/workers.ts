/**
 * The job workers (run by `dastern serve` and `dastern worker`): prescription readings,
 * the reminder dispatcher every minute, and the seed's maintenance tasks (sessions daily,
 * archive monthly). Jobs run as app.user_role 'system'.
 */
import type PgBoss from 'pg-boss';
import type { Database, Tx } from '../db/database.ts';
import type { FileStore } from '../files/store.ts';
import type { Logger } from '../log.ts';
import { runReadingJob, type ReaderPort } from '../prescriptions/reading-job.ts';
import { dispatchReminders } from '../reminders/dispatcher.ts';
import { QUEUES } from './queue.ts';
import { enqueueDeliveries, startDeliveryWorkers, unattemptedIds, type DeliveryPort } from '../delivery/jobs.ts';
import { startBillingWorkers } from '../billing/jobs.ts';

export interface WorkerDeps {
  boss: PgBoss;
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
}

const SYSTEM = { userId: null, role: 'system' } as const;
const TZ = 'Asia/Phnom_Penh';

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

export async function startWorkers(d: WorkerDeps): Promise<void> {
  await d.boss.work<ReadingData>(QUEUES.readPrescription, { includeMetadata: true, batchSize: 1, pollingIntervalSeconds: 1 }, async ([job]) => {
    if (!job) return;
    const outcome = await runReadingJob(
      { db: d.db, files: d.files, reader: d.reader, logger: d.logger },
      { prescriptionId: job.data.prescriptionId, lastAttempt: job.retryCount >= job.retryLimit },
    );
    d.logger.info({ prescriptionId: job.data.prescriptionId, outcome, retry: job.retryCount }, 'prescription reading job');
  });

  await d.boss.schedule(QUEUES.dispatchReminders, '* * * * *', {}, { tz: TZ });
  await d.boss.work(QUEUES.dispatchReminders, { pollingIntervalSeconds: 2 }, async () => {
    const result = await dispatchReminders(d.db, new Date(), { missedThreshold: d.missedThreshold });
    let deliveryJobs = 0;
    if (d.deliverer) {
      const fresh = new Set(result.notificationIds);
      const lost = (await unattemptedIds(d.db)).filter((id) => !fresh.has(id));
      deliveryJobs = await enqueueDeliveries(d.boss, [...result.notificationIds, ...lost]);
    }
    const { notificationIds, ...counts } = result;
    d.logger.info({ ...counts, notifications: notificationIds.length, deliveryJobs }, 'reminders dispatched');
  });
  if (d.deliverer) await startDeliveryWorkers(d.boss, d.deliverer);
  await startBillingWorkers(d);

  await d.boss.schedule(QUEUES.cleanupSessions, '15 3 * * *', {}, { tz: TZ });
  await d.boss.work(QUEUES.cleanupSessions, async () => {
    const res = await d.db.withUser(SYSTEM, (tx) => tx.query<{ n: number }>('SELECT cleanup_expired_sessions() AS n'));
    d.logger.info({ deleted: res.rows[0]?.n ?? 0 }, 'expired sessions cleaned up');
  });

  await d.boss.schedule(QUEUES.archivePrescriptions, '30 3 1 * *', { days: d.archiveAfterDays }, { tz: TZ });
  await d.boss.work<{ days?: number }>(QUEUES.archivePrescriptions, async ([job]) => {
    const days = job?.data.days ?? d.archiveAfterDays;
    const res = await d.db.withUser(SYSTEM, (tx) => tx.query<{ n: number }>('SELECT archive_old_prescriptions($1) AS n', [days]));
    d.logger.info({ archived: res.rows[0]?.n ?? 0, days }, 'old prescriptions archived');
  });
}
