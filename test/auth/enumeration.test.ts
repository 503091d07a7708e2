/**
 * Account enumeration: "forgot password" must not tell, by its answer or by its delay, whether
 * an address has an account. The mailer here takes 400 ms, like a slow SMTP relay.
 */
import { describe, expect, it } from 'vitest';
import { useApi, register, type ApiHarness } from '../support/api.ts';
import type { Mailer, MailMessage } from '../../src/mail/mailer.ts';

class SlowMailer implements Mailer {
  readonly sent: MailMessage[] = [];
  async send(message: MailMessage): Promise<void> {
    await new Promise((r) => setTimeout(r, 400));
    this.sent.push(message);
  }
  close(): void {}
}

let slow: SlowMailer;
const api = useApi({ mailer: () => (slow = new SlowMailer()) });

async function timed(h: ApiHarness, email: string): Promise<{ ms: number; status: number; body: string }> {
  const t0 = performance.now();
  const res = await h.call('POST', '/auth/password-reset/request', { body: { email } });
  return { ms: performance.now() - t0, status: res.statusCode, body: res.body };
}

describe('password reset request', () => {
  it('answers an existing and an unknown address alike, in the same time (the mail goes after the answer)', async () => {
    const h = api();
    const p = await register(h, 'patient');
    const known = await timed(h, p.email);
    const unknown = await timed(h, `nobody.${Date.now()}@example.com`);
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(known.body).toBe(unknown.body);
    // The SMTP round trip (400 ms here) must not be part of the answer.
    expect(known.ms).toBeLessThan(300);
    // …and the mail is still sent, with a working link.
    const token = await waitForReset(p.email);
    const reset = await h.call('POST', '/auth/password-reset', { body: { token, password: 'brand new 42 password' } });
    expect(reset.statusCode).toBe(200);
  });
});

async function waitForReset(to: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const m = slow.sent.filter((x) => x.to === to.toLowerCase() && /reset-password\?token=/.test(x.text)).pop();
    const token = m === undefined ? null : /token=([^\s]+)/.exec(m.text)?.[1];
    if (token) return decodeURIComponent(token);
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('no reset mail');
}
