/**
 * A medicine added (or a prescription confirmed) in the afternoon: that morning's dose had
 * passed before the medicine existed. GET /reminders/today marks it before_start (not due, no
 * log, never missed, not counted); a dose after the moment it was added, and every dose of a
 * medicine started on an earlier day, is due as usual. A before_start dose can still be recorded.
 */
import { describe, expect, it } from 'vitest';
import { register } from '../support/api.ts';
import { useFullApp } from '../support/full-call.ts';
import { clearOfMidnight } from '../support/clock.ts';

const app = useFullApp();

interface TodayDose {
  reminder_id: string;
  medication_id: string;
  slot: string;
  scheduled_for: string;
  status: string;
  log_id: string | null;
  before_start: boolean;
}

describe("today's doses of a medicine added today", () => {
  it('a dose whose time passed before the medicine was added is before_start; later ones and older reminders are not', async () => {
    // Her morning at 00:00 (passed) and night at 23:59 (ahead), all within one day: not
    // within two minutes of midnight in Phnom Penh.
    await clearOfMidnight(2);
    const x = app();
    const p = await register(x.h, 'patient');
    const patch = await x.call('PATCH', '/me', {
      token: p.access,
      body: { timezone: 'Asia/Phnom_Penh', dose_schedule_template: { morning: '00:00', night: '23:59' } },
    });
    expect(patch.statusCode, patch.body).toBe(200);
    const added = await x.call('POST', '/medications', {
      token: p.access,
      body: {
        name: 'Amlodipine',
        schedule: { kind: 'slots', dosage_schedule: { morning: 1, noon: 0, evening: 0, night: 1 } },
      },
    });
    expect(added.statusCode, added.body).toBe(201);
    const medId = added.json<{ id: string }>().id;
    const today = async () =>
      (await x.call('GET', '/reminders/today', { token: p.access }))
        .json<{ items: TodayDose[] }>()
        .items.filter((d) => d.medication_id === medId);

    const doses = await today();
    expect(doses.map((d) => d.slot)).toEqual(['morning', 'night']);
    const [morning, night] = doses as [TodayDose, TodayDose];
    expect(morning.before_start).toBe(true);
    expect(morning).toMatchObject({ status: 'pending', log_id: null });
    expect(night).toMatchObject({ before_start: false, status: 'upcoming' });

    // she took it anyway: recorded like any dose, and then no longer before_start
    const taken = await x.call('POST', `/reminders/${morning.reminder_id}/logs`, {
      token: p.access,
      body: { status: 'taken', scheduled_for: morning.scheduled_for },
    });
    expect(taken.statusCode, taken.body).toBe(201);
    expect((await today())[0]).toMatchObject({ status: 'taken', before_start: false });

    // a reminder that started yesterday: today's passed doses are due (pending), not before_start
    const older = await x.call('POST', '/medications', {
      token: p.access,
      body: {
        name: 'Metformin',
        schedule: { kind: 'slots', dosage_schedule: { morning: 1, noon: 0, evening: 0, night: 0 } },
      },
    });
    expect(older.statusCode, older.body).toBe(201);
    const olderId = older.json<{ id: string }>().id;
    await x.h.t.owner.query(`UPDATE medication_reminders SET start_date = start_date - 1 WHERE medication_id = $1`, [
      olderId,
    ]);
    const olderDoses = (await x.call('GET', '/reminders/today', { token: p.access }))
      .json<{ items: TodayDose[] }>()
      .items.filter((d) => d.medication_id === olderId);
    expect(olderDoses.map((d) => [d.slot, d.status, d.before_start])).toEqual([['morning', 'pending', false]]);
  }, 360_000);
});
