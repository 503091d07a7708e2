/**
 * Per-address and per-account limits behind a reverse proxy (DASTERN_TRUST_PROXY=true):
 * the client writes the left part of X-Forwarded-For, so only the hop the proxy appends
 * counts; and invitation codes cannot be guessed at the global rate.
 */
import { describe, expect, it } from 'vitest';
import { useApi, uniqueEmail, type ApiHarness } from '../support/api.ts';

const api = useApi({ env: { DASTERN_TRUST_PROXY: 'true', DASTERN_AUTH_RATE_LIMIT: '3' } });

/** As seen through the proxy: the client's claim, then the address the proxy saw. */
const via = (
  client: string,
  claimed = `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.9`,
) => ({ 'x-forwarded-for': `${claimed}, ${client}` });

async function signUp(
  h: ApiHarness,
  role: 'patient' | 'doctor',
  client: string,
): Promise<{ id: string; token: string }> {
  const res = await h.call('POST', '/auth/register', {
    headers: via(client),
    body: {
      email: uniqueEmail(role),
      password: 'correct horse 42 battery',
      role,
      first_name: 'Sok',
      last_name: 'Dara',
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  const b = res.json<{ user: { id: string }; access_token: string }>();
  return { id: b.user.id, token: b.access_token };
}

describe('behind a reverse proxy', () => {
  it('a forged X-Forwarded-For does not reset the per-address limit on sign-in', async () => {
    const h = api();
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await h.call('POST', '/auth/login', {
        headers: via('203.0.113.7', `198.18.0.${i + 1}`),
        body: { email: 'nobody@example.com', password: 'whatever 123' },
      });
      codes.push(res.statusCode);
    }
    expect(codes).toEqual([401, 401, 401, 429, 429]);
  });

  it('records the address the proxy saw, not the one the client claims', async () => {
    const h = api();
    const p = await signUp(h, 'patient', '203.0.113.20');
    const sessions = await h.call('GET', '/me/sessions', { token: p.token, headers: via('203.0.113.20') });
    expect(sessions.json<{ items: { ip_address: string }[] }>().items[0]?.ip_address).toBe('203.0.113.20');
  });
});

describe('invitation codes', () => {
  it('an account guessing codes is stopped after the per-minute budget (429), whatever its address', async () => {
    const h = api();
    const p = await signUp(h, 'patient', '203.0.113.30');
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await h.call('POST', '/care/invitations/accept', {
        token: p.token,
        headers: via(`203.0.113.${40 + i}`),
        body: { code: `ABCDEFGH${i}K` },
      });
      codes.push(res.statusCode);
    }
    expect(codes).toEqual([404, 404, 404, 429, 429]);
    const preview: number[] = [];
    for (let i = 0; i < 4; i++)
      preview.push(
        (
          await h.call('GET', `/care/invitations/QWERTYUP${i}Z`, {
            token: p.token,
            headers: via(`203.0.113.${60 + i}`),
          })
        ).statusCode,
      );
    expect(preview).toEqual([404, 404, 404, 429]);
    // Another account is not held back by the first one's guesses.
    const q = await signUp(h, 'patient', '203.0.113.31');
    expect(
      (
        await h.call('POST', '/care/invitations/accept', {
          token: q.token,
          headers: via('203.0.113.31'),
          body: { code: 'ABCDEFGHJK' },
        })
      ).statusCode,
    ).toBe(404);
  });
});
