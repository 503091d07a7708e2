/**
 * Refunds by an admin. The money goes back through the gateway when it has a refund API (Stripe:
 * the Refunds API on the payment's PaymentIntent, idempotent per payment, so a retried or
 * concurrent refund returns the money once); Bakong KHQR has none, so the refund is recorded as
 * manual (refund_method 'manual': the admin returns the money by a Bakong transfer). Then, in one
 * transaction: status refunded (history row with the reason, audited by the row trigger), the
 * premium it bought ends, and a card subscription stops renewing at the gateway.
 */
import type { Database } from '../db/database.ts';
import type { GatewayName } from '../config.ts';
import type { Logger } from '../log.ts';
import { ApiError, conflict, notFound } from '../core/errors.ts';
import type { PaymentGateway } from './gateways/gateway.ts';
import * as q from './queries.ts';
import type { BillingContext } from './service.ts';

export interface RefundDeps {
  db: Database;
  logger: Logger;
  gateways: ReadonlyMap<GatewayName, PaymentGateway>;
}

type Method = 'gateway' | 'manual' | 'sandbox';

async function returnMoney(d: RefundDeps, p: q.PaymentRow): Promise<{ method: Method; reference: string | null }> {
  if (p.provider === 'sandbox') return { method: 'sandbox', reference: null };
  if (p.provider === 'bakong') return { method: 'manual', reference: null };
  const gateway = d.gateways.get(p.provider as GatewayName);
  const intent = p.metadata.payment_intent;
  if (gateway?.refund === undefined || typeof intent !== 'string') {
    throw conflict(
      'refund_unavailable',
      "this payment cannot be refunded through its gateway from here: refund it in the gateway's dashboard",
    );
  }
  try {
    const { reference } = await gateway.refund({
      id: p.id,
      amountMinor: p.amount_minor,
      currency: p.currency,
      paymentIntent: intent,
    });
    return { method: 'gateway', reference };
  } catch (err) {
    d.logger.error({ err, paymentId: p.id, gateway: p.provider }, 'gateway refund failed');
    throw new ApiError(
      502,
      'refund_failed',
      'the payment gateway did not accept the refund; nothing was changed, try again later',
    );
  }
}

export async function refundPayment(d: RefundDeps, ctx: BillingContext, id: string, reason: string): Promise<void> {
  const p = await ctx.run((tx) => q.findPayment(tx, id));
  if (p === null) throw notFound('payment');
  if (p.status !== 'completed') throw conflict('not_refundable', `a ${p.status} payment cannot be refunded`);
  const { method, reference } = await returnMoney(d, p);
  const renewing = await ctx.run(async (tx) => {
    const locked = await q.findPayment(tx, id, true);
    if (locked?.status !== 'completed')
      throw conflict('not_refundable', `a ${locked?.status ?? 'missing'} payment cannot be refunded`);
    const why =
      method === 'manual' ? `manual refund (Bakong has no refund API; money returned by transfer): ${reason}` : reason;
    await q.transition(tx, id, {
      from: ['completed'],
      to: 'refunded',
      source: 'admin',
      reason: why.slice(0, 500),
      refund: { method, reference },
    });
    if (locked.subscription_id === null) return null;
    const sub = await q.subscriptionGatewayRef(tx, locked.subscription_id);
    await q.endSubscriptionNow(tx, locked.subscription_id);
    return sub;
  });
  if (renewing?.ref != null && renewing.provider !== null) {
    const gateway = d.gateways.get(renewing.provider as GatewayName);
    try {
      await gateway?.cancelSubscription?.(renewing.ref, false);
    } catch (err) {
      d.logger.error(
        { err, paymentId: id },
        'the refunded card subscription could not be stopped at the gateway: alerted',
      );
      await d.db.withUser({ userId: ctx.userId, role: 'system' }, (tx) =>
        q.insertAlert(tx, 'subscription_not_cancelled', id, renewing.provider ?? '', { subscription: renewing.ref }),
      );
    }
  }
  if (p.user_id !== null) {
    // (an admin may not read the payer's notifications, which ON CONFLICT needs: 'system' writes it)
    const payer = p.user_id;
    await d.db.withUser({ userId: ctx.userId, role: 'system' }, (tx) =>
      q.notify(tx, payer, 'payment_refunded', { kind: 'payment_refunded', payment_id: id }, `payment:${id}:refunded`),
    );
  }
  d.logger.info({ paymentId: id, admin: ctx.userId, method }, 'payment refunded');
}
