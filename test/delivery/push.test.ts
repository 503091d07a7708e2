/**
 * A push endpoint cannot be taken from another account without its
 * keys, and the server never POSTs inside our network — not at subscription, not at send
 * time, not with the development setting `*`, for IPv4, IPv6 and host names.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import webpush from 'web-push';
import { useApi, register } from '../support/api.ts';
import { browserKeys, startPushService, type PushService } from '../delivery/support.ts';
import { endpointAddressCheck, isPublicAddress, publicOnlyLookup, webPushSender } from '../../src/delivery/push.ts';

const api = useApi({ env: { DASTERN_PUSH_ENDPOINT_HOSTS: '*' } });

function subscription(endpoint = `https://fcm.googleapis.com/fcm/send/${Math.random().toString(36).slice(2)}`) {
  const k = browserKeys();
  return { endpoint, expirationTime: null, keys: { p256dh: k.p256dh, auth: k.auth } };
}

describe('push subscription takeover (item 5)', () => {
  it("re-registering the victim's endpoint with other keys is refused; her device keeps its reminders", async () => {
    const h = api();
    const victim = await register(h, 'patient');
    const attacker = await register(h, 'patient');
    const mine = subscription();
    const id = (await h.call('POST', '/me/push-subscriptions', { token: victim.access, body: mine })).json()
      .id as string;
    const stolen = await h.call('POST', '/me/push-subscriptions', {
      token: attacker.access,
      body: { ...subscription(mine.endpoint) },
    });
    expect(stolen.statusCode).toBe(409);
    expect(stolen.json().code).toBe('push_endpoint_taken');
    const hers = (await h.call('GET', '/me/push-subscriptions', { token: victim.access })).json().items as {
      id: string;
      disabled_at: string | null;
    }[];
    expect(hers).toEqual([expect.objectContaining({ id, disabled_at: null })]);
    expect((await h.call('GET', '/me/push-subscriptions', { token: attacker.access })).json().items).toEqual([]);
    const row = await h.t.owner.query('SELECT user_id, p256dh FROM push_subscriptions WHERE id = $1', [id]);
    expect(row.rows).toEqual([{ user_id: victim.id, p256dh: mine.keys.p256dh.replace(/=+$/, '') }]);
  });
});

describe('push endpoints inside our network (item 9)', () => {
  it('subscription refuses loopback, private, link-local and other non-public addresses even with hosts = *', async () => {
    const h = api();
    const p = await register(h, 'patient');
    for (const endpoint of [
      'https://127.0.0.1:5432/x',
      'https://127.1.2.3/x',
      'https://10.0.0.5/x',
      'https://172.16.0.1/x',
      'https://192.168.1.1/x',
      'https://169.254.169.254/latest/meta-data',
      'https://100.64.0.1/x',
      'https://0.0.0.0/x',
      'https://[::1]:5432/x',
      'https://[fe80::1]/x',
      'https://[fd00::1]/x',
      'https://[::ffff:127.0.0.1]/x',
      'https://[::ffff:a00:1]/x',
      'https://[64:ff9b::7f00:1]/x',
      'https://localhost:5432/x',
    ]) {
      const res = await h.call('POST', '/me/push-subscriptions', { token: p.access, body: subscription(endpoint) });
      expect(res.statusCode, endpoint).toBe(422);
      expect(res.json().code).toBe('push_endpoint_not_allowed');
    }
    // a public address literal is a host like any other under `*`
    expect(
      (
        await h.call('POST', '/me/push-subscriptions', {
          token: p.access,
          body: subscription('https://8.8.8.8/push/x'),
        })
      ).statusCode,
    ).toBe(201);
  });

  it('classifies addresses; a host name is judged by what it resolves to', async () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '192.168.0.1',
      '169.254.1.1',
      '::1',
      'fe80::1',
      'fc00::1',
      '::ffff:127.0.0.1',
      '::',
      '224.0.0.1',
    ])
      expect(isPublicAddress(a), a).toBe(false);
    for (const a of ['8.8.8.8', '142.250.72.14', '2606:4700:4700::1111']) expect(isPublicAddress(a), a).toBe(true);
    const fake = (addresses: string[]) => async () => addresses.map((address) => ({ address }));
    expect(await endpointAddressCheck('https://push.example/x', [], fake(['142.250.72.14', '10.0.0.1']))).toBe(
      'private',
    );
    expect(await endpointAddressCheck('https://push.example/x', [], fake(['142.250.72.14']))).toBe('public');
    expect(await endpointAddressCheck('https://localhost/x')).toBe('private');
  });

  describe('at send time', () => {
    let push: PushService;
    beforeAll(async () => {
      push = await startPushService();
    });
    afterAll(async () => {
      await push.close();
    });
    const vapid = webpush.generateVAPIDKeys();
    const details = { subject: 'mailto:ops@dastern.local', publicKey: vapid.publicKey, privateKey: vapid.privateKey };
    const message = { payload: '{"type":"reminder"}', ttlSeconds: 60, urgency: 'normal' as const };

    it('a stored subscription pointing at a local service is never POSTed to, with hosts = *', async () => {
      const k = browserKeys();
      const sender = webPushSender({ vapid: details, allowedHosts: ['*'], agent: push.agent, timeoutMs: 5000 });
      const port = new URL(push.origin).port;
      for (const endpoint of [
        `${push.origin}/literal`,
        `https://localhost:${port}/by-name`,
        `https://[::ffff:127.0.0.1]:${port}/mapped`,
      ]) {
        const out = await sender.send({ endpoint, p256dh: k.p256dh, auth: k.auth }, message);
        expect(out, endpoint).toMatchObject({ kind: 'failed', transient: false });
      }
      expect(push.requests).toEqual([]);
      // the same local service, explicitly reachable (what the delivery tests do), is reached: the refusal above is real
      const allowed = webPushSender({
        vapid: details,
        allowedHosts: ['*'],
        agent: push.agent,
        timeoutMs: 5000,
        reachableAddresses: ['127.0.0.1'],
      });
      expect(
        await allowed.send({ endpoint: `${push.origin}/allowed`, p256dh: k.p256dh, auth: k.auth }, message),
      ).toMatchObject({ kind: 'sent' });
      expect(push.requests.map((r) => r.path)).toEqual(['/allowed']);
    });

    it("the agent's own lookup refuses a name resolving inside (no rebinding between check and connect)", async () => {
      const lookup = publicOnlyLookup();
      const err = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
        lookup('localhost', { family: 0 }, (e) => resolve(e)),
      );
      expect(err?.code).toBe('EPUSHPRIVATE');
    });
  });
});
