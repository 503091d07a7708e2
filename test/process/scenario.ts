/**
 * The reminder promise end to end, on real processes and through HTTP only: a patient
 * registers (e-mail verified by the mailed link), uploads a photo, the reading job reads it,
 * she confirms, moves a reminder to the next minute, sees the reminder on her live stream and
 * gets the e-mail at a real SMTP server, and after the grace period the dose is marked missed.
 * Every job we schedule is seen running (the job's log line). `mode` says who runs the jobs:
 * `dastern serve` itself, or a separate `dastern worker` (serve with DASTERN_RUN_WORKERS=false).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { expect, inject } from 'vitest';
import { createEmptyDatabase, databaseUrl } from '../support/db.ts';
import { startSmtp, decodeMail } from '../support/smtp.ts';
import { freePort } from '../support/net.ts';
import { ROOT } from '../jobs/support.ts';
import { Client, dastern, nextMinute, poll, verifiedPatient, type Proc } from './support.ts';

const TZ = 'Asia/Phnom_Penh';
const PHOTO = path.join(ROOT, 'test/reading/fixtures/synth-en-remarks-101.jpg');
/** Every job that startWorkers schedules, and the reading job. */
const JOBS = [
  'reminders-dispatch',
  'maintenance-cleanup-sessions',
  'maintenance-archive-prescriptions',
  'prescription-read',
];

export async function reminderScenario(mode: 'serve' | 'worker'): Promise<void> {
  const db = await createEmptyDatabase();
  const smtp = await startSmtp();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `dastern-process-${mode}-`));
  const port = await freePort();
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: db.url,
    // the logins of this test run (deriving them would change the cluster-wide roles' passwords)
    DASTERN_APP_DATABASE_URL: databaseUrl(inject('appUrl'), db.name),
    DASTERN_WORKER_DATABASE_URL: databaseUrl(inject('workerUrl'), db.name),
    DASTERN_DATA_DIR: dir,
    DASTERN_FILE_KEY: randomBytes(32).toString('base64'),
    DASTERN_SMTP_URL: smtp.url,
    // the knobs that make the clock short enough for a test (README, "Configuration")
    DASTERN_DISPATCH_INTERVAL_SECONDS: '2',
    DASTERN_MISSED_GRACE_MINUTES: '1',
    DASTERN_CRON_CLEANUP_SESSIONS: '* * * * *',
    DASTERN_CRON_ARCHIVE: '* * * * *',
  };
  const procs: Proc[] = [];
  try {
    const serve = dastern(['serve'], { ...env, DASTERN_RUN_WORKERS: mode === 'serve' ? 'true' : 'false' });
    procs.push(serve);
    const worker = mode === 'worker' ? dastern(['worker'], env) : serve;
    if (mode === 'worker') procs.push(worker);
    await serve.waitForLine('"DasTern is listening"', (l) => l.msg === 'DasTern is listening', 120_000);
    if (mode === 'worker')
      await worker.waitForLine('"DasTern workers started"', (l) => l.msg === 'DasTern workers started', 120_000);
    const c = new Client(`http://127.0.0.1:${port}`);

    const patient = await verifiedPatient(c, smtp);
    const upload = await c.upload(patient.token, fs.readFileSync(PHOTO), 'photo.jpg', 'image/jpeg');
    expect(upload.status).toBe(202);
    const read = await poll(
      'the reading',
      async () => {
        const p = await c.call<{ status: string }>('GET', `/prescriptions/${upload.body.id}`, { token: patient.token });
        return ['ocr_completed', 'error'].includes(p.body.status) ? p.body : undefined;
      },
      120_000,
    );
    expect(read.status).toBe('ocr_completed');
    const medications = [
      {
        name: 'Amlodipine',
        strength: '5mg',
        quantity: 30,
        quantity_unit: 'tablet',
        dosage_schedule: { morning: 1, noon: 0, evening: 0, night: 0 },
      },
    ];
    expect(
      (await c.call('PATCH', `/prescriptions/${upload.body.id}`, { token: patient.token, body: { medications } }))
        .status,
    ).toBe(200);
    const confirmed = await c.call<{ reminders: { id: string }[] }>(
      'POST',
      `/prescriptions/${upload.body.id}/confirm`,
      { token: patient.token },
    );
    expect(confirmed.status).toBe(200);
    const reminderId = confirmed.body.reminders[0]!.id;

    const live = await c.stream(patient.token);
    try {
      await poll(
        'the stream to open',
        async () => (live.events.some((e) => e.event === 'ready') ? true : undefined),
        10_000,
        50,
      );
      const { time, at } = nextMinute(TZ);
      const moved = await c.call<{ next_reminder_at: string }>('PATCH', `/reminders/${reminderId}`, {
        token: patient.token,
        body: { reminder_time: time },
      });
      expect(moved.status).toBe(200);
      expect(new Date(moved.body.next_reminder_at).getTime()).toBe(at.getTime());

      // the reminder, live
      const note = await poll(
        'the reminder on the live stream',
        async () => live.events.find((e) => e.event === 'notification' && e.data.type === 'reminder'),
        150_000,
      );
      expect((note.data.data as { reminder_id?: string }).reminder_id).toBe(reminderId);
      // and by e-mail (the title only: no medicine name leaves in a mail)
      const mail = await poll(
        'the reminder e-mail',
        async () => {
          const mine = smtp.inbox.filter((m) => m.to.includes(patient.email));
          return mine.length >= 2 ? mine[mine.length - 1] : undefined;
        },
        60_000,
      );
      expect(decodeMail(mail.raw)).not.toContain('Amlodipine');
    } finally {
      live.close();
    }

    // nobody answered: missed after the grace minute
    const missed = await poll(
      'the dose marked missed',
      async () => {
        const today = await c.call<{ items: { reminder_id: string; status: string }[] }>('GET', '/reminders/today', {
          token: patient.token,
        });
        const dose = today.body.items.find((i) => i.reminder_id === reminderId);
        return dose?.status === 'missed' ? dose : undefined;
      },
      150_000,
      1000,
    );
    expect(missed.status).toBe('missed');

    // every scheduled job ran, in the process that runs the jobs, and only there
    for (const job of JOBS)
      expect(
        worker.lines().some((l) => l.job === job),
        job,
      ).toBe(true);
    expect(
      worker.lines().some((l) => l.job === 'reminders-dispatch' && l.source === 'cron'),
      'dispatch fired by the cron',
    ).toBe(true);
    if (mode === 'worker') expect(serve.lines().filter((l) => typeof l.job === 'string')).toEqual([]);
    for (const p of procs)
      expect(
        p.lines().filter((l) => l.level >= 50),
        p.output().slice(-3000),
      ).toEqual([]);

    for (const p of procs) p.proc.kill('SIGTERM');
    for (const p of procs) expect(await p.exited, p.output().slice(-3000)).toEqual({ code: 0, signal: null });
  } finally {
    for (const p of procs) p.kill();
    await smtp.close();
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
