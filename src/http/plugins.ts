/**
 * The cross-cutting Fastify plugins buildApp (src/http/app.ts) registers before the routes:
 * security headers, CORS, the global rate limit and the OpenAPI document with its UI.
 */
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Config } from '../config.ts';
import { LSN_HEADER, MIN_LSN_HEADER } from './read-your-writes.ts';
import { ApiError } from './errors.ts';
import type { App } from './typebox.ts';
import { helmetHeaders, registerGlobalLimit, registerHeadersAndCors, type CorsOptions } from './security.ts';

export const API_PREFIX = '/api/v1';

/** Helmet's options: the headers every response carries (computed once, src/http/security.ts). */
export const HELMET_OPTIONS = {
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
} as const;

/** CORS: the listed origins may call the API from a browser. */
export function corsOptions(origins: readonly string[]): CorsOptions {
  return {
    origins,
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
  };
}

/**
 * The request id, security headers and CORS in one hook, the per-IP rate limit in another
 * (src/http/security.ts); @fastify/rate-limit stays for the routes with limits of their own.
 */
export async function registerSecurity(app: App, api: Config['api']): Promise<void> {
  registerHeadersAndCors(app, helmetHeaders(HELMET_OPTIONS), corsOptions(api.corsOrigins));
  const exceeded = (seconds: number): ApiError =>
    Object.assign(
      new ApiError(429, 'rate_limited', `too many requests; retry in ${seconds} s`, { 'retry-after': String(seconds) }),
      { statusCode: 429 },
    );
  const allowUrls = ['/metrics', `${API_PREFIX}/health`];
  // the defaults each route's own limit starts from (as before: the global budget, a minute, per IP)
  await app.register(rateLimit, {
    global: false,
    max: api.globalRateLimit,
    timeWindow: 60_000,
    allowList: (request) => allowUrls.includes(request.url),
    keyGenerator: (request) => request.ip,
    errorResponseBuilder: (_request, context) => exceeded(Math.ceil(context.ttl / 1000)),
  });
  registerGlobalLimit(app, {
    max: api.globalRateLimit,
    windowMs: 60_000,
    allowUrls,
    exceeded,
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
