/**
 * Plans, payments and the Premium assistant in a real browser (Debian's Chromium) against
 * `dastern serve` on a real database, its Bakong gateway pointed at a local fake of the Bakong
 * API: a free patient at the free plan's limit is refused an 11th prescription with a way to
 * /plans → pays with the sandbox → is Premium → the assistant answers with its disclaimer (an
 * emergency answer first of all) → a report and its PDF. Another pays by KHQR: the QR is shown,
 * the bank confirms (the fake), the polling job completes the payment and the page says so.
 * Then each of these screens in km and en at 390×844 and 1280×800 (screenshots, axe, keys).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { useTestDatabase } from '../support/db.ts';
import {
  fakeBakong,
  fakeStripe,
  BAKONG_ACCOUNT,
  BAKONG_TOKEN,
  STRIPE_WEBHOOK_SECRET,
  type FakeServer,
} from '../billing/support.ts';
import {
  apiCall,
  checkScreen,
  hasChromium,
  CHROMIUM,
  launch,
  openPage,
  signUpByApi,
  startWebServer,
  type Account,
  type WebServer,
} from './support.ts';
import km from '../../web/src/locales/km.json' with { type: 'json' };
import en from '../../web/src/locales/en.json' with { type: 'json' };

const PHOTO = path.resolve(import.meta.dirname, '../reading/fixtures/synth-en-remarks-101.jpg');
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

if (!hasChromium)
  console.log(
    `SKIPPED: test/web/premium.test.ts: no Chromium at ${CHROMIUM} (scripts/install-system-deps.sh installs it)`,
  );

interface Payment {
  id: string;
  status: string;
  amount: number;
  currency: string;
  khqr?: string;
  khqr_md5?: string;
}

describe.skipIf(!hasChromium)('plans, payments and the assistant in Chromium', () => {
  const t = useTestDatabase();
  const paid = new Map<string, { amount: number; currency: string }>();
  let bakong: FakeServer;
  let stripe: FakeServer;
  let web: WebServer;
  let browser: Browser;
  let sokha: Account;
  let conversation = '';
  let completedPayment = '';
  let chenda: Account;
  let misread = '';

  beforeAll(async () => {
    bakong = fakeBakong(paid);
    const bakongUrl = await bakong.start();
    stripe = fakeStripe();
    web = await startWebServer(t(), {
      DASTERN_BAKONG_TOKEN: BAKONG_TOKEN,
      DASTERN_BAKONG_ACCOUNT_ID: BAKONG_ACCOUNT,
      DASTERN_BAKONG_API_URL: bakongUrl,
      DASTERN_BAKONG_POLL_SECONDS: '1',
      DASTERN_BAKONG_POLL_MAX_SECONDS: '1',
      DASTERN_STRIPE_SECRET_KEY: 'sk_test_dasternFake0123',
      DASTERN_STRIPE_WEBHOOK_SECRET: STRIPE_WEBHOOK_SECRET,
      DASTERN_STRIPE_API_URL: await stripe.start(),
    });
    ({ browser } = await launch());
  });
  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await bakong?.stop();
    await stripe?.stop();
  });

  /** A free patient with `n` prescriptions already (the free plan keeps 10), one of them with Amlodipine. */
  async function freePatient(first: string, n: number): Promise<Account> {
    const a = await signUpByApi(web, 'patient', first, 'Chan');
    await t().owner.query('UPDATE users SET email_verified_at = now() WHERE id = $1', [a.id]);
    for (let i = 0; i < n; i++) {
      const rx = await t().owner.query<{ id: string }>(
        `INSERT INTO prescriptions (patient_id, uploaded_by, status, hospital_name, prescription_date, confirmed_at)
         VALUES ($1, $1, 'completed', 'Calmette Hospital', current_date - $2::int, now()) RETURNING id`,
        [a.id, i],
      );
      if (i === 0) {
        await t().owner.query(
          `INSERT INTO medications (prescription_id, patient_id, sequence, name, strength, dose_morning, duration_days) VALUES ($1, $2, 1, 'Amlodipine', '5mg', 1, 30)`,
          [rx.rows[0]?.id, a.id],
        );
      }
    }
    return a;
  }

  /** A draft as the reader leaves it: a confident Amlodipine line and a misread "Amoxicilin 5OOmg". */
  async function draft(patientId: string): Promise<string> {
    const dose = { morning: 1, noon: 0, evening: 1, night: 0 };
    const medications = [
      {
        name: 'Amlodipine',
        strength: '5mg',
        drug_id: 'amlodipine',
        generic_name: 'amlodipine',
        dosage_schedule: dose,
        confidence: 0.97,
        field_confidence: { name: 0.98, strength: 0.95 },
      },
      {
        name: 'Amoxicilin',
        strength: '5OOmg',
        dosage_schedule: dose,
        confidence: 0.52,
        field_confidence: { name: 0.6, strength: 0.4 },
      },
    ];
    const res = await t().owner.query<{ id: string }>(
      `INSERT INTO prescriptions (patient_id, uploaded_by, status, structured_data) VALUES ($1, $1, 'ocr_completed', $2) RETURNING id`,
      [patientId, JSON.stringify({ medications })],
    );
    return res.rows[0]?.id ?? '';
  }

  it('a free patient at the limit goes to /plans, pays with the sandbox, is Premium, and the assistant answers with its disclaimer (en, phone)', async () => {
    sokha = await freePatient('Sokha', 10);
    const { context, page } = await openPage(browser, PHONE, { lang: 'en', session: sokha.session });
    // The 11th prescription is refused, with the way to the plans.
    await page.goto(`${web.url}/scan`);
    await page.getByTestId('scan-file').setInputFiles(PHOTO);
    const refusal = page.getByRole('alert').filter({ hasText: en.problem.free_tier_limit });
    await refusal.waitFor();
    await refusal.getByRole('link', { name: en.upsell.see }).click();
    await page.waitForURL('**/plans');
    await page.getByTestId('current-plan').getByText(en.plans.onFree).waitFor();
    await expect
      .poll(() => page.getByTestId('plan-premium_monthly').locator('.big-number').textContent())
      .toBe('$0.50');
    await expect.poll(() => page.getByTestId('plan-premium_yearly').locator('.big-number').textContent()).toBe('$5.00');
    await page
      .getByTestId('plan-premium_monthly')
      .getByText(en.plans.orRiel.replace('{{amount}}', '2,000 ៛'))
      .waitFor();

    // The assistant is an upsell for her, not an error.
    await page.getByRole('link', { name: en.nav.assistant }).click();
    await page.getByTestId('upsell').getByRole('link', { name: en.upsell.see }).click();
    await page.waitForURL('**/plans');
    expect(await page.getByLabel(en.plans.currency.USD).isChecked()).toBe(true);
    await page.getByRole('button', { name: `${en.plans.gateway.sandbox} — ${en.plans.name.premium_monthly}` }).click();
    await page.waitForURL(/\/plans\/payments\/[0-9a-f-]{36}$/);
    completedPayment = page.url().split('/').pop() as string;
    await page.getByTestId('payment-pending').getByText('$0.50').waitFor();
    await page.getByRole('button', { name: en.payment.sandboxPay }).click();
    await page.getByTestId('payment-done').getByText(en.payment.done.replace('{{amount}}', '$0.50')).waitFor();
    // the receipt, from the API, in the page
    await page.getByRole('button', { name: en.payment.showReceipt }).click();
    await expect
      .poll(async () => (await page.frameLocator('iframe.receipt').locator('body').textContent()) ?? '')
      .toContain('0.50');
    expect((await apiCall<{ tier: string }>(web, sokha.access, 'GET', '/subscriptions/me')).json.tier).toBe('premium');

    // Premium: the assistant answers, with its disclaimer.
    await page.getByTestId('payment-done').getByRole('link', { name: en.nav.assistant }).click();
    await page.getByRole('button', { name: en.assistant.new }).click();
    await page.waitForURL(/\/assistant\/[0-9a-f-]{36}$/);
    conversation = page.url().split('/').pop() as string;
    await page.getByLabel(en.assistant.ask).fill('What is Amlodipine for?');
    await page.getByRole('button', { name: en.assistant.send, exact: true }).click();
    const answer = page.getByTestId('answer').last();
    await answer.waitFor();
    await expect.poll(async () => (await answer.textContent()) ?? '').toMatch(/Amlodipine/i);
    // the answer's own disclaimer, as the API sent it with the streamed answer
    await expect.poll(async () => (await answer.getByTestId('disclaimer').textContent()) ?? '').toMatch(/119/);
    // An emergency: the call to 119 comes first and stands out.
    await page.getByLabel(en.assistant.ask).fill('I took too many pills and I have chest pain');
    await page.getByRole('button', { name: en.assistant.send, exact: true }).click();
    const urgent = page.locator('.bubble.emergency').last();
    await urgent.waitFor();
    expect(await urgent.getAttribute('role')).toBe('alert');
    expect(await urgent.getByRole('link', { name: en.assistant.call119 }).getAttribute('href')).toBe('tel:119');
    await checkScreen(page, 'en-390-assistant-answers');
    await context.close();
  }, 180_000);

  it('a report is made and its PDF downloaded (en, desktop)', async () => {
    const { context, page } = await openPage(browser, DESKTOP, { lang: 'en', session: sokha.session });
    await page.goto(`${web.url}/reports`);
    await page.getByLabel(en.reports.kinds.medication_summary).check();
    await page.getByRole('button', { name: en.reports.create }).click();
    const report = page.getByTestId('report');
    await report.getByText('Amlodipine').first().waitFor({ timeout: 30_000 });
    await checkScreen(page, 'en-1280-report-made');
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 60_000 }),
      report.getByRole('button', { name: en.reports.pdf }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^dastern-medication_summary-\d{4}-\d{2}-\d{2}\.pdf$/);
    const file = await download.path();
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(file).subarray(0, 5).toString()).toBe('%PDF-');
    await context.close();
  }, 120_000);

  it('a patient pays by KHQR in riel: the QR is shown, the bank confirms, the page says paid (km, phone)', async () => {
    const dara = await freePatient('Dara', 1);
    const { context, page } = await openPage(browser, PHONE, { lang: 'km', session: dara.session });
    await page.goto(`${web.url}/plans`);
    // Khmer: riel first, in Khmer digits
    expect(await page.getByLabel(km.plans.currency.KHR).isChecked()).toBe(true);
    await page.getByRole('button', { name: `${km.plans.gateway.bakong} — ${km.plans.name.premium_monthly}` }).click();
    await page.waitForURL(/\/plans\/payments\/[0-9a-f-]{36}$/);
    const id = page.url().split('/').pop() as string;
    const qr = page.getByRole('img', { name: km.payment.qrLabel.replace('{{amount}}', '២,០០០ ៛') });
    await qr.waitFor();
    const payment = (await apiCall<Payment>(web, dara.access, 'GET', `/payments/${id}`)).json;
    expect(payment).toMatchObject({ status: 'pending', amount: 2000, currency: 'KHR' });
    // the string under the QR is the payment's KHQR
    await page.getByText(km.payment.khqrText).click();
    expect(await page.getByTestId('khqr').textContent()).toBe(payment.khqr);
    await checkScreen(page, 'km-390-payment-khqr');
    // The bank has it: the polling job (every second here) confirms, the page (polling too) shows it.
    paid.set(payment.khqr_md5 ?? '', { amount: 2000, currency: 'KHR' });
    await page.getByTestId('payment-done').waitFor({ timeout: 60_000 });
    await page.getByText(km.payment.done.replace('{{amount}}', '២,០០០ ៛')).waitFor();
    expect((await apiCall<{ tier: string }>(web, dara.access, 'GET', '/subscriptions/me')).json.tier).toBe('premium');
    // cancel at the end of the period: she keeps Premium until then
    await page.goto(`${web.url}/plans`);
    await page.getByRole('button', { name: km.plans.cancel }).click();
    await page.getByRole('button', { name: km.plans.cancelConfirm }).click();
    await page
      .getByTestId('current-plan')
      .locator('p')
      .filter({ hasText: km.plans.endsOn.split('{{date}}')[0] as string })
      .waitFor();
    expect(
      (await apiCall<{ tier: string; cancel_at_period_end: boolean }>(web, dara.access, 'GET', '/subscriptions/me'))
        .json,
    ).toMatchObject({ tier: 'premium', cancel_at_period_end: true });
    await context.close();
  }, 120_000);

  it("a card payment opens the gateway's page; its way back (/billing/return) shows the payment, still waiting for the signed webhook (en, desktop)", async () => {
    const kanha = await freePatient('Kanha', 0);
    const { context, page } = await openPage(browser, DESKTOP, { lang: 'en', session: kanha.session });
    // the gateway's page is not on this machine: the browser is answered locally
    await page.route('https://checkout.stripe.test/**', (route) =>
      route.fulfill({ status: 200, contentType: 'text/html', body: '<title>card</title><p>card page</p>' }),
    );
    await page.goto(`${web.url}/plans`);
    await page.getByRole('button', { name: `${en.plans.gateway.stripe} — ${en.plans.name.premium_yearly}` }).click();
    await page.waitForURL(/^https:\/\/checkout\.stripe\.test\/c\/pay\/cs_test_/);
    const order = new URLSearchParams(stripe.requests.at(-1)?.body ?? '');
    expect(order.get('line_items[0][price_data][unit_amount]')).toBe('500');
    const paymentId = order.get('client_reference_id') ?? '';
    expect(paymentId).toMatch(/^[0-9a-f-]{36}$/);
    // the return proves nothing: the page shows the payment as the API has it (pending)
    await page.goto(`${web.url}/billing/return?payment=${paymentId}`);
    await page.waitForURL(`**/plans/payments/${paymentId}`);
    await page.getByTestId('payment-pending').getByRole('link', { name: en.payment.openCard }).waitFor();
    expect((await apiCall<{ tier: string }>(web, kanha.access, 'GET', '/subscriptions/me')).json.tier).toBe('free');
    await context.close();
  }, 120_000);

  it('the review screen: a hard-to-read line corrected in one tap (Premium); a free patient sees the upsell (en, phone)', async () => {
    chenda = await freePatient('Chenda', 0);
    const checkout = await apiCall<{ payment_id: string }>(web, chenda.access, 'POST', '/subscriptions/checkout', {
      plan_code: 'premium_monthly',
      gateway: 'sandbox',
      currency: 'USD',
    });
    expect(
      (await apiCall(web, chenda.access, 'POST', `/payments/sandbox/${checkout.json.payment_id}/complete`, {})).status,
    ).toBe(200);
    misread = await draft(chenda.id);
    const { context, page } = await openPage(browser, PHONE, { lang: 'en', session: chenda.session });
    await page.goto(`${web.url}/prescriptions/${misread}`);
    const second = page.getByTestId('medication').nth(1);
    expect(await second.getByLabel(en.review.name).inputValue()).toBe('Amoxicilin');
    await page
      .getByTestId('ocr-suggestions')
      .getByRole('button', { name: en.suggest.use.replace('{{label}}', 'Amoxicillin 500mg') })
      .click();
    expect(await second.getByLabel(en.review.name).inputValue()).toBe('Amoxicillin');
    expect(await second.getByLabel(en.review.strength).inputValue()).toBe('500mg');
    // accepted: nothing left to suggest; the confident first line was never touched
    await page.getByTestId('ocr-suggestions').waitFor({ state: 'detached' });
    expect(await page.getByTestId('medication').nth(0).getByLabel(en.review.name).inputValue()).toBe('Amlodipine');
    await context.close();

    const bopha = await freePatient('Bopha', 0);
    const hers = await draft(bopha.id);
    const free = await openPage(browser, PHONE, { lang: 'en', session: bopha.session });
    await free.page.goto(`${web.url}/prescriptions/${hers}`);
    await free.page.getByTestId('upsell').getByRole('link', { name: en.upsell.see }).waitFor();
    await checkScreen(free.page, 'en-390-review-upsell');
    await free.context.close();
  }, 120_000);

  it('each screen in km and en, phone and desktop: screenshots, axe, every key translated', async () => {
    expect(conversation).not.toBe('');
    const free = await freePatient('Thida', 0);
    // a pending sandbox payment for the capture of that state
    const pending = await apiCall<{ payment_id: string }>(web, sokha.access, 'POST', '/subscriptions/checkout', {
      plan_code: 'premium_yearly',
      gateway: 'sandbox',
      currency: 'USD',
    });
    expect(pending.status).toBe(201);
    const screens: [string, Account, string, (p: Page, c: typeof en) => Promise<unknown>][] = [
      ['plans', free, '/plans', (p, c) => p.getByTestId('current-plan').getByText(c.plans.onFree).waitFor()],
      ['plans-premium', sokha, '/plans', (p) => p.getByTestId('current-plan').locator('.ok').waitFor()],
      [
        'payment-pending',
        sokha,
        `/plans/payments/${pending.json.payment_id}`,
        (p, c) => p.getByRole('button', { name: c.payment.sandboxPay }).waitFor(),
      ],
      ['payment-done', sokha, `/plans/payments/${completedPayment}`, (p) => p.getByTestId('payment-done').waitFor()],
      ['assistant-upsell', free, '/assistant', (p) => p.getByTestId('upsell').waitFor()],
      ['assistant', sokha, `/assistant/${conversation}`, (p) => p.getByTestId('answer').first().waitFor()],
      ['reports', sokha, '/reports', (p, c) => p.getByRole('button', { name: c.reports.create }).waitFor()],
      ['review-suggestions', chenda, `/prescriptions/${misread}`, (p) => p.getByTestId('ocr-suggestions').waitFor()],
    ];
    for (const [lang, catalogue] of [
      ['km', km],
      ['en', en],
    ] as const) {
      for (const viewport of [PHONE, DESKTOP]) {
        // one browser context per account, its screens one after the other
        for (const who of new Set(screens.map(([, w]) => w))) {
          const { context, page } = await openPage(browser, viewport, { lang, session: who.session });
          for (const [name, , route, ready] of screens.filter(([, w]) => w === who)) {
            await page.goto(`${web.url}${route}`);
            await ready(page, catalogue);
            await checkScreen(page, `${lang}-${viewport.width}-${name}`);
          }
          await context.close();
        }
      }
    }
  }, 600_000);
});
