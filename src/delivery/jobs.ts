/**
 * Delivery as queue jobs (`notifications-deliver`, payload: notification ids only):
 * - the dispatcher tick enqueues the ids it created, in chunks, plus a sweep of notifications
 *   never attempted (a process that died between creating them and enqueueing them);
 * - delivery workers run the Deliverer; a job whose notifications hit a passing failure throws,
 *   so the queue retries it with back-off (only the channels still to do are tried again), and
 *   on its last try the failure becomes final.
 */
import type PgBoss from 'pg-boss';
import type { Database } from '../db/database.ts';
import { QUEUES } from '../jobs/queue.ts';
import type { DeliveryReport } from './deliverer.ts';
import { unattemptedNotificationIds } from './queries.ts';

const SYSTEM = { userId: null, role: 'system' } as const;
export const DELIVERY_CHUNK = 100;

export interface DeliveryPort {
  deliver(ids: readonly string[], options: { final?: boolean }): Promise<DeliveryReport>;
}

interface DeliveryData {
  ids: string[];
}

/**
 * Notifications with a push/e-mail channel created between 60 and 2 minutes ago and never
 * attempted: their job was lost. A duplicate job is harmless (the claim is exclusive).
 */
export async function unattemptedIds(db: Database, limit = 5000): Promise<string[]> {
  return db.withUser(SYSTEM, (tx) => unattemptedNotificationIds(tx, limit));
}

export async function enqueueDeliveries(boss: PgBoss, ids: readonly string[]): Promise<number> {
  const jobs: PgBoss.JobInsert<DeliveryData>[] = [];
  for (let i = 0; i < ids.length; i += DELIVERY_CHUNK) {
    jobs.push({ name: QUEUES.deliverNotifications, data: { ids: ids.slice(i, i + DELIVERY_CHUNK) } });
  }
  if (jobs.length > 0) await boss.insert(jobs);
  return jobs.length;
}

export class DeliveryRetry extends Error {
  override name = 'DeliveryRetry';
}

/** Registers `lanes` delivery workers on this process. */
export async function startDeliveryWorkers(
  boss: PgBoss,
  deliverer: DeliveryPort,
  lanes = 2,
  pollingIntervalSeconds = 1,
): Promise<void> {
  for (let i = 0; i < lanes; i++) {
    await boss.work<DeliveryData>(
      QUEUES.deliverNotifications,
      { includeMetadata: true, batchSize: 1, pollingIntervalSeconds },
      async ([job]) => {
        if (!job) return;
        const report = await deliverer.deliver(job.data.ids, { final: job.retryCount >= job.retryLimit });
        if (report.retry.length > 0) throw new DeliveryRetry(`${report.retry.length} notifications left for a retry`);
        return { sent: report.sent, failed: report.failed, skipped: report.skipped };
      },
    );
  }
}
