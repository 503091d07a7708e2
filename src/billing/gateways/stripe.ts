/**
 * Card payments through Stripe Checkout (one payment per period, like KHQR). A payment is
 * confirmed only by a signed webhook (`Stripe-Signature`, verified with the endpoint's secret
 * and Stripe's 5-minute tolerance); the return to success_url proves nothing.
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
}

export class StripeGateway implements PaymentGateway {
  readonly name = 'stripe' as const;
  readonly currencies = ['USD'] as const;
  private readonly client: Stripe;

  constructor(private readonly config: StripeConfig, private readonly publicUrl: string) {
    if (config.secretKey === undefined) throw new Error('DASTERN_STRIPE_SECRET_KEY is not set');
    const api = config.apiUrl === undefined ? undefined : new URL(config.apiUrl);
    this.client = new Stripe(config.secretKey, {
      maxNetworkRetries: 1,
      timeout: 15_000,
      ...(api ? { host: api.hostname, port: api.port === '' ? (api.protocol === 'https:' ? 443 : 80) : Number(api.port), protocol: api.protocol === 'https:' ? 'https' : 'http' } : {}),
    });
  }

  async createCheckout(order: CheckoutOrder): Promise<CheckoutResult> {
    const session = await this.client.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ quantity: 1, price_data: { currency: order.currency.toLowerCase(), unit_amount: order.amountMinor, product_data: { name: order.planName } } }],
      client_reference_id: order.paymentId,
      metadata: { payment_id: order.paymentId, plan_code: order.planCode },
      expires_at: Math.floor(order.expiresAt.getTime() / 1000),
      success_url: `${this.publicUrl}/billing/return?payment=${order.paymentId}`,
      cancel_url: `${this.publicUrl}/plans`,
    }, { idempotencyKey: `checkout_${order.paymentId}` });
    if (typeof session.id !== 'string' || typeof session.url !== 'string') throw new Error('Stripe returned no Checkout Session URL');
    return { providerReference: session.id, checkoutUrl: session.url };
  }

  parseWebhook(rawBody: Buffer, headers: Record<string, string | string[] | undefined>): GatewayEvent {
    const signature = headers['stripe-signature'];
    const secret = this.config.webhookSecret;
    if (typeof signature !== 'string' || secret === undefined) throw new WebhookSignatureError('missing Stripe-Signature');
    let event: Stripe.Event;
    try {
      event = this.client.webhooks.constructEvent(rawBody, signature, secret);
    } catch {
      throw new WebhookSignatureError('the Stripe signature does not match');
    }
    const object = event.data.object as SessionLike;
    const paymentId = typeof object.metadata?.payment_id === 'string' ? object.metadata.payment_id
      : typeof object.client_reference_id === 'string' ? object.client_reference_id : undefined;
    const base = {
      eventId: event.id, type: event.type, paymentId,
      providerReference: typeof object.id === 'string' ? object.id : undefined,
      amountMinor: typeof object.amount_total === 'number' && Number.isSafeInteger(object.amount_total) ? object.amount_total : null,
      currency: typeof object.currency === 'string' ? object.currency.toUpperCase() : undefined,
    };
    switch (event.type) {
      case 'checkout.session.completed':
        return { ...base, kind: object.payment_status === 'paid' || object.payment_status === 'no_payment_required' ? 'paid' : 'ignored' };
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
}
