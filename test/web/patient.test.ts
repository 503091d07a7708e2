/**
 * The patient's own screens in a real browser (Debian's Chromium) against `dastern serve` on a
 * real database: add a medicine by hand → it is on Today → edit its time → stop it; the
 * per-medicine history (period named, Khmer digits and month through the FormatJS polyfills);
 * the medical profile, the e-mail switch and devices in Settings; Web Push opt-in; the live
 * stream's unread badge; a reading that never ends; delete my account. Each new screen in km
 * and en at 390×844 and 1280×800: screenshots under test-results/web/, axe, no missing key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { useTestDatabase } from '../support/db.ts';
import {
  axeProblems,
  hasChromium,
  CHROMIUM,
  launch,
  missingKeys,
  screenshot,
  startWebServer,
  type WebServer,
} from './support.ts';
import km from '../../web/src/locales/km.json' with { type: 'json' };
import en from '../../web/src/locales/en.json' with { type: 'json' };

if (!hasChromium)
  console.log(
    `SKIPPED: test/web/patient.test.ts: no Chromium at ${CHROMIUM} (scripts/install-system-deps.sh installs it)`,
  );

const PASSWORD = 'patient password 42 ok';
const KHMER_DIGIT = /[០-៩]/;

interface Signed {
  id: string;
  email: string;
  access: string;
  session: string;
}

describe.skipIf(!hasChromium)('the patient screens in Chromium', () => {
  const t = useTestDatabase();
  let web: WebServer;
  let browser: Browser;
  let patient: Signed;

  beforeAll(async () => {
    web = await startWebServer(t());
    ({ browser } = await launch());
    patient = await signUp('Srey', 'Pov');
  });
  afterAll(async () => {
    await browser?.close();
    await web?.stop();
  });

  async function signUp(first: string, last: string): Promise<Signed> {
    const email = `web.p.${first.toLowerCase()}.${process.pid}.${Date.now()}@example.com`;
    const res = await fetch(`${web.url}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        email,
        password: PASSWORD,
        first_name: first,
        last_name: last,
        role: 'patient',
        language: 'km',
        timezone: 'Asia/Phnom_Penh',
      }),
    });
    expect(res.status).toBe(201);
    const pair = (await res.json()) as { access_token: string; refresh_token: string; user: { id: string } };
    return {
      id: pair.user.id,
      email,
      access: pair.access_token,
      session: JSON.stringify({ access: pair.access_token, refresh: pair.refresh_token, user: pair.user }),
    };
  }

  async function call<T>(
    who: Signed,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: T }> {
    const res = await fetch(`${web.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${who.access}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, json: (text === '' ? null : JSON.parse(text)) as T };
  }

  async function open(
    viewport: { width: number; height: number },
    lang: string,
    who: Signed | null,
    workers: 'allow' | 'block' = 'block',
  ): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({
      viewport,
      timezoneId: 'Asia/Phnom_Penh',
      locale: 'km-KH',
      serviceWorkers: workers,
    });
    const lines = [`localStorage.setItem('dastern.lang', ${JSON.stringify(lang)});`];
    if (who !== null)
      lines.push(
        `if (localStorage.getItem('dastern.session') === null) localStorage.setItem('dastern.session', ${JSON.stringify(who.session)});`,
      );
    await context.addInitScript({ content: lines.join('\n') });
    const page = await context.newPage();
    page.on('pageerror', (err) => console.error('page error:', err.message));
    return { context, page };
  }

  async function checkScreen(page: Page, name: string) {
    await screenshot(page, name);
    expect(await axeProblems(page), `axe on ${name}`).toEqual([]);
    expect(await missingKeys(page), `i18n keys on ${name}`).toEqual([]);
  }

  /** HH:MM now in Phnom Penh (the patient's zone). */
  function phnomPenhNow(): string {
    return new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Asia/Phnom_Penh',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).format(new Date());
  }

  it('adds a medicine by hand (every hour from now), finds it on Today, edits its time, reads its history in Khmer, stops it', async () => {
    const { context, page } = await open({ width: 390, height: 844 }, 'km', patient);
    await page.goto(`${web.url}/medicines`);
    await page.getByText(km.medicines.none).waitFor();
    await checkScreen(page, 'km-390-medicines-empty');

    await page.getByRole('link', { name: km.medicines.add }).click();
    await page.getByLabel(km.review.name).fill('Paracetamol');
    await page.getByLabel(km.review.strength).fill('500 mg');
    await page.getByLabel(km.addMedicine.kind.interval).check();
    await page.getByLabel(km.addMedicine.every, { exact: true }).selectOption('1');
    // every hour at the current minute: a dose of today's is due now, whatever the hour
    await page.getByLabel(km.addMedicine.firstTime).fill(phnomPenhNow());
    await checkScreen(page, 'km-390-medicine-add');
    await page.getByRole('button', { name: km.addMedicine.save }).click();
    await page.waitForURL(/\/medicines\/[0-9a-f-]{36}$/);
    const medId = page.url().split('/').pop() as string;
    const schedule = page.getByTestId('medicine-schedule');
    await schedule.waitFor();
    expect(await schedule.textContent()).toMatch(KHMER_DIGIT);
    // the period is named with its dates: Khmer digits and a Khmer month (CLDR, through the polyfill)
    const period = page.getByTestId('history-period');
    await period.waitFor();
    expect(await period.textContent()).toMatch(/[\u1780-\u17FF]+ [០-៩]{4}/);
    await page.getByTestId('dose-calendar').waitFor();
    await checkScreen(page, 'km-390-medicine-detail');

    const mine = await call<{
      items: {
        id: string;
        schedule_kind: string;
        interval_hours: number;
        reminders: { id: string; reminder_time: string; is_active: boolean }[];
      }[];
    }>(patient, 'GET', '/medications');
    const med = mine.json.items.find((m) => m.id === medId);
    expect(med).toMatchObject({ schedule_kind: 'interval', interval_hours: 1 });
    expect(med?.reminders.length).toBe(24);

    // Today shows it, with its buttons
    await page.goto(`${web.url}/today`);
    await page
      .getByRole('button', { name: km.today.takeAria.replace('{{name}}', 'Paracetamol') })
      .first()
      .waitFor();
    await checkScreen(page, 'km-390-today-with-added');

    // 30 days: the period changes its name
    await page.goto(`${web.url}/medicines/${medId}`);
    await page.getByRole('button', { name: km.adherence.days.replace('{{n}}', '៣០') }).click();
    await expect.poll(() => period.textContent()).toContain('៣០');
    await expect.poll(() => page.getByTestId('dose-calendar').locator('li').count()).toBe(30);

    // stop, with the confirmation step
    await page.getByRole('button', { name: km.medicines.stop }).click();
    await page.getByLabel(km.medicines.stopReason).fill('Fever gone');
    await checkScreen(page, 'km-390-medicine-stop');
    await page.getByRole('button', { name: km.medicines.stopConfirm }).click();
    await page
      .getByText(km.medicines.stoppedOn.split('{{')[0] as string)
      .first()
      .waitFor();
    const after = await call<{ items: { id: string; is_active: boolean; stop_reason: string | null }[] }>(
      patient,
      'GET',
      '/medications',
    );
    expect(after.json.items.find((m) => m.id === medId)).toMatchObject({ is_active: false, stop_reason: 'Fever gone' });
    await page.goto(`${web.url}/today`);
    await page.getByRole('heading', { name: km.today.title }).waitFor();
    await expect
      .poll(() => page.getByRole('button', { name: km.today.takeAria.replace('{{name}}', 'Paracetamol') }).count())
      .toBe(0);
    await context.close();
  }, 120_000);

  it('edits a reminder time of a medicine at her four times', async () => {
    const added = await call<{ id: string; reminders: { id: string; slot: string; reminder_time: string }[] }>(
      patient,
      'POST',
      '/medications',
      {
        name: 'Metformin',
        strength: '500mg',
        schedule: { kind: 'slots', dosage_schedule: { morning: 1, noon: 0, evening: 1, night: 0 } },
      },
    );
    expect(added.status).toBe(201);
    const { context, page } = await open({ width: 390, height: 844 }, 'en', patient);
    await page.goto(`${web.url}/medicines/${added.json.id}`);
    await page.getByRole('heading', { name: en.medicines.times }).waitFor();
    await page.getByLabel(en.slot.morning).fill('06:30');
    await page.getByRole('button', { name: en.medicines.saveTimes }).click();
    await page.getByText(en.settings.saved).waitFor();
    const mine = await call<{ items: { id: string; reminders: { slot: string; reminder_time: string }[] }[] }>(
      patient,
      'GET',
      '/medications',
    );
    const reminders = mine.json.items.find((m) => m.id === added.json.id)?.reminders ?? [];
    expect(reminders.find((r) => r.slot === 'morning')?.reminder_time.slice(0, 5)).toBe('06:30');
    expect(reminders.find((r) => r.slot === 'evening')?.reminder_time.slice(0, 5)).toBe(
      added.json.reminders.find((r) => r.slot === 'evening')?.reminder_time.slice(0, 5),
    );
    await context.close();
  }, 60_000);

  it('settings: medical profile (allergy, pregnancy), the e-mail switch, devices', async () => {
    const { context, page } = await open({ width: 390, height: 844 }, 'en', patient);
    await page.goto(`${web.url}/settings`);
    const profile = page.getByTestId('medical-profile');
    await profile.waitFor();
    await page.getByLabel(en.profile.allergies).fill('Penicillin\nAspirin');
    await page.getByLabel(en.profile.conditions).fill('Hypertension');
    await page.getByLabel(en.profile.female).check();
    await page.getByLabel(en.profile.pregnant).check();
    await profile.getByRole('button', { name: en.common.save }).click();
    await profile.getByText(en.settings.saved).waitFor();
    const me = async () =>
      (
        await call<{
          notification_preferences: Record<string, boolean>;
          patient: { allergies: string[]; medical_conditions: string[]; gender: string | null };
        }>(patient, 'GET', '/me')
      ).json;
    expect((await me()).patient).toMatchObject({
      allergies: ['Penicillin', 'Aspirin'],
      medical_conditions: ['Hypertension', 'pregnancy'],
      gender: 'female',
    });

    const emailBefore = (await me()).notification_preferences.email ?? false;
    await page.getByLabel(en.push.email).setChecked(!emailBefore);
    await expect.poll(async () => (await me()).notification_preferences.email).toBe(!emailBefore);
    await page.getByTestId('sessions').getByText(en.sessions.current).first().waitFor();
    await checkScreen(page, 'en-390-settings-patient');
    await context.close();
  }, 60_000);

  it('Web Push: with permission granted, this browser subscribes and is listed, or the screen says the push service is unreachable', async () => {
    const { context, page } = await open({ width: 390, height: 844 }, 'en', patient, 'allow');
    await context.grantPermissions(['notifications'], { origin: web.url });
    await page.goto(`${web.url}/settings`);
    const settings = page.getByTestId('notification-settings');
    await settings.getByRole('button', { name: en.push.enable }).click();
    const enabled = settings.getByText(en.push.enabled);
    const failed = settings.getByText(en.problem.push_service_unreachable);
    await enabled.or(failed).first().waitFor({ timeout: 30_000 });
    const devices = (
      await call<{ items: { id: string; endpoint: string }[] }>(patient, 'GET', '/me/push-subscriptions')
    ).json.items;
    if (await enabled.isVisible()) {
      console.log('test/web/patient.test.ts: Chromium reached its push service; the subscription is registered');
      expect(devices).toHaveLength(1);
    } else {
      console.log(
        'test/web/patient.test.ts: Chromium gave no push subscription (headless contexts have no push service); the screen says so and nothing is registered',
      );
      expect(devices).toHaveLength(0);
    }
    await checkScreen(page, 'en-390-settings-push');
    await context.close();
  }, 60_000);

  it('Web Push: the subscription the browser gives is registered with the server, listed as this phone; the service worker shows a push; removed', async () => {
    // The push service is a third party (FCM here): the browser's PushManager answers with a
    // subscription at its endpoint, as it does once that service replies.
    const { context, page } = await open({ width: 1280, height: 800 }, 'km', patient, 'allow');
    await context.grantPermissions(['notifications'], { origin: web.url });
    await context.addInitScript({
      content: `(() => {
      const b64 = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/[+]/g, '-').replace(/[/]/g, '_').replace(/=+$/, '');
      let current = null;
      const make = async () => {
        const pair = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits']);
        const keys = { p256dh: b64(await crypto.subtle.exportKey('raw', pair.publicKey)), auth: b64(crypto.getRandomValues(new Uint8Array(16))) };
        return {
          endpoint: 'https://fcm.googleapis.com/fcm/send/dastern-test-' + Date.now(),
          expirationTime: null,
          toJSON() { return { endpoint: this.endpoint, expirationTime: null, keys }; },
          unsubscribe: async () => { current = null; return true; },
        };
      };
      PushManager.prototype.subscribe = async function () { current = current ?? await make(); return current; };
      PushManager.prototype.getSubscription = async function () { return current; };
    })();`,
    });
    await page.goto(`${web.url}/settings`);
    const settings = page.getByTestId('notification-settings');
    await settings.getByRole('button', { name: km.push.enable }).click();
    await settings.getByText(km.push.onHere).first().waitFor({ timeout: 30_000 });
    const devices = (
      await call<{ items: { id: string; endpoint: string }[] }>(patient, 'GET', '/me/push-subscriptions')
    ).json.items;
    expect(
      devices.filter((d) => d.endpoint.startsWith('https://fcm.googleapis.com/fcm/send/dastern-test-')),
    ).toHaveLength(1);
    expect(
      (await call<{ notification_preferences: Record<string, boolean> }>(patient, 'GET', '/me')).json
        .notification_preferences.push,
    ).toBe(true);
    await settings.getByTestId('push-devices').getByText(km.push.thisDevice).waitFor();
    await checkScreen(page, 'km-1280-settings-push-on');

    // What the server would send reaches the service worker (DevTools delivers it as the push
    // service would): it shows the notification, with the text and tag sent.
    const cdp = await context.newCDPSession(page);
    const registrations = new Promise<string>((resolve) => {
      cdp.on(
        'ServiceWorker.workerRegistrationUpdated',
        (e: { registrations: { registrationId: string; scopeURL: string; isDeleted: boolean }[] }) => {
          const r = e.registrations.find((x) => x.scopeURL.startsWith(web.url) && !x.isDeleted);
          if (r !== undefined) resolve(r.registrationId);
        },
      );
    });
    await cdp.send('ServiceWorker.enable');
    const registrationId = await registrations;
    const payload = {
      title: 'DasTern: ពេលលេបថ្នាំ',
      body: 'បើកកម្មវិធី',
      url: `${web.url}/notifications/abc`,
      tag: 'dose-test',
    };
    await cdp.send('ServiceWorker.deliverPushMessage', {
      origin: web.url,
      registrationId,
      data: JSON.stringify(payload),
    });
    const shown = () =>
      page.evaluate(
        `navigator.serviceWorker.ready.then((r) => r.getNotifications()).then((list) => list.map((n) => [n.title, n.body, n.tag].join('|')))`,
      ) as Promise<string[]>;
    await expect.poll(shown, { timeout: 10_000 }).toEqual([`${payload.title}|${payload.body}|${payload.tag}`]);
    await settings.getByRole('button', { name: km.push.remove }).click();
    await settings.getByText(km.push.noDevices).waitFor();
    expect((await call<{ items: unknown[] }>(patient, 'GET', '/me/push-subscriptions')).json.items).toHaveLength(0);
    await context.close();
  }, 60_000);

  it('the unread badge follows the live stream (no reload, no polling)', async () => {
    const { context, page } = await open({ width: 390, height: 844 }, 'en', patient);
    await page.goto(`${web.url}/today`);
    await page.waitForFunction(
      () => (globalThis as unknown as { __dasternLive?: string }).__dasternLive === 'open',
      null,
      { timeout: 20_000 },
    );
    const unread = (await call<{ unread: number }>(patient, 'GET', '/notifications/unread-count')).json.unread;
    await t().owner.query(
      `INSERT INTO notifications (user_id, type, title, body) VALUES ($1, 'system', 'Live test', 'Sent while the page is open')`,
      [patient.id],
    );
    const badge = page.getByRole('navigation').locator('.badge');
    await expect.poll(() => badge.textContent(), { timeout: 15_000 }).toBe(String(unread + 1));
    await context.close();
  }, 60_000);

  it('a reading that stopped (untouched for an hour, no job behind it) offers to remove it and scan again', async () => {
    const res = await t().owner.query<{ id: string }>(
      `INSERT INTO prescriptions (patient_id, uploaded_by, status, created_at, updated_at) VALUES ($1, $1, 'processing', now() - interval '1 hour', now() - interval '1 hour') RETURNING id`,
      [patient.id],
    );
    const id = res.rows[0]?.id as string;
    const { context, page } = await open({ width: 390, height: 844 }, 'km', patient);
    await page.goto(`${web.url}/prescriptions/${id}`);
    await page.getByTestId('reading-stuck').waitFor();
    await checkScreen(page, 'km-390-reading-stuck');
    await page.getByRole('button', { name: km.reading.again }).click();
    await page.waitForURL('**/scan');
    expect((await call<unknown>(patient, 'GET', `/prescriptions/${id}`)).status).toBe(404);
    await context.close();
  }, 60_000);

  it('each new screen in km and en, phone and desktop: screenshots, axe, every key translated', async () => {
    const added = await call<{ id: string }>(patient, 'POST', '/medications', {
      name: 'Amlodipine',
      strength: '5mg',
      schedule: { kind: 'slots', dosage_schedule: { morning: 1, noon: 0, evening: 0, night: 0 } },
    });
    expect(added.status).toBe(201);
    const screens: [string, string, (p: Page, c: typeof en) => Promise<unknown>][] = [
      ['medicines', '/medicines', (p) => p.getByTestId('medicine').first().waitFor()],
      ['medicine-add', '/medicines/new', (p, c) => p.getByRole('button', { name: c.addMedicine.save }).waitFor()],
      ['medicine-detail', `/medicines/${added.json.id}`, (p) => p.getByTestId('dose-calendar').waitFor()],
      ['settings-patient', '/settings', (p) => p.getByTestId('sessions').locator('li').first().waitFor()],
      ['adherence-calendar', '/adherence', (p) => p.getByTestId('dose-calendar').waitFor()],
    ];
    for (const [lang, catalogue] of [
      ['km', km],
      ['en', en],
    ] as const) {
      for (const viewport of [
        { width: 390, height: 844 },
        { width: 1280, height: 800 },
      ]) {
        const { context, page } = await open(viewport, lang, patient);
        for (const [name, route, ready] of screens) {
          await page.goto(`${web.url}${route}`);
          await ready(page, catalogue);
          await checkScreen(page, `${lang}-${viewport.width}-${name}`);
        }
        await context.close();
      }
    }
  }, 240_000);

  it('deletes her account after the confirmation step', async () => {
    const leaving = await signUp('Leak', 'Na');
    const { context, page } = await open({ width: 390, height: 844 }, 'km', leaving);
    await page.goto(`${web.url}/settings`);
    await page.getByRole('button', { name: km.erase.start }).click();
    const form = page.getByTestId('erase-confirm');
    await form.getByLabel(km.erase.understood).check();
    await form.getByLabel(km.auth.password).fill(PASSWORD);
    await checkScreen(page, 'km-390-erase-confirm');
    await form.getByRole('button', { name: km.erase.confirm }).click();
    await page.getByText(km.erase.done).or(page.getByRole('alert')).first().waitFor();
    expect(await page.getByRole('alert').allTextContents()).toEqual([]);
    expect(page.url()).toContain('/signin');
    const login = await fetch(`${web.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: leaving.email, password: PASSWORD }),
    });
    expect(login.status).toBe(401);
    await context.close();
  }, 60_000);
});
