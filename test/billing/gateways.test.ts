/**
 * The real gateway clients against local fakes of the third parties: Stripe Checkout (the SDK
 * against a fake API; confirmation only by webhooks signed with the SDK's test-header helper) and
 * Bakong KHQR (a real KHQR from ts-khqr; confirmation by the pg-boss poll job against a fake
 * Bakong API). Duplicates, replays, forgeries, wrong amounts, and concurrent confirmations.
 */
import { describe, expect, it } from 'vitest';
import { KHQR } from 'ts-khqr';
import type { SignedIn } from '../support/api.ts';
import { BAKONG_ACCOUNT, BAKONG_TOKEN, eventually, sessionEvent, useBilling } from './support.ts';

const b = useBilling();

interface PaymentBody {
  id: string;
  status: string;
  amount: number;
  currency: string;
  history: { to_status: string; source: string }[];
}

async function subscription(userId: string): Promise<{ start: Date; end: Date } | undefined> {
  const r = await b().h.t.owner.query<{ start: Date; end: Date }>(
    `SELECT current_period_start AS start, current_period_end AS "end" FROM user_subscriptions WHERE user_id = $1 AND status = 'active'`,
    [userId],
  );
  return r.rows[0];
}

async function monthsBetween(start: Date | undefined, end: Date | undefined, months: number): Promise<boolean> {
  const r = await b().h.t.owner.query<{ ok: boolean }>(
    `SELECT $2::timestamptz = $1::timestamptz + make_interval(months => $3) AS ok`,
    [start, end, months],
  );
  return r.rows[0]?.ok ?? false;
}

async function stripeCheckout(p: SignedIn): Promise<{ paymentId: string; sessionId: string }> {
  const x = b();
  const res = await x.call('POST', '/subscriptions/checkout', {
    token: p.access,
    body: { plan_code: 'premium_monthly', gateway: 'stripe' },
  });
  expect(res.statusCode, res.body).toBe(201);
  const body = res.json<{ payment_id: string; checkout_url: string; amount: number; currency: string }>();
  expect(body).toMatchObject({ amount: 50, currency: 'USD' });
  const sessionId = /\/(cs_test_[A-Za-z0-9_]+)$/.exec(body.checkout_url)?.[1];
  if (sessionId === undefined) throw new Error(`no session in ${body.checkout_url}`);
  return { paymentId: body.payment_id, sessionId };
}

describe('Stripe Checkout, confirmed only by signed webhooks', () => {
  it('creates the Checkout Session with the server-decided amount through the SDK', async () => {
    const x = b();
    const p = await x.signUp();
    const { paymentId } = await stripeCheckout(p);
    const sent = new URLSearchParams(x.stripe.requests.at(-1)?.body ?? '');
    expect(sent.get('line_items[0][price_data][unit_amount]')).toBe('50');
    expect(sent.get('line_items[0][price_data][currency]')).toBe('usd');
    expect(sent.get('client_reference_id')).toBe(paymentId);
    expect(x.stripe.requests.at(-1)?.headers['idempotency-key']).toBe(`checkout_${paymentId}`);
    const khr = await x.call('POST', '/subscriptions/checkout', {
      token: p.access,
      body: { plan_code: 'premium_monthly', gateway: 'stripe', currency: 'KHR' },
    });
    expect(khr.json<{ code: string }>().code).toBe('currency_not_supported');
  });

  it('refuses a wrong signature, a tampered body, a stale signature and a missing one with 400; nothing changes', async () => {
    const x = b();
    const p = await x.signUp();
    const { paymentId, sessionId } = await stripeCheckout(p);
    const event = sessionEvent('checkout.session.completed', { id: sessionId, paymentId, amount: 50 });
    const wrong = await x.stripeWebhook(event, { secret: 'whsec_notTheEndpointSecret' });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json<{ code: string }>().code).toBe('invalid_signature');
    const tampered = await x.stripeWebhook(
      sessionEvent('checkout.session.completed', { id: sessionId, paymentId, amount: 5000 }, 'evt_tampered'),
      { tamper: (s) => s.replace('"amount_total":5000', '"amount_total":50') },
    );
    expect(tampered.statusCode).toBe(400);
    const stale = await x.stripeWebhook(event, { timestamp: Math.floor(Date.now() / 1000) - 3600 });
    expect(stale.statusCode).toBe(400);
    const unsigned = await x.call('POST', '/webhooks/stripe', {
      payload: JSON.stringify(event),
      headers: { 'content-type': 'application/json' },
    });
    expect(unsigned.statusCode).toBe(400);
    expect((await x.call('GET', `/payments/${paymentId}`, { token: p.access })).json<PaymentBody>().status).toBe(
      'pending',
    );
    expect(await subscription(p.id)).toBeUndefined();
    const ledger = await x.h.t.owner.query('SELECT 1 FROM payment_webhook_events WHERE payment_id = $1', [paymentId]);
    expect(ledger.rowCount).toBe(0);
    expect(
      (
        await x.call('POST', '/webhooks/nosuchgateway', {
          payload: '{}',
          headers: { 'content-type': 'application/json' },
        })
      ).statusCode,
    ).toBe(404);
  });

  it('the same webhook delivered twice: one payment, one extension', async () => {
    const x = b();
    const p = await x.signUp();
    const { paymentId, sessionId } = await stripeCheckout(p);
    const event = sessionEvent('checkout.session.completed', { id: sessionId, paymentId, amount: 50 });
    const first = await x.stripeWebhook(event);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({ received: true, outcome: 'completed' });
    const after = await subscription(p.id);
    expect(await monthsBetween(after?.start, after?.end, 1)).toBe(true);
    const again = await x.stripeWebhook(event);
    expect(again.json()).toEqual({ received: true, outcome: 'duplicate' });
    // Stripe may also send a second event about the same session: still one extension
    const other = await x.stripeWebhook(
      sessionEvent('checkout.session.async_payment_succeeded', { id: sessionId, paymentId, amount: 50 }),
    );
    expect(other.json()).toEqual({ received: true, outcome: 'already_done' });
    expect((await subscription(p.id))?.end.getTime()).toBe(after?.end.getTime());
    const pay = (await x.call('GET', `/payments/${paymentId}`, { token: p.access })).json<PaymentBody>();
    expect(pay.history.filter((h) => h.to_status === 'completed')).toHaveLength(1);
    const rows = await x.h.t.owner.query('SELECT 1 FROM payment_transactions WHERE user_id = $1', [p.id]);
    expect(rows.rowCount).toBe(1);
  });

  it('refuses and alerts a webhook whose amount or currency differs from the order', async () => {
    const x = b();
    const p = await x.signUp();
    const { paymentId, sessionId } = await stripeCheckout(p);
    const low = await x.stripeWebhook(
      sessionEvent('checkout.session.completed', { id: sessionId, paymentId, amount: 1 }),
    );
    expect(low.json()).toEqual({ received: true, outcome: 'amount_mismatch' });
    const eur = await x.stripeWebhook(
      sessionEvent('checkout.session.completed', { id: sessionId, paymentId, amount: 50, currency: 'eur' }),
    );
    expect(eur.json()).toEqual({ received: true, outcome: 'amount_mismatch' });
    expect((await x.call('GET', `/payments/${paymentId}`, { token: p.access })).json<PaymentBody>().status).toBe(
      'pending',
    );
    expect(await subscription(p.id)).toBeUndefined();
    const admin = await x.admin();
    const alerts = (await x.call('GET', '/admin/billing/alerts', { token: admin.access })).json<{
      items: { kind: string; payment_id: string; details: Record<string, unknown> }[];
    }>();
    const mine = alerts.items.filter((a) => a.payment_id === paymentId);
    expect(mine.map((a) => a.kind)).toEqual(['amount_mismatch', 'amount_mismatch']);
    expect(mine.map((a) => [a.details.received_amount, a.details.received_currency]).sort()).toEqual([
      [1, 'USD'],
      [50, 'EUR'],
    ]);
    expect((await x.call('GET', '/admin/billing/alerts', { token: p.access })).statusCode).toBe(403);
  });

  it('a failed or expired session ends the pending payment', async () => {
    const x = b();
    const p = await x.signUp();
    const { paymentId, sessionId } = await stripeCheckout(p);
    const expired = await x.stripeWebhook(
      sessionEvent('checkout.session.expired', { id: sessionId, paymentId, amount: 50, paid: false }),
    );
    expect(expired.json()).toEqual({ received: true, outcome: 'expired' });
    expect((await x.call('GET', `/payments/${paymentId}`, { token: p.access })).json<PaymentBody>().status).toBe(
      'expired',
    );
  });
});

describe('concurrent confirmations of one payment', () => {
  it('five sandbox completions at once extend the subscription once', async () => {
    const x = b();
    const p = await x.signUp();
    const first = (
      await x.call('POST', '/subscriptions/checkout', {
        token: p.access,
        body: { plan_code: 'premium_monthly', gateway: 'sandbox' },
      })
    ).json<{ payment_id: string }>();
    await x.call('POST', `/payments/sandbox/${first.payment_id}/complete`, { token: p.access });
    const before = await subscription(p.id);
    const second = (
      await x.call('POST', '/subscriptions/checkout', {
        token: p.access,
        body: { plan_code: 'premium_monthly', gateway: 'sandbox' },
      })
    ).json<{ payment_id: string }>();
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        x.call('POST', `/payments/sandbox/${second.payment_id}/complete`, { token: p.access }),
      ),
    );
    expect(results.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200]);
    const after = await subscription(p.id);
    expect(await monthsBetween(before?.end, after?.end, 1)).toBe(true);
    const history = await x.h.t.owner.query(
      `SELECT 1 FROM payment_status_history WHERE payment_id = $1 AND to_status = 'completed'`,
      [second.payment_id],
    );
    expect(history.rowCount).toBe(1);
  });

  it('two different Stripe events for one session at once extend it once', async () => {
    const x = b();
    const p = await x.signUp();
    const { paymentId, sessionId } = await stripeCheckout(p);
    const [a, c] = await Promise.all([
      x.stripeWebhook(sessionEvent('checkout.session.completed', { id: sessionId, paymentId, amount: 50 })),
      x.stripeWebhook(
        sessionEvent('checkout.session.async_payment_succeeded', { id: sessionId, paymentId, amount: 50 }),
      ),
    ]);
    expect([a?.json<{ outcome: string }>().outcome, c?.json<{ outcome: string }>().outcome].sort()).toEqual([
      'already_done',
      'completed',
    ]);
    const sub = await subscription(p.id);
    expect(await monthsBetween(sub?.start, sub?.end, 1)).toBe(true);
  });
});

describe('Bakong KHQR, confirmed by the polling job', () => {
  it('gives a valid KHQR with the exact amount, and the job confirms it once the fake Bakong has the transaction', async () => {
    const x = b();
    const p = await x.signUp();
    const res = await x.call('POST', '/subscriptions/checkout', {
      token: p.access,
      body: { plan_code: 'premium_monthly', gateway: 'bakong', currency: 'KHR' },
    });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json<{ payment_id: string; khqr: string; khqr_md5: string; amount: number; currency: string }>();
    expect(body).toMatchObject({ amount: 2000, currency: 'KHR' });
    expect(KHQR.verify(body.khqr).isValid).toBe(true);
    const parsed = KHQR.parse(body.khqr).data;
    expect(parsed).toMatchObject({
      bakongAccountID: BAKONG_ACCOUNT,
      transactionAmount: '2000',
      transactionCurrency: '116',
    });

    const seenBefore = x.bakong.requests.length;
    await x.startWorkers();
    await x.bakong.seen(seenBefore + 1); // the job asked once: not paid yet
    const asked = x.bakong.requests.slice(seenBefore);
    expect(asked[0]?.headers.authorization).toBe(`Bearer ${BAKONG_TOKEN}`);
    expect(JSON.parse(asked[0]?.body ?? '{}')).toEqual({ md5: body.khqr_md5 });
    expect((await x.call('GET', `/payments/${body.payment_id}`, { token: p.access })).json<PaymentBody>().status).toBe(
      'pending',
    );

    x.bakongPaid.set(body.khqr_md5, { amount: 2000, currency: 'KHR' });
    const paid = await eventually(async () => {
      const pay = (await x.call('GET', `/payments/${body.payment_id}`, { token: p.access })).json<PaymentBody>();
      return pay.status === 'pending' ? undefined : pay;
    }, 'the KHQR payment to be confirmed');
    expect(paid.status).toBe('completed');
    expect(paid.history.at(-1)).toMatchObject({ to_status: 'completed', source: 'bakong' });
    expect((await x.call('GET', '/subscriptions/me', { token: p.access })).json()).toMatchObject({
      tier: 'premium',
      plan_code: 'premium_monthly',
    });
    expect(x.bakong.requests.length - seenBefore).toBeGreaterThanOrEqual(2);
  });

  it('refuses a Bakong transaction with another amount (alert), and a USD KHQR carries 0.50', async () => {
    const x = b();
    const p = await x.signUp();
    const body = (
      await x.call('POST', '/subscriptions/checkout', {
        token: p.access,
        body: { plan_code: 'premium_monthly', gateway: 'bakong' },
      })
    ).json<{ payment_id: string; khqr: string; khqr_md5: string }>();
    expect(KHQR.parse(body.khqr).data).toMatchObject({ transactionAmount: '0.50', transactionCurrency: '840' });
    x.bakongPaid.set(body.khqr_md5, { amount: 0.05, currency: 'USD' });
    await x.startWorkers();
    await eventually(async () => {
      const r = await x.h.t.owner.query(
        `SELECT 1 FROM billing_alerts WHERE payment_id = $1 AND kind = 'amount_mismatch'`,
        [body.payment_id],
      );
      return (r.rowCount ?? 0) > 0 ? true : undefined;
    }, 'the mismatch alert');
    expect((await x.call('GET', `/payments/${body.payment_id}`, { token: p.access })).json<PaymentBody>().status).toBe(
      'pending',
    );
    expect(await subscription(p.id)).toBeUndefined();
  });
});
