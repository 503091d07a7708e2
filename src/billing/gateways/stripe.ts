/**
 * Card payments through Stripe Checkout: one payment per period (like KHQR), or, with
 * `autoRenew`, a Checkout in subscription mode whose later periods Stripe bills by itself
 * (`invoice.paid` / `invoice.payment_failed`; `customer.subscription.updated|deleted` for a
 * cancellation). A payment is confirmed only by a signed webhook (`Stripe-Signature`, verified
 * with the endpoint's secret and Stripe's 5-minute tolerance); the return to success_url proves
 * nothing. Refunds go through the Refunds API (idempotent per payment).
 */
import Stripe from 'stripe';
import type { StripeConfig } from '../../config.ts';
import type { CheckoutOrder, CheckoutResult, GatewayEvent, PaymentGateway } from './gateway.ts';
import { WebhookSignatureError } from './gateway.ts';

interface SessionLike {
  id?: unknown;
  client_reference_id?: unknown;
  metadata?: Record<string, unknown> | null;
  amount_total?: unknown;
  currency?: unknown;
  payment_status?: unknown;
  payment_intent?: unknown;
  subscription?: unknown;
  customer?: unknown;
}

interface InvoiceLike {
  id?: unknown;
  amount_paid?: unknown;
  amount_due?: unknown;
  currency?: unknown;
  billing_reason?: unknown;
  customer?: unknown;
  /** before API 2025-03-31 */
  subscription?: unknown;
  payment_intent?: unknown;
  parent?: {
    subscription_details?: { subscription?: unknown; metadata?: Record<string, unknown> | null } | null;
  } | null;
  lines?: { data?: Array<{ period?: { end?: unknown } }> };
  payments?: { data?: Array<{ payment?: { payment_intent?: unknown } }> };
}

interface SubscriptionLike {
  id?: unknown;
  customer?: unknown;
  cancel_at_period_end?: unknown;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const idOf = (v: unknown): string | undefined =>
  str(v) ?? (typeof v === 'object' && v !== null ? str((v as { id?: unknown }).id) : undefined);

function readInvoice(event: Stripe.Event, invoice: InvoiceLike, kind: 'renewal_paid' | 'renewal_failed'): GatewayEvent {
  const reference = idOf(invoice.parent?.subscription_details?.subscription) ?? idOf(invoice.subscription);
  const end = invoice.lines?.data?.[0]?.period?.end;
  const amount = kind === 'renewal_paid' ? invoice.amount_paid : invoice.amount_due;
  const base: GatewayEvent = {
    eventId: event.id,
    type: event.type,
    kind,
    providerReference: str(invoice.id),
    amountMinor: typeof amount === 'number' && Number.isSafeInteger(amount) ? amount : null,
    currency: typeof invoice.currency === 'string' ? invoice.currency.toUpperCase() : undefined,
    paymentIntent: idOf(invoice.payments?.data?.[0]?.payment?.payment_intent) ?? idOf(invoice.payment_intent),
    ...(kind === 'renewal_failed' ? { reason: 'the card renewal payment failed' } : {}),
  };
  // the first invoice pays for the period the Checkout Session already confirmed
  if (reference === undefined || invoice.billing_reason === 'subscription_create') return { ...base, kind: 'ignored' };
  return {
    ...base,
    subscription: {
      reference,
      customer: idOf(invoice.customer),
      periodEnd: typeof end === 'number' ? new Date(end * 1000) : undefined,
    },
  };
}

export class StripeGateway implements PaymentGateway {
  readonly name = 'stripe' as const;
  readonly currencies = ['USD'] as const;
  private readonly client: Stripe;

  constructor(
    private readonly config: StripeConfig,
    private readonly publicUrl: string,
  ) {
    if (config.secretKey === undefined) throw new Error('DASTERN_STRIPE_SECRET_KEY is not set');
    const api = config.apiUrl === undefined ? undefined : new URL(config.apiUrl);
    this.client = new Stripe(config.secretKey, {
      maxNetworkRetries: 1,
      timeout: 15_000,
      ...(api
        ? {
            host: api.hostname,
            port: api.port === '' ? (api.protocol === 'https:' ? 443 : 80) : Number(api.port),
            protocol: api.protocol === 'https:' ? 'https' : 'http',
          }
        : {}),
    });
  }

  async createCheckout(order: CheckoutOrder): Promise<CheckoutResult> {
    const price = {
      currency: order.currency.toLowerCase(),
      unit_amount: order.amountMinor,
      product_data: { name: order.planName },
    };
    const metadata = { payment_id: order.paymentId, plan_code: order.planCode, user_id: order.userId };
    const session = await this.client.checkout.sessions.create(
      {
        ...(order.autoRenew
          ? {
              mode: 'subscription' as const,
              line_items: [{ quantity: 1, price_data: { ...price, recurring: { interval: order.interval } } }],
              subscription_data: { metadata },
            }
          : { mode: 'payment' as const, line_items: [{ quantity: 1, price_data: price }] }),
        client_reference_id: order.paymentId,
        metadata,
        expires_at: Math.floor(order.expiresAt.getTime() / 1000),
        success_url: `${this.publicUrl}/billing/return?payment=${order.paymentId}`,
        cancel_url: `${this.publicUrl}/plans`,
      },
      { idempotencyKey: `checkout_${order.paymentId}` },
    );
    if (typeof session.id !== 'string' || typeof session.url !== 'string')
      throw new Error('Stripe returned no Checkout Session URL');
    return { providerReference: session.id, checkoutUrl: session.url };
  }

  parseWebhook(rawBody: Buffer, headers: Record<string, string | string[] | undefined>): GatewayEvent {
    const signature = headers['stripe-signature'];
    const secret = this.config.webhookSecret;
    if (typeof signature !== 'string' || secret === undefined)
      throw new WebhookSignatureError('missing Stripe-Signature');
    let event: Stripe.Event;
    try {
      event = this.client.webhooks.constructEvent(rawBody, signature, secret);
    } catch {
      throw new WebhookSignatureError('the Stripe signature does not match');
    }
    switch (event.type) {
      case 'invoice.paid':
        return readInvoice(event, event.data.object as InvoiceLike, 'renewal_paid');
      case 'invoice.payment_failed':
        return readInvoice(event, event.data.object as InvoiceLike, 'renewal_failed');
      case 'customer.subscription.updated':
      case 'customer.subscription.deleted': {
        const sub = event.data.object as SubscriptionLike;
        const reference = str(sub.id);
        if (reference === undefined) return { eventId: event.id, type: event.type, kind: 'ignored' };
        return {
          eventId: event.id,
          type: event.type,
          kind: 'subscription_updated',
          subscription: {
            reference,
            customer: idOf(sub.customer),
            cancelAtPeriodEnd: event.type === 'customer.subscription.deleted' || sub.cancel_at_period_end === true,
          },
        };
      }
      default:
        return this.readSession(event);
    }
  }

  private readSession(event: Stripe.Event): GatewayEvent {
    const object = event.data.object as SessionLike;
    const paymentId =
      typeof object.metadata?.payment_id === 'string'
        ? object.metadata.payment_id
        : typeof object.client_reference_id === 'string'
          ? object.client_reference_id
          : undefined;
    const subscription = idOf(object.subscription);
    const base = {
      eventId: event.id,
      type: event.type,
      paymentId,
      providerReference: typeof object.id === 'string' ? object.id : undefined,
      amountMinor:
        typeof object.amount_total === 'number' && Number.isSafeInteger(object.amount_total)
          ? object.amount_total
          : null,
      currency: typeof object.currency === 'string' ? object.currency.toUpperCase() : undefined,
      paymentIntent: idOf(object.payment_intent),
      subscription:
        subscription === undefined ? undefined : { reference: subscription, customer: idOf(object.customer) },
    };
    switch (event.type) {
      case 'checkout.session.completed':
        return {
          ...base,
          kind:
            object.payment_status === 'paid' || object.payment_status === 'no_payment_required' ? 'paid' : 'ignored',
        };
      case 'checkout.session.async_payment_succeeded':
        return { ...base, kind: 'paid' };
      case 'checkout.session.async_payment_failed':
        return { ...base, kind: 'failed', reason: 'the card payment failed' };
      case 'checkout.session.expired':
        return { ...base, kind: 'expired' };
      default:
        return { ...base, kind: 'ignored' };
    }
  }

  async refund(payment: { id: string; amountMinor: number; paymentIntent: string }): Promise<{ reference: string }> {
    const refund = await this.client.refunds.create(
      { payment_intent: payment.paymentIntent, amount: payment.amountMinor, metadata: { payment_id: payment.id } },
      { idempotencyKey: `refund_${payment.id}` },
    );
    if (refund.status === 'failed' || refund.status === 'canceled') throw new Error(`Stripe refund ${refund.status}`);
    return { reference: refund.id };
  }

  async cancelSubscription(reference: string, atPeriodEnd: boolean): Promise<void> {
    if (atPeriodEnd)
      await this.client.subscriptions.update(
        reference,
        { cancel_at_period_end: true },
        { idempotencyKey: `cancel_end_${reference}` },
      );
    else await this.client.subscriptions.cancel(reference, {}, { idempotencyKey: `cancel_now_${reference}` });
  }
}
