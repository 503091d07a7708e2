/**
 * The reminder dispatcher with a controllable clock: due, advance, snooze, missed, end date,
 * weekdays, time zones across midnight, missed-dose alerts, and two dispatchers at once.
 */
import { describe, expect, it } from 'vitest';
import { Database } from '../../src/db/database.ts';
import { dispatchReminders } from '../../src/reminders/dispatcher.ts';
import { useTestDatabase } from '../support/db.ts';
import { createMedication, createPrescription, createUser, type Queryable } from '../database/fixtures.ts';

const t = useTestDatabase();

interface ReminderSpec {
  time?: string;
  days?: number[];
  start?: string;
  end?: string | null;
  timezone?: string;
  advance?: number;
  grace?: number;
}

/** A patient with one medication and one reminder whose first dose is the first at or after `from`. */
async function reminder(
  db: Queryable,
  from: string,
  spec: ReminderSpec = {},
  patientId?: string,
): Promise<{ patientId: string; reminderId: string }> {
  const patient = patientId ?? (await createUser(db, { timezone: spec.timezone ?? 'Asia/Phnom_Penh' }));
  const prescription = await createPrescription(db, patient);
  const medication = await createMedication(db, prescription, patient, { name: 'Amlodipine' });
  const res = await db.query<{ id: string }>(
    `INSERT INTO medication_reminders (medication_id, patient_id, slot, reminder_time, dose_amount, days_of_week, start_date, end_date,
                                       timezone, advance_minutes, grace_minutes, next_reminder_at)
     SELECT $1, $2, 'morning', $3::time, 1, $4::smallint[], $5::date, $6::date, $7, $8, $9,
            reminder_next_occurrence($10::timestamptz + make_interval(mins => $8), $3::time, $7, $4::smallint[], $5::date, $6::date)
              - make_interval(mins => $8)
     RETURNING id`,
    [
      medication,
      patient,
      spec.time ?? '07:00',
      spec.days ?? [1, 2, 3, 4, 5, 6, 7],
      spec.start ?? '2026-03-01',
      spec.end ?? null,
      spec.timezone ?? 'Asia/Phnom_Penh',
      spec.advance ?? 0,
      spec.grace ?? 120,
      from,
    ],
  );
  return { patientId: patient, reminderId: res.rows[0]!.id };
}

async function state(db: Queryable, reminderId: string) {
  const r = await db.query<{
    next: Date | null;
    is_active: boolean;
    missed_count: number;
    taken_count: number;
    total_doses: number;
  }>(
    'SELECT next_reminder_at AS next, is_active, missed_count, taken_count, total_doses FROM medication_reminders WHERE id = $1',
    [reminderId],
  );
  const logs = await db.query<{ scheduled_for: Date; status: string }>(
    'SELECT scheduled_for, status FROM medication_reminder_logs WHERE reminder_id = $1 ORDER BY scheduled_for',
    [reminderId],
  );
  const notes = await db.query<{ type: string; dedupe_key: string }>(
    `SELECT type, dedupe_key FROM notifications WHERE data->>'reminder_id' = $1 ORDER BY created_at`,
    [reminderId],
  );
  return { ...r.rows[0]!, logs: logs.rows, notifications: notes.rows };
}

const at = (iso: string): Date => new Date(iso);

describe('reminder dispatcher', () => {
  it('notifies a due dose exactly once, then moves to the next day', async () => {
    const { owner, worker: db } = t();
    // Phnom Penh is UTC+7: 07:00 local on 2 March 2026 is 00:00 UTC.
    const { reminderId } = await reminder(owner, '2026-03-02T00:00:00+07:00');
    expect((await state(owner, reminderId)).next).toEqual(at('2026-03-02T00:00:00Z'));

    await dispatchReminders(db, at('2026-03-01T23:59:00Z'));
    expect((await state(owner, reminderId)).logs).toHaveLength(0);

    const first = await dispatchReminders(db, at('2026-03-02T00:00:30Z'));
    expect(first.dispatched).toBeGreaterThanOrEqual(1);
    await dispatchReminders(db, at('2026-03-02T00:01:00Z'));
    const s = await state(owner, reminderId);
    expect(s.logs).toEqual([{ scheduled_for: at('2026-03-02T00:00:00Z'), status: 'pending' }]);
    expect(s.notifications).toHaveLength(1);
    expect(s.notifications[0]!.type).toBe('reminder');
    expect(s.next).toEqual(at('2026-03-03T00:00:00Z'));
  });

  it('notifies advance_minutes early, for the dose at its own time', async () => {
    const { owner, worker: db } = t();
    const { reminderId } = await reminder(owner, '2026-03-02T00:00:00+07:00', { advance: 15 });
    expect((await state(owner, reminderId)).next).toEqual(at('2026-03-01T23:45:00Z'));
    await dispatchReminders(db, at('2026-03-01T23:45:00Z'));
    const s = await state(owner, reminderId);
    expect(s.logs.map((l) => l.scheduled_for)).toEqual([at('2026-03-02T00:00:00Z')]);
    expect(s.next).toEqual(at('2026-03-02T23:45:00Z'));
  });

  it('re-notifies a snoozed dose once when the snooze runs out', async () => {
    const { owner, worker: db } = t();
    const { reminderId } = await reminder(owner, '2026-03-02T00:00:00+07:00');
    await dispatchReminders(db, at('2026-03-02T00:00:00Z'));
    await owner.query(
      `UPDATE medication_reminder_logs SET status = 'snoozed', snoozed_until = '2026-03-02T00:10:00Z' WHERE reminder_id = $1`,
      [reminderId],
    );
    await dispatchReminders(db, at('2026-03-02T00:09:00Z'));
    expect((await state(owner, reminderId)).notifications).toHaveLength(1);
    const again = await dispatchReminders(db, at('2026-03-02T00:10:00Z'));
    expect(again.renotified).toBe(1);
    await dispatchReminders(db, at('2026-03-02T00:11:00Z'));
    expect((await state(owner, reminderId)).notifications).toHaveLength(2);
  });

  it('marks a dose missed after the grace window and counts it', async () => {
    const { owner, worker: db } = t();
    const { reminderId } = await reminder(owner, '2026-03-02T00:00:00+07:00', { grace: 60 });
    await dispatchReminders(db, at('2026-03-02T00:00:00Z'));
    await dispatchReminders(db, at('2026-03-02T00:59:00Z'));
    expect((await state(owner, reminderId)).logs[0]!.status).toBe('pending');
    const r = await dispatchReminders(db, at('2026-03-02T01:00:00Z'));
    expect(r.missed).toBe(1);
    const s = await state(owner, reminderId);
    expect(s.logs[0]!.status).toBe('missed');
    expect(s.missed_count).toBe(1);
  });

  it('after an outage, resumes the schedule instead of replaying old doses', async () => {
    const { owner, worker: db } = t();
    const { reminderId } = await reminder(owner, '2026-03-02T00:00:00+07:00', { grace: 120 });
    // The dispatcher comes back on 6 March at 08:00 local: only that morning's dose (in grace) is notified.
    await dispatchReminders(db, at('2026-03-06T01:00:00Z'));
    const s = await state(owner, reminderId);
    expect(s.logs.map((l) => l.scheduled_for)).toEqual([at('2026-03-06T00:00:00Z')]);
    expect(s.notifications).toHaveLength(1);
    expect(s.next).toEqual(at('2026-03-07T00:00:00Z'));
  });

  it('stops after the end date', async () => {
    const { owner, worker: db } = t();
    const { reminderId } = await reminder(owner, '2026-03-02T00:00:00+07:00', {
      start: '2026-03-01',
      end: '2026-03-03',
    });
    await dispatchReminders(db, at('2026-03-02T00:00:00Z'));
    await dispatchReminders(db, at('2026-03-03T00:00:00Z'));
    const s = await state(owner, reminderId);
    expect(s.logs).toHaveLength(2);
    expect(s.is_active).toBe(false);
    expect(s.next).toBeNull();
    await dispatchReminders(db, at('2026-03-04T00:00:00Z'));
    expect((await state(owner, reminderId)).logs).toHaveLength(2);
  });

  it('respects days of the week', async () => {
    const { owner, worker: db } = t();
    // 2 March 2026 is a Monday; Monday and Thursday only.
    const { reminderId } = await reminder(owner, '2026-03-02T00:00:00+07:00', { days: [1, 4] });
    await dispatchReminders(db, at('2026-03-02T00:00:00Z'));
    expect((await state(owner, reminderId)).next).toEqual(at('2026-03-05T00:00:00Z'));
    await dispatchReminders(db, at('2026-03-05T00:00:00Z'));
    expect((await state(owner, reminderId)).next).toEqual(at('2026-03-09T00:00:00Z'));
  });

  it("computes local times across midnight in the patient's time zone", async () => {
    const { owner, worker: db } = t();
    // 00:30 in Phnom Penh is 17:30 UTC the day before.
    const pp = await reminder(owner, '2026-03-02T00:00:00+07:00', { time: '00:30' });
    expect((await state(owner, pp.reminderId)).next).toEqual(at('2026-03-01T17:30:00Z'));
    await dispatchReminders(db, at('2026-03-01T17:30:00Z'));
    expect((await state(owner, pp.reminderId)).next).toEqual(at('2026-03-02T17:30:00Z'));
    // 23:30 in New York (UTC-5 in winter) is 04:30 UTC the next day; Mondays only.
    const ny = await reminder(owner, '2026-03-02T00:00:00-05:00', {
      time: '23:30',
      days: [1],
      timezone: 'America/New_York',
    });
    expect((await state(owner, ny.reminderId)).next).toEqual(at('2026-03-03T04:30:00Z'));
    await dispatchReminders(db, at('2026-03-03T04:30:00Z'));
    const s = await state(owner, ny.reminderId);
    expect(s.logs.map((l) => l.scheduled_for)).toEqual([at('2026-03-03T04:30:00Z')]);
    // next Monday 23:30 local, still UTC-5 before the 8 March DST change? DST starts 8 March: UTC-4.
    expect(s.next).toEqual(at('2026-03-10T03:30:00Z'));
  });

  it('alerts her doctors once after three missed doses in a row', async () => {
    const { owner, worker: db } = t();
    const doctor = await createUser(owner, { role: 'doctor' });
    const { patientId, reminderId } = await reminder(owner, '2026-03-02T00:00:00+07:00', { grace: 30 });
    await owner.query(
      `INSERT INTO doctor_patient_relationships (doctor_id, patient_id, status, initiated_by, can_view_prescriptions, accepted_at)
       VALUES ($1, $2, 'active', 'patient', true, now())`,
      [doctor, patientId],
    );
    const alerts = async () =>
      (await owner.query(`SELECT data FROM notifications WHERE user_id = $1 AND type = 'missed_dose'`, [doctor])).rows;
    for (const day of ['02', '03']) {
      await dispatchReminders(db, at(`2026-03-${day}T00:00:00Z`));
      await dispatchReminders(db, at(`2026-03-${day}T00:30:00Z`));
    }
    expect(await alerts()).toHaveLength(0);
    await dispatchReminders(db, at('2026-03-04T00:00:00Z'));
    await dispatchReminders(db, at('2026-03-04T00:30:00Z'));
    expect(await alerts()).toHaveLength(1);
    await dispatchReminders(db, at('2026-03-05T00:00:00Z'));
    await dispatchReminders(db, at('2026-03-05T00:30:00Z'));
    expect(await alerts()).toHaveLength(1);
    expect((await state(owner, reminderId)).missed_count).toBe(4);
  });

  it('two dispatchers at once notify each dose exactly once', async () => {
    const { owner, workerUrl } = t();
    const patient = await createUser(owner);
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) ids.push((await reminder(owner, '2026-04-01T00:00:00+07:00', {}, patient)).reminderId);
    const a = new Database(workerUrl, { max: 2 });
    const b = new Database(workerUrl, { max: 2 });
    try {
      const [ra, rb] = await Promise.all([
        dispatchReminders(a, at('2026-04-01T00:00:00Z'), { batchSize: 7 }),
        dispatchReminders(b, at('2026-04-01T00:00:00Z'), { batchSize: 7 }),
      ]);
      // together they notified every due dose (others' reminders in this database included), none twice
      const ids2 = [...ra.notificationIds, ...rb.notificationIds];
      expect(new Set(ids2).size).toBe(ids2.length);
    } finally {
      await a.close();
      await b.close();
    }
    const logs = await owner.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM medication_reminder_logs WHERE reminder_id = ANY ($1::uuid[])',
      [ids],
    );
    const notes = await owner.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM notifications WHERE user_id = $1 AND type = 'reminder'`,
      [patient],
    );
    expect(logs.rows[0]!.n).toBe(60);
    expect(notes.rows[0]!.n).toBe(60);
  });
});
