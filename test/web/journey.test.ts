/**
 * A patient's whole journey through the web app in a real browser (Debian's Chromium), against
 * `dastern serve` on a real database with real SMTP and the real reader: sign up → verify with
 * the link from the e-mail → scan a prescription photo → review, fix a field → confirm → today →
 * take a dose → adherence shows it. Then each main screen in km and en at 390×844 and 1280×800:
 * screenshots under test-results/web/, axe (no serious or critical violation), no missing
 * i18n key.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { useTestDatabase } from '../support/db.ts';
import { axeProblems, hasChromium, CHROMIUM, launch, mailLink, missingKeys, screenshot, startWebServer, type WebServer } from './support.ts';
import km from '../../web/src/locales/km.json' with { type: 'json' };
import en from '../../web/src/locales/en.json' with { type: 'json' };

const REAL = path.resolve(import.meta.dirname, '../../../shared/fixtures/prescriptions/ksfh-2025-06-15.png');
const SYNTHETIC = path.resolve(import.meta.dirname, '../reading/fixtures/synth-en-remarks-101.jpg');
const PHOTO = fs.existsSync(REAL) ? REAL : SYNTHETIC;

if (!hasChromium) console.log(`SKIP test/web/journey.test.ts: no Chromium at ${CHROMIUM} (scripts/install-system-deps.sh installs it)`);
else console.log(`test/web/journey.test.ts: prescription photo ${path.relative(process.cwd(), PHOTO)}${PHOTO === SYNTHETIC ? ' (synthetic; ../shared absent)' : ''}`);

const KHMER_ONE = '១';

describe.skipIf(!hasChromium)('the web app in Chromium', () => {
  const t = useTestDatabase();
  let web: WebServer;
  let browser: Browser;
  let profile = '';
  let session = '';
  const email = `web.patient.${process.pid}.${Date.now()}@example.com`;

  beforeAll(async () => {
    web = await startWebServer(t());
    ({ browser, profile } = await launch());
  });
  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    if (profile !== '') fs.rmSync(profile, { recursive: true, force: true });
  });

  async function newPage(viewport: { width: number; height: number }, init?: { lang: string; session?: string }): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport, timezoneId: 'Asia/Phnom_Penh', locale: 'km-KH', serviceWorkers: 'block' });
    if (init !== undefined) {
      await context.addInitScript(({ lang, s }) => {
        localStorage.setItem('dastern.lang', lang);
        if (s !== undefined) localStorage.setItem('dastern.session', s);
      }, { lang: init.lang, s: init.session });
    }
    const page = await context.newPage();
    page.on('pageerror', (err) => console.error('page error:', err.message));
    return { context, page };
  }

  async function checkScreen(page: Page, name: string) {
    await screenshot(page, name);
    expect(await axeProblems(page), `axe on ${name}`).toEqual([]);
    expect(await missingKeys(page), `i18n keys on ${name}`).toEqual([]);
  }

  it('a patient signs up, verifies, scans, reviews, confirms, takes a dose and sees it in her adherence (km, phone)', async () => {
    const { context, page } = await newPage({ width: 390, height: 844 });
    await page.goto(`${web.url}/`);
    // Khmer first: a new visitor gets the Khmer sign-in page.
    await expect.poll(() => page.locator('h1').textContent()).toBe(km.auth.signIn);
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('km');
    await checkScreen(page, 'km-390-signin');

    await page.getByRole('link', { name: km.auth.noAccount }).click();
    await page.getByLabel(km.auth.firstName).fill('Sokha');
    await page.getByLabel(km.auth.lastName).fill('Chan');
    await page.getByLabel(km.auth.email).fill(email);
    await page.getByLabel(km.auth.password, { exact: true }).fill('my good password 42');
    await checkScreen(page, 'km-390-signup');
    await page.getByRole('button', { name: km.auth.signUp }).click();
    await page.waitForURL('**/settings?welcome=1');
    await page.getByText(km.settings.notVerified).waitFor();

    // The link in the e-mail (real SMTP) opens the app's landing page.
    const link = await mailLink(web.smtp, email, '/verify-email');
    expect(link.startsWith(`${web.url}/verify-email?token=`)).toBe(true);
    await page.goto(link);
    await page.getByText(km.verify.done).waitFor();
    await checkScreen(page, 'km-390-verify-email');
    await page.goto(`${web.url}/settings`);
    await page.getByText(km.settings.verified).waitFor();

    // Scan: the photo through the file input; the review page follows the reading.
    await page.goto(`${web.url}/scan`);
    await checkScreen(page, 'km-390-scan');
    await page.getByTestId('scan-file').setInputFiles(PHOTO);
    await page.waitForURL(/\/prescriptions\/[0-9a-f-]{36}$/);
    const prescriptionId = page.url().split('/').pop() as string;
    await page.getByRole('heading', { name: km.review.title }).waitFor({ timeout: 240_000 });
    await page.getByRole('img', { name: km.review.photo }).waitFor();
    await checkScreen(page, 'km-390-review');

    // Fix the first medicine: its name and its dose grid (morning and evening, one each).
    const first = page.getByTestId('medication').first();
    await first.getByLabel(km.review.name).fill('Omeprazole');
    await first.getByLabel(km.slot.morning).fill('1');
    await first.getByLabel(km.slot.noon).fill('0');
    await first.getByLabel(km.slot.evening).fill('1');
    await first.getByLabel(km.slot.night).fill('0');
    await first.getByLabel(km.review.days).fill('5');
    await page.getByRole('button', { name: km.review.confirm }).click();
    await page.getByText(km.review.confirmed).waitFor();

    // What the server recorded is what was fixed in the form.
    const token = (JSON.parse(await page.evaluate(() => localStorage.getItem('dastern.session') ?? '{}')) as { access: string }).access;
    const detail = await (await fetch(`${web.url}/api/v1/prescriptions/${prescriptionId}`, { headers: { authorization: `Bearer ${token}` } })).json() as {
      status: string; medications: { name: string; duration_days: number; dosage_schedule: Record<string, number> }[];
    };
    expect(detail.status).toBe('completed');
    expect(detail.medications[0]).toMatchObject({ name: 'Omeprazole', duration_days: 5, dosage_schedule: { morning: 1, noon: 0, evening: 1, night: 0 } });

    // Today: take the first dose that can be recorded now.
    await page.getByRole('link', { name: km.nav.today }).first().click();
    await page.getByRole('heading', { name: km.today.title }).waitFor();
    const take = page.getByRole('button', { name: km.today.takeAria.replace('{{name}}', 'Omeprazole') }).first();
    await take.waitFor();
    await checkScreen(page, 'km-390-today');
    await take.click();
    await page.getByTestId('dose').filter({ hasText: 'Omeprazole' }).filter({ hasText: km.doseStatus.taken }).first().waitFor();

    // Adherence shows it (Khmer digits).
    await page.getByRole('link', { name: km.nav.adherence }).click();
    const overall = page.getByTestId('adherence-overall');
    await overall.waitFor();
    await expect.poll(() => overall.locator('div').nth(1).locator('.big-number').textContent()).toBe(KHMER_ONE);
    await checkScreen(page, 'km-390-adherence');

    session = await page.evaluate(() => localStorage.getItem('dastern.session') ?? '');
    await context.close();
  }, 360_000);

  it('each main screen in km and en, phone and desktop: screenshots, axe, every key translated', async () => {
    expect(session).not.toBe('');
    const screens: [string, string, (p: Page, c: typeof en) => Promise<unknown>][] = [
      ['today', '/today', (p, c) => p.getByRole('heading', { name: c.today.title }).waitFor()],
      ['scan', '/scan', (p, c) => p.getByRole('heading', { name: c.scan.title }).waitFor()],
      ['prescriptions', '/prescriptions', (p, c) => p.getByRole('link', { name: c.prescriptions.untitled }).or(p.getByRole('heading', { name: c.prescriptions.title })).first().waitFor()],
      ['adherence', '/adherence', (p) => p.getByTestId('adherence-overall').waitFor()],
      ['notifications', '/notifications', (p, c) => p.getByRole('heading', { name: c.notifications.title }).waitFor()],
      ['doctors', '/doctors', (p, c) => p.getByRole('heading', { name: c.doctors.title }).waitFor()],
      ['settings', '/settings', (p, c) => p.getByText(c.settings.verified).waitFor()],
    ];
    for (const [lang, catalogue] of [['km', km], ['en', en]] as const) {
      for (const viewport of [{ width: 390, height: 844 }, { width: 1280, height: 800 }]) {
        const { context, page } = await newPage(viewport, { lang, session });
        for (const [name, route, ready] of screens) {
          await page.goto(`${web.url}${route}`);
          await ready(page, catalogue);
          expect(await page.evaluate(() => document.documentElement.lang)).toBe(lang);
          await checkScreen(page, `${lang}-${viewport.width}-${name}`);
        }
        await context.close();
        // signed out: the sign-in page in this language
        const out = await newPage(viewport, { lang });
        await out.page.goto(`${web.url}/signin`);
        await out.page.getByRole('heading', { name: catalogue.auth.signIn }).waitFor();
        await checkScreen(out.page, `${lang}-${viewport.width}-signin`);
        await out.context.close();
      }
    }
  }, 360_000);
});
