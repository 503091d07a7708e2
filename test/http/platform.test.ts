/** Cross-cutting HTTP: problems, request ids, headers, CORS, body limit, OpenAPI, metrics, health. */
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.ts';
import { Database } from '../../src/db/database.ts';
import { createLogger } from '../../src/log.ts';
import { useApi, register, testConfig, MemoryMailer, startFullApp, type FullApp } from '../support/api.ts';

const api = useApi({ env: { DASTERN_CORS_ORIGINS: 'https://app.dastern.example' } });

describe('platform', () => {
  it('health answers with database readiness', async () => {
    const res = await api().call('GET', '/health');
    expect(res.json()).toEqual({ status: 'ok', database: 'ready' });
  });

  it('an unknown route is a problem+json 404 with a request id', async () => {
    const res = await api().call('GET', '/api/v1/nope', { headers: { 'x-request-id': 'client-req-12345' } });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.headers['x-request-id']).toBe('client-req-12345');
    expect(res.json()).toMatchObject({
      status: 404,
      code: 'route_not_found',
      instance: 'urn:dastern:request:client-req-12345',
    });
  });

  it('generates a request id when the client sends none or a bad one', async () => {
    const res = await api().call('GET', '/health', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sets security headers and no-store on API answers', async () => {
    const h = api();
    const p = await register(h, 'patient');
    const res = await h.call('GET', '/me', { token: p.access });
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('CORS: allows only configured origins', async () => {
    const h = api();
    const ok = await h.call('OPTIONS', '/me', {
      headers: { origin: 'https://app.dastern.example', 'access-control-request-method': 'GET' },
    });
    expect(ok.headers['access-control-allow-origin']).toBe('https://app.dastern.example');
    const evil = await h.call('OPTIONS', '/me', {
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses a body over 1 MB (413), malformed JSON (400), other media types (415) — never a stack', async () => {
    const h = api();
    const big = await h.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(1_100_000) }),
    });
    expect(big.statusCode).toBe(413);
    expect(big.json().code).toBe('payload_too_large');
    const bad = await h.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '{"email": ',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('invalid_json');
    expect(bad.body).not.toMatch(/at .*\.ts|SyntaxError/);
    const text = await h.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'text/plain' },
      payload: 'hello',
    });
    expect(text.statusCode).toBe(415);
  });

  it('validation problems name the field', async () => {
    const res = await api().call('POST', '/auth/register', { body: { email: 'x@example.com', role: 'patient' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].path).toMatch(/^body\//);
  });

  /** The whole API, prescriptions and the queue-depth metric included. */
  async function withFullApp<T>(fn: (app: FullApp['app'], boss: FullApp['boss']) => Promise<T>): Promise<T> {
    const full = await startFullApp(api());
    try {
      return await fn(full.app, full.boss);
    } finally {
      await full.close();
    }
  }

  it("reports the reading queue's depth in /metrics (jobs waiting; no worker runs here)", async () => {
    await withFullApp(async (app, boss) => {
      const depth = async () =>
        Number(/^dastern_queue_depth (\d+)$/m.exec((await app.inject({ method: 'GET', url: '/metrics' })).body)?.[1]);
      const before = await depth();
      await boss.send('prescription-read', { prescriptionId: crypto.randomUUID() });
      await boss.send('prescription-read', { prescriptionId: crypto.randomUUID() });
      expect(await depth()).toBe(before + 2);
    });
  });

  it('answers 503 on /health when the database cannot be reached', async () => {
    const unreachable = new Database('postgres://dastern_app@127.0.0.1:1/nowhere');
    const app = await buildApp({
      db: unreachable,
      logger: createLogger('silent'),
      config: testConfig(),
      mailer: new MemoryMailer(),
    });
    try {
      const res = await app.inject({ method: 'GET', url: '/api/v1/health' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: 'degraded', database: 'unavailable' });
    } finally {
      await app.close();
      await unreachable.close();
    }
  });

  it('publishes OpenAPI 3 with request and response schemas for every route', async () => {
    const json = await withFullApp(async (app) => {
      expect((await app.inject({ method: 'GET', url: '/docs' })).statusCode).toBeLessThan(400);
      return (await app.inject({ method: 'GET', url: '/docs/json' })).json() as unknown;
    });
    const doc = json as {
      openapi: string;
      paths: Record<string, Record<string, { responses?: Record<string, unknown>; requestBody?: unknown }>>;
    };
    expect(doc.openapi).toMatch(/^3\./);
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([m, op]) => ({ path, m, op })),
    );
    expect(ops.length).toBeGreaterThanOrEqual(40);
    // Actions that take no body, by name: a new route without a body schema fails here.
    const bodiless = new Set([
      'post /api/v1/auth/logout',
      'post /api/v1/auth/verify-email/request',
      'post /api/v1/notifications/{id}/read',
      'post /api/v1/notifications/read-all',
      'post /api/v1/admin/users/{id}/activate',
      'post /api/v1/admin/users/{id}/deactivate',
      'post /api/v1/prescriptions/{id}/confirm',
      'post /api/v1/prescriptions/{id}/reprocess',
    ]);
    for (const { path, m, op } of ops) {
      const name = `${m} ${path}`;
      expect(
        Object.keys(op.responses ?? {}).some((code) => /^(2\d\d|101)$/.test(code)),
        `${name} has no success response`,
      ).toBe(true);
      if (['post', 'patch', 'put'].includes(m) && !bodiless.has(name)) {
        expect(op.requestBody, `${name} has no request body schema`).toBeDefined();
      }
    }
    for (const name of bodiless)
      expect(
        ops.some((o) => `${o.m} ${o.path}` === name),
        `${name} is not a route`,
      ).toBe(true);
    const upload = doc.paths['/api/v1/prescriptions']?.post?.requestBody as
      { content?: Record<string, { schema?: { required?: string[] } }> } | undefined;
    expect(upload?.content?.['multipart/form-data']?.schema?.required).toEqual(['image']);
    const photo = doc.paths['/api/v1/prescriptions/{id}/image']?.get?.responses?.['200'] as
      { content?: Record<string, unknown> } | undefined;
    expect(Object.keys(photo?.content ?? {})).toEqual(['image/jpeg', 'image/png', 'image/webp']);
  });

  it('exposes Prometheus metrics by route template (never raw ids)', async () => {
    const h = api();
    const p = await register(h, 'patient');
    await h.call('DELETE', `/me/sessions/${crypto.randomUUID()}`, { token: p.access });
    const res = await h.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('dastern_http_requests_total{method="POST",route="/api/v1/auth/register",status="201"}');
    expect(res.body).toContain('route="/api/v1/me/sessions/:id"');
    expect(res.body).toContain('dastern_http_request_duration_seconds_bucket');
    expect(res.body).toContain('dastern_db_pool_connections{state="total"}');
    expect(res.body).not.toContain(p.id);
  });
});

describe('metrics behind a scraper token (DASTERN_METRICS_TOKEN)', () => {
  const token = 'scraper-token-0123456789abcdef';
  const guarded = useApi({ env: { DASTERN_METRICS_TOKEN: token } });

  it('answers only the right bearer token, as a problem without any metric otherwise', async () => {
    const h = guarded();
    for (const authorization of [
      undefined,
      'Bearer wrong-token-0123456789',
      `Bearer ${token}x`,
      token,
      `Basic ${token}`,
    ]) {
      const res = await h.app.inject({
        method: 'GET',
        url: '/metrics',
        headers: authorization === undefined ? {} : { authorization },
      });
      expect(res.statusCode, String(authorization)).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body).not.toContain('dastern_http_requests_total');
    }
    const ok = await h.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('dastern_http_requests_total');
  });
});

describe('configuration of the metrics token', () => {
  it('refuses a short or malformed token, and defaults to none', async () => {
    const { ConfigError, loadConfig } = await import('../../src/config.ts');
    expect(() => loadConfig({ NODE_ENV: 'test', DASTERN_METRICS_TOKEN: 'short' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'test', DASTERN_METRICS_TOKEN: 'has spaces in it 0123456789' })).toThrow(
      ConfigError,
    );
    expect(loadConfig({ NODE_ENV: 'test' }).api.metricsToken).toBeUndefined();
    expect(
      loadConfig({ NODE_ENV: 'test', DASTERN_METRICS_TOKEN: 'scraper-token-0123456789abcdef' }).api.metricsToken,
    ).toBe('scraper-token-0123456789abcdef');
  });
});
