/**
 * Account enumeration: "forgot password" must not tell, by its answer or by its delay, whether
 * an address has an account. The mailer here holds every reset mail until the test lets it go,
 * like an SMTP relay that has not answered yet: the answer must come while the mail is held.
 */
import { describe, expect, it } from 'vitest';
import { useApi, register, type ApiHarness } from '../support/api.ts';
import type { Mailer, MailMessage } from '../../src/mail/mailer.ts';

class HeldMailer implements Mailer {
  readonly sent: MailMessage[] = [];
  release: () => void = () => undefined;
  private readonly released = new Promise<void>((r) => (this.release = r));
  async send(message: MailMessage): Promise<void> {
    if (/reset-password\?token=/.test(message.text)) {
      await this.released;
    }
    this.sent.push(message);
  }
  close(): void {}
}

let slow: HeldMailer;
const api = useApi({ mailer: () => (slow = new HeldMailer()) });

async function request(h: ApiHarness, email: string): Promise<{ status: number; body: string }> {
  const res = await h.call('POST', '/auth/password-reset/request', { body: { email } });
  return { status: res.statusCode, body: res.body };
}

describe('password reset request', () => {
  it('answers an existing and an unknown address alike, without waiting for the mail (it goes after the answer)', async () => {
    const h = api();
    const p = await register(h, 'patient');
    // The SMTP round trip must not be part of the answer: the reset mail is still held here
    // (an answer that waited for it would never come, and the test would time out).
    const known = await request(h, p.email);
    const unknown = await request(h, `nobody.${Date.now()}@example.com`);
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(known.body).toBe(unknown.body);
    expect(slow.sent.filter((m) => /reset-password\?token=/.test(m.text))).toEqual([]);
    // …and the mail is still sent, with a working link.
    slow.release();
    const token = await waitForReset(p.email);
    const reset = await h.call('POST', '/auth/password-reset', { body: { token, password: 'brand new 42 password' } });
    expect(reset.statusCode).toBe(200);
  });
});

async function waitForReset(to: string): Promise<string> {
  // polled for up to 30 s: the mail is written after the answer, on two busy cores
  for (let i = 0; i < 1500; i++) {
    const m = slow.sent.filter((x) => x.to === to.toLowerCase() && /reset-password\?token=/.test(x.text)).pop();
    const token = m === undefined ? null : /token=([^\s]+)/.exec(m.text)?.[1];
    if (token) return decodeURIComponent(token);
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('no reset mail');
}
