/** POST /analytics/events: product events sent by the apps (server-side events are refused). */
import { Type } from '@sinclair/typebox';
import type { App } from '../http/typebox.ts';
import type { Services } from '../http/services.ts';
import { AUTHED, problems } from '../http/schemas.ts';
import { recordClientEvent } from './service.ts';

const EventBody = Type.Object(
  {
    event_type: Type.String({ pattern: '^[a-z][a-z0-9_.]{1,63}$' }),
    properties: Type.Optional(
      Type.Record(
        Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$' }),
        Type.Union([Type.String({ maxLength: 200 }), Type.Number(), Type.Boolean(), Type.Null()]),
        { maxProperties: 20 },
      ),
    ),
  },
  { additionalProperties: false },
);

export async function analyticsRoutes(app: App, s: Pick<Services, 'requireAuth' | 'context'>): Promise<void> {
  app.post(
    '/analytics/events',
    {
      onRequest: s.requireAuth(),
      schema: {
        tags: ['analytics'],
        summary: 'Record a product event from an app (platform and version from X-Platform / X-App-Version)',
        security: [{ bearer: [] }],
        body: EventBody,
        response: { 202: Type.Object({ ok: Type.Literal(true) }), ...problems(...AUTHED) },
      },
    },
    async (request, reply) => {
      await recordClientEvent(s.context(request), request.body.event_type, request.body.properties ?? {});
      return reply.code(202).send({ ok: true as const });
    },
  );
}
