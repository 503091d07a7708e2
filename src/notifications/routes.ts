/**
 * /notifications: list, unread count, mark read / all read, and GET /notifications/stream —
 * Server-Sent Events fed by PostgreSQL LISTEN/NOTIFY (see hub.ts), so that a notification
 * written by any process reaches the user's stream on every process.
 */
import { Type } from '@sinclair/typebox';
import { signedIn } from '../http/route-options.ts';
import type { App } from '../http/typebox.ts';
import type { Services } from '../http/services.ts';
import { AUTHED, IdParams, Nullable, Page, problems } from '../http/schemas.ts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, notFound, unauthorized } from '../http/errors.ts';
import { openEventStream } from '../http/event-stream.ts';
import { Notification, getNotification, listNotifications, markAllRead, markRead, unreadCount } from './service.ts';
import { TICKET_SECONDS, consumeTicket, issueTicket } from './tickets.ts';

const HEARTBEAT_MS = 25_000;

export async function notificationRoutes(
  app: App,
  s: Pick<Services, 'requireAuth' | 'context' | 'db' | 'hub'>,
): Promise<void> {
  const streams = new Set<() => void>();

  await inboxRoutes(app, s);
  await streamRoutes(app, s, streams);
}

/** The list, the unread count, marking read, the stream ticket. */
async function inboxRoutes(app: App, s: Pick<Services, 'requireAuth' | 'context' | 'db' | 'hub'>): Promise<void> {
  const secured = s.requireAuth();

  app.get(
    '/notifications',
    signedIn(secured, ['notifications'], 'My notifications, newest first', {
      querystring: Type.Object(
        {
          unread_only: Type.Optional(Type.Boolean()),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
          offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 })),
        },
        { additionalProperties: false },
      ),
      response: { 200: Page(Notification), ...problems(...AUTHED) },
    }),
    async (request) => {
      const ctx = s.context(request);
      return ctx.runRead((tx) =>
        listNotifications(
          tx,
          ctx.userId,
          request.query.unread_only ?? false,
          request.query.limit ?? 20,
          request.query.offset ?? 0,
        ),
      );
    },
  );

  app.get(
    '/notifications/unread-count',
    signedIn(secured, ['notifications'], 'How many are unread', {
      response: { 200: Type.Object({ unread: Type.Integer() }), ...problems(...AUTHED) },
    }),
    async (request) => {
      const ctx = s.context(request);
      return { unread: await ctx.runRead((tx) => unreadCount(tx, ctx.userId)) };
    },
  );

  app.post(
    '/notifications/:id/read',
    signedIn(secured, ['notifications'], 'Mark one as read', {
      params: IdParams,
      response: { 200: Notification, ...problems(...AUTHED, 404) },
    }),
    async (request) => {
      const row = await s.context(request).run((tx) => markRead(tx, request.params.id));
      if (row === undefined) throw notFound('notification');
      return row;
    },
  );

  app.post(
    '/notifications/read-all',
    signedIn(secured, ['notifications'], 'Mark all as read', {
      response: { 200: Type.Object({ marked: Type.Integer() }), ...problems(...AUTHED) },
    }),
    async (request) => {
      const ctx = s.context(request);
      return { marked: await ctx.run((tx) => markAllRead(tx, ctx.userId)) };
    },
  );
  ticketRoutes(app, s, secured);
}

/** The single-use ticket a browser's EventSource opens the stream with. */
function ticketRoutes(app: App, s: Pick<Services, 'context'>, secured: ReturnType<Services['requireAuth']>): void {
  app.post(
    '/notifications/stream-ticket',
    signedIn(
      secured,
      ['notifications'],
      `A single-use ticket for GET /notifications/stream?ticket=… (for a browser's EventSource, which cannot send an Authorization header); valid ${TICKET_SECONDS} s, tied to this session`,
      {
        body: Nullable(Type.Object({}, { additionalProperties: false, description: 'nothing to send' })),
        response: {
          201: Type.Object({
            ticket: Type.String({ description: '43 characters, base64url' }),
            expires_at: Type.String({ format: 'date-time' }),
          }),
          ...problems(...AUTHED),
        },
      },
    ),
    async (request, reply) => {
      const ctx = s.context(request);
      return reply
        .code(201)
        .send(await ctx.run((tx) => issueTicket(tx, { userId: ctx.userId, sessionId: ctx.sessionId })));
    },
  );
}

/** The live stream (SSE), closed on shutdown. */
async function streamRoutes(
  app: App,
  s: Pick<Services, 'requireAuth' | 'context' | 'db' | 'hub'>,
  streams: Set<() => void>,
): Promise<void> {
  const secured = s.requireAuth();

  // Either a bearer token or a stream ticket (consumed here, once).
  const streamAuth = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const ticket = (request.query as { ticket?: unknown } | undefined)?.ticket;
    if (ticket === undefined) {
      await secured.call(app, request, reply);
      return;
    }
    const holder = typeof ticket === 'string' ? await consumeTicket(s.db, ticket) : undefined;
    if (holder === undefined)
      throw unauthorized('invalid_ticket', 'the stream ticket is unknown, already used or expired; ask for a new one');
    request.auth = holder;
  };

  app.get(
    '/notifications/stream',
    {
      onRequest: streamAuth,
      schema: {
        tags: ['notifications'],
        summary:
          'Live stream of new notifications (text/event-stream; events "ready", "notification"; heartbeat comments every 25 s). Authorization header, or ?ticket= from POST /notifications/stream-ticket (single use)',
        security: [{ bearer: [] }, {}],
        querystring: Type.Object(
          {
            ticket: Type.Optional(
              Type.String({
                maxLength: 128,
                description: 'a single-use ticket from POST /notifications/stream-ticket',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: { type: 'string', description: 'text/event-stream' }, ...problems(...AUTHED, 503) },
      },
    },
    async (request, reply) => openStream(s, streams, request, reply),
  );

  // Graceful shutdown: open streams would keep the server from closing.
  app.addHook('preClose', async () => {
    for (const close of [...streams]) close();
  });
}

/** Opens one user's stream: the unread count, then each new notification, until closed. */
async function openStream(
  s: Pick<Services, 'context' | 'hub'>,
  streams: Set<() => void>,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const hub = s.hub;
  if (hub === undefined)
    throw new ApiError(503, 'live_unavailable', 'live notifications are not available on this server');
  const ctx = s.context(request);
  const unread = await ctx.run((tx) => unreadCount(tx, ctx.userId));
  const raw = openEventStream(reply, { connection: 'keep-alive' });
  raw.write(`retry: 5000\nevent: ready\ndata: ${JSON.stringify({ unread })}\n\n`);
  let closed = false;
  let chain = Promise.resolve();
  const close = (): void => {
    if (closed) return;
    closed = true;
    unsubscribe();
    clearInterval(heartbeat);
    streams.delete(close);
    raw.end();
  };
  const unsubscribe = hub.subscribe(ctx.userId, (id) => {
    // In order, one at a time; each fetch runs under the user's own RLS context and
    // re-checks the session, so a revoked session stops receiving at once.
    chain = chain.then(async () => {
      if (closed) return;
      try {
        const n = await ctx.run((tx) => getNotification(tx, id));
        if (n !== undefined && !closed) raw.write(`id: ${n.id}\nevent: notification\ndata: ${JSON.stringify(n)}\n\n`);
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) {
          raw.write(`event: end\ndata: ${JSON.stringify({ code: err.code })}\n\n`);
          close();
        } else {
          request.log.warn(
            { err: err instanceof Error ? err.message : String(err) },
            'notification stream fetch failed',
          );
        }
      }
    });
  });
  const heartbeat = setInterval(() => raw.write(': ping\n\n'), HEARTBEAT_MS);
  heartbeat.unref();
  streams.add(close);
  raw.on('close', close);
}
