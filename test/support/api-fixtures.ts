/** A small world for the authorisation tests: a patient, her doctors in every state, strangers, an admin. */
import type { ApiHarness, SignedIn } from './api.ts';
import { register, makeAdmin } from './api.ts';

export interface World {
  owner: SignedIn;
  otherPatient: SignedIn;
  doctor: SignedIn; // active relationship, all permissions
  stranger: SignedIn; // a doctor with no relationship
  ended: SignedIn; // a doctor whose relationship was suspended
  admin: SignedIn;
  relActive: string;
  relEnded: string;
  prescriptionId: string;
  sharedNoteId: string;
  privateNoteId: string;
  endedDoctorNoteId: string;
  ownerNotificationId: string;
  strangerInvite: { id: string; code: string };
  ownerSpareSession: string;
}

export async function invite(
  h: ApiHarness,
  from: SignedIn,
  permissions?: Record<string, boolean>,
): Promise<{ id: string; code: string }> {
  const res = await h.call('POST', '/care/invitations', {
    token: from.access,
    body: permissions === undefined ? {} : { permissions },
  });
  if (res.statusCode !== 201) throw new Error(`invite: ${res.statusCode} ${res.body}`);
  return res.json();
}

export async function connect(
  h: ApiHarness,
  doctor: SignedIn,
  patient: SignedIn,
  permissions: Record<string, boolean> = {
    can_view_prescriptions: true,
    can_add_notes: true,
    can_modify_reminders: true,
  },
): Promise<string> {
  const inv = await invite(h, doctor);
  const res = await h.call('POST', '/care/invitations/accept', {
    token: patient.access,
    body: { code: inv.code, permissions },
  });
  if (res.statusCode !== 200) throw new Error(`accept: ${res.statusCode} ${res.body}`);
  return res.json().id;
}

export async function addPrescription(
  h: ApiHarness,
  patientId: string,
  medications = ['Paracetamol', 'Amoxicillin'],
): Promise<string> {
  const p = await h.t.owner.query<{ id: string }>(
    `INSERT INTO prescriptions (patient_id, uploaded_by, status, hospital_name, prescription_date, diagnosis, confirmed_at)
     VALUES ($1, $1, 'completed', 'Calmette Hospital', '2025-06-15', '{Hypertension}', now()) RETURNING id`,
    [patientId],
  );
  const id = p.rows[0]?.id as string;
  let seq = 0;
  for (const name of medications) {
    seq += 1;
    await h.t.owner.query(
      `INSERT INTO medications (prescription_id, patient_id, sequence, name, strength, dose_morning, dose_evening, duration_days) VALUES ($1, $2, $3, $4, '500mg', 1, 1, 7)`,
      [id, patientId, seq, name],
    );
  }
  return id;
}

export async function note(
  h: ApiHarness,
  doctor: SignedIn,
  patientId: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const res = await h.call('POST', '/clinical-notes', {
    token: doctor.access,
    body: { patient_id: patientId, content: 'Blood pressure 150/95; continue amlodipine.', ...extra },
  });
  if (res.statusCode !== 201) throw new Error(`note: ${res.statusCode} ${res.body}`);
  return res.json().id;
}

export async function buildWorld(h: ApiHarness): Promise<World> {
  const owner = await register(h, 'patient');
  const otherPatient = await register(h, 'patient');
  const doctor = await register(h, 'doctor');
  const stranger = await register(h, 'doctor');
  const ended = await register(h, 'doctor');
  const admin = await makeAdmin(h);
  const relActive = await connect(h, doctor, owner);
  const relEnded = await connect(h, ended, owner);
  const prescriptionId = await addPrescription(h, owner.id);
  await addPrescription(h, otherPatient.id, ['Metformin']);
  const sharedNoteId = await note(h, doctor, owner.id, {
    prescription_id: prescriptionId,
    note_type: 'recommendation',
  });
  const privateNoteId = await note(h, doctor, owner.id, { is_private: true, title: 'Private thoughts' });
  const endedDoctorNoteId = await note(h, ended, owner.id);
  const end = await h.call('POST', `/care/relationships/${relEnded}/end`, {
    token: owner.access,
    body: { reason: 'moved to another clinic' },
  });
  if (end.statusCode !== 200) throw new Error(`end: ${end.body}`);
  const n = await h.call('GET', '/notifications', { token: owner.access });
  const ownerNotificationId = n.json().items[0]?.id as string;
  if (ownerNotificationId === undefined) throw new Error('owner has no notification');
  const strangerInvite = await invite(h, stranger);
  const spare = (
    await h.call('POST', '/auth/login', { body: { email: owner.email, password: owner.password } })
  ).json();
  const sessions = (await h.call('GET', '/me/sessions', { token: spare.access_token })).json().items as {
    id: string;
    current: boolean;
  }[];
  const ownerSpareSession = sessions.find((x) => x.current)?.id as string;
  return {
    owner,
    otherPatient,
    doctor,
    stranger,
    ended,
    admin,
    relActive,
    relEnded,
    prescriptionId,
    sharedNoteId,
    privateNoteId,
    endedDoctorNoteId,
    ownerNotificationId,
    strangerInvite,
    ownerSpareSession,
  };
}
