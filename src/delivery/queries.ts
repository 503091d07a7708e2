/** SQL of delivery: claiming notifications, recording results, and push subscriptions. */
import type { Tx } from '../db/database.ts';

/** A claimed notification with what is needed to reach its user. */
export interface ClaimedRow {
  id: string;
  user_id: string;
  type: string;
  data: Record<string, unknown>;
  channels: string[];
  delivery: Record<string, unknown>;
  created_at: Date;
  delivery_attempts: number;
  email: string;
  language: string;
  active: boolean;
  email_verified: boolean;
  /** The dose log's status for a reminder (null otherwise). */
  dose_status: string | null;
}

/**
 * In-app only notifications among `ids` are delivered by their row (the live stream): mark them
 * so. Returns how many.
 */
export async function markInAppOnly(tx: Tx, ids: readonly string[]): Promise<number> {
  const res = await tx.query(
    `UPDATE notifications SET delivery_status = 'delivered', delivered_at = created_at
      WHERE id = ANY ($1::uuid[]) AND delivery_status = 'pending'
        AND NOT channels && '{push,email}'::notification_channel[]`,
    [ids],
  );
  return res.rowCount ?? 0;
}

/**
 * Claims pending notifications with a push or e-mail channel for `leaseSeconds`: a concurrent
 * deliverer (or a retry while this one still runs) skips them. Each claim counts an attempt.
 */
export async function claim(tx: Tx, ids: readonly string[], leaseSeconds: number): Promise<ClaimedRow[]> {
  const res = await tx.query<ClaimedRow>(
    `WITH picked AS (
       SELECT n.id FROM notifications n
        WHERE n.id = ANY ($1::uuid[]) AND n.delivery_status = 'pending'
          AND n.channels && '{push,email}'::notification_channel[]
          AND coalesce((n.delivery->>'lease_until')::timestamptz, '-infinity') < now()
        FOR UPDATE SKIP LOCKED
     ), claimed AS (
       UPDATE notifications n SET delivery_attempts = n.delivery_attempts + 1,
              delivery = n.delivery || jsonb_build_object('lease_until', now() + make_interval(secs => $2))
         FROM picked WHERE n.id = picked.id
       RETURNING n.id, n.user_id, n.type::text AS type, n.data, n.channels::text[] AS channels, n.delivery,
                 n.created_at, n.delivery_attempts
     )
     SELECT c.*, u.email::text AS email, u.language, (u.is_active AND u.deleted_at IS NULL) AS active,
            u.email_verified_at IS NOT NULL AS email_verified, l.status::text AS dose_status
       FROM claimed c
       JOIN users u ON u.id = c.user_id
       LEFT JOIN medication_reminder_logs l ON c.type = 'reminder' AND l.id = (c.data->>'log_id')::uuid`,
    [ids, leaseSeconds],
  );
  return res.rows;
}

export interface DeliveryRecord {
  id: string;
  status: 'pending' | 'sent' | 'failed' | 'skipped';
  /** Per-channel results, merged into notifications.delivery. */
  delivery: Record<string, unknown>;
  error: string | null;
}

/** Writes the results of one round and lifts the lease. */
export async function record(tx: Tx, records: readonly DeliveryRecord[]): Promise<void> {
  if (records.length === 0) return;
  await tx.query(
    `UPDATE notifications n SET
        delivery = (n.delivery - 'lease_until') || r.delivery,
        delivery_status = r.status::delivery_status,
        delivered_at = CASE WHEN r.status = 'sent' THEN coalesce(n.delivered_at, now()) ELSE n.delivered_at END,
        delivery_error = r.error
       FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, status text, delivery jsonb, error text)
      WHERE n.id = r.id`,
    [JSON.stringify(records)],
  );
}

export interface SubscriptionRow {
  id: string;
  user_id: string;
  endpoint: string;
  p256dh: string;
  auth: string;
}

export async function activeSubscriptions(tx: Tx, userIds: readonly string[]): Promise<SubscriptionRow[]> {
  if (userIds.length === 0) return [];
  const res = await tx.query<SubscriptionRow>(
    `SELECT id, user_id, endpoint, p256dh, auth FROM push_subscriptions
      WHERE user_id = ANY ($1::uuid[]) AND disabled_at IS NULL ORDER BY created_at`,
    [userIds],
  );
  return res.rows;
}

export interface SubscriptionResults {
  succeeded: string[];
  gone: string[];
  failed: string[];
}

/** Success resets the failure count; 404/410 disables at once; `maxFailures` refusals in a row too. */
export async function recordSubscriptionResults(tx: Tx, r: SubscriptionResults, maxFailures: number): Promise<void> {
  if (r.succeeded.length > 0) {
    await tx.query(
      'UPDATE push_subscriptions SET last_success_at = now(), failure_count = 0 WHERE id = ANY ($1::uuid[])',
      [r.succeeded],
    );
  }
  if (r.gone.length > 0) {
    await tx.query(
      'UPDATE push_subscriptions SET disabled_at = coalesce(disabled_at, now()), failure_count = failure_count + 1 WHERE id = ANY ($1::uuid[])',
      [r.gone],
    );
  }
  if (r.failed.length > 0) {
    await tx.query(
      `UPDATE push_subscriptions SET failure_count = failure_count + 1,
              disabled_at = coalesce(disabled_at, CASE WHEN failure_count + 1 >= $2 THEN now() END)
        WHERE id = ANY ($1::uuid[])`,
      [r.failed, maxFailures],
    );
  }
}

// ------------------------------------------------------------------ the user's own subscriptions

export interface SubscriptionView {
  id: string;
  endpoint: string;
  user_agent: string | null;
  failure_count: number;
  last_success_at: Date | null;
  disabled_at: Date | null;
  created_at: Date;
}

const VIEW = 'id, endpoint, user_agent, failure_count, last_success_at, disabled_at, created_at';

/**
 * Registers (or re-registers) a browser's subscription for the signed-in user through
 * app_push_subscribe (006): an endpoint registered earlier by another account on the same
 * browser moves to this one, which RLS alone could not do. `created` is false when it was
 * already this user's.
 */
export async function subscribe(
  tx: Tx,
  userId: string,
  s: { endpoint: string; p256dh: string; auth: string; userAgent: string | null },
): Promise<SubscriptionView & { created: boolean }> {
  const mine = await tx.query('SELECT 1 FROM push_subscriptions WHERE endpoint = $1 AND user_id = $2', [
    s.endpoint,
    userId,
  ]);
  // Two statements: a row the function inserts is not visible to the statement that called it.
  const id = await tx.query<{ id: string }>('SELECT app_push_subscribe($1, $2, $3, $4) AS id', [
    s.endpoint,
    s.p256dh,
    s.auth,
    s.userAgent,
  ]);
  const res = await tx.query<SubscriptionView>(`SELECT ${VIEW} FROM push_subscriptions WHERE id = $1`, [
    id.rows[0]?.id,
  ]);
  const row = res.rows[0];
  if (row === undefined) throw new Error('app_push_subscribe returned no visible row');
  return { ...row, created: mine.rowCount === 0 };
}

export async function listSubscriptions(tx: Tx, userId: string): Promise<SubscriptionView[]> {
  const res = await tx.query<SubscriptionView>(
    `SELECT ${VIEW} FROM push_subscriptions WHERE user_id = $1 ORDER BY created_at DESC, id`,
    [userId],
  );
  return res.rows;
}

export async function deleteSubscription(tx: Tx, userId: string, id: string): Promise<boolean> {
  const res = await tx.query('DELETE FROM push_subscriptions WHERE id = $1 AND user_id = $2', [id, userId]);
  return (res.rowCount ?? 0) > 0;
}

/** Her active subscriptions other than this endpoint (a re-subscription of it does not count). */
export async function otherActiveSubscriptions(
  tx: Pick<Tx, 'query'>,
  userId: string,
  endpoint: string,
): Promise<number> {
  const res = await tx.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM push_subscriptions WHERE user_id = $1 AND disabled_at IS NULL AND endpoint <> $2`,
    [userId, endpoint],
  );
  return res.rows[0]?.n ?? 0;
}

/**
 * Notifications with a push/e-mail channel created between 60 and 2 minutes ago and never
 * attempted (their delivery job was lost).
 */
export async function unattemptedNotificationIds(tx: Pick<Tx, 'query'>, limit: number): Promise<string[]> {
  const res = await tx.query<{ id: string }>(
    `SELECT id FROM notifications
      WHERE delivery_status = 'pending' AND created_at > now() - interval '60 minutes' AND created_at < now() - interval '2 minutes'
        AND delivery_attempts = 0 AND channels && '{push,email}'::notification_channel[]
      ORDER BY created_at LIMIT $1`,
    [limit],
  );
  return res.rows.map((r) => r.id);
}
