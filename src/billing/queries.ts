/**
 * All billing SQL. Parameterised; amounts in and out as integers of minor units (the numeric
 * `amount` column is written as $minor / 10^exponent inside PostgreSQL, exact).
 * Writes to payments and subscriptions need app.user_role 'system' or 'admin' (RLS).
 */
import type { QueryResultRow } from 'pg';
import type { Tx } from '../db/database.ts';
import { insertNotification } from '../i18n/notifications.ts';

/** What billing tells a user (notification.<key> in src/i18n/locales). */
export type BillingNotificationKey =
  'payment_completed' | 'renewal_reminder' | 'subscription_ended' | 'payment_refunded' | 'renewal_failed';

export interface PlanRow {
  id: string;
  code: string;
  name: string;
  description: string | null;
  tier: 'free' | 'premium';
  billing_period: 'month' | 'year';
  price_usd_cents: number;
  price_khr: number;
  features: unknown;
  limits: Record<string, unknown>;
  is_active: boolean;
}

const PLAN_COLUMNS = `id, code, name, description, tier::text AS tier, billing_period::text AS billing_period,
  price_usd_cents, price_khr::integer AS price_khr, features, limits, is_active`;

export async function listPlans(tx: Tx): Promise<PlanRow[]> {
  const res = await tx.query<PlanRow>(
    `SELECT ${PLAN_COLUMNS} FROM subscription_plans WHERE is_active ORDER BY sort_order, code`,
  );
  return res.rows;
}

export async function findPlan(tx: Tx, code: string): Promise<PlanRow | null> {
  const res = await tx.query<PlanRow>(`SELECT ${PLAN_COLUMNS} FROM subscription_plans WHERE code = $1`, [code]);
  return res.rows[0] ?? null;
}

export interface SubscriptionRow {
  id: string;
  status: string;
  plan_code: string;
  tier: 'free' | 'premium';
  current_period_start: Date;
  current_period_end: Date;
  cancel_at_period_end: boolean;
  is_premium: boolean;
  provider: string | null;
  provider_subscription_ref: string | null;
}

/** The user's current (not ended) subscription, if any. */
export async function currentSubscription(tx: Tx, userId: string): Promise<SubscriptionRow | null> {
  const res = await tx.query<SubscriptionRow>(
    `SELECT s.id, s.status::text AS status, pl.code AS plan_code, pl.tier::text AS tier, s.current_period_start,
            s.current_period_end, s.cancel_at_period_end, s.provider, s.provider_subscription_ref,
            (pl.tier = 'premium' AND s.status IN ('active', 'trialing') AND s.current_period_start <= now()
             AND s.current_period_end > now()) AS is_premium
       FROM user_subscriptions s JOIN subscription_plans pl ON pl.id = s.plan_id
      WHERE s.user_id = $1 AND s.status IN ('trialing', 'active', 'past_due')
      ORDER BY s.current_period_end DESC LIMIT 1`,
    [userId],
  );
  return res.rows[0] ?? null;
}

export async function countPending(tx: Tx, userId: string): Promise<number> {
  const res = await tx.query<{ n: number }>(
    `SELECT count(*)::integer AS n FROM payment_transactions WHERE user_id = $1 AND status = 'pending' AND expires_at > now()`,
    [userId],
  );
  return res.rows[0]?.n ?? 0;
}

export interface NewPayment {
  id: string;
  userId: string;
  planId: string;
  amountMinor: number;
  exponent: number;
  currency: string;
  provider: string;
  providerReference: string | null;
  description: string;
  expiresAt: Date;
  metadata: Record<string, string>;
}

/** A pending payment and its first history row, in one statement. */
export async function insertPayment(tx: Tx, p: NewPayment): Promise<void> {
  await tx.query(
    `WITH p AS (
       INSERT INTO payment_transactions (id, user_id, plan_id, amount, currency, status, provider, provider_reference,
                                         payment_method, description, expires_at, metadata)
       VALUES ($1, $2, $3, $4::bigint::numeric / power(10::numeric, $5::integer), $6, 'pending', $7, $8, $7, $9, $10, $11)
       RETURNING id)
     INSERT INTO payment_status_history (payment_id, from_status, to_status, source, reason)
     SELECT id, NULL, 'pending', 'checkout', NULL FROM p`,
    [
      p.id,
      p.userId,
      p.planId,
      p.amountMinor,
      p.exponent,
      p.currency,
      p.provider,
      p.providerReference,
      p.description,
      p.expiresAt,
      JSON.stringify(p.metadata),
    ],
  );
}

export async function setCheckout(
  tx: Tx,
  id: string,
  providerReference: string,
  metadata: Record<string, string>,
): Promise<void> {
  await tx.query(
    `UPDATE payment_transactions SET provider_reference = $2, metadata = metadata || $3::jsonb WHERE id = $1`,
    [id, providerReference, JSON.stringify(metadata)],
  );
}

export interface PaymentRow {
  id: string;
  user_id: string | null;
  plan_id: string | null;
  plan_code: string | null;
  amount_minor: number;
  currency: string;
  status: 'pending' | 'completed' | 'failed' | 'refunded' | 'expired';
  provider: string;
  provider_reference: string | null;
  failure_reason: string | null;
  metadata: Record<string, unknown>;
  expires_at: Date | null;
  paid_at: Date | null;
  credited_at: Date | null;
  refunded_at: Date | null;
  refund_amount_minor: number | null;
  subscription_id: string | null;
  created_at: Date;
  receipt_number: string | null;
  refund_method: string | null;
  refund_reference: string | null;
}

const PAYMENT_COLUMNS = `p.id, p.user_id, p.plan_id, (SELECT pl.code FROM subscription_plans pl WHERE pl.id = p.plan_id) AS plan_code,
  p.amount_minor::integer AS amount_minor, p.currency, p.status::text AS status, p.provider, p.provider_reference, p.failure_reason,
  p.metadata, p.expires_at, p.paid_at, p.credited_at, p.refunded_at,
  (CASE WHEN p.refund_amount IS NULL THEN NULL WHEN p.currency = 'KHR' THEN p.refund_amount ELSE p.refund_amount * 100 END)::integer AS refund_amount_minor,
  p.subscription_id, p.created_at, p.receipt_number, p.refund_method, p.refund_reference`;

/** A payment as the caller's RLS lets her see it; `lock` takes it FOR UPDATE (system/admin). */
export async function findPayment(tx: Tx, id: string, lock = false): Promise<PaymentRow | null> {
  const res = await tx.query<PaymentRow>(
    `SELECT ${PAYMENT_COLUMNS} FROM payment_transactions p WHERE p.id = $1${lock ? ' FOR UPDATE OF p' : ''}`,
    [id],
  );
  return res.rows[0] ?? null;
}

export async function findPaymentByReference(
  tx: Tx,
  provider: string,
  reference: string,
  lock = false,
): Promise<PaymentRow | null> {
  const res = await tx.query<PaymentRow>(
    `SELECT ${PAYMENT_COLUMNS} FROM payment_transactions p WHERE p.provider = $1 AND p.provider_reference = $2${lock ? ' FOR UPDATE OF p' : ''}`,
    [provider, reference],
  );
  return res.rows[0] ?? null;
}

export interface HistoryRow {
  from_status: string | null;
  to_status: string;
  source: string;
  reason: string | null;
  created_at: Date;
}

export async function paymentHistory(tx: Tx, paymentId: string): Promise<HistoryRow[]> {
  const res = await tx.query<HistoryRow>(
    `SELECT from_status::text AS from_status, to_status::text AS to_status, source, reason, created_at
       FROM payment_status_history WHERE payment_id = $1 ORDER BY id`,
    [paymentId],
  );
  return res.rows;
}

export interface Transition {
  from: readonly string[];
  to: 'completed' | 'failed' | 'expired' | 'refunded';
  source: string;
  reason?: string | null | undefined;
  eventId?: string | null | undefined;
  subscriptionId?: string | null | undefined;
  /** Merged into the payment's metadata (facts kept with a completion). */
  metadata?: Record<string, string | number> | undefined;
  /** With to = refunded: how the money went back, and the gateway's refund id. */
  refund?: { method: 'gateway' | 'manual' | 'sandbox'; reference: string | null } | undefined;
}

/**
 * Moves a payment from one of `from` to `to` and appends the history row, in one statement.
 * Conditional: returns false (and writes nothing) when the payment is no longer in `from`.
 */
export async function transition(tx: Tx, id: string, t: Transition): Promise<boolean> {
  const res = await tx.query(
    `WITH old AS (SELECT status FROM payment_transactions WHERE id = $1 AND status::text = ANY ($2::text[]) FOR UPDATE),
     u AS (
       UPDATE payment_transactions p SET
         status = $3::text::payment_status,
         paid_at = CASE WHEN $3::text = 'completed' THEN now() ELSE p.paid_at END,
         credited_at = CASE WHEN $3::text = 'completed' THEN now() ELSE p.credited_at END,
         subscription_id = coalesce($7::uuid, p.subscription_id),
         failure_reason = CASE WHEN $3::text IN ('failed', 'expired') THEN coalesce($5::text, $3::text) ELSE p.failure_reason END,
         refunded_at = CASE WHEN $3::text = 'refunded' THEN now() ELSE p.refunded_at END,
         refund_amount = CASE WHEN $3::text = 'refunded' THEN p.amount ELSE p.refund_amount END,
         metadata = p.metadata || $8::jsonb,
         refund_method = CASE WHEN $3::text = 'refunded' THEN $9::text ELSE p.refund_method END,
         refund_reference = CASE WHEN $3::text = 'refunded' THEN $10::text ELSE p.refund_reference END
       FROM old WHERE p.id = $1
       RETURNING p.id, old.status AS from_status)
     INSERT INTO payment_status_history (payment_id, from_status, to_status, source, reason, event_id)
     SELECT id, from_status, $3::text::payment_status, $4, $5::text, $6 FROM u
     RETURNING payment_id`,
    [
      id,
      t.from,
      t.to,
      t.source,
      t.reason ?? null,
      t.eventId ?? null,
      t.subscriptionId ?? null,
      JSON.stringify(t.metadata ?? {}),
      t.refund?.method ?? null,
      t.refund?.reference ?? null,
    ],
  );
  return (res.rowCount ?? 0) > 0;
}

/**
 * Starts or extends the user's premium for one period of the plan: from max(now, the current
 * period's end). One user's extensions are serialised by a transaction lock.
 */
export async function extendSubscription(
  tx: Tx,
  userId: string,
  planId: string,
  provider: string,
): Promise<{ id: string; current_period_end: Date }> {
  await tx.query('SELECT pg_advisory_xact_lock(727374828, hashtext($1::text))', [userId]);
  const cur = await tx.query<{ id: string }>(
    `SELECT s.id FROM user_subscriptions s
      WHERE s.user_id = $1 AND s.status IN ('trialing', 'active', 'past_due')
      ORDER BY s.current_period_end DESC LIMIT 1 FOR UPDATE`,
    [userId],
  );
  const existing = cur.rows[0];
  if (existing) {
    const res = await tx.query<{ id: string; current_period_end: Date }>(
      `UPDATE user_subscriptions s SET
         current_period_start = CASE WHEN old_pl.tier = 'premium' AND s.current_period_end > now() THEN s.current_period_start ELSE now() END,
         current_period_end = (CASE WHEN old_pl.tier = 'premium' THEN greatest(now(), s.current_period_end) ELSE now() END)
                              + ('1 ' || new_pl.billing_period::text)::interval,
         plan_id = new_pl.id, status = 'active', cancel_at_period_end = false, canceled_at = NULL,
         provider = $3, renewal_reminded_for = NULL
       FROM subscription_plans old_pl, subscription_plans new_pl
       WHERE s.id = $1 AND old_pl.id = s.plan_id AND new_pl.id = $2
       RETURNING s.id, s.current_period_end`,
      [existing.id, planId, provider],
    );
    const row = res.rows[0];
    if (!row) throw new Error('subscription vanished during its extension');
    return row;
  }
  const res = await tx.query<{ id: string; current_period_end: Date }>(
    `INSERT INTO user_subscriptions (user_id, plan_id, status, current_period_start, current_period_end, provider)
     SELECT $1, pl.id, 'active', now(), now() + ('1 ' || pl.billing_period::text)::interval, $3
       FROM subscription_plans pl WHERE pl.id = $2
     RETURNING id, current_period_end`,
    [userId, planId, provider],
  );
  const row = res.rows[0];
  if (!row) throw new Error('plan not found');
  return row;
}

/** Refund: the premium it bought ends now. */
export async function endSubscriptionNow(tx: Tx, subscriptionId: string): Promise<void> {
  await tx.query(
    `UPDATE user_subscriptions SET status = 'canceled', canceled_at = now(),
            current_period_end = greatest(now(), current_period_start + interval '1 millisecond')
      WHERE id = $1 AND status IN ('trialing', 'active', 'past_due')`,
    [subscriptionId],
  );
}

export async function cancelAtPeriodEnd(tx: Tx, subscriptionId: string): Promise<void> {
  await tx.query(`UPDATE user_subscriptions SET cancel_at_period_end = true, canceled_at = now() WHERE id = $1`, [
    subscriptionId,
  ]);
}

// ------------------------------------------------------------------ renewing card subscriptions

export interface GatewaySubscriptionRow {
  id: string;
  user_id: string;
  plan_id: string;
  status: string;
  current_period_end: Date;
  cancel_at_period_end: boolean;
  price_usd_cents: number;
}

/** The subscription a gateway renews (locked FOR UPDATE). */
export async function lockSubscriptionByReference(
  tx: Tx,
  provider: string,
  reference: string,
): Promise<GatewaySubscriptionRow | null> {
  const res = await tx.query<GatewaySubscriptionRow>(
    `SELECT s.id, s.user_id, s.plan_id, s.status::text AS status, s.current_period_end, s.cancel_at_period_end, pl.price_usd_cents
       FROM user_subscriptions s JOIN subscription_plans pl ON pl.id = s.plan_id
      WHERE s.provider = $1 AND s.provider_subscription_ref = $2 FOR UPDATE OF s`,
    [provider, reference],
  );
  return res.rows[0] ?? null;
}

/** Links the user's subscription row to the gateway's renewing subscription. */
export async function linkGatewaySubscription(
  tx: Tx,
  subscriptionId: string,
  provider: string,
  reference: string,
  customer: string | null,
): Promise<void> {
  await tx.query(
    `UPDATE user_subscriptions SET provider = $2, provider_subscription_ref = $3, provider_customer_ref = coalesce($4, provider_customer_ref)
      WHERE id = $1`,
    [subscriptionId, provider, reference, customer],
  );
}

/**
 * One more period paid by the gateway: to the invoice's period end when it gives one (later than
 * the current end), else one plan period after max(now, the current end). Active again.
 */
export async function extendRenewal(
  tx: Tx,
  subscriptionId: string,
  periodEnd: Date | null,
): Promise<{ id: string; current_period_end: Date }> {
  const res = await tx.query<{ id: string; current_period_end: Date }>(
    `UPDATE user_subscriptions s SET
       current_period_start = CASE WHEN s.current_period_end > now() THEN s.current_period_start ELSE s.current_period_end END,
       current_period_end = CASE WHEN $2::timestamptz > s.current_period_end THEN $2::timestamptz
                                 ELSE greatest(now(), s.current_period_end) + ('1 ' || pl.billing_period::text)::interval END,
       status = 'active', canceled_at = CASE WHEN s.cancel_at_period_end THEN s.canceled_at END, renewal_reminded_for = NULL
       FROM subscription_plans pl
      WHERE s.id = $1 AND pl.id = s.plan_id
      RETURNING s.id, s.current_period_end`,
    [subscriptionId, periodEnd],
  );
  const row = res.rows[0];
  if (!row) throw new Error('subscription vanished during its renewal');
  return row;
}

export async function setSubscriptionStatus(tx: Tx, subscriptionId: string, status: 'past_due'): Promise<void> {
  await tx.query(
    `UPDATE user_subscriptions SET status = $2::subscription_status WHERE id = $1 AND status IN ('active', 'past_due')`,
    [subscriptionId, status],
  );
}

export async function setCancelAtPeriodEnd(tx: Tx, subscriptionId: string, cancel: boolean): Promise<void> {
  await tx.query(
    `UPDATE user_subscriptions SET cancel_at_period_end = $2, canceled_at = CASE WHEN $2 THEN coalesce(canceled_at, now()) END
      WHERE id = $1 AND status IN ('trialing', 'active', 'past_due')`,
    [subscriptionId, cancel],
  );
}

export async function insertAlert(
  tx: Tx,
  kind: string,
  paymentId: string | null,
  gateway: string,
  details: Record<string, unknown>,
): Promise<void> {
  await tx.query(`INSERT INTO billing_alerts (kind, payment_id, gateway, details) VALUES ($1, $2, $3, $4)`, [
    kind,
    paymentId,
    gateway,
    JSON.stringify(details),
  ]);
}

export interface AlertRow {
  id: string;
  kind: string;
  payment_id: string | null;
  gateway: string | null;
  details: Record<string, unknown>;
  created_at: Date;
}

export async function listAlerts(tx: Tx, limit: number): Promise<AlertRow[]> {
  const res = await tx.query<AlertRow>(
    `SELECT id, kind, payment_id, gateway, details, created_at FROM billing_alerts ORDER BY created_at DESC LIMIT $1`,
    [limit],
  );
  return res.rows;
}

/** Records a gateway event id once; false when it was already recorded (a replay). */
export async function recordWebhookEvent(
  tx: Tx,
  gateway: string,
  eventId: string,
  type: string,
  paymentId: string | null,
): Promise<boolean> {
  const res = await tx.query(
    `INSERT INTO payment_webhook_events (gateway, event_id, event_type, payment_id, outcome) VALUES ($1, $2, $3, $4, 'received')
     ON CONFLICT (gateway, event_id) DO NOTHING`,
    [gateway, eventId, type.slice(0, 100), paymentId],
  );
  return (res.rowCount ?? 0) > 0;
}

export async function setWebhookOutcome(tx: Tx, gateway: string, eventId: string, outcome: string): Promise<void> {
  await tx.query(`UPDATE payment_webhook_events SET outcome = $3 WHERE gateway = $1 AND event_id = $2`, [
    gateway,
    eventId,
    outcome,
  ]);
}

/**
 * A notification to the user in her channels (e-mail and push go out through src/delivery, with
 * the catalogue's generic text), its text from the catalogue's notification.<key> in her language.
 */
export async function notify(
  tx: Tx,
  userId: string,
  key: BillingNotificationKey,
  data: Record<string, string>,
  dedupeKey: string,
  channels: 'in_app' | 'preferences' = 'preferences',
): Promise<void> {
  await insertNotification(tx, { userId, type: 'system', key, data, channels, dedupeKey, skipDuplicate: true });
}

export async function prescriptionIsWritable(tx: Tx, prescriptionId: string): Promise<boolean> {
  const res = await tx.query<{ ok: boolean }>('SELECT prescription_is_writable($1) AS ok', [prescriptionId]);
  return res.rows[0]?.ok ?? true;
}

// ------------------------------------------------------------------ jobs ('system')

export async function stalePending(
  tx: Tx,
  now: Date,
  limit: number,
): Promise<{ id: string; provider: string; provider_reference: string | null }[]> {
  const res = await tx.query<{ id: string; provider: string; provider_reference: string | null }>(
    `SELECT id, provider, provider_reference FROM payment_transactions
      WHERE status = 'pending' AND expires_at <= $1 ORDER BY expires_at LIMIT $2`,
    [now, limit],
  );
  return res.rows;
}

/** Subscriptions whose paid period is over: canceled (cancel at period end) or expired. Nothing else changes. */
export async function endLapsedSubscriptions(
  tx: Tx,
  now: Date,
): Promise<{ id: string; user_id: string; status: string; current_period_end: Date }[]> {
  const res = await tx.query<{ id: string; user_id: string; status: string; current_period_end: Date }>(
    `UPDATE user_subscriptions
        SET status = CASE WHEN cancel_at_period_end THEN 'canceled'::subscription_status ELSE 'expired'::subscription_status END,
            canceled_at = CASE WHEN cancel_at_period_end THEN coalesce(canceled_at, now()) ELSE canceled_at END
      WHERE status IN ('trialing', 'active', 'past_due') AND current_period_end <= $1
        -- a card subscription renewing by itself: Stripe bills about an hour after the period
        -- end and retries a failed card for days; it ends when Stripe says so, or 3 days later
        AND NOT (provider_subscription_ref IS NOT NULL AND NOT cancel_at_period_end AND current_period_end > $1 - interval '3 days')
      RETURNING id, user_id, status::text AS status, current_period_end`,
    [now],
  );
  return res.rows;
}

/** Active premium subscriptions ending within `days` not yet reminded for this period end. */
export async function claimRenewalReminders(
  tx: Tx,
  now: Date,
  days: number,
): Promise<{ id: string; user_id: string; current_period_end: Date }[]> {
  const res = await tx.query<{ id: string; user_id: string; current_period_end: Date }>(
    `UPDATE user_subscriptions s SET renewal_reminded_for = s.current_period_end
       FROM subscription_plans pl
      WHERE pl.id = s.plan_id AND pl.tier = 'premium' AND s.status = 'active' AND NOT s.cancel_at_period_end
        AND s.provider_subscription_ref IS NULL  -- a renewing card subscription needs nothing from her
        AND s.current_period_end > $1 AND s.current_period_end <= $1 + make_interval(days => $2)
        AND s.renewal_reminded_for IS DISTINCT FROM s.current_period_end
      RETURNING s.id, s.user_id, s.current_period_end`,
    [now, days],
  );
  return res.rows;
}

// ------------------------------------------------------------------ receipts (admin figures: stats.ts)

export async function payerOf(tx: Tx, userId: string): Promise<{ name: string; email: string } | null> {
  const res = await tx.query<{ name: string; email: string }>(
    `SELECT first_name || ' ' || last_name AS name, email FROM users WHERE id = $1`,
    [userId],
  );
  return res.rows[0] ?? null;
}

/** The facts of a payment's confirmation e-mail: payer, language, amount, receipt, plan, period end. */
export async function paymentMailFacts<T extends QueryResultRow>(tx: Tx, paymentId: string): Promise<T | null> {
  const res = await tx.query<T>(
    `SELECT u.email, u.language, p.amount_minor::integer AS amount_minor, p.currency, p.receipt_number, pl.name AS plan_name,
            s.current_period_end AS period_end, p.status::text AS status
       FROM payment_transactions p JOIN users u ON u.id = p.user_id
       LEFT JOIN subscription_plans pl ON pl.id = p.plan_id
       LEFT JOIN user_subscriptions s ON s.id = p.subscription_id
      WHERE p.id = $1`,
    [paymentId],
  );
  return res.rows[0] ?? null;
}

/** The gateway and its reference of a subscription (a card subscription renews at the gateway). */
export async function subscriptionGatewayRef(
  tx: Tx,
  subscriptionId: string,
): Promise<{ provider: string | null; ref: string | null } | null> {
  const res = await tx.query<{ provider: string | null; ref: string | null }>(
    'SELECT provider, provider_subscription_ref AS ref FROM user_subscriptions WHERE id = $1',
    [subscriptionId],
  );
  return res.rows[0] ?? null;
}
