/**
 * Delivery of dose reminders on the e-mail and push channels, against a real SMTP server
 * (smtp-server, in-process) and a local HTTPS push endpoint: what leaves the server (in the
 * user's language, no medicine, encrypted for the browser, VAPID-signed), what is recorded,
 * subscriptions that are gone, passing failures retried without sending twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import webpush from 'web-push';
import { Deliverer } from '../../src/delivery/deliverer.ts';
import { webPushSender } from '../../src/delivery/push.ts';
import { createMailer, type Mailer } from '../../src/mail/mailer.ts';
import { createLogger } from '../../src/log.ts';
import { dispatchReminders } from '../../src/reminders/dispatcher.ts';
import { useTestDatabase } from '../support/db.ts';
import { createMedication, createPrescription, createUser, type Queryable } from '../database/fixtures.ts';
import {
  browserKeys,
  decodeMail,
  startPushService,
  startSmtp,
  type BrowserKeys,
  type PushService,
  type Smtp,
} from './support.ts';

const t = useTestDatabase();
const PUBLIC_URL = 'https://app.dastern.example';
const vapid = { subject: 'mailto:ops@dastern.example', ...webpush.generateVAPIDKeys() };
let smtp: Smtp;
let push: PushService;
let mailer: Mailer;
let deliverer: Deliverer;

beforeAll(async () => {
  smtp = await startSmtp();
  push = await startPushService();
  mailer = createMailer({
    smtpUrl: smtp.url,
    from: 'DasTern <no-reply@dastern.example>',
    outboxDir: '/nonexistent',
    logger: createLogger('silent'),
  });
  deliverer = new Deliverer({
    db: t().worker,
    mailer,
    logger: createLogger('silent'),
    publicUrl: PUBLIC_URL,
    concurrency: 4,
    push: webPushSender({
      vapid,
      allowedHosts: ['*'],
      agent: push.agent,
      timeoutMs: 5000,
      reachableAddresses: ['127.0.0.1'],
    }),
  });
});
afterAll(async () => {
  mailer.close();
  await smtp.close();
  await push.close();
});

/** Every case's dose is due at this instant; each patient's reminder is switched off once dispatched. */
const DUE = new Date('2026-03-02T00:00:00Z');

/** A patient (language, verified e-mail) whose 'Amlodipine 500mg' dose is due now; returns the new notification's id. */
async function dueReminder(
  db: Queryable,
  o: { language?: string; verified?: boolean; prefs?: Record<string, boolean> } = {},
) {
  const patient = await createUser(db);
  await db.query(
    `UPDATE users SET language = $2, email_verified_at = CASE WHEN $3::boolean THEN now() END,
            notification_preferences = $4 WHERE id = $1`,
    [
      patient,
      o.language ?? 'en',
      o.verified ?? true,
      JSON.stringify(o.prefs ?? { in_app: true, push: true, email: true }),
    ],
  );
  const medication = await createMedication(db, await createPrescription(db, patient), patient, { name: 'Amlodipine' });
  const due = DUE;
  await db.query(
    `INSERT INTO medication_reminders (medication_id, patient_id, slot, reminder_time, dose_amount, days_of_week, start_date, timezone, next_reminder_at)
     VALUES ($1, $2, 'morning', '07:00', 2, '{1,2,3,4,5,6,7}', '2026-01-01', 'Asia/Phnom_Penh', $3)`,
    [medication, patient, due],
  );
  const result = await dispatchReminders(t().worker, due);
  const email = (await db.query<{ email: string }>('SELECT email FROM users WHERE id = $1', [patient])).rows[0]!.email;
  const ids = [];
  for (const id of result.notificationIds) {
    const n = await db.query<{ user_id: string }>('SELECT user_id FROM notifications WHERE id = $1', [id]);
    if (n.rows[0]?.user_id === patient) ids.push(id);
  }
  expect(ids).toHaveLength(1);
  await db.query('UPDATE medication_reminders SET is_active = false WHERE patient_id = $1', [patient]);
  return { patient, email, id: ids[0]! };
}

async function subscribe(db: Queryable, userId: string, pathName: string): Promise<{ id: string; keys: BrowserKeys }> {
  const keys = browserKeys();
  const res = await db.query<{ id: string }>(
    'INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth) VALUES ($1, $2, $3, $4) RETURNING id',
    [userId, `${push.origin}${pathName}`, keys.p256dh, keys.auth],
  );
  return { id: res.rows[0]!.id, keys };
}

async function row(db: Queryable, id: string) {
  const res = await db.query<{
    delivery_status: string;
    delivery: Record<string, { status: string; reason?: string; error?: string }>;
    delivered_at: Date | null;
    delivery_attempts: number;
    delivery_error: string | null;
  }>(
    'SELECT delivery_status, delivery, delivered_at, delivery_attempts, delivery_error FROM notifications WHERE id = $1',
    [id],
  );
  return res.rows[0]!;
}

const mailsTo = (address: string) => smtp.inbox.filter((m) => m.to.includes(address.toLowerCase()));

describe('notification delivery', () => {
  it('e-mails a short text in her language with a link, never the medicine or the dose', async () => {
    const { owner } = t();
    const { email, id } = await dueReminder(owner, {
      language: 'fr',
      prefs: { in_app: true, push: false, email: true },
    });
    const report = await deliverer.deliver([id]);
    expect(report).toMatchObject({ claimed: 1, sent: 1, failed: 0, retry: [] });
    const mails = mailsTo(email);
    expect(mails).toHaveLength(1);
    const text = decodeMail(mails[0]!.raw);
    expect(text).toContain("C'est l'heure de vos médicaments (matin)");
    expect(text).toContain(`${PUBLIC_URL}/notifications/${id}`);
    for (const secret of ['Amlodipine', '500mg', '500 mg', 'tablet']) expect(text).not.toContain(secret);
    // ...which the in-app notification does show
    const inApp = await owner.query<{ body: string }>('SELECT body FROM notifications WHERE id = $1', [id]);
    expect(inApp.rows[0]!.body).toContain('Amlodipine');
    const r = await row(owner, id);
    expect(r.delivery_status).toBe('sent');
    expect(r.delivered_at).not.toBeNull();
    expect(r.delivery_attempts).toBe(1);
    expect(r.delivery.email?.status).toBe('sent');
    expect(r.delivery).not.toHaveProperty('lease_until');
    // delivered once: a second call finds nothing to do
    expect((await deliverer.deliver([id])).claimed).toBe(0);
    expect(mailsTo(email)).toHaveLength(1);
  });

  it('pushes an encrypted, VAPID-signed message to each browser; 410 disables that subscription', async () => {
    const { owner } = t();
    const { patient, id } = await dueReminder(owner, {
      language: 'km',
      prefs: { in_app: true, push: true, email: false },
    });
    const phone = await subscribe(owner, patient, '/push/phone');
    const old = await subscribe(owner, patient, '/push/old-laptop');
    push.status.set('/push/old-laptop', 410);
    const report = await deliverer.deliver([id]);
    expect(report.sent).toBe(1);

    const req = push.requests.find((r) => r.path === '/push/phone');
    expect(req).toBeDefined();
    expect(req!.headers['content-encoding']).toBe('aes128gcm');
    expect(req!.headers.urgency).toBe('high');
    expect(req!.headers.ttl).toBe('1800');
    expect(req!.headers.topic).toBe(id.replace(/-/g, ''));
    expect(String(req!.headers.authorization)).toMatch(
      new RegExp(`^vapid t=[\\w-]+\\.[\\w-]+\\.[\\w-]+, k=${vapid.publicKey}$`),
    );
    expect(req!.body.includes(Buffer.from('Amlodipine'))).toBe(false);
    const payload = JSON.parse(phone.keys.decrypt(req!.body)) as Record<string, string>;
    expect(payload).toEqual({
      title: 'ដល់ម៉ោងលេបថ្នាំ (ព្រឹក)',
      body: 'សូមបើក DasTern ដើម្បីមើលព័ត៌មានលម្អិត។',
      url: `${PUBLIC_URL}/notifications/${id}`,
      tag: id,
      type: 'reminder',
      notification_id: id,
    });

    const subs = await owner.query<{
      id: string;
      disabled_at: Date | null;
      last_success_at: Date | null;
      failure_count: number;
    }>('SELECT id, disabled_at, last_success_at, failure_count FROM push_subscriptions WHERE user_id = $1', [patient]);
    const byId = new Map(subs.rows.map((s) => [s.id, s]));
    expect(byId.get(phone.id)).toMatchObject({ disabled_at: null, failure_count: 0 });
    expect(byId.get(phone.id)!.last_success_at).not.toBeNull();
    expect(byId.get(old.id)!.disabled_at).not.toBeNull();
    const r = await row(owner, id);
    expect(r.delivery_status).toBe('sent');
    expect(r.delivery.push).toMatchObject({ status: 'sent', sent: 1, gone: 1 });

    // the next notification does not go to the disabled browser any more
    const next = await dueReminder(owner, { prefs: { in_app: true, push: true, email: false } });
    await owner.query('UPDATE push_subscriptions SET user_id = $1 WHERE id = ANY ($2)', [
      next.patient,
      [phone.id, old.id],
    ]);
    const before = push.requests.filter((x) => x.path === '/push/old-laptop').length;
    await deliverer.deliver([next.id]);
    expect(push.requests.filter((x) => x.path === '/push/old-laptop')).toHaveLength(before);
  });

  it('retries a passing failure on that channel only, without sending the other twice', async () => {
    const { owner } = t();
    const { patient, email, id } = await dueReminder(owner);
    await subscribe(owner, patient, '/push/busy');
    push.status.set('/push/busy', 503);
    const first = await deliverer.deliver([id]);
    expect(first.retry).toEqual([id]);
    let r = await row(owner, id);
    expect(r.delivery_status).toBe('pending');
    expect(r.delivery.email?.status).toBe('sent');
    expect(r.delivery.push?.status).toBe('retry');
    expect(r.delivery_error).toContain('push: push service answered 503');

    push.status.set('/push/busy', 201);
    const second = await deliverer.deliver([id]);
    expect(second).toMatchObject({ claimed: 1, sent: 1, retry: [] });
    r = await row(owner, id);
    expect(r).toMatchObject({ delivery_status: 'sent', delivery_attempts: 2, delivery_error: null });
    expect(mailsTo(email)).toHaveLength(1);
    expect(push.requests.filter((x) => x.path === '/push/busy')).toHaveLength(2);
  });

  it('gives up on the last attempt; a permanent SMTP refusal fails at once; one bad recipient does not stop the others', async () => {
    const { owner } = t();
    const a = await dueReminder(owner, { prefs: { in_app: true, push: false, email: true } });
    const b = await dueReminder(owner, { prefs: { in_app: true, push: true, email: false } });
    await subscribe(owner, b.patient, '/push/b');
    smtp.rejectWith = 550;
    try {
      const report = await deliverer.deliver([a.id, b.id]);
      expect(report).toMatchObject({ claimed: 2, sent: 1, failed: 1, retry: [] });
    } finally {
      smtp.rejectWith = null;
    }
    const ra = await row(owner, a.id);
    expect(ra.delivery_status).toBe('failed');
    expect(ra.delivery_error).toMatch(/^email: 550/);
    expect(ra.delivery_error).not.toContain(a.email);
    expect((await row(owner, b.id)).delivery_status).toBe('sent');

    const c = await dueReminder(owner, { prefs: { in_app: true, push: false, email: true } });
    smtp.rejectWith = 451;
    try {
      expect((await deliverer.deliver([c.id])).retry).toEqual([c.id]);
      expect((await deliverer.deliver([c.id], { final: true })).failed).toBe(1);
    } finally {
      smtp.rejectWith = null;
    }
    expect(await row(owner, c.id)).toMatchObject({ delivery_status: 'failed', delivery_attempts: 2 });
  });

  it('skips what should not be sent: unverified address, no browser, a dose already recorded, in-app only', async () => {
    const { owner } = t();
    const unverified = await dueReminder(owner, { verified: false });
    await deliverer.deliver([unverified.id]);
    const r = await row(owner, unverified.id);
    expect(r.delivery_status).toBe('skipped');
    expect(r.delivery.email).toMatchObject({ status: 'skipped', reason: 'email_unverified' });
    expect(r.delivery.push).toMatchObject({ status: 'skipped', reason: 'no_subscription' });
    expect(mailsTo(unverified.email)).toHaveLength(0);

    const taken = await dueReminder(owner);
    await owner.query(`UPDATE medication_reminder_logs SET status = 'taken', action_at = now() WHERE patient_id = $1`, [
      taken.patient,
    ]);
    await deliverer.deliver([taken.id]);
    expect((await row(owner, taken.id)).delivery.email).toMatchObject({ status: 'skipped', reason: 'dose_taken' });
    expect(mailsTo(taken.email)).toHaveLength(0);

    const inApp = await dueReminder(owner, { prefs: { in_app: true, push: false, email: false } });
    expect((await deliverer.deliver([inApp.id])).inAppOnly).toBe(1);
    expect((await row(owner, inApp.id)).delivery_status).toBe('delivered');
  });

  it('two deliverers at once send each notification once', async () => {
    const { owner } = t();
    const many = [];
    for (let i = 0; i < 6; i++)
      many.push(await dueReminder(owner, { prefs: { in_app: true, push: false, email: true } }));
    const ids = many.map((m) => m.id);
    const [x, y] = await Promise.all([deliverer.deliver(ids), deliverer.deliver([...ids].reverse())]);
    expect(x.claimed + y.claimed).toBe(6);
    for (const m of many) expect(mailsTo(m.email)).toHaveLength(1);
  });
});
