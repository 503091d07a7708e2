/**
 * Doctors' and admins' screens in a real browser (Debian's Chromium) against `dastern serve` on
 * a real database: an admin finds a doctor awaiting verification and verifies his licence,
 * deactivates and re-activates an account, checks the audit chain, reads the billing figures;
 * the doctor (verified now) sees his patient's adherence over named periods (7 and 30 days) and
 * her missed doses, opens her page, changes a reminder time she allows him to change, writes a
 * note and drafts a visit summary. Then each screen in km and en at 390×844 and 1280×800.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { useTestDatabase } from '../support/db.ts';
import { createAdmin } from '../../src/users/admin-accounts.ts';
import {
  apiCall,
  checkScreen,
  hasChromium,
  CHROMIUM,
  launch,
  openPage,
  signInByApi,
  signUpByApi,
  startWebServer,
  type Account,
  type WebServer,
} from './support.ts';
import km from '../../web/src/locales/km.json' with { type: 'json' };
import en from '../../web/src/locales/en.json' with { type: 'json' };

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

if (!hasChromium)
  console.log(
    `SKIPPED: test/web/staff.test.ts: no Chromium at ${CHROMIUM} (scripts/install-system-deps.sh installs it)`,
  );

describe.skipIf(!hasChromium)("doctors' and admins' screens in Chromium", () => {
  const t = useTestDatabase();
  let web: WebServer;
  let browser: Browser;
  let admin: Account;
  let doctor: Account;
  let patient: Account;
  let reminderId = '';

  beforeAll(async () => {
    web = await startWebServer(t());
    ({ browser } = await launch());
    const email = `web.admin.${process.pid}.${Date.now()}@example.com`;
    await createAdmin(t().worker, { email, password: 'admin password 42 ok', firstName: 'Admin', lastName: 'Dara' }, 4);
    admin = await signInByApi(web, email, 'admin password 42 ok');
    doctor = await signUpByApi(web, 'doctor', 'Vanna', 'Keo');
    await t().owner.query('UPDATE users SET license_number = $2 WHERE id = $1', [doctor.id, `KH-MED-${process.pid}`]);
    patient = await signUpByApi(web, 'patient', 'Sokha', 'Chan');
    // her confirmed Amlodipine, one morning reminder, and doses: taken 2 days ago, missed yesterday and 10 days ago
    const rx = await t().owner.query<{ id: string }>(
      `INSERT INTO prescriptions (patient_id, uploaded_by, status, hospital_name, prescription_date, confirmed_at)
       VALUES ($1, $1, 'completed', 'Calmette Hospital', current_date - 20, now()) RETURNING id`,
      [patient.id],
    );
    const med = await t().owner.query<{ id: string }>(
      `INSERT INTO medications (prescription_id, patient_id, sequence, name, strength, dose_morning, duration_days) VALUES ($1, $2, 1, 'Amlodipine', '5mg', 1, 60) RETURNING id`,
      [rx.rows[0]?.id, patient.id],
    );
    const rem = await t().owner.query<{ id: string }>(
      `INSERT INTO medication_reminders (medication_id, patient_id, slot, reminder_time, dose_amount, start_date, timezone)
       VALUES ($1, $2, 'morning', '07:00', 1, current_date - 20, 'Asia/Phnom_Penh') RETURNING id`,
      [med.rows[0]?.id, patient.id],
    );
    reminderId = rem.rows[0]?.id as string;
    for (const [days, status] of [
      [2, 'taken'],
      [1, 'missed'],
      [10, 'missed'],
    ] as const) {
      await t().owner.query(
        `INSERT INTO medication_reminder_logs (reminder_id, patient_id, scheduled_for, status, action_at)
         VALUES ($1, $2, now() - make_interval(days => $3), $4::reminder_log_status, CASE WHEN $4 = 'taken' THEN now() - make_interval(days => $3) END)`,
        [reminderId, patient.id, days, status],
      );
    }
  });
  afterAll(async () => {
    await browser?.close();
    await web?.stop();
  });

  it('an admin verifies a doctor, deactivates and re-activates an account, checks the audit chain and the payments (en, desktop)', async () => {
    const { context, page } = await openPage(browser, DESKTOP, { lang: 'en', session: admin.session });
    await page.goto(`${web.url}/admin`);
    await page.locator('.hbar').first().waitFor();
    expect(await page.locator('.hbar-label').count()).toBe(5);
    // Until verified, the doctor cannot invite.
    expect((await apiCall<{ code: string }>(web, doctor.access, 'POST', '/care/invitations', {})).json.code).toBe(
      'doctor_not_verified',
    );

    await page.getByRole('link', { name: en.admin.usersTab }).click();
    await page.getByRole('button', { name: en.users.unverified }).click();
    const row = page.getByTestId('user').filter({ hasText: 'Vanna Keo' });
    await row.getByText(en.users.licence.replace('{{number}}', `KH-MED-${process.pid}`), { exact: false }).waitFor();
    await row.getByRole('button', { name: en.users.verifyAria.replace('{{name}}', 'Vanna Keo') }).click();
    // verified: he leaves the "to verify" list
    await row.waitFor({ state: 'detached' });
    const verified = await t().owner.query<{ at: Date | null }>(
      'SELECT doctor_verified_at AS at FROM users WHERE id = $1',
      [doctor.id],
    );
    expect(verified.rows[0]?.at).not.toBeNull();
    expect((await apiCall(web, doctor.access, 'POST', '/care/invitations', {})).status).toBe(201);

    // Find the patient, deactivate her (with a reason), then re-activate her.
    await page.getByRole('button', { name: en.users.all }).click();
    await page.getByLabel(en.users.search).fill('Sokha');
    await page.getByRole('button', { name: en.users.find }).click();
    const her = page.getByTestId('user').filter({ hasText: 'Sokha Chan' });
    await her.getByRole('button', { name: en.users.deactivateAria.replace('{{name}}', 'Sokha Chan') }).click();
    await her.getByLabel(en.users.reason).fill('asked by the patient on the phone');
    await her.getByRole('button', { name: en.users.deactivateConfirm }).click();
    await her.getByText(en.users.inactive).waitFor();
    expect(
      (await t().owner.query<{ is_active: boolean }>('SELECT is_active FROM users WHERE id = $1', [patient.id])).rows[0]
        ?.is_active,
    ).toBe(false);
    await her.getByRole('button', { name: en.users.activateAria.replace('{{name}}', 'Sokha Chan') }).click();
    await her.getByRole('button', { name: en.users.deactivateAria.replace('{{name}}', 'Sokha Chan') }).waitFor();
    expect(
      (await t().owner.query<{ is_active: boolean }>('SELECT is_active FROM users WHERE id = $1', [patient.id])).rows[0]
        ?.is_active,
    ).toBe(true);
    // her session ended with the deactivation: a new one for what follows
    patient = await signInByApi(web, patient.email, patient.password);

    await page.getByRole('link', { name: en.audit.tab }).click();
    await page.getByRole('button', { name: en.audit.verify }).click();
    await page.getByTestId('audit-verdict').getByText(en.audit.intact).waitFor();
    await checkScreen(page, 'en-1280-admin-audit-verified');

    await page.getByRole('link', { name: en.billing.tab }).click();
    await page.getByTestId('billing-tiles').waitFor();
    await page.getByText(en.billing.noRevenue).waitFor();
    await context.close();
  }, 120_000);

  it('the doctor sees adherence over named periods, opens his patient, changes a reminder, writes a note and drafts a visit summary (en, desktop)', async () => {
    const code = (await apiCall<{ code: string }>(web, doctor.access, 'POST', '/care/invitations', {})).json.code;
    const accepted = await apiCall(web, patient.access, 'POST', '/care/invitations/accept', {
      code,
      permissions: { can_view_prescriptions: true, can_add_notes: true, can_modify_reminders: true },
    });
    expect(accepted.status).toBe(200);
    const { context, page } = await openPage(browser, DESKTOP, { lang: 'en', session: doctor.session });
    await page.goto(`${web.url}/patients`);
    // the columns say which period they count
    for (const h of [en.patients.rate7, en.patients.rate30, en.patients.missed7])
      await page.getByRole('columnheader', { name: h }).waitFor();
    const row = page.getByRole('row').filter({ hasText: 'Sokha Chan' });
    // last 7 days: 1 taken, 1 missed → 50%; last 30 days: 1 taken, 2 missed → 33%
    await expect.poll(() => row.locator('td').nth(1).textContent()).toBe('50%');
    expect(await row.locator('td').nth(2).textContent()).toBe('33%');
    expect(await row.locator('td').nth(3).textContent()).toBe(en.patients.missedN.replace('{{n}}', '1'));
    await page.getByTestId('missed-alerts').waitFor();

    await row.getByRole('link', { name: 'Sokha Chan' }).click();
    await page.waitForURL(`**/patients/${patient.id}`);
    await page.getByTestId('patient-alerts').getByText(en.patient.missed7.replace('{{n}}', '1')).waitFor();
    await page.getByTestId('adherence-overall').waitFor();
    await page.getByText('Calmette Hospital').first().waitFor();
    // the reminder time, changed by him (she allows it)
    const time = page.getByLabel(
      en.patient.timeOf.replace('{{name}}', 'Amlodipine').replace('{{slot}}', en.slot.morning),
    );
    await time.fill('08:30');
    await page.getByRole('listitem').filter({ has: time }).getByRole('button', { name: en.common.save }).click();
    await page.getByText(en.settings.saved).first().waitFor();
    const after = await t().owner.query<{ at: string }>(
      `SELECT to_char(reminder_time, 'HH24:MI') AS at FROM medication_reminders WHERE id = $1`,
      [reminderId],
    );
    expect(after.rows[0]?.at).toBe('08:30');
    // a shared note
    const note = `Check blood pressure at the next visit (${Date.now()}).`;
    await page.getByLabel(en.notes.write).fill(note);
    await page.getByRole('button', { name: en.notes.add }).click();
    await page.getByTestId('note').filter({ hasText: note }).waitFor();
    const shared = await apiCall<{ items: { content: string; is_private: boolean }[] }>(
      web,
      patient.access,
      'GET',
      '/clinical-notes',
    );
    expect(shared.json.items.some((n) => n.content === note && !n.is_private)).toBe(true);
    // the visit summary: a draft, clearly marked, saved only as his private note
    await page.getByRole('button', { name: en.summary.make }).click();
    const draft = page.getByTestId('visit-summary');
    await draft.locator('.draft-badge').waitFor();
    expect(await draft.locator('.draft-badge').textContent()).toMatch(/^DRAFT/);
    expect(await draft.getByRole('textbox').inputValue()).toMatch(/Amlodipine/);
    await draft.getByRole('button', { name: en.summary.save }).click();
    await draft.getByText(en.summary.saved).waitFor();
    const mine = await apiCall<{ items: { title: string | null; is_private: boolean }[] }>(
      web,
      patient.access,
      'GET',
      '/clinical-notes',
    );
    expect(mine.json.items.some((n) => n.title === en.summary.noteTitle)).toBe(false);
    await checkScreen(page, 'en-1280-doctor-patient-note');
    await context.close();
  }, 120_000);

  it('each screen in km and en, phone and desktop: screenshots, axe, every key translated', async () => {
    expect(reminderId).not.toBe('');
    const screens: [string, Account, string, (p: Page, c: typeof en) => Promise<unknown>][] = [
      ['doctor-patients', doctor, '/patients', (p) => p.getByRole('row').filter({ hasText: 'Sokha Chan' }).waitFor()],
      ['doctor-patient', doctor, `/patients/${patient.id}`, (p) => p.getByTestId('adherence-overall').waitFor()],
      ['admin-stats', admin, '/admin', (p) => p.locator('.hbar').first().waitFor()],
      ['admin-users', admin, '/admin/users', (p) => p.getByTestId('user').first().waitFor()],
      ['admin-audit', admin, '/admin/audit', (p, c) => p.getByRole('button', { name: c.audit.verify }).waitFor()],
      ['admin-billing', admin, '/admin/billing', (p) => p.getByTestId('billing-tiles').waitFor()],
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
