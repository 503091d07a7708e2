/**
 * E-mail delivery while the SMTP server is down, for real (the server stopped, connections
 * refused): the channel stays `retry` and the notification pending; once a server listens again
 * the next round sends it, exactly once, with the notification's own Message-ID (the same on
 * every attempt, so a send repeated after a crash is recognisably the same message).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Deliverer } from '../../src/delivery/deliverer.ts';
import { createMailer, type Mailer } from '../../src/mail/mailer.ts';
import { createLogger } from '../../src/log.ts';
import { dispatchReminders } from '../../src/reminders/dispatcher.ts';
import { useTestDatabase } from '../support/db.ts';
import { freePort } from '../support/net.ts';
import { createMedication, createPrescription, createUser } from '../database/fixtures.ts';
import { startSmtp, type Smtp } from './support.ts';

const t = useTestDatabase();
const PUBLIC_URL = 'https://app.dastern.example';
let port: number;
let smtp: Smtp | undefined;
let mailer: Mailer;

beforeAll(async () => {
  port = await freePort();
  mailer = createMailer({
    smtpUrl: `smtp://127.0.0.1:${port}`,
    from: 'DasTern <no-reply@dastern.example>',
    outboxDir: '/nonexistent',
    logger: createLogger('silent'),
  });
});
afterAll(async () => {
  mailer.close();
  await smtp?.close();
});

describe('the SMTP server down', () => {
  it('leaves the e-mail for a retry, then sends it once with the Message-ID of its notification', async () => {
    const { owner, worker } = t();
    const patient = await createUser(owner);
    await owner.query(
      `UPDATE users SET language = 'en', email_verified_at = now(), notification_preferences = '{"in_app": true, "email": true}' WHERE id = $1`,
      [patient],
    );
    const medication = await createMedication(owner, await createPrescription(owner, patient), patient, {
      name: 'Amlodipine',
    });
    const due = new Date('2026-03-02T00:00:00Z');
    await owner.query(
      `INSERT INTO medication_reminders (medication_id, patient_id, slot, reminder_time, dose_amount, days_of_week, start_date, timezone, next_reminder_at)
       VALUES ($1, $2, 'morning', '07:00', 1, '{1,2,3,4,5,6,7}', '2026-01-01', 'Asia/Phnom_Penh', $3)`,
      [medication, patient, due],
    );
    const { notificationIds } = await dispatchReminders(worker, due);
    expect(notificationIds).toHaveLength(1);
    const id = notificationIds[0]!;
    const deliverer = new Deliverer({
      db: worker,
      mailer,
      push: undefined,
      logger: createLogger('silent'),
      publicUrl: PUBLIC_URL,
    });

    // nothing listens on the port: the connection is refused
    const down = await deliverer.deliver([id]);
    expect(down.retry).toEqual([id]);
    const pending = await owner.query<{ delivery_status: string; email: string }>(
      `SELECT delivery_status, delivery->'email'->>'status' AS email FROM notifications WHERE id = $1`,
      [id],
    );
    expect(pending.rows[0]).toEqual({ delivery_status: 'pending', email: 'retry' });

    smtp = await startSmtp(port);
    const up = await deliverer.deliver([id]);
    expect(up).toMatchObject({ claimed: 1, sent: 1, retry: [] });
    // a later round (a retried job) sends nothing more
    expect((await deliverer.deliver([id])).claimed).toBe(0);
    expect(smtp.inbox).toHaveLength(1);
    expect(smtp.inbox[0]!.raw).toMatch(
      new RegExp(`^Message-ID:\\s+<notification-${id}@app\\.dastern\\.example>\\r?$`, 'mi'),
    );
    const sent = await owner.query<{ delivery_status: string; delivery_attempts: number }>(
      'SELECT delivery_status, delivery_attempts FROM notifications WHERE id = $1',
      [id],
    );
    expect(sent.rows[0]).toEqual({ delivery_status: 'sent', delivery_attempts: 2 });
  });
});
