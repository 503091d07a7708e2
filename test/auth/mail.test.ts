/** E-mail verification and password reset through a real SMTP server (smtp-server, in-process). */
import { afterAll, describe, expect, it } from 'vitest';
import { startSmtp } from '../support/smtp.ts';
import { useApi, register } from '../support/api.ts';
import { createMailer } from '../../src/mail/mailer.ts';
import { createLogger } from '../../src/log.ts';

const smtp = await startSmtp();
const inbox = smtp.inbox;
afterAll(() => smtp.close());

const api = useApi({
  env: { DASTERN_PUBLIC_URL: 'https://app.dastern.example' },
  mailer: () =>
    createMailer({
      smtpUrl: smtp.url,
      from: 'DasTern <no-reply@dastern.example>',
      outboxDir: '/nonexistent',
      logger: createLogger('silent'),
    }),
});

async function linkTokenFor(address: string, kind: 'verify-email' | 'reset-password'): Promise<string> {
  // up to 30 s: on two busy cores the mail can take seconds
  for (let i = 0; i < 1200; i++) {
    const msg = [...inbox].reverse().find((m) => m.to.includes(address) && m.raw.includes(kind));
    if (msg !== undefined) {
      // quoted-printable soft breaks and =3D for '='
      const body = msg.raw.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
      const m = new RegExp(`https://app\\.dastern\\.example/${kind}\\?token=([A-Za-z0-9_.%-]+)`).exec(body);
      if (m?.[1] !== undefined) return decodeURIComponent(m[1]);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no ${kind} mail to ${address}`);
}

describe('e-mail verification', () => {
  it('sends a link on registration; the token verifies once, then is used up', async () => {
    const h = api();
    const p = await register(h, 'patient');
    const token = await linkTokenFor(p.email, 'verify-email');
    expect((await h.call('POST', '/auth/verify-email', { body: { token } })).statusCode).toBe(200);
    expect((await h.call('GET', '/me', { token: p.access })).json().email_verified).toBe(true);
    const again = await h.call('POST', '/auth/verify-email', { body: { token } });
    expect(again.statusCode).toBe(400);
    expect(again.json().code).toBe('link_token_used');
    expect((await h.call('POST', '/auth/verify-email/request', { token: p.access })).statusCode).toBe(409);
    const tampered = `${token.slice(0, -3)}abc`;
    expect((await h.call('POST', '/auth/verify-email', { body: { token: tampered } })).json().code).toBe(
      'invalid_link_token',
    );
  });
});

describe('password reset', () => {
  it('mails a single-use link; the new password works, the old does not, every session ends', async () => {
    const h = api();
    const p = await register(h, 'doctor');
    expect(
      (await h.call('POST', '/auth/password-reset/request', { body: { email: p.email.toUpperCase() } })).statusCode,
    ).toBe(202);
    const token = await linkTokenFor(p.email, 'reset-password');
    // A verification token cannot reset a password.
    const verifyToken = await linkTokenFor(p.email, 'verify-email');
    expect(
      (
        await h.call('POST', '/auth/password-reset', { body: { token: verifyToken, password: 'new password 123' } })
      ).json().code,
    ).toBe('invalid_link_token');
    expect(
      (await h.call('POST', '/auth/password-reset', { body: { token, password: 'weakweakweak' } })).json().code,
    ).toBe('weak_password');
    expect(
      (await h.call('POST', '/auth/password-reset', { body: { token, password: 'new password 123' } })).statusCode,
    ).toBe(200);
    expect(
      (await h.call('POST', '/auth/password-reset', { body: { token, password: 'another pass 456' } })).json().code,
    ).toBe('link_token_used');
    expect((await h.call('GET', '/me', { token: p.access })).statusCode).toBe(401);
    expect((await h.call('POST', '/auth/login', { body: { email: p.email, password: p.password } })).statusCode).toBe(
      401,
    );
    expect(
      (await h.call('POST', '/auth/login', { body: { email: p.email, password: 'new password 123' } })).statusCode,
    ).toBe(200);
  });

  it('answers 202 for an unknown address and sends nothing (no account enumeration)', async () => {
    const h = api();
    const before = inbox.length;
    expect(
      (await h.call('POST', '/auth/password-reset/request', { body: { email: 'nobody.here@example.com' } })).statusCode,
    ).toBe(202);
    await new Promise((r) => setTimeout(r, 200));
    expect(inbox.length).toBe(before);
  });
});
