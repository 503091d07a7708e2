/**
 * Receipts and the payment e-mail: receipt numbers from one gapless yearly series (also under
 * concurrent completions), VAT-ready fields from configuration (seller, TIN, 10 % included in
 * the price), the PDF printed by Chromium with Khmer shaped and searchable (pdftotext), and the
 * e-mail sent at confirmation through real SMTP (smtp-server in this process).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SignedIn } from '../support/api.ts';
import { decodeMail, startSmtp } from '../support/smtp.ts';
import { PdfRenderer } from '../../src/pdf/renderer.ts';
import { chromiumPathSetting } from '../../src/config.ts';
import { eventually, useBilling } from './support.ts';

const smtp = await startSmtp();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dastern-receipts-'));
afterAll(async () => {
  await smtp.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const b = useBilling({
  env: {
    DASTERN_SMTP_URL: smtp.url,
    DASTERN_PUBLIC_URL: 'https://app.dastern.example',
    DASTERN_SELLER_NAME: 'DasTern Co., Ltd.',
    DASTERN_SELLER_VAT_TIN: 'K001-901234567',
    DASTERN_VAT_RATE_PERCENT: '10',
  },
});

async function paid(p: SignedIn): Promise<string> {
  const x = b();
  const res = await x.call('POST', '/subscriptions/checkout', {
    token: p.access,
    body: { plan_code: 'premium_monthly', gateway: 'sandbox' },
  });
  expect(res.statusCode, res.body).toBe(201);
  const id = res.json<{ payment_id: string }>().payment_id;
  const done = await x.call('POST', `/payments/sandbox/${id}/complete`, { token: p.access });
  expect(done.statusCode, done.body).toBe(200);
  return id;
}

const numberOf = async (id: string): Promise<string | null> =>
  (
    await b().h.t.owner.query<{ n: string | null }>(
      'SELECT receipt_number AS n FROM payment_transactions WHERE id = $1',
      [id],
    )
  ).rows[0]?.n ?? null;

describe('receipts', () => {
  it('numbers come from one series without gaps, also when payments complete at once; unpaid payments take none', async () => {
    const x = b();
    const users = await Promise.all([x.signUp(), x.signUp(), x.signUp(), x.signUp()]);
    const pending = await Promise.all(
      users.map(async (p) => {
        const res = await x.call('POST', '/subscriptions/checkout', {
          token: p.access,
          body: { plan_code: 'premium_monthly', gateway: 'sandbox' },
        });
        return { p, id: res.json<{ payment_id: string }>().payment_id };
      }),
    );
    // one never paid (expires), three completed concurrently
    await Promise.all(
      pending.slice(1).map(({ p, id }) => x.call('POST', `/payments/sandbox/${id}/complete`, { token: p.access })),
    );
    expect(await numberOf(pending[0]?.id ?? '')).toBeNull();
    const all = await x.h.t.owner.query<{ n: string }>(
      `SELECT receipt_number AS n FROM payment_transactions WHERE receipt_number IS NOT NULL ORDER BY receipt_number`,
    );
    const year = new Date().toLocaleString('en-CA', { timeZone: 'Asia/Phnom_Penh', year: 'numeric' });
    const seq = all.rows.map((r) => {
      const m = /^DT-(\d{4})-(\d{6})$/.exec(r.n);
      expect(m?.[1]).toBe(year);
      return Number(m?.[2]);
    });
    expect(seq.length).toBeGreaterThanOrEqual(3);
    expect(seq).toEqual(seq.map((_, i) => i + 1));
    // a number never changes
    await expect(
      x.h.t.owner.query(`UPDATE payment_transactions SET receipt_number = 'DT-2000-000001' WHERE id = $1`, [
        pending[1]?.id,
      ]),
    ).rejects.toThrow(/never changes/);
  });

  it('HTML: the number, the configured seller, TIN and VAT (10 % included in $0.50 = $0.05); the PDF keeps Khmer shaped and searchable', async (ctx) => {
    const x = b();
    const p = await x.signUp();
    const id = await paid(p);
    const html = await x.call('GET', `/payments/${id}/receipt`, { token: p.access });
    expect(html.statusCode).toBe(200);
    const number = await numberOf(id);
    expect(html.body).toContain(number ?? 'no number');
    expect(html.body).toContain('DasTern Co., Ltd.');
    expect(html.body).toContain('VAT TIN: K001-901234567');
    expect(html.body).toMatch(/VAT \(10%\)<\/th><td>\$0\.05/);
    expect(html.body).toMatch(/Amount before VAT<\/th><td>\$0\.45/);
    expect(html.body).toMatch(/Total<\/th><td>\$0\.50/);
    const other = await x.signUp();
    expect((await x.call('GET', `/payments/${id}/receipt/pdf`, { token: other.access })).statusCode).toBe(404);
    if (!new PdfRenderer(chromiumPathSetting()).available()) {
      console.log(
        'SKIPPED: receipt PDF — no Chromium at DASTERN_CHROMIUM_PATH (scripts/install-system-deps.sh installs it)',
      );
      ctx.skip();
    }
    const pdf = await x.call('GET', `/payments/${id}/receipt/pdf`, { token: p.access });
    expect(pdf.statusCode, pdf.body.slice(0, 200)).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    const file = path.join(tmp, 'receipt.pdf');
    fs.writeFileSync(file, pdf.rawPayload);
    const text = execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' });
    expect(text).toContain(number ?? 'no number');
    expect(text).toContain('K001-901234567');
    const compact = text.replace(/\s+/g, '');
    expect(compact).toContain('បង្កាន់ដៃបង់ប្រាក់');
    expect(compact).toContain('អាករលើតម្លៃបន្ថែម(10%)');
    expect(text).not.toContain('\uFFFD');
  });

  it('the payment e-mail goes out at confirmation through SMTP, in her language, with the amount and the receipt number — once', async () => {
    const x = b();
    await x.startWorkers();
    const p = await x.signUp({ language: 'fr' });
    const id = await paid(p);
    const mail = await eventually(
      async () => smtp.inbox.find((m) => m.to.includes(p.email.toLowerCase())),
      'the payment e-mail',
      30_000,
    );
    const text = decodeMail(mail.raw);
    const number = await numberOf(id);
    expect(/^Subject: .*$/m.exec(text)?.[0]).toContain(number ?? 'no number');
    expect(text).toContain(`Numéro du reçu : ${number}`);
    expect(text).toContain('Merci : nous avons reçu $0.50 pour');
    expect(text).toContain('https://app.dastern.example/plans');
    // the same confirmation again sends nothing more; the in-app notice stays in-app
    await x.call('POST', `/payments/sandbox/${id}/complete`, { token: p.access });
    const jobs = await x.h.t.owner.query(
      `SELECT 1 FROM pgboss.job WHERE name = 'billing-payment-mail' AND data ->> 'paymentId' = $1`,
      [id],
    );
    expect(jobs.rowCount).toBe(1);
    const note = await x.h.t.owner.query<{ channels: string[] }>(
      `SELECT channels::text[] AS channels FROM notifications WHERE user_id = $1 AND message_key = 'payment_completed'`,
      [p.id],
    );
    expect(note.rows[0]?.channels).toEqual(['in_app']);
    expect(smtp.inbox.filter((m) => m.to.includes(p.email.toLowerCase()))).toHaveLength(1);
  });
});
