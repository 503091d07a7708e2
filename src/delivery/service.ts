/**
 * The signed-in user's Web Push subscriptions: register the browser's PushSubscription
 * (upsert by endpoint), list, remove. The endpoint must be https on a push service's host
 * (config.push.endpointHosts): the server POSTs to it, so it must not point inside our network.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { RequestContext } from '../core/context.ts';
import type { Config } from '../config.ts';
import { ApiError, badRequest, notFound } from '../core/errors.ts';
import { Nullable, Timestamp, Uuid } from '../core/schemas.ts';
import { endpointAddressCheck, endpointAllowed } from './push.ts';
import * as q from './queries.ts';

const MAX_ACTIVE = 20;
const B64URL = '^[A-Za-z0-9_-]+={0,2}$';

/** What `JSON.stringify(pushSubscription)` gives in the browser. */
export const SubscriptionBody = Type.Object(
  {
    endpoint: Type.String({ minLength: 12, maxLength: 2048 }),
    expirationTime: Type.Optional(Nullable(Type.Number())),
    keys: Type.Object(
      {
        p256dh: Type.String({ minLength: 80, maxLength: 100, pattern: B64URL }),
        auth: Type.String({ minLength: 16, maxLength: 88, pattern: B64URL }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type SubscriptionBodyT = Static<typeof SubscriptionBody>;

export const SubscriptionView = Type.Object({
  id: Uuid,
  endpoint: Type.String(),
  user_agent: Nullable(Type.String()),
  failure_count: Type.Integer(),
  last_success_at: Nullable(Timestamp),
  disabled_at: Nullable(Timestamp),
  created_at: Timestamp,
});
export type SubscriptionViewT = Static<typeof SubscriptionView>;

const toView = (r: q.SubscriptionView): SubscriptionViewT => ({
  id: r.id,
  endpoint: r.endpoint,
  user_agent: r.user_agent,
  failure_count: r.failure_count,
  last_success_at: r.last_success_at?.toISOString() ?? null,
  disabled_at: r.disabled_at?.toISOString() ?? null,
  created_at: r.created_at.toISOString(),
});

const b64urlBytes = (s: string): Buffer => Buffer.from(s.replace(/=+$/, ''), 'base64url');

export class PushSubscriptionService {
  constructor(private readonly s: { config: Pick<Config, 'push'> }) {}

  async subscribe(
    ctx: RequestContext,
    body: SubscriptionBodyT,
  ): Promise<{ created: boolean; view: SubscriptionViewT }> {
    const actor = ctx;
    // https on an allowed host, and never an address inside our network, in
    // every mode: an IP literal or a host resolving to a non-public address is refused here, and
    // every send checks the addresses it connects to again
    if (
      !endpointAllowed(body.endpoint, this.s.config.push.endpointHosts) ||
      (await endpointAddressCheck(body.endpoint)) === 'private'
    ) {
      throw new ApiError(
        422,
        'push_endpoint_not_allowed',
        'the endpoint must be an https URL of a browser push service',
      );
    }
    const p256dh = b64urlBytes(body.keys.p256dh);
    const auth = b64urlBytes(body.keys.auth);
    if (p256dh.length !== 65 || p256dh[0] !== 0x04 || auth.length !== 16) {
      throw badRequest(
        'invalid_push_keys',
        'keys.p256dh must be an uncompressed P-256 public key and keys.auth 16 bytes (base64url)',
      );
    }
    const ua = ctx.userAgent;
    const userAgent = typeof ua === 'string' ? ua.slice(0, 300) : null;
    return ctx.run(async (tx) => {
      if ((await q.otherActiveSubscriptions(tx, actor.userId, body.endpoint)) >= MAX_ACTIVE) {
        throw new ApiError(
          409,
          'too_many_push_subscriptions',
          `at most ${MAX_ACTIVE} devices receive push notifications; remove one first`,
        );
      }
      // Stored canonical (unpadded base64url of the bytes checked above), whatever padding the browser sent.
      try {
        const row = await q.subscribe(tx, actor.userId, {
          endpoint: body.endpoint,
          p256dh: p256dh.toString('base64url'),
          auth: auth.toString('base64url'),
          userAgent,
        });
        return { created: row.created, view: toView(row) };
      } catch (err) {
        // another account's endpoint moves only with its keys (proof of the subscription)
        const e = err as { code?: unknown; constraint?: unknown };
        if (e?.code === '23505' && e.constraint === 'push_subscriptions_endpoint_key') {
          throw new ApiError(
            409,
            'push_endpoint_taken',
            'this browser is registered for another account; sign out there first, or subscribe again in the browser',
          );
        }
        throw err;
      }
    });
  }

  async list(ctx: RequestContext): Promise<SubscriptionViewT[]> {
    const actor = ctx;
    return (await ctx.run((tx) => q.listSubscriptions(tx, actor.userId))).map(toView);
  }

  async remove(ctx: RequestContext, id: string): Promise<void> {
    const actor = ctx;
    if (!(await ctx.run((tx) => q.deleteSubscription(tx, actor.userId, id)))) throw notFound('push subscription');
  }
}
