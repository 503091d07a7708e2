/** Notifications (+ live stream), audit, data export, erasure, admin, CLI maintenance. */
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { useApi, register, makeAdmin } from '../support/api.ts';
import { addPrescription, connect, note } from '../support/api-fixtures.ts';
import { verifyAuditChain, formatVerify } from '../../src/cli/audit.ts';
import { cleanupSessions, cleanupSignInThrottle } from '../../src/cli/maintenance.ts';

const api = useApi({ hub: true });

async function insertNotification(h: ReturnType<typeof api>, userId: string, title: string): Promise<string> {
  const r = await h.t.owner.query<{ id: string }>(
    `INSERT INTO notifications (user_id, type, title, body) VALUES ($1, 'reminder', $2, 'Take 1 tablet') RETURNING id`,
    [userId, title],
  );
  return r.rows[0]?.id as string;
}

describe('notifications', () => {
  it('lists with pagination, counts unread, marks one and all read', async () => {
    const h = api();
    const p = await register(h, 'patient');
    for (let i = 0; i < 3; i++) await insertNotification(h, p.id, `Dose ${i}`);
    const page = (await h.call('GET', '/notifications', { token: p.access, query: { limit: '2' } })).json();
    expect(page.total).toBe(3);
    expect(page.items).toHaveLength(2);
    expect((await h.call('GET', '/notifications/unread-count', { token: p.access })).json().unread).toBe(3);
    const one = await h.call('POST', `/notifications/${page.items[0].id}/read`, { token: p.access });
    expect(one.json().read_at).not.toBeNull();
    expect(
      (await h.call('GET', '/notifications', { token: p.access, query: { unread_only: 'true' } })).json().total,
    ).toBe(2);
    expect((await h.call('POST', '/notifications/read-all', { token: p.access })).json().marked).toBe(2);
    expect((await h.call('GET', '/notifications/unread-count', { token: p.access })).json().unread).toBe(0);
    expect((await h.call('POST', `/notifications/${crypto.randomUUID()}/read`, { token: p.access })).statusCode).toBe(
      404,
    );
    expect((await h.call('GET', '/notifications', { token: p.access, query: { limit: '1000' } })).statusCode).toBe(400);
  });

  it('streams new notifications live (SSE via LISTEN/NOTIFY), only to their owner', async () => {
    const h = api();
    const p = await register(h, 'patient');
    const other = await register(h, 'patient');
    const address = await h.app.listen({ port: 0, host: '127.0.0.1' });
    const received: string[] = [];
    const ready = new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.get(
        `${address}/api/v1/notifications/stream`,
        { headers: { authorization: `Bearer ${p.access}` } },
        resolve,
      );
      req.on('error', reject);
    });
    const res = await ready;
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/event-stream');
    const got = new Promise<void>((resolve) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        received.push(chunk);
        if (received.join('').includes('Evening dose')) resolve();
      });
    });
    await new Promise((r) => setTimeout(r, 100));
    await insertNotification(h, other.id, 'Not yours');
    await insertNotification(h, p.id, 'Evening dose');
    await Promise.race([
      got,
      new Promise((_, rej) => setTimeout(() => rej(new Error(`no event; got ${received.join('')}`)), 30_000)),
    ]);
    const text = received.join('');
    expect(text).toContain('event: ready');
    expect(text).toContain('event: notification');
    expect(text).not.toContain('Not yours');
    res.destroy();
    // Without a token the stream is refused.
    const anon = await h.call('GET', '/notifications/stream');
    expect(anon.statusCode).toBe(401);
  });
});

describe('audit', () => {
  it('records reads with user, resource, IP and user agent; admins search; the chain verifies and detects tampering', async () => {
    const h = api();
    const d = await register(h, 'doctor');
    const p = await register(h, 'patient');
    await connect(h, d, p);
    const rx = await addPrescription(h, p.id);
    await h.call('GET', `/care/patients/${p.id}/prescriptions`, {
      token: d.access,
      headers: { 'user-agent': 'ClinicBrowser/1.0' },
    });
    const row = await h.t.owner.query(
      `SELECT actor_user_id, actor_role, subject_user_id, host(ip_address) AS ip, user_agent, resource_id FROM audit_logs WHERE action = 'read' AND table_name = 'prescriptions' AND subject_user_id = $1`,
      [p.id],
    );
    expect(row.rows[0]).toMatchObject({
      actor_user_id: d.id,
      actor_role: 'doctor',
      subject_user_id: p.id,
      ip: '127.0.0.1',
      user_agent: 'ClinicBrowser/1.0',
      resource_id: rx,
    });
    const admin = await makeAdmin(h);
    const search = (
      await h.call('GET', '/admin/audit', { token: admin.access, query: { actor_user_id: d.id, action: 'read' } })
    ).json();
    expect(search.items.length).toBeGreaterThanOrEqual(1);
    expect(search.items.every((i: { actor_user_id: string }) => i.actor_user_id === d.id)).toBe(true);
    expect(
      (await h.call('GET', '/admin/audit', { token: admin.access, query: { from: 'yesterday' } })).statusCode,
    ).toBe(400);
    expect((await h.call('GET', '/admin/audit/verify', { token: admin.access })).json().ok).toBe(true);
    const good = await verifyAuditChain(h.t.ownerUrl);
    expect(good.ok).toBe(true);
    // Tamper as the owner (the service itself cannot update audit rows): the CLI names the row.
    const victim = await h.t.owner.query<{ seq: string }>(
      `SELECT seq FROM audit_logs WHERE action = 'read' ORDER BY seq LIMIT 1`,
    );
    const seq = Number(victim.rows[0]?.seq);
    await h.t.owner.query(`ALTER TABLE audit_logs DISABLE TRIGGER USER`);
    await h.t.owner.query(`UPDATE audit_logs SET action = 'list' WHERE seq = $1`, [seq]);
    const bad = await verifyAuditChain(h.t.ownerUrl);
    expect(bad.ok).toBe(false);
    expect(bad.first_bad_seq).toBe(seq);
    expect(formatVerify(bad)).toContain(`BROKEN at seq ${seq}`);
    await h.t.owner.query(`UPDATE audit_logs SET action = 'read' WHERE seq = $1`, [seq]);
    await h.t.owner.query(`ALTER TABLE audit_logs ENABLE TRIGGER USER`);
    expect((await verifyAuditChain(h.t.ownerUrl)).ok).toBe(true);
    // The service role can never edit the log.
    await expect(
      h.t.db.withUser({ userId: admin.id, role: 'admin' }, (tx) =>
        tx.query(`UPDATE audit_logs SET action = 'x' WHERE seq = 1`),
      ),
    ).rejects.toThrow();
  });
});

describe('data rights', () => {
  it('exports everything about me, including who viewed my data, and records the export', async () => {
    const h = api();
    const d = await register(h, 'doctor');
    const p = await register(h, 'patient');
    await connect(h, d, p);
    const rx = await addPrescription(h, p.id);
    await note(h, d, p.id);
    await h.call('GET', `/care/patients/${p.id}/prescriptions`, { token: d.access });
    const res = await h.call('GET', '/me/export', { token: p.access });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-disposition']).toContain('attachment');
    const data = res.json();
    expect(data.format).toBe('dastern-export/1');
    expect(data.profile.id).toBe(p.id);
    expect(JSON.stringify(data)).not.toContain('password_hash');
    expect(JSON.stringify(data)).not.toContain('refresh_token_hash');
    expect(data.prescriptions[0].id).toBe(rx);
    expect(data.prescriptions[0].medications).toHaveLength(2);
    expect(data.clinical_notes).toHaveLength(1);
    expect(data.access_log.some((a: { actor_user_id: string }) => a.actor_user_id === d.id)).toBe(true);
    const audit = await h.t.owner.query(`SELECT 1 FROM audit_logs WHERE action = 'export' AND subject_user_id = $1`, [
      p.id,
    ]);
    expect(audit.rowCount).toBe(1);
  });

  it('exports the whole access log, however long (the log is read in pages of 1,000), oldest first', async () => {
    const h = api();
    const d = await register(h, 'doctor');
    const p = await register(h, 'patient');
    const before = (await h.call('GET', '/me/export', { token: p.access })).json().access_log.length as number;
    await h.t.owner.query(
      `INSERT INTO audit_logs (actor_user_id, actor_role, action, table_name, resource_id, subject_user_id)
       SELECT $1, 'doctor', 'read', 'prescriptions', g::text, $2 FROM generate_series(1, 2345) g`,
      [d.id, p.id],
    );
    const log = (await h.call('GET', '/me/export', { token: p.access })).json().access_log as {
      seq: number;
      resource_id: string | null;
    }[];
    // the earlier export's own row, then the 2,345 reads
    expect(log).toHaveLength(before + 1 + 2345);
    const seqs = log.map((a) => Number(a.seq));
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(seqs.length);
    const reads = log
      .filter((a) => a.resource_id !== null && /^[0-9]+$/.test(a.resource_id))
      .map((a) => Number(a.resource_id));
    expect(reads).toEqual(Array.from({ length: 2345 }, (_, i) => i + 1));
  });

  it('erases an account: personal and medical data gone, audit rows kept with the user nulled, chain intact', async () => {
    const h = api();
    const d = await register(h, 'doctor');
    const p = await register(h, 'patient', { phone: '+85512345678' });
    await connect(h, d, p);
    await addPrescription(h, p.id);
    await note(h, d, p.id);
    const before = await h.t.owner.query(
      `SELECT count(*)::int AS n FROM audit_logs WHERE subject_user_id = $1 OR actor_user_id = $1`,
      [p.id],
    );
    expect(before.rows[0].n).toBeGreaterThan(3);
    expect(
      (
        await h.call('DELETE', '/me', { token: p.access, body: { password: 'wrong password 1', confirm: 'DELETE' } })
      ).json().code,
    ).toBe('wrong_password');
    expect((await h.call('DELETE', '/me', { token: p.access, body: { password: p.password } })).statusCode).toBe(400);
    const res = await h.call('DELETE', '/me', { token: p.access, body: { password: p.password, confirm: 'DELETE' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().audit_rows_redacted).toBeGreaterThan(3);
    for (const [table, column] of [
      ['users', 'id'],
      ['prescriptions', 'patient_id'],
      ['medications', 'patient_id'],
      ['clinical_notes', 'patient_id'],
      ['user_sessions', 'user_id'],
      ['notifications', 'user_id'],
      ['doctor_patient_relationships', 'patient_id'],
    ] as const) {
      const left = await h.t.owner.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${column} = $1`, [p.id]);
      expect(left.rows[0].n, table).toBe(0);
    }
    const traces = await h.t.owner.query(
      `SELECT count(*)::int AS n FROM audit_logs WHERE subject_user_id = $1 OR actor_user_id = $1 OR old_values::text LIKE $2 OR new_values::text LIKE $2 OR old_values::text LIKE '%85512345678%'`,
      [p.id, `%${p.email}%`],
    );
    expect(traces.rows[0].n).toBe(0);
    expect((await verifyAuditChain(h.t.ownerUrl)).ok).toBe(true);
    expect((await h.call('GET', '/me', { token: p.access })).statusCode).toBe(401);
    expect((await h.call('POST', '/auth/login', { body: { email: p.email, password: p.password } })).statusCode).toBe(
      401,
    );
    // The doctor keeps nothing of her: no patient, no prescriptions.
    expect((await h.call('GET', '/care/patients', { token: d.access })).json().total).toBe(0);
  });
});

describe('admin', () => {
  it('statistics, search, deactivate (sessions end at once) and activate', async () => {
    const h = api();
    const admin = await makeAdmin(h);
    const p = await register(h, 'patient', { first_name: 'Chanthou', last_name: 'Keo' });
    const stats = (await h.call('GET', '/admin/statistics', { token: admin.access })).json();
    expect(stats.users[0].total_users).toBeGreaterThanOrEqual(2);
    expect(stats.users[0].admins).toBeGreaterThanOrEqual(1);
    expect(Object.keys(stats.users[0])).toHaveLength(13);
    expect(stats.prescriptions).toHaveLength(1);
    expect(Object.keys(stats.prescriptions[0])).toHaveLength(15);
    for (const v of [...Object.values(stats.users[0]), ...Object.values(stats.prescriptions[0])])
      expect(v === null || typeof v === 'number').toBe(true);
    const found = (
      await h.call('GET', '/admin/users', { token: admin.access, query: { q: 'chanthou', role: 'patient' } })
    ).json();
    expect(found.items.map((u: { id: string }) => u.id)).toEqual([p.id]);
    expect((await h.call('GET', '/admin/users', { token: admin.access, query: { q: '%' } })).json().total).toBe(0);
    const off = await h.call('POST', `/admin/users/${p.id}/deactivate`, {
      token: admin.access,
      body: { reason: 'fraud report' },
    });
    expect(off.json().is_active).toBe(false);
    expect((await h.call('GET', '/me', { token: p.access })).json().code).toBe('session_revoked');
    expect((await h.call('POST', '/auth/refresh', { body: { refresh_token: p.refresh } })).statusCode).toBe(401);
    expect(
      (await h.call('POST', `/admin/users/${admin.id}/deactivate`, { token: admin.access, body: { reason: 'x' } }))
        .statusCode,
    ).toBe(409);
    expect((await h.call('POST', `/admin/users/${p.id}/activate`, { token: admin.access })).json().is_active).toBe(
      true,
    );
    expect((await h.call('POST', '/auth/login', { body: { email: p.email, password: p.password } })).statusCode).toBe(
      200,
    );
    expect((await h.call('GET', `/admin/users/${crypto.randomUUID()}`, { token: admin.access })).statusCode).toBe(404);
  });

  it('maintenance: cleanup-sessions removes expired sessions', async () => {
    const h = api();
    const p = await register(h, 'patient');
    await h.t.owner.query(
      `UPDATE user_sessions SET created_at = now() - interval '40 days', expires_at = now() - interval '1 day' WHERE user_id = $1`,
      [p.id],
    );
    expect(await cleanupSessions(h.t.worker)).toBeGreaterThanOrEqual(1);
  });

  it('maintenance: stale sign-in throttle rows go, a live block stays', async () => {
    const h = api();
    const hex = (c: string): string => c.repeat(64);
    await h.t.owner.query(
      `INSERT INTO auth_throttle (kind, key_hash, failures, updated_at, blocked_until) VALUES
         ('ip', $1, 3, now() - interval '2 days', NULL), ('ip', $2, 9, now() - interval '2 days', now() + interval '5 minutes'), ('ip', $3, 1, now(), NULL)`,
      [hex('a'), hex('b'), hex('c')],
    );
    expect(await cleanupSignInThrottle(h.t.worker)).toBe(1);
    const left = await h.t.owner.query<{ key_hash: string }>(
      'SELECT key_hash FROM auth_throttle WHERE key_hash = ANY($1) ORDER BY key_hash',
      [[hex('a'), hex('b'), hex('c')]],
    );
    expect(left.rows.map((r) => r.key_hash)).toEqual([hex('b'), hex('c')]);
    // the API's own login cannot run it
    await expect(cleanupSignInThrottle(h.t.db)).rejects.toThrow(/permission denied/);
  });

  it('usage events: apps send product events; server-side ones are refused', async () => {
    const h = api();
    const p = await register(h, 'patient');
    expect(
      (await h.call('POST', '/analytics/events', { token: p.access, body: { event_type: 'ai_request' } })).json().code,
    ).toBe('server_event');
    expect(
      (
        await h.call('POST', '/analytics/events', {
          token: p.access,
          body: { event_type: 'screen_view', properties: { screen: 'today' } },
          headers: { 'x-platform': 'web', 'x-app-version': '0.9.1' },
        })
      ).statusCode,
    ).toBe(202);
    const ev = await h.t.owner.query(
      `SELECT platform, app_version, properties FROM usage_analytics WHERE user_id = $1 AND event_type = 'screen_view'`,
      [p.id],
    );
    expect(ev.rows[0]).toEqual({ platform: 'web', app_version: '0.9.1', properties: { screen: 'today' } });
  });
});
