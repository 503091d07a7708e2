/**
 * Web Push registration: /me/push-subscriptions (the signed-in user's browsers) and
 * /push/vapid-public-key (the applicationServerKey for pushManager.subscribe). HTTP only.
 */
import { Type } from '@sinclair/typebox';
import { signedIn } from '../http/route-options.ts';
import type { App } from '../http/typebox.ts';
import type { Services } from '../http/services.ts';
import { AUTHED, IdParams, problems } from '../http/schemas.ts';
import { PushSubscriptionService, SubscriptionBody, SubscriptionView } from './service.ts';
import { resolveVapid } from './vapid.ts';

export async function deliveryRoutes(app: App, s: Pick<Services, 'requireAuth' | 'context' | 'config'>): Promise<void> {
  const service = new PushSubscriptionService(s);
  const publicKey = resolveVapid(s.config).publicKey;
  const secured = s.requireAuth();
  const tags = ['me'];

  app.get(
    '/push/vapid-public-key',
    {
      schema: {
        tags: ['notifications'],
        summary: 'The VAPID public key (applicationServerKey for pushManager.subscribe)',
        response: { 200: Type.Object({ public_key: Type.String() }) },
      },
    },
    async () => ({ public_key: publicKey }),
  );

  app.post(
    '/me/push-subscriptions',
    signedIn(
      secured,
      tags,
      "Register this browser's PushSubscription (JSON of pushManager.subscribe()); upsert by endpoint",
      {
        body: SubscriptionBody,
        response: { 200: SubscriptionView, 201: SubscriptionView, ...problems(...AUTHED, 409, 422) },
      },
    ),
    async (request, reply) => {
      const { created, view } = await service.subscribe(s.context(request), request.body);
      return reply.code(created ? 201 : 200).send(view);
    },
  );

  app.get(
    '/me/push-subscriptions',
    signedIn(secured, tags, 'My browsers registered for push notifications', {
      response: { 200: Type.Object({ items: Type.Array(SubscriptionView) }), ...problems(...AUTHED) },
    }),
    async (request) => ({ items: await service.list(s.context(request)) }),
  );

  app.delete(
    '/me/push-subscriptions/:id',
    signedIn(secured, tags, 'Stop push notifications to one browser (e.g. on sign-out)', {
      params: IdParams,
      response: { 204: Type.Null(), ...problems(...AUTHED, 404) },
    }),
    async (request, reply) => {
      await service.remove(s.context(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
}
