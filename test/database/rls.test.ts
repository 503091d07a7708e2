/**
 * Row level security on the development data, from both sides: the owner of a row sees it, a
 * stranger sees nothing, a doctor only through an ACTIVE relationship with the permission,
 * admins read, 'system' works, and without any context nothing is visible.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Actor, Tx } from '../../src/db/database.ts';
import { useTestDatabase } from '../support/db.ts';
import { seed } from './fixtures.ts';

const t = useTestDatabase({ seed: true });
// DROP DATABASE … WITH (FORCE) may reach an owner connection that is still closing.
beforeAll(() => void t().owner.on('error', () => undefined));

const actors = {
  dara: { userId: seed.dara, role: 'patient' },
  sreymom: { userId: seed.sreymom, role: 'patient' },
  bopha: { userId: seed.bopha, role: 'patient' },
  sovann: { userId: seed.sovann, role: 'patient' },
  mao: { userId: seed.mao, role: 'patient' },
  vannak: { userId: seed.vannak, role: 'doctor' },
  sophea: { userId: seed.sophea, role: 'doctor' },
  rithy: { userId: seed.rithy, role: 'doctor' },
  admin: { userId: seed.admin, role: 'admin' },
  system: { userId: null, role: 'system' },
} satisfies Record<string, Actor>;
type Who = keyof typeof actors;

async function count(actor: Actor, table: string, where = 'true'): Promise<number> {
  const res = await t().asUser(actor, (tx) =>
    tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`),
  );
  return res.rows[0]?.n ?? -1;
}

/** Expected row counts per actor and table on the development data. */
const visible: Record<string, Partial<Record<Who, number>>> = {
  prescriptions: {
    dara: 3,
    sreymom: 2,
    bopha: 11,
    sovann: 1,
    mao: 0,
    vannak: 3,
    sophea: 3,
    rithy: 0,
    admin: 17,
    system: 17,
  },
  medications: {
    dara: 3,
    sreymom: 3,
    bopha: 11,
    sovann: 1,
    mao: 0,
    vannak: 3,
    sophea: 3,
    rithy: 0,
    admin: 18,
    system: 18,
  },
  medication_reminders: {
    dara: 3,
    sreymom: 5,
    bopha: 0,
    sovann: 1,
    vannak: 3,
    sophea: 3,
    rithy: 0,
    admin: 9,
    system: 9,
  },
  // the author while the relationship is active (Bopha ended hers with Vannak), the patient the shared ones, no admin (013)
  clinical_notes: { dara: 2, sreymom: 0, bopha: 1, vannak: 3, sophea: 0, rithy: 0, admin: 0 },
  users: { dara: 3, sreymom: 2, bopha: 1, sovann: 1, mao: 1, vannak: 2, sophea: 2, rithy: 1, admin: 9, system: 9 },
  doctor_patient_relationships: {
    dara: 2,
    sreymom: 2,
    bopha: 1,
    sovann: 1,
    mao: 0,
    vannak: 2,
    sophea: 3,
    rithy: 2,
    admin: 7,
  },
  notifications: { dara: 3, sreymom: 1, sovann: 1, vannak: 1, rithy: 0, admin: 0, system: 6 },
  user_sessions: { dara: 2, sreymom: 1, vannak: 1, bopha: 0, admin: 4 },
  user_subscriptions: { dara: 1, sreymom: 1, bopha: 0, sovann: 1, vannak: 0, admin: 3 },
  payment_transactions: { dara: 3, sovann: 3, sreymom: 0, vannak: 0, admin: 6 },
  ai_chat_conversations: { dara: 1, vannak: 0, admin: 0, system: 0 },
  ai_chat_messages: { dara: 3, vannak: 0, sophea: 0, admin: 0, system: 0 },
  ai_reports: { dara: 1, vannak: 0, admin: 0, system: 1 },
  usage_analytics: { dara: 0, vannak: 0, admin: 21, system: 21 },
  audit_logs: { dara: 0, vannak: 0, system: 0 },
};

describe('who sees what (development data)', () => {
  const cases = Object.entries(visible).flatMap(([table, byActor]) =>
    Object.entries(byActor).map(([who, n]) => [table, who as Who, n] as const),
  );
  it.each(cases)('%s as %s → %i rows', async (table, who, n) => {
    expect(await count(actors[who], table)).toBe(n);
  });

  it('dose logs: the patient and her viewing doctors see exactly hers, others none', async () => {
    const truth = await t().owner.query<{ patient_id: string; n: number }>(
      'SELECT patient_id, count(*)::int AS n FROM medication_reminder_logs GROUP BY patient_id',
    );
    const of = (id: string) => truth.rows.find((r) => r.patient_id === id)?.n ?? 0;
    expect(of(seed.dara)).toBeGreaterThan(40);
    expect(await count(actors.dara, 'medication_reminder_logs')).toBe(of(seed.dara));
    expect(await count(actors.sreymom, 'medication_reminder_logs')).toBe(of(seed.sreymom));
    expect(await count(actors.vannak, 'medication_reminder_logs')).toBe(of(seed.dara));
    expect(await count(actors.rithy, 'medication_reminder_logs')).toBe(0);
    expect(await count(actors.bopha, 'medication_reminder_logs')).toBe(0);
  });

  it('admins see every audit row; the service may never update or delete one', async () => {
    const total = (await t().owner.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_logs')).rows[0]?.n ?? 0;
    expect(total).toBeGreaterThan(50);
    expect(await count(actors.admin, 'audit_logs')).toBe(total);
    for (const sql of ["UPDATE audit_logs SET action = 'read'", 'DELETE FROM audit_logs', 'TRUNCATE audit_logs']) {
      await expect(t().asUser(actors.admin, (tx) => tx.query(sql))).rejects.toMatchObject({ code: '42501' });
      await expect(t().asUser(actors.system, (tx) => tx.query(sql))).rejects.toMatchObject({ code: '42501' });
    }
  });

  it('without any context nothing is visible', async () => {
    for (const table of Object.keys(visible)) {
      const res = await t().db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
      expect(res.rows[0]?.n, table).toBe(0);
    }
    for (const view of [
      'v_user_profiles',
      'v_prescription_summaries',
      'v_medication_adherence',
      'v_care_relationships',
    ]) {
      const res = await t().db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${view}`);
      expect(res.rows[0]?.n, view).toBe(0);
    }
  });

  it("views follow the caller's RLS (security_invoker)", async () => {
    expect(await count(actors.dara, 'v_prescription_summaries')).toBe(3);
    expect(await count(actors.sreymom, 'v_prescription_summaries', `patient_id = '${seed.dara}'`)).toBe(0);
    expect(await count(actors.vannak, 'v_medication_adherence')).toBe(3);
    expect(await count(actors.dara, 'v_user_profiles')).toBe(3);
    const own = await t().asUser(actors.dara, (tx) =>
      tx.query('SELECT is_premium, plan_code, subscription_tier FROM v_user_profiles WHERE id = $1', [seed.dara]),
    );
    expect(own.rows[0]).toEqual({ is_premium: true, plan_code: 'premium_monthly', subscription_tier: 'premium' });
  });

  it("'admin' in the context is ignored unless the stored role is admin", async () => {
    expect(await count({ userId: seed.dara, role: 'admin' }, 'prescriptions')).toBe(3);
    expect(await count({ userId: seed.vannak, role: 'admin' }, 'audit_logs')).toBe(0);
  });

  it('a context with a malformed or empty user id sees nothing and does not error', async () => {
    for (const value of ['', 'not-a-uuid', "'; DROP TABLE users; --"]) {
      const res = await t().db.withUser({ userId: null, role: 'patient' }, async (tx: Tx) => {
        await tx.query("SELECT set_config('app.user_id', $1, true)", [value]);
        return tx.query<{ n: number }>('SELECT count(*)::int AS n FROM prescriptions');
      });
      expect(res.rows[0]?.n).toBe(0);
    }
  });
});

describe('writes', () => {
  const reminder = '60000000-0000-4000-8000-000000000001';

  it("a patient cannot read, change or create another patient's records", async () => {
    const rx = '40000000-0000-4000-8000-000000000001';
    const res = await t().asUser(actors.sreymom, async (tx) => ({
      read: (await tx.query('SELECT * FROM prescriptions WHERE id = $1', [rx])).rowCount,
      update: (await tx.query("UPDATE prescriptions SET pharmacy_name = 'x' WHERE id = $1", [rx])).rowCount,
      del: (await tx.query('DELETE FROM medications WHERE patient_id = $1', [seed.dara])).rowCount,
    }));
    expect(res).toEqual({ read: 0, update: 0, del: 0 });
    await expect(
      t().asUser(actors.sreymom, (tx) => tx.query('INSERT INTO prescriptions (patient_id) VALUES ($1)', [seed.dara])),
    ).rejects.toMatchObject({ code: '42501' });
  });

  it('doctors change reminders only with can_modify_reminders, never prescriptions', async () => {
    const sql = "UPDATE medication_reminders SET reminder_time = '07:15' WHERE id = $1";
    expect((await t().asUser(actors.sophea, (tx) => tx.query(sql, [reminder]))).rowCount).toBe(0);
    expect((await t().asUser(actors.vannak, (tx) => tx.query(sql, [reminder]))).rowCount).toBe(1);
    expect(
      (
        await t().asUser(actors.vannak, (tx) =>
          tx.query("UPDATE prescriptions SET status = 'archived', archived_at = now() WHERE patient_id = $1", [
            seed.dara,
          ]),
        )
      ).rowCount,
    ).toBe(0);
    const audit = await t().owner.query(
      "SELECT actor_user_id, actor_role, subject_user_id::text, new_values FROM audit_logs WHERE table_name = 'medication_reminders' AND action = 'update' AND resource_id = $1",
      [reminder],
    );
    expect(audit.rows).toEqual([
      {
        actor_user_id: seed.vannak,
        actor_role: 'doctor',
        subject_user_id: seed.dara,
        new_values: { reminder_time: '07:15:00' },
      },
    ]);
  });

  it('notes need an active relationship with can_add_notes; private notes stay with their author', async () => {
    const note = (tx: Tx) =>
      tx.query(
        "INSERT INTO clinical_notes (doctor_id, patient_id, content) VALUES ($1, $2, 'BP 130/85') RETURNING id",
        [tx.actor.userId, seed.dara],
      );
    await expect(t().asUser(actors.sophea, note)).rejects.toMatchObject({ code: '42501' });
    await expect(t().asUser(actors.rithy, note)).rejects.toMatchObject({ code: '42501' });
    await t().asUser(actors.vannak, note);
    await expect(
      t().asUser(actors.vannak, (tx) =>
        tx.query("INSERT INTO clinical_notes (doctor_id, patient_id, content) VALUES ($1, $2, 'x')", [
          seed.vannak,
          seed.bopha,
        ]),
      ),
    ).rejects.toMatchObject({ code: '42501' });
    const privateNote = '80000000-0000-4000-8000-000000000002';
    expect(await count(actors.dara, 'clinical_notes', `id = '${privateNote}'`)).toBe(0);
    expect(await count(actors.vannak, 'clinical_notes', `id = '${privateNote}'`)).toBe(1);
  });

  it('AI chats are private to their owner, even from admins and the system', async () => {
    expect(await count(actors.admin, 'ai_chat_messages')).toBe(0);
    await expect(
      t().asUser(actors.vannak, (tx) =>
        tx.query("INSERT INTO ai_chat_conversations (user_id, title) VALUES ($1, 'x')", [seed.dara]),
      ),
    ).rejects.toMatchObject({ code: '42501' });
  });

  it('patients cannot give themselves a subscription, a role or back an erased account', async () => {
    await expect(
      t().asUser(actors.sreymom, (tx) =>
        tx.query(
          "INSERT INTO user_subscriptions (user_id, plan_id, current_period_end) VALUES ($1, $2, now() + interval '1 year')",
          [seed.sreymom, seed.plans.premiumYearly],
        ),
      ),
    ).rejects.toMatchObject({ code: '42501' });
    await expect(
      t().asUser(actors.sreymom, (tx) => tx.query("UPDATE users SET role = 'doctor' WHERE id = $1", [seed.sreymom])),
    ).rejects.toMatchObject({ code: '42501' });
    await expect(
      t().asUser(actors.admin, (tx) => tx.query("UPDATE users SET role = 'admin' WHERE id = $1", [seed.sreymom])),
    ).rejects.toMatchObject({ code: '42501' });
    const ok = await t().asUser(actors.sreymom, (tx) =>
      tx.query("UPDATE users SET language = 'en', phone = '+85516000000' WHERE id = $1", [seed.sreymom]),
    );
    expect(ok.rowCount).toBe(1);
  });

  it('self-registration: the new id in the context, role patient or doctor only', async () => {
    const id = '3fffffff-0000-4000-8000-000000000001';
    const insert = (role: string) => (tx: Tx) =>
      tx.query(
        "INSERT INTO users (id, email, password_hash, role, first_name, last_name) VALUES ($1, $2, repeat('x', 60), $3::user_role, 'Kosal', 'Prak') RETURNING id",
        [id, `kosal-${role}@example.com`, role],
      );
    await expect(t().asUser({ userId: id, role: 'patient' }, insert('admin'))).rejects.toMatchObject({ code: '42501' });
    const res = await t().asUser({ userId: id, role: 'patient' }, insert('patient'));
    expect(res.rows).toEqual([{ id }]);
    await expect(
      t().asUser({ userId: seed.dara, role: 'patient' }, (tx) =>
        tx.query(
          "INSERT INTO users (email, password_hash, first_name, last_name) VALUES ('x2@example.com', repeat('x', 60), 'A', 'B')",
        ),
      ),
    ).rejects.toMatchObject({ code: '42501' });
  });

  it('usage events: written by anyone about herself, read by admins only; audit rows only as oneself', async () => {
    await t().asUser(actors.sreymom, (tx) =>
      tx.query("INSERT INTO usage_analytics (user_id, event_type, platform) VALUES ($1, 'reminder_taken', 'ios')", [
        seed.sreymom,
      ]),
    );
    await expect(
      t().asUser(actors.sreymom, (tx) =>
        tx.query("INSERT INTO usage_analytics (user_id, event_type) VALUES ($1, 'ai_request')", [seed.dara]),
      ),
    ).rejects.toMatchObject({ code: '42501' });
    await t().asUser(actors.vannak, (tx) =>
      tx.query(
        "INSERT INTO audit_logs (actor_user_id, actor_role, action, table_name, resource_id, subject_user_id) VALUES ($1, 'doctor', 'read', 'prescriptions', 'x', $2)",
        [seed.vannak, seed.dara],
      ),
    );
    await expect(
      t().asUser(actors.vannak, (tx) =>
        tx.query("INSERT INTO audit_logs (actor_user_id, action) VALUES ($1, 'read')", [seed.sophea]),
      ),
    ).rejects.toMatchObject({ code: '42501' });
  });

  it("a patient's access log lists who read her records (metadata only)", async () => {
    const log = await t().asUser(actors.dara, (tx) =>
      tx.query<{ actor_user_id: string; action: string; actor_last_name: string }>('SELECT * FROM app_my_access_log()'),
    );
    const readers = new Set(log.rows.filter((r) => r.action === 'read').map((r) => r.actor_user_id));
    expect(readers).toEqual(new Set([seed.vannak, seed.sophea]));
    expect(Object.keys(log.rows[0] ?? {})).not.toContain('new_values');
    const none = await t().asUser(actors.rithy, (tx) =>
      tx.query("SELECT * FROM app_my_access_log() WHERE action = 'read'"),
    );
    expect(none.rowCount).toBe(0);
  });
});

describe('relationships', () => {
  it('only the patient grants permissions; a doctor can end a link but not revive it', async () => {
    const rel = '70000000-0000-4000-8000-000000000002';
    await expect(
      t().asUser(actors.sophea, (tx) =>
        tx.query('UPDATE doctor_patient_relationships SET can_add_notes = true WHERE id = $1', [rel]),
      ),
    ).rejects.toMatchObject({ code: '42501' });
    const blocked = '70000000-0000-4000-8000-000000000005';
    await expect(
      t().asUser(actors.rithy, (tx) =>
        tx.query("UPDATE doctor_patient_relationships SET status = 'active' WHERE id = $1", [blocked]),
      ),
    ).rejects.toMatchObject({ code: '42501' });
    await expect(
      t().asUser(actors.rithy, (tx) =>
        tx.query('UPDATE doctor_patient_relationships SET patient_id = $2 WHERE id = $1', [blocked, seed.mao]),
      ),
    ).rejects.toMatchObject({ code: '23514' });
  });

  it('invitations: found and accepted by code; the right role only; once', async () => {
    const code = 'srpt8wq3kd';
    const found = await t().asUser(actors.mao, (tx) =>
      tx.query('SELECT doctor_id, is_expired, inviter_last_name FROM app_find_invitation($1)', [code]),
    );
    expect(found.rows).toEqual([{ doctor_id: seed.sophea, is_expired: false, inviter_last_name: 'Lim' }]);
    expect((await t().db.pool.query('SELECT * FROM app_find_invitation($1)', [code])).rowCount).toBe(0);
    await expect(
      t().asUser(actors.rithy, (tx) => tx.query('SELECT * FROM app_accept_invitation($1)', [code])),
    ).rejects.toThrow('invitation_wrong_role');
    await expect(
      t().asUser(actors.sophea, (tx) => tx.query('SELECT * FROM app_accept_invitation($1)', [code])),
    ).rejects.toThrow('invitation_self');
    expect(await count(actors.sophea, 'users', `id = '${seed.mao}'`)).toBe(0);
    const accepted = await t().asUser(actors.mao, (tx) =>
      tx.query(
        'SELECT status, patient_id, can_modify_reminders FROM app_accept_invitation($1, p_can_modify_reminders => true)',
        [code],
      ),
    );
    expect(accepted.rows).toEqual([{ status: 'active', patient_id: seed.mao, can_modify_reminders: true }]);
    expect(await count(actors.sophea, 'users', `id = '${seed.mao}'`)).toBe(1);
    await expect(
      t().asUser(actors.mao, (tx) => tx.query('SELECT * FROM app_accept_invitation($1)', [code])),
    ).rejects.toThrow('invitation_not_found');
  });

  it('an expired invitation cannot be accepted', async () => {
    await t().owner.query(
      "UPDATE doctor_patient_relationships SET invitation_expires_at = now() - interval '1 second' WHERE invitation_code = 'KHMR4PHN7X'",
    );
    await expect(
      t().asUser(actors.sreymom, (tx) => tx.query("SELECT * FROM app_accept_invitation('KHMR4PHN7X')")),
    ).rejects.toThrow('invitation_expired');
  });

  it('access ends the moment the relationship stops being active', async () => {
    expect(await count(actors.vannak, 'prescriptions')).toBe(3);
    await t().asUser(actors.dara, (tx) =>
      tx.query(
        "UPDATE doctor_patient_relationships SET status = 'inactive', end_reason = 'changed doctor' WHERE id = '70000000-0000-4000-8000-000000000001'",
      ),
    );
    for (const table of ['prescriptions', 'medications', 'medication_reminders', 'medication_reminder_logs']) {
      expect(await count(actors.vannak, table), table).toBe(0);
    }
    expect(await count(actors.vannak, 'users', `id = '${seed.dara}'`)).toBe(0);
    expect(await count(actors.vannak, 'clinical_notes', `patient_id = '${seed.dara}'`)).toBe(0); // his own notes on her too (013)
    const ended = await t().owner.query(
      "SELECT ended_at IS NOT NULL AS ended FROM doctor_patient_relationships WHERE id = '70000000-0000-4000-8000-000000000001'",
    );
    expect(ended.rows[0]).toEqual({ ended: true });
    // Dara's other doctor still sees, until she withdraws the permission
    expect(await count(actors.sophea, 'prescriptions')).toBe(3);
    await t().asUser(actors.dara, (tx) =>
      tx.query(
        "UPDATE doctor_patient_relationships SET can_view_prescriptions = false WHERE id = '70000000-0000-4000-8000-000000000002'",
      ),
    );
    expect(await count(actors.sophea, 'prescriptions')).toBe(0);
  });
});
