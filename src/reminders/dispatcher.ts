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

export async function dispatchReminders(db: Database, now: Date, options: DispatchOptions = {}): Promise<DispatchResult> {
  const batchSize = options.batchSize ?? 2000;
  const maxBatches = options.maxBatches ?? 1000;
  const result: DispatchResult = { dispatched: 0, renotified: 0, missed: 0, alerts: 0, notificationIds: [] };
  let previousLeft = Number.POSITIVE_INFINITY;
  for (let batch = 0; batch < maxBatches; batch++) {
    const rows = await db.withUser(SYSTEM, (tx) => dq.dispatchDue(tx, now, batchSize));
    result.dispatched += rows.length;
    result.notificationIds.push(...rows);
    // Go on while due reminders are left and the last batch made progress (stale doses move on
    // without a notification; what stays due may be claimed by another dispatcher right now).
    const n = await db.withUser(SYSTEM, (tx) => dq.dueReminderCount(tx, now));
    if (n === 0 || (n >= previousLeft && rows.length === 0)) break;
    previousLeft = n;
  }
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
