/**
 * Through HTTP: a patient manages her medicines without a photo — adds one by
 * hand (slots, every N hours, as needed), stops one, deletes a reminder, reads her dose
 * history; and who may not.
 */
import { describe, expect, it } from 'vitest';
import { register, type SignedIn } from '../support/api.ts';
import { connect } from '../support/api-fixtures.ts';
import { localDate, useFullApp, type Full } from '../support/full-call.ts';

const app = useFullApp();

interface Reminder {
  id: string;
  slot: string;
  reminder_time: string;
  dose_amount: number;
  is_active: boolean;
  start_date: string;
  end_date: string | null;
  next_reminder_at: string | null;
}
interface Med {
  id: string;
  prescription_id: string | null;
  source: string;
  schedule_kind: string;
  is_active: boolean;
  stopped_at: string | null;
  stop_reason: string | null;
  reminders: Reminder[];
  dose_amount: number | null;
  interval_hours: number | null;
  duration_days: number | null;
}
interface HistoryItem {
  kind: string;
  id: string;
  medication_id: string;
  status: string;
  at: string;
  reason: string | null;
}
interface History {
  items: HistoryItem[];
  total: number;
  limit: number;
  offset: number;
  from: string;
  to: string;
}

async function add(x: Full, p: SignedIn, body: Record<string, unknown>): Promise<Med> {
  const res = await x.call('POST', '/medications', { token: p.access, body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<Med>();
}

describe('adding a medicine by hand', () => {
  it('slots: one reminder per dose at her times, no prescription; as many days as the quantity lasts', async () => {
    const x = app();
    const p = await register(x.h, 'patient');
    const med = await add(x, p, {
      name: 'Metformin',
      strength: '500mg',
      quantity: 20,
      quantity_unit: 'tablet',
      schedule: { kind: 'slots', dosage_schedule: { morning: 1, noon: 0, evening: 1, night: 0 } },
    });
    expect(med).toMatchObject({
      prescription_id: null,
      source: 'manual',
      schedule_kind: 'slots',
      is_active: true,
      duration_days: 10,
    });
    expect(med.reminders.map((r) => [r.slot, r.reminder_time, r.dose_amount])).toEqual([
      ['morning', '07:00', 1],
      ['evening', '17:30', 1],
    ]);
    const today = localDate(new Date());
    expect(med.reminders[0]).toMatchObject({ start_date: today, end_date: localDate(new Date(), 9), is_active: true });
    // it is one of her reminders, with today's doses
    const list = (await x.call('GET', '/reminders', { token: p.access })).json<{ items: { medication_id: string }[] }>()
      .items;
    expect(list.filter((r) => r.medication_id === med.id)).toHaveLength(2);
    const todayDoses = (await x.call('GET', '/reminders/today', { token: p.access })).json<{
      items: { medication_id: string; prescription_id: string | null }[];
    }>().items;
    expect(todayDoses.filter((d) => d.medication_id === med.id).map((d) => d.prescription_id)).toEqual([null, null]);
  });

  it('every 8 hours from 06:00: reminders at 06:00, 14:00 and 22:00', async () => {
    const x = app();
    const p = await register(x.h, 'patient');
    const med = await add(x, p, {
      name: 'Amoxicillin',
      strength: '500mg',
      form: 'capsule',
      start_date: localDate(new Date(), 1),
      duration_days: 7,
      schedule: { kind: 'interval', every_hours: 8, first_dose_time: '06:00', dose_amount: 1 },
    });
    expect(med).toMatchObject({ schedule_kind: 'interval', interval_hours: 8, dose_amount: 1 });
    expect(med.reminders.map((r) => [r.reminder_time, r.slot])).toEqual([
      ['06:00', 'morning'],
      ['14:00', 'evening'],
      ['22:00', 'night'],
    ]);
    // starts tomorrow: the first reminder rings tomorrow at 06:00 (Phnom Penh, UTC+7)
    const tomorrow = localDate(new Date(), 1);
    expect(med.reminders[0]!.next_reminder_at).toBe(new Date(`${tomorrow}T06:00:00+07:00`).toISOString());
    const every6 = await add(x, p, {
      name: 'Ibuprofen',
      schedule: { kind: 'interval', every_hours: 6, first_dose_time: '21:30', dose_amount: 0.5 },
    });
    expect(every6.reminders.map((r) => r.reminder_time)).toEqual(['03:30', '09:30', '15:30', '21:30']);
    const bad = await x.call('POST', '/medications', {
      token: p.access,
      body: { name: 'X', schedule: { kind: 'interval', every_hours: 5, first_dose_time: '06:00', dose_amount: 1 } },
    });
    expect(bad.statusCode).toBe(400);
  });

  it('as needed (PRN): no reminders; intakes logged on demand, in the history and counted apart in adherence', async () => {
    const x = app();
    const p = await register(x.h, 'patient');
    const prn = await add(x, p, {
      name: 'Paracetamol',
      strength: '500mg',
      dose_unit: 'tablet',
      schedule: { kind: 'as_needed', dose_amount: 2 },
    });
    expect(prn).toMatchObject({ schedule_kind: 'as_needed', reminders: [], dose_amount: 2 });
    const dose = await x.call('POST', `/medications/${prn.id}/doses`, { token: p.access, body: { note: 'headache' } });
    expect(dose.statusCode, dose.body).toBe(201);
    expect(dose.json()).toMatchObject({ medication_id: prn.id, dose_amount: 2, note: 'headache' });
    const half = await x.call('POST', `/medications/${prn.id}/doses`, {
      token: p.access,
      body: { dose_amount: 1, taken_at: new Date(Date.now() - 3600_000).toISOString() },
    });
    expect(half.statusCode).toBe(201);
    const noBody = await x.call('POST', `/medications/${prn.id}/doses`, { token: p.access });
    expect(noBody.statusCode, noBody.body).toBe(201);
    const future = await x.call('POST', `/medications/${prn.id}/doses`, {
      token: p.access,
      body: { taken_at: new Date(Date.now() + 3600_000).toISOString() },
    });
    expect(future.json<{ code: string }>().code).toBe('time_in_future');
    const adherence = (await x.call('GET', '/adherence', { token: p.access })).json<{
      overall: { taken: number };
      as_needed: { medication_id: string; doses: number; amount: number }[];
    }>();
    expect(adherence.overall.taken).toBe(0);
    expect(adherence.as_needed).toEqual([
      { medication_id: prn.id, name: 'Paracetamol', strength: '500mg', doses: 3, amount: 5 },
    ]);
    const history = (
      await x.call('GET', '/dose-logs', { token: p.access, query: { medication_id: prn.id } })
    ).json<History>();
    expect(history.total).toBe(3);
    expect(history.items.every((i) => i.kind === 'as_needed' && i.status === 'taken')).toBe(true);
    // her export holds the medicine added by hand and its intakes
    const exported = (await x.call('GET', '/me/export', { token: p.access })).json<{
      medications_added_by_hand: { id: string }[];
      as_needed_doses: { medication_id: string }[];
    }>();
    expect(exported.medications_added_by_hand.map((m) => m.id)).toEqual([prn.id]);
    expect(exported.as_needed_doses).toHaveLength(3);
    // a scheduled medicine's doses go on its reminders
    const scheduled = await add(x, p, {
      name: 'Amlodipine',
      schedule: { kind: 'slots', dosage_schedule: { morning: 1, noon: 0, evening: 0, night: 0 } },
    });
    expect(
      (await x.call('POST', `/medications/${scheduled.id}/doses`, { token: p.access, body: {} })).json<{
        code: string;
      }>().code,
    ).toBe('not_as_needed');
  });

  it('refuses what makes no sense, and anyone but a patient', async () => {
    const x = app();
    const p = await register(x.h, 'patient');
    const d = await register(x.h, 'doctor');
    const none = await x.call('POST', '/medications', {
      token: p.access,
      body: { name: 'X', schedule: { kind: 'slots', dosage_schedule: { morning: 0, noon: 0, evening: 0, night: 0 } } },
    });
    expect(none.json<{ code: string }>().code).toBe('no_dose_schedule');
    const far = await x.call('POST', '/medications', {
      token: p.access,
      body: { name: 'X', start_date: '2099-01-01', schedule: { kind: 'as_needed', dose_amount: 1 } },
    });
    expect(far.json<{ code: string }>().code).toBe('invalid_start_date');
    const extra = await x.call('POST', '/medications', {
      token: p.access,
      body: { name: 'X', patient_id: d.id, schedule: { kind: 'as_needed', dose_amount: 1 } },
    });
    expect(extra.statusCode).toBe(400);
    expect(
      (
        await x.call('POST', '/medications', {
          token: d.access,
          body: { name: 'X', schedule: { kind: 'as_needed', dose_amount: 1 } },
        })
      ).statusCode,
    ).toBe(403);
    expect(
      (await x.call('POST', '/medications', { body: { name: 'X', schedule: { kind: 'as_needed', dose_amount: 1 } } }))
        .statusCode,
    ).toBe(401);
  });
});

describe('stopping a medicine, deleting a reminder', () => {
  it('stop: its reminders end, what was recorded stays in the history and in adherence', async () => {
    const x = app();
    const p = await register(x.h, 'patient');
    const med = await add(x, p, {
      name: 'Lisinopril',
      start_date: localDate(new Date(), -3),
      schedule: { kind: 'slots', dosage_schedule: { morning: 1, noon: 0, evening: 0, night: 0 } },
    });
    const reminder = med.reminders[0]!;
    const yesterday = new Date(`${localDate(new Date(), -1)}T07:00:00+07:00`).toISOString();
    expect(
      (
        await x.call('POST', `/reminders/${reminder.id}/logs`, {
          token: p.access,
          body: { status: 'taken', scheduled_for: yesterday },
        })
      ).statusCode,
    ).toBe(201);
    const stopped = await x.call('POST', `/medications/${med.id}/stop`, { token: p.access, body: { reason: 'cough' } });
    expect(stopped.statusCode, stopped.body).toBe(200);
    const s = stopped.json<Med>();
    expect(s).toMatchObject({ is_active: false, stop_reason: 'cough' });
    expect(s.stopped_at).not.toBeNull();
    expect(s.reminders[0]).toMatchObject({ is_active: false, next_reminder_at: null, end_date: localDate(new Date()) });
    const history = (
      await x.call('GET', '/dose-logs', { token: p.access, query: { medication_id: med.id } })
    ).json<History>();
    expect(history.items.map((i) => [i.status, i.at])).toEqual([['taken', yesterday]]);
    const adherence = (await x.call('GET', '/adherence', { token: p.access })).json<{ overall: { taken: number } }>();
    expect(adherence.overall.taken).toBe(1);
    // stopped again: nothing changes; the list tells active from stopped
    expect((await x.call('POST', `/medications/${med.id}/stop`, { token: p.access })).json<Med>().stop_reason).toBe(
      'cough',
    );
    const active = (await x.call('GET', '/medications', { token: p.access, query: { active: 'true' } })).json<{
      items: Med[];
    }>().items;
    expect(active.map((m) => m.id)).not.toContain(med.id);
    const all = (await x.call('GET', '/medications', { token: p.access })).json<{ items: Med[] }>().items;
    expect(all.map((m) => m.id)).toContain(med.id);
  });

  it("delete a reminder: removed when nothing was recorded, ended (history kept) otherwise; never another patient's", async () => {
    const x = app();
    const p = await register(x.h, 'patient');
    const other = await register(x.h, 'patient');
    const d = await register(x.h, 'doctor');
    await connect(x.h, d, p);
    const med = await add(x, p, {
      name: 'Omeprazole',
      start_date: localDate(new Date(), -2),
      schedule: { kind: 'slots', dosage_schedule: { morning: 1, noon: 0, evening: 1, night: 0 } },
    });
    const [morning, evening] = med.reminders as [Reminder, Reminder];
    const yesterday = new Date(`${localDate(new Date(), -1)}T07:00:00+07:00`).toISOString();
    expect(
      (
        await x.call('POST', `/reminders/${morning.id}/logs`, {
          token: p.access,
          body: { status: 'skipped', reason: 'fasting', scheduled_for: yesterday },
        })
      ).statusCode,
    ).toBe(201);
    expect((await x.call('DELETE', `/reminders/${evening.id}`, { token: other.access })).statusCode).toBe(404);
    expect((await x.call('DELETE', `/reminders/${evening.id}`, { token: d.access })).statusCode).toBe(403);
    const removed = await x.call('DELETE', `/reminders/${evening.id}`, { token: p.access });
    expect(removed.json()).toEqual({ id: evening.id, outcome: 'deleted' });
    const ended = await x.call('DELETE', `/reminders/${morning.id}`, { token: p.access });
    expect(ended.json()).toEqual({ id: morning.id, outcome: 'ended' });
    const after = (await x.call('GET', '/medications', { token: p.access }))
      .json<{ items: Med[] }>()
      .items.find((m) => m.id === med.id)!;
    expect(after.reminders.map((r) => [r.id, r.is_active])).toEqual([[morning.id, false]]);
    const history = (await x.call('GET', '/dose-logs', { token: p.access })).json<History>();
    expect(history.items.map((i) => [i.status, i.reason])).toEqual([['skipped', 'fasting']]);
    expect((await x.call('DELETE', `/reminders/${evening.id}`, { token: p.access })).statusCode).toBe(404);
    // another patient cannot stop my medicine or log its doses
    expect((await x.call('POST', `/medications/${med.id}/stop`, { token: other.access })).statusCode).toBe(404);
  });
});

describe('dose history', () => {
  it('pages through dose logs by local date range and medicine; a doctor who may view reads it, others get 404', async () => {
    const x = app();
    const p = await register(x.h, 'patient');
    const d = await register(x.h, 'doctor');
    const stranger = await register(x.h, 'doctor');
    await connect(x.h, d, p);
    const a = await add(x, p, {
      name: 'Aspirin',
      start_date: localDate(new Date(), -10),
      schedule: { kind: 'slots', dosage_schedule: { morning: 1, noon: 0, evening: 0, night: 0 } },
    });
    const b = await add(x, p, {
      name: 'Bisoprolol',
      start_date: localDate(new Date(), -10),
      schedule: { kind: 'slots', dosage_schedule: { morning: 0, noon: 0, evening: 0, night: 1 } },
    });
    for (let day = 1; day <= 6; day++) {
      const date = localDate(new Date(), -day);
      const ra = await x.call('POST', `/reminders/${a.reminders[0]!.id}/logs`, {
        token: p.access,
        body: {
          status: day % 2 === 0 ? 'skipped' : 'taken',
          scheduled_for: new Date(`${date}T07:00:00+07:00`).toISOString(),
        },
      });
      expect(ra.statusCode, ra.body).toBe(201);
      const rb = await x.call('POST', `/reminders/${b.reminders[0]!.id}/logs`, {
        token: p.access,
        body: { status: 'taken', scheduled_for: new Date(`${date}T20:00:00+07:00`).toISOString() },
      });
      expect(rb.statusCode, rb.body).toBe(201);
    }
    const first = (await x.call('GET', '/dose-logs', { token: p.access, query: { limit: '5' } })).json<History>();
    expect(first).toMatchObject({
      total: 12,
      limit: 5,
      offset: 0,
      to: localDate(new Date()),
      from: localDate(new Date(), -29),
    });
    expect(first.items).toHaveLength(5);
    const times = first.items.map((i) => i.at);
    expect([...times].sort().reverse()).toEqual(times);
    const rest = (
      await x.call('GET', '/dose-logs', { token: p.access, query: { limit: '5', offset: '10' } })
    ).json<History>();
    expect(rest.items).toHaveLength(2);
    const range = (
      await x.call('GET', '/dose-logs', {
        token: p.access,
        query: { from: localDate(new Date(), -3), to: localDate(new Date(), -2), medication_id: a.id },
      })
    ).json<History>();
    expect(range.items.map((i) => [i.medication_id, i.status])).toEqual([
      [a.id, 'skipped'],
      [a.id, 'taken'],
    ]);
    const reversed = await x.call('GET', '/dose-logs', {
      token: p.access,
      query: { from: '2026-02-01', to: '2026-01-01' },
    });
    expect(reversed.json<{ code: string }>().code).toBe('invalid_range');
    const doctorView = (
      await x.call('GET', '/dose-logs', { token: d.access, query: { patient_id: p.id } })
    ).json<History>();
    expect(doctorView.total).toBe(12);
    expect(
      (await x.call('GET', '/dose-logs', { token: stranger.access, query: { patient_id: p.id } })).statusCode,
    ).toBe(404);
    const strangerOwn = (await x.call('GET', '/dose-logs', { token: stranger.access })).json<History>();
    expect(strangerOwn.total).toBe(0);
  });
});

describe('the OpenAPI document', () => {
  it('describes the new routes with their schemas', async () => {
    const x = app();
    const doc = (await x.full.app.inject({ method: 'GET', url: '/docs/json' })).json<{
      paths: Record<
        string,
        Record<string, { requestBody?: unknown; responses?: Record<string, unknown>; parameters?: { name: string }[] }>
      >;
    }>();
    expect(doc.paths['/api/v1/medications']?.post?.requestBody).toBeDefined();
    expect(doc.paths['/api/v1/medications']?.post?.responses?.['201']).toBeDefined();
    expect(doc.paths['/api/v1/medications/{id}/stop']?.post).toBeDefined();
    expect(doc.paths['/api/v1/medications/{id}/doses']?.post?.responses?.['201']).toBeDefined();
    expect(doc.paths['/api/v1/reminders/{id}']?.delete?.responses?.['200']).toBeDefined();
    expect(doc.paths['/api/v1/dose-logs']?.get?.parameters?.map((q) => q.name)).toEqual(
      expect.arrayContaining(['from', 'to', 'medication_id', 'limit', 'offset']),
    );
    expect(doc.paths['/api/v1/prescriptions/{id}']?.delete?.responses?.['200']).toBeDefined();
  });
});
