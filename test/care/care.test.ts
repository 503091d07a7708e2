/** Doctor–patient invitations, permissions, ending, clinical notes — success and failure paths. */
import { describe, expect, it } from 'vitest';
import { useApi, register } from '../support/api.ts';
import { addPrescription, connect, invite, note } from '../support/api-fixtures.ts';

const api = useApi();

describe('invitations', () => {
  it('doctor invites, patient previews and accepts with her permissions; the code is single use', async () => {
    const h = api();
    const d = await register(h, 'doctor');
    const p = await register(h, 'patient');
    const inv = await invite(h, d);
    expect(inv.code).toMatch(/^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{10}$/);
    expect(new Date((inv as unknown as { expires_at: string }).expires_at).getTime() - Date.now()).toBeGreaterThan(
      6.9 * 86_400_000,
    );
    const preview = await h.call('GET', `/care/invitations/${inv.code.toLowerCase()}`, { token: p.access });
    expect(preview.json().inviter.id).toBe(d.id);
    const acc = await h.call('POST', '/care/invitations/accept', {
      token: p.access,
      body: {
        code: `${inv.code.slice(0, 5)}-${inv.code.slice(5)}`,
        permissions: { can_view_prescriptions: false, can_add_notes: true },
      },
    });
    expect(acc.statusCode, acc.body).toBe(200);
    expect(acc.json()).toMatchObject({
      status: 'active',
      can_view_prescriptions: false,
      can_add_notes: true,
      can_modify_reminders: false,
    });
    const again = await h.call('POST', '/care/invitations/accept', {
      token: (await register(h, 'patient')).access,
      body: { code: inv.code },
    });
    expect(again.statusCode).toBe(404);
    expect(again.json().code).toBe('invitation_not_found');
    // The doctor got an in-app notification; the patient did not share prescriptions → 404.
    expect((await h.call('GET', '/notifications/unread-count', { token: d.access })).json().unread).toBe(1);
    expect((await h.call('GET', `/care/patients/${p.id}/prescriptions`, { token: d.access })).statusCode).toBe(404);
  });

  it('patient invites a doctor; the doctor cannot set permissions; wrong role and self are refused', async () => {
    const h = api();
    const d = await register(h, 'doctor');
    const p = await register(h, 'patient');
    const other = await register(h, 'patient');
    const inv = await invite(h, p, { can_view_prescriptions: true, can_add_notes: false });
    expect(
      (await h.call('POST', '/care/invitations/accept', { token: p.access, body: { code: inv.code } })).json().code,
    ).toBe('invitation_self');
    expect(
      (await h.call('POST', '/care/invitations/accept', { token: other.access, body: { code: inv.code } })).json().code,
    ).toBe('invitation_wrong_role');
    expect(
      (
        await h.call('POST', '/care/invitations/accept', {
          token: d.access,
          body: { code: inv.code, permissions: { can_add_notes: true } },
        })
      ).json().code,
    ).toBe('permissions_by_patient');
    const ok = await h.call('POST', '/care/invitations/accept', { token: d.access, body: { code: inv.code } });
    expect(ok.json()).toMatchObject({ status: 'active', can_add_notes: false, initiated_by: 'patient' });
    expect(
      (await h.call('POST', '/clinical-notes', { token: d.access, body: { patient_id: p.id, content: 'x' } }))
        .statusCode,
    ).toBe(404);
  });

  it('an expired invitation answers 410; a declined one cannot be accepted', async () => {
    const h = api();
    const d = await register(h, 'doctor');
    const p = await register(h, 'patient');
    const old = await invite(h, d);
    await h.t.owner.query(
      `UPDATE doctor_patient_relationships SET created_at = now() - interval '8 days', invitation_expires_at = now() - interval '1 day' WHERE id = $1`,
      [old.id],
    );
    expect(
      (await h.call('POST', '/care/invitations/accept', { token: p.access, body: { code: old.code } })).statusCode,
    ).toBe(410);
    const inv = await invite(h, d);
    expect(
      (await h.call('POST', '/care/invitations/decline', { token: p.access, body: { code: inv.code } })).statusCode,
    ).toBe(200);
    expect(
      (await h.call('POST', '/care/invitations/accept', { token: p.access, body: { code: inv.code } })).statusCode,
    ).toBe(404);
    const rels = (await h.call('GET', '/care/relationships?status=declined', { token: p.access })).json().items;
    expect(rels).toHaveLength(1);
    expect(
      (await h.call('POST', '/care/invitations/accept', { token: p.access, body: { code: 'short' } })).statusCode,
    ).toBe(400);
  });

  it('an inviter withdraws a pending invitation', async () => {
    const h = api();
    const d = await register(h, 'doctor');
    const inv = await invite(h, d);
    expect((await h.call('DELETE', `/care/invitations/${inv.id}`, { token: d.access })).statusCode).toBe(204);
    expect((await h.call('DELETE', `/care/invitations/${inv.id}`, { token: d.access })).statusCode).toBe(404);
  });
});

describe('access follows the relationship', () => {
  it("revoking can_view_prescriptions, then suspending, ends the doctor's access at once", async () => {
    const h = api();
    const d = await register(h, 'doctor');
    const p = await register(h, 'patient');
    const rel = await connect(h, d, p);
    const rx = await addPrescription(h, p.id);
    const first = await h.call('GET', `/care/patients/${p.id}/prescriptions`, { token: d.access });
    expect(first.statusCode).toBe(200);
    expect(first.json().items[0].id).toBe(rx);
    expect(first.json().items[0].medications).toHaveLength(2);
    expect(first.json().items[0].medications[0].dosage_schedule).toEqual({ morning: 1, noon: 0, evening: 1, night: 0 });
    const patients = (await h.call('GET', '/care/patients', { token: d.access })).json();
    expect(patients.total).toBe(1);
    expect(patients.items[0]).toMatchObject({ patient_id: p.id, adherence: { total_doses: 0, rate: null } });
    // The read was audited and the patient sees it in her access log.
    const log = (await h.call('GET', '/me/access-log', { token: p.access })).json().items as {
      actor_user_id: string;
      table_name: string;
      action: string;
    }[];
    expect(log.some((r) => r.actor_user_id === d.id && r.table_name === 'prescriptions')).toBe(true);
    // and so was the adherence summary of the patient list
    expect(
      log.some(
        (r) => r.actor_user_id === d.id && r.table_name === 'medication_reminder_logs' && r.action === 'read_adherence',
      ),
    ).toBe(true);
    await h.call('PATCH', `/care/relationships/${rel}/permissions`, {
      token: p.access,
      body: { can_view_prescriptions: false },
    });
    expect((await h.call('GET', `/care/patients/${p.id}/prescriptions`, { token: d.access })).statusCode).toBe(404);
    await h.call('PATCH', `/care/relationships/${rel}/permissions`, {
      token: p.access,
      body: { can_view_prescriptions: true },
    });
    expect((await h.call('GET', `/care/patients/${p.id}/prescriptions`, { token: d.access })).statusCode).toBe(200);
    const end = await h.call('POST', `/care/relationships/${rel}/end`, {
      token: d.access,
      body: { reason: 'retiring' },
    });
    expect(end.json()).toMatchObject({ status: 'inactive', end_reason: 'retiring' });
    expect((await h.call('GET', `/care/patients/${p.id}/prescriptions`, { token: d.access })).statusCode).toBe(404);
    expect((await h.call('GET', '/care/patients', { token: d.access })).json().total).toBe(0);
    expect(
      (
        await h.call('PATCH', `/care/relationships/${rel}/permissions`, {
          token: p.access,
          body: { can_add_notes: true },
        })
      ).statusCode,
    ).toBe(404);
  });

  it('the patient list names its periods: the last 7 and the last 30 days, counted from the dose logs', async () => {
    const h = api();
    const d = await register(h, 'doctor');
    const p = await register(h, 'patient');
    await connect(h, d, p);
    const rx = await addPrescription(h, p.id, ['Amlodipine']);
    const rem = await h.t.owner.query<{ id: string }>(
      `INSERT INTO medication_reminders (medication_id, patient_id, slot, reminder_time, dose_amount, start_date, timezone)
       SELECT m.id, m.patient_id, 'morning', '07:00', 1, current_date - 50, 'Asia/Phnom_Penh' FROM medications m WHERE m.prescription_id = $1 RETURNING id`,
      [rx],
    );
    // 2 days ago taken, 3 days ago missed, 12 and 20 days ago missed, 45 days ago taken (outside both periods)
    for (const [days, status] of [
      [2, 'taken'],
      [3, 'missed'],
      [12, 'missed'],
      [20, 'missed'],
      [45, 'taken'],
    ] as const) {
      await h.t.owner.query(
        `INSERT INTO medication_reminder_logs (reminder_id, patient_id, scheduled_for, status, action_at)
         VALUES ($1, $2, now() - make_interval(days => $3), $4::reminder_log_status, CASE WHEN $4 = 'taken' THEN now() - make_interval(days => $3) END)`,
        [rem.rows[0]?.id, p.id, days, status],
      );
    }
    const row = (await h.call('GET', '/care/patients', { token: d.access })).json().items[0];
    expect(row.last_7_days).toEqual({ taken: 1, missed: 1, skipped: 0, rate: 50 });
    expect(row.last_30_days).toEqual({ taken: 1, missed: 3, skipped: 0, rate: 25 });
  });

  it("terminate is the patient's: it blocks the doctor from inviting her again", async () => {
    const h = api();
    const d = await register(h, 'doctor');
    const p = await register(h, 'patient');
    const rel = await connect(h, d, p);
    expect(
      (
        await h.call('POST', `/care/relationships/${rel}/end`, {
          token: d.access,
          body: { reason: 'x', mode: 'terminate' },
        })
      ).statusCode,
    ).toBe(403);
    expect(
      (
        await h.call('POST', `/care/relationships/${rel}/end`, {
          token: p.access,
          body: { reason: 'unwanted', mode: 'terminate' },
        })
      ).json().status,
    ).toBe('blocked');
    const inv = await invite(h, d);
    expect(
      (await h.call('POST', '/care/invitations/accept', { token: p.access, body: { code: inv.code } })).json().code,
    ).toBe('relationship_exists');
    expect(
      (await h.call('POST', `/care/relationships/${rel}/end`, { token: p.access, body: { reason: 'again' } }))
        .statusCode,
    ).toBe(409);
  });
});

describe('clinical notes', () => {
  it('doctor writes, patient reads shared ones only, author edits and deletes; validation errors', async () => {
    const h = api();
    const d = await register(h, 'doctor');
    const p = await register(h, 'patient');
    await connect(h, d, p);
    const rx = await addPrescription(h, p.id);
    const shared = await note(h, d, p.id, {
      prescription_id: rx,
      note_type: 'follow_up',
      follow_up_date: '2026-01-15',
    });
    const hidden = await note(h, d, p.id, { is_private: true });
    const mine = (await h.call('GET', '/clinical-notes', { token: p.access })).json();
    expect(mine.items.map((n: { id: string }) => n.id)).toEqual([shared]);
    expect(mine.items[0]).toMatchObject({
      note_type: 'follow_up',
      follow_up_date: '2026-01-15',
      prescription_id: rx,
      doctor_id: d.id,
    });
    expect((await h.call('GET', `/clinical-notes/${hidden}`, { token: p.access })).statusCode).toBe(404);
    expect((await h.call('GET', `/clinical-notes?prescription_id=${rx}`, { token: d.access })).json().total).toBe(1);
    const upd = await h.call('PATCH', `/clinical-notes/${shared}`, {
      token: d.access,
      body: { is_private: true, title: null },
    });
    expect(upd.json()).toMatchObject({ is_private: true, title: null });
    expect((await h.call('GET', `/clinical-notes/${shared}`, { token: p.access })).statusCode).toBe(404);
    expect((await h.call('DELETE', `/clinical-notes/${hidden}`, { token: d.access })).statusCode).toBe(204);
    expect(
      (await h.call('POST', '/clinical-notes', { token: d.access, body: { patient_id: p.id, content: '' } }))
        .statusCode,
    ).toBe(400);
    expect(
      (
        await h.call('POST', '/clinical-notes', {
          token: d.access,
          body: { patient_id: p.id, content: 'x', note_type: 'diagnosis' },
        })
      ).statusCode,
    ).toBe(400);
    const otherRx = await addPrescription(h, (await register(h, 'patient')).id);
    expect(
      (
        await h.call('POST', '/clinical-notes', {
          token: d.access,
          body: { patient_id: p.id, content: 'x', prescription_id: otherRx },
        })
      ).statusCode,
    ).toBe(404);
    expect((await h.call('PATCH', `/clinical-notes/${shared}`, { token: d.access, body: {} })).statusCode).toBe(400);
    // The patient was notified without the note's text.
    const n = (await h.call('GET', '/notifications', { token: p.access })).json().items as {
      type: string;
      body: string;
    }[];
    expect(n.some((x) => x.type === 'message')).toBe(true);
    expect(JSON.stringify(n)).not.toContain('Blood pressure');
  });
});
