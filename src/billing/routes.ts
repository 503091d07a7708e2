/**
 * Subscriptions and payments over HTTP (CONTRACTS §5). HTTP only: parse, build the plain
 * context, call BillingService, reply.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { signedIn } from '../http/route-options.ts';
import type { App } from '../http/typebox.ts';
import type { Services } from '../http/services.ts';
import { actorOf } from '../http/auth.ts';
import { AUTHED, IdParams, Nullable, Timestamp, problems } from '../http/schemas.ts';
import { ApiError } from '../http/errors.ts';
import type { BillingContext, BillingService } from './service.ts';

const Plan = Type.Object({
  id: Type.String(),
  code: Type.String(),
  name: Type.String(),
  description: Nullable(Type.String()),
  tier: Type.String(),
  interval: Type.String(),
  price_usd: Type.Integer({ description: 'US cents' }),
  price_khr: Type.Integer({ description: 'riel' }),
  features: Type.Unknown(),
  limits: Type.Record(Type.String(), Type.Unknown()),
});
const Subscription = Type.Object({
  tier: Type.Union([Type.Literal('free'), Type.Literal('premium')]),
  status: Type.String(),
  plan_code: Type.String(),
  current_period_end: Nullable(Timestamp),
  cancel_at_period_end: Type.Boolean(),
  auto_renew: Type.Boolean({ description: 'a card subscription the gateway renews by itself each period' }),
  gateway: Nullable(Type.String()),
});
const Payment = Type.Object({
  id: Type.String(),
  status: Type.String(),
  amount: Type.Integer({ description: 'minor units: US cents or riel' }),
  currency: Type.String(),
  gateway: Type.String(),
  plan_code: Nullable(Type.String()),
  created_at: Timestamp,
  expires_at: Nullable(Timestamp),
  paid_at: Nullable(Timestamp),
  refunded_at: Nullable(Timestamp),
  failure_reason: Nullable(Type.String()),
  receipt_number: Nullable(
    Type.String({ description: 'DT-YYYY-NNNNNN, gapless per year; set when the payment completes' }),
  ),
  refund_method: Nullable(
    Type.String({
      description:
        'gateway (returned through the gateway), manual (Bakong: returned by transfer, recorded here) or sandbox',
    }),
  ),
  refund_reference: Nullable(Type.String()),
  renewal: Type.Boolean({ description: 'a later period of a card subscription renewing by itself' }),
  khqr: Type.Optional(Type.String()),
  khqr_md5: Type.Optional(Type.String()),
  checkout_url: Type.Optional(Type.String()),
  history: Type.Array(
    Type.Object({
      from_status: Nullable(Type.String()),
      to_status: Type.String(),
      source: Type.String(),
      reason: Nullable(Type.String()),
      at: Timestamp,
    }),
  ),
});
const Checkout = Type.Object({
  payment_id: Type.String(),
  status: Type.String(),
  amount: Type.Integer(),
  currency: Type.String(),
  gateway: Type.String(),
  expires_at: Nullable(Timestamp),
  khqr: Type.Optional(Type.String()),
  khqr_md5: Type.Optional(Type.String()),
  checkout_url: Type.Optional(Type.String()),
});
const CheckoutBody = Type.Object(
  {
    plan_code: Type.String({ pattern: '^[a-z][a-z0-9_]{1,63}$' }),
    gateway: Type.Union([Type.Literal('sandbox'), Type.Literal('bakong'), Type.Literal('stripe')]),
    currency: Type.Optional(Type.Union([Type.Literal('USD'), Type.Literal('KHR')])),
    auto_renew: Type.Optional(
      Type.Boolean({
        description: 'card (stripe) only: a subscription the gateway renews each period until cancelled',
      }),
    ),
  },
  { additionalProperties: false },
);
const NoBody = Type.Unknown({ description: 'no body needed; anything sent is ignored' });
const LANGS = new Set(['km', 'en', 'fr']);

function languageOf(request: FastifyRequest): string {
  const tag =
    String(request.headers['accept-language'] ?? '')
      .split(',')[0]
      ?.trim()
      .slice(0, 2)
      .toLowerCase() ?? '';
  return LANGS.has(tag) ? tag : 'km';
}

/** The service's context of a signed-in request. */
function billingContext(s: Pick<Services, 'run'>, request: FastifyRequest): BillingContext {
  const actor = actorOf(request);
  return {
    userId: actor.userId,
    role: actor.role as BillingContext['role'],
    requestId: request.id,
    language: languageOf(request),
    run: (fn) => s.run(request, fn),
  };
}

export async function billingRoutes(app: App, s: Services, service: BillingService): Promise<void> {
  await planRoutes(app, s, service);
  await paymentRoutes(app, s, service);
  await receiptRoutes(app, s, service);
  await billingAdminRoutes(app, s, service);
  await webhookRoutes(app, s, service);
}

/** The plans, the signed-in user's subscription and a checkout. */
async function planRoutes(app: App, s: Services, service: BillingService): Promise<void> {
  const tags = ['billing'];
  const ctx = (request: FastifyRequest): BillingContext => billingContext(s, request);

  app.get(
    '/plans',
    {
      schema: {
        tags,
        summary: 'The subscription plans (prices in minor units) and the gateways offered',
        response: { 200: Type.Object({ items: Type.Array(Plan), gateways: Type.Array(Type.String()) }) },
      },
    },
    async () => ({ items: await service.plans(), gateways: service.gatewayNames() }),
  );

  app.get(
    '/subscriptions/me',
    signedIn(s.requireAuth(), tags, 'My tier and subscription', {
      response: { 200: Subscription, ...problems(...AUTHED) },
    }),
    async (request) => service.mySubscription(ctx(request)),
  );

  app.post(
    '/subscriptions/checkout',
    signedIn(
      s.requireAuth(['patient']),
      tags,
      'Start paying for a plan: a pending payment (KHQR, card page or sandbox); auto_renew: a card subscription',
      {
        body: CheckoutBody,
        response: { 201: Checkout, ...problems(...AUTHED, 403, 404, 409, 502) },
      },
    ),
    async (request, reply) => {
      const p = await service.checkout(ctx(request), request.body);
      return reply.code(201).send({
        payment_id: p.id,
        status: p.status,
        amount: p.amount,
        currency: p.currency,
        gateway: p.gateway,
        expires_at: p.expires_at,
        ...(p.khqr !== undefined ? { khqr: p.khqr } : {}),
        ...(p.khqr_md5 !== undefined ? { khqr_md5: p.khqr_md5 } : {}),
        ...(p.checkout_url !== undefined ? { checkout_url: p.checkout_url } : {}),
      });
    },
  );
}

/** One payment, the sandbox's paid event, cancelling, and an admin's refund. */
async function paymentRoutes(app: App, s: Services, service: BillingService): Promise<void> {
  const tags = ['billing'];
  const ctx = (request: FastifyRequest): BillingContext => billingContext(s, request);

  app.get(
    '/payments/:id',
    signedIn(s.requireAuth(), tags, 'One payment and its status history (its payer and admins)', {
      params: IdParams,
      response: { 200: Payment, ...problems(...AUTHED, 404) },
    }),
    async (request) => service.payment(ctx(request), request.params.id),
  );

  if (s.config.env !== 'production') {
    app.post(
      '/payments/sandbox/:id/complete',
      signedIn(s.requireAuth(), tags, "The sandbox gateway's paid event (not in production)", {
        params: IdParams,
        body: NoBody,
        response: { 200: Payment, ...problems(...AUTHED, 404) },
      }),
      async (request) => (await service.sandboxComplete(ctx(request), request.params.id)).payment,
    );
  }

  app.post(
    '/subscriptions/me/cancel',
    signedIn(
      s.requireAuth(),
      tags,
      'Cancel at the end of the paid period (a card subscription stops renewing at the gateway)',
      {
        body: NoBody,
        response: { 200: Subscription, ...problems(...AUTHED, 409, 502) },
      },
    ),
    async (request) => service.cancel(ctx(request)),
  );

  app.post(
    '/payments/:id/refund',
    signedIn(
      s.requireAuth(['admin']),
      tags,
      'Admin: refund (card: through the gateway; Bakong: recorded as manual); the premium it bought ends',
      {
        params: IdParams,
        body: Type.Object({ reason: Type.String({ minLength: 3, maxLength: 500 }) }, { additionalProperties: false }),
        response: { 200: Payment, ...problems(...AUTHED, 403, 404, 409, 502) },
      },
    ),
    async (request) => service.refund(ctx(request), request.params.id, request.body.reason),
  );
}

/** A completed payment's receipt, as HTML and as PDF. */
async function receiptRoutes(app: App, s: Services, service: BillingService): Promise<void> {
  const tags = ['billing'];
  const ctx = (request: FastifyRequest): BillingContext => billingContext(s, request);

  app.get(
    '/payments/:id/receipt',
    signedIn(s.requireAuth(), tags, 'The receipt of a completed payment (HTML; its payer and admins)', {
      params: IdParams,
      response: {
        200: { description: 'text/html receipt', content: { 'text/html': { schema: Type.String() } } },
        ...problems(...AUTHED, 404, 409),
      },
    }),
    async (request, reply) =>
      reply.type('text/html; charset=utf-8').send(await service.receipt(ctx(request), request.params.id)),
  );

  const pdf = s.pdf;
  app.get(
    '/payments/:id/receipt/pdf',
    signedIn(s.requireAuth(), tags, 'The same receipt as PDF (Chromium; Khmer shaped and searchable)', {
      params: IdParams,
      response: {
        200: {
          description: 'application/pdf receipt',
          content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } },
        },
        ...problems(...AUTHED, 404, 409, 503),
      },
    }),
    async (request, reply) => {
      const html = await service.receipt(ctx(request), request.params.id);
      if (!pdf.available()) throw new ApiError(503, 'pdf_unavailable', 'PDF rendering needs Chromium on this server');
      return reply
        .type('application/pdf')
        .header('content-disposition', `inline; filename="dastern-receipt-${request.params.id.slice(0, 8)}.pdf"`)
        .send(await pdf.render(html));
    },
  );
}

/** The admin's billing figures, payments and refunds. */
async function billingAdminRoutes(app: App, s: Services, service: BillingService): Promise<void> {
  const ctx = (request: FastifyRequest): BillingContext => billingContext(s, request);

  const Money = Type.Integer({ description: 'minor units' });
  app.get(
    '/admin/billing/stats',
    signedIn(
      s.requireAuth(['admin']),
      ['admin'],
      'Revenue per month and currency, refunds, active subscriptions, churn, failed payments',
      {
        response: {
          200: Type.Object({
            revenue: Type.Array(
              Type.Object({ month: Type.String(), currency: Type.String(), amount: Money, payments: Type.Integer() }),
            ),
            refunds: Type.Array(Type.Object({ currency: Type.String(), amount: Money, count: Type.Integer() })),
            refunds_by_month: Type.Array(
              Type.Object({ month: Type.String(), currency: Type.String(), amount: Money, count: Type.Integer() }),
            ),
            active_subscriptions: Type.Integer(),
            auto_renewing_subscriptions: Type.Integer(),
            past_due_subscriptions: Type.Integer(),
            churned_last_30_days: Type.Integer(),
            failed_payments_last_30_days: Type.Integer(),
            expired_payments_last_30_days: Type.Integer(),
          }),
          ...problems(...AUTHED, 403),
        },
      },
    ),
    async (request) => service.stats(ctx(request)),
  );

  app.get(
    '/admin/billing/alerts',
    signedIn(
      s.requireAuth(['admin']),
      ['admin'],
      'Payment alerts (e.g. a gateway amount that differs from the order)',
      {
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                id: Type.String(),
                kind: Type.String(),
                payment_id: Nullable(Type.String()),
                gateway: Nullable(Type.String()),
                details: Type.Record(Type.String(), Type.Unknown()),
                created_at: Timestamp,
              }),
            ),
          }),
          ...problems(...AUTHED, 403),
        },
      },
    ),
    async (request) => ({
      items: (await service.alerts(ctx(request))).map((a) => ({ ...a, created_at: a.created_at.toISOString() })),
    }),
  );
}

/** The gateways' signed events. */
async function webhookRoutes(app: App, s: Services, service: BillingService): Promise<void> {
  const tags = ['billing'];

  // Webhooks: the raw bytes are what the gateway signed, so this scope reads JSON as a Buffer.
  await app.register(async (scope) => {
    const raw = scope as unknown as App;
    raw.removeAllContentTypeParsers();
    raw.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 256 * 1024 }, (_request, body, done) =>
      done(null, body),
    );
    raw.post(
      '/webhooks/:gateway',
      {
        schema: {
          tags,
          summary: "A gateway's signed event; replays and duplicates change nothing",
          params: Type.Object({ gateway: Type.String({ pattern: '^[a-z]{2,20}$' }) }),
          body: Type.Unknown({ description: 'the gateway’s signed payload, verified byte for byte' }),
          response: {
            200: Type.Object({ received: Type.Literal(true), outcome: Type.String() }),
            ...problems(400, 404, 413, 429),
          },
        },
      },
      async (request) => {
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const { outcome } = await service.webhook(request.params.gateway, body, request.headers);
        return { received: true as const, outcome };
      },
    );
  });
}
