/**
 * Through HTTP: a dose log keeps no stale data and follows one state machine
 * (SQL dose_log_refusal + trigger dose_log_state): a reason leaves with the skip, a taken dose
 * is never snoozed (409 dose_already_taken), a snooze runs from the dose's due time.
 */
import { describe, expect, it } from 'vitest';
import { register, type SignedIn } from '../support/api.ts';
import { localDate, localTime, useFullApp, type Full } from '../support/full-call.ts';

const app = useFullApp();

interface Log {
  id: string;
  status: string;
  reason: string | null;
  action_at: string | null;
  snoozed_until: string | null;
  scheduled_for: string;
}

/** A patient with one reminder whose dose fell due five minutes ago (in her time zone). */
async function dueDose(x: Full): Promise<{ p: SignedIn; reminderId: string; due: Date }> {
  const p = await register(x.h, 'patient');
  const due = new Date(Math.floor((Date.now() - 5 * 60_000) / 60_000) * 60_000);
  const med = await x.call('POST', '/medications', {
    token: p.access,
    body: {
      name: 'Amlodipine',
      strength: '5mg',
      start_date: localDate(new Date(), -1),
      schedule: { kind: 'slots', dosage_schedule: { morning: 1, noon: 0, evening: 0, night: 0 } },
    },
  });
  expect(med.statusCode, med.body).toBe(201);
  const reminderId = med.json<{ reminders: { id: string }[] }>().reminders[0]!.id;
  const moved = await x.call('PATCH', `/reminders/${reminderId}`, {
    token: p.access,
    body: { reminder_time: localTime(due) },
  });
  expect(moved.statusCode, moved.body).toBe(200);
  return { p, reminderId, due };
}

async function log(x: Full, p: SignedIn, reminderId: string, body: Record<string, unknown>) {
  return x.call('POST', `/reminders/${reminderId}/logs`, { token: p.access, body });
}

describe('dose log states', () => {
  it('skipped with a reason, then taken: the reason is gone (in the answer, the history and the table)', async () => {
    const x = app();
    const { p, reminderId, due } = await dueDose(x);
    const skipped = await log(x, p, reminderId, {
      status: 'skipped',
      reason: 'forgot',
      scheduled_for: due.toISOString(),
    });
    expect(skipped.statusCode, skipped.body).toBe(201);
    expect(skipped.json<Log>()).toMatchObject({ status: 'skipped', reason: 'forgot' });
    const taken = await log(x, p, reminderId, { status: 'taken', scheduled_for: due.toISOString() });
    expect(taken.statusCode, taken.body).toBe(200);
    const t = taken.json<Log>();
    expect(t).toMatchObject({ status: 'taken', reason: null, snoozed_until: null });
    expect(t.action_at).not.toBeNull();
    const history = (await x.call('GET', '/dose-logs', { token: p.access })).json<{ items: Log[] }>().items;
    expect(history.find((l) => l.id === t.id)).toMatchObject({ status: 'taken', reason: null });
    const row = await x.h.t.owner.query<{ reason: string | null }>(
      'SELECT reason FROM medication_reminder_logs WHERE id = $1',
      [t.id],
    );
    expect(row.rows[0]?.reason).toBeNull();
  });

  it('a taken dose is not snoozed (409 dose_already_taken) and stays taken; the same report again changes nothing', async () => {
    const x = app();
    const { p, reminderId, due } = await dueDose(x);
    const taken = await log(x, p, reminderId, { status: 'taken' });
    expect(taken.statusCode, taken.body).toBe(201);
    expect(taken.json<Log>().scheduled_for).toBe(due.toISOString());
    const snooze = await log(x, p, reminderId, { status: 'snoozed' });
    expect(snooze.statusCode).toBe(409);
    expect(snooze.headers['content-type']).toContain('application/problem+json');
    expect(snooze.json<{ code: string }>().code).toBe('dose_already_taken');
    const again = await log(x, p, reminderId, { status: 'taken' });
    expect(again.statusCode).toBe(200);
    expect(again.json<Log>()).toMatchObject({
      id: taken.json<Log>().id,
      status: 'taken',
      action_at: taken.json<Log>().action_at,
      snoozed_until: null,
    });
  });

  it('snoozed_until runs from the due time (due + 10 min, not now + 10 min), or is the time given, within the grace window', async () => {
    const x = app();
    const { p, reminderId, due } = await dueDose(x);
    const first = await log(x, p, reminderId, { status: 'snoozed', scheduled_for: due.toISOString() });
    expect(first.statusCode, first.body).toBe(201);
    // due was 5 minutes ago: the first snooze end after now is due + 10 min (snooze_minutes 10)
    expect(first.json<Log>()).toMatchObject({
      status: 'snoozed',
      snoozed_until: new Date(due.getTime() + 10 * 60_000).toISOString(),
      action_at: null,
    });
    const given = new Date(due.getTime() + 45 * 60_000).toISOString();
    const chosen = await log(x, p, reminderId, {
      status: 'snoozed',
      scheduled_for: due.toISOString(),
      snoozed_until: given,
    });
    expect(chosen.statusCode, chosen.body).toBe(200);
    expect(chosen.json<Log>().snoozed_until).toBe(given);
    const late = await log(x, p, reminderId, {
      status: 'snoozed',
      snoozed_until: new Date(due.getTime() + 3 * 3600_000).toISOString(),
    });
    expect(late.statusCode).toBe(422);
    expect(late.json<{ code: string }>().code).toBe('snooze_past_grace');
    const past = await log(x, p, reminderId, {
      status: 'snoozed',
      snoozed_until: new Date(Date.now() - 60_000).toISOString(),
    });
    expect(past.json<{ code: string }>().code).toBe('snooze_in_past');
    // then taken: the snooze's end goes with the snooze
    const taken = await log(x, p, reminderId, { status: 'taken' });
    expect(taken.json<Log>()).toMatchObject({ status: 'taken', snoozed_until: null });
  });

  it('corrections: taken ↔ skipped are allowed; a missed dose may be reported taken but not snoozed; a reason only goes with a skip', async () => {
    const x = app();
    const { p, reminderId, due } = await dueDose(x);
    const withReason = await log(x, p, reminderId, { status: 'taken', reason: 'felt better' });
    expect(withReason.statusCode).toBe(422);
    expect(withReason.json<{ code: string }>().code).toBe('reason_only_when_skipped');
    expect((await log(x, p, reminderId, { status: 'taken' })).statusCode).toBe(201);
    const corrected = await log(x, p, reminderId, { status: 'skipped', reason: 'nausea' });
    expect(corrected.json<Log>()).toMatchObject({ status: 'skipped', reason: 'nausea' });
    const reason2 = await log(x, p, reminderId, { status: 'skipped', reason: 'dizzy' });
    expect(reason2.json<Log>()).toMatchObject({ status: 'skipped', reason: 'dizzy' });
    expect((await log(x, p, reminderId, { status: 'snoozed' })).json<{ code: string }>().code).toBe(
      'dose_already_skipped',
    );

    // yesterday's dose, never answered: the dispatcher's grace window marks it missed
    const yesterday = new Date(due.getTime() - 86_400_000).toISOString();
    await x.h.t.owner.query(
      `INSERT INTO medication_reminder_logs (reminder_id, patient_id, scheduled_for) VALUES ($1, $2, $3)`,
      [reminderId, p.id, yesterday],
    );
    await x.h.t.owner.query('SELECT mark_missed_doses(now())');
    const snoozeMissed = await log(x, p, reminderId, { status: 'snoozed', scheduled_for: yesterday });
    expect(snoozeMissed.statusCode).toBe(409);
    expect(snoozeMissed.json<{ code: string }>().code).toBe('dose_already_missed');
    const late = await log(x, p, reminderId, { status: 'taken', scheduled_for: yesterday });
    expect(late.statusCode, late.body).toBe(200);
    expect(late.json<Log>().status).toBe('taken');
  });

  it('two taps at once (taken and snoozed): the dose ends taken, and every answer is a success or a 409', async () => {
    const x = app();
    for (let i = 0; i < 3; i++) {
      const { p, reminderId, due } = await dueDose(x);
      const [a, b] = await Promise.all([
        log(x, p, reminderId, { status: 'taken', scheduled_for: due.toISOString() }),
        log(x, p, reminderId, { status: 'snoozed', scheduled_for: due.toISOString() }),
      ]);
      for (const r of [a, b]) expect([200, 201, 409], r.body).toContain(r.statusCode);
      const b409 = [a, b].filter((r) => r.statusCode === 409);
      for (const r of b409) expect(r.json<{ code: string }>().code).toBe('dose_already_taken');
      const history = (await x.call('GET', '/dose-logs', { token: p.access })).json<{ items: Log[] }>().items;
      expect(history.map((l) => l.status)).toEqual(['taken']);
    }
  });

  it('the database itself refuses a forbidden change, whoever writes it, and clears what belongs to the old state', async () => {
    const x = app();
    const { p, reminderId } = await dueDose(x);
    const taken = (await log(x, p, reminderId, { status: 'taken' })).json<Log>();
    await expect(
      x.h.t.owner.query(`UPDATE medication_reminder_logs SET status = 'snoozed', snoozed_until = now() WHERE id = $1`, [
        taken.id,
      ]),
    ).rejects.toMatchObject({ code: '23514', hint: 'dose_already_taken' });
    await expect(
      x.h.t.owner.query(`UPDATE medication_reminder_logs SET status = 'pending' WHERE id = $1`, [taken.id]),
    ).rejects.toMatchObject({ code: '23514', hint: 'dose_already_recorded' });
    await x.h.t.owner.query(`UPDATE medication_reminder_logs SET status = 'skipped', reason = 'x' WHERE id = $1`, [
      taken.id,
    ]);
    await x.h.t.owner.query(`UPDATE medication_reminder_logs SET status = 'taken' WHERE id = $1`, [taken.id]);
    const row = await x.h.t.owner.query<{ reason: string | null }>(
      'SELECT reason FROM medication_reminder_logs WHERE id = $1',
      [taken.id],
    );
    expect(row.rows[0]?.reason).toBeNull();
    await expect(
      x.h.t.owner.query(
        `INSERT INTO medication_reminder_logs (reminder_id, patient_id, scheduled_for, status, action_at, reason) VALUES ($1, $2, now() - interval '3 days', 'taken', now(), 'stale')`,
        [reminderId, p.id],
      ),
    ).rejects.toMatchObject({ code: '23514' });
  });
});
