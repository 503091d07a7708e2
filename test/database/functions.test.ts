/** The business functions of functions/user_functions.sql, on data built for each case. */
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/db.ts';
import { createMedication, createPrescription, createReminder, createUser, seed, type Queryable } from './fixtures.ts';

const t = useTestDatabase();
// DROP DATABASE … WITH (FORCE) may reach an owner connection that is still closing.
beforeAll(() => void t().owner.on('error', () => undefined));

async function one<T>(db: Queryable, sql: string, values: unknown[] = []): Promise<T> {
  const res = await db.query(sql, values);
  return res.rows[0] as T;
}

async function subscribe(
  db: Queryable,
  userId: string,
  plan: string,
  status: string,
  start: string,
  end: string,
): Promise<void> {
  await db.query(
    `INSERT INTO user_subscriptions (user_id, plan_id, status, current_period_start, current_period_end, canceled_at)
     VALUES ($1, $2, $3::subscription_status, now() + $4::interval, now() + $5::interval,
             CASE WHEN $3 = 'canceled' THEN now() END)`,
    [userId, plan, status, start, end],
  );
}

describe('can_create_prescription (free tier: 10)', () => {
  it('is true below 10, false at exactly 10, true again when one is deleted', async () => {
    const db = t().owner;
    const p = await createUser(db);
    for (let i = 0; i < 9; i++) await createPrescription(db, p);
    expect((await one<{ ok: boolean }>(db, 'SELECT can_create_prescription($1) AS ok', [p])).ok).toBe(true);
    const tenth = await createPrescription(db, p);
    expect((await one<{ ok: boolean }>(db, 'SELECT can_create_prescription($1) AS ok', [p])).ok).toBe(false);
    await db.query('UPDATE prescriptions SET deleted_at = now() WHERE id = $1', [tenth]);
    expect((await one<{ ok: boolean }>(db, 'SELECT can_create_prescription($1) AS ok', [p])).ok).toBe(true);
  });

  it('archived prescriptions still count; premium is unlimited; a lapsed premium is free again', async () => {
    const db = t().owner;
    const p = await createUser(db);
    for (let i = 0; i < 10; i++) await createPrescription(db, p, { status: i % 2 ? 'archived' : 'completed' });
    expect((await one<{ ok: boolean }>(db, 'SELECT can_create_prescription($1) AS ok', [p])).ok).toBe(false);
    await subscribe(db, p, seed.plans.premiumMonthly, 'active', '-1 day', '29 days');
    for (let i = 0; i < 5; i++) await createPrescription(db, p);
    expect((await one<{ ok: boolean }>(db, 'SELECT can_create_prescription($1) AS ok', [p])).ok).toBe(true);
    await db.query(
      `UPDATE user_subscriptions SET current_period_end = now() - interval '1 second', current_period_start = now() - interval '1 month' WHERE user_id = $1`,
      [p],
    );
    expect((await one<{ ok: boolean }>(db, 'SELECT can_create_prescription($1) AS ok', [p])).ok).toBe(false);
  });

  it('runs for the patient through dastern_app, refuses another patient, and is false for an inactive account', async () => {
    const db = t().owner;
    const p = await createUser(db);
    const other = await createUser(db);
    const mine = await t().asUser({ userId: p, role: 'patient' }, (tx) =>
      tx.query<{ ok: boolean }>('SELECT can_create_prescription($1) AS ok', [p]),
    );
    expect(mine.rows[0]?.ok).toBe(true);
    await expect(
      t().asUser({ userId: other, role: 'patient' }, (tx) => tx.query('SELECT can_create_prescription($1)', [p])),
    ).rejects.toMatchObject({ code: '42501' });
    await db.query('UPDATE users SET is_active = false WHERE id = $1', [p]);
    expect((await one<{ ok: boolean }>(db, 'SELECT can_create_prescription($1) AS ok', [p])).ok).toBe(false);
  });

  it('serialises two uploads racing for the 10th slot', async () => {
    const db = t().owner;
    const p = await createUser(db);
    for (let i = 0; i < 9; i++) await createPrescription(db, p);
    const upload = () =>
      t().asUser({ userId: p, role: 'patient' }, async (tx) => {
        const ok = (await tx.query<{ ok: boolean }>('SELECT can_create_prescription($1) AS ok', [p])).rows[0]?.ok;
        await new Promise((r) => setTimeout(r, 50));
        if (ok) await tx.query('INSERT INTO prescriptions (patient_id, uploaded_by) VALUES ($1, $1)', [p]);
        return ok;
      });
    const results = await Promise.all([upload(), upload()]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(
      (await one<{ n: number }>(db, 'SELECT count(*)::int AS n FROM prescriptions WHERE patient_id = $1', [p])).n,
    ).toBe(10);
  });
});

describe('user_has_premium_subscription (expiry)', () => {
  const cases: Array<[string, string, string, string, string, boolean]> = [
    ['active monthly premium in its period', 'premium_monthly', 'active', '-1 day', '29 days', true],
    ['trialing premium', 'premium_yearly', 'trialing', '-1 day', '13 days', true],
    ['active premium whose period ended a second ago', 'premium_monthly', 'active', '-1 month', '-1 second', false],
    ['expired premium', 'premium_yearly', 'expired', '-400 days', '-35 days', false],
    ['canceled premium', 'premium_monthly', 'canceled', '-1 day', '29 days', false],
    ['past_due premium', 'premium_monthly', 'past_due', '-1 day', '29 days', false],
    ['premium starting tomorrow', 'premium_monthly', 'active', '1 day', '31 days', false],
    ['the free plan', 'free', 'active', '-1 day', '1 year', false],
  ];
  it.each(cases)('%s → %s', async (_label, code, status, start, end, expected) => {
    const db = t().owner;
    const p = await createUser(db);
    const plan =
      code === 'free'
        ? seed.plans.free
        : code === 'premium_yearly'
          ? seed.plans.premiumYearly
          : seed.plans.premiumMonthly;
    await subscribe(db, p, plan, status, start, end);
    const row = await one<{ has_premium: boolean; can_use_ai: boolean }>(
      db,
      'SELECT user_has_premium_subscription($1) as has_premium, can_make_ai_request($1) as can_use_ai',
      [p],
    );
    expect(row.has_premium).toBe(expected);
    expect(row.can_use_ai).toBe(expected);
  });

  it('a user without any subscription is not premium', async () => {
    const p = await createUser(t().owner);
    expect((await one<{ v: boolean }>(t().owner, 'SELECT user_has_premium_subscription($1) AS v', [p])).v).toBe(false);
  });
});

describe('can_make_ai_request (monthly AI quota)', () => {
  async function events(db: Queryable, userId: string, n: number, at: string): Promise<void> {
    await db.query(
      `INSERT INTO usage_analytics (user_id, event_type, occurred_at) SELECT $1, 'ai_request', ${at} FROM generate_series(1, $2)`,
      [userId, n],
    );
  }
  const monthStart = `date_trunc('month', now() AT TIME ZONE 'Asia/Phnom_Penh') AT TIME ZONE 'Asia/Phnom_Penh'`;

  it('allows 100 requests a month: true at 99, false at 100; last month does not count', async () => {
    const db = t().owner;
    const p = await createUser(db);
    await subscribe(db, p, seed.plans.premiumMonthly, 'active', '-1 day', '29 days');
    await events(db, p, 150, `${monthStart} - interval '1 minute'`);
    await events(db, p, 99, monthStart);
    expect((await one<{ v: boolean }>(db, 'SELECT can_make_ai_request($1) AS v', [p])).v).toBe(true);
    const quota = await one<{ monthly_limit: number; used_this_month: number; remaining: number }>(
      db,
      'SELECT * FROM get_ai_quota($1)',
      [p],
    );
    expect(quota).toMatchObject({ monthly_limit: 100, used_this_month: 99, remaining: 1 });
    await events(db, p, 1, 'now()');
    expect((await one<{ v: boolean }>(db, 'SELECT can_make_ai_request($1) AS v', [p])).v).toBe(false);
  });

  it('counts only ai_request events of that user', async () => {
    const db = t().owner;
    const p = await createUser(db);
    const other = await createUser(db);
    await subscribe(db, p, seed.plans.premiumYearly, 'active', '-1 day', '364 days');
    await events(db, other, 200, 'now()');
    await db.query(
      `INSERT INTO usage_analytics (user_id, event_type) SELECT $1, 'login' FROM generate_series(1, 200)`,
      [p],
    );
    expect((await one<{ v: boolean }>(db, 'SELECT can_make_ai_request($1) AS v', [p])).v).toBe(true);
  });

  it('a free user never may, even with no usage', async () => {
    const p = await createUser(t().owner);
    expect((await one<{ v: boolean }>(t().owner, 'SELECT can_make_ai_request($1) AS v', [p])).v).toBe(false);
  });

  it('counts events the patient cannot read herself (usage_analytics is admin-only under RLS)', async () => {
    const db = t().owner;
    const p = await createUser(db);
    await subscribe(db, p, seed.plans.premiumMonthly, 'active', '-1 day', '29 days');
    await events(db, p, 100, 'now()');
    const res = await t().asUser({ userId: p, role: 'patient' }, async (tx) => ({
      visible: (await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM usage_analytics')).rows[0]?.n,
      can: (await tx.query<{ v: boolean }>('SELECT can_make_ai_request($1) AS v', [p])).rows[0]?.v,
    }));
    expect(res).toEqual({ visible: 0, can: false });
  });
});

describe('get_active_reminders (weekday, date range, time zone)', () => {
  it('returns exactly the reminders due today', async () => {
    const db = t().owner;
    const p = await createUser(db);
    const rx = await createPrescription(db, p);
    const med = await createMedication(db, rx, p, { name: 'Amlodipine' });
    const offMed = await createMedication(db, rx, p, { name: 'Stopped', sequence: 2, active: false });
    const { dow } = await one<{ dow: number }>(
      db,
      "SELECT extract(isodow FROM now() AT TIME ZONE 'Asia/Phnom_Penh')::int AS dow",
    );
    const notToday = [1, 2, 3, 4, 5, 6, 7].filter((d) => d !== dow);
    const every = await createReminder(db, med, p, { startOffset: -5 });
    const todayOnly = await createReminder(db, med, p, { days: [dow], time: '20:00' });
    const endsToday = await createReminder(db, med, p, { startOffset: -3, endOffset: 0, time: '11:30' });
    await createReminder(db, med, p, { days: notToday });
    await createReminder(db, med, p, { startOffset: 1 });
    await createReminder(db, med, p, { startOffset: -10, endOffset: -1 });
    await createReminder(db, med, p, { active: false });
    await createReminder(db, offMed, p);
    const deletedRx = await createPrescription(db, p, { deleted: true });
    await createReminder(db, await createMedication(db, deletedRx, p), p);

    const rows = (
      await db.query<{ reminder_id: string; medication_name: string; strength: string; reminder_time: string }>(
        'SELECT * FROM get_active_reminders($1)',
        [p],
      )
    ).rows;
    expect(rows.map((r) => r.reminder_id)).toEqual([every, endsToday, todayOnly]);
    expect(rows[0]).toMatchObject({ medication_name: 'Amlodipine', strength: '500mg', reminder_time: '07:00:00' });
  });

  it("uses each reminder's own time zone for today and for the dose time", async () => {
    const db = t().owner;
    const p = await createUser(db);
    const rx = await createPrescription(db, p);
    const med = await createMedication(db, rx, p);
    // Kiritimati (UTC+14) is always at least one calendar day ahead of Pago Pago (UTC-11).
    const kiritimati = await createReminder(db, med, p, { timezone: 'Pacific/Kiritimati' });
    await db.query(
      `INSERT INTO medication_reminders (medication_id, patient_id, slot, reminder_time, dose_amount, start_date, timezone)
       VALUES ($1, $2, 'night', '20:00', 1, (now() AT TIME ZONE 'Pacific/Kiritimati')::date, 'Pacific/Pago_Pago')`,
      [med, p],
    );
    const rows = (
      await db.query<{ reminder_id: string; ok: boolean }>(
        `SELECT reminder_id, scheduled_at = ((now() AT TIME ZONE 'Pacific/Kiritimati')::date + time '07:00') AT TIME ZONE 'Pacific/Kiritimati' AS ok
       FROM get_active_reminders($1)`,
        [p],
      )
    ).rows;
    expect(rows).toEqual([{ reminder_id: kiritimati, ok: true }]);
  });

  it("reports today's dose log, and RLS applies: a stranger gets nothing", async () => {
    const db = t().owner;
    const p = await createUser(db);
    const stranger = await createUser(db);
    const med = await createMedication(db, await createPrescription(db, p), p);
    const r = await createReminder(db, med, p);
    await db.query(
      `INSERT INTO medication_reminder_logs (reminder_id, patient_id, scheduled_for, status, action_at)
       VALUES ($1, $2, ((now() AT TIME ZONE 'Asia/Phnom_Penh')::date + time '07:00') AT TIME ZONE 'Asia/Phnom_Penh', 'taken', now())`,
      [r, p],
    );
    const own = await t().asUser({ userId: p, role: 'patient' }, (tx) =>
      tx.query('SELECT log_status FROM get_active_reminders($1)', [p]),
    );
    expect(own.rows).toEqual([{ log_status: 'taken' }]);
    const other = await t().asUser({ userId: stranger, role: 'patient' }, (tx) =>
      tx.query('SELECT * FROM get_active_reminders($1)', [p]),
    );
    expect(other.rowCount).toBe(0);
  });
});

describe('adherence', () => {
  it('counters follow the dose logs; get_adherence_statistics reports per medication in a date range', async () => {
    const db = t().owner;
    const p = await createUser(db);
    const med = await createMedication(db, await createPrescription(db, p), p, { name: 'Metformin' });
    const r = await createReminder(db, med, p, { startOffset: -20 });
    const statuses = ['taken', 'taken', 'taken', 'taken', 'taken', 'taken', 'missed', 'missed', 'skipped', 'pending'];
    for (const [i, s] of statuses.entries()) {
      await db.query(
        `INSERT INTO medication_reminder_logs (reminder_id, patient_id, scheduled_for, status, action_at)
         VALUES ($1, $2, ((now() AT TIME ZONE 'Asia/Phnom_Penh')::date - $3::int + time '07:00') AT TIME ZONE 'Asia/Phnom_Penh',
                 $4::reminder_log_status, CASE WHEN $4 IN ('taken', 'skipped') THEN now() END)`,
        [r, p, 10 - i, s],
      );
    }
    const counters = await one(
      db,
      'SELECT total_doses, taken_count, missed_count, skipped_count, adherence_rate::float AS rate FROM medication_reminders WHERE id = $1',
      [r],
    );
    expect(counters).toEqual({ total_doses: 10, taken_count: 6, missed_count: 2, skipped_count: 1, rate: 66.67 });

    const stats = await one(
      db,
      `SELECT medication_name, scheduled_doses::int, taken::int, missed::int, skipped::int, open_doses::int, adherence_rate::float AS rate
       FROM get_adherence_statistics($1, CURRENT_DATE - 30, CURRENT_DATE + 1)`,
      [p],
    );
    expect(stats).toEqual({
      medication_name: 'Metformin',
      scheduled_doses: 10,
      taken: 6,
      missed: 2,
      skipped: 1,
      open_doses: 1,
      rate: 66.67,
    });
    // days -4 .. -1 in Phnom Penh hold: missed, missed, skipped, pending
    const recent = await one<{ taken: number; missed: number; skipped: number; open_doses: number }>(
      db,
      `SELECT taken::int, missed::int, skipped::int, open_doses::int FROM get_adherence_statistics($1,
         (now() AT TIME ZONE 'Asia/Phnom_Penh')::date - 4, (now() AT TIME ZONE 'Asia/Phnom_Penh')::date - 1)`,
      [p],
    );
    expect(recent).toEqual({ taken: 0, missed: 2, skipped: 1, open_doses: 1 });

    await db.query(
      `UPDATE medication_reminder_logs SET status = 'taken', action_at = now() WHERE reminder_id = $1 AND status = 'missed'`,
      [r],
    );
    await db.query(`DELETE FROM medication_reminder_logs WHERE reminder_id = $1 AND status = 'pending'`, [r]);
    const after = await one(
      db,
      'SELECT total_doses, taken_count, missed_count, skipped_count FROM medication_reminders WHERE id = $1',
      [r],
    );
    expect(after).toEqual({ total_doses: 9, taken_count: 8, missed_count: 0, skipped_count: 1 });
  });
});

describe('maintenance', () => {
  it('cleanup_expired_sessions deletes expired and long-revoked sessions only', async () => {
    const db = t().owner;
    const p = await createUser(db);
    const ins = (hash: string, expires: string, revoked: string | null) =>
      db.query(
        `INSERT INTO user_sessions (user_id, refresh_token_hash, expires_at, revoked_at) VALUES ($1, encode(digest($2, 'sha256'), 'hex'), now() + $3::interval, now() + $4::interval)`,
        [p, hash, expires, revoked],
      );
    await ins('expired', '-1 minute', null);
    await ins('revoked-long-ago', '20 days', '-8 days');
    await ins('revoked-yesterday', '20 days', '-1 day');
    await ins('open', '30 days', null);
    const deleted = await t().asUser({ userId: null, role: 'system' }, (tx) =>
      tx.query<{ n: number }>('SELECT cleanup_expired_sessions() AS n'),
    );
    expect(deleted.rows[0]?.n).toBeGreaterThanOrEqual(2);
    const left = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM user_sessions WHERE user_id = $1', [p]);
    expect(left.rows[0]?.n).toBe(2);
    expect((await one<{ n: number }>(db, 'SELECT cleanup_expired_sessions() AS n')).n).toBe(0);
  });

  it('archive_old_prescriptions archives finished old ones without a running treatment', async () => {
    const db = t().owner;
    const p = await createUser(db);
    const oldDone = await createPrescription(db, p, { ageDays: 400 });
    const oldError = await createPrescription(db, p, { status: 'error', ageDays: 500 });
    const oldRunning = await createPrescription(db, p, { ageDays: 400 });
    await createReminder(db, await createMedication(db, oldRunning, p), p, { startOffset: -400 });
    const oldPending = await createPrescription(db, p, { status: 'pending', ageDays: 400 });
    const recent = await createPrescription(db, p, { ageDays: 100 });
    const n = await t().asUser({ userId: null, role: 'system' }, (tx) =>
      tx.query<{ n: number }>('SELECT archive_old_prescriptions(365) AS n'),
    );
    expect(n.rows[0]?.n).toBe(2);
    const rows = await db.query<{ id: string; status: string; archived: boolean }>(
      'SELECT id, status, archived_at IS NOT NULL AS archived FROM prescriptions WHERE patient_id = $1',
      [p],
    );
    const byId = new Map(rows.rows.map((r) => [r.id, r]));
    expect(byId.get(oldDone)).toMatchObject({ status: 'archived', archived: true });
    expect(byId.get(oldError)).toMatchObject({ status: 'archived', archived: true });
    expect(byId.get(oldRunning)?.status).toBe('completed');
    expect(byId.get(oldPending)?.status).toBe('pending');
    expect(byId.get(recent)?.status).toBe('completed');
    await expect(db.query('SELECT archive_old_prescriptions(0)')).rejects.toMatchObject({ code: '22023' });
  });

  it('maintenance through the service needs the system context (a patient archives nothing of others)', async () => {
    const db = t().owner;
    const p = await createUser(db);
    const other = await createUser(db);
    await createPrescription(db, other, { ageDays: 800 });
    const n = await t().asUser({ userId: p, role: 'patient' }, (tx) =>
      tx.query<{ n: number }>('SELECT archive_old_prescriptions(365) AS n'),
    );
    expect(n.rows[0]?.n).toBe(0);
  });

  it('expire_invitations closes pending invitations past their expiry', async () => {
    const db = t().owner;
    const d = await createUser(db, { role: 'doctor' });
    const p = await createUser(db);
    await db.query(
      `INSERT INTO doctor_patient_relationships (doctor_id, patient_id, initiated_by, invitation_code, invitation_expires_at)
       VALUES ($1, $2, 'doctor', 'EXPRD234', now() - interval '1 minute'), ($1, NULL, 'doctor', 'EXPRD235', now() - interval '1 minute'),
              ($1, NULL, 'doctor', 'VAQD2345', now() + interval '1 day')`,
      [d, p],
    );
    expect((await one<{ n: number }>(db, 'SELECT expire_invitations() AS n')).n).toBe(2);
    const rows = await db.query(
      'SELECT invitation_code, status::text FROM doctor_patient_relationships WHERE doctor_id = $1 ORDER BY 1',
      [d],
    );
    expect(rows.rows).toEqual([
      { invitation_code: 'EXPRD234', status: 'inactive' },
      { invitation_code: 'VAQD2345', status: 'pending' },
    ]);
  });
});

describe('generate_invitation_code', () => {
  it('gives unique codes of unambiguous characters', async () => {
    const res = await t().owner.query<{ code: string }>(
      'SELECT generate_invitation_code() AS code FROM generate_series(1, 300)',
    );
    const codes = res.rows.map((r) => r.code);
    expect(new Set(codes).size).toBe(300);
    for (const code of codes) expect(code).toMatch(/^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{10}$/);
    const all = codes.join('');
    for (const ch of '0O1IL') expect(all).not.toContain(ch);
    expect((await one<{ code: string }>(t().owner, 'SELECT generate_invitation_code(8) AS code')).code).toHaveLength(8);
    await expect(t().owner.query('SELECT generate_invitation_code(7)')).rejects.toMatchObject({ code: '22023' });
  });

  it('is callable by the service', async () => {
    const d = await createUser(t().owner, { role: 'doctor' });
    const res = await t().asUser({ userId: d, role: 'doctor' }, (tx) =>
      tx.query<{ invitation_code: string }>(
        `INSERT INTO doctor_patient_relationships (doctor_id, initiated_by, invitation_code, invitation_expires_at)
         VALUES ($1, 'doctor', generate_invitation_code(), now() + interval '7 days') RETURNING invitation_code`,
        [d],
      ),
    );
    expect(res.rows[0]?.invitation_code).toMatch(/^[A-HJKMNP-Z2-9]{10}$/);
  });
});

describe('dose-log counters and the reminder audit under multi-row statements (migration 009)', () => {
  type Counters = { id: string; total_doses: number; taken_count: number; missed_count: number; skipped_count: number };
  /** Every reminder's counters equal a recount of its dose logs. */
  async function expectCountersRight(db: Queryable, reminders: string[]): Promise<Counters[]> {
    const stored = await db.query<Counters>(
      'SELECT id, total_doses, taken_count, missed_count, skipped_count FROM medication_reminders WHERE id = ANY ($1::uuid[]) ORDER BY id',
      [reminders],
    );
    const recount = await db.query<Counters>(
      `SELECT r.id, count(l.id)::int AS total_doses, count(*) FILTER (WHERE l.status = 'taken')::int AS taken_count,
              count(*) FILTER (WHERE l.status = 'missed')::int AS missed_count, count(*) FILTER (WHERE l.status = 'skipped')::int AS skipped_count
         FROM medication_reminders r LEFT JOIN medication_reminder_logs l ON l.reminder_id = r.id
        WHERE r.id = ANY ($1::uuid[]) GROUP BY r.id ORDER BY r.id`,
      [reminders],
    );
    expect(stored.rows).toEqual(recount.rows);
    return stored.rows;
  }
  const insertLogs = (
    db: Queryable,
    reminder: string,
    patient: string,
    statuses: string[],
    fromDay: number,
  ): Promise<unknown> =>
    db.query(
      `INSERT INTO medication_reminder_logs (reminder_id, patient_id, scheduled_for, status, action_at)
       SELECT $1, $2, now() - make_interval(days => $4::int + s.i::int), s.st::reminder_log_status,
              CASE WHEN s.st IN ('taken', 'skipped') THEN now() END
         FROM unnest($3::text[]) WITH ORDINALITY AS s(st, i)`,
      [reminder, patient, statuses, fromDay],
    );

  it('stay exact for inserts, status changes, moves, upserts, mark_missed_doses and deletes of many rows at once', async () => {
    const db = t().owner;
    const p = await createUser(db);
    const rx = await createPrescription(db, p);
    const medA = await createMedication(db, rx, p, { name: 'Metformin', sequence: 1 });
    const medB = await createMedication(db, rx, p, { name: 'Amlodipine', sequence: 2 });
    const a = await createReminder(db, medA, p, { startOffset: -30 });
    const b = await createReminder(db, medB, p, { startOffset: -30 });
    const c = await createReminder(db, medB, p, { startOffset: -30, time: '20:00' });
    const all = [a, b, c];

    // one INSERT statement for two reminders, mixed statuses
    await db.query(
      `INSERT INTO medication_reminder_logs (reminder_id, patient_id, scheduled_for, status, action_at, snoozed_until)
       SELECT CASE WHEN g % 2 = 0 THEN $1::uuid ELSE $2::uuid END, $3, now() - make_interval(days => 40 + g),
              (ARRAY['taken','skipped','missed','pending','snoozed'])[1 + g % 5]::reminder_log_status,
              CASE WHEN g % 5 IN (0, 1) THEN now() END, CASE WHEN g % 5 = 4 THEN now() END
         FROM generate_series(1, 30) g`,
      [a, b, p],
    );
    const inserted = await expectCountersRight(db, all);
    expect(inserted.find((r) => r.id === a)).toMatchObject({
      total_doses: 15,
      taken_count: 3,
      skipped_count: 3,
      missed_count: 3,
    });
    expect(inserted.find((r) => r.id === b)).toMatchObject({
      total_doses: 15,
      taken_count: 3,
      skipped_count: 3,
      missed_count: 3,
    });
    expect(inserted.find((r) => r.id === c)).toMatchObject({ total_doses: 0 });

    // many status changes in one statement: taken → skipped, skipped → taken, missed → skipped
    // (changes the dose state machine of migration 015 allows; skipped → missed it refuses)
    await db.query(
      `UPDATE medication_reminder_logs SET status = CASE status WHEN 'taken' THEN 'skipped' WHEN 'skipped' THEN 'taken' ELSE 'skipped' END::reminder_log_status,
              action_at = now()
        WHERE patient_id = $1 AND status IN ('taken', 'skipped', 'missed')`,
      [p],
    );
    await expectCountersRight(db, all);
    // an update that changes no status (notified_at): counters untouched
    await db.query('UPDATE medication_reminder_logs SET notified_at = now() WHERE patient_id = $1', [p]);
    await expectCountersRight(db, all);
    // logs moved between reminders in one statement (a → c, b → a)
    await db.query(
      `UPDATE medication_reminder_logs SET reminder_id = CASE reminder_id WHEN $1::uuid THEN $3::uuid ELSE $1::uuid END
        WHERE reminder_id IN ($1, $2) AND extract(day FROM scheduled_for)::int % 3 = 0`,
      [a, b, c],
    );
    await expectCountersRight(db, all);
    // an upsert of existing doses (ON CONFLICT DO UPDATE) and new ones in the same statement
    await db.query(
      `INSERT INTO medication_reminder_logs (reminder_id, patient_id, scheduled_for, status, action_at)
       SELECT reminder_id, patient_id, scheduled_for, 'taken'::reminder_log_status, now() FROM medication_reminder_logs WHERE reminder_id = $1
       UNION ALL SELECT $1, $2, now() + interval '1 day', 'skipped'::reminder_log_status, now()
       ON CONFLICT (reminder_id, scheduled_for) DO UPDATE SET status = EXCLUDED.status, action_at = EXCLUDED.action_at`,
      [c, p],
    );
    const afterUpsert = await expectCountersRight(db, all);
    expect(afterUpsert.find((r) => r.id === c)).toMatchObject({
      taken_count: afterUpsert.find((r) => r.id === c)!.total_doses - 1,
      skipped_count: 1,
    });

    // mark_missed_doses: many pending doses of one reminder become missed in one statement
    await insertLogs(db, a, p, Array<string>(12).fill('pending'), 3);
    const before = (await expectCountersRight(db, all)).find((r) => r.id === a)!;
    const missed = await one<{ n: number }>(db, 'SELECT mark_missed_doses(now()) AS n');
    expect(missed.n).toBeGreaterThanOrEqual(12);
    const afterMissed = (await expectCountersRight(db, all)).find((r) => r.id === a)!;
    expect(afterMissed.missed_count).toBeGreaterThanOrEqual(before.missed_count + 12);
    expect(afterMissed.total_doses).toBe(before.total_doses);

    // many deletes in one statement, then cascades: a reminder, then a medication
    await db.query(`DELETE FROM medication_reminder_logs WHERE reminder_id = $1 AND status IN ('missed', 'taken')`, [
      a,
    ]);
    await expectCountersRight(db, all);
    await db.query('DELETE FROM medication_reminders WHERE id = $1', [c]);
    await expectCountersRight(db, [a, b]);
    await db.query('DELETE FROM medications WHERE id = $1', [medB]);
    await expectCountersRight(db, [a]);
    const left = await one<{ n: number }>(
      db,
      'SELECT count(*)::int AS n FROM medication_reminders WHERE id = ANY ($1::uuid[])',
      [[b, c]],
    );
    expect(left.n).toBe(0);
  });

  it('the dispatcher keeps them exact: one dose log per claimed reminder, counted once', async () => {
    const db = t().owner;
    const p = await createUser(db);
    const rx = await createPrescription(db, p);
    const reminders: string[] = [];
    for (let i = 1; i <= 3; i++)
      reminders.push(
        await createReminder(db, await createMedication(db, rx, p, { sequence: i }), p, { startOffset: -1 }),
      );
    await db.query(
      `UPDATE medication_reminders SET next_reminder_at = now() - interval '1 minute' WHERE id = ANY ($1::uuid[])`,
      [reminders],
    );
    const sent = await db.query('SELECT * FROM dispatch_due_reminders(now(), 100) WHERE user_id = $1', [p]);
    expect(sent.rowCount).toBe(3);
    expect((await expectCountersRight(db, reminders)).map((r) => r.total_doses)).toEqual([1, 1, 1]);
    const moved = await db.query<{ ok: boolean }>(
      `SELECT next_reminder_at > now() AND last_dispatched_at IS NOT NULL AS ok FROM medication_reminders WHERE id = ANY ($1::uuid[])`,
      [reminders],
    );
    expect(moved.rows).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
  });

  it('the dispatcher does not count a dose the patient logged before it was due', async () => {
    const db = t().owner;
    const p = await createUser(db);
    const rx = await createPrescription(db, p);
    const reminders: string[] = [];
    for (let i = 1; i <= 2; i++)
      reminders.push(
        await createReminder(db, await createMedication(db, rx, p, { sequence: i }), p, { startOffset: -1 }),
      );
    await db.query(
      `UPDATE medication_reminders SET next_reminder_at = date_trunc('minute', now()) - interval '1 minute' WHERE id = ANY ($1::uuid[])`,
      [reminders],
    );
    // the first dose was already taken (logged by the patient): the dispatcher's insert conflicts
    await db.query(
      `INSERT INTO medication_reminder_logs (reminder_id, patient_id, scheduled_for, status, action_at)
       SELECT id, patient_id, next_reminder_at + make_interval(mins => advance_minutes), 'taken', now() FROM medication_reminders WHERE id = $1`,
      [reminders[0]],
    );
    const sent = await db.query<{ reminder_id: string }>(
      'SELECT * FROM dispatch_due_reminders(now(), 100) WHERE user_id = $1',
      [p],
    );
    expect(sent.rows.map((r) => r.reminder_id)).toEqual([reminders[1]]);
    const counters = await expectCountersRight(db, reminders);
    expect(counters.map((r) => r.total_doses)).toEqual([1, 1]);
    expect(counters.find((r) => r.id === reminders[0])).toMatchObject({ taken_count: 1 });
    // an ordinary insert after a dispatch in the same transaction is counted by the trigger again
    const c = await db.connect();
    try {
      await c.query('BEGIN');
      await c.query(
        `UPDATE medication_reminders SET next_reminder_at = date_trunc('minute', now()) - interval '2 minutes' WHERE id = $1`,
        [reminders[1]],
      );
      expect((await c.query('SELECT * FROM dispatch_due_reminders(now(), 100) WHERE user_id = $1', [p])).rowCount).toBe(
        1,
      );
      await c.query(
        `INSERT INTO medication_reminder_logs (reminder_id, patient_id, scheduled_for, status, action_at)
         VALUES ($1, $2, now() - interval '3 days', 'skipped', now())`,
        [reminders[1], p],
      );
      await c.query('COMMIT');
    } finally {
      c.release();
    }
    expect((await expectCountersRight(db, reminders)).find((r) => r.id === reminders[1])).toMatchObject({
      total_doses: 3,
      skipped_count: 1,
    });
  });

  it('the reminder audit skips operational updates and records real changes as before', async () => {
    const db = t().owner;
    const p = await createUser(db);
    const r = await createReminder(db, await createMedication(db, await createPrescription(db, p), p), p);
    const audit = (): Promise<{ rows: Array<{ action: string; old_values: unknown; new_values: unknown }> }> =>
      db.query(
        "SELECT action, old_values, new_values FROM audit_logs WHERE table_name = 'medication_reminders' AND resource_id = $1 ORDER BY seq",
        [r],
      );
    expect((await audit()).rows.map((x) => x.action)).toEqual(['insert']);

    await db.query(
      `UPDATE medication_reminders SET next_reminder_at = now() + interval '1 hour', last_dispatched_at = now() WHERE id = $1`,
      [r],
    );
    await db.query(
      `INSERT INTO medication_reminder_logs (reminder_id, patient_id, scheduled_for, status, action_at) VALUES ($1, $2, now(), 'taken', now())`,
      [r, p],
    );
    expect((await audit()).rows.map((x) => x.action)).toEqual(['insert']);

    await db.query(
      `UPDATE medication_reminders SET reminder_time = '07:30', next_reminder_at = now() + interval '2 hours' WHERE id = $1`,
      [r],
    );
    const rows = (await audit()).rows;
    expect(rows.map((x) => x.action)).toEqual(['insert', 'update']);
    expect(rows[1]).toMatchObject({
      old_values: { reminder_time: '07:00:00' },
      new_values: { reminder_time: '07:30:00' },
    });

    await db.query(`UPDATE medication_reminders SET is_active = false WHERE id = $1`, [r]);
    await db.query('DELETE FROM medication_reminders WHERE id = $1', [r]);
    expect((await audit()).rows.map((x) => x.action)).toEqual(['insert', 'update', 'update', 'delete']);
  });

  it("the audit trigger's WHEN clause names every column that is not operational", async () => {
    const noise = [
      'next_reminder_at',
      'last_dispatched_at',
      'total_doses',
      'taken_count',
      'missed_count',
      'skipped_count',
      'adherence_rate',
      'updated_at',
    ];
    const cols = await t().owner.query<{ attname: string }>(
      "SELECT attname FROM pg_attribute WHERE attrelid = 'medication_reminders'::regclass AND attnum > 0 AND NOT attisdropped",
    );
    const def = (
      await one<{ d: string }>(
        t().owner,
        "SELECT pg_get_triggerdef(oid) AS d FROM pg_trigger WHERE tgrelid = 'medication_reminders'::regclass AND tgname = 'audit_row_change_update'",
      )
    ).d;
    for (const { attname } of cols.rows) {
      if (noise.includes(attname)) continue;
      expect(def, `audit WHEN clause compares OLD.${attname}`).toMatch(new RegExp(`\\bold\\.${attname}\\b`, 'i'));
      expect(def, `audit WHEN clause compares NEW.${attname}`).toMatch(new RegExp(`\\bnew\\.${attname}\\b`, 'i'));
    }
  });
});

describe('live notifications (NOTIFY per statement, migration 010)', () => {
  it('a multi-row insert sends one {user_id, id} payload per new row, in order, at commit; skipped rows send none', async () => {
    const db = t().owner;
    const a = await createUser(db);
    const b = await createUser(db);
    const listener = new pg.Client({ connectionString: t().ownerUrl });
    await listener.connect();
    const got: unknown[] = [];
    listener.on('notification', (m) => {
      if (m.channel === 'dastern_notifications') got.push(JSON.parse(m.payload ?? 'null'));
    });
    try {
      await listener.query('LISTEN dastern_notifications');
      await db.query(
        `INSERT INTO notifications (user_id, type, title, dedupe_key) VALUES ($1::uuid, 'system', 'x', 'notify-test:' || $1::text)`,
        [a],
      );
      const res = await db.query<{ id: string; user_id: string }>(
        `INSERT INTO notifications (user_id, type, title, dedupe_key)
         SELECT u, 'system', 'hello ' || g, 'notify-test:' || u || CASE WHEN g = 1 AND u = $1::uuid THEN '' ELSE ':' || g END
           FROM unnest(ARRAY[$1::uuid, $2::uuid]) AS u CROSS JOIN generate_series(1, 2) AS g
         ON CONFLICT ON CONSTRAINT notifications_dedupe_key_key DO NOTHING
         RETURNING id, user_id`,
        [a, b],
      );
      expect(res.rowCount).toBe(3);
      // up to 15 s for the four notifications (two busy cores)
      for (let i = 0; i < 750 && got.length < 4; i++) await new Promise((r) => setTimeout(r, 20));
      expect(got.slice(1)).toEqual(res.rows.map((r) => ({ user_id: r.user_id, id: r.id })));
      expect(got).toHaveLength(4);
    } finally {
      await listener.end();
    }
  });
});
