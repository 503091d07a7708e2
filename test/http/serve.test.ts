/**
 * `dastern serve` (startServer, in-process, on a real database): the port is listened on through
 * DASTERN_LISTEN_SOCKETS sockets (SO_REUSEPORT, src/http/listen.ts), a port in use still fails,
 * two servers share live notifications through LISTEN/NOTIFY, and stop() lets in-flight requests
 * finish before anything closes.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { useTestDatabase } from '../support/db.ts';
import { accepting } from '../support/net.ts';

const t = useTestDatabase();
let dir = '';
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dastern-serve-'));
});
afterAll(() => {
  if (dir !== '') fs.rmSync(dir, { recursive: true, force: true });
});

function config(extra: Record<string, string>) {
  return loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: t().ownerUrl,
    DASTERN_APP_DATABASE_URL: t().appUrl,
    DASTERN_WORKER_DATABASE_URL: t().workerUrl,
    DASTERN_DATA_DIR: dir,
    DASTERN_FILE_KEY: randomBytes(32).toString('base64'),
    HOST: '127.0.0.1',
    PORT: '0',
    ...extra,
  });
}

const silent = pino({ level: 'silent' });

function portOf(server: RunningServer): number {
  return Number(new URL(server.url).port);
}

/** Listening IPv4 sockets on `port` (Linux: /proc/net/tcp, state 0A). */
function listeningSockets(port: number): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return fs
    .readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f[1]?.endsWith(`:${hexPort}`) === true && f[3] === '0A').length;
}

/** A raw connection that collects what the server sends and knows when it ended. */
function connect(port: number): Promise<{ socket: net.Socket; received: () => string; ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    let data = '';
    const socket = net.connect({ host: '127.0.0.1', port });
    const ended = new Promise<void>((done) => socket.on('close', () => done()));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      data += chunk;
    });
    socket.once('error', reject);
    socket.once('connect', () => resolve({ socket, received: () => data, ended }));
  });
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const linux = process.platform === 'linux';
const [nodeMajor = 0, nodeMinor = 0] = process.versions.node.split('.').map(Number);
/** Where several sockets can share the port (src/http/listen.ts): Node ≥ 22.12, or the x64 binary on Node 20. */
const shared = linux && (process.arch === 'x64' || nodeMajor > 22 || (nodeMajor === 22 && nodeMinor >= 12));

/** A JSON call to a running server. */
async function call(
  base: string,
  method: string,
  path: string,
  o: { token?: string; body?: unknown } = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers,
    body: o.body === undefined ? undefined : JSON.stringify(o.body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function signUp(base: string, role: 'patient' | 'doctor'): Promise<{ id: string; access: string }> {
  const res = await call(base, 'POST', '/auth/register', {
    body: {
      email: `${role}.${randomBytes(6).toString('hex')}@example.com`,
      password: 'correct horse 42 battery',
      role,
      first_name: 'Sok',
      last_name: 'Dara',
      language: 'en',
    },
  });
  expect(res.status).toBe(201);
  const id = (res.json.user as { id: string }).id;
  // set-up: a doctor verified as an admin would (an unverified doctor cannot invite)
  if (role === 'doctor') await t().owner.query('UPDATE users SET doctor_verified_at = now() WHERE id = $1', [id]);
  return { id, access: res.json.access_token as string };
}

/** An open SSE stream; `until(text)` resolves once the text has arrived. */
async function openStream(base: string, token: string) {
  const abort = new AbortController();
  const res = await fetch(`${base}/api/v1/notifications/stream`, {
    headers: { authorization: `Bearer ${token}` },
    signal: abort.signal,
  });
  expect(res.status).toBe(200);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  return {
    async until(wanted: string): Promise<string> {
      while (!text.includes(wanted)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before "${wanted}"; got ${text}`);
        text += decoder.decode(value, { stream: true });
      }
      return text;
    },
    close: () => abort.abort(),
  };
}

describe.runIf(linux)('dastern serve (in-process, real database)', () => {
  it('listens through DASTERN_LISTEN_SOCKETS sockets of one port and serves requests on new connections', async () => {
    const server = await startServer(config({ DASTERN_LISTEN_SOCKETS: '4' }), silent);
    try {
      const port = portOf(server);
      expect(listeningSockets(port)).toBe(shared ? 4 : 1);
      // 60 fresh connections: the kernel spreads them over the four sockets; every one is served.
      const statuses = await Promise.all(
        Array.from({ length: 60 }, () =>
          fetch(`${server.url}/api/v1/health`, { headers: { connection: 'close' } }).then((r) => r.status),
        ),
      );
      expect(statuses.filter((s) => s === 200)).toHaveLength(60);
    } finally {
      await server.stop();
    }
  });

  it('listens on one plain socket when DASTERN_LISTEN_SOCKETS=1', async () => {
    const server = await startServer(config({ DASTERN_LISTEN_SOCKETS: '1' }), silent);
    try {
      expect(listeningSockets(portOf(server))).toBe(1);
      expect((await fetch(`${server.url}/api/v1/health`)).status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  it('refuses a port that is already in use instead of sharing it', async () => {
    const first = await startServer(config({ DASTERN_LISTEN_SOCKETS: '4' }), silent);
    try {
      const port = String(portOf(first));
      // another dastern serve: its sockets would be allowed into the first one's group
      await expect(startServer(config({ PORT: port, DASTERN_LISTEN_SOCKETS: '4' }), silent)).rejects.toMatchObject({
        code: 'EADDRINUSE',
      });
      await expect(startServer(config({ PORT: port, DASTERN_LISTEN_SOCKETS: '1' }), silent)).rejects.toMatchObject({
        code: 'EADDRINUSE',
      });
      expect(listeningSockets(Number(port))).toBe(shared ? 4 : 1);
      expect((await fetch(`${first.url}/api/v1/health`)).status).toBe(200);
    } finally {
      await first.stop();
    }
    // and a port held by some other program
    const other = net.createServer();
    await new Promise<void>((resolve) => other.listen({ host: '127.0.0.1', port: 0 }, () => resolve()));
    try {
      const port = String((other.address() as net.AddressInfo).port);
      await expect(startServer(config({ PORT: port, DASTERN_LISTEN_SOCKETS: '4' }), silent)).rejects.toMatchObject({
        code: 'EADDRINUSE',
      });
    } finally {
      other.close();
    }
  });

  it('two servers on one database: a notification made through one reaches live streams on both (LISTEN/NOTIFY)', async () => {
    const a = await startServer(config({ DASTERN_LISTEN_SOCKETS: '2' }), silent);
    const b = await startServer(config({ DASTERN_LISTEN_SOCKETS: '2' }), silent);
    const streams: { close(): void }[] = [];
    try {
      const doctor = await signUp(a.url, 'doctor');
      const patient = await signUp(a.url, 'patient');
      const onA = await openStream(a.url, doctor.access);
      const onB = await openStream(b.url, doctor.access);
      streams.push(onA, onB);
      await Promise.all([onA.until('event: ready'), onB.until('event: ready')]);
      // through server A: the patient accepts the doctor's invitation, and the doctor is notified
      const invitation = await call(a.url, 'POST', '/care/invitations', { token: doctor.access, body: {} });
      expect(invitation.status).toBe(201);
      expect(
        (
          await call(a.url, 'POST', '/care/invitations/accept', {
            token: patient.access,
            body: { code: invitation.json.code },
          })
        ).status,
      ).toBe(200);
      expect(await onB.until('Invitation accepted')).toContain('event: notification');
      expect(await onA.until('Invitation accepted')).toContain('event: notification');
    } finally {
      for (const s of streams) s.close();
      await a.stop();
      await b.stop();
    }
  });

  it('stop() cuts a connection that never completes its request once DASTERN_SHUTDOWN_GRACE_MS has passed', async () => {
    const server = await startServer(config({ DASTERN_LISTEN_SOCKETS: '4', DASTERN_SHUTDOWN_GRACE_MS: '300' }), silent);
    const port = portOf(server);
    // half-sent headers on several connections (whichever sockets they land on), and one that sent nothing
    const stuck = await Promise.all(Array.from({ length: 6 }, () => connect(port)));
    stuck.forEach((c, i) => {
      if (i > 0) c.socket.write('GET /api/v1/health HTTP/1.1\r\nHost: x\r\n');
    });
    await new Promise((r) => setTimeout(r, 100));
    await server.stop();
    await Promise.all(stuck.map((c) => c.ended));
    expect(stuck.every((c) => c.socket.destroyed)).toBe(true);
    expect(listeningSockets(port)).toBe(0);
  });

  it('stop(): every socket stops accepting, an in-flight request is answered (Connection: close), idle connections are closed', async () => {
    const server = await startServer(config({ DASTERN_LISTEN_SOCKETS: '4' }), silent);
    const port = portOf(server);
    // a keep-alive connection that has been served and sits idle
    const idle = await connect(port);
    idle.socket.write('GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => idle.received().includes('"status"'), 'the health answer');
    // a request whose body is still on its way when the server is told to stop
    const body = JSON.stringify({ email: 'nobody@example.com', password: 'not-the-password-1' });
    const inFlight = await connect(port);
    // (Expect: 100-continue: the "100 Continue" says the server has read the headers, so the
    // request is in flight when stop() comes, however slow this machine is)
    inFlight.socket.write(
      `POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\n\r\n${body.slice(0, 10)}`,
    );
    await until(() => inFlight.received().startsWith('HTTP/1.1 100 Continue\r\n\r\n'), 'the 100 Continue');
    const stopped = server.stop();
    await until(async () => !(await accepting(port)), 'no socket accepting');
    await idle.ended;
    let stopSettled = false;
    void stopped.then(() => {
      stopSettled = true;
    });
    expect(stopSettled).toBe(false); // waiting for the request in flight
    inFlight.socket.write(body.slice(10));
    await inFlight.ended;
    const answer = inFlight.received().replace('HTTP/1.1 100 Continue\r\n\r\n', '');
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(answer.toLowerCase()).toContain('connection: close');
    expect(answer).toContain('"code":"invalid_credentials"');
    await stopped;
    expect(listeningSockets(port)).toBe(0);
  });
});
