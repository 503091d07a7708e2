/**
 * The whole flow through HTTP with a real fixture photo: upload → reading job (real reader) →
 * review and edit → confirm → reminders → dose logs → adherence; and who may see what.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useFlowApi, type FlowHarness } from './support.ts';
import { uniqueEmail } from '../support/api.ts';
import { sharedPrescriptions } from '../support/shared-fixtures.ts';

const FIXTURES = sharedPrescriptions('the prescription flow with a real photo (test/prescriptions/flow.test.ts)');
// without the real photo, the upload checks and the erasure run on a synthetic one of the repository
const photo =
  FIXTURES === undefined
    ? fs.readFileSync(path.resolve('test/reading/fixtures/synth-en-remarks-101.jpg'))
    : fs.readFileSync(path.join(FIXTURES, 'ksfh-2025-06-15.png'));
const truth =
  FIXTURES === undefined
    ? { medications: [] }
    : (JSON.parse(fs.readFileSync(path.join(FIXTURES, 'ksfh-2025-06-15.json'), 'utf8')) as {
        medications: { name: string }[];
      });

const h = useFlowApi();

async function signUp(x: FlowHarness, role: 'patient' | 'doctor'): Promise<{ id: string; token: string }> {
  const res = await x.call('POST', '/auth/register', {
    body: {
      email: uniqueEmail(role),
      password: 'correct horse 42 battery',
      role,
      first_name: 'Sok',
      last_name: 'Dara',
    },
  });
  expect(res.statusCode).toBe(201);
  const body = res.json<{ user: { id: string }; access_token: string }>();
  return { id: body.user.id, token: body.access_token };
}

interface Draft {
  name: string;
  dosage_schedule: Record<string, number>;
  [k: string]: unknown;
}

describe.skipIf(FIXTURES === undefined)('prescription flow', () => {
  let patient: { id: string; token: string };
  let prescriptionId = '';
  let reminderId = '';

  it('uploads a photo and reads it in a job', async () => {
    const x = h();
    patient = await signUp(x, 'patient');
    const res = await x.upload(patient.token, photo);
    expect(res.statusCode).toBe(202);
    const body = res.json<{ id: string; status: string }>();
    expect(body.status).toBe('pending');
    prescriptionId = body.id;
    const done = await x.waitForStatus(patient.token, prescriptionId, ['ocr_completed', 'error']);
    expect(done.status).toBe('ocr_completed');
    const names = (done.draft_medications as Draft[]).map((m) => m.name.toLowerCase());
    expect(names.length).toBeGreaterThan(0);
    // at least the drug names of the ground truth that the reader must get right
    const expected = truth.medications.map((m) => m.name.toLowerCase());
    expect(names.filter((n) => expected.includes(n)).length).toBeGreaterThanOrEqual(Math.min(2, expected.length));
    expect(String(done.ocr_raw_text ?? '').length).toBeGreaterThan(20);
  }, 120_000);

  it('serves the original photo and a thumbnail to the patient', async () => {
    const x = h();
    const original = await x.call('GET', `/prescriptions/${prescriptionId}/image`, { token: patient.token });
    expect(original.statusCode).toBe(200);
    expect(original.headers['content-type']).toBe('image/png');
    expect(original.rawPayload.equals(photo)).toBe(true);
    const thumb = await x.call('GET', `/prescriptions/${prescriptionId}/thumbnail`, { token: patient.token });
    expect(thumb.statusCode).toBe(200);
    expect(thumb.rawPayload.subarray(0, 2).toString('hex')).toBe('ffd8');
  });

  it('edits the draft, then confirms it into medications and reminders', async () => {
    const x = h();
    const medications = [
      {
        name: 'Amoxicillin',
        strength: '500mg',
        quantity: 21,
        quantity_unit: 'capsule',
        dosage_schedule: { morning: 1, noon: 1, evening: 1, night: 0 },
      },
      {
        name: 'Paracetamol',
        strength: '500mg',
        quantity: 10,
        quantity_unit: 'tablet',
        dosage_schedule: { morning: 1, noon: 0, evening: 0, night: 1 },
        take_after_meal: true,
      },
    ];
    const patched = await x.call('PATCH', `/prescriptions/${prescriptionId}`, {
      token: patient.token,
      body: { medications, hospital_name: 'Calmette Hospital' },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json<{ hospital_name: string }>().hospital_name).toBe('Calmette Hospital');

    const bad = await x.call('PATCH', `/prescriptions/${prescriptionId}`, {
      token: patient.token,
      body: { medications: [{ name: '', dosage_schedule: {} }] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    // field_confidence takes the reader's shape (scores 0..1 per field or per dose slot), nothing else
    for (const fieldConfidence of [
      { name: 'high' },
      { name: 1.5 },
      { dosage_schedule: { morning: { deeper: 1 } } },
      Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`f${i}`, 0.5])),
    ]) {
      const odd = await x.call('PATCH', `/prescriptions/${prescriptionId}`, {
        token: patient.token,
        body: { medications: [{ ...medications[0], field_confidence: fieldConfidence }] },
      });
      expect(odd.statusCode, JSON.stringify(fieldConfidence)).toBe(400);
      expect(odd.json<{ code: string }>().code).toBe('validation_failed');
    }

    const confirmed = await x.call('POST', `/prescriptions/${prescriptionId}/confirm`, { token: patient.token });
    expect(confirmed.statusCode).toBe(200);
    const body = confirmed.json<{
      status: string;
      medications: { name: string; duration_days: number }[];
      reminders: { id: string; slot: string; end_date: string; start_date: string }[];
    }>();
    expect(body.status).toBe('completed');
    expect(body.medications.map((m) => m.name)).toEqual(['Amoxicillin', 'Paracetamol']);
    // 21 capsules at 3 a day: 7 days; 10 tablets at 2 a day: 5 days
    expect(body.medications.map((m) => m.duration_days)).toEqual([7, 5]);
    expect(body.reminders.map((r) => r.slot)).toEqual(['morning', 'noon', 'evening', 'morning', 'night']);
    const first = body.reminders[0]!;
    const days = (Date.parse(first.end_date) - Date.parse(first.start_date)) / 86_400_000;
    expect(days).toBe(6);
    reminderId = first.id;

    const list = await x.call('GET', '/prescriptions', { token: patient.token });
    expect(list.statusCode).toBe(200);
    const listed = list.json<{
      total: number;
      items: {
        id: string;
        medications: { name: string; quantity: number; dosage_schedule: Record<string, number> }[];
      }[];
    }>();
    expect(listed.total).toBe(1);
    expect(listed.items[0]!.medications.map((m) => [m.name, m.quantity, m.dosage_schedule])).toEqual([
      ['Amoxicillin', 21, { morning: 1, noon: 1, evening: 1, night: 0 }],
      ['Paracetamol', 10, { morning: 1, noon: 0, evening: 0, night: 1 }],
    ]);

    const again = await x.call('POST', `/prescriptions/${prescriptionId}/confirm`, { token: patient.token });
    expect(again.statusCode).toBe(409);
    expect(again.json<{ code: string }>().code).toBe('already_confirmed');
  });

  it("lists today's doses and records them once per dose", async () => {
    const x = h();
    const today = await x.call('GET', '/reminders/today', { token: patient.token });
    expect(today.statusCode).toBe(200);
    const items = today.json<{ items: { reminder_id: string; scheduled_for: string; status: string }[] }>().items;
    expect(items.length).toBe(5);
    const dose = items.find((i) => i.reminder_id === reminderId)!;
    const taken = await x.call('POST', `/reminders/${reminderId}/logs`, {
      token: patient.token,
      body: { status: 'taken', scheduled_for: dose.scheduled_for },
    });
    expect(taken.statusCode).toBe(201);
    const repeat = await x.call('POST', `/reminders/${reminderId}/logs`, {
      token: patient.token,
      body: { status: 'taken', scheduled_for: dose.scheduled_for },
    });
    expect(repeat.statusCode).toBe(200);
    expect(repeat.json<{ id: string }>().id).toBe(taken.json<{ id: string }>().id);
    const wrongTime = await x.call('POST', `/reminders/${reminderId}/logs`, {
      token: patient.token,
      body: { status: 'taken', scheduled_for: '2020-01-01T00:00:00Z' },
    });
    expect(wrongTime.statusCode).toBe(422);

    const adherence = await x.call('GET', '/adherence', { token: patient.token, query: { days: '7' } });
    expect(adherence.statusCode).toBe(200);
    const report = adherence.json<{
      overall: { taken: number; rate: number | null };
      per_medication: { name: string; taken: number }[];
    }>();
    expect(report.overall.taken).toBe(1);
    expect(report.overall.rate).toBe(100);
    expect(report.per_medication.find((m) => m.name === 'Amoxicillin')?.taken).toBe(1);
  });

  it('alerts once when the medicine left covers 3 days or less', async () => {
    const x = h();
    // 21 capsules at 3 a day; say only 11 were dispensed: after 2 taken, 9 remain = 3 days
    await x.t.owner.query(`UPDATE medications SET quantity = 11 WHERE prescription_id = $1 AND name = 'Amoxicillin'`, [
      prescriptionId,
    ]);
    const refills = async () =>
      (await x.t.owner.query(`SELECT data FROM notifications WHERE user_id = $1 AND type = 'refill'`, [patient.id]))
        .rows;
    const today = (await x.call('GET', '/reminders/today', { token: patient.token })).json<{
      items: { reminder_id: string; name: string; scheduled_for: string; status: string }[];
    }>().items;
    const open = today.filter((d) => d.name === 'Amoxicillin' && d.reminder_id !== reminderId);
    expect(await refills()).toHaveLength(0);
    const res = await x.call('POST', `/reminders/${open[0]!.reminder_id}/logs`, {
      token: patient.token,
      body: { status: 'taken', scheduled_for: open[0]!.scheduled_for },
    });
    expect(res.statusCode).toBe(201);
    expect(await refills()).toHaveLength(1);
    await x.call('POST', `/reminders/${open[1]!.reminder_id}/logs`, {
      token: patient.token,
      body: { status: 'taken', scheduled_for: open[1]!.scheduled_for },
    });
    expect(await refills()).toHaveLength(1);
    const adherence = (await x.call('GET', '/adherence', { token: patient.token })).json<{
      refill_alerts: { name: string; days_left: number }[];
    }>();
    expect(adherence.refill_alerts.map((r) => r.name)).toEqual(['Amoxicillin']);
  });

  it('hides everything from another patient and an unrelated doctor (404)', async () => {
    const x = h();
    for (const role of ['patient', 'doctor'] as const) {
      const stranger = await signUp(x, role);
      const routes: Array<[string, string, unknown?]> = [
        ['GET', `/prescriptions/${prescriptionId}`],
        ['PATCH', `/prescriptions/${prescriptionId}`, { hospital_name: 'x' }],
        ['POST', `/prescriptions/${prescriptionId}/confirm`],
        ['POST', `/prescriptions/${prescriptionId}/reprocess`],
        ['GET', `/prescriptions/${prescriptionId}/image`],
        ['GET', `/prescriptions/${prescriptionId}/thumbnail`],
        ['PATCH', `/reminders/${reminderId}`, { is_active: false }],
        ['POST', `/reminders/${reminderId}/logs`, { status: 'taken' }],
      ];
      for (const [method, url, body] of routes) {
        const res = await x.call(method, url, { token: stranger.token, body });
        expect(res.statusCode, `${role} ${method} ${url}`).toBe(404);
      }
      const list = await x.call('GET', '/prescriptions', { token: stranger.token });
      expect(list.json<{ total: number }>().total).toBe(0);
      const adherence = await x.call('GET', '/adherence', { token: stranger.token, query: { patient_id: patient.id } });
      expect(adherence.statusCode).toBe(404);
    }
  });

  it('shows her prescriptions to her doctor, who may not change them', async () => {
    const x = h();
    const doctor = await signUp(x, 'doctor');
    await x.t.owner.query(
      `INSERT INTO doctor_patient_relationships (doctor_id, patient_id, status, initiated_by, can_view_prescriptions, accepted_at)
       VALUES ($1, $2, 'active', 'patient', true, now())`,
      [doctor.id, patient.id],
    );
    expect((await x.call('GET', `/prescriptions/${prescriptionId}`, { token: doctor.token })).statusCode).toBe(200);
    expect(
      (await x.call('GET', `/prescriptions/${prescriptionId}/thumbnail`, { token: doctor.token })).statusCode,
    ).toBe(200);
    expect(
      (await x.call('GET', '/adherence', { token: doctor.token, query: { patient_id: patient.id } })).statusCode,
    ).toBe(200);
    expect(
      (await x.call('PATCH', `/prescriptions/${prescriptionId}`, { token: doctor.token, body: { hospital_name: 'x' } }))
        .statusCode,
    ).toBe(403);
    expect(
      (await x.call('POST', `/reminders/${reminderId}/logs`, { token: doctor.token, body: { status: 'taken' } }))
        .statusCode,
    ).toBe(403);
    // changing reminders needs can_modify_reminders
    expect(
      (await x.call('PATCH', `/reminders/${reminderId}`, { token: doctor.token, body: { reminder_time: '08:00' } }))
        .statusCode,
    ).toBe(403);
    await x.t.owner.query('UPDATE doctor_patient_relationships SET can_modify_reminders = true WHERE doctor_id = $1', [
      doctor.id,
    ]);
    const changed = await x.call('PATCH', `/reminders/${reminderId}`, {
      token: doctor.token,
      body: { reminder_time: '08:00' },
    });
    expect(changed.statusCode).toBe(200);
    expect(changed.json<{ reminder_time: string }>().reminder_time).toBe('08:00');
    // an end before the start is a clear 400, not a database error
    const early = await x.call('PATCH', `/reminders/${reminderId}`, {
      token: doctor.token,
      body: { end_date: '2000-01-01' },
    });
    expect(early.statusCode).toBe(400);
    expect(early.json<{ code: string }>().code).toBe('end_before_start');
    // the moment the relationship ends, so does access
    await x.t.owner.query(
      `UPDATE doctor_patient_relationships SET status = 'inactive', ended_at = now(), end_reason = 'test' WHERE doctor_id = $1`,
      [doctor.id],
    );
    expect((await x.call('GET', `/prescriptions/${prescriptionId}`, { token: doctor.token })).statusCode).toBe(404);
  });
});

describe('erasure', () => {
  it('removes her photos from the file store with her account', async () => {
    const x = h();
    const p = await signUp(x, 'patient');
    const up = await x.upload(p.token, photo);
    expect(up.statusCode).toBe(202);
    const id = up.json<{ id: string }>().id;
    const row = await x.t.owner.query<{ image_path: string; thumbnail_path: string }>(
      'SELECT image_path, thumbnail_path FROM prescriptions WHERE id = $1',
      [id],
    );
    const { image_path: image, thumbnail_path: thumb } = row.rows[0]!;
    expect((await x.files.get(image)).equals(photo)).toBe(true);
    const erased = await x.call('DELETE', '/me', {
      token: p.token,
      body: { password: 'correct horse 42 battery', confirm: 'DELETE' },
    });
    expect(erased.statusCode).toBe(200);
    await expect(x.files.get(image)).rejects.toThrow();
    await expect(x.files.get(thumb)).rejects.toThrow();
    expect((await x.t.owner.query('SELECT 1 FROM prescriptions WHERE id = $1', [id])).rowCount).toBe(0);
  });
});

describe('upload checks', () => {
  it('refuses what is not a photo, by content', async () => {
    const x = h();
    const p = await signUp(x, 'patient');
    const text = await x.upload(p.token, Buffer.from('Paracetamol 500mg twice a day'), { filename: 'photo.png' });
    expect(text.statusCode).toBe(415);
    expect(text.json<{ code: string }>().code).toBe('unsupported_image');
    const empty = await x.upload(p.token, Buffer.alloc(0));
    expect(empty.statusCode).toBe(400);
    const truncated = await x.upload(p.token, photo.subarray(0, 200));
    expect(truncated.statusCode).toBe(400);
    expect(truncated.json<{ code: string }>().code).toBe('corrupt_image');
    const wrongField = await x.upload(p.token, photo, { field: 'file' });
    expect(wrongField.statusCode).toBe(400);
    const tooBig = await x.upload(p.token, Buffer.concat([photo, Buffer.alloc(15 * 1024 * 1024)]));
    expect(tooBig.statusCode).toBe(413);
    const json = await x.call('POST', '/prescriptions', { token: p.token, body: { image: 'x' } });
    expect(json.statusCode).toBe(415);
    const doctor = await signUp(x, 'doctor');
    expect((await x.upload(doctor.token, photo)).statusCode).toBe(403);
    expect((await x.upload('not-a-token', photo)).statusCode).toBe(401);
  });

  it('stops a free patient at 10 prescriptions with an upgrade prompt', async () => {
    const x = h();
    const p = await signUp(x, 'patient');
    for (let i = 0; i < 10; i++) {
      await x.t.owner.query(
        `INSERT INTO prescriptions (patient_id, uploaded_by, status) VALUES ($1, $1, 'completed')`,
        [p.id],
      );
    }
    const res = await x.upload(p.token, photo);
    expect(res.statusCode).toBe(402);
    const problem = res.json<{ code: string; detail: string }>();
    expect(problem.code).toBe('free_tier_limit');
    expect(problem.detail).toMatch(/Premium/);
  });
});
