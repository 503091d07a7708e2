/** Audit trail (actor, redaction, hash chain), login lockout, refresh-token rotation, and what a user's deletion takes along. */
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/db.ts';
import { createMedication, createPrescription, createReminder, createUser, seed, sha256Hex } from './fixtures.ts';

const t = useTestDatabase();
// DROP DATABASE … WITH (FORCE) may reach an owner connection that is still closing.
beforeAll(() => void t().owner.on('error', () => undefined));

async function verify(): Promise<{
  ok: boolean;
  first_bad_seq: string | null;
  problem: string | null;
  pending_rows: string | null;
}> {
  const res = await t().owner.query<{
    ok: boolean;
    first_bad_seq: string | null;
    problem: string | null;
    pending_rows: string | null;
  }>('SELECT ok, first_bad_seq, problem, pending_rows FROM app_audit_verify()');
  return res.rows[0]!;
}

/** One call of the sealer, as the service makes it (its own login, no context). */
async function seal(): Promise<number> {
  const c = await t().db.pool.connect();
  try {
    return (await c.query<{ n: number }>('SELECT app_audit_seal() AS n')).rows[0]!.n;
  } finally {
    c.release();
  }
}

/**
 * Seals until everything committed is in the chain and the sealed horizon has settled (it waits
 * for every transaction of the cluster that was open at the previous call: other test files'
 * databases share the xid counter, so this may take a few calls).
 */
async function sealAll(): Promise<void> {
  for (let i = 0; i < 200; i++) {
    await seal();
    const head = await t().owner.query<{ settled: boolean }>(
      `SELECT h.sealed_through = coalesce(h.horizon_seq, h.sealed_through)
              AND h.sealed_through >= (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM audit_logs_seq) AS settled
         FROM audit_chain_head h`,
    );
    if (head.rows[0]?.settled === true && i >= 1) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the sealed horizon did not settle');
}

describe('audit trail', () => {
  it('records changes with the acting user, only the changed columns, secrets redacted', async () => {
    const p = await createUser(t().owner);
    await t().db.withUser(
      { userId: p, role: 'patient' },
      (tx) => tx.query("UPDATE users SET language = 'fr', password_hash = repeat('y', 60) WHERE id = $1", [p]),
      { ip: '203.0.113.9', userAgent: 'vitest' },
    );
    const rows = await t().owner.query(
      "SELECT actor_user_id, actor_role, action, subject_user_id, old_values, new_values, host(ip_address) AS ip, user_agent FROM audit_logs WHERE table_name = 'users' AND resource_id = $1 AND action = 'update'",
      [p],
    );
    expect(rows.rows).toEqual([
      {
        actor_user_id: p,
        actor_role: 'patient',
        action: 'update',
        subject_user_id: p,
        old_values: { language: 'km', password_hash: '[REDACTED]', password_changed_at: null },
        new_values: { language: 'fr', password_hash: '[REDACTED]', password_changed_at: expect.any(String) },
        ip: '203.0.113.9',
        user_agent: 'vitest',
      },
    ]);
    const inserted = await t().owner.query(
      "SELECT new_values->>'password_hash' AS h FROM audit_logs WHERE table_name = 'users' AND resource_id = $1 AND action = 'insert'",
      [p],
    );
    expect(inserted.rows).toEqual([{ h: '[REDACTED]' }]);
  });

  it('inserts and deletes of medical records are recorded; operational columns alone are not', async () => {
    const db = t().owner;
    const p = await createUser(db);
    const rx = await createPrescription(db, p);
    const r = await createReminder(db, await createMedication(db, rx, p), p);
    const before = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_logs')).rows[0]!.n;
    await t().asUser({ userId: null, role: 'system' }, (tx) =>
      tx.query(
        "UPDATE medication_reminders SET next_reminder_at = now() + interval '1 day', last_dispatched_at = now() WHERE id = $1",
        [r],
      ),
    );
    expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_logs')).rows[0]!.n).toBe(before);
    await t().asUser({ userId: p, role: 'patient' }, (tx) => tx.query('DELETE FROM prescriptions WHERE id = $1', [rx]));
    const deleted = await db.query<{ table_name: string; actor_user_id: string }>(
      "SELECT table_name, actor_user_id FROM audit_logs WHERE action = 'delete' AND subject_user_id = $1 ORDER BY seq",
      [p],
    );
    expect(deleted.rows.map((x) => x.table_name).sort()).toEqual([
      'medication_reminders',
      'medications',
      'prescriptions',
    ]);
    expect(new Set(deleted.rows.map((x) => x.actor_user_id))).toEqual(new Set([p]));
  });

  it('forms a verifiable chain, also under concurrent writers and sealers; rolled-back rows leave gaps only', async () => {
    const users = await Promise.all(Array.from({ length: 6 }, () => createUser(t().owner)));
    await Promise.all([
      ...users.flatMap((u) =>
        Array.from({ length: 4 }, (_, i) =>
          t().asUser({ userId: u, role: 'patient' }, async (tx) => {
            await tx.query(
              "INSERT INTO audit_logs (actor_user_id, actor_role, action, table_name, resource_id) VALUES ($1, 'patient', 'read', 'prescriptions', $2)",
              [u, String(i)],
            );
            await tx.query('UPDATE users SET first_name = $2 WHERE id = $1', [u, `N${i}`]);
          }),
        ),
      ),
      ...Array.from({ length: 4 }, () => seal()),
    ]);
    await t()
      .asUser({ userId: users[0]!, role: 'patient' }, async (tx) => {
        await tx.query(
          "INSERT INTO audit_logs (actor_user_id, actor_role, action, table_name) VALUES ($1, 'patient', 'read', 'prescriptions')",
          [users[0]],
        );
        await tx.query('ROLLBACK');
      })
      .catch(() => undefined);
    await sealAll();
    expect(await verify()).toEqual({ ok: true, first_bad_seq: null, problem: null, pending_rows: '0' });
    const chain = await t().owner.query<{ rows: number; seals: number; gapless: boolean }>(
      `SELECT (SELECT count(*)::int FROM audit_logs) AS rows, count(*)::int AS seals, max(position) = count(*) AS gapless FROM audit_chain`,
    );
    expect(chain.rows[0]).toEqual({ rows: chain.rows[0]!.seals, seals: chain.rows[0]!.rows, gapless: true });
  });

  it('seals a row committed late below rows already sealed, and never passes over an open transaction', async () => {
    const u = await createUser(t().owner);
    const late = await t().db.pool.connect();
    try {
      await late.query('BEGIN');
      await late.query("SELECT set_config('app.user_id', $1, true), set_config('app.user_role', 'patient', true)", [u]);
      await late.query(
        "INSERT INTO audit_logs (actor_user_id, actor_role, action, table_name, resource_id) VALUES ($1, 'patient', 'read', 'prescriptions', 'late')",
        [u],
      );
      const lateSeq = await t().owner.query<{ seq: string }>('SELECT last_value::text AS seq FROM audit_logs_seq');
      await t().asUser({ userId: u, role: 'patient' }, (tx) =>
        tx.query(
          "INSERT INTO audit_logs (actor_user_id, actor_role, action, table_name, resource_id) VALUES ($1, 'patient', 'read', 'prescriptions', 'early')",
          [u],
        ),
      );
      for (let i = 0; i < 3; i++) await seal();
      const head = await t().owner.query<{ sealed_through: string }>(
        'SELECT sealed_through::text FROM audit_chain_head',
      );
      expect(BigInt(head.rows[0]!.sealed_through)).toBeLessThan(BigInt(lateSeq.rows[0]!.seq));
      const v = await verify();
      expect(v.ok).toBe(true);
      await late.query('COMMIT');
    } finally {
      await late.query('ROLLBACK').catch(() => undefined);
      late.release();
    }
    await sealAll();
    const sealed = await t().owner.query<{ resource_id: string }>(
      `SELECT l.resource_id FROM audit_logs l JOIN audit_chain c ON c.seq = l.seq WHERE l.actor_user_id = $1 ORDER BY c.position`,
      [u],
    );
    expect(sealed.rows.map((r) => r.resource_id).filter((r) => r === 'late' || r === 'early')).toEqual([
      'early',
      'late',
    ]);
    expect(await verify()).toEqual({ ok: true, first_bad_seq: null, problem: null, pending_rows: '0' });
  });

  it('counts rows not sealed yet as pending; the writer cannot choose seq or time', async () => {
    await sealAll();
    const u = await createUser(t().owner);
    await sealAll();
    // a time of this month is replaced by the clock; one of another month is refused (migration
    // 030: the row would have to move to another partition)
    const monthStart = "(date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')";
    await t().asUser({ userId: u, role: 'patient' }, (tx) =>
      tx.query(
        `INSERT INTO audit_logs (seq, created_at, actor_user_id, actor_role, action, table_name, resource_id) VALUES (1, ${monthStart}, $1, 'patient', 'read', 'prescriptions', 'chosen')`,
        [u],
      ),
    );
    await expect(
      t().asUser({ userId: u, role: 'patient' }, (tx) =>
        tx.query(
          "INSERT INTO audit_logs (seq, created_at, actor_user_id, actor_role, action, table_name, resource_id) VALUES (2, '2000-01-01', $1, 'patient', 'read', 'prescriptions', 'back-dated')",
          [u],
        ),
      ),
    ).rejects.toThrow(/another partition/);
    const row = await t().owner.query<{ seq: string; created_at: Date; month_start: Date }>(
      `SELECT seq::text, created_at, ${monthStart} AS month_start FROM audit_logs WHERE actor_user_id = $1 AND resource_id = 'chosen'`,
      [u],
    );
    expect(row.rows[0]!.seq).not.toBe('1');
    expect(row.rows[0]!.created_at.getTime()).toBeGreaterThan(row.rows[0]!.month_start.getTime());
    expect(await verify()).toEqual({ ok: true, first_bad_seq: null, problem: null, pending_rows: '1' });
    await sealAll();
    expect((await verify()).pending_rows).toBe('0');
  });

  it('never passes over a writer still open, even when nothing else commits meanwhile', async () => {
    await sealAll();
    const u = await createUser(t().owner);
    await sealAll();
    const writer = await t().db.pool.connect();
    try {
      await writer.query('BEGIN');
      await writer.query("SELECT set_config('app.user_id', $1, true), set_config('app.user_role', 'patient', true)", [
        u,
      ]);
      await writer.query(
        "INSERT INTO audit_logs (actor_user_id, actor_role, action, table_name, resource_id) VALUES ($1, 'patient', 'read', 'prescriptions', 'lonely')",
        [u],
      );
      for (let i = 0; i < 4; i++) expect(await seal()).toBe(0);
      await writer.query('COMMIT');
    } finally {
      await writer.query('ROLLBACK').catch(() => undefined);
      writer.release();
    }
    await sealAll();
    const sealed = await t().owner.query(
      "SELECT 1 FROM audit_logs l JOIN audit_chain c ON c.seq = l.seq WHERE l.resource_id = 'lonely'",
    );
    expect(sealed.rowCount).toBe(1);
    expect(await verify()).toEqual({ ok: true, first_bad_seq: null, problem: null, pending_rows: '0' });
  });

  it('a sealer called inside a REPEATABLE READ transaction never passes over a row either', async () => {
    await sealAll();
    const u = await createUser(t().owner);
    const writer = await t().db.pool.connect();
    const sealer = await t().db.pool.connect();
    try {
      await writer.query('BEGIN');
      await writer.query("SELECT set_config('app.user_id', $1, true), set_config('app.user_role', 'patient', true)", [
        u,
      ]);
      await writer.query(
        "INSERT INTO audit_logs (actor_user_id, actor_role, action, table_name, resource_id) VALUES ($1, 'patient', 'read', 'prescriptions', 'rr')",
        [u],
      );
      for (let i = 0; i < 3; i++) {
        await sealer.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
        await sealer.query('SELECT 1');
        await sealer.query('SELECT app_audit_seal()');
        await sealer.query('COMMIT');
      }
      await writer.query('COMMIT');
    } finally {
      await writer.query('ROLLBACK').catch(() => undefined);
      await sealer.query('ROLLBACK').catch(() => undefined);
      writer.release();
      sealer.release();
    }
    await sealAll();
    expect(await verify()).toEqual({ ok: true, first_bad_seq: null, problem: null, pending_rows: '0' });
  });

  it('fails the check when a row stays unsealed too long (no sealer, or its lock held)', async () => {
    await sealAll();
    await createUser(t().owner); // writes audit rows, not sealed yet
    const res = await t().owner.query<{ ok: boolean; problem: string; pending_rows: string }>(
      "SELECT ok, problem, pending_rows::text FROM app_audit_verify(interval '-1 second')",
    );
    expect(res.rows[0]?.ok).toBe(false);
    expect(res.rows[0]?.problem).toMatch(/not sealed/);
    expect(Number(res.rows[0]?.pending_rows)).toBeGreaterThan(0);
    await sealAll();
    expect((await verify()).ok).toBe(true);
  });

  it('a sealer with nothing to do writes nothing; a second sealer at the same time returns at once', async () => {
    await sealAll();
    const version = async (): Promise<string> =>
      (await t().owner.query<{ v: string }>('SELECT xmin::text AS v FROM audit_chain_head')).rows[0]!.v;
    const before = await version();
    expect(await seal()).toBe(0);
    expect(await seal()).toBe(0);
    expect(await version()).toBe(before);

    const u = await createUser(t().owner);
    const first = await t().db.pool.connect();
    try {
      await first.query('BEGIN');
      await first.query('SELECT app_audit_seal()'); // holds the sealer's lock until COMMIT
      await t().asUser({ userId: u, role: 'patient' }, (tx) =>
        tx.query(
          "INSERT INTO audit_logs (actor_user_id, actor_role, action, table_name) VALUES ($1, 'patient', 'read', 'prescriptions')",
          [u],
        ),
      );
      expect(await seal()).toBe(-1); // busy: says so, seals nothing
      await first.query('COMMIT');
    } finally {
      await first.query('ROLLBACK').catch(() => undefined);
      first.release();
    }
    expect(await seal()).toBeGreaterThan(0);
  });

  it('names the first edited, deleted or back-dated row, a broken seal, and a row slipped in below the sealed horizon', async () => {
    await sealAll();
    const client = await t().owner.connect();
    try {
      const { rows } = await client.query<{ seq: string }>(
        'SELECT seq::text FROM audit_chain ORDER BY position LIMIT 1 OFFSET 3',
      );
      const seq = rows[0]!.seq;
      for (const tamper of [
        `UPDATE audit_logs SET action = 'read' WHERE seq = ${seq}`,
        `UPDATE audit_logs SET new_values = '{"language": "en"}' WHERE seq = ${seq}`,
        `UPDATE audit_logs SET created_at = created_at - interval '1 day' WHERE seq = ${seq}`,
        `DELETE FROM audit_logs WHERE seq = ${seq}`,
        `UPDATE audit_logs SET redacted_at = now(), actor_user_id = gen_random_uuid() WHERE seq = ${seq}`,
        `UPDATE audit_chain SET payload_hash = repeat('0', 64) WHERE seq = ${seq}`,
        `DELETE FROM audit_chain WHERE seq = ${seq}`,
        // a row slipped in below the horizon, triggers off, with a seq the sealer will never look at again
        `ALTER TABLE audit_logs DISABLE TRIGGER USER;
         INSERT INTO audit_logs (seq, actor_role, action, table_name) VALUES (${seq} - 1000000, 'admin', 'read', 'prescriptions');
         ALTER TABLE audit_logs ENABLE TRIGGER USER`,
      ]) {
        await client.query('BEGIN');
        await client.query(tamper);
        const res = await client.query<{ ok: boolean; first_bad_seq: string }>(
          'SELECT ok, first_bad_seq::text FROM app_audit_verify()',
        );
        expect(res.rows[0], tamper).toEqual({
          ok: false,
          first_bad_seq: tamper.includes('1000000') ? String(BigInt(seq) - 1000000n) : seq,
        });
        await client.query('ROLLBACK');
      }
      await client.query('BEGIN');
      await client.query('DELETE FROM audit_chain WHERE position = (SELECT max(position) FROM audit_chain)');
      expect((await client.query('SELECT ok FROM app_audit_verify()')).rows[0]).toEqual({ ok: false });
      await client.query('ROLLBACK');
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
    }
    expect((await verify()).ok).toBe(true);
  });

  it("erasure blanks a user's personal audit data and keeps the chain intact", async () => {
    const p = await createUser(t().owner);
    await t().db.withUser(
      { userId: p, role: 'patient' },
      (tx) => tx.query("UPDATE users SET phone = '+85512111222' WHERE id = $1", [p]),
      { ip: '198.51.100.7' },
    );
    await expect(
      t().asUser({ userId: seed.dara, role: 'patient' }, (tx) => tx.query('SELECT app_audit_erase_user($1)', [p])),
    ).rejects.toMatchObject({ code: '42501' });
    // a living account is never erased: the users row goes first, in the same transaction
    await expect(
      t().asUser({ userId: p, role: 'patient' }, (tx) => tx.query('SELECT app_audit_erase_user($1)', [p])),
    ).rejects.toMatchObject({ code: '55000' });
    const n = await t().asUser({ userId: p, role: 'patient' }, async (tx) => {
      await tx.query('DELETE FROM users WHERE id = $1', [p]);
      return tx.query<{ n: number }>('SELECT app_audit_erase_user($1) AS n', [p]);
    });
    expect(n.rows[0]?.n).toBeGreaterThanOrEqual(2);
    const left = await t().owner.query(
      'SELECT count(*)::int AS n FROM audit_logs WHERE actor_user_id = $1 OR subject_user_id = $1 OR (resource_id = $1::text AND new_values IS NOT NULL)',
      [p],
    );
    expect(left.rows[0]).toEqual({ n: 0 });
    expect((await verify()).ok).toBe(true);
  });

  it('patients cannot verify the chain; admins can', async () => {
    await expect(
      t().asUser({ userId: seed.dara, role: 'patient' }, (tx) => tx.query('SELECT * FROM app_audit_verify()')),
    ).rejects.toMatchObject({ code: '42501' });
    const admin = await createUser(t().owner, { role: 'admin' });
    const res = await t().asUser({ userId: admin, role: 'admin' }, (tx) =>
      tx.query<{ ok: boolean }>('SELECT ok FROM app_audit_verify()'),
    );
    expect(res.rows[0]?.ok).toBe(true);
  });
});

describe('login', () => {
  it('finds the account by e-mail in any case, before any context exists', async () => {
    const id = await createUser(t().owner, { email: 'Chanthy.Meas@Example.com' });
    const res = await t().db.pool.query('SELECT id, role, is_active, failed_login_count FROM app_auth_find_user($1)', [
      ' chanthy.meas@EXAMPLE.com ',
    ]);
    expect(res.rows).toEqual([{ id, role: 'patient', is_active: true, failed_login_count: 0 }]);
    expect((await t().db.pool.query('SELECT * FROM app_auth_find_user($1)', ['nobody@example.com'])).rowCount).toBe(0);
  });

  it('locks after 5 failures within 15 minutes, writes an audit row, and a success clears it', async () => {
    const id = await createUser(t().owner);
    const fail = async () =>
      (
        await t().db.pool.query<{ until: Date | null }>(
          "SELECT app_auth_record_login_failure($1, 5, '15 minutes', '15 minutes') AS until",
          [id],
        )
      ).rows[0]?.until;
    for (let i = 0; i < 4; i++) expect(await fail()).toBeNull();
    const until = await fail();
    expect(until).toBeInstanceOf(Date);
    expect((until as Date).getTime() - Date.now()).toBeGreaterThan(14 * 60_000);
    const audit = await t().owner.query(
      "SELECT action FROM audit_logs WHERE action = 'lockout' AND subject_user_id = $1",
      [id],
    );
    expect(audit.rowCount).toBe(1);
    await t().db.pool.query('SELECT app_auth_record_login_success($1)', [id]);
    const after = await t().owner.query(
      'SELECT failed_login_count, locked_until, last_login_at IS NOT NULL AS logged FROM users WHERE id = $1',
      [id],
    );
    expect(after.rows[0]).toEqual({ failed_login_count: 0, locked_until: null, logged: true });
  });

  it('failures older than the window start a new count', async () => {
    const id = await createUser(t().owner);
    for (let i = 0; i < 4; i++)
      await t().db.pool.query("SELECT app_auth_record_login_failure($1, 5, '15 minutes', '15 minutes')", [id]);
    await t().owner.query("UPDATE users SET failed_login_window_start = now() - interval '16 minutes' WHERE id = $1", [
      id,
    ]);
    const res = await t().db.pool.query(
      "SELECT app_auth_record_login_failure($1, 5, '15 minutes', '15 minutes') AS until",
      [id],
    );
    expect(res.rows[0]).toEqual({ until: null });
    expect((await t().owner.query('SELECT failed_login_count FROM users WHERE id = $1', [id])).rows[0]).toEqual({
      failed_login_count: 1,
    });
  });
});

describe('refresh tokens', () => {
  it('rotate once; the old token coming back revokes the whole session', async () => {
    const id = await createUser(t().owner);
    const [h1, h2, h3] = ['t1', 't2', 't3'].map((x) => sha256Hex(`${id}-${x}`)) as [string, string, string];
    await t().asUser({ userId: id, role: 'patient' }, (tx) =>
      tx.query(
        "INSERT INTO user_sessions (user_id, refresh_token_hash, expires_at, ip_address) VALUES ($1, $2, now() + interval '30 days', '10.0.0.1')",
        [id, h1],
      ),
    );
    const rotate = async (oldHash: string, newHash: string) =>
      (
        await t().db.pool.query<{ result: string; user_id: string | null }>(
          'SELECT result, user_id FROM app_session_rotate($1, $2)',
          [oldHash, newHash],
        )
      ).rows[0];
    expect(await rotate(h1, h2)).toEqual({ result: 'rotated', user_id: id });
    const lookup = await t().db.pool.query(
      'SELECT user_id, is_rotated, revoked_at FROM app_session_by_refresh_hash($1)',
      [h1],
    );
    expect(lookup.rows).toEqual([{ user_id: id, is_rotated: true, revoked_at: null }]);
    expect(await rotate(h1, h3)).toEqual({ result: 'reuse_detected', user_id: id });
    expect(await rotate(h2, h3)).toEqual({ result: 'revoked', user_id: id });
    const session = await t().owner.query(
      'SELECT revoke_reason, rotation_count FROM user_sessions WHERE user_id = $1',
      [id],
    );
    expect(session.rows).toEqual([{ revoke_reason: 'refresh_token_reuse', rotation_count: 1 }]);
    expect(await rotate(sha256Hex('unknown'), h3)).toEqual({ result: 'not_found', user_id: null });
  });

  it("an expired session does not rotate; a deactivated user's session is revoked", async () => {
    const id = await createUser(t().owner);
    const [h1, h2, h3] = ['e1', 'e2', 'e3'].map((x) => sha256Hex(`${id}-${x}`)) as [string, string, string];
    await t().owner.query(
      "INSERT INTO user_sessions (user_id, refresh_token_hash, expires_at) VALUES ($1, $2, now() - interval '1 second'), ($1, $3, now() + interval '1 day')",
      [id, h1, h2],
    );
    expect((await t().db.pool.query('SELECT result FROM app_session_rotate($1, $2)', [h1, h3])).rows[0]).toEqual({
      result: 'expired',
    });
    await t().owner.query('UPDATE users SET is_active = false WHERE id = $1', [id]);
    expect((await t().db.pool.query('SELECT result FROM app_session_rotate($1, $2)', [h2, h3])).rows[0]).toEqual({
      result: 'user_inactive',
    });
  });
});

describe("a user's deletion", () => {
  it('cascades to her medical records, keeps payments and events anonymously, and keeps the audit trail', async () => {
    const db = t().owner;
    const p = await createUser(db);
    const d = await createUser(db, { role: 'doctor' });
    const rx = await createPrescription(db, p);
    const r = await createReminder(db, await createMedication(db, rx, p), p);
    await db.query(
      'INSERT INTO medication_reminder_logs (reminder_id, patient_id, scheduled_for) VALUES ($1, $2, now())',
      [r, p],
    );
    await db.query(
      "INSERT INTO doctor_patient_relationships (doctor_id, patient_id, status, initiated_by) VALUES ($1, $2, 'active', 'doctor')",
      [d, p],
    );
    await db.query("INSERT INTO clinical_notes (doctor_id, patient_id, content) VALUES ($1, $2, 'note')", [d, p]);
    await db.query("INSERT INTO notifications (user_id, type, title) VALUES ($1, 'system', 'hello')", [p]);
    await db.query(
      "INSERT INTO user_sessions (user_id, refresh_token_hash, expires_at) VALUES ($1, $2, now() + interval '1 day')",
      [p, sha256Hex(`${p}-s`)],
    );
    await db.query(
      "INSERT INTO payment_transactions (user_id, amount, status, provider, paid_at) VALUES ($1, 0.50, 'completed', 'aba_payway', now())",
      [p],
    );
    await db.query("INSERT INTO usage_analytics (user_id, event_type) VALUES ($1, 'login')", [p]);
    await db.query(
      "INSERT INTO user_subscriptions (user_id, plan_id, current_period_end) VALUES ($1, $2, now() + interval '1 month')",
      [p, seed.plans.premiumMonthly],
    );
    const conv = await db.query<{ id: string }>(
      'INSERT INTO ai_chat_conversations (user_id) VALUES ($1) RETURNING id',
      [p],
    );
    await db.query(
      "INSERT INTO ai_chat_messages (conversation_id, user_id, role, content) VALUES ($1, $2, 'user', 'hi')",
      [conv.rows[0]!.id, p],
    );
    const auditBefore = (
      await db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_logs WHERE subject_user_id = $1', [p])
    ).rows[0]!.n;

    // the patient erases her own account through the service
    await t().asUser({ userId: p, role: 'patient' }, (tx) => tx.query('DELETE FROM users WHERE id = $1', [p]));

    for (const table of [
      'prescriptions',
      'medications',
      'medication_reminders',
      'medication_reminder_logs',
      'clinical_notes',
      'notifications',
      'user_sessions',
      'user_subscriptions',
      'ai_chat_conversations',
      'ai_chat_messages',
    ]) {
      const col = [
        'user_sessions',
        'notifications',
        'user_subscriptions',
        'ai_chat_conversations',
        'ai_chat_messages',
      ].includes(table)
        ? 'user_id'
        : 'patient_id';
      const res = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE ${col} = $1`, [p]);
      expect(res.rows[0]?.n, table).toBe(0);
    }
    expect(
      (await db.query('SELECT count(*)::int AS n FROM doctor_patient_relationships WHERE patient_id = $1', [p]))
        .rows[0],
    ).toEqual({ n: 0 });
    expect(
      (
        await db.query(
          "SELECT count(*)::int AS n FROM payment_transactions WHERE user_id IS NULL AND provider = 'aba_payway' AND amount = 0.50 AND status = 'completed'",
        )
      ).rows[0],
    ).toEqual({ n: 1 });
    expect(
      (await db.query("SELECT count(*)::int AS n FROM usage_analytics WHERE user_id IS NULL AND event_type = 'login'"))
        .rows[0],
    ).toEqual({ n: 1 });
    const auditAfter = (
      await db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_logs WHERE subject_user_id = $1', [p])
    ).rows[0]!.n;
    expect(auditAfter).toBeGreaterThan(auditBefore);
    expect((await verify()).ok).toBe(true);
  });

  it("a doctor's deletion keeps his notes in the patient's record, author nulled", async () => {
    const db = t().owner;
    const p = await createUser(db);
    const d = await createUser(db, { role: 'doctor' });
    await db.query("INSERT INTO clinical_notes (doctor_id, patient_id, content) VALUES ($1, $2, 'keep me')", [d, p]);
    await db.query('DELETE FROM users WHERE id = $1', [d]);
    expect((await db.query('SELECT doctor_id FROM clinical_notes WHERE patient_id = $1', [p])).rows).toEqual([
      { doctor_id: null },
    ]);
  });
});

describe('the service role', () => {
  it('is no superuser, cannot bypass RLS and owns nothing', async () => {
    const role = await t().owner.query("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'dastern_app'");
    expect(role.rows[0]).toEqual({ rolsuper: false, rolbypassrls: false });
    const owned = await t().owner.query(
      "SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = 'dastern_app'",
    );
    expect(owned.rows[0]).toEqual({ n: 0 });
  });

  it('every table with personal data has RLS enabled and forced; every foreign key leads an index', async () => {
    const rls = await t().owner.query<{ relname: string }>(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind = 'r' AND NOT (c.relrowsecurity AND c.relforcerowsecurity) ORDER BY c.relname`,
    );
    // reference data, the audit chain's seals and erasure records (hashes only) and the receipt
    // numbers' counter (no personal data): the service role has no grant on them
    expect(rls.rows.map((r) => r.relname)).toEqual([
      'audit_chain',
      'audit_chain_head',
      'audit_redactions',
      'billing_receipt_series',
      'subscription_plans',
    ]);
    const sealGrants = await t().owner.query<{ table_name: string }>(
      `SELECT t FROM unnest(ARRAY['audit_chain', 'audit_chain_head', 'audit_redactions', 'billing_receipt_series']) t
        WHERE has_table_privilege('dastern_app', t, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE')`,
    );
    expect(sealGrants.rows).toEqual([]);
    const unindexed = await t().owner.query<{ fk: string }>(
      `SELECT con.conrelid::regclass || '.' || con.conname AS fk FROM pg_constraint con
       WHERE con.contype = 'f' AND con.connamespace = 'public'::regnamespace
         AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = con.conrelid
                         AND (i.indkey::int2[])[0] = con.conkey[1])`,
    );
    expect(unindexed.rows).toEqual([]);
  });

  it('the security-definer functions are not executable by PUBLIC', async () => {
    const res = await t().owner.query<{ proname: string }>(
      `SELECT p.proname FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace AND p.prosecdef
         AND has_function_privilege('public', p.oid, 'EXECUTE')
         AND p.proname NOT LIKE 'trg\\_%'`,
    );
    expect(res.rows).toEqual([]);
  });
});
