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
import {
  axeProblems,
  hasChromium,
  CHROMIUM,
  htmlLang,
  launch,
  stored,
  mailLink,
  missingKeys,
  screenshot,
  startWebServer,
  type WebServer,
} from './support.ts';
import km from '../../web/src/locales/km.json' with { type: 'json' };
import en from '../../web/src/locales/en.json' with { type: 'json' };

const REAL = path.resolve(import.meta.dirname, '../../../shared/fixtures/prescriptions/ksfh-2025-06-15.png');
const SYNTHETIC = path.resolve(import.meta.dirname, '../reading/fixtures/synth-en-remarks-101.jpg');
const PHOTO = fs.existsSync(REAL) ? REAL : SYNTHETIC;

if (!hasChromium)
  console.log(`SKIP test/web/journey.test.ts: no Chromium at ${CHROMIUM} (scripts/install-system-deps.sh installs it)`);
else
  console.log(
    `test/web/journey.test.ts: prescription photo ${path.relative(process.cwd(), PHOTO)}${PHOTO === SYNTHETIC ? ' (synthetic; ../shared absent)' : ''}`,
  );

const KHMER_ONE = '១';

describe.skipIf(!hasChromium)('the web app in Chromium', () => {
  const t = useTestDatabase();
  let web: WebServer;
  let browser: Browser;
  let profile = '';
  let session = '';
  let doctorSession = '';
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

  async function newPage(
    viewport: { width: number; height: number },
    init?: { lang: string; session?: string },
  ): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({
      viewport,
      timezoneId: 'Asia/Phnom_Penh',
      locale: 'km-KH',
      serviceWorkers: 'block',
    });
    if (init !== undefined) {
      const lines = [`localStorage.setItem('dastern.lang', ${JSON.stringify(init.lang)});`];
      // once per context: later loads keep the session the app refreshed
      if (init.session !== undefined)
        lines.push(
          `if (localStorage.getItem('dastern.session') === null) localStorage.setItem('dastern.session', ${JSON.stringify(init.session)});`,
        );
      await context.addInitScript({ content: lines.join('\n') });
    }
    const page = await context.newPage();
    page.on('pageerror', (err) => console.error('page error:', err.message));
    return { context, page };
  }

  /** The "taken" count of today's doses as the server reports it. */
  async function todayTaken(page: Page): Promise<number> {
    const token = (JSON.parse((await stored(page, 'dastern.session')) ?? '{}') as { access: string }).access;
    const res = await fetch(`${web.url}/api/v1/reminders/today`, { headers: { authorization: `Bearer ${token}` } });
    return ((await res.json()) as { items: { status: string }[] }).items.filter((d) => d.status === 'taken').length;
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
    expect(await htmlLang(page)).toBe('km');
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
    const token = (JSON.parse((await stored(page, 'dastern.session')) ?? '{}') as { access: string }).access;
    const detail = (await (
      await fetch(`${web.url}/api/v1/prescriptions/${prescriptionId}`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).json()) as {
      status: string;
      medications: { name: string; duration_days: number; dosage_schedule: Record<string, number> }[];
    };
    expect(detail.status).toBe('completed');
    expect(detail.medications[0]).toMatchObject({
      name: 'Omeprazole',
      duration_days: 5,
      dosage_schedule: { morning: 1, noon: 0, evening: 1, night: 0 },
    });

    // Today: take the first dose that can be recorded now.
    await page.getByRole('link', { name: km.nav.today }).first().click();
    await page.getByRole('heading', { name: km.today.title }).waitFor();
    const take = page.getByRole('button', { name: km.today.takeAria.replace('{{name}}', 'Omeprazole') }).first();
    await take.waitFor();
    await checkScreen(page, 'km-390-today');
    await take.click();
    await page
      .getByTestId('dose')
      .filter({ hasText: 'Omeprazole' })
      .filter({ hasText: km.doseStatus.taken })
      .first()
      .waitFor();

    // Adherence shows it (Khmer digits).
    await page.getByRole('link', { name: km.nav.adherence }).click();
    const overall = page.getByTestId('adherence-overall');
    await overall.waitFor();
    await expect.poll(() => overall.locator('div').nth(1).locator('.big-number').textContent()).toBe(KHMER_ONE);
    await checkScreen(page, 'km-390-adherence');

    session = (await stored(page, 'dastern.session')) ?? '';
    await context.close();
  }, 360_000);

  it('offline: a dose taken offline is queued, sent when back online, and recorded once', async () => {
    const { context, page } = await newPage({ width: 390, height: 844 }, { lang: 'en', session });
    await page.goto(`${web.url}/today`);
    await page.getByRole('heading', { name: en.today.title }).waitFor();
    const take = page.getByRole('button', { name: /: taken$/ }).first();
    const name = ((await take.getAttribute('aria-label')) ?? '').replace(/: taken$/, '');
    expect(name).not.toBe('');
    const before = await todayTaken(page);
    await context.setOffline(true);
    await take.click();
    await page.getByText(en.today.queued.replace('{{n}}', '1')).waitFor();
    expect(JSON.parse((await stored(page, 'dastern.pendingDoses')) ?? '[]')).toHaveLength(1);
    await checkScreen(page, 'en-390-today-offline');
    await context.setOffline(false);
    await expect
      .poll(async () => JSON.parse((await stored(page, 'dastern.pendingDoses')) ?? '[]').length, { timeout: 30_000 })
      .toBe(0);
    await expect.poll(() => todayTaken(page), { timeout: 30_000 }).toBe(before + 1);
    // Sending the same action again (a retry) does not record a second dose.
    const token = (JSON.parse((await stored(page, 'dastern.session')) ?? '{}') as { access: string }).access;
    const items = (
      (await (
        await fetch(`${web.url}/api/v1/reminders/today`, { headers: { authorization: `Bearer ${token}` } })
      ).json()) as { items: { reminder_id: string; scheduled_for: string; status: string; name: string }[] }
    ).items;
    const taken = items.filter((d) => d.status === 'taken' && d.name === name);
    expect(taken.length).toBeGreaterThan(0);
    const again = await fetch(`${web.url}/api/v1/reminders/${taken[0]?.reminder_id}/logs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'taken', scheduled_for: taken[0]?.scheduled_for }),
    });
    expect(again.status).toBe(200);
    expect(await todayTaken(page)).toBe(before + 1);
    session = (await stored(page, 'dastern.session')) ?? session;
    await context.close();
  }, 120_000);

  it('a doctor invites, the patient sees who invites and accepts, the doctor sees her adherence', async () => {
    const doc = await newPage({ width: 1280, height: 800 }, { lang: 'en' });
    await doc.page.goto(`${web.url}/signup`);
    await doc.page.getByLabel(en.role.doctor).check();
    await doc.page.getByLabel(en.auth.firstName).fill('Vanna');
    await doc.page.getByLabel(en.auth.lastName).fill('Keo');
    const doctorEmail = `web.doctor.${process.pid}.${Date.now()}@example.com`;
    await doc.page.getByLabel(en.auth.email).fill(doctorEmail);
    await doc.page.getByLabel(en.auth.password, { exact: true }).fill('doctor password 42 ok');
    await doc.page.getByRole('button', { name: en.auth.signUp }).click();
    await doc.page.waitForURL('**/settings?welcome=1');
    // an administrator checks his licence (until then a doctor cannot invite)
    await t().owner.query('UPDATE users SET license_number = $2 WHERE email = $1', [
      doctorEmail,
      `KH-WEB-${process.pid}`,
    ]);
    await t().owner.query('UPDATE users SET doctor_verified_at = now() WHERE email = $1', [doctorEmail]);
    await doc.page.getByRole('link', { name: en.nav.patients }).click();
    await doc.page.getByRole('button', { name: en.patients.invite }).click();
    const code = (await doc.page.locator('code.code').textContent()) ?? '';
    expect(code).toMatch(/^[A-Z0-9 -]{8,40}$/);
    await checkScreen(doc.page, 'en-1280-patients-invite');

    const pat = await newPage({ width: 390, height: 844 }, { lang: 'km', session });
    await pat.page.goto(`${web.url}/doctors`);
    await pat.page.getByLabel(km.doctors.code).fill(code);
    await pat.page.getByRole('button', { name: km.doctors.check }).click();
    await pat.page.getByText('Vanna Keo').waitFor();
    await checkScreen(pat.page, 'km-390-doctors-preview');
    await pat.page.getByRole('button', { name: km.doctors.accept }).click();
    await pat.page.getByText(km.relationship.active).waitFor();
    session = (await stored(pat.page, 'dastern.session')) ?? session;

    await doc.page.reload();
    const row = doc.page.getByRole('row').filter({ hasText: 'Sokha Chan' });
    await row.waitFor();
    await expect.poll(() => row.locator('td').nth(1).textContent()).toMatch(/^\d+%$/);
    await row.getByRole('link', { name: 'Sokha Chan' }).click();
    await doc.page.getByTestId('adherence-overall').waitFor();
    await expect
      .poll(() => doc.page.getByTestId('adherence-overall').locator('.big-number').nth(1).textContent())
      .toBe('2');
    // The doctor writes a shared note; the patient's open page shows it without a reload.
    const note = `Take Omeprazole before breakfast (${Date.now()}).`;
    await doc.page.getByLabel(en.notes.write).fill(note);
    await doc.page.getByRole('button', { name: en.notes.add }).click();
    await doc.page.getByTestId('note').filter({ hasText: note }).waitFor();
    await checkScreen(doc.page, 'en-1280-patients');
    await pat.page.getByTestId('note').filter({ hasText: note }).waitFor({ timeout: 30_000 });
    await pat.page.getByText('Vanna Keo').first().waitFor();
    await checkScreen(pat.page, 'km-390-doctors-note');
    session = (await stored(pat.page, 'dastern.session')) ?? session;
    await pat.context.close();
    doctorSession = (await stored(doc.page, 'dastern.session')) ?? '';
    await doc.context.close();
  }, 120_000);

  it('each main screen in km and en, phone and desktop: screenshots, axe, every key translated', async () => {
    expect(session).not.toBe('');
    expect(doctorSession).not.toBe('');
    // A second prescription, left at review, for the review screen's captures.
    const token = (JSON.parse(session) as { access: string }).access;
    const form = new FormData();
    form.append(
      'image',
      new Blob([fs.readFileSync(PHOTO)], { type: PHOTO.endsWith('.png') ? 'image/png' : 'image/jpeg' }),
      path.basename(PHOTO),
    );
    const upload = await fetch(`${web.url}/api/v1/prescriptions?allow_duplicate=true`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    expect(upload.status).toBe(202);
    const draftId = ((await upload.json()) as { id: string }).id;
    await expect
      .poll(
        async () =>
          (
            (await (
              await fetch(`${web.url}/api/v1/prescriptions/${draftId}`, {
                headers: { authorization: `Bearer ${token}` },
              })
            ).json()) as { status: string }
          ).status,
        { timeout: 240_000, interval: 1000 },
      )
      .toBe('ocr_completed');
    const screens: [string, string, (p: Page, c: typeof en) => Promise<unknown>][] = [
      ['today', '/today', (p, c) => p.getByRole('heading', { name: c.today.title }).waitFor()],
      ['scan', '/scan', (p, c) => p.getByRole('heading', { name: c.scan.title }).waitFor()],
      [
        'prescriptions',
        '/prescriptions',
        (p, c) =>
          p
            .getByRole('link', { name: c.prescriptions.untitled })
            .or(p.getByRole('heading', { name: c.prescriptions.title }))
            .first()
            .waitFor(),
      ],
      [
        'review',
        `/prescriptions/${draftId}`,
        async (p, c) => {
          await p.getByRole('heading', { name: c.review.title }).waitFor();
          await p.getByRole('img', { name: c.review.photo }).waitFor();
        },
      ],
      ['adherence', '/adherence', (p) => p.getByTestId('adherence-overall').waitFor()],
      ['notifications', '/notifications', (p, c) => p.getByRole('heading', { name: c.notifications.title }).waitFor()],
      ['doctors', '/doctors', (p, c) => p.getByRole('heading', { name: c.doctors.title }).waitFor()],
      ['settings', '/settings', (p, c) => p.getByText(c.settings.verified).waitFor()],
    ];
    for (const [lang, catalogue] of [
      ['km', km],
      ['en', en],
    ] as const) {
      for (const viewport of [
        { width: 390, height: 844 },
        { width: 1280, height: 800 },
      ]) {
        const { context, page } = await newPage(viewport, { lang, session });
        for (const [name, route, ready] of screens) {
          await page.goto(`${web.url}${route}`);
          await ready(page, catalogue);
          expect(await htmlLang(page)).toBe(lang);
          await checkScreen(page, `${lang}-${viewport.width}-${name}`);
        }
        await context.close();
        const doctor = await newPage(viewport, { lang, session: doctorSession });
        await doctor.page.goto(`${web.url}/patients`);
        await doctor.page.getByRole('row').filter({ hasText: 'Sokha Chan' }).waitFor();
        await checkScreen(doctor.page, `${lang}-${viewport.width}-doctor-patients`);
        await doctor.context.close();
        // signed out: the sign-in page in this language
        const out = await newPage(viewport, { lang });
        await out.page.goto(`${web.url}/signin`);
        await out.page.getByRole('heading', { name: catalogue.auth.signIn }).waitFor();
        await checkScreen(out.page, `${lang}-${viewport.width}-signin`);
        await out.context.close();
      }
    }
  }, 900_000);
});
