/**
 * The web app on the API's origin (src/http/web-app.ts): the built files, index.html for the
 * app's routes — the links our e-mails carry — and the server's own paths left alone.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { useApi } from '../support/api.ts';
import { webApp, WEB_DIST } from '../../src/http/web-app.ts';
import { ensureBuilt } from './support.ts';

ensureBuilt();
const api = useApi();
const indexHtml = fs.readFileSync(path.join(WEB_DIST, 'index.html'), 'utf8');

describe('serving the web app', () => {
  it('answers / and every e-mail link path with the app (index.html), not 404', async () => {
    for (const url of [
      '/',
      '/verify-email?token=abc.def',
      '/reset-password?token=abc',
      '/notifications/3f1c2d0e-0000-4000-8000-000000000001',
      '/settings',
      '/today',
      '/prescriptions/x/y',
    ]) {
      const res = await api().app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type'], url).toContain('text/html');
      expect(res.body, url).toBe(indexHtml);
      expect(res.headers['cache-control'], url).toBe('no-cache');
      expect(String(res.headers['content-security-policy']), url).toContain("script-src 'self'");
    }
  });

  it('serves the built assets (hashed: cached for a year), the manifest and the service worker', async () => {
    const assets = [...indexHtml.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1] as string);
    expect(assets.length).toBeGreaterThan(0);
    for (const url of assets) {
      const res = await api().app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['cache-control'], url).toContain('immutable');
      expect(res.rawPayload.equals(fs.readFileSync(path.join(WEB_DIST, url))), url).toBe(true);
    }
    const manifest = await api().app.inject({ method: 'GET', url: '/manifest.webmanifest' });
    expect(manifest.headers['content-type']).toContain('application/manifest+json');
    expect(manifest.json()).toMatchObject({ name: 'DasTern', lang: 'km', start_url: '/', display: 'standalone' });
    const sw = await api().app.inject({ method: 'GET', url: '/sw.js' });
    expect(sw.statusCode).toBe(200);
    expect(sw.headers['cache-control']).toBe('no-cache');
    expect(sw.body).toContain('index.html');
  });

  it('leaves /api, /docs and /metrics to the server: problem+json 404s, the docs, the metrics', async () => {
    for (const url of ['/api/v1/nope', '/api/nothing', '/api', '/docs/nope.js', '/metrics/x']) {
      const res = await api().app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type'], url).toContain('application/problem+json');
      expect(res.json(), url).toMatchObject({ code: 'route_not_found' });
    }
    expect((await api().app.inject({ method: 'GET', url: '/api/v1/health' })).json()).toEqual({
      status: 'ok',
      database: 'ready',
    });
    expect((await api().app.inject({ method: 'GET', url: '/docs/json' })).json()).toHaveProperty('openapi');
    expect((await api().app.inject({ method: 'GET', url: '/metrics' })).body).toContain('process_cpu');
    // a POST to an app path is not the app's
    expect((await api().app.inject({ method: 'POST', url: '/settings', payload: {} })).statusCode).toBe(404);
  });

  it('a missing file is a 404, never index.html; paths cannot climb out of web/dist', async () => {
    for (const url of [
      '/assets/nope-123.js',
      '/icons/none.png',
      '/../package.json',
      '/%2e%2e/package.json',
      '/assets/..%2f..%2fpackage.json',
    ]) {
      const res = await api().app.inject({ method: 'GET', url });
      expect(res.body, url).not.toContain('"dependencies"');
      if (res.statusCode === 200) expect(res.body, url).toBe(indexHtml);
      else expect(res.statusCode, url).toBe(404);
    }
    expect((await api().app.inject({ method: 'GET', url: '/assets/nope-123.js' })).statusCode).toBe(404);
  });

  it('without a build, / says so (503) and the API still works', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'dastern-noweb-'));
    const app = Fastify({ logger: false });
    await webApp(app, { dir: empty });
    app.get('/api/v1/health', async () => ({ ok: true }));
    const res = await app.inject({ method: 'GET', url: '/verify-email?token=x' });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('npm run build:web');
    expect((await app.inject({ method: 'GET', url: '/api/v1/health' })).json()).toEqual({ ok: true });
    await app.close();
    fs.rmSync(empty, { recursive: true, force: true });
  });
});
