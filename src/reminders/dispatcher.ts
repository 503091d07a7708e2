/**
 * The reminder dispatcher: one tick (every minute, a pg-boss cron job; or by hand with a
 * chosen clock in tests and benchmarks). Runs as app.user_role 'system'.
 *
 *   due doses      → dose log (pending) + notification, next_reminder_at moved on
 *   snoozed doses  → notified again when the snooze runs out
 *   past grace     → missed
 *   N missed in a row → one alert to each of her doctors
 *
 * Due reminders are claimed in batches with FOR UPDATE SKIP LOCKED (each batch its own short
 * transaction), so concurrent dispatchers split the work; the unique keys on dose logs and
 * notifications make every dose notified exactly once.
 */
import type { Database } from '../db/database.ts';
import * as dq from './dispatcher-queries.ts';

export interface DispatchOptions {
  /** Reminders claimed per transaction. */
  batchSize?: number;
  /** Consecutive missed doses before her doctors are alerted (default 3). */
  missedThreshold?: number;
  /** One grace window (minutes) before a dose is missed, for every reminder; default: each reminder's own. */
  missedGraceMinutes?: number | undefined;
  /** Stop after this many batches (a burst larger than that is left for the next tick). */
  maxBatches?: number;
  /** Claim loops running at once (default 2: one per core of a small server). */
  parallel?: number;
}

export interface DispatchResult {
  dispatched: number;
  renotified: number;
  missed: number;
  alerts: number;
  /** Notifications created in this tick, for delivery on the push and e-mail channels. */
  notificationIds: string[];
}

const SYSTEM = { userId: null, role: 'system' } as const;

export async function dispatchReminders(
  db: Database,
  now: Date,
  options: DispatchOptions = {},
): Promise<DispatchResult> {
  const batchSize = options.batchSize ?? 2000;
  const maxBatches = options.maxBatches ?? 1000;
  const result: DispatchResult = { dispatched: 0, renotified: 0, missed: 0, alerts: 0, notificationIds: [] };
  const parallel = Math.max(1, options.parallel ?? 2);
  let batches = 0;
  // `parallel` claim loops at once (FOR UPDATE SKIP LOCKED splits the due reminders between them):
  // a batch's PostgreSQL work is one backend's, so two loops keep two cores busy.
  const claimLoop = async (): Promise<void> => {
    let previousLeft = Number.POSITIVE_INFINITY;
    while (batches < maxBatches) {
      batches += 1;
      const rows = await db.withUser(SYSTEM, (tx) => dq.dispatchDue(tx, now, batchSize));
      result.dispatched += rows.length;
      result.notificationIds.push(...rows);
      // A batch that notified made progress: claim the next one. Only after an empty batch count
      // what is still due (a count after every batch walks all the due reminders each time:
      // quadratic in a burst): go on while due reminders are left and the count went down (stale
      // doses move on without a notification; what stays due may be claimed by another
      // dispatcher right now).
      if (rows.length > 0) continue;
      const n = await db.withUser(SYSTEM, (tx) => dq.dueReminderCount(tx, now));
      if (n === 0 || n >= previousLeft) break;
      previousLeft = n;
    }
  };
  await Promise.all(Array.from({ length: parallel }, claimLoop));
  await db.withUser(SYSTEM, async (tx) => {
    const snoozed = await dq.renotifySnoozed(tx, now);
    result.renotified = snoozed.length;
    result.notificationIds.push(...snoozed);
    result.missed = await dq.markMissed(tx, now, options.missedGraceMinutes);
    const alerts = await dq.alertMissedStreaks(tx, now, options.missedThreshold ?? 3);
    result.alerts = alerts.length;
    result.notificationIds.push(...alerts);
  });
  return result;
}
