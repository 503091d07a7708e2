/**
 * The cross-cutting Fastify plugins buildApp (src/http/app.ts) registers before the routes:
 * security headers, CORS, the global rate limit and the OpenAPI document with its UI.
 */
import helmet from '@fastify/helmet';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Config } from '../config.ts';
import { LSN_HEADER, MIN_LSN_HEADER } from './read-your-writes.ts';
import { ApiError } from './errors.ts';
import type { App } from './typebox.ts';

export const API_PREFIX = '/api/v1';

/** Security headers, CORS and the per-IP rate limit. */
export async function registerSecurity(app: App, api: Config['api']): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
        objectSrc: ["'none'"],
      },
    },
    crossOriginResourcePolicy: { policy: 'same-site' },
    referrerPolicy: { policy: 'no-referrer' },
  });
  await app.register(cors, {
    origin: (origin, cb) => cb(null, origin !== undefined && api.corsOrigins.includes(origin)),
    credentials: false,
    methods: ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'],
    allowedHeaders: [
      'authorization',
      'content-type',
      'x-request-id',
      'x-platform',
      'x-app-version',
      'last-event-id',
      MIN_LSN_HEADER,
    ],
    exposedHeaders: ['x-request-id', 'retry-after', LSN_HEADER],
    maxAge: 600,
  });
  await app.register(rateLimit, {
    global: true,
    max: api.globalRateLimit,
    timeWindow: 60_000,
    keyGenerator: (request) => request.ip,
    errorResponseBuilder: (_request, context) =>
      Object.assign(
        new ApiError(429, 'rate_limited', `too many requests; retry in ${Math.ceil(context.ttl / 1000)} s`, {
          'retry-after': String(Math.ceil(context.ttl / 1000)),
        }),
        { statusCode: 429 },
      ),
    allowList: (request) => request.url === '/metrics' || request.url === `${API_PREFIX}/health`,
  });
}

const OPENAPI_TAGS = [
  'auth',
  'me',
  'care',
  'clinical-notes',
  'notifications',
  'prescriptions',
  'reminders',
  'audit',
  'admin',
  'analytics',
  'operations',
];

/** The OpenAPI document (from the route schemas) and its UI at /docs. */
export async function registerOpenApi(app: App): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'DasTern API',
        version: '1.0.0',
        description:
          'Prescriptions, reminders and doctor follow-up. Errors are application/problem+json (RFC 9457) with a stable `code`.',
      },
      servers: [{ url: '/' }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      tags: OPENAPI_TAGS.map((name) => ({ name })),
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
}
