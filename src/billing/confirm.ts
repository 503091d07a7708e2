/**
 * The one path by which a gateway's word changes a payment: webhook, sandbox "complete" and
 * Bakong poll all end in processEvent(). In one transaction ('system'): the payment row is
 * locked (FOR UPDATE), the event id is recorded once (a replay or duplicate changes nothing),
 * the amount and currency are compared with the order (a difference is refused, logged and
 * left as an admin-visible alert), and only then the subscription is extended — so two
 * confirmations of one payment arriving at once extend it once.
 */
import type { Database, Tx } from '../db/database.ts';
import type { GatewayName } from '../config.ts';
import type { Logger } from '../log.ts';
import type { GatewayEvent } from './gateways/gateway.ts';
import { formatMoney, isCurrency } from './money.ts';
import * as q from './queries.ts';

const SYSTEM = { userId: null, role: 'system' } as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type Outcome = 'completed' | 'failed' | 'expired' | 'duplicate' | 'ignored' | 'unknown_payment'
  | 'amount_mismatch' | 'refused' | 'already_done';

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

async function apply(tx: Tx, logger: Logger, gateway: GatewayName, p: q.PaymentRow | null, event: GatewayEvent): Promise<Outcome> {
  if (p === null) {
    logger.warn({ gateway, eventType: event.type }, 'payment event for an unknown payment');
    return 'unknown_payment';
  }
  switch (event.kind) {
    case 'ignored':
      return 'ignored';
    case 'failed':
    case 'expired': {
      const done = await q.transition(tx, p.id, { from: ['pending'], to: event.kind, source: gateway, reason: event.reason ?? event.type, eventId: event.eventId });
      return done ? event.kind : 'already_done';
    }
    case 'paid':
      break;
  }
  if (p.status === 'completed' || p.status === 'refunded') return 'already_done';
  if (p.status === 'failed') {
    await q.insertAlert(tx, 'paid_after_failure', p.id, gateway, { event_type: event.type });
    logger.warn({ gateway, paymentId: p.id }, 'a payment marked failed was reported paid: refused, alerted');
    return 'refused';
  }
  if (event.amountMinor !== p.amount_minor || event.currency !== p.currency) {
    await q.insertAlert(tx, 'amount_mismatch', p.id, gateway, {
      expected_amount: p.amount_minor, expected_currency: p.currency,
      received_amount: event.amountMinor ?? null, received_currency: event.currency ?? null, reason: event.reason ?? null,
    });
    logger.error({ gateway, paymentId: p.id, expected: [p.amount_minor, p.currency], received: [event.amountMinor ?? null, event.currency ?? null] },
      'payment amount or currency differs from the order: refused, alerted');
    return 'amount_mismatch';
  }
  if (p.user_id === null || p.plan_id === null) {
    await q.insertAlert(tx, 'orphan_payment', p.id, gateway, { event_type: event.type });
    return 'refused';
  }
  const sub = await q.extendSubscription(tx, p.user_id, p.plan_id, gateway);
  const done = await q.transition(tx, p.id, { from: ['pending', 'expired'], to: 'completed', source: gateway, eventId: event.eventId, subscriptionId: sub.id });
  if (!done) throw new Error('payment changed under its lock');
  const money = isCurrency(p.currency) ? formatMoney(p.amount_minor, p.currency) : `${p.amount_minor} ${p.currency}`;
  await q.notify(tx, p.user_id, 'payment_completed',
    { kind: 'payment_completed', payment_id: p.id, current_period_end: sub.current_period_end.toISOString(), amount: money, until: sub.current_period_end.toISOString().slice(0, 10) },
    `payment:${p.id}:completed`);
  logger.info({ gateway, paymentId: p.id, subscriptionId: sub.id }, 'payment completed, subscription extended');
  return 'completed';
}

/** Applies one gateway event, exactly once. */
export async function processEvent(db: Database, logger: Logger, gateway: GatewayName, event: GatewayEvent): Promise<Outcome> {
  return db.withUser(SYSTEM, async (tx) => {
    const p = await lockPayment(tx, gateway, event);
    if (!(await q.recordWebhookEvent(tx, gateway, event.eventId, event.type, p?.id ?? null))) return 'duplicate';
    const outcome = await apply(tx, logger, gateway, p, event);
    await q.setWebhookOutcome(tx, gateway, event.eventId, outcome);
    return outcome;
  });
}
