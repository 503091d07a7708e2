/**
 * Card renewals through Stripe (Checkout in subscription mode against the local fake Stripe API;
 * webhooks signed with the SDK's test-header helper): the first period by the Checkout Session,
 * later ones by invoice.paid once per invoice (amount checked against the plan), a failed
 * renewal recorded, cancellation at the gateway and from the gateway; refunds through the
 * Refunds API (and Bakong's recorded as manual).
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SignedIn } from '../support/api.ts';
import { BILLING_QUEUES } from '../../src/billing/jobs.ts';
import {
  eventually,
  invoiceEvent,
  sessionEvent,
  subscriptionEvent,
  UNREFUNDABLE_INTENT,
  useBilling,
} from './support.ts';

const b = useBilling();

interface Sub {
  tier: string;
  status: string;
  auto_renew: boolean;
  gateway: string | null;
  cancel_at_period_end: boolean;
  current_period_end: string;
}
interface Payment {
  id: string;
  status: string;
  amount: number;
  renewal: boolean;
  receipt_number: string | null;
  refund_method: string | null;
  refund_reference: string | null;
  history: { to_status: string; reason: string | null }[];
}

const me = async (p: SignedIn): Promise<Sub> =>
  (await b().call('GET', '/subscriptions/me', { token: p.access })).json<Sub>();

/** A patient with a renewing card subscription: checkout (auto_renew) and its completed Session. */
async function renewing(): Promise<{ p: SignedIn; paymentId: string; sub: string; intent: string }> {
  const x = b();
  const p = await x.signUp();
  const res = await x.call('POST', '/subscriptions/checkout', {
    token: p.access,
    body: { plan_code: 'premium_monthly', gateway: 'stripe', auto_renew: true },
  });
  expect(res.statusCode, res.body).toBe(201);
  const body = res.json<{ payment_id: string; checkout_url: string }>();
  const session = /\/(cs_test_[A-Za-z0-9_]+)$/.exec(body.checkout_url)?.[1] ?? '';
  const sub = `sub_test_${randomBytes(6).toString('hex')}`;
  const intent = `pi_test_${randomBytes(6).toString('hex')}`;
  const done = await x.stripeWebhook(
    sessionEvent('checkout.session.completed', {
      id: session,
      paymentId: body.payment_id,
      amount: 50,
      subscription: sub,
      paymentIntent: intent,
    }),
  );
  expect(done.json()).toEqual({ received: true, outcome: 'completed' });
  return { p, paymentId: body.payment_id, sub, intent };
}

const periodEnd = async (userId: string): Promise<Date | undefined> =>
  (
    await b().h.t.owner.query<{ end: Date }>(
      `SELECT current_period_end AS "end" FROM user_subscriptions WHERE user_id = $1`,
      [userId],
    )
  ).rows[0]?.end;

/** One sweep job on the real queue, waited for. */
async function sweep(): Promise<void> {
  const x = b();
  await x.startWorkers();
  const id = await x.full.boss.send(BILLING_QUEUES.sweep, {});
  if (id === null) throw new Error('sweep job not queued');
  await eventually(async () => {
    const job = await x.full.boss.getJobById(BILLING_QUEUES.sweep, id);
    if (job?.state === 'failed') throw new Error('sweep job failed');
    return job?.state === 'completed' ? true : undefined;
  }, 'the sweep job');
}

describe('Stripe card renewals', () => {
  it('checkout with auto_renew opens a Checkout Session in subscription mode; the completed Session starts a renewing subscription', async () => {
    const x = b();
    const { p, sub } = await renewing();
    const sent = new URLSearchParams(
      x.stripe.requests.filter((r) => r.path === '/v1/checkout/sessions').at(-1)?.body ?? '',
    );
    expect(sent.get('mode')).toBe('subscription');
    expect(sent.get('line_items[0][price_data][recurring][interval]')).toBe('month');
    expect(sent.get('line_items[0][price_data][unit_amount]')).toBe('50');
    expect(sent.get('subscription_data[metadata][user_id]')).toBe(p.id);
    expect(await me(p)).toMatchObject({
      tier: 'premium',
      auto_renew: true,
      gateway: 'stripe',
      cancel_at_period_end: false,
    });
    const ref = await x.h.t.owner.query(
      'SELECT 1 FROM user_subscriptions WHERE user_id = $1 AND provider_subscription_ref = $2',
      [p.id, sub],
    );
    expect(ref.rowCount).toBe(1);
    // a second renewing subscription would charge her twice
    const again = await x.call('POST', '/subscriptions/checkout', {
      token: p.access,
      body: { plan_code: 'premium_monthly', gateway: 'stripe', auto_renew: true },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json<{ code: string }>().code).toBe('already_renewing');
    const khqr = await x.call('POST', '/subscriptions/checkout', {
      token: (await x.signUp()).access,
      body: { plan_code: 'premium_monthly', gateway: 'bakong', auto_renew: true },
    });
    expect(khqr.json<{ code: string }>().code).toBe('auto_renew_unavailable');
  });

  it("invoice.paid extends once per invoice (the first invoice is the Session's; duplicates and other events for it change nothing)", async () => {
    const x = b();
    const { p, sub } = await renewing();
    const start = await periodEnd(p.id);
    const first = await x.stripeWebhook(
      invoiceEvent('invoice.paid', {
        id: 'in_first_' + sub,
        subscription: sub,
        amount: 50,
        reason: 'subscription_create',
      }),
    );
    expect(first.json()).toEqual({ received: true, outcome: 'ignored' });
    expect(await periodEnd(p.id)).toEqual(start);

    const next = new Date((start ?? new Date()).getTime() + 30 * 86_400_000);
    const paid = invoiceEvent('invoice.paid', {
      id: 'in_cycle_' + sub,
      subscription: sub,
      amount: 50,
      periodEnd: next,
    });
    expect((await x.stripeWebhook(paid)).json()).toEqual({ received: true, outcome: 'completed' });
    expect(await periodEnd(p.id)).toEqual(new Date(Math.floor(next.getTime() / 1000) * 1000));
    expect((await x.stripeWebhook(paid)).json()).toEqual({ received: true, outcome: 'duplicate' });
    const sameInvoice = await x.stripeWebhook(
      invoiceEvent('invoice.paid', { id: 'in_cycle_' + sub, subscription: sub, amount: 50, periodEnd: next }),
    );
    expect(sameInvoice.json()).toEqual({ received: true, outcome: 'already_done' });
    const rows = await x.h.t.owner.query<{ id: string; status: string }>(
      `SELECT id, status::text FROM payment_transactions WHERE user_id = $1 AND provider_reference = $2`,
      [p.id, 'in_cycle_' + sub],
    );
    expect(rows.rows).toHaveLength(1);
    const payment = (await x.call('GET', `/payments/${rows.rows[0]?.id}`, { token: p.access })).json<Payment>();
    expect(payment).toMatchObject({ status: 'completed', amount: 50, renewal: true });
    expect(payment.receipt_number).toMatch(/^DT-\d{4}-\d{6}$/);
  });

  it('two events for one invoice at once (invoice.paid delivered twice under two ids): one payment, one extension', async () => {
    const x = b();
    const { p, sub } = await renewing();
    const start = await periodEnd(p.id);
    const invoice = 'in_race_' + sub;
    // whole seconds, as Stripe sends them: a second extension would add a month past this
    const next = new Date(Math.floor(((start ?? new Date()).getTime() + 30 * 86_400_000) / 1000) * 1000);
    const outcomes = await Promise.all(
      [1, 2, 3].map(
        async () =>
          (
            await x.stripeWebhook(
              invoiceEvent('invoice.paid', { id: invoice, subscription: sub, amount: 50, periodEnd: next }),
            )
          ).json<{ outcome: string }>().outcome,
      ),
    );
    expect(outcomes.sort()).toEqual(['already_done', 'already_done', 'completed']);
    const rows = await x.h.t.owner.query('SELECT 1 FROM payment_transactions WHERE provider_reference = $1', [invoice]);
    expect(rows.rowCount).toBe(1);
    expect(await periodEnd(p.id)).toEqual(next);
  });

  it('an invoice whose amount differs from the plan is refused and alerted; nothing is extended', async () => {
    const x = b();
    const { p, sub } = await renewing();
    const start = await periodEnd(p.id);
    const res = await x.stripeWebhook(
      invoiceEvent('invoice.paid', {
        id: 'in_bad_' + sub,
        subscription: sub,
        amount: 5,
        periodEnd: new Date(Date.now() + 60 * 86_400_000),
      }),
    );
    expect(res.json()).toEqual({ received: true, outcome: 'amount_mismatch' });
    expect(await periodEnd(p.id)).toEqual(start);
    const admin = await x.admin();
    const alerts = (await x.call('GET', '/admin/billing/alerts', { token: admin.access })).json<{
      items: { kind: string; details: Record<string, unknown> }[];
    }>();
    expect(
      alerts.items.some(
        (a) => a.kind === 'amount_mismatch' && a.details.invoice === 'in_bad_' + sub && a.details.received_amount === 5,
      ),
    ).toBe(true);
  });

  it('invoice.payment_failed is recorded (payment failed, past due, she is told); a later retry that pays the invoice completes it', async () => {
    const x = b();
    const { p, sub } = await renewing();
    const invoice = 'in_retry_' + sub;
    expect(
      (
        await x.stripeWebhook(invoiceEvent('invoice.payment_failed', { id: invoice, subscription: sub, amount: 50 }))
      ).json(),
    ).toEqual({ received: true, outcome: 'failed' });
    const failed = await x.h.t.owner.query<{ id: string; status: string; failure_reason: string }>(
      `SELECT id, status::text, failure_reason FROM payment_transactions WHERE provider_reference = $1`,
      [invoice],
    );
    expect(failed.rows[0]).toMatchObject({ status: 'failed' });
    expect((await me(p)).status).toBe('past_due');
    const note = await x.h.t.owner.query(
      `SELECT 1 FROM notifications WHERE user_id = $1 AND message_key = 'renewal_failed'`,
      [p.id],
    );
    expect(note.rowCount).toBe(1);
    const stats = (await x.call('GET', '/admin/billing/stats', { token: (await x.admin()).access })).json<{
      past_due_subscriptions: number;
      failed_payments_last_30_days: number;
    }>();
    expect(stats.past_due_subscriptions).toBeGreaterThanOrEqual(1);
    expect(stats.failed_payments_last_30_days).toBeGreaterThanOrEqual(1);
    expect(
      (await x.stripeWebhook(invoiceEvent('invoice.paid', { id: invoice, subscription: sub, amount: 50 }))).json(),
    ).toEqual({ received: true, outcome: 'completed' });
    const paid = (await x.call('GET', `/payments/${failed.rows[0]?.id}`, { token: p.access })).json<Payment>();
    expect(paid.history.map((h) => h.to_status)).toEqual(['pending', 'failed', 'completed']);
    expect(await me(p)).toMatchObject({ tier: 'premium', status: 'active' });
  });

  it("cancel stops the renewal at Stripe (cancel_at_period_end) and keeps Premium to the end; Stripe's own deletion is mirrored", async () => {
    const x = b();
    const { p, sub } = await renewing();
    const res = await x.call('POST', '/subscriptions/me/cancel', { token: p.access });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<Sub>()).toMatchObject({ tier: 'premium', cancel_at_period_end: true, auto_renew: false });
    const call = x.stripe.requests.find((r) => r.method === 'POST' && r.path === `/v1/subscriptions/${sub}`);
    expect(new URLSearchParams(call?.body ?? '').get('cancel_at_period_end')).toBe('true');

    const other = await renewing();
    const deleted = await x.stripeWebhook(subscriptionEvent('customer.subscription.deleted', other.sub, false));
    expect(deleted.json()).toEqual({ received: true, outcome: 'updated' });
    expect(await me(other.p)).toMatchObject({ tier: 'premium', cancel_at_period_end: true, auto_renew: false });
  });
});

describe('the sweep and a renewing subscription', () => {
  it('no renewal reminder (nothing to do for her); not ended while Stripe may still bill (3 days), ended after', async () => {
    const x = b();
    const { p } = await renewing();
    const setEnd = (sql: string) =>
      x.h.t.owner.query(
        `UPDATE user_subscriptions SET current_period_start = now() - interval '40 days', current_period_end = ${sql} WHERE user_id = $1`,
        [p.id],
      );
    await setEnd(`now() + interval '2 days'`);
    await sweep();
    const reminders = await x.h.t.owner.query(
      `SELECT 1 FROM notifications WHERE user_id = $1 AND message_key = 'renewal_reminder'`,
      [p.id],
    );
    expect(reminders.rowCount).toBe(0);
    await setEnd(`now() - interval '1 hour'`);
    await sweep();
    expect((await me(p)).status).toBe('active');
    await setEnd(`now() - interval '4 days'`);
    await sweep();
    expect((await me(p)).tier).toBe('free');
    const ended = await x.h.t.owner.query<{ status: string }>(
      `SELECT status::text FROM user_subscriptions WHERE user_id = $1`,
      [p.id],
    );
    expect(ended.rows[0]?.status).toBe('expired');
  });
});

describe('refunds through the gateway', () => {
  it("a card payment is refunded through Stripe's Refunds API: refunded, premium ends, the renewing subscription is cancelled, audited", async () => {
    const x = b();
    const admin = await x.admin();
    const { p, paymentId, sub, intent } = await renewing();
    const res = await x.call('POST', `/payments/${paymentId}/refund`, {
      token: admin.access,
      body: { reason: 'asked by the patient' },
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<Payment>();
    expect(body).toMatchObject({ status: 'refunded', refund_method: 'gateway' });
    expect(body.refund_reference).toMatch(/^re_test_/);
    const refund = x.stripe.requests.find(
      (r) => r.path === '/v1/refunds' && new URLSearchParams(r.body).get('payment_intent') === intent,
    );
    expect(new URLSearchParams(refund?.body ?? '').get('amount')).toBe('50');
    expect(refund?.headers['idempotency-key']).toBe(`refund_${paymentId}`);
    expect(x.stripe.requests.some((r) => r.method === 'DELETE' && r.path === `/v1/subscriptions/${sub}`)).toBe(true);
    expect((await me(p)).tier).toBe('free');
    const audit = await x.h.t.owner.query<{ status: string }>(
      `SELECT new_values ->> 'status' AS status FROM audit_logs WHERE table_name = 'payment_transactions' AND resource_id = $1 ORDER BY seq`,
      [paymentId],
    );
    expect(audit.rows.map((a) => a.status)).toContain('refunded');
    expect(
      (await x.call('POST', `/payments/${paymentId}/refund`, { token: admin.access, body: { reason: 'again' } })).json<{
        code: string;
      }>().code,
    ).toBe('not_refundable');
    const month = new Date()
      .toLocaleString('en-CA', { timeZone: 'Asia/Phnom_Penh', year: 'numeric', month: '2-digit' })
      .replace('/', '-');
    const stats = (await x.call('GET', '/admin/billing/stats', { token: admin.access })).json<{
      refunds_by_month: { month: string; currency: string; amount: number; count: number }[];
      auto_renewing_subscriptions: number;
    }>();
    expect(
      stats.refunds_by_month.find((r) => r.month === month && r.currency === 'USD')?.amount,
    ).toBeGreaterThanOrEqual(50);
    expect(stats.auto_renewing_subscriptions).toBeGreaterThanOrEqual(1);
  });

  it('a refund the gateway refuses answers 502 refund_failed and changes nothing', async () => {
    const x = b();
    const admin = await x.admin();
    const p = await x.signUp();
    const res = await x.call('POST', '/subscriptions/checkout', {
      token: p.access,
      body: { plan_code: 'premium_monthly', gateway: 'stripe' },
    });
    const { payment_id: paymentId, checkout_url: url } = res.json<{ payment_id: string; checkout_url: string }>();
    const session = /\/(cs_test_[A-Za-z0-9_]+)$/.exec(url)?.[1] ?? '';
    await x.stripeWebhook(
      sessionEvent('checkout.session.completed', {
        id: session,
        paymentId,
        amount: 50,
        paymentIntent: UNREFUNDABLE_INTENT,
      }),
    );
    const refused = await x.call('POST', `/payments/${paymentId}/refund`, {
      token: admin.access,
      body: { reason: 'asked by the patient' },
    });
    expect(refused.statusCode).toBe(502);
    expect(refused.json<{ code: string }>().code).toBe('refund_failed');
    expect((await x.call('GET', `/payments/${paymentId}`, { token: p.access })).json<Payment>().status).toBe(
      'completed',
    );
    expect((await me(p)).tier).toBe('premium');
  });

  it('a Bakong KHQR payment (no refund API) is recorded as a manual refund, with that said in its history', async () => {
    const x = b();
    await x.startWorkers();
    const admin = await x.admin();
    const p = await x.signUp();
    const res = await x.call('POST', '/subscriptions/checkout', {
      token: p.access,
      body: { plan_code: 'premium_monthly', gateway: 'bakong', currency: 'KHR' },
    });
    expect(res.statusCode, res.body).toBe(201);
    const { payment_id: paymentId, khqr_md5: md5 } = res.json<{ payment_id: string; khqr_md5: string }>();
    x.bakongPaid.set(md5, { amount: 2000, currency: 'KHR' });
    await eventually(
      async () =>
        (await x.call('GET', `/payments/${paymentId}`, { token: p.access })).json<Payment>().status === 'completed'
          ? true
          : undefined,
      'the Bakong poll',
    );
    const refunded = await x.call('POST', `/payments/${paymentId}/refund`, {
      token: admin.access,
      body: { reason: 'paid twice' },
    });
    expect(refunded.statusCode, refunded.body).toBe(200);
    const body = refunded.json<Payment>();
    expect(body).toMatchObject({ status: 'refunded', refund_method: 'manual', refund_reference: null });
    expect(body.history.at(-1)?.reason).toMatch(/^manual refund \(Bakong has no refund API/);
    expect((await me(p)).tier).toBe('free');
  });
});
