/**
 * A card subscription renewing by itself (Stripe): each later invoice becomes a payment row of
 * its own (provider_reference = the invoice id, so one invoice extends the subscription once,
 * whatever events repeat it), its amount and currency checked against the plan (a difference is
 * refused and alerted); a failed invoice is recorded (payment failed, subscription past_due, the
 * user told) and may still be paid by a later retry; a cancellation at the gateway ends the
 * subscription at its period end. Runs inside processEvent's transaction ('system').
 */
import { randomUUID } from 'node:crypto';
import type { Tx } from '../db/database.ts';
import type { GatewayName } from '../config.ts';
import type { GatewayEvent } from './gateways/gateway.ts';
import {
  afterCompletion,
  alertAmountMismatch,
  amountDiffers,
  completionFacts,
  type ConfirmDeps,
  type Outcome,
} from './confirm.ts';
import { EXPONENT } from './money.ts';
import * as q from './queries.ts';

const RENEWAL_CURRENCY = 'USD';

/** The renewal's payment row: the one already recorded for the invoice, else a new pending one. */
async function renewalPayment(
  tx: Tx,
  gateway: GatewayName,
  sub: q.GatewaySubscriptionRow,
  existing: q.PaymentRow | null,
  refs: { invoice: string; subscription: string },
): Promise<q.PaymentRow> {
  if (existing !== null) return existing;
  const id = randomUUID();
  await q.insertPayment(tx, {
    id,
    userId: sub.user_id,
    planId: sub.plan_id,
    amountMinor: sub.price_usd_cents,
    exponent: EXPONENT[RENEWAL_CURRENCY],
    currency: RENEWAL_CURRENCY,
    provider: gateway,
    providerReference: refs.invoice,
    description: 'renewal',
    expiresAt: new Date(Date.now() + 3 * 86_400_000),
    metadata: { renewal: 'true', gateway_subscription: refs.subscription },
  });
  const p = await q.findPayment(tx, id, true);
  if (p === null) throw new Error('renewal payment vanished');
  return p;
}

/** A failed invoice: the payment failed, the subscription past due, the user told. */
async function renewalFailed(
  d: ConfirmDeps,
  tx: Tx,
  gateway: GatewayName,
  sub: q.GatewaySubscriptionRow,
  p: q.PaymentRow,
  event: GatewayEvent,
): Promise<Outcome> {
  if (p.status === 'pending') {
    await q.transition(tx, p.id, {
      from: ['pending'],
      to: 'failed',
      source: gateway,
      reason: event.reason ?? 'renewal payment failed',
      eventId: event.eventId,
    });
  }
  await q.setSubscriptionStatus(tx, sub.id, 'past_due');
  await q.notify(
    tx,
    sub.user_id,
    'renewal_failed',
    { kind: 'renewal_failed', payment_id: p.id, until: sub.current_period_end.toISOString().slice(0, 10) },
    `payment:${p.id}:renewal_failed`,
  );
  d.logger.warn({ gateway, paymentId: p.id }, 'card renewal failed: subscription past due');
  return 'failed';
}

/** A paid invoice whose amount differs from the plan: refused and alerted. */
async function renewalMismatch(
  d: ConfirmDeps,
  tx: Tx,
  gateway: GatewayName,
  p: q.PaymentRow,
  event: GatewayEvent,
  invoice: string,
): Promise<Outcome> {
  await alertAmountMismatch(
    tx,
    d.logger,
    gateway,
    p,
    event,
    { invoice },
    'renewal amount or currency differs from the plan: refused, alerted',
  );
  if (p.status === 'pending')
    await q.transition(tx, p.id, {
      from: ['pending'],
      to: 'failed',
      source: gateway,
      reason: 'amount differs from the plan',
      eventId: event.eventId,
    });
  return 'amount_mismatch';
}

export async function applyRenewal(
  d: ConfirmDeps,
  tx: Tx,
  gateway: GatewayName,
  found: q.PaymentRow | null,
  event: GatewayEvent,
): Promise<Outcome> {
  const ref = event.subscription?.reference;
  const invoice = event.providerReference;
  if (ref === undefined || invoice === undefined) return 'ignored';
  const sub = await q.lockSubscriptionByReference(tx, gateway, ref);
  if (sub === null) {
    await q.insertAlert(tx, 'unknown_subscription', found?.id ?? null, gateway, {
      subscription: ref,
      invoice,
      event_type: event.type,
    });
    d.logger.warn({ gateway, eventType: event.type }, 'renewal for an unknown subscription: alerted');
    return 'unknown_subscription';
  }
  // looked up again under the subscription's lock: another event for this invoice may have just committed it
  const existing = found ?? (await q.findPaymentByReference(tx, gateway, invoice, true));
  if (existing !== null && (existing.status === 'completed' || existing.status === 'refunded')) return 'already_done';
  const p = await renewalPayment(tx, gateway, sub, existing, { invoice, subscription: ref });
  if (event.kind === 'renewal_failed') return renewalFailed(d, tx, gateway, sub, p, event);
  if (amountDiffers(p, event)) return renewalMismatch(d, tx, gateway, p, event, invoice);
  const extended = await q.extendRenewal(tx, sub.id, event.subscription?.periodEnd ?? null);
  // a retry of a failed invoice may still pay it
  const done = await q.transition(tx, p.id, {
    from: ['pending', 'failed', 'expired'],
    to: 'completed',
    source: gateway,
    eventId: event.eventId,
    subscriptionId: sub.id,
    metadata: completionFacts(d, event),
  });
  if (!done) throw new Error('renewal payment changed under its lock');
  await afterCompletion(d, tx, p, extended);
  d.logger.info({ gateway, paymentId: p.id, subscriptionId: sub.id }, 'card renewal paid, subscription extended');
  return 'completed';
}

export async function applySubscriptionUpdate(tx: Tx, gateway: GatewayName, event: GatewayEvent): Promise<Outcome> {
  const s = event.subscription;
  if (s === undefined || s.cancelAtPeriodEnd === undefined) return 'ignored';
  const sub = await q.lockSubscriptionByReference(tx, gateway, s.reference);
  if (sub === null) return 'unknown_subscription';
  if (sub.cancel_at_period_end === s.cancelAtPeriodEnd) return 'already_done';
  await q.setCancelAtPeriodEnd(tx, sub.id, s.cancelAtPeriodEnd);
  return 'updated';
}
