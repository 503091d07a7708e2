/**
 * Bakong KHQR (the National Bank of Cambodia's QR payments). Checkout makes an individual KHQR
 * offline with `ts-khqr` (amount, currency, bill number = our payment id, expiry); the QR's md5
 * is the provider reference. There is no webhook: a pg-boss job polls the Bakong open API
 * (POST /v1/check_transaction_by_md5, bearer token) with back-off until it is paid or expires.
 */
import { KHQR, CURRENCY, TAG } from 'ts-khqr';
import type { BakongConfig } from '../../config.ts';
import { decimalToMinor, isCurrency, minorToDecimal } from '../money.ts';
import type { CheckoutOrder, CheckoutResult, GatewayEvent, PaymentGateway } from './gateway.ts';

interface BakongTransaction {
  hash?: unknown;
  toAccountId?: unknown;
  amount?: unknown;
  currency?: unknown;
}

interface BakongAnswer {
  responseCode?: unknown;
  errorCode?: unknown;
  responseMessage?: unknown;
  data?: BakongTransaction | null;
}

export class BakongError extends Error {
  override name = 'BakongError';
}

export class BakongGateway implements PaymentGateway {
  readonly name = 'bakong' as const;
  readonly currencies = ['USD', 'KHR'] as const;

  constructor(
    private readonly config: BakongConfig,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  async createCheckout(order: CheckoutOrder): Promise<CheckoutResult> {
    const accountID = this.config.accountId;
    if (accountID === undefined) throw new BakongError('DASTERN_BAKONG_ACCOUNT_ID is not set');
    const decimal = minorToDecimal(order.amountMinor, order.currency);
    const result = KHQR.generate({
      tag: TAG.INDIVIDUAL,
      accountID,
      merchantName: this.config.merchantName,
      merchantCity: this.config.merchantCity,
      currency: order.currency === 'USD' ? CURRENCY.USD : CURRENCY.KHR,
      // ts-khqr takes a JS number; the exact text it encodes is checked just below
      amount: Number(decimal),
      expirationTimestamp: order.expiresAt.getTime(),
      additionalData: {
        billNumber: order.paymentId.replace(/-/g, '').slice(0, 25),
        purposeOfTransaction: order.planCode.slice(0, 25),
      },
    });
    const data = result.data;
    if (result.status.code !== 0 || data === null)
      throw new BakongError(`KHQR not generated: ${String(result.status.message)}`);
    const parsed = KHQR.parse(data.qr).data;
    if (parsed === null || decimalToMinor(parsed.transactionAmount ?? '', order.currency) !== order.amountMinor) {
      throw new BakongError('the KHQR does not carry the exact amount of the order');
    }
    return { providerReference: data.md5, khqr: data.qr };
  }

  async poll(payment: { id: string; providerReference: string }): Promise<GatewayEvent | null> {
    const token = this.config.token;
    if (token === undefined) throw new BakongError('DASTERN_BAKONG_TOKEN is not set');
    const res = await this.fetchImpl(`${this.config.apiUrl}/v1/check_transaction_by_md5`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ md5: payment.providerReference }),
      signal: AbortSignal.timeout(15_000),
    });
    if (!res.ok) throw new BakongError(`Bakong answered HTTP ${res.status}`);
    const answer = (await res.json()) as BakongAnswer;
    if (answer.responseCode === 0 && answer.data && typeof answer.data === 'object') {
      const t = answer.data;
      const currency = typeof t.currency === 'string' ? t.currency.toUpperCase() : '';
      const amount = typeof t.amount === 'number' || typeof t.amount === 'string' ? t.amount : '';
      const rightAccount = t.toAccountId === this.config.accountId;
      return {
        eventId: `bakong_${typeof t.hash === 'string' && t.hash !== '' ? t.hash : payment.providerReference}`.slice(
          0,
          255,
        ),
        kind: 'paid',
        type: 'check_transaction_by_md5',
        providerReference: payment.providerReference,
        paymentId: payment.id,
        amountMinor: rightAccount && isCurrency(currency) ? decimalToMinor(amount, currency) : null,
        currency,
        reason: rightAccount ? undefined : 'paid to another Bakong account',
      };
    }
    // responseCode 1 with errorCode 1: "Transaction could not be found" — not paid yet
    if (answer.responseCode === 1 && answer.errorCode === 1) return null;
    throw new BakongError(`Bakong refused the check (errorCode ${String(answer.errorCode)})`);
  }
}
