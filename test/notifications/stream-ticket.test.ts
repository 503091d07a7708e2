/**
 * Through HTTP on a listening server: the live stream for a browser's
 * EventSource with a short-lived, single-use ticket instead of an Authorization header — and
 * the attacks: reuse, expiry, a forged or malformed ticket, a revoked session, another user's
 * notifications; the ticket never reaches a log line.
 */
import http from 'node:http';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/http/app.ts';
import { register, testConfig, useApi, type SignedIn } from '../support/api.ts';

const api = useApi({ hub: true });
const lines: string[] = [];
let app: FastifyInstance;
let address = '';

beforeAll(async () => {
  const h = api();
  // the service's own logger (its redaction included), at debug level, written here
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  app = await buildApp({ db: h.t.db, logger, config: testConfig(), mailer: h.mailer, hub: h.hub });
  address = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app?.close();
});

async function ticketFor(u: SignedIn): Promise<{ ticket: string; expires_at: string }> {
  const res = await fetch(`${address}/api/v1/notifications/stream-ticket`, {
    method: 'POST',
    headers: { authorization: `Bearer ${u.access}` },
  });
  expect(res.status).toBe(201);
  return res.json() as Promise<{ ticket: string; expires_at: string }>;
}

/** Opens the stream with a ticket; resolves with the response (status, and the body as it comes). */
function open(query: string): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${address}/api/v1/notifications/stream${query}`, resolve);
    req.on('error', reject);
  });
}

async function statusAndCode(query: string): Promise<[number, string | undefined]> {
  const res = await open(query);
  let body = '';
  res.setEncoding('utf8');
  for await (const chunk of res) body += chunk as string;
  return [res.statusCode ?? 0, res.statusCode === 200 ? undefined : (JSON.parse(body) as { code: string }).code];
}

/** Reads the stream until `text` arrives. */
function until(res: http.IncomingMessage, text: string, seen: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      seen.push(chunk);
      if (seen.join('').includes(text)) resolve();
    });
    res.on('end', () => reject(new Error(`stream ended before "${text}": ${seen.join('')}`)));
  });
}

async function notify(userId: string, title: string): Promise<void> {
  await api().t.owner.query(
    `INSERT INTO notifications (user_id, type, title, body) VALUES ($1, 'reminder', $2, 'Take 1 tablet')`,
    [userId, title],
  );
}

describe('stream tickets', () => {
  it("a ticket opens her stream once, without an Authorization header; she gets her notifications, not another user's", async () => {
    const p = await register(api(), 'patient');
    const other = await register(api(), 'patient');
    const { ticket, expires_at: expiresAt } = await ticketFor(p);
    expect(ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const ttl = new Date(expiresAt).getTime() - Date.now();
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    const res = await open(`?ticket=${ticket}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/event-stream');
    const seen: string[] = [];
    await until(res, 'event: ready', seen);
    await notify(other.id, 'Not yours');
    await notify(p.id, 'Evening dose');
    await until(res, 'Evening dose', seen);
    expect(seen.join('')).not.toContain('Not yours');
    res.destroy();
    // used once: never again
    expect(await statusAndCode(`?ticket=${ticket}`)).toEqual([401, 'invalid_ticket']);
  });

  it('refuses an expired, a forged, a malformed ticket, an access token in its place, and a ticket of a session since ended', async () => {
    const h = api();
    const p = await register(h, 'patient');
    const expired = await ticketFor(p);
    await h.t.owner.query(
      `UPDATE notification_stream_tickets SET created_at = now() - interval '2 minutes', expires_at = now() - interval '1 minute'`,
    );
    expect(await statusAndCode(`?ticket=${expired.ticket}`)).toEqual([401, 'invalid_ticket']);
    const forged = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
    expect(await statusAndCode(`?ticket=${forged}`)).toEqual([401, 'invalid_ticket']);
    expect(await statusAndCode(`?ticket=${encodeURIComponent("' OR 1=1 --")}`)).toEqual([401, 'invalid_ticket']);
    expect(await statusAndCode(`?ticket=${p.access}`)).toEqual([401, 'invalid_ticket']);
    expect(await statusAndCode('?ticket=')).toEqual([401, 'invalid_ticket']);
    expect((await statusAndCode(''))[0]).toBe(401);
    // the hash is stored, never the ticket
    const fresh = await ticketFor(p);
    const stored = await h.t.owner.query<{ ticket_hash: string }>(
      'SELECT ticket_hash FROM notification_stream_tickets WHERE user_id = $1',
      [p.id],
    );
    expect(stored.rows.map((r) => r.ticket_hash)).not.toContain(fresh.ticket);
    // sign out: the session's ticket no longer opens anything
    const out = await fetch(`${address}/api/v1/auth/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${p.access}` },
    });
    expect(out.status).toBe(200);
    expect(await statusAndCode(`?ticket=${fresh.ticket}`)).toEqual([401, 'session_revoked']);
    // no ticket without signing in
    expect((await fetch(`${address}/api/v1/notifications/stream-ticket`, { method: 'POST' })).status).toBe(401);
  });

  it('two tabs racing with one ticket: exactly one stream opens', async () => {
    const p = await register(api(), 'patient');
    const { ticket } = await ticketFor(p);
    const [a, b] = await Promise.all([open(`?ticket=${ticket}`), open(`?ticket=${ticket}`)]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 401]);
    a.destroy();
    b.destroy();
  });

  it('no ticket ever reaches a log line (the request lines carry the route template)', async () => {
    const p = await register(api(), 'patient');
    const { ticket } = await ticketFor(p);
    expect(await statusAndCode(`?ticket=${ticket}x`)).toEqual([401, 'invalid_ticket']);
    const res = await open(`?ticket=${ticket}`);
    expect(res.statusCode).toBe(200);
    res.destroy();
    const all = lines.join('');
    expect(all).toContain('/api/v1/notifications/stream');
    expect(all).not.toContain(ticket);
    expect(all).not.toContain('ticket=');
  });
});
