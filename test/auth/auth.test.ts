/** Accounts, sessions and token attacks, through HTTP on a real database. */
import { describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { hkdfSync } from 'node:crypto';
import { useApi, register, uniqueEmail, mailToken, JWT_SECRET } from '../support/api.ts';
import { TokenService } from '../../src/auth/tokens.ts';

const api = useApi();
const accessKey = () =>
  new Uint8Array(
    hkdfSync('sha256', Buffer.from(JWT_SECRET), Buffer.from('dastern-v1'), Buffer.from('access-token'), 32),
  );

describe('register', () => {
  it('creates a patient with tokens and defaults (201)', async () => {
    const h = api();
    const email = uniqueEmail('Reg');
    const res = await h.call('POST', '/auth/register', {
      body: { email, password: 'good password 123', role: 'patient', first_name: 'Sophea', last_name: 'Chan' },
    });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    expect(body.user).toMatchObject({
      email: email.toLowerCase(),
      role: 'patient',
      language: 'km',
      timezone: 'Asia/Phnom_Penh',
      email_verified: false,
    });
    expect(body.token_type).toBe('Bearer');
    expect(body.expires_in).toBe(900);
    expect(body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const row = await h.t.owner.query(
      'SELECT password_hash, refresh_token_hash FROM users u JOIN user_sessions s ON s.user_id = u.id WHERE u.id = $1',
      [body.user.id],
    );
    expect(row.rows[0].password_hash).toMatch(/^\$2[aby]\$04\$/); // test cost; production refuses < 12
    expect(row.rows[0].refresh_token_hash).not.toContain(body.refresh_token);
  });

  it.each([
    ['admin role', { role: 'admin' }, 'validation_failed'],
    ['bad e-mail', { email: 'not-an-email' }, 'validation_failed'],
    ['short password', { password: 'short1' }, 'validation_failed'],
    ['password without digits', { password: 'onlyletters here' }, 'weak_password'],
    ['unknown field', { is_admin: true }, 'validation_failed'],
    ['unknown time zone', { timezone: 'Mars/Olympus' }, 'invalid_timezone'],
    ['number as name', { first_name: 42 }, 'validation_failed'],
    ['bad phone', { phone: '012 345' }, 'validation_failed'],
  ])('refuses %s (400 problem+json)', async (_name, patch, code) => {
    const h = api();
    const res = await h.call('POST', '/auth/register', {
      body: {
        email: uniqueEmail(),
        password: 'good password 123',
        role: 'patient',
        first_name: 'A',
        last_name: 'B',
        ...patch,
      },
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().code).toBe(code);
  });

  it('answers 409 email_taken for a second account with the same address (any case)', async () => {
    const h = api();
    const p = await register(h, 'patient');
    const res = await h.call('POST', '/auth/register', {
      body: {
        email: p.email.toUpperCase(),
        password: 'good password 123',
        role: 'doctor',
        first_name: 'A',
        last_name: 'B',
      },
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('email_taken');
  });
});

describe('login and lockout', () => {
  it('signs in (200) and refuses a wrong password or unknown e-mail with the same 401', async () => {
    const h = api();
    const p = await register(h, 'doctor');
    const ok = await h.call('POST', '/auth/login', {
      body: { email: p.email, password: p.password },
      headers: { 'x-platform': 'android', 'x-app-version': '1.2.3' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().user.role).toBe('doctor');
    const wrong = await h.call('POST', '/auth/login', { body: { email: p.email, password: 'wrong password 1' } });
    const unknown = await h.call('POST', '/auth/login', { body: { email: uniqueEmail(), password: 'whatever 12345' } });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json().code).toBe('invalid_credentials');
    expect(unknown.json().detail).toBe(wrong.json().detail);
    const ev = await h.t.owner.query(
      `SELECT platform, app_version FROM usage_analytics WHERE user_id = $1 AND event_type = 'login'`,
      [p.id],
    );
    expect(ev.rows).toEqual([{ platform: 'android', app_version: '1.2.3' }]);
  });

  it('throttles after 5 failures from one address: 429 with Retry-After and an audit row (issue 16: no 15-minute lock for everyone; test/auth/lockout.test.ts)', async () => {
    const h = api();
    const p = await register(h, 'patient');
    for (let i = 0; i < 4; i++) {
      const r = await h.call('POST', '/auth/login', { body: { email: p.email, password: `wrong password ${i}` } });
      expect(r.statusCode).toBe(401);
    }
    const fifth = await h.call('POST', '/auth/login', { body: { email: p.email, password: 'wrong password 5' } });
    expect(fifth.statusCode).toBe(429);
    expect(fifth.json().code).toBe('account_locked');
    const retry = Number(fifth.headers['retry-after']);
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(60);
    const right = await h.call('POST', '/auth/login', { body: { email: p.email, password: p.password } });
    expect(right.statusCode).toBe(429);
    const audit = await h.t.owner.query(
      `SELECT action, subject_user_id FROM audit_logs WHERE action = 'lockout' AND resource_id = $1`,
      [p.id],
    );
    expect(audit.rowCount).toBe(1);
    // After the block expires the right password works again.
    await h.t.owner.query(
      `UPDATE auth_throttle SET blocked_until = now() - interval '1 second' WHERE blocked_until IS NOT NULL`,
    );
    expect((await h.call('POST', '/auth/login', { body: { email: p.email, password: p.password } })).statusCode).toBe(
      200,
    );
  });

  it('refuses a deactivated account with 403 account_disabled (only after the right password)', async () => {
    const h = api();
    const p = await register(h, 'patient');
    await h.t.owner.query('UPDATE users SET is_active = false WHERE id = $1', [p.id]);
    expect(
      (await h.call('POST', '/auth/login', { body: { email: p.email, password: 'wrong password 9' } })).statusCode,
    ).toBe(401);
    const res = await h.call('POST', '/auth/login', { body: { email: p.email, password: p.password } });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('account_disabled');
    expect((await h.call('GET', '/me', { token: p.access })).json().code).toBe('session_revoked');
  });
});

describe('refresh, rotation and reuse', () => {
  it('rotates: the new pair works, the old refresh token is dead, and its reuse ends the whole session', async () => {
    const h = api();
    const p = await register(h, 'patient');
    const r1 = await h.call('POST', '/auth/refresh', { body: { refresh_token: p.refresh } });
    expect(r1.statusCode).toBe(200);
    const t1 = r1.json();
    expect(t1.refresh_token).not.toBe(p.refresh);
    expect((await h.call('GET', '/me', { token: t1.access_token })).statusCode).toBe(200);
    const r2 = await h.call('POST', '/auth/refresh', { body: { refresh_token: t1.refresh_token } });
    expect(r2.statusCode).toBe(200);
    const t2 = r2.json();
    // An attacker replays the first (rotated) token:
    const reuse = await h.call('POST', '/auth/refresh', { body: { refresh_token: p.refresh } });
    expect(reuse.statusCode).toBe(401);
    expect(reuse.json().code).toBe('refresh_token_reused');
    // The whole family is dead: the latest refresh token and every access token of the session.
    expect((await h.call('POST', '/auth/refresh', { body: { refresh_token: t2.refresh_token } })).json().code).toBe(
      'invalid_refresh_token',
    );
    expect((await h.call('GET', '/me', { token: t2.access_token })).json().code).toBe('session_revoked');
    const audit = await h.t.owner.query(
      `SELECT 1 FROM audit_logs WHERE action = 'token_reuse' AND subject_user_id = $1`,
      [p.id],
    );
    expect(audit.rowCount).toBe(1);
  });

  it('refuses an unknown or malformed refresh token', async () => {
    const h = api();
    expect((await h.call('POST', '/auth/refresh', { body: { refresh_token: 'A'.repeat(43) } })).json().code).toBe(
      'invalid_refresh_token',
    );
    expect((await h.call('POST', '/auth/refresh', { body: { refresh_token: 'x' } })).statusCode).toBe(400);
    expect((await h.call('POST', '/auth/refresh', { body: {} })).statusCode).toBe(400);
  });
});

describe('logout and devices', () => {
  it('logout ends this session only; ?all=true ends every one', async () => {
    const h = api();
    const p = await register(h, 'patient');
    const second = (await h.call('POST', '/auth/login', { body: { email: p.email, password: p.password } })).json();
    const third = (await h.call('POST', '/auth/login', { body: { email: p.email, password: p.password } })).json();
    const out = await h.call('POST', '/auth/logout', { token: p.access });
    expect(out.json()).toEqual({ ended_sessions: 1 });
    expect((await h.call('GET', '/me', { token: p.access })).statusCode).toBe(401);
    expect((await h.call('POST', '/auth/refresh', { body: { refresh_token: p.refresh } })).statusCode).toBe(401);
    expect((await h.call('GET', '/me', { token: second.access_token })).statusCode).toBe(200);
    const all = await h.call('POST', '/auth/logout', { token: second.access_token, query: { all: 'true' } });
    expect(all.json()).toEqual({ ended_sessions: 2 });
    expect((await h.call('GET', '/me', { token: third.access_token })).statusCode).toBe(401);
  });

  it("lists my devices and ends one; another user's session answers 404", async () => {
    const h = api();
    const p = await register(h, 'patient', {});
    const other = await register(h, 'patient');
    const phone = (
      await h.call('POST', '/auth/login', {
        body: { email: p.email, password: p.password },
        headers: { 'x-platform': 'ios', 'user-agent': 'DasTern/2 iPhone' },
      })
    ).json();
    const list = await h.call('GET', '/me/sessions', { token: p.access });
    expect(list.statusCode).toBe(200);
    const items = list.json().items as {
      id: string;
      current: boolean;
      device_info: Record<string, string>;
      user_agent: string | null;
    }[];
    expect(items).toHaveLength(2);
    expect(items.filter((s) => s.current)).toHaveLength(1);
    const phoneSession = items.find((s) => s.device_info.platform === 'ios');
    expect(phoneSession?.user_agent).toBe('DasTern/2 iPhone');
    const otherSessions = (await h.call('GET', '/me/sessions', { token: other.access })).json().items as {
      id: string;
    }[];
    expect((await h.call('DELETE', `/me/sessions/${otherSessions[0]?.id}`, { token: p.access })).statusCode).toBe(404);
    expect((await h.call('DELETE', `/me/sessions/${phoneSession?.id}`, { token: p.access })).statusCode).toBe(204);
    expect((await h.call('GET', '/me', { token: phone.access_token })).json().code).toBe('session_revoked');
    // a list route (its reads pipelined behind the session check) refuses it as well
    expect((await h.call('GET', '/notifications', { token: phone.access_token })).json().code).toBe('session_revoked');
    expect((await h.call('GET', '/me', { token: other.access })).statusCode).toBe(200);
  });

  it('changes the password: the old one stops working and other sessions end', async () => {
    const h = api();
    const p = await register(h, 'patient');
    const other = (await h.call('POST', '/auth/login', { body: { email: p.email, password: p.password } })).json();
    expect(
      (
        await h.call('POST', '/auth/password', {
          token: p.access,
          body: { current_password: 'nope nope 1', new_password: 'brand new pass 42' },
        })
      ).json().code,
    ).toBe('wrong_password');
    expect(
      (
        await h.call('POST', '/auth/password', {
          token: p.access,
          body: { current_password: p.password, new_password: 'brand new pass 42' },
        })
      ).statusCode,
    ).toBe(200);
    expect((await h.call('GET', '/me', { token: p.access })).statusCode).toBe(200);
    expect((await h.call('GET', '/me', { token: other.access_token })).statusCode).toBe(401);
    expect((await h.call('POST', '/auth/login', { body: { email: p.email, password: p.password } })).statusCode).toBe(
      401,
    );
    expect(
      (await h.call('POST', '/auth/login', { body: { email: p.email, password: 'brand new pass 42' } })).statusCode,
    ).toBe(200);
  });
});

describe('token attacks', () => {
  const claims = (p: { id: string }, sid: string) => ({ role: 'patient', sid, sub: p.id });
  async function sessionId(h: ReturnType<typeof api>, token: string): Promise<string> {
    return (await new TokenService(JWT_SECRET, 900).verifyAccess(token)).sessionId;
  }

  it('expired token → 401 token_expired', async () => {
    const h = api();
    const p = await register(h, 'patient');
    const old = await new TokenService(JWT_SECRET, 900).signAccess(
      { userId: p.id, role: 'patient', sessionId: await sessionId(h, p.access) },
      Date.now() - 3600_000,
    );
    const res = await h.call('GET', '/me', { token: old });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('token_expired');
    expect(res.headers['www-authenticate']).toContain('Bearer');
  });

  it('a token verified once (and remembered) still expires on time; a changed copy of it is not taken for it', async () => {
    const tokens = new TokenService(JWT_SECRET, 60);
    const sid = crypto.randomUUID();
    const user = crypto.randomUUID();
    const t0 = Date.now();
    const token = await tokens.signAccess({ userId: user, role: 'patient', sessionId: sid }, t0);
    expect(await tokens.verifyAccess(token, t0 + 1_000)).toEqual({ userId: user, role: 'patient', sessionId: sid });
    expect(await tokens.verifyAccess(token, t0 + 30_000)).toEqual({ userId: user, role: 'patient', sessionId: sid });
    await expect(tokens.verifyAccess(token, t0 + 61_000)).rejects.toMatchObject({ code: 'token_expired' });
    const fresh = await tokens.signAccess({ userId: user, role: 'patient', sessionId: sid }, t0);
    expect(await tokens.verifyAccess(fresh, t0)).toMatchObject({ userId: user });
    const [h, body, sig] = fresh.split('.') as [string, string, string];
    // a character in the middle of the signature (the last one carries padding bits)
    const flipped = `${h}.${body}.${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`;
    await expect(tokens.verifyAccess(flipped, t0)).rejects.toMatchObject({ code: 'invalid_token' });
    const forged = `${h}.${Buffer.from(JSON.stringify({ role: 'admin', sid, sub: user, iss: 'dastern', aud: 'dastern-api', iat: 1, exp: 9_999_999_999 })).toString('base64url')}.${sig}`;
    await expect(tokens.verifyAccess(forged, t0)).rejects.toMatchObject({ code: 'invalid_token' });
  });

  it('wrong signature, alg none, tampered payload, other audience, garbage → 401 invalid_token', async () => {
    const h = api();
    const p = await register(h, 'patient');
    const sid = await sessionId(h, p.access);
    const wrongKey = await new TokenService('another-secret-0123456789abcdef0123456789', 900).signAccess({
      userId: p.id,
      role: 'patient',
      sessionId: sid,
    });
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims(p, sid), iss: 'dastern', aud: 'dastern-api', iat: now, exp: now + 600 })}.`;
    const [hd, , sig] = p.access.split('.');
    const tampered = `${hd}.${b64({ ...claims(p, sid), role: 'admin', iss: 'dastern', aud: 'dastern-api', iat: now, exp: now + 600 })}.${sig}`;
    const otherAud = await new SignJWT({ role: 'patient', sid })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(p.id)
      .setIssuer('dastern')
      .setAudience('dastern-verify_email')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(accessKey());
    const hs512 = await new SignJWT({ role: 'patient', sid })
      .setProtectedHeader({ alg: 'HS512' })
      .setSubject(p.id)
      .setIssuer('dastern')
      .setAudience('dastern-api')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(new Uint8Array(64));
    for (const token of [wrongKey, none, tampered, otherAud, hs512, 'garbage.token.value', 'x'.repeat(30)]) {
      const res = await h.call('GET', '/me', { token });
      expect(res.statusCode, token).toBe(401);
      expect(res.json().code).toBe('invalid_token');
    }
    expect((await h.call('GET', '/me', { headers: { authorization: 'Basic abc' } })).statusCode).toBe(401);
    expect((await h.call('GET', '/me')).json().code).toBe('unauthorized');
  });

  it('a validly signed token whose session does not exist or was revoked → 401 session_revoked', async () => {
    const h = api();
    const p = await register(h, 'patient');
    const forged = await new TokenService(JWT_SECRET, 900).signAccess({
      userId: p.id,
      role: 'patient',
      sessionId: crypto.randomUUID(),
    });
    expect((await h.call('GET', '/me', { token: forged })).json().code).toBe('session_revoked');
    // A session of another user, paired with my user id, is not mine (RLS + explicit check).
    const q = await register(h, 'patient');
    const mixed = await new TokenService(JWT_SECRET, 900).signAccess({
      userId: p.id,
      role: 'patient',
      sessionId: await sessionId(h, q.access),
    });
    expect((await h.call('GET', '/me', { token: mixed })).json().code).toBe('session_revoked');
    await h.call('POST', '/auth/logout', { token: p.access });
    expect((await h.call('GET', '/me', { token: p.access })).json().code).toBe('session_revoked');
  });

  it('an e-mail link token is not an access token', async () => {
    const h = api();
    const p = await register(h, 'patient');
    const token = await mailToken(h, p.email);
    expect((await h.call('GET', '/me', { token })).json().code).toBe('invalid_token');
  });
});

describe('rate limits on auth routes', () => {
  const limited = useApi({ env: { DASTERN_AUTH_RATE_LIMIT: '3' } });
  it('answers 429 rate_limited with Retry-After past the per-IP limit', async () => {
    const h = limited();
    const codes: number[] = [];
    for (let i = 0; i < 5; i++)
      codes.push(
        (await h.call('POST', '/auth/login', { body: { email: 'nobody@example.com', password: 'whatever 123' } }))
          .statusCode,
      );
    expect(codes).toEqual([401, 401, 401, 429, 429]);
    const last = await h.call('POST', '/auth/login', {
      body: { email: 'nobody@example.com', password: 'whatever 123' },
    });
    expect(last.json().code).toBe('rate_limited');
    expect(Number(last.headers['retry-after'])).toBeGreaterThan(0);
    expect(last.headers['content-type']).toContain('application/problem+json');
  });
});
