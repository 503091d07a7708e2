/**
 * Anyone can register as a doctor, but only an admin-verified one connects
 * with patients; the preview tells a verified doctor from an impostor; a licence number belongs
 * to the verified account; a doctor's invitation grants nothing by default.
 */
import { describe, expect, it } from 'vitest';
import { useApi, register, makeAdmin, type ApiHarness, type SignedIn } from '../support/api.ts';

const api = useApi();

const REAL = { first_name: 'Vannak', last_name: 'Heng' };

async function setLicence(h: ApiHarness, doctor: SignedIn, license: string) {
  const res = await h.call('PATCH', '/me', {
    token: doctor.access,
    body: { license_number: license, specialization: 'Internal medicine', hospital_name: 'Calmette Hospital' },
  });
  expect(res.statusCode, res.body).toBe(200);
}

describe('doctor verification', () => {
  it("an unverified doctor can neither invite nor accept a patient's invitation (403 doctor_not_verified)", async () => {
    const h = api();
    const fake = await register(h, 'doctor', REAL, { verified: false });
    const patient = await register(h, 'patient');
    const invite = await h.call('POST', '/care/invitations', { token: fake.access, body: {} });
    expect(invite.statusCode).toBe(403);
    expect(invite.json().code).toBe('doctor_not_verified');
    const code = (await h.call('POST', '/care/invitations', { token: patient.access, body: {} })).json().code as string;
    const accept = await h.call('POST', '/care/invitations/accept', { token: fake.access, body: { code } });
    expect(accept.statusCode).toBe(403);
    expect(accept.json().code).toBe('doctor_not_verified');
    expect(
      (
        await h.t.owner.query(`SELECT count(*)::int AS n FROM doctor_patient_relationships WHERE doctor_id = $1`, [
          fake.id,
        ])
      ).rows[0],
    ).toEqual({ n: 0 });
  });

  it("an impostor who takes the real doctor's licence number first cannot lock him out; verification gives it to the real one", async () => {
    const h = api();
    const admin = await makeAdmin(h);
    // English accounts: the notifications below are read in English
    const fake = await register(h, 'doctor', { ...REAL, language: 'en' }, { verified: false });
    const real = await register(h, 'doctor', { ...REAL, language: 'en' }, { verified: false });
    await setLicence(h, fake, 'KH-MED-2006-0457');
    await setLicence(h, real, 'KH-MED-2006-0457'); // no unique violation among unverified accounts
    // only an admin verifies
    expect(
      (await h.call('POST', `/admin/doctors/${real.id}/verify`, { token: real.access, body: {} })).statusCode,
    ).toBe(403);
    const self = await h.t.db
      .withUser({ userId: real.id, role: 'doctor' }, (tx) =>
        tx.query('UPDATE users SET doctor_verified_at = now() WHERE id = $1', [real.id]),
      )
      .catch((e: { code?: string }) => e);
    expect(self).toMatchObject({ code: '42501' });
    // the admin checked the real doctor's licence
    const verified = await h.call('POST', `/admin/doctors/${real.id}/verify`, {
      token: admin.access,
      body: { license_number: 'KH-MED-2006-0457' },
    });
    expect(verified.statusCode, verified.body).toBe(200);
    expect(verified.json()).toMatchObject({ id: real.id, license_number: 'KH-MED-2006-0457' });
    expect(verified.json().doctor_verified_at).not.toBeNull();
    // the impostor's claim is gone, and he cannot take it back nor be verified with it
    expect((await h.call('GET', '/me', { token: fake.access })).json().doctor.license_number).toBeNull();
    await setLicence(h, fake, 'KH-MED-2006-0457');
    const again = await h.call('POST', `/admin/doctors/${fake.id}/verify`, { token: admin.access, body: {} });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('license_already_verified');
    // audited and notified
    const audit = await h.t.owner.query(
      `SELECT actor_user_id, subject_user_id FROM audit_logs WHERE action = 'doctor_verified' AND resource_id = $1`,
      [real.id],
    );
    expect(audit.rows).toEqual([{ actor_user_id: admin.id, subject_user_id: real.id }]);
    const notes = (await h.call('GET', '/notifications', { token: real.access })).json().items as { title: string }[];
    expect(notes.map((n) => n.title)).toContain('Your licence is verified');
    expect(
      ((await h.call('GET', '/notifications', { token: fake.access })).json().items as { title: string }[]).map(
        (n) => n.title,
      ),
    ).toContain('Licence number removed');
    // and now he invites
    expect((await h.call('POST', '/care/invitations', { token: real.access, body: {} })).statusCode).toBe(201);
  });

  it('refuses to verify a patient (404), a doctor without licence (409), or another number than the one checked (409)', async () => {
    const h = api();
    const admin = await makeAdmin(h);
    const patient = await register(h, 'patient');
    const bare = await register(h, 'doctor', {}, { verified: false });
    expect(
      (await h.call('POST', `/admin/doctors/${patient.id}/verify`, { token: admin.access, body: {} })).statusCode,
    ).toBe(404);
    expect(
      (await h.call('POST', `/admin/doctors/${bare.id}/verify`, { token: admin.access, body: {} })).json().code,
    ).toBe('license_missing');
    await setLicence(h, bare, 'KH-MED-2020-0001');
    expect(
      (
        await h.call('POST', `/admin/doctors/${bare.id}/verify`, {
          token: admin.access,
          body: { license_number: 'KH-MED-2020-0002' },
        })
      ).json().code,
    ).toBe('license_changed');
  });

  it('the preview says whether the inviting doctor is verified; a changed licence is checked again and its invitation not accepted', async () => {
    const h = api();
    const admin = await makeAdmin(h);
    const doctor = await register(h, 'doctor', REAL, { verified: false });
    const patient = await register(h, 'patient');
    await setLicence(h, doctor, 'KH-MED-2011-1123');
    expect(
      (await h.call('POST', `/admin/doctors/${doctor.id}/verify`, { token: admin.access, body: {} })).statusCode,
    ).toBe(200);
    const inv = (await h.call('POST', '/care/invitations', { token: doctor.access, body: {} })).json() as {
      code: string;
      can_view_prescriptions: boolean;
      can_add_notes: boolean;
    };
    expect(inv).toMatchObject({ can_view_prescriptions: false, can_add_notes: false });
    expect(
      (await h.call('GET', `/care/invitations/${inv.code}`, { token: patient.access })).json().inviter,
    ).toMatchObject({ verified: true, verification: 'verified' });
    // the doctor changes his licence number: unverified until an admin checks the new one
    await setLicence(h, doctor, 'KH-MED-9999-0000');
    expect(
      (await h.call('GET', `/care/invitations/${inv.code}`, { token: patient.access })).json().inviter,
    ).toMatchObject({ verified: false, verification: 'not verified' });
    const accept = await h.call('POST', '/care/invitations/accept', {
      token: patient.access,
      body: { code: inv.code },
    });
    expect(accept.statusCode).toBe(403);
    expect(accept.json().code).toBe('doctor_not_verified');
    expect((await h.call('POST', '/care/invitations', { token: doctor.access, body: {} })).json().code).toBe(
      'doctor_not_verified',
    );
  });

  it("accepting a verified doctor's invitation without choosing grants nothing", async () => {
    const h = api();
    const doctor = await register(h, 'doctor');
    const patient = await register(h, 'patient');
    const inv = (await h.call('POST', '/care/invitations', { token: doctor.access, body: {} })).json() as {
      code: string;
    };
    const rel = await h.call('POST', '/care/invitations/accept', { token: patient.access, body: { code: inv.code } });
    expect(rel.statusCode, rel.body).toBe(200);
    expect(rel.json()).toMatchObject({
      status: 'active',
      can_view_prescriptions: false,
      can_add_notes: false,
      can_modify_reminders: false,
    });
    expect(
      (await h.call('GET', `/care/patients/${patient.id}/prescriptions`, { token: doctor.access })).statusCode,
    ).toBe(404);
  });

  it('a Khmer doctor reads his verification notice in Khmer', async () => {
    const h = api();
    const admin = await makeAdmin(h);
    const doctor = await register(h, 'doctor', {}, { verified: false });
    await setLicence(h, doctor, `KH-MED-${Date.now()}`);
    expect(
      (await h.call('POST', `/admin/doctors/${doctor.id}/verify`, { token: admin.access, body: {} })).statusCode,
    ).toBe(200);
    const notes = (await h.call('GET', '/notifications', { token: doctor.access })).json().items as {
      title: string;
      body: string;
    }[];
    expect(notes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          title: 'អាជ្ញាប័ណ្ណរបស់អ្នកត្រូវបានផ្ទៀងផ្ទាត់ហើយ',
          body: 'គណនីវេជ្ជបណ្ឌិតរបស់អ្នកត្រូវបានផ្ទៀងផ្ទាត់ហើយ៖ ឥឡូវនេះ អ្នកអាចអញ្ជើញអ្នកជំងឺបាន។',
        }),
      ]),
    );
  });
});
