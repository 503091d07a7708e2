/**
 * The money path through HTTP on a real database: free limit → 402 with a link to /plans →
 * sandbox checkout → completed → premium → the 11th prescription accepted; the end of the paid
 * period (the sweep job on the real queue) → back to free with nothing deleted and the
 * prescriptions over the limit read-only; cancel at period end; an admin refund.
 */
import { describe, expect, it } from 'vitest';
import { BILLING_QUEUES } from '../../src/billing/jobs.ts';
import type { SignedIn } from '../support/api.ts';
import { eventually, useBilling } from './support.ts';

const b = useBilling();

interface PaymentBody {
  id: string;
  status: string;
  amount: number;
  currency: string;
  history: { from_status: string | null; to_status: string; source: string }[];
}

async function periodEnd(userId: string): Promise<{ start: Date; end: Date; status: string } | undefined> {
  const r = await b().h.t.owner.query<{ start: Date; end: Date; status: string }>(
    `SELECT current_period_start AS start, current_period_end AS "end", status::text AS status FROM user_subscriptions WHERE user_id = $1 ORDER BY created_at DESC LIMIT 1`,
    [userId],
  );
  return r.rows[0];
}

/** Sends one sweep job to the real queue and waits until the worker has finished it. */
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

describe('free tier → sandbox payment → premium → end of period', () => {
  let patient: SignedIn;
  const prescriptionIds: string[] = [];

  it('refuses the 11th prescription of a free patient with 402 free_tier_limit and a link to /plans', async () => {
    const x = b();
    patient = await x.signUp({ language: 'en' }); // the notifications are read in English below
    for (let i = 0; i < 10; i++) {
      const res = await x.upload(patient.access);
      expect(res.statusCode, res.body).toBe(202);
      prescriptionIds.push(res.json<{ id: string }>().id);
    }
    const eleventh = await x.upload(patient.access);
    expect(eleventh.statusCode).toBe(402);
    expect(eleventh.headers['content-type']).toContain('application/problem+json');
    const problem = eleventh.json<{ code: string; detail: string }>();
    expect(problem.code).toBe('free_tier_limit');
    expect(problem.detail).toContain('/api/v1/plans');
    expect(eleventh.headers.link).toBe('</api/v1/plans>; rel="payment"');
    const me = await x.call('GET', '/subscriptions/me', { token: patient.access });
    expect(me.json()).toMatchObject({ tier: 'free', plan_code: 'free', cancel_at_period_end: false });
  });

  it('lists the plans with integer prices in cents and riel', async () => {
    const res = await b().call('GET', '/plans');
    expect(res.statusCode).toBe(200);
    const body = res.json<{
      items: { code: string; price_usd: number; price_khr: number; interval: string }[];
      gateways: string[];
    }>();
    const byCode = new Map(body.items.map((p) => [p.code, p]));
    expect(byCode.get('premium_monthly')).toMatchObject({ price_usd: 50, price_khr: 2000, interval: 'month' });
    expect(byCode.get('premium_yearly')).toMatchObject({ price_usd: 500, price_khr: 20000, interval: 'year' });
    expect(byCode.get('free')).toMatchObject({ price_usd: 0, price_khr: 0 });
    expect(body.gateways.sort()).toEqual(['bakong', 'sandbox', 'stripe']);
  });

  it('checks out with the sandbox, completes, becomes premium and may add the 11th', async () => {
    const x = b();
    const bad = await x.call('POST', '/subscriptions/checkout', {
      token: patient.access,
      body: { plan_code: 'premium_monthly', gateway: 'sandbox', amount: 1 },
    });
    expect(bad.statusCode).toBe(400); // the client never names an amount
    const free = await x.call('POST', '/subscriptions/checkout', {
      token: patient.access,
      body: { plan_code: 'free', gateway: 'sandbox' },
    });
    expect(free.json<{ code: string }>().code).toBe('plan_not_purchasable');

    const res = await x.call('POST', '/subscriptions/checkout', {
      token: patient.access,
      body: { plan_code: 'premium_monthly', gateway: 'sandbox' },
    });
    expect(res.statusCode, res.body).toBe(201);
    const checkout = res.json<{
      payment_id: string;
      status: string;
      amount: number;
      currency: string;
      gateway: string;
    }>();
    expect(checkout).toMatchObject({ status: 'pending', amount: 50, currency: 'USD', gateway: 'sandbox' });

    // another patient: neither sees nor completes it
    const other = await x.signUp();
    expect((await x.call('GET', `/payments/${checkout.payment_id}`, { token: other.access })).statusCode).toBe(404);
    expect(
      (await x.call('POST', `/payments/sandbox/${checkout.payment_id}/complete`, { token: other.access })).statusCode,
    ).toBe(404);
    expect((await x.call('GET', '/subscriptions/me', { token: patient.access })).json<{ tier: string }>().tier).toBe(
      'free',
    );

    const done = await x.call('POST', `/payments/sandbox/${checkout.payment_id}/complete`, { token: patient.access });
    expect(done.statusCode, done.body).toBe(200);
    const paid = done.json<PaymentBody>();
    expect(paid.status).toBe('completed');
    expect(paid.history.map((h) => [h.from_status, h.to_status, h.source])).toEqual([
      [null, 'pending', 'checkout'],
      ['pending', 'completed', 'sandbox'],
    ]);

    const me = (await x.call('GET', '/subscriptions/me', { token: patient.access })).json<{
      tier: string;
      plan_code: string;
      current_period_end: string;
    }>();
    expect(me).toMatchObject({ tier: 'premium', plan_code: 'premium_monthly' });
    const sub = await periodEnd(patient.id);
    const r = await x.h.t.owner.query<{ ok: boolean }>(
      `SELECT $2::timestamptz = $1::timestamptz + interval '1 month' AS ok`,
      [sub?.start, sub?.end],
    );
    expect(r.rows[0]?.ok).toBe(true);

    // completing again changes nothing
    const before = await periodEnd(patient.id);
    expect(
      (await x.call('POST', `/payments/sandbox/${checkout.payment_id}/complete`, { token: patient.access })).statusCode,
    ).toBe(200);
    expect((await periodEnd(patient.id))?.end.getTime()).toBe(before?.end.getTime());

    const eleventh = await x.upload(patient.access);
    expect(eleventh.statusCode, eleventh.body).toBe(202);
    prescriptionIds.push(eleventh.json<{ id: string }>().id);

    // the audit trail has every status change of the payment
    const audit = await x.h.t.owner.query<{ action: string; status: string | null }>(
      `SELECT action, new_values ->> 'status' AS status FROM audit_logs WHERE table_name = 'payment_transactions' AND resource_id = $1 ORDER BY seq`,
      [checkout.payment_id],
    );
    expect(audit.rows.map((a) => a.status)).toEqual(['pending', 'completed']);
    // the history is append-only for the service
    await expect(
      x.h.t.asUser({ userId: null, role: 'system' }, (tx) =>
        tx.query('UPDATE payment_status_history SET reason = $1', ['x']),
      ),
    ).rejects.toThrow(/permission denied|append-only/);
    await expect(
      x.h.t.asUser({ userId: null, role: 'system' }, (tx) => tx.query('DELETE FROM payment_status_history')),
    ).rejects.toThrow(/permission denied|append-only/);
  });

  it('at the end of the period (sweep job) she is back on free; nothing is deleted; the newest prescription is read-only', async () => {
    const x = b();
    await x.h.t.owner.query(
      `UPDATE user_subscriptions SET current_period_start = now() - interval '40 days', current_period_end = now() - interval '1 minute' WHERE user_id = $1`,
      [patient.id],
    );
    await sweep();
    const me = (await x.call('GET', '/subscriptions/me', { token: patient.access })).json<{ tier: string }>();
    expect(me.tier).toBe('free');
    expect((await periodEnd(patient.id))?.status).toBe('expired');
    const list = (await x.call('GET', '/prescriptions?limit=50', { token: patient.access })).json<{
      items: { id: string }[];
      total?: number;
    }>();
    expect(list.items.map((p) => p.id).sort()).toEqual([...prescriptionIds].sort());
    expect((await x.upload(patient.access)).statusCode).toBe(402);

    const newest = prescriptionIds[10] ?? '';
    const oldest = prescriptionIds[0] ?? '';
    await x.h.t.owner.query(`UPDATE prescriptions SET status = 'ocr_completed' WHERE id = ANY ($1::uuid[])`, [
      [newest, oldest],
    ]);
    const frozen = await x.call('PATCH', `/prescriptions/${newest}`, {
      token: patient.access,
      body: { hospital_name: 'Calmette Hospital' },
    });
    expect(frozen.statusCode).toBe(402);
    expect(frozen.json<{ code: string }>().code).toBe('free_tier_limit');
    expect(frozen.headers.link).toContain('/api/v1/plans');
    expect((await x.call('GET', `/prescriptions/${newest}`, { token: patient.access })).statusCode).toBe(200);
    const editable = await x.call('PATCH', `/prescriptions/${oldest}`, {
      token: patient.access,
      body: { hospital_name: 'Calmette Hospital' },
    });
    expect(editable.statusCode, editable.body).toBe(200);

    const notes = (await x.call('GET', '/notifications', { token: patient.access })).json<{
      items: { title: string }[];
    }>();
    expect(notes.items.map((n) => n.title)).toEqual(expect.arrayContaining(['Premium is active', 'Premium has ended']));
  });

  it('renews: a new payment after the end starts a fresh period from now', async () => {
    const x = b();
    const res = await x.call('POST', '/subscriptions/checkout', {
      token: patient.access,
      body: { plan_code: 'premium_yearly', gateway: 'sandbox', currency: 'KHR' },
    });
    expect(res.json()).toMatchObject({ amount: 20000, currency: 'KHR' });
    const id = res.json<{ payment_id: string }>().payment_id;
    expect(
      (await x.call('POST', `/payments/sandbox/${id}/complete`, { token: patient.access })).json<PaymentBody>().status,
    ).toBe('completed');
    const sub = await periodEnd(patient.id);
    const r = await x.h.t.owner.query<{ ok: boolean; fresh: boolean }>(
      `SELECT $2::timestamptz = $1::timestamptz + interval '1 year' AS ok, $1::timestamptz > now() - interval '1 minute' AS fresh`,
      [sub?.start, sub?.end],
    );
    expect(r.rows[0]).toEqual({ ok: true, fresh: true });
    expect(
      (
        await x.call('PATCH', `/prescriptions/${prescriptionIds[10] ?? ''}`, {
          token: patient.access,
          body: { hospital_name: 'Calmette Hospital' },
        })
      ).statusCode,
    ).toBe(200);
  });

  it('cancels at period end: premium until the end, then canceled (not deleted)', async () => {
    const x = b();
    const c = await x.call('POST', '/subscriptions/me/cancel', { token: patient.access });
    expect(c.statusCode, c.body).toBe(200);
    expect(c.json()).toMatchObject({ tier: 'premium', cancel_at_period_end: true });
    await x.h.t.owner.query(
      `UPDATE user_subscriptions SET current_period_start = now() - interval '1 day', current_period_end = now() - interval '1 second' WHERE user_id = $1 AND status = 'active'`,
      [patient.id],
    );
    await sweep();
    expect((await periodEnd(patient.id))?.status).toBe('canceled');
    expect((await x.call('GET', '/subscriptions/me', { token: patient.access })).json<{ tier: string }>().tier).toBe(
      'free',
    );
    const again = await x.call('POST', '/subscriptions/me/cancel', { token: patient.access });
    expect(again.statusCode).toBe(409);
    expect(again.json<{ code: string }>().code).toBe('no_active_subscription');
  });

  it('an admin refunds a payment: status refunded, premium ends, audited; a patient cannot', async () => {
    const x = b();
    const p = await x.signUp();
    const id = (
      await x.call('POST', '/subscriptions/checkout', {
        token: p.access,
        body: { plan_code: 'premium_monthly', gateway: 'sandbox' },
      })
    ).json<{ payment_id: string }>().payment_id;
    await x.call('POST', `/payments/sandbox/${id}/complete`, { token: p.access });
    expect((await x.call('GET', '/subscriptions/me', { token: p.access })).json<{ tier: string }>().tier).toBe(
      'premium',
    );
    expect(
      (await x.call('POST', `/payments/${id}/refund`, { token: p.access, body: { reason: 'asked' } })).statusCode,
    ).toBe(403);
    const admin = await x.admin();
    expect((await x.call('GET', `/payments/${id}`, { token: admin.access })).statusCode).toBe(200);
    const refund = await x.call('POST', `/payments/${id}/refund`, {
      token: admin.access,
      body: { reason: 'charged twice by mistake' },
    });
    expect(refund.statusCode, refund.body).toBe(200);
    expect(refund.json<PaymentBody>().status).toBe('refunded');
    expect(refund.json<PaymentBody>().history.at(-1)).toMatchObject({
      from_status: 'completed',
      to_status: 'refunded',
      source: 'admin',
    });
    expect((await x.call('GET', '/subscriptions/me', { token: p.access })).json<{ tier: string }>().tier).toBe('free');
    expect(
      (await x.call('POST', `/payments/${id}/refund`, { token: admin.access, body: { reason: 'again' } })).statusCode,
    ).toBe(409);
    const audit = await x.h.t.owner.query<{ actor: string }>(
      `SELECT actor_user_id::text AS actor FROM audit_logs WHERE table_name = 'payment_transactions' AND resource_id = $1 AND new_values ->> 'status' = 'refunded'`,
      [id],
    );
    expect(audit.rows.map((a) => a.actor)).toEqual([admin.id]);
  });

  it('gives an HTML receipt of a completed payment to its payer and admins, and admins the revenue figures', async () => {
    const x = b();
    const p = await x.signUp();
    const id = (
      await x.call('POST', '/subscriptions/checkout', {
        token: p.access,
        body: { plan_code: 'premium_monthly', gateway: 'sandbox' },
      })
    ).json<{ payment_id: string }>().payment_id;
    const early = await x.call('GET', `/payments/${id}/receipt`, { token: p.access });
    expect(early.statusCode).toBe(409);
    await x.call('POST', `/payments/sandbox/${id}/complete`, { token: p.access });
    const receipt = await x.call('GET', `/payments/${id}/receipt`, {
      token: p.access,
      headers: { 'accept-language': 'km' },
    });
    expect(receipt.statusCode).toBe(200);
    expect(receipt.headers['content-type']).toContain('text/html');
    expect(receipt.body).toContain('បង្កាន់ដៃបង់ប្រាក់');
    expect(receipt.body).toContain('$0.50');
    expect(receipt.body).toContain(p.email);
    expect(receipt.body).toContain('<html lang="km">');
    const other = await x.signUp();
    expect((await x.call('GET', `/payments/${id}/receipt`, { token: other.access })).statusCode).toBe(404);
    const admin = await x.admin();
    expect((await x.call('GET', `/payments/${id}/receipt`, { token: admin.access })).statusCode).toBe(200);

    const stats = await x.call('GET', '/admin/billing/stats', { token: admin.access });
    expect(stats.statusCode, stats.body).toBe(200);
    const body = stats.json<{
      revenue: { currency: string; amount: number; payments: number }[];
      refunds: { currency: string; amount: number; count: number }[];
      active_subscriptions: number;
      churned_last_30_days: number;
    }>();
    const expected = await x.h.t.owner.query<{ currency: string; amount: number }>(
      `SELECT currency, sum(amount_minor)::integer AS amount FROM payment_transactions WHERE status = 'completed' GROUP BY currency ORDER BY currency`,
    );
    const byCurrency = new Map<string, number>();
    for (const r of body.revenue) byCurrency.set(r.currency, (byCurrency.get(r.currency) ?? 0) + r.amount);
    expect([...byCurrency.entries()].sort()).toEqual(expected.rows.map((r) => [r.currency, r.amount]));
    expect(body.refunds).toEqual([{ currency: 'USD', amount: 50, count: 1 }]);
    expect(body.active_subscriptions).toBeGreaterThanOrEqual(1);
    expect(body.churned_last_30_days).toBeGreaterThanOrEqual(1);
    expect((await x.call('GET', '/admin/billing/stats', { token: p.access })).statusCode).toBe(403);
  });

  it('the sweep expires stale pending payments and reminds before the end, once; history rows are private', async () => {
    const x = b();
    const p = await x.signUp({ language: 'en' }); // the reminder is read in English below
    const stale = (
      await x.call('POST', '/subscriptions/checkout', {
        token: p.access,
        body: { plan_code: 'premium_monthly', gateway: 'sandbox' },
      })
    ).json<{ payment_id: string }>().payment_id;
    await x.h.t.owner.query(`UPDATE payment_transactions SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      stale,
    ]);
    const paid = (
      await x.call('POST', '/subscriptions/checkout', {
        token: p.access,
        body: { plan_code: 'premium_monthly', gateway: 'sandbox' },
      })
    ).json<{ payment_id: string }>().payment_id;
    await x.call('POST', `/payments/sandbox/${paid}/complete`, { token: p.access });
    await x.h.t.owner.query(
      `UPDATE user_subscriptions SET current_period_end = now() + interval '2 days' WHERE user_id = $1 AND status = 'active'`,
      [p.id],
    );
    await sweep();
    await sweep();
    const expired = (await x.call('GET', `/payments/${stale}`, { token: p.access })).json<
      PaymentBody & { failure_reason: string }
    >();
    expect(expired.status).toBe('expired');
    expect(expired.history.at(-1)).toMatchObject({ from_status: 'pending', to_status: 'expired', source: 'job' });
    const notes = (await x.call('GET', '/notifications', { token: p.access })).json<{ items: { title: string }[] }>();
    expect(notes.items.filter((n) => n.title === 'Premium ends soon')).toHaveLength(1);
    expect((await x.call('GET', '/subscriptions/me', { token: p.access })).json<{ tier: string }>().tier).toBe(
      'premium',
    );
    // another patient's RLS context sees none of her payment history
    const other = await x.signUp();
    const seen = await x.h.t.asUser({ userId: other.id, role: 'patient' }, (tx) =>
      tx.query('SELECT 1 FROM payment_status_history WHERE payment_id = ANY ($1::uuid[])', [[stale, paid]]),
    );
    expect(seen.rowCount).toBe(0);
    const own = await x.h.t.asUser({ userId: p.id, role: 'patient' }, (tx) =>
      tx.query('SELECT 1 FROM payment_status_history WHERE payment_id = ANY ($1::uuid[])', [[stale, paid]]),
    );
    expect(own.rowCount).toBe(4);
    await expect(
      x.h.t.asUser({ userId: p.id, role: 'patient' }, (tx) =>
        tx.query(
          `INSERT INTO payment_status_history (payment_id, to_status, source) VALUES ($1, 'completed', 'forged')`,
          [stale],
        ),
      ),
    ).rejects.toThrow(/row-level security/);
  });

  it('a Khmer patient reads the payment notification in Khmer (amount and date as data); a French one switching reads it in French', async () => {
    const x = b();
    const p = await x.signUp();
    const checkout = (
      await x.call('POST', '/subscriptions/checkout', {
        token: p.access,
        body: { plan_code: 'premium_monthly', gateway: 'sandbox' },
      })
    ).json<{ payment_id: string }>();
    expect(
      (await x.call('POST', `/payments/sandbox/${checkout.payment_id}/complete`, { token: p.access })).statusCode,
    ).toBe(200);
    const until = (await x.call('GET', '/subscriptions/me', { token: p.access }))
      .json<{ current_period_end: string }>()
      .current_period_end.slice(0, 10);
    const list = async () =>
      (await x.call('GET', '/notifications', { token: p.access })).json<{ items: { title: string; body: string }[] }>()
        .items;
    expect(await list()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          title: 'Premium កំពុងដំណើរការ',
          body: `បានទទួលការទូទាត់ចំនួន $0.50។ Premium មានសុពលភាពរហូតដល់ថ្ងៃ ${until}។ សូមអរគុណ។`,
        }),
      ]),
    );
    expect((await x.call('PATCH', '/me', { token: p.access, body: { language: 'fr' } })).statusCode).toBe(200);
    expect(await list()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          title: 'Premium est actif',
          body: `Paiement de $0.50 reçu. Premium est actif jusqu'au ${until}. Merci.`,
        }),
      ]),
    );
    // a problem with values: the gateway and its currencies, in her language
    const khr = await x.call('POST', '/subscriptions/checkout', {
      token: p.access,
      body: { plan_code: 'premium_monthly', gateway: 'stripe', currency: 'KHR' },
    });
    expect(khr.json()).toMatchObject({ code: 'currency_not_supported', detail: "stripe n'accepte que USD" });
    // refunded by an admin: the notice in her language, once, also in her e-mail/push channels when she chose them
    const admin = await x.admin();
    expect(
      (
        await x.call('POST', `/payments/${checkout.payment_id}/refund`, {
          token: admin.access,
          body: { reason: 'asked' },
        })
      ).statusCode,
    ).toBe(200);
    expect((await list()).filter((n) => n.title === 'Paiement remboursé')).toEqual(
      [
        {
          title: 'Paiement remboursé',
          body: 'Votre paiement a été remboursé et Premium a pris fin. Vos données sont conservées.',
        },
      ].map((n) => expect.objectContaining(n)),
    );
    const stored = await x.h.t.owner.query<{ channels: string; message_key: string; dedupe_key: string }>(
      `SELECT channels::text, message_key, dedupe_key FROM notifications WHERE user_id = $1 AND message_key = 'payment_refunded'`,
      [p.id],
    );
    expect(stored.rows).toEqual([
      {
        channels: expect.stringContaining('in_app') as unknown as string,
        message_key: 'payment_refunded',
        dedupe_key: `payment:${checkout.payment_id}:refunded`,
      },
    ]);
  });
});
