/**
 * The authorisation matrix, continued: the routes neither test/http/matrix.test.ts nor
 * test/prescriptions/matrix.test.ts covers — account erasure, invitations by code, admin
 * (de)activation, the live stream, sign-out, password change, e-mail verification, push
 * subscriptions and the public operational routes. Route × actor → status, from one table.
 * Actors: anonymous, the owner (patient), another patient, a doctor with an active relationship,
 * a doctor without one, a doctor whose relationship ended, an admin.
 *
 * Rows that change state (erasure, sign-out, password, deactivation, invitations consumed,
 * subscriptions removed or taken over) run on a world of their own, built for that row, so that
 * no row depends on what another row did. `after` checks run for every answer, refusals too:
 * a refused request changed nothing.
 */
import http from 'node:http';
import { createECDH, randomBytes, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { useApi, register, makeAdmin, type ApiHarness, type SignedIn } from '../support/api.ts';
import { addPrescription, connect, invite } from '../support/api-fixtures.ts';

const METRICS_TOKEN = 'scraper-token-0123456789abcdef';
const ACTORS = ['anonymous', 'owner', 'otherPatient', 'doctor', 'stranger', 'ended', 'admin'] as const;
type ActorName = (typeof ACTORS)[number];
type Signed = Exclude<ActorName, 'anonymous'>;
type Expect = Record<ActorName, number>;

interface World {
  actors: Record<Signed, SignedIn>;
  relActive: string;
  relEnded: string;
  /** Created by the owner (a patient): a doctor accepts it. */
  ownerInvite: { id: string; code: string };
  /** Created by the doctor without a relationship: a patient accepts it. */
  strangerInvite: { id: string; code: string };
  ownerSubscription: { id: string; endpoint: string };
  /** A patient an admin deactivated (for activate). */
  deactivated: SignedIn;
  /** The owner's other signed-in device. */
  ownerSpareRefresh: string;
}

/** What a row sees of an answer (an injected response, or the head of a real SSE stream). */
interface Answer {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  json<T = Record<string, unknown>>(): T;
}

interface Case {
  name: string;
  method: 'GET' | 'POST' | 'DELETE';
  path: (w: World) => string;
  body?: (w: World, actor: ActorName) => unknown;
  expect: Expect;
  /** The row changes state: it gets a world of its own. */
  fresh?: true;
  /** GET /notifications/stream: read the status over a real connection, then abort. */
  stream?: true;
  /** Extra checks on a 2xx answer. */
  check?: (res: Answer, w: World, actor: ActorName) => void;
  /** Checks after every answer (the refusals changed nothing). */
  after?: (h: ApiHarness, w: World, actor: ActorName, res: Answer) => Promise<void>;
}

const every = (s: number, over: Partial<Expect> = {}): Expect => ({
  anonymous: 401,
  owner: s,
  otherPatient: s,
  doctor: s,
  stranger: s,
  ended: s,
  admin: s,
  ...over,
});
const onlyAdmin = (s: number): Expect => every(403, { admin: s });
const NEW_PASSWORD = 'a brand new 42 passphrase';

function pushKeys(): { p256dh: string; auth: string } {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') };
}
const newEndpoint = (): string => `https://fcm.googleapis.com/fcm/send/${randomBytes(12).toString('base64url')}`;

async function login(h: ApiHarness, who: { email: string }, password: string): Promise<number> {
  return (await h.call('POST', '/auth/login', { body: { email: who.email, password } })).statusCode;
}
async function meStatus(h: ApiHarness, who: SignedIn): Promise<number> {
  return (await h.call('GET', '/me', { token: who.access })).statusCode;
}
async function subscriptionsOf(h: ApiHarness, userId: string): Promise<string[]> {
  const r = await h.t.owner.query<{ id: string }>('SELECT id FROM push_subscriptions WHERE user_id = $1', [userId]);
  return r.rows.map((x) => x.id);
}
async function relationshipStatus(h: ApiHarness, invitationId: string): Promise<string | undefined> {
  const r = await h.t.owner.query<{ status: string }>(
    'SELECT status::text AS status FROM doctor_patient_relationships WHERE id = $1',
    [invitationId],
  );
  return r.rows[0]?.status;
}
/** The owner's account was not touched by someone else's request. */
async function ownerIntact(h: ApiHarness, w: World, actor: ActorName): Promise<void> {
  if (actor === 'owner') return;
  expect(await meStatus(h, w.actors.owner)).toBe(200);
  expect(await login(h, w.actors.owner, w.actors.owner.password)).toBe(200);
}

const CASES: Case[] = [
  // ---- DELETE /me: each signed-in user erases only herself; an admin is removed by another admin.
  {
    name: 'DELETE /me (own password)',
    method: 'DELETE',
    path: () => '/me',
    fresh: true,
    body: (w, a) => ({ password: a === 'anonymous' ? 'whatever' : w.actors[a].password, confirm: 'DELETE' }),
    expect: every(200, { admin: 409 }),
    check: (r) => expect(r.json()).toMatchObject({ erased: true }),
    after: async (h, w, a, res) => {
      if (a !== 'anonymous') expect(await meStatus(h, w.actors[a])).toBe(res.statusCode === 200 ? 401 : 200);
      await ownerIntact(h, w, a);
    },
  },
  {
    name: "DELETE /me (the owner's password)",
    method: 'DELETE',
    path: () => '/me',
    fresh: true,
    body: (w) => ({ password: w.actors.owner.password, confirm: 'DELETE' }),
    expect: every(400, { owner: 200, admin: 409 }),
    after: async (h, w, a) => {
      if (a !== 'anonymous' && a !== 'owner') expect(await meStatus(h, w.actors[a])).toBe(200);
      await ownerIntact(h, w, a);
    },
  },

  // ---- Invitations by code: the code is the secret; the acceptor must be of the other side.
  {
    name: "POST /care/invitations/accept (the owner's code)",
    method: 'POST',
    path: () => '/care/invitations/accept',
    fresh: true,
    body: (w) => ({ code: w.ownerInvite.code }),
    // owner: her own invitation (400 invitation_self); doctor: already connected (409).
    expect: { anonymous: 401, owner: 400, otherPatient: 403, doctor: 409, stranger: 200, ended: 200, admin: 403 },
    check: (r, w, a) =>
      expect(r.json()).toMatchObject({
        status: 'active',
        patient: { id: w.actors.owner.id },
        doctor: { id: w.actors[a as Signed].id },
      }),
    after: async (h, w, a, res) =>
      expect(await relationshipStatus(h, w.ownerInvite.id)).toBe(res.statusCode === 200 ? 'active' : 'pending'),
  },
  {
    name: "POST /care/invitations/accept (a doctor's code)",
    method: 'POST',
    path: () => '/care/invitations/accept',
    fresh: true,
    body: (w) => ({ code: w.strangerInvite.code }),
    expect: { anonymous: 401, owner: 200, otherPatient: 200, doctor: 403, stranger: 400, ended: 403, admin: 403 },
    check: (r, w, a) =>
      expect(r.json()).toMatchObject({
        status: 'active',
        patient: { id: w.actors[a as Signed].id },
        doctor: { id: w.actors.stranger.id },
      }),
    after: async (h, w, a, res) =>
      expect(await relationshipStatus(h, w.strangerInvite.id)).toBe(res.statusCode === 200 ? 'active' : 'pending'),
  },
  {
    name: "POST /care/invitations/decline (the owner's code)",
    method: 'POST',
    path: () => '/care/invitations/decline',
    fresh: true,
    body: (w) => ({ code: w.ownerInvite.code }),
    expect: { anonymous: 401, owner: 400, otherPatient: 403, doctor: 200, stranger: 200, ended: 200, admin: 403 },
    after: async (h, w, a, res) =>
      expect(await relationshipStatus(h, w.ownerInvite.id)).toBe(res.statusCode === 200 ? 'declined' : 'pending'),
  },
  {
    name: "POST /care/invitations/decline (a doctor's code)",
    method: 'POST',
    path: () => '/care/invitations/decline',
    fresh: true,
    body: (w) => ({ code: w.strangerInvite.code }),
    expect: { anonymous: 401, owner: 200, otherPatient: 200, doctor: 403, stranger: 400, ended: 403, admin: 403 },
    after: async (h, w, a, res) =>
      expect(await relationshipStatus(h, w.strangerInvite.id)).toBe(res.statusCode === 200 ? 'declined' : 'pending'),
  },

  // ---- Admin: (de)activation.
  {
    name: 'POST /admin/users/:id/deactivate (the owner)',
    method: 'POST',
    path: (w) => `/admin/users/${w.actors.owner.id}/deactivate`,
    fresh: true,
    body: () => ({ reason: 'fraudulent account' }),
    expect: onlyAdmin(200),
    check: (r) => expect(r.json()).toMatchObject({ is_active: false }),
    after: async (h, w, a, res) => {
      if (res.statusCode !== 200) return ownerIntact(h, w, a);
      // Her sessions end at once and she cannot sign in.
      expect(await meStatus(h, w.actors.owner)).toBe(401);
      expect(await login(h, w.actors.owner, w.actors.owner.password)).toBe(403);
    },
  },
  {
    name: "POST /admin/users/:id/deactivate (the admin's own account)",
    method: 'POST',
    path: (w) => `/admin/users/${w.actors.admin.id}/deactivate`,
    body: () => ({ reason: 'self' }),
    expect: onlyAdmin(409),
    after: async (h, w) => expect(await meStatus(h, w.actors.admin)).toBe(200),
  },
  {
    name: 'POST /admin/users/:id/deactivate (no such user)',
    method: 'POST',
    path: () => `/admin/users/${randomUUID()}/deactivate`,
    body: () => ({ reason: 'gone' }),
    expect: onlyAdmin(404),
  },
  {
    name: 'POST /admin/users/:id/activate (a deactivated patient)',
    method: 'POST',
    path: (w) => `/admin/users/${w.deactivated.id}/activate`,
    fresh: true,
    expect: onlyAdmin(200),
    check: (r) => expect(r.json()).toMatchObject({ is_active: true }),
    after: async (h, w, _a, res) =>
      expect(await login(h, w.deactivated, w.deactivated.password)).toBe(res.statusCode === 200 ? 200 : 403),
  },

  // ---- The live stream: one's own notifications.
  {
    name: 'GET /notifications/stream',
    method: 'GET',
    path: () => '/notifications/stream',
    stream: true,
    expect: every(200),
    check: (r) => {
      expect(r.headers['content-type']).toContain('text/event-stream');
      expect(r.body).toContain('event: ready');
    },
  },

  // ---- Signing out and the password: each user her own session and password.
  {
    name: 'POST /auth/logout',
    method: 'POST',
    path: () => '/auth/logout',
    fresh: true,
    expect: every(200),
    check: (r) => expect(r.json()).toEqual({ ended_sessions: 1 }),
    after: async (h, w, a) => {
      if (a !== 'anonymous') expect(await meStatus(h, w.actors[a])).toBe(401);
      await ownerIntact(h, w, a);
    },
  },
  {
    name: 'POST /auth/logout?all=true',
    method: 'POST',
    path: () => '/auth/logout?all=true',
    fresh: true,
    expect: every(200),
    check: (r, _w, a) => expect(r.json()).toEqual({ ended_sessions: a === 'owner' ? 2 : 1 }),
    after: async (h, w, a) => {
      // The owner's other device is signed out only by the owner.
      const spare = await h.call('POST', '/auth/refresh', { body: { refresh_token: w.ownerSpareRefresh } });
      expect(spare.statusCode).toBe(a === 'owner' ? 401 : 200);
      await ownerIntact(h, w, a);
    },
  },
  {
    name: 'POST /auth/password (own current password)',
    method: 'POST',
    path: () => '/auth/password',
    fresh: true,
    body: (w, a) => ({
      current_password: a === 'anonymous' ? 'whatever it was' : w.actors[a].password,
      new_password: NEW_PASSWORD,
    }),
    expect: every(200),
    after: async (h, w, a, res) => {
      if (a !== 'anonymous') {
        expect(await login(h, w.actors[a], NEW_PASSWORD)).toBe(res.statusCode === 200 ? 200 : 401);
        expect(await meStatus(h, w.actors[a])).toBe(200); // the session that changed it stays
      }
      await ownerIntact(h, w, a);
    },
  },
  {
    name: "POST /auth/password (the owner's current password)",
    method: 'POST',
    path: () => '/auth/password',
    fresh: true,
    body: (w) => ({ current_password: w.actors.owner.password, new_password: NEW_PASSWORD }),
    expect: every(400, { owner: 200 }),
    after: async (h, w, a) => {
      if (a !== 'anonymous' && a !== 'owner') expect(await login(h, w.actors[a], w.actors[a].password)).toBe(200);
      await ownerIntact(h, w, a);
    },
  },
  // Registered accounts are unverified; an admin's (made by the CLI) is verified already.
  {
    name: 'POST /auth/verify-email/request',
    method: 'POST',
    path: () => '/auth/verify-email/request',
    expect: every(202, { admin: 409 }),
  },

  // ---- Push subscriptions: one's own browsers only; admins manage only their own.
  {
    name: 'GET /me/push-subscriptions',
    method: 'GET',
    path: () => '/me/push-subscriptions',
    expect: every(200),
    check: (r, w, a) =>
      expect(r.json<{ items: { id: string }[] }>().items.some((s) => s.id === w.ownerSubscription.id)).toBe(
        a === 'owner',
      ),
  },
  {
    name: 'POST /me/push-subscriptions (a new browser)',
    method: 'POST',
    path: () => '/me/push-subscriptions',
    body: () => ({ endpoint: newEndpoint(), expirationTime: null, keys: pushKeys() }),
    expect: every(201),
    check: (r) => expect(r.json<{ endpoint: string }>().endpoint).toMatch(/^https:\/\/fcm\.googleapis\.com\//),
  },
  // The owner's endpoint re-registered by another account with other keys is a takeover (migration
  // 020): refused, the owner keeps her device; only the same keys (the same
  // browser) move it (test/delivery/push.test.ts). The owner re-subscribing: 200.
  {
    name: "POST /me/push-subscriptions (the owner's browser)",
    method: 'POST',
    path: () => '/me/push-subscriptions',
    fresh: true,
    body: (w) => ({ endpoint: w.ownerSubscription.endpoint, keys: pushKeys() }),
    expect: every(409, { anonymous: 401, owner: 200 }),
    after: async (h, w) => {
      const owned = await subscriptionsOf(h, w.actors.owner.id);
      expect(owned.includes(w.ownerSubscription.id)).toBe(true);
    },
  },
  {
    name: "DELETE /me/push-subscriptions/:id (the owner's)",
    method: 'DELETE',
    path: (w) => `/me/push-subscriptions/${w.ownerSubscription.id}`,
    fresh: true,
    expect: every(404, { owner: 204 }),
    after: async (h, w, a) =>
      expect((await subscriptionsOf(h, w.actors.owner.id)).includes(w.ownerSubscription.id)).toBe(a !== 'owner'),
  },

  // ---- Public routes: the same answer for everyone, signed in or not.
  {
    name: 'GET /push/vapid-public-key',
    method: 'GET',
    path: () => '/push/vapid-public-key',
    expect: every(200, { anonymous: 200 }),
    check: (r) => expect(r.json<{ public_key: string }>().public_key).toMatch(/^[A-Za-z0-9_-]{86,88}$/),
  },
  {
    name: 'GET /api/v1/health',
    method: 'GET',
    path: () => '/api/v1/health',
    expect: every(200, { anonymous: 200 }),
    check: (r) => expect(r.json()).toEqual({ status: 'ok', database: 'ready' }),
  },
  // With DASTERN_METRICS_TOKEN set only the scraper's token opens /metrics: no user's, not even an admin's.
  { name: 'GET /metrics (scraper token configured)', method: 'GET', path: () => '/metrics', expect: every(401) },
];

const api = useApi({ hub: true, env: { DASTERN_METRICS_TOKEN: METRICS_TOKEN } });
let shared: World;
let address = '';

async function buildWorld(h: ApiHarness): Promise<World> {
  const [owner, otherPatient, doctor, stranger, ended, deactivated] = [
    await register(h, 'patient'),
    await register(h, 'patient'),
    await register(h, 'doctor'),
    await register(h, 'doctor'),
    await register(h, 'doctor'),
    await register(h, 'patient'),
  ];
  const admin = await makeAdmin(h);
  // Every registered account has the same password: the owner gets her own, so that "the
  // owner's password" in someone else's request means something.
  const ownPassword = `owner only ${randomBytes(6).toString('hex')} 42`;
  const changed = await h.call('POST', '/auth/password', {
    token: owner.access,
    body: { current_password: owner.password, new_password: ownPassword },
  });
  if (changed.statusCode !== 200) throw new Error(`password: ${changed.statusCode} ${changed.body}`);
  owner.password = ownPassword;
  const relActive = await connect(h, doctor, owner);
  const relEnded = await connect(h, ended, owner);
  const end = await h.call('POST', `/care/relationships/${relEnded}/end`, {
    token: owner.access,
    body: { reason: 'moved to another clinic' },
  });
  if (end.statusCode !== 200) throw new Error(`end: ${end.statusCode} ${end.body}`);
  await addPrescription(h, owner.id);
  const ownerInvite = await invite(h, owner);
  const strangerInvite = await invite(h, stranger);
  const endpoint = newEndpoint();
  const sub = await h.call('POST', '/me/push-subscriptions', {
    token: owner.access,
    body: { endpoint, keys: pushKeys() },
  });
  if (sub.statusCode !== 201) throw new Error(`subscribe: ${sub.statusCode} ${sub.body}`);
  const off = await h.call('POST', `/admin/users/${deactivated.id}/deactivate`, {
    token: admin.access,
    body: { reason: 'on request' },
  });
  if (off.statusCode !== 200) throw new Error(`deactivate: ${off.statusCode} ${off.body}`);
  const spare = await h.call('POST', '/auth/login', { body: { email: owner.email, password: owner.password } });
  if (spare.statusCode !== 200) throw new Error(`login: ${spare.statusCode} ${spare.body}`);
  return {
    actors: { owner, otherPatient, doctor, stranger, ended, admin },
    relActive,
    relEnded,
    ownerInvite,
    strangerInvite,
    ownerSubscription: { id: sub.json<{ id: string }>().id, endpoint },
    deactivated,
    ownerSpareRefresh: spare.json<{ refresh_token: string }>().refresh_token,
  };
}

/** Opens the SSE stream over a real connection; resolves with the status and the first bytes, then aborts. */
function openStream(token: string | undefined): Promise<Answer> {
  const controller = new AbortController();
  return new Promise<Answer>((resolve, reject) => {
    const req = http.get(
      `${address}/api/v1/notifications/stream`,
      { headers: token === undefined ? {} : { authorization: `Bearer ${token}` }, signal: controller.signal },
      (res) => {
        let body = '';
        const done = (): void => {
          resolve({
            statusCode: res.statusCode ?? 0,
            headers: res.headers,
            body,
            json: <T>() => JSON.parse(body) as T,
          });
          controller.abort();
        };
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
          if (res.statusCode === 200 && body.includes('\n\n')) done();
        });
        res.on('end', done);
      },
    );
    req.on('error', (err) => {
      if (!controller.signal.aborted) reject(err);
    });
    setTimeout(() => reject(new Error('the stream answered nothing in 10 s')), 10_000).unref();
  });
}

beforeAll(async () => {
  const h = api();
  shared = await buildWorld(h);
  address = await h.app.listen({ port: 0, host: '127.0.0.1' });
});

describe('authorisation matrix, continued', () => {
  const rows = CASES.flatMap((c) => ACTORS.map((actor) => ({ c, actor })));
  it('covers every listed route for every actor', () => expect(rows.length).toBe(CASES.length * ACTORS.length));
  it.each(rows.map(({ c, actor }) => [`${c.name} as ${actor} → ${c.expect[actor]}`, c, actor] as const))(
    '%s',
    async (_label, c, actor) => {
      const h = api();
      const w = c.fresh ? await buildWorld(h) : shared;
      const token = actor === 'anonymous' ? undefined : w.actors[actor].access;
      const res: Answer = c.stream
        ? await openStream(token)
        : await h.call(c.method, c.path(w), { token, body: c.body?.(w, actor) });
      expect(res.statusCode, res.body.slice(0, 300)).toBe(c.expect[actor]);
      if (res.statusCode >= 400) {
        expect(res.headers['content-type']).toContain('application/problem+json');
        // A refusal never carries anyone's data.
        expect(res.body).not.toContain('Calmette');
        expect(res.body).not.toContain(w.actors.owner.email);
      } else {
        c.check?.(res, w, actor);
      }
      await c.after?.(h, w, actor, res);
    },
  );

  it('the scraper token opens /metrics, which names route templates, never ids', async () => {
    const h = api();
    const res = await h.call('GET', '/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('dastern_http_requests_total');
    expect(res.body).toContain('/api/v1/admin/users/:id/deactivate');
    expect(res.body).not.toContain(shared.actors.owner.id);
  });
});
