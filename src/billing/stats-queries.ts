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

/** Admin figures (RLS: admins see every payment). Months in the home time zone (HOME_TIMEZONE). */
export async function billingStats(tx: Tx): Promise<BillingStats> {
  const revenue = await tx.query<BillingStats['revenue'][number]>(
    `SELECT to_char(date_trunc('month', paid_at AT TIME ZONE $1::text), 'YYYY-MM') AS month, currency,
            sum(amount_minor)::integer AS amount, count(*)::integer AS payments
       FROM payment_transactions WHERE status = 'completed' AND paid_at IS NOT NULL
      GROUP BY 1, 2 ORDER BY 1 DESC, 2 LIMIT 240`,
    [HOME_TIMEZONE],
  );
  const refunds = await tx.query<BillingStats['refunds'][number]>(
    `SELECT currency, sum(amount_minor)::integer AS amount, count(*)::integer AS count
       FROM payment_transactions WHERE status = 'refunded' GROUP BY currency ORDER BY currency`,
  );
  const refundsByMonth = await tx.query<BillingStats['refunds_by_month'][number]>(
    `SELECT to_char(date_trunc('month', refunded_at AT TIME ZONE $1::text), 'YYYY-MM') AS month, currency,
            sum(amount_minor)::integer AS amount, count(*)::integer AS count
       FROM payment_transactions WHERE status = 'refunded' AND refunded_at IS NOT NULL
      GROUP BY 1, 2 ORDER BY 1 DESC, 2 LIMIT 240`,
    [HOME_TIMEZONE],
  );
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
  return { revenue: revenue.rows, refunds: refunds.rows, refunds_by_month: refundsByMonth.rows, ...c };
}
