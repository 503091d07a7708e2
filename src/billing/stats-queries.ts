/** Admin figures of billing (SQL; RLS: admins see every payment and subscription). */
import type { Tx } from '../db/database.ts';
import { HOME_TIMEZONE } from '../core/constants.ts';

export interface BillingStats {
  revenue: { month: string; currency: string; amount: number; payments: number }[];
  refunds: { currency: string; amount: number; count: number }[];
  refunds_by_month: { month: string; currency: string; amount: number; count: number }[];
  active_subscriptions: number;
  auto_renewing_subscriptions: number;
  past_due_subscriptions: number;
  churned_last_30_days: number;
  failed_payments_last_30_days: number;
  expired_payments_last_30_days: number;
}

/** A monthly sum: payments of one status, by the month (home time zone) of one of their times, and currency. */
const MONTHLY = {
  revenue: { status: 'completed', at: 'paid_at', counted: 'payments' },
  refunds: { status: 'refunded', at: 'refunded_at', counted: 'count' },
} as const;

/** The last 240 (month, currency) sums of one kind (MONTHLY: names from this table only, never from input). */
async function monthly<R extends { month: string; currency: string; amount: number }>(
  tx: Tx,
  kind: (typeof MONTHLY)[keyof typeof MONTHLY],
): Promise<R[]> {
  const res = await tx.query<R>(
    `SELECT to_char(date_trunc('month', ${kind.at} AT TIME ZONE $1::text), 'YYYY-MM') AS month, currency,
            sum(amount_minor)::integer AS amount, count(*)::integer AS ${kind.counted}
       FROM payment_transactions WHERE status = $2 AND ${kind.at} IS NOT NULL
      GROUP BY 1, 2 ORDER BY 1 DESC, 2 LIMIT 240`,
    [HOME_TIMEZONE, kind.status],
  );
  return res.rows;
}

/** Admin figures (RLS: admins see every payment). Months in the home time zone (HOME_TIMEZONE). */
export async function billingStats(tx: Tx): Promise<BillingStats> {
  const revenue = await monthly<BillingStats['revenue'][number]>(tx, MONTHLY.revenue);
  const refunds = await tx.query<BillingStats['refunds'][number]>(
    `SELECT currency, sum(amount_minor)::integer AS amount, count(*)::integer AS count
       FROM payment_transactions WHERE status = 'refunded' GROUP BY currency ORDER BY currency`,
  );
  const refundsByMonth = await monthly<BillingStats['refunds_by_month'][number]>(tx, MONTHLY.refunds);
  const counts = await tx.query<Omit<BillingStats, 'revenue' | 'refunds' | 'refunds_by_month'>>(
    `SELECT (SELECT count(*) FROM user_subscriptions s JOIN subscription_plans pl ON pl.id = s.plan_id
              WHERE pl.tier = 'premium' AND s.status = 'active' AND s.current_period_end > now())::integer AS active_subscriptions,
            (SELECT count(*) FROM user_subscriptions s
              WHERE s.status IN ('active', 'past_due') AND s.provider_subscription_ref IS NOT NULL AND NOT s.cancel_at_period_end)::integer AS auto_renewing_subscriptions,
            (SELECT count(*) FROM user_subscriptions WHERE status = 'past_due')::integer AS past_due_subscriptions,
            (SELECT count(*) FROM user_subscriptions
              WHERE status IN ('expired', 'canceled') AND current_period_end > now() - interval '30 days')::integer AS churned_last_30_days,
            (SELECT count(*) FROM payment_transactions WHERE status = 'failed' AND created_at > now() - interval '30 days')::integer AS failed_payments_last_30_days,
            (SELECT count(*) FROM payment_transactions WHERE status = 'expired' AND created_at > now() - interval '30 days')::integer AS expired_payments_last_30_days`,
  );
  const c = counts.rows[0] ?? {
    active_subscriptions: 0,
    auto_renewing_subscriptions: 0,
    past_due_subscriptions: 0,
    churned_last_30_days: 0,
    failed_payments_last_30_days: 0,
    expired_payments_last_30_days: 0,
  };
  return { revenue, refunds: refunds.rows, refunds_by_month: refundsByMonth, ...c };
}
