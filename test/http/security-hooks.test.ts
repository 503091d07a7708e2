/**
 * The security hooks of src/http/security.ts answer as the plugins they replace did
 * (@fastify/helmet, @fastify/cors, @fastify/rate-limit's global limit, with the app's options):
 * the same requests to an app with the plugins and to one with registerSecurity, the same
 * statuses, headers and bodies; and the fixed windows stay bounded.
 */
import { describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance, type InjectOptions } from 'fastify';
import helmet from '@fastify/helmet';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import { loadConfig } from '../../src/config.ts';
import { ApiError } from '../../src/core/errors.ts';
import { HELMET_OPTIONS, corsOptions, registerSecurity } from '../../src/http/plugins.ts';
import { FixedWindows, helmetHeaders } from '../../src/http/security.ts';
import type { App } from '../../src/http/typebox.ts';

const ORIGIN = 'https://app.dastern.example';
const MAX = 3;

function routes(app: FastifyInstance): void {
  app.setErrorHandler((err, _request, reply) => {
    if (err instanceof ApiError) void reply.headers(err.headers);
    const status = (err as { statusCode?: number }).statusCode ?? (err instanceof ApiError ? err.status : 500);
    void reply.code(status).send({ code: err instanceof ApiError ? err.code : String(err) });
  });
  const deny = async (request: { headers: Record<string, unknown> }) => {
    if (request.headers['x-deny'] !== undefined)
      throw Object.assign(new ApiError(401, 'unauthorized'), { statusCode: 401 });
  };
  app.get('/api/v1/items', { onRequest: deny }, async () => ({ items: [] }));
  app.get('/api/v1/health', async () => ({ status: 'ok' }));
  app.post('/api/v1/login', { config: { rateLimit: { max: 2, timeWindow: 60_000 } } }, async () => ({ ok: true }));
}

/** The app as it was: the three plugins with the app's options. */
async function withPlugins(): Promise<FastifyInstance> {
  const app = Fastify();
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  await app.register(helmet, HELMET_OPTIONS as unknown as Parameters<typeof helmet>[1]);
  const c = corsOptions([ORIGIN]);
  await app.register(cors, {
    origin: (origin, cb) => cb(null, origin !== undefined && c.origins.includes(origin)),
    credentials: false,
    methods: [...c.methods],
    allowedHeaders: [...c.allowedHeaders],
    exposedHeaders: [...c.exposedHeaders],
    maxAge: c.maxAge,
  });
  await app.register(rateLimit, {
    global: true,
    max: MAX,
    timeWindow: 60_000,
    keyGenerator: (request) => request.ip,
    errorResponseBuilder: (_request, context) =>
      Object.assign(
        new ApiError(429, 'rate_limited', `too many requests; retry in ${Math.ceil(context.ttl / 1000)} s`, {
          'retry-after': String(Math.ceil(context.ttl / 1000)),
        }),
        { statusCode: 429 },
      ),
    allowList: (request) => request.url === '/metrics' || request.url === '/api/v1/health',
  });
  routes(app);
  return app;
}

async function withHooks(): Promise<FastifyInstance> {
  const app = Fastify();
  const config = loadConfig({
    NODE_ENV: 'test',
    DASTERN_JWT_SECRET: 'test-secret-0123456789abcdef0123456789abcdef',
    DASTERN_RATE_LIMIT: String(MAX),
    DASTERN_CORS_ORIGINS: ORIGIN,
  });
  await registerSecurity(app as unknown as App, config.api);
  routes(app);
  return app;
}

const REQUESTS: InjectOptions[] = [
  { method: 'GET', url: '/api/v1/items' },
  { method: 'GET', url: '/api/v1/items', headers: { origin: ORIGIN } },
  { method: 'GET', url: '/api/v1/items', headers: { origin: 'https://evil.example' } },
  { method: 'GET', url: '/api/v1/items', headers: { 'x-deny': '1' } },
  {
    method: 'OPTIONS',
    url: '/api/v1/items',
    headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-evil' },
  },
  { method: 'OPTIONS', url: '/api/v1/items', headers: { origin: ORIGIN } },
  {
    method: 'OPTIONS',
    url: '/api/v1/items',
    headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
  },
  { method: 'OPTIONS', url: '/api/v1/items' },
  ...Array.from({ length: 5 }, (): InjectOptions => ({ method: 'GET', url: '/api/v1/health' })),
  ...Array.from({ length: 3 }, (): InjectOptions => ({
    method: 'POST',
    url: '/api/v1/login',
    headers: { origin: ORIGIN },
  })),
  { method: 'GET', url: '/api/v1/items' },
  { method: 'GET', url: '/api/v1/items', headers: { origin: ORIGIN } },
  { method: 'GET', url: '/api/v1/items', remoteAddress: '203.0.113.9' },
  { method: 'GET', url: '/nowhere' },
  { method: 'GET', url: '/api/v1/items?page=2' },
];

type Answer = { status: number; headers: Record<string, string>; body: string; seconds: Record<string, number> };

async function answer(app: FastifyInstance, request: InjectOptions): Promise<Answer> {
  const res = await app.inject(request);
  const headers: Record<string, string> = {};
  const seconds: Record<string, number> = {};
  for (const [name, value] of Object.entries(res.headers).sort(([a], [b]) => a.localeCompare(b))) {
    if (name === 'date' || name === 'connection' || name === 'keep-alive') continue;
    // seconds until the window resets: the two apps' windows start a few ms apart
    if (name === 'x-ratelimit-reset' || name === 'retry-after') seconds[name] = Number(value);
    else headers[name] = String(value);
  }
  const body = res.body.replace(/retry in \d+ s/, 'retry in N s');
  return { status: res.statusCode, headers, body, seconds };
}

describe('security hooks', () => {
  it('answer every request as @fastify/helmet, @fastify/cors and @fastify/rate-limit did', async () => {
    const before = await withPlugins();
    const after = await withHooks();
    try {
      const statuses: number[] = [];
      for (const request of REQUESTS) {
        const a = await answer(before, request);
        const b = await answer(after, request);
        const what = `${request.method} ${request.url} ${JSON.stringify(request.headers ?? {})}`;
        expect(b.status, what).toBe(a.status);
        expect(b.headers, what).toEqual(a.headers);
        expect(b.body, what).toBe(a.body);
        expect(Object.keys(b.seconds).sort(), what).toEqual(Object.keys(a.seconds).sort());
        for (const [name, value] of Object.entries(a.seconds)) {
          expect(Math.abs((b.seconds[name] ?? -1) - value), `${what} ${name}`).toBeLessThanOrEqual(1);
          expect(value).toBeGreaterThan(0);
        }
        statuses.push(b.status);
      }
      // the run covered what it should: a preflight, refusals, a 401, the limits reached, another address
      expect(statuses).toEqual([
        200, 200, 200, 401, 204, 400, 404, 404, 200, 200, 200, 200, 200, 200, 200, 429, 429, 429, 200, 404, 429,
      ]);
      const plain = await after.inject({ method: 'GET', url: '/api/v1/health' });
      expect(plain.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(plain.headers['x-powered-by']).toBeUndefined();
    } finally {
      await before.close();
      await after.close();
    }
  });

  it('computes the headers Helmet sets', () => {
    const headers = new Map(helmetHeaders(HELMET_OPTIONS as unknown as Parameters<typeof helmetHeaders>[0]));
    expect(headers.get('Content-Security-Policy')).toContain("default-src 'self'");
    expect(headers.get('Cross-Origin-Resource-Policy')).toBe('same-site');
    expect(headers.get('Referrer-Policy')).toBe('no-referrer');
    expect(headers.get('Strict-Transport-Security')).toMatch(/^max-age=\d+/);
  });

  it('keeps at most its capacity of windows, dropping the ended ones first, then the oldest', () => {
    const w = new FixedWindows(1000, 3);
    expect(w.hit('a', 0).count).toBe(1);
    expect(w.hit('a', 10).count).toBe(2);
    w.hit('b', 20);
    w.hit('c', 1500);
    expect(w.size).toBe(3);
    // 'a' and 'b' ended at 1000 and 1020: they go, 'c' stays with its count
    w.hit('d', 1600);
    expect(w.size).toBe(2);
    expect(w.hit('c', 1700).count).toBe(2);
    w.hit('e', 1700);
    w.hit('f', 1700);
    expect(w.size).toBe(3);
    // the window of 'a' started again after it ended
    expect(w.hit('a', 5000).count).toBe(1);
  });
});
