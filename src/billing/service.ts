/**
 * Subscriptions and payments (CONTRACTS §5). No HTTP here: each method takes a plain context
 * (who, role, request id, language, and `run`, the caller's RLS transaction with her session
 * checked). Amounts and currency come from the plan rows; the client names a plan only.
 * Writes to payments and subscriptions run as 'system' acting for the user (the audit trail
 * names her), after her own transaction has checked the session.
 */
import { randomUUID } from 'node:crypto';
import type { Database, Tx } from '../db/database.ts';
import type { BillingConfig, Environment, GatewayName } from '../config.ts';
import type { Logger } from '../log.ts';
import { ApiError, conflict, notFound } from '../core/errors.ts';
import type { CheckoutOrder, PaymentGateway } from './gateways/gateway.ts';
import { chosenGateway, newOrder, purchasable, type CheckoutBody } from './checkout.ts';
import { WebhookSignatureError } from './gateways/gateway.ts';
import { SandboxGateway } from './gateways/sandbox.ts';
import { processEvent, type ConfirmDeps, type Outcome } from './confirm.ts';
import * as q from './queries.ts';
import { receiptHtml, sellerOf } from './receipt.ts';
import { refundPayment } from './refunds.ts';
import { billingStats, type BillingStats } from './stats-queries.ts';

export interface BillingContext {
  userId: string;
  role: 'patient' | 'doctor' | 'admin';
  requestId: string;
  language: string;
  /** The caller's own RLS transaction (session checked). */
  run: <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>;
}

export interface BillingDeps {
  db: Database;
  logger: Logger;
  env: Environment;
  config: BillingConfig;
  gateways: ReadonlyMap<GatewayName, PaymentGateway>;
  /** Queues the first Bakong poll inside the checkout's transaction; without it KHQR is not offered. */
  enqueuePoll?: ((tx: Tx, paymentId: string, delaySeconds: number) => Promise<void>) | undefined;
  /** Queues a completed payment's e-mail inside the completing transaction. */
  enqueueMail?: ((tx: Tx, paymentId: string) => Promise<void>) | undefined;
}

export interface PlanView {
  id: string;
  code: string;
  name: string;
  description: string | null;
  tier: string;
  interval: string;
  price_usd: number;
  price_khr: number;
  features: unknown;
  limits: Record<string, unknown>;
}

export interface SubscriptionView {
  tier: 'free' | 'premium';
  status: string;
  plan_code: string;
  current_period_end: string | null;
  cancel_at_period_end: boolean;
  /** A card subscription the gateway renews by itself each period. */
  auto_renew: boolean;
  gateway: string | null;
}

export interface PaymentView {
  id: string;
  status: string;
  amount: number;
  currency: string;
  gateway: string;
  plan_code: string | null;
  created_at: string;
  expires_at: string | null;
  paid_at: string | null;
  refunded_at: string | null;
  failure_reason: string | null;
  receipt_number: string | null;
  refund_method: string | null;
  refund_reference: string | null;
  renewal: boolean;
  khqr?: string;
  khqr_md5?: string;
  checkout_url?: string;
  history: { from_status: string | null; to_status: string; source: string; reason: string | null; at: string }[];
}

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

function planView(p: q.PlanRow): PlanView {
  return {
    id: p.id,
    code: p.code,
    name: p.name,
    description: p.description,
    tier: p.tier,
    interval: p.billing_period,
    price_usd: p.price_usd_cents,
    price_khr: p.price_khr,
    features: p.features,
    limits: p.limits,
  };
}

function paymentView(p: q.PaymentRow, history: q.HistoryRow[]): PaymentView {
  const v: PaymentView = {
    id: p.id,
    status: p.status,
    amount: p.amount_minor,
    currency: p.currency,
    gateway: p.provider,
    plan_code: p.plan_code,
    created_at: p.created_at.toISOString(),
    expires_at: iso(p.expires_at),
    paid_at: iso(p.paid_at),
    refunded_at: iso(p.refunded_at),
    failure_reason: p.failure_reason,
    receipt_number: p.receipt_number,
    refund_method: p.refund_method,
    refund_reference: p.refund_reference,
    renewal: p.metadata.renewal === 'true',
    history: history.map((h) => ({
      from_status: h.from_status,
      to_status: h.to_status,
      source: h.source,
      reason: h.reason,
      at: h.created_at.toISOString(),
    })),
  };
  if (p.status === 'pending') {
    if (typeof p.metadata.khqr === 'string') {
      v.khqr = p.metadata.khqr;
      if (p.provider_reference !== null) v.khqr_md5 = p.provider_reference;
    }
    if (typeof p.metadata.checkout_url === 'string') v.checkout_url = p.metadata.checkout_url;
  }
  return v;
}

export class BillingService {
  private readonly sandbox = new SandboxGateway();

  constructor(private readonly d: BillingDeps) {}

  private system<T>(userId: string | null, fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.d.db.withUser({ userId, role: 'system' }, fn);
  }

  private get confirm(): ConfirmDeps {
    return { db: this.d.db, logger: this.d.logger, seller: this.d.config.seller, enqueueMail: this.d.enqueueMail };
  }

  async plans(): Promise<PlanView[]> {
    return (await this.system(null, (tx) => q.listPlans(tx))).map(planView);
  }

  async mySubscription(ctx: BillingContext): Promise<SubscriptionView> {
    const sub = await ctx.run((tx) => q.currentSubscription(tx, ctx.userId));
    const autoRenew = sub !== null && sub.provider_subscription_ref !== null && !sub.cancel_at_period_end;
    if (sub === null || !sub.is_premium) {
      return {
        tier: 'free',
        status: sub?.status ?? 'none',
        plan_code: 'free',
        current_period_end: iso(sub?.current_period_end ?? null),
        cancel_at_period_end: false,
        auto_renew: autoRenew,
        gateway: sub?.provider ?? null,
      };
    }
    return {
      tier: 'premium',
      status: sub.status,
      plan_code: sub.plan_code,
      current_period_end: sub.current_period_end.toISOString(),
      cancel_at_period_end: sub.cancel_at_period_end,
      auto_renew: autoRenew,
      gateway: sub.provider,
    };
  }

  gatewayNames(): GatewayName[] {
    return [...this.d.gateways.keys()].filter((g) => g !== 'bakong' || this.d.enqueuePoll !== undefined);
  }

  async checkout(ctx: BillingContext, body: CheckoutBody): Promise<PaymentView> {
    const { gateway, currency, autoRenew } = chosenGateway(
      body,
      this.d.gateways.get(body.gateway),
      this.gatewayNames(),
    );
    const { plan, amountMinor } = purchasable(
      await ctx.run(async (tx) => ({
        plan: await q.findPlan(tx, body.plan_code),
        pending: await q.countPending(tx, ctx.userId),
        current: await q.currentSubscription(tx, ctx.userId),
      })),
      currency,
    );
    const id = randomUUID();
    const { order, row } = newOrder(
      ctx.userId,
      body,
      { plan, amountMinor, currency, autoRenew },
      id,
      this.d.config.pendingMinutes,
    );
    if (body.gateway === 'stripe') await this.openCardCheckout(ctx.userId, gateway, order, row);
    else {
      const result = await gateway.createCheckout(order);
      row.providerReference = result.providerReference;
      if (result.khqr !== undefined) row.metadata.khqr = result.khqr;
      await this.system(ctx.userId, async (tx) => {
        await q.insertPayment(tx, row);
        if (body.gateway === 'bakong' && this.d.enqueuePoll)
          await this.d.enqueuePoll(tx, id, this.d.config.bakong.pollFirstSeconds);
      });
    }
    this.d.logger.info(
      { paymentId: id, gateway: body.gateway, plan: plan.code, requestId: ctx.requestId },
      'checkout started',
    );
    return this.payment(ctx, id);
  }

  /** A card payment page: the order exists before the gateway is called, outside any transaction. */
  private async openCardCheckout(
    userId: string,
    gateway: PaymentGateway,
    order: CheckoutOrder,
    row: q.NewPayment,
  ): Promise<void> {
    const id = row.id;
    await this.system(userId, (tx) => q.insertPayment(tx, row));
    try {
      const result = await gateway.createCheckout(order);
      await this.system(userId, (tx) =>
        q.setCheckout(tx, id, result.providerReference, result.checkoutUrl ? { checkout_url: result.checkoutUrl } : {}),
      );
    } catch (err) {
      this.d.logger.error({ err, paymentId: id }, 'Stripe Checkout Session not created');
      await this.system(userId, (tx) =>
        q.transition(tx, id, { from: ['pending'], to: 'failed', source: 'checkout', reason: 'gateway_error' }),
      );
      throw new ApiError(502, 'gateway_error', 'the card payment page could not be opened; try again later');
    }
  }

  /** The payer's or (for admins) any payment, with its history; anyone else: 404. */
  async payment(ctx: BillingContext, id: string): Promise<PaymentView> {
    return ctx.run(async (tx) => {
      const p = await q.findPayment(tx, id);
      if (p === null || (p.user_id !== ctx.userId && ctx.role !== 'admin')) throw notFound('payment');
      return paymentView(p, await q.paymentHistory(tx, id));
    });
  }

  /** The sandbox gateway's "paid" event (never in production). */
  async sandboxComplete(ctx: BillingContext, id: string): Promise<{ outcome: Outcome; payment: PaymentView }> {
    if (this.d.env === 'production') throw notFound('payment');
    const p = await ctx.run((tx) => q.findPayment(tx, id));
    if (p === null || p.user_id !== ctx.userId || p.provider !== 'sandbox' || p.provider_reference === null)
      throw notFound('payment');
    const outcome = await processEvent(
      this.confirm,
      'sandbox',
      this.sandbox.paidEvent({
        id: p.id,
        providerReference: p.provider_reference,
        amountMinor: p.amount_minor,
        currency: p.currency,
      }),
    );
    return { outcome, payment: await this.payment(ctx, id) };
  }

  /** A gateway's signed event. Throws 404 for a gateway not offered, 400 for a bad signature. */
  async webhook(
    gatewayName: string,
    rawBody: Buffer,
    headers: Record<string, string | string[] | undefined>,
  ): Promise<{ outcome: Outcome }> {
    const gateway = this.d.gateways.get(gatewayName as GatewayName);
    if (gateway === undefined || gateway.parseWebhook === undefined) throw notFound('gateway');
    let event;
    try {
      event = gateway.parseWebhook(rawBody, headers);
    } catch (err) {
      if (err instanceof WebhookSignatureError) {
        this.d.logger.warn({ gateway: gatewayName }, 'webhook refused: bad signature');
        throw new ApiError(400, 'invalid_signature', 'the webhook signature does not verify');
      }
      throw err;
    }
    return { outcome: await processEvent(this.confirm, gateway.name, event) };
  }

  async cancel(ctx: BillingContext): Promise<SubscriptionView> {
    const sub = await ctx.run((tx) => q.currentSubscription(tx, ctx.userId));
    if (sub === null || !sub.is_premium)
      throw conflict('no_active_subscription', 'there is no paid subscription to cancel');
    if (sub.cancel_at_period_end) return this.mySubscription(ctx);
    const renewing =
      sub.provider_subscription_ref === null ? undefined : this.d.gateways.get(sub.provider as GatewayName);
    if (sub.provider_subscription_ref !== null) {
      // the gateway first: a card that would still be charged is worse than a cancel to retry
      try {
        if (renewing?.cancelSubscription === undefined) throw new Error(`gateway ${String(sub.provider)} not offered`);
        await renewing.cancelSubscription(sub.provider_subscription_ref, true);
      } catch (err) {
        this.d.logger.error(
          { err, subscriptionId: sub.id },
          'cancelling the renewing subscription at the gateway failed',
        );
        throw new ApiError(
          502,
          'gateway_error',
          'the card subscription could not be cancelled at the payment gateway; try again later',
        );
      }
    }
    await this.system(ctx.userId, (tx) => q.cancelAtPeriodEnd(tx, sub.id));
    return this.mySubscription(ctx);
  }

  /**
   * Admin: the money goes back through the gateway (Stripe's Refunds API) or, for Bakong, which
   * has no refund API, is recorded as a manual refund; the premium it bought ends (refunds.ts).
   */
  async refund(ctx: BillingContext, id: string, reason: string): Promise<PaymentView> {
    if (ctx.role !== 'admin') throw notFound('payment');
    await refundPayment({ db: this.d.db, logger: this.d.logger, gateways: this.d.gateways }, ctx, id, reason);
    return this.payment(ctx, id);
  }

  /** The receipt of a completed (or refunded) payment: its payer and admins. */
  async receipt(ctx: BillingContext, id: string): Promise<string> {
    return ctx.run(async (tx) => {
      const p = await q.findPayment(tx, id);
      if (p === null || (p.user_id !== ctx.userId && ctx.role !== 'admin')) throw notFound('payment');
      if ((p.status !== 'completed' && p.status !== 'refunded') || p.paid_at === null)
        throw conflict('not_paid', 'a receipt exists once the payment is completed');
      const payer = p.user_id === null ? null : await q.payerOf(tx, p.user_id);
      const plan = p.plan_code === null ? null : await q.findPlan(tx, p.plan_code);
      const seller = this.d.config.seller;
      if (p.receipt_number === null)
        throw new Error('a completed payment without a receipt number (migration 028 numbers them all)');
      return receiptHtml({
        paymentId: p.id,
        receiptNumber: p.receipt_number,
        status: p.status,
        paidAt: p.paid_at,
        refundedAt: p.refunded_at,
        refundMethod: p.refund_method,
        planName: plan?.name ?? 'DasTern',
        amountMinor: p.amount_minor,
        currency: p.currency,
        gateway: p.provider,
        payerName: payer?.name ?? '(account erased)',
        payerEmail: payer?.email ?? '',
        language: ctx.language,
        seller: sellerOf(p.metadata, {
          name: seller.name,
          address: seller.address ?? null,
          vatTin: seller.vatTin ?? null,
          vatRateBasisPoints: seller.vatRateBasisPoints,
        }),
      });
    });
  }

  async stats(ctx: BillingContext): Promise<BillingStats> {
    if (ctx.role !== 'admin') throw notFound('route');
    return ctx.run((tx) => billingStats(tx));
  }

  async alerts(ctx: BillingContext): Promise<q.AlertRow[]> {
    if (ctx.role !== 'admin') throw notFound('route');
    return ctx.run((tx) => q.listAlerts(tx, 200));
  }
}
