/** SQL of the dispatcher: the database functions that move doses on (migrations 003, 015) and what is left due. */
import type { Tx } from '../db/database.ts';

type Q = Pick<Tx, 'query'>;
const ids = (rows: { notification_id: string }[]): string[] => rows.map((r) => r.notification_id);

/** Claims up to `batch` due reminders and writes their doses and notifications; the notifications' ids. */
export async function dispatchDue(tx: Q, now: Date, batch: number): Promise<string[]> {
  return ids(
    (
      await tx.query<{ notification_id: string }>('SELECT notification_id FROM dispatch_due_reminders($1, $2)', [
        now,
        batch,
      ])
    ).rows,
  );
}

export async function dueReminderCount(tx: Q, now: Date): Promise<number> {
  const res = await tx.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM medication_reminders WHERE is_active AND next_reminder_at <= $1',
    [now],
  );
  return res.rows[0]?.n ?? 0;
}

export async function renotifySnoozed(tx: Q, now: Date): Promise<string[]> {
  return ids(
    (await tx.query<{ notification_id: string }>('SELECT notification_id FROM renotify_snoozed_doses($1)', [now])).rows,
  );
}

/** Doses past their grace window become missed (the function's default grace unless given). */
export async function markMissed(tx: Q, now: Date, graceMinutes: number | undefined): Promise<number> {
  const res =
    graceMinutes === undefined
      ? await tx.query<{ n: number }>('SELECT mark_missed_doses($1) AS n', [now])
      : await tx.query<{ n: number }>('SELECT mark_missed_doses($1, $2) AS n', [now, graceMinutes]);
  return res.rows[0]?.n ?? 0;
}

export async function alertMissedStreaks(tx: Q, now: Date, threshold: number): Promise<string[]> {
  return ids(
    (
      await tx.query<{ notification_id: string }>('SELECT notification_id FROM alert_missed_streaks($1, $2)', [
        now,
        threshold,
      ])
    ).rows,
  );
}
