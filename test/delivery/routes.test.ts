/** /me/push-subscriptions and /push/vapid-public-key through HTTP. */
import { describe, expect, it } from 'vitest';
import { register, useApi } from '../support/api.ts';
import { browserKeys } from './support.ts';

const api = useApi({ env: { DASTERN_PUSH_ENDPOINT_HOSTS: 'fcm.googleapis.com,push.services.mozilla.com' } });

function subscription(endpoint = `https://fcm.googleapis.com/fcm/send/${Math.random().toString(36).slice(2)}`) {
  const k = browserKeys();
  return { endpoint, expirationTime: null, keys: { p256dh: k.p256dh, auth: k.auth } };
}

describe('push subscriptions', () => {
  it('serves the VAPID public key to anyone', async () => {
    const res = await api().call('GET', '/push/vapid-public-key');
    expect(res.statusCode).toBe(200);
    expect(res.json().public_key).toMatch(/^[A-Za-z0-9_-]{87}$/);
  });

  it('registers a browser (upsert by endpoint), lists it, removes it', async () => {
    const h = api();
    const p = await register(h, 'patient');
    const body = subscription();
    const created = await h.call('POST', '/me/push-subscriptions', {
      token: p.access,
      body,
      headers: { 'user-agent': 'Firefox/130' },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    expect(created.json()).toMatchObject({
      endpoint: body.endpoint,
      user_agent: 'Firefox/130',
      failure_count: 0,
      disabled_at: null,
    });

    const again = await h.call('POST', '/me/push-subscriptions', {
      token: p.access,
      body: { ...body, keys: subscription().keys },
    });
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(id);

    const list = await h.call('GET', '/me/push-subscriptions', { token: p.access });
    expect(list.json().items.map((i: { id: string }) => i.id)).toEqual([id]);

    expect((await h.call('DELETE', `/me/push-subscriptions/${id}`, { token: p.access })).statusCode).toBe(204);
    expect((await h.call('DELETE', `/me/push-subscriptions/${id}`, { token: p.access })).statusCode).toBe(404);
    expect((await h.call('GET', '/me/push-subscriptions', { token: p.access })).json().items).toEqual([]);
  });

  it('moves a browser to the account that registers it last; others cannot see or remove it', async () => {
    const h = api();
    const first = await register(h, 'patient');
    const second = await register(h, 'doctor');
    const body = subscription();
    const id = (await h.call('POST', '/me/push-subscriptions', { token: first.access, body })).json().id as string;
    expect((await h.call('DELETE', `/me/push-subscriptions/${id}`, { token: second.access })).statusCode).toBe(404);
    const moved = await h.call('POST', '/me/push-subscriptions', { token: second.access, body });
    expect(moved.statusCode).toBe(201);
    expect(moved.json().id).toBe(id);
    expect((await h.call('GET', '/me/push-subscriptions', { token: first.access })).json().items).toEqual([]);
    expect((await h.call('GET', '/me/push-subscriptions', { token: second.access })).json().items).toHaveLength(1);
  });

  it('refuses endpoints outside the push services, bad keys, and anonymous callers', async () => {
    const h = api();
    const p = await register(h, 'patient');
    for (const endpoint of [
      'http://fcm.googleapis.com/fcm/send/x',
      'https://169.254.169.254/latest/meta-data',
      'https://internal.example/push',
      'https://user:pw@fcm.googleapis.com/x',
    ]) {
      const res = await h.call('POST', '/me/push-subscriptions', { token: p.access, body: subscription(endpoint) });
      expect(res.statusCode, endpoint).toBe(422);
      expect(res.json().code).toBe('push_endpoint_not_allowed');
    }
    const sub = subscription('https://updates.push.services.mozilla.com/wpush/v2/abc');
    const badKey = await h.call('POST', '/me/push-subscriptions', {
      token: p.access,
      body: { ...sub, keys: { ...sub.keys, p256dh: 'A'.repeat(87) } },
    });
    expect(badKey.statusCode).toBe(400);
    expect(badKey.json().code).toBe('invalid_push_keys');
    const missing = await h.call('POST', '/me/push-subscriptions', {
      token: p.access,
      body: { endpoint: sub.endpoint },
    });
    expect(missing.statusCode).toBe(400);
    expect((await h.call('POST', '/me/push-subscriptions', { body: sub })).statusCode).toBe(401);
    expect((await h.call('POST', '/me/push-subscriptions', { token: p.access, body: sub })).statusCode).toBe(201);
  });

  it('takes keys with or without base64 padding and stores them canonical; wrong padding is a bad key, not a database error', async () => {
    const h = api();
    const p = await register(h, 'patient');
    const sub = subscription('https://updates.push.services.mozilla.com/wpush/v2/padded');
    const padded = {
      ...sub,
      keys: { p256dh: `${sub.keys.p256dh.replace(/=+$/, '')}=`, auth: `${sub.keys.auth.replace(/=+$/, '')}==` },
    };
    expect((await h.call('POST', '/me/push-subscriptions', { token: p.access, body: padded })).statusCode).toBe(201);
    const stored = await h.t.owner.query<{ p256dh: string; auth: string }>(
      'SELECT p256dh, auth FROM push_subscriptions WHERE endpoint = $1',
      [sub.endpoint],
    );
    expect(stored.rows[0]).toEqual({
      p256dh: sub.keys.p256dh.replace(/=+$/, ''),
      auth: sub.keys.auth.replace(/=+$/, ''),
    });
    const tooLong = { ...sub, keys: { ...sub.keys, p256dh: `${sub.keys.p256dh.replace(/=+$/, '')}A` } };
    const res = await h.call('POST', '/me/push-subscriptions', { token: p.access, body: tooLong });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('invalid_push_keys');
  });
});
