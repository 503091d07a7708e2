/**
 * One interface for every payment gateway. A gateway turns an order decided by the server
 * (amount and currency come from the plan row, never from the client) into something the payer
 * can pay (a KHQR, a Checkout page), and turns the gateway's answer — a signed webhook or a poll —
 * into a GatewayEvent. What an event does to a payment is decided in one place (service.ts).
 */
import type { GatewayName } from '../../config.ts';
import type { Currency } from '../money.ts';

export interface CheckoutOrder {
  paymentId: string;
  amountMinor: number;
  currency: Currency;
  planCode: string;
  planName: string;
  expiresAt: Date;
  /** The plan's period (a renewing card subscription bills once per period). */
  interval: 'month' | 'year';
  userId: string;
  /** Card only: renew by itself each period (a Stripe subscription) instead of one payment. */
  autoRenew?: boolean | undefined;
}

export interface CheckoutResult {
  /** The gateway's id for this payment (KHQR md5, Checkout Session id); unique across payments. */
  providerReference: string;
  khqr?: string;
  checkoutUrl?: string;
}

/**
 * paid/failed/expired: about one checkout payment. renewal_paid/renewal_failed: a renewing
 * subscription's invoice of a later period (a payment row is made for it). subscription_updated:
 * the gateway says whether the subscription ends at the period end (cancelled there).
 */
export type GatewayEventKind =
  'paid' | 'failed' | 'expired' | 'ignored' | 'renewal_paid' | 'renewal_failed' | 'subscription_updated';

/** A renewing subscription at the gateway, as an event names it. */
export interface GatewaySubscription {
  reference: string;
  customer?: string | undefined;
  /** The end of the period an invoice pays for. */
  periodEnd?: Date | undefined;
  cancelAtPeriodEnd?: boolean | undefined;
}

/** A gateway's statement about one payment. */
export interface GatewayEvent {
  /** Unique per gateway: a replay of the same event changes nothing. */
  eventId: string;
  kind: GatewayEventKind;
  /** The gateway's type name, for the ledger (e.g. checkout.session.completed). */
  type: string;
  providerReference?: string | undefined;
  paymentId?: string | undefined;
  /** What the gateway says was paid (minor units) — compared with the order, never trusted. */
  amountMinor?: number | null | undefined;
  currency?: string | undefined;
  reason?: string | undefined;
  /** The gateway's id of the money movement, kept for a refund (Stripe PaymentIntent). */
  paymentIntent?: string | undefined;
  subscription?: GatewaySubscription | undefined;
}

export class WebhookSignatureError extends Error {
  override name = 'WebhookSignatureError';
}

export interface PaymentGateway {
  readonly name: GatewayName;
  readonly currencies: readonly Currency[];
  createCheckout(order: CheckoutOrder): Promise<CheckoutResult>;
  /** Verifies and reads a webhook; throws WebhookSignatureError when it is not authentic. */
  parseWebhook?(rawBody: Buffer, headers: Record<string, string | string[] | undefined>): GatewayEvent;
  /** Asks the gateway whether a payment was made; null while it was not. */
  poll?(payment: { id: string; providerReference: string }): Promise<GatewayEvent | null>;
  /** Returns the money through the gateway; resolves with the gateway's refund id. */
  refund?(payment: {
    id: string;
    amountMinor: number;
    currency: string;
    paymentIntent: string;
  }): Promise<{ reference: string }>;
  /** Stops a renewing subscription at the gateway: at the period end, or now. */
  cancelSubscription?(reference: string, atPeriodEnd: boolean): Promise<void>;
}
