/**
 * The one path by which a gateway's word changes a payment: webhook, sandbox "complete" and
 * Bakong poll all end in processEvent(). In one transaction ('system'): the payment row is
 * locked (FOR UPDATE), the event id is recorded once (a replay or duplicate changes nothing),
 * the amount and currency are compared with the order (a difference is refused, logged and
 * left as an admin-visible alert), and only then the subscription is extended — so two
 * confirmations of one payment arriving at once extend it once. A completed payment gets its
 * receipt number (028's trigger), the seller's VAT facts of that day, an in-app notification and
 * its e-mail job, all in that transaction. A renewing card subscription's later invoices
 * (renewals.ts) become payments of their own through the same steps.
 */
import type { Database, Tx } from '../db/database.ts';
import type { GatewayName, SellerConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import type { GatewayEvent } from './gateways/gateway.ts';
import { applyRenewal, applySubscriptionUpdate } from './renewals.ts';
import { formatMoney, isCurrency } from './money.ts';
import * as q from './queries.ts';

const SYSTEM = { userId: null, role: 'system' } as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type Outcome =
  | 'completed'
  | 'failed'
  | 'expired'
  | 'duplicate'
  | 'ignored'
  | 'unknown_payment'
  | 'amount_mismatch'
  | 'refused'
  | 'already_done'
  | 'unknown_subscription'
  | 'updated';

export interface ConfirmDeps {
  db: Database;
  logger: Logger;
  /** Printed on the receipt; kept with the payment when it completes. */
  seller?: SellerConfig | undefined;
  /** Queues the payment-received e-mail inside the completing transaction. */
  enqueueMail?: ((tx: Tx, paymentId: string) => Promise<void>) | undefined;
}

/** Facts a completion keeps with the payment: the seller on its receipt that day, the gateway's payment intent. */
export function completionFacts(d: ConfirmDeps, event: GatewayEvent): Record<string, string | number> {
  const facts: Record<string, string | number> = {};
  if (d.seller) {
    facts.seller_name = d.seller.name;
    facts.vat_rate_bp = d.seller.vatRateBasisPoints;
    if (d.seller.vatTin !== undefined) facts.seller_vat_tin = d.seller.vatTin;
    if (d.seller.address !== undefined) facts.seller_address = d.seller.address;
  }
  if (event.paymentIntent !== undefined) facts.payment_intent = event.paymentIntent;
  return facts;
}

/** What every completion does besides the status (the caller has completed it in tx): the notification, the e-mail job. */
export async function afterCompletion(
  d: ConfirmDeps,
  tx: Tx,
  p: q.PaymentRow,
  sub: { id: string; current_period_end: Date },
): Promise<void> {
  if (p.user_id === null) return;
  const money = isCurrency(p.currency) ? formatMoney(p.amount_minor, p.currency) : `${p.amount_minor} ${p.currency}`;
  // in-app only: the e-mail is the payment's own (mail.ts), sent at once
  await q.notify(
    tx,
    p.user_id,
    'payment_completed',
    {
      kind: 'payment_completed',
      payment_id: p.id,
      current_period_end: sub.current_period_end.toISOString(),
      amount: money,
      until: sub.current_period_end.toISOString().slice(0, 10),
    },
    `payment:${p.id}:completed`,
    'in_app',
  );
  if (d.enqueueMail) await d.enqueueMail(tx, p.id);
}

async function lockPayment(tx: Tx, gateway: GatewayName, event: GatewayEvent): Promise<q.PaymentRow | null> {
  if (event.providerReference !== undefined) {
    const byRef = await q.findPaymentByReference(tx, gateway, event.providerReference, true);
    if (byRef) return byRef;
  }
  if (event.paymentId !== undefined && UUID.test(event.paymentId)) {
    const byId = await q.findPayment(tx, event.paymentId, true);
    if (byId && byId.provider === gateway) return byId;
  }
  return null;
}

async function apply(
  d: ConfirmDeps,
  tx: Tx,
  gateway: GatewayName,
  p: q.PaymentRow | null,
  event: GatewayEvent,
): Promise<Outcome> {
  const logger = d.logger;
  if (event.kind === 'renewal_paid' || event.kind === 'renewal_failed') return applyRenewal(d, tx, gateway, p, event);
  if (event.kind === 'subscription_updated') return applySubscriptionUpdate(tx, gateway, event);
  if (event.kind === 'ignored') return 'ignored';
  if (p === null) {
    logger.warn({ gateway, eventType: event.type }, 'payment event for an unknown payment');
    return 'unknown_payment';
  }
  if (event.kind === 'failed' || event.kind === 'expired') {
    const done = await q.transition(tx, p.id, {
      from: ['pending'],
      to: event.kind,
      source: gateway,
      reason: event.reason ?? event.type,
      eventId: event.eventId,
    });
    return done ? event.kind : 'already_done';
  }
  if (p.status === 'completed' || p.status === 'refunded') return 'already_done';
  if (p.status === 'failed') {
    await q.insertAlert(tx, 'paid_after_failure', p.id, gateway, { event_type: event.type });
    logger.warn({ gateway, paymentId: p.id }, 'a payment marked failed was reported paid: refused, alerted');
    return 'refused';
  }
  if (amountDiffers(p, event)) {
    await alertAmountMismatch(
      tx,
      logger,
      gateway,
      p,
      event,
      { reason: event.reason ?? null },
      'payment amount or currency differs from the order: refused, alerted',
    );
    return 'amount_mismatch';
  }
  if (p.user_id === null || p.plan_id === null) {
    await q.insertAlert(tx, 'orphan_payment', p.id, gateway, { event_type: event.type });
    return 'refused';
  }
  const sub = await q.extendSubscription(tx, p.user_id, p.plan_id, gateway);
  const done = await q.transition(tx, p.id, {
    from: ['pending', 'expired'],
    to: 'completed',
    source: gateway,
    eventId: event.eventId,
    subscriptionId: sub.id,
    metadata: completionFacts(d, event),
  });
  if (!done) throw new Error('payment changed under its lock');
  if (event.subscription !== undefined) {
    await q.linkGatewaySubscription(
      tx,
      sub.id,
      gateway,
      event.subscription.reference,
      event.subscription.customer ?? null,
    );
  }
  await afterCompletion(d, tx, p, sub);
  logger.info(
    { gateway, paymentId: p.id, subscriptionId: sub.id, renewing: event.subscription !== undefined },
    'payment completed, subscription extended',
  );
  return 'completed';
}

/** Applies one gateway event, exactly once. */
export async function processEvent(d: ConfirmDeps, gateway: GatewayName, event: GatewayEvent): Promise<Outcome> {
  return d.db.withUser(SYSTEM, async (tx) => {
    const p = await lockPayment(tx, gateway, event);
    if (!(await q.recordWebhookEvent(tx, gateway, event.eventId, event.type, p?.id ?? null))) return 'duplicate';
    const outcome = await apply(d, tx, gateway, p, event);
    await q.setWebhookOutcome(tx, gateway, event.eventId, outcome);
    return outcome;
  });
}

/** The gateway reports another amount or currency than the payment's. */
export const amountDiffers = (p: q.PaymentRow, event: GatewayEvent): boolean =>
  event.amountMinor !== p.amount_minor || event.currency !== p.currency;

/** Alerts the admins to a reported amount that is not the payment's and logs it (the caller refuses the event). */
export async function alertAmountMismatch(
  tx: Tx,
  logger: Logger,
  gateway: GatewayName,
  p: q.PaymentRow,
  event: GatewayEvent,
  detail: Record<string, unknown>,
  message: string,
): Promise<void> {
  await q.insertAlert(tx, 'amount_mismatch', p.id, gateway, {
    expected_amount: p.amount_minor,
    expected_currency: p.currency,
    received_amount: event.amountMinor ?? null,
    received_currency: event.currency ?? null,
    ...detail,
  });
  logger.error(
    {
      gateway,
      paymentId: p.id,
      expected: [p.amount_minor, p.currency],
      received: [event.amountMinor ?? null, event.currency ?? null],
    },
    message,
  );
}
