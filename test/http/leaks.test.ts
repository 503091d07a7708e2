/**
 * What leaves the service on a failure: the client gets a problem+json without SQL, stack or
 * row values; the log keeps the error's identity but not the row values PostgreSQL quotes in
 * `detail` (a clinical note, an e-mail address). And secrets never reach a log line.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/http/app.ts';
import { REDACTED_PATHS } from '../../src/log.ts';
import { useTestDatabase } from '../support/db.ts';
import { MemoryMailer, testConfig } from '../support/api.ts';

const db = useTestDatabase();
const lines: string[] = [];
let app: FastifyInstance;

const MEDICAL = 'Blood pressure 150/95; HIV positive';

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const logger = pino({ level: 'info', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, sink);
  app = await buildApp({ db: db().db, logger, config: testConfig({ LOG_LEVEL: 'info' }), mailer: new MemoryMailer() });
  // A database failure the service does not map (as a trigger or a new constraint would raise it).
  app.get('/test/db-failure', async () => {
    throw Object.assign(new Error('new row for relation "clinical_notes" violates an unexpected rule'), {
      code: 'XX000',
      severity: 'ERROR',
      routine: 'ExecConstraints',
      table: 'clinical_notes',
      detail: `Failing row contains (42, ${MEDICAL}, sok.dara@example.com).`,
      where: `PL/pgSQL function trg_x() line 3 at RAISE: ${MEDICAL}`,
    });
  });
  await app.ready();
});
afterAll(async () => app?.close());

describe('failures', () => {
  it('a 5xx answer is a bare problem; its log line names the error without the row values', async () => {
    const res = await app.inject({ method: 'GET', url: '/test/db-failure' });
    expect(res.statusCode).toBe(500);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 500, code: 'internal_error' });
    expect(res.body).not.toMatch(/clinical_notes|Failing row|Blood pressure|ExecConstraints|\.ts:/);
    const logged = lines.join('');
    expect(logged).toContain('XX000');
    expect(logged).toContain('clinical_notes');
    expect(logged).not.toContain('Blood pressure');
    expect(logged).not.toContain('sok.dara@example.com');
  });

  it('passwords and tokens sent to the API never appear in the log', async () => {
    lines.length = 0;
    const password = 'Sup3r-secret-pa55word';
    await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: 'leak.test@example.com', password, role: 'patient', first_name: 'A', last_name: 'B' },
    });
    await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'leak.test@example.com', password: `${password}x` },
    });
    await app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refresh_token: 'refresh-token-value-that-is-secret' },
    });
    await app.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.secret-bearer.value' },
    });
    const logged = lines.join('');
    expect(lines.length).toBeGreaterThan(0);
    expect(logged).not.toContain(password);
    expect(logged).not.toContain('refresh-token-value-that-is-secret');
    expect(logged).not.toContain('secret-bearer');
  });

  it('request lines name the route, never the URL: no invitation codes, link tokens or search terms', async () => {
    lines.length = 0;
    await app.inject({ method: 'GET', url: '/api/v1/care/invitations/ABCDEFGH23' });
    await app.inject({ method: 'GET', url: '/api/v1/admin/users?q=sok.dara%40example.com' });
    await app.inject({
      method: 'POST',
      url: '/api/v1/auth/verify-email',
      payload: { token: 'link-token-that-is-secret' },
    });
    await app.inject({ method: 'GET', url: '/api/v1/no/such/route/sok.dara@example.com' });
    const logged = lines.join('');
    expect(logged).not.toContain('ABCDEFGH23');
    expect(logged).not.toContain('sok.dara');
    expect(logged).not.toContain('link-token-that-is-secret');
    const requests = lines
      .map((l) => JSON.parse(l) as { msg: string; route?: string; status?: number })
      .filter((l) => l.msg === 'request');
    expect(requests.map((l) => l.route)).toEqual([
      '/api/v1/care/invitations/:code',
      '/api/v1/admin/users',
      '/api/v1/auth/verify-email',
      '(no route)',
    ]);
    expect(requests.map((l) => l.status)).toEqual([401, 401, expect.any(Number), 404]);
  });
});
