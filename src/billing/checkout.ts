/**
 * The steps of a checkout that decide before any money moves: the gateway, currency and renewal
 * the client asked for checked against what is offered, the plan checked purchasable, and the
 * order and payment row built from the plan (the client names a plan only).
 */
import type { GatewayName } from '../config.ts';
import { ApiError, conflict, notFound } from '../core/errors.ts';
import type { CheckoutOrder, PaymentGateway } from './gateways/gateway.ts';
import { EXPONENT, type Currency } from './money.ts';
import type * as q from './queries.ts';

export interface CheckoutBody {
  plan_code: string;
  gateway: GatewayName;
  currency?: Currency | undefined;
  auto_renew?: boolean | undefined;
}

const MAX_PENDING = 5;
const STRIPE_MIN_EXPIRY_MINUTES = 31; // Checkout Sessions live 30 minutes to 24 hours

/** The gateway asked for, if it is offered and takes the currency (and renews, when asked). */
export function chosenGateway(
  body: CheckoutBody,
  gateway: PaymentGateway | undefined,
  offered: readonly GatewayName[],
): { gateway: PaymentGateway; currency: Currency; autoRenew: boolean } {
  if (gateway === undefined || !offered.includes(body.gateway)) {
    const names = offered.join(', ');
    throw new ApiError(
      400,
      'gateway_unavailable',
      `the ${body.gateway} gateway is not offered here (offered: ${names || 'none'})`,
      {},
      undefined,
      { gateway: body.gateway, offered: names || '—' },
    );
  }
  const currency: Currency = body.currency ?? 'USD';
  if (!gateway.currencies.includes(currency)) {
    throw new ApiError(
      400,
      'currency_not_supported',
      `${body.gateway} takes ${gateway.currencies.join(' or ')}`,
      {},
      undefined,
      { gateway: body.gateway, currencies: gateway.currencies.join(', ') },
    );
  }
  const autoRenew = body.auto_renew === true;
  if (autoRenew && gateway.cancelSubscription === undefined) {
    throw new ApiError(
      400,
      'auto_renew_unavailable',
      `${body.gateway} cannot renew by itself: pay each period (a new KHQR each time)`,
      {},
      undefined,
      { gateway: body.gateway },
    );
  }
  return { gateway, currency, autoRenew };
}

/** The plan's price in the currency, if she may start paying for it now. */
export function purchasable(
  found: { plan: q.PlanRow | null; pending: number; current: q.SubscriptionRow | null },
  currency: Currency,
): { plan: q.PlanRow; amountMinor: number } {
  const { plan, pending, current } = found;
  if (current !== null && current.provider_subscription_ref !== null && !current.cancel_at_period_end) {
    throw conflict(
      'already_renewing',
      'Premium already renews by card each period; cancel it first to pay another way',
    );
  }
  if (plan === null || !plan.is_active) throw notFound('plan');
  const amountMinor = currency === 'USD' ? plan.price_usd_cents : plan.price_khr;
  if (plan.tier !== 'premium' || amountMinor <= 0)
    throw new ApiError(400, 'plan_not_purchasable', 'the free plan needs no payment');
  if (pending >= MAX_PENDING)
    throw new ApiError(429, 'too_many_pending_payments', 'finish or let expire the payments already started');
  return { plan, amountMinor };
}

/** The order for the gateway and the pending payment row, under one new payment id. */
export function newOrder(
  userId: string,
  body: CheckoutBody,
  chosen: { plan: q.PlanRow; amountMinor: number; currency: Currency; autoRenew: boolean },
  paymentId: string,
  pendingMinutes: number,
): { order: CheckoutOrder; row: q.NewPayment } {
  const { plan, amountMinor, currency, autoRenew } = chosen;
  const minutes = body.gateway === 'stripe' ? Math.max(pendingMinutes, STRIPE_MIN_EXPIRY_MINUTES) : pendingMinutes;
  const expiresAt = new Date(Date.now() + minutes * 60_000);
  const order: CheckoutOrder = {
    paymentId,
    amountMinor,
    currency,
    planCode: plan.code,
    planName: plan.name,
    expiresAt,
    interval: plan.billing_period,
    userId,
    autoRenew,
  };
  const row: q.NewPayment = {
    id: paymentId,
    userId,
    planId: plan.id,
    amountMinor,
    exponent: EXPONENT[currency],
    currency,
    provider: body.gateway,
    providerReference: null,
    description: plan.name,
    expiresAt,
    metadata: autoRenew ? { auto_renew: 'true' } : {},
  };
  return { order, row };
}
