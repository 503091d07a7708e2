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

export async function dispatchReminders(db: Database, now: Date, options: DispatchOptions = {}): Promise<DispatchResult> {
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
      const rows = await db.withUser(SYSTEM, async (tx) => {
        const res = await tx.query<{ notification_id: string }>('SELECT notification_id FROM dispatch_due_reminders($1, $2)', [now, batchSize]);
        return res.rows;
      });
      result.dispatched += rows.length;
      for (const r of rows) result.notificationIds.push(r.notification_id);
      // A batch that notified made progress: claim the next one. Only after an empty batch count
      // what is still due (a count after every batch walks all the due reminders each time:
      // quadratic in a burst): go on while due reminders are left and the count went down (stale
      // doses move on without a notification; what stays due may be claimed by another
      // dispatcher right now).
      if (rows.length > 0) continue;
      const left = await db.withUser(SYSTEM, (tx) =>
        tx.query<{ n: number }>('SELECT count(*)::int AS n FROM medication_reminders WHERE is_active AND next_reminder_at <= $1', [now]));
      const n = left.rows[0]?.n ?? 0;
      if (n === 0 || n >= previousLeft) break;
      previousLeft = n;
    }
  };
  await Promise.all(Array.from({ length: parallel }, claimLoop));
  await db.withUser(SYSTEM, async (tx) => {
    const snoozed = await tx.query<{ notification_id: string }>('SELECT notification_id FROM renotify_snoozed_doses($1)', [now]);
    result.renotified = snoozed.rowCount ?? 0;
    for (const r of snoozed.rows) result.notificationIds.push(r.notification_id);
    const missed = options.missedGraceMinutes === undefined
      ? await tx.query<{ n: number }>('SELECT mark_missed_doses($1) AS n', [now])
      : await tx.query<{ n: number }>('SELECT mark_missed_doses($1, $2) AS n', [now, options.missedGraceMinutes]);
    result.missed = missed.rows[0]?.n ?? 0;
    const alerts = await tx.query<{ notification_id: string }>('SELECT notification_id FROM alert_missed_streaks($1, $2)', [now, options.missedThreshold ?? 3]);
    result.alerts = alerts.rowCount ?? 0;
    for (const r of alerts.rows) result.notificationIds.push(r.notification_id);
  });
  return result;
}
