/**
 * Sign-in throttling that tells nobody who has an account
 * and hands no attacker a denial of service on the victim; a password reset lets the owner
 * back in; registration is rate-limited per IP. Each attack runs from its own client address.
 */
import bcrypt from 'bcrypt';
import { describe, expect, it, vi } from 'vitest';
import { API_PREFIX } from '../../src/http/app.ts';
import { useApi, register, uniqueEmail, type ApiHarness } from '../support/api.ts';

const api = useApi();

async function login(h: ApiHarness, ip: string, email: string, password: string) {
  return h.app.inject({
    method: 'POST',
    url: `${API_PREFIX}/auth/login`,
    remoteAddress: ip,
    payload: { email, password },
  });
}

/** The token of the reset link mailed to an address (the mail goes after the answer). */
async function resetToken(h: ApiHarness, to: string): Promise<string> {
  // up to 30 s: on two busy cores the mail can take seconds
  for (let i = 0; i < 1500; i++) {
    const m = h.mailer.sent
      .map((x) => (x.to === to ? /reset-password\?token=([^\s]+)/.exec(x.text) : null))
      .find((x) => x !== null);
    if (m?.[1] !== undefined) return decodeURIComponent(m[1]);
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no reset mail to ${to}`);
}

/** What a client sees of an answer, minus what differs on every request anyway. */
function visible(res: Awaited<ReturnType<typeof login>>) {
  const body = res.json<Record<string, unknown>>();
  delete body.instance;
  delete body.request_id;
  return {
    status: res.statusCode,
    body,
    retryAfter: res.headers['retry-after'] ?? null,
    type: res.headers['content-type'],
  };
}

describe('no account enumeration through sign-in', () => {
  it('five wrong passwords: an existing and an unknown address get the same answers, headers and bcrypt work', async () => {
    const h = api();
    const p = await register(h, 'patient');
    const unknown = uniqueEmail('nobody');
    const compare = vi.spyOn(bcrypt, 'compare');
    try {
      const known: ReturnType<typeof visible>[] = [];
      const none: ReturnType<typeof visible>[] = [];
      const comparesKnown: number[] = [];
      const comparesNone: number[] = [];
      for (let i = 0; i < 7; i++) {
        compare.mockClear();
        known.push(visible(await login(h, '203.0.113.10', p.email, `wrong password ${i}`)));
        comparesKnown.push(compare.mock.calls.length);
        compare.mockClear();
        none.push(visible(await login(h, '203.0.113.10', unknown, `wrong password ${i}`)));
        comparesNone.push(compare.mock.calls.length);
      }
      expect(known.map((r) => r.status)).toEqual([401, 401, 401, 401, 429, 429, 429]);
      expect(none).toEqual(known);
      // a real bcrypt comparison for both while not throttled, none for either once throttled
      expect(comparesKnown).toEqual([1, 1, 1, 1, 1, 0, 0]);
      expect(comparesNone).toEqual(comparesKnown);
    } finally {
      compare.mockRestore();
    }
  });
});

describe('no denial of service on the victim', () => {
  it("an attacker's five failures throttle his address, not the owner signing in from hers", async () => {
    const h = api();
    const victim = await register(h, 'patient');
    for (let i = 0; i < 5; i++) await login(h, '203.0.113.20', victim.email, `guess ${i} password`);
    const attacker = await login(h, '203.0.113.20', victim.email, victim.password);
    expect(attacker.statusCode).toBe(429);
    expect(attacker.json().code).toBe('account_locked');
    expect(Number(attacker.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(attacker.headers['retry-after'])).toBeLessThanOrEqual(60);
    const owner = await login(h, '198.51.100.20', victim.email, victim.password);
    expect(owner.statusCode, owner.body).toBe(200);
    const audit = await h.t.owner.query(
      `SELECT new_values->>'scope' AS scope FROM audit_logs WHERE action = 'lockout' AND resource_id = $1`,
      [victim.id],
    );
    expect(audit.rows).toEqual([{ scope: 'pair' }]);
  });

  it('the delay grows with each failure after a block (backoff), capped', async () => {
    const h = api();
    const p = await register(h, 'patient');
    for (let i = 0; i < 5; i++) await login(h, '203.0.113.30', p.email, `guess ${i} password`);
    const expire = () =>
      h.t.owner.query(
        `UPDATE auth_throttle SET blocked_until = now() - interval '1 second' WHERE blocked_until IS NOT NULL`,
      );
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      await expire();
      const r = await login(h, '203.0.113.30', p.email, `again ${i} password`);
      expect(r.statusCode).toBe(429);
      delays.push(Number(r.headers['retry-after']));
    }
    expect(delays[0]).toBeGreaterThan(60);
    expect(delays[0]).toBeLessThanOrEqual(120);
    expect(delays[1]).toBeGreaterThan(120);
    expect(delays[5]).toBeLessThanOrEqual(15 * 60);
    expect(delays[5]).toBeGreaterThan(14 * 60);
  });

  it('many addresses against one account block it, and a password reset lets the owner back in at once', async () => {
    const h = api();
    const p = await register(h, 'patient');
    for (let i = 0; i < 20; i++) await login(h, `192.0.2.${i + 1}`, p.email, `spray ${i} password`);
    expect((await login(h, '198.51.100.40', p.email, p.password)).statusCode).toBe(429);
    expect((await h.call('POST', '/auth/password-reset/request', { body: { email: p.email } })).statusCode).toBe(202);
    const token = await resetToken(h, p.email);
    const reset = await h.call('POST', '/auth/password-reset', { body: { token, password: 'a fresh 42 password' } });
    expect(reset.statusCode, reset.body).toBe(200);
    expect((await login(h, '198.51.100.40', p.email, 'a fresh 42 password')).statusCode).toBe(200);
    // even the address that was blocked on the pair before
    expect((await login(h, '192.0.2.20', p.email, 'a fresh 42 password')).statusCode).toBe(200);
  });
});

describe('registration rate limit per IP', () => {
  const limited = useApi({ env: { DASTERN_REGISTER_RATE_LIMIT: '3' } });
  const signUp = (h: ApiHarness, ip: string, email: string) =>
    h.app.inject({
      method: 'POST',
      url: `${API_PREFIX}/auth/register`,
      remoteAddress: ip,
      payload: { email, password: 'correct horse 42 battery', role: 'patient', first_name: 'Sok', last_name: 'Dara' },
    });

  it('keeps 409 for a taken address, but an IP probing addresses is stopped (429) while others still register', async () => {
    const h = limited();
    const taken = uniqueEmail('taken');
    expect((await signUp(h, '203.0.113.50', taken)).statusCode).toBe(201);
    expect((await signUp(h, '203.0.113.50', taken)).statusCode).toBe(409);
    expect((await signUp(h, '203.0.113.50', uniqueEmail())).statusCode).toBe(201);
    const probe = await signUp(h, '203.0.113.50', taken);
    expect(probe.statusCode).toBe(429);
    expect(probe.json().code).toBe('rate_limited');
    expect((await signUp(h, '198.51.100.50', uniqueEmail())).statusCode).toBe(201);
  });
});
