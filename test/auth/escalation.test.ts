/**
 * Role escalation and token-kind confusion, as an attacker would try them through the API.
 * (Regression guards: each of these held when reviewed.)
 */
import { describe, expect, it } from 'vitest';
import { useApi, register, mailToken } from '../support/api.ts';
import { invite } from '../support/api-fixtures.ts';

const api = useApi({ hub: true });

describe('escalation', () => {
  it('nobody registers as an admin, nor turns into one, nor re-activates or verifies herself through PATCH /me', async () => {
    const h = api();
    const asAdmin = await h.call('POST', '/auth/register', {
      body: {
        email: 'evil.admin@example.com',
        password: 'correct horse 42 battery',
        role: 'admin',
        first_name: 'E',
        last_name: 'V',
      },
    });
    expect(asAdmin.statusCode).toBe(400);
    const p = await register(h, 'patient');
    for (const body of [
      { role: 'admin' },
      { is_active: true },
      { email_verified_at: '2020-01-01T00:00:00Z' },
      { email: 'other@example.com' },
      { id: crypto.randomUUID() },
      { password_hash: '$2b$04$abcdefghijklmnopqrstuv' },
      { locked_until: null },
    ]) {
      const res = await h.call('PATCH', '/me', { token: p.access, body });
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
    }
    const me = (await h.call('GET', '/me', { token: p.access })).json<{ role: string; email_verified: boolean }>();
    expect(me.role).toBe('patient');
    expect(me.email_verified).toBe(false);
  });

  it('a doctor cannot grant himself permissions, accept his own invitation, or choose permissions when accepting', async () => {
    const h = api();
    const doctor = await register(h, 'doctor');
    const patient = await register(h, 'patient');
    const own = await invite(h, doctor);
    const self = await h.call('POST', '/care/invitations/accept', { token: doctor.access, body: { code: own.code } });
    expect(self.statusCode).toBe(400);
    expect(self.json<{ code: string }>().code).toBe('invitation_self');
    const pinv = await invite(h, patient, {
      can_view_prescriptions: true,
      can_add_notes: false,
      can_modify_reminders: false,
    });
    expect(
      (await h.call('POST', '/care/invitations/accept', { token: patient.access, body: { code: pinv.code } }))
        .statusCode,
    ).toBe(400);
    const withPerms = await h.call('POST', '/care/invitations/accept', {
      token: doctor.access,
      body: { code: pinv.code, permissions: { can_modify_reminders: true } },
    });
    expect(withPerms.statusCode).toBe(400);
    const accepted = await h.call('POST', '/care/invitations/accept', {
      token: doctor.access,
      body: { code: pinv.code },
    });
    expect(accepted.statusCode).toBe(200);
    const rel = accepted.json<{ id: string; can_modify_reminders: boolean }>();
    expect(rel.can_modify_reminders).toBe(false);
    const grant = await h.call('PATCH', `/care/relationships/${rel.id}/permissions`, {
      token: doctor.access,
      body: { can_modify_reminders: true },
    });
    expect(grant.statusCode).toBe(403);
    const state = await h.t.owner.query<{ can_modify_reminders: boolean }>(
      'SELECT can_modify_reminders FROM doctor_patient_relationships WHERE id = $1',
      [rel.id],
    );
    expect(state.rows[0]?.can_modify_reminders).toBe(false);
  });

  it('e-mail link kinds are not interchangeable, and neither works as a bearer token', async () => {
    const h = api();
    const p = await register(h, 'patient');
    const verify = await mailToken(h, p.email);
    const asReset = await h.call('POST', '/auth/password-reset', {
      body: { token: verify, password: 'brand new 42 password' },
    });
    expect(asReset.statusCode).toBe(400);
    expect(asReset.json<{ code: string }>().code).toBe('invalid_link_token');
    expect((await h.call('POST', '/auth/verify-email', { body: { token: p.access } })).statusCode).toBe(400);
    expect(
      (await h.call('POST', '/auth/password-reset', { body: { token: p.access, password: 'brand new 42 password' } }))
        .statusCode,
    ).toBe(400);
    expect((await h.call('GET', '/me', { token: p.refresh })).statusCode).toBe(401);
  });

  it('the live stream needs a live session (no token in the URL)', async () => {
    const h = api();
    const p = await register(h, 'patient');
    expect((await h.call('GET', '/notifications/stream')).statusCode).toBe(401);
    expect((await h.call('GET', `/notifications/stream?access_token=${p.access}`)).statusCode).toBe(401);
    await h.call('POST', '/auth/logout', { token: p.access });
    const after = await h.call('GET', '/notifications/stream', { token: p.access });
    expect(after.statusCode).toBe(401);
    expect(after.json<{ code: string }>().code).toBe('session_revoked');
  });
});
