/**
 * Billing tests: the whole app (startFullApp: real PostgreSQL, real pg-boss) with every gateway
 * configured against LOCAL fakes of the two third parties — a Stripe API (only what the SDK calls:
 * creating a Checkout Session) and the Bakong open API (check_transaction_by_md5). Webhooks are
 * signed with the Stripe SDK's own test-header helper.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import Stripe from 'stripe';
import { afterAll, beforeAll } from 'vitest';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { API_PREFIX } from '../../src/http/app.ts';
import { createLogger } from '../../src/log.ts';
import { startBillingWorkers } from '../../src/billing/jobs.ts';
import {
  startFullApp,
  testConfig,
  useApi,
  type ApiHarness,
  type FullApp,
  type SignedIn,
  register,
  makeAdmin,
} from '../support/api.ts';

export const STRIPE_WEBHOOK_SECRET = 'whsec_dasternTestSecret0123';
export const BAKONG_TOKEN = 'bakong-test-token-0123456789';
export const BAKONG_ACCOUNT = 'dastern@test';

interface Recorded {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A local HTTP server answering with `handle`; records every request. */
export class FakeServer {
  readonly requests: Recorded[] = [];
  private server: http.Server | undefined;
  private waiters: (() => void)[] = [];
  constructor(private readonly handle: (r: Recorded) => { status: number; body: unknown }) {}
  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        const r = { method: req.method ?? 'GET', path: req.url ?? '', headers: req.headers, body };
        this.requests.push(r);
        const out = this.handle(r);
        res.writeHead(out.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(out.body));
        for (const w of this.waiters.splice(0)) w();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address() as { port: number };
    return `http://127.0.0.1:${address.port}`;
  }
  /** Resolves once the server has answered at least n requests in all. */
  async seen(n: number): Promise<void> {
    while (this.requests.length < n) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** A payment intent the fake Stripe refuses to refund (a card_error). */
export const UNREFUNDABLE_INTENT = 'pi_refuseRefund0001';

/**
 * Stripe's API as far as billing calls it: creating a Checkout Session, refunding a
 * PaymentIntent (the same refund again for the same Idempotency-Key), and updating or cancelling
 * a subscription.
 */
export function fakeStripe(): FakeServer {
  let n = 0;
  const refunds = new Map<string, string>();
  const noRoute = { status: 404, body: { error: { type: 'invalid_request_error', message: 'no such route' } } };
  return new FakeServer((r) => {
    if (r.headers.authorization !== 'Bearer sk_test_dasternFake0123')
      return { status: 401, body: { error: { type: 'invalid_request_error', message: 'bad key' } } };
    const form = new URLSearchParams(r.body);
    if (r.method === 'POST' && r.path === '/v1/refunds') {
      const intent = form.get('payment_intent') ?? '';
      if (intent === UNREFUNDABLE_INTENT)
        return {
          status: 402,
          body: { error: { type: 'card_error', code: 'charge_disputed', message: 'the charge is disputed' } },
        };
      const key = String(r.headers['idempotency-key'] ?? randomBytes(4).toString('hex'));
      const id = refunds.get(key) ?? `re_test_${randomBytes(6).toString('hex')}`;
      refunds.set(key, id);
      return {
        status: 200,
        body: {
          id,
          object: 'refund',
          status: 'succeeded',
          amount: Number(form.get('amount')),
          payment_intent: intent,
          currency: 'usd',
        },
      };
    }
    const sub = /^\/v1\/subscriptions\/(sub_[A-Za-z0-9_]+)$/.exec(r.path)?.[1];
    if (sub !== undefined && r.method === 'POST')
      return {
        status: 200,
        body: {
          id: sub,
          object: 'subscription',
          status: 'active',
          cancel_at_period_end: form.get('cancel_at_period_end') === 'true',
        },
      };
    if (sub !== undefined && r.method === 'DELETE')
      return {
        status: 200,
        body: { id: sub, object: 'subscription', status: 'canceled', cancel_at_period_end: false },
      };
    if (r.method !== 'POST' || r.path !== '/v1/checkout/sessions') return noRoute;
    n += 1;
    const id = `cs_test_${n}_${randomBytes(6).toString('hex')}`;
    return {
      status: 200,
      body: {
        id,
        object: 'checkout.session',
        url: `https://checkout.stripe.test/c/pay/${id}`,
        amount_total: Number(form.get('line_items[0][price_data][unit_amount]')),
        currency: form.get('line_items[0][price_data][currency]'),
        client_reference_id: form.get('client_reference_id'),
      },
    };
  });
}

/** The Bakong open API: md5s in `paid` answer as paid transactions, others "not found". */
export function fakeBakong(paid: Map<string, { amount: number; currency: string; toAccountId?: string }>): FakeServer {
  return new FakeServer((r) => {
    if (r.path !== '/v1/check_transaction_by_md5') return { status: 404, body: {} };
    if (r.headers.authorization !== `Bearer ${BAKONG_TOKEN}`)
      return { status: 401, body: { responseCode: 1, errorCode: 6, responseMessage: 'Unauthorized' } };
    const md5 = (JSON.parse(r.body) as { md5?: string }).md5 ?? '';
    const t = paid.get(md5);
    if (!t)
      return {
        status: 200,
        body: {
          responseCode: 1,
          responseMessage: 'Transaction could not be found. Please check and try again.',
          errorCode: 1,
          data: null,
        },
      };
    return {
      status: 200,
      body: {
        responseCode: 0,
        responseMessage: 'Getting transaction successfully.',
        errorCode: null,
        data: {
          hash: `h${md5.slice(0, 16)}`,
          fromAccountId: 'payer@aclb',
          toAccountId: t.toAccountId ?? BAKONG_ACCOUNT,
          currency: t.currency,
          amount: t.amount,
          description: '',
          createdDateMs: Date.now(),
          acknowledgedDateMs: Date.now(),
        },
      },
    };
  });
}

export interface BillingHarness {
  h: ApiHarness;
  full: FullApp;
  stripe: FakeServer;
  bakong: FakeServer;
  bakongPaid: Map<string, { amount: number; currency: string; toAccountId?: string }>;
  env: Record<string, string>;
  call(
    method: InjectOptions['method'],
    path: string,
    o?: { token?: string; body?: unknown; headers?: Record<string, string>; payload?: string | Buffer },
  ): Promise<LightMyRequestResponse>;
  /** A new patient (km by default, as any account; `extra` goes into the registration, e.g. { language: 'en' }). */
  signUp(extra?: Record<string, unknown>): Promise<SignedIn>;
  admin(): Promise<SignedIn>;
  upload(token: string): Promise<LightMyRequestResponse>;
  /** Starts billing's workers (Bakong poll, sweep) on the app's queue. */
  startWorkers(): Promise<void>;
  /** A Stripe webhook delivery, signed with the endpoint's secret (or another). */
  stripeWebhook(
    event: unknown,
    o?: { secret?: string; timestamp?: number; tamper?: (payload: string) => string },
  ): Promise<LightMyRequestResponse>;
}

/** A new photo each time (the same photo twice is refused as a duplicate prescription). */
let photos = 0;
async function aPhoto(): Promise<Buffer> {
  photos += 1;
  return sharp({
    create: {
      width: 64,
      height: 48,
      channels: 3,
      background: { r: 250, g: photos % 256, b: Math.floor(photos / 256) % 256 },
    },
  })
    .png()
    .toBuffer();
}

export function useBilling(options: { env?: Record<string, string> } = {}): () => BillingHarness {
  const api = useApi();
  let harness: BillingHarness | undefined;
  const bakongPaid = new Map<string, { amount: number; currency: string; toAccountId?: string }>();
  const stripe = fakeStripe();
  const bakong = fakeBakong(bakongPaid);
  const signer = new Stripe('sk_test_dasternFake0123');
  beforeAll(async () => {
    const h = api();
    const env = {
      DASTERN_PAYMENT_GATEWAYS: 'sandbox,bakong,stripe',
      DASTERN_BAKONG_TOKEN: BAKONG_TOKEN,
      DASTERN_BAKONG_ACCOUNT_ID: BAKONG_ACCOUNT,
      DASTERN_BAKONG_API_URL: await bakong.start(),
      DASTERN_BAKONG_POLL_SECONDS: '1',
      DASTERN_BAKONG_POLL_MAX_SECONDS: '1',
      DASTERN_STRIPE_SECRET_KEY: 'sk_test_dasternFake0123',
      DASTERN_STRIPE_WEBHOOK_SECRET: STRIPE_WEBHOOK_SECRET,
      DASTERN_STRIPE_API_URL: await stripe.start(),
      ...options.env,
    };
    const full = await startFullApp(h, { env });
    const call: BillingHarness['call'] = (method, path, o = {}) => {
      const headers: Record<string, string> = { ...(o.headers ?? {}) };
      if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
      const payload = o.payload ?? (o.body !== undefined ? JSON.stringify(o.body) : undefined);
      if (o.body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
      return full.app.inject({
        method,
        url: `${API_PREFIX}${path}`,
        headers,
        ...(payload !== undefined ? { payload } : {}),
      });
    };
    let workers = false;
    harness = {
      h,
      full,
      stripe,
      bakong,
      bakongPaid,
      env,
      call,
      signUp: (extra) => register({ call: (m, p, o) => call(m, p, o) }, 'patient', extra),
      admin: () => makeAdmin(h),
      async upload(token) {
        const boundary = `----dastern${randomBytes(8).toString('hex')}`;
        const body = Buffer.concat([
          Buffer.from(
            `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="photo.png"\r\nContent-Type: image/png\r\n\r\n`,
          ),
          await aPhoto(),
          Buffer.from(`\r\n--${boundary}--\r\n`),
        ]);
        return full.app.inject({
          method: 'POST',
          url: `${API_PREFIX}/prescriptions?allow_duplicate=true`,
          payload: body,
          headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
        });
      },
      async startWorkers() {
        if (workers) return;
        workers = true;
        await startBillingWorkers(
          { boss: full.boss, db: h.t.worker, logger: createLogger(process.env.LOG_LEVEL ?? 'silent') },
          testConfig(env),
        );
      },
      stripeWebhook(event, o = {}) {
        const payload = JSON.stringify(event);
        const header = signer.webhooks.generateTestHeaderString({
          payload,
          secret: o.secret ?? STRIPE_WEBHOOK_SECRET,
          ...(o.timestamp !== undefined ? { timestamp: o.timestamp } : {}),
        });
        const sent = o.tamper ? o.tamper(payload) : payload;
        return full.app.inject({
          method: 'POST',
          url: `${API_PREFIX}/webhooks/stripe`,
          payload: sent,
          headers: { 'content-type': 'application/json', 'stripe-signature': header },
        });
      },
    };
  });
  afterAll(async () => {
    await harness?.full.close();
    await stripe.stop();
    await bakong.stop();
  });
  return () => {
    if (!harness) throw new Error('billing harness not ready');
    return harness;
  };
}

/** A Stripe event around its object (the envelope every builder below shares). */
function stripeEvent(type: string, eventId: string, object: Record<string, unknown>): Record<string, unknown> {
  return {
    id: eventId,
    object: 'event',
    type,
    api_version: '2026-11-18',
    created: Math.floor(Date.now() / 1000),
    data: { object },
  };
}

/** A checkout.session.* event as Stripe sends it (the fields billing reads). */
export function sessionEvent(
  type: string,
  session: {
    id: string;
    paymentId: string;
    amount: number;
    currency?: string;
    paid?: boolean;
    paymentIntent?: string;
    subscription?: string;
  },
  eventId = `evt_${randomBytes(8).toString('hex')}`,
): Record<string, unknown> {
  return stripeEvent(type, eventId, {
    id: session.id,
    object: 'checkout.session',
    client_reference_id: session.paymentId,
    metadata: { payment_id: session.paymentId },
    amount_total: session.amount,
    currency: session.currency ?? 'usd',
    payment_status: session.paid === false ? 'unpaid' : 'paid',
    mode: session.subscription === undefined ? 'payment' : 'subscription',
    payment_intent: session.paymentIntent ?? null,
    subscription: session.subscription ?? null,
    customer: session.subscription === undefined ? null : 'cus_test_1',
  });
}

/** An invoice.* event of a renewing subscription (API 2025-03-31 and later: the subscription under parent). */
export function invoiceEvent(
  type: 'invoice.paid' | 'invoice.payment_failed',
  invoice: {
    id: string;
    subscription: string;
    amount: number;
    currency?: string;
    reason?: string;
    periodEnd?: Date;
    paymentIntent?: string;
  },
  eventId = `evt_${randomBytes(8).toString('hex')}`,
): Record<string, unknown> {
  return stripeEvent(type, eventId, {
    id: invoice.id,
    object: 'invoice',
    amount_paid: type === 'invoice.paid' ? invoice.amount : 0,
    amount_due: invoice.amount,
    currency: invoice.currency ?? 'usd',
    billing_reason: invoice.reason ?? 'subscription_cycle',
    customer: 'cus_test_1',
    status: type === 'invoice.paid' ? 'paid' : 'open',
    parent: {
      type: 'subscription_details',
      subscription_details: { subscription: invoice.subscription, metadata: {} },
    },
    lines: {
      data: [
        {
          period: {
            start: Math.floor(Date.now() / 1000),
            end: Math.floor((invoice.periodEnd ?? new Date(Date.now() + 31 * 86_400_000)).getTime() / 1000),
          },
        },
      ],
    },
    payments: {
      data: [
        {
          payment: {
            type: 'payment_intent',
            payment_intent: invoice.paymentIntent ?? `pi_${randomBytes(6).toString('hex')}`,
          },
        },
      ],
    },
  });
}

/** customer.subscription.updated / deleted. */
export function subscriptionEvent(
  type: 'customer.subscription.updated' | 'customer.subscription.deleted',
  subscription: string,
  cancelAtPeriodEnd: boolean,
  eventId = `evt_${randomBytes(8).toString('hex')}`,
): Record<string, unknown> {
  return stripeEvent(type, eventId, {
    id: subscription,
    object: 'subscription',
    customer: 'cus_test_1',
    cancel_at_period_end: cancelAtPeriodEnd,
    status: type === 'customer.subscription.deleted' ? 'canceled' : 'active',
  });
}

/** Polls an awaitable condition of the database (a job's effect) without a fixed sleep. */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
