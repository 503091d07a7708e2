/**
 * The sandbox gateway (development and tests; never offered in production): nothing to pay.
 * POST /payments/sandbox/:id/complete stands for the gateway's "paid" event and goes through
 * the same confirmation as a real gateway's.
 */
import type { CheckoutOrder, CheckoutResult, GatewayEvent, PaymentGateway } from './gateway.ts';

export class SandboxGateway implements PaymentGateway {
  readonly name = 'sandbox' as const;
  readonly currencies = ['USD', 'KHR'] as const;

  async createCheckout(order: CheckoutOrder): Promise<CheckoutResult> {
    return { providerReference: `sandbox_${order.paymentId}` };
  }

  /** The "paid" event for a sandbox payment: the amount the order asked for. */
  paidEvent(payment: { id: string; providerReference: string; amountMinor: number; currency: string }): GatewayEvent {
    return {
      eventId: `sandbox_paid_${payment.id}`,
      kind: 'paid',
      type: 'sandbox.paid',
      providerReference: payment.providerReference,
      paymentId: payment.id,
      amountMinor: payment.amountMinor,
      currency: payment.currency,
    };
  }
}
