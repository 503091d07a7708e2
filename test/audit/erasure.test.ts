/**
 * Erasing a reader's account keeps the patient's record that someone
 * read her file; every redaction is a sealed erasure event that verify demands; nobody erases
 * a living account. Each attack is performed, then shown to do no harm.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { useApi, register, makeAdmin, type ApiHarness } from '../support/api.ts';
import { addPrescription, connect } from '../support/api-fixtures.ts';
import { verifyAuditChain } from '../../src/cli/audit.ts';

const api = useApi();

/** A doctor who read a patient's prescription through the API, then erased his account. */
async function erasedReader(h: ApiHarness) {
  const doctor = await register(h, 'doctor');
  const patient = await register(h, 'patient');
  await connect(h, doctor, patient);
  const rx = await addPrescription(h, patient.id);
  expect((await h.call('GET', `/care/patients/${patient.id}/prescriptions`, { token: doctor.access })).statusCode).toBe(
    200,
  );
  const erased = await h.call('DELETE', '/me', {
    token: doctor.access,
    body: { password: doctor.password, confirm: 'DELETE' },
  });
  expect(erased.statusCode, erased.body).toBe(200);
  return { doctor, patient, rx };
}

/** Runs fn on an owner connection inside a transaction that is always rolled back, then verify's answer. */
async function tamper(
  h: ApiHarness,
  fn: (c: pg.Client) => Promise<void>,
): Promise<{ ok: boolean; first_bad_seq: string | null; problem: string | null }> {
  expect((await verifyAuditChain(h.t.ownerUrl)).ok).toBe(true); // sealed and sound before
  const c = new pg.Client({ connectionString: h.t.ownerUrl });
  await c.connect();
  try {
    await c.query('BEGIN');
    await fn(c);
    const r = await c.query<{ ok: boolean; first_bad_seq: string | null; problem: string | null }>(
      'SELECT ok, first_bad_seq, problem FROM app_audit_verify()',
    );
    return r.rows[0] as { ok: boolean; first_bad_seq: string | null; problem: string | null };
  } finally {
    await c.query('ROLLBACK');
    await c.end();
  }
}

describe("erasing a reader keeps the patient's access log (item 1)", () => {
  it('the doctor\'s reads stay in her access log and export as "a doctor (account deleted)", subject kept, chain sound', async () => {
    const h = api();
    const { doctor, patient, rx } = await erasedReader(h);
    const log = (await h.call('GET', '/me/access-log', { token: patient.access })).json().items as Record<
      string,
      unknown
    >[];
    const read = log.find((r) => r.table_name === 'prescriptions' && r.resource_id === rx && r.action === 'read');
    expect(read).toMatchObject({
      actor_user_id: null,
      actor_role: 'doctor',
      actor_name: 'a doctor (account deleted)',
      action: 'read',
    });
    const exported = (await h.call('GET', '/me/export', { token: patient.access })).json().access_log as Record<
      string,
      unknown
    >[];
    expect(
      exported.find((r) => r.table_name === 'prescriptions' && r.resource_id === rx && r.action === 'read'),
    ).toMatchObject({ actor_user_id: null, actor_name: 'a doctor (account deleted)' });
    // an admin still finds it by the patient; nothing of the doctor's identity is left
    const rows = await h.t.owner.query(
      `SELECT actor_user_id, ip_address, user_agent, new_values, redacted_at IS NOT NULL AS redacted FROM audit_logs
        WHERE subject_user_id = $1 AND table_name = 'prescriptions' AND action = 'read'`,
      [patient.id],
    );
    expect(rows.rows).toEqual([
      { actor_user_id: null, ip_address: null, user_agent: null, new_values: null, redacted: true },
    ]);
    const traces = await h.t.owner.query(
      `SELECT count(*)::int AS n FROM audit_logs WHERE actor_user_id = $1 OR subject_user_id = $1 OR ip_address IS NOT NULL AND table_name = 'users' AND resource_id = $1::text
          OR old_values::text LIKE '%' || $1 || '%' OR new_values::text LIKE '%' || $1 || '%'`,
      [doctor.id],
    );
    expect(traces.rows[0]).toEqual({ n: 0 });
    // the erasure is a sealed event that names what it redacted
    const ev = await h.t.owner.query<{
      resource_id: string;
      new_values: { redacted_rows: number; seq_ranges: number[][]; digest: string };
    }>(`SELECT resource_id, new_values FROM audit_logs WHERE action = 'erase_user' ORDER BY seq DESC LIMIT 1`);
    expect(ev.rows[0]?.resource_id).toMatch(/^seq \d+\.\.\d+$/);
    expect(ev.rows[0]?.new_values.redacted_rows).toBeGreaterThan(0);
    expect(ev.rows[0]?.new_values.digest).toMatch(/^[0-9a-f]{64}$/);
    const v = await verifyAuditChain(h.t.ownerUrl);
    expect(v.ok, v.problem ?? '').toBe(true);
    const admin = await makeAdmin(h);
    expect((await h.call('GET', '/admin/audit/verify', { token: admin.access })).json().ok).toBe(true);
  });
});

describe("redaction inside the chain's guarantees (item 2)", () => {
  it("neither the service's login nor the jobs' as 'system' can erase a living doctor's trail; nothing is blanked", async () => {
    const h = api();
    const doctor = await register(h, 'doctor');
    const patient = await register(h, 'patient');
    await connect(h, doctor, patient);
    await addPrescription(h, patient.id);
    expect(
      (await h.call('GET', `/care/patients/${patient.id}/prescriptions`, { token: doctor.access })).statusCode,
    ).toBe(200);
    // the API's login is never 'system' (migration 014): refused before anything else; the jobs'
    // login is 'system', and even it cannot erase a living account (55000)
    for (const [url, refusal] of [
      [h.t.appUrl, { message: expect.stringMatching(/permission denied/) }],
      [h.t.workerUrl, { code: '55000' }],
    ] as const) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query('BEGIN');
        await c.query(`SELECT set_config('app.user_role', 'system', true)`);
        await expect(c.query('SELECT app_audit_erase_user($1)', [doctor.id])).rejects.toMatchObject(refusal);
        await c.query('ROLLBACK');
      } finally {
        await c.end();
      }
    }
    const kept = await h.t.owner.query(
      'SELECT count(*)::int AS n FROM audit_logs WHERE actor_user_id = $1 AND redacted_at IS NULL',
      [doctor.id],
    );
    expect(kept.rows[0]?.n).toBeGreaterThan(0);
    expect((await verifyAuditChain(h.t.ownerUrl)).ok).toBe(true);
  });

  it('a plain UPDATE that blanks a sealed row and sets redacted_at fails verify, which names the row', async () => {
    const h = api();
    const doctor = await register(h, 'doctor');
    const patient = await register(h, 'patient');
    await connect(h, doctor, patient);
    await addPrescription(h, patient.id);
    expect(
      (await h.call('GET', `/care/patients/${patient.id}/prescriptions`, { token: doctor.access })).statusCode,
    ).toBe(200);
    await verifyAuditChain(h.t.ownerUrl);
    const target = (
      await h.t.owner.query<{ seq: string }>(
        `SELECT seq::text FROM audit_logs WHERE actor_user_id = $1 AND action = 'read' ORDER BY seq LIMIT 1`,
        [doctor.id],
      )
    ).rows[0]?.seq;
    expect(target).toBeDefined();
    const r = await tamper(h, async (c) => {
      await c.query(
        `UPDATE audit_logs SET actor_user_id = NULL, subject_user_id = NULL, ip_address = NULL, user_agent = NULL, new_values = NULL, redacted_at = now() WHERE seq = $1`,
        [target],
      );
    });
    expect(r).toMatchObject({ ok: false, first_bad_seq: target });
    expect(r.problem).toMatch(/no sealed erasure/);
  });

  it('after a real erasure: editing the kept subject, dropping or forging a redaction entry all fail verify', async () => {
    const h = api();
    const { patient, rx } = await erasedReader(h);
    const other = await register(h, 'patient');
    await verifyAuditChain(h.t.ownerUrl);
    const row = (
      await h.t.owner.query<{ seq: string }>(
        `SELECT seq::text FROM audit_logs WHERE subject_user_id = $1 AND table_name = 'prescriptions' AND resource_id = $2 AND action = 'read'`,
        [patient.id, rx],
      )
    ).rows[0]?.seq;
    const event = (
      await h.t.owner.query<{ seq: string }>(
        `SELECT seq::text FROM audit_logs WHERE action = 'erase_user' ORDER BY seq DESC LIMIT 1`,
      )
    ).rows[0]?.seq;
    // move the patient's record of the read onto somebody else
    const moved = await tamper(h, (c) =>
      c.query('UPDATE audit_logs SET subject_user_id = $2 WHERE seq = $1', [row, other.id]).then(() => undefined),
    );
    expect(moved).toMatchObject({ ok: false, first_bad_seq: row });
    // remove the entry that accounts for it
    const dropped = await tamper(h, (c) =>
      c.query('DELETE FROM audit_redactions WHERE seq = $1', [row]).then(() => undefined),
    );
    expect(dropped.ok).toBe(false);
    expect(dropped.first_bad_seq).toBe(row);
    // blank another sealed row and slip in an entry naming the real erasure
    const victim = (
      await h.t.owner.query<{ seq: string }>(
        `SELECT seq::text FROM audit_logs WHERE subject_user_id = $1 AND redacted_at IS NULL ORDER BY seq LIMIT 1`,
        [patient.id],
      )
    ).rows[0]?.seq;
    const forged = await tamper(h, async (c) => {
      await c.query(
        `UPDATE audit_logs SET actor_user_id = NULL, subject_user_id = NULL, old_values = NULL, new_values = NULL, ip_address = NULL, user_agent = NULL, redacted_at = now() WHERE seq = $1`,
        [victim],
      );
      await c.query(
        `INSERT INTO audit_redactions (seq, erasure_seq, payload_hash) VALUES ($1, $2, app_audit_payload_hash(NULL, NULL, NULL, NULL, NULL, NULL))`,
        [victim, event],
      );
    });
    expect(forged).toMatchObject({ ok: false, first_bad_seq: event });
    expect(forged.problem).toMatch(/what this erasure redacted was changed/);
    expect((await verifyAuditChain(h.t.ownerUrl)).ok).toBe(true);
  });
});
