/**
 * Safety checks through HTTP on a real database: GET /prescriptions/:id and confirm carry
 * safety_alerts over the draft, the patient's other active medicines and her profile; the
 * alerts follow the reader's language; a stranger sees nothing; POST /safety/check.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register, startFullApp, useApi, type FullApp, type SignedIn } from '../support/api.ts';

const h = useApi();
let full: FullApp;

interface Alert {
  kind: string;
  severity: string;
  drugs: string[];
  message: string;
  source: string;
  rule: string;
}

const call = (method: 'GET' | 'POST' | 'PATCH', url: string, token: string, body?: unknown) =>
  full.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${token}` },
    ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
  });

const dose = (morning: number, noon: number, evening: number, night: number) => ({ morning, noon, evening, night });

async function draft(patient: SignedIn, medications: unknown[]): Promise<string> {
  const res = await h().t.owner.query<{ id: string }>(
    `INSERT INTO prescriptions (patient_id, uploaded_by, status) VALUES ($1, $1, 'ocr_completed') RETURNING id`,
    [patient.id],
  );
  const id = res.rows[0]?.id ?? '';
  const patched = await call('PATCH', `/prescriptions/${id}`, patient.access, { medications });
  expect(patched.statusCode, patched.body).toBe(200);
  return id;
}

beforeAll(async () => {
  full = await startFullApp(h());
});
afterAll(async () => {
  await full.close();
});

describe('safety alerts on a prescription', () => {
  it('finds the duplicate paracetamol, the paracetamol overdose, the NSAID with her active warfarin, her penicillin allergy and the pregnancy caution', async () => {
    const patient = await register(h(), 'patient', { language: 'en' });
    expect(
      (
        await call('PATCH', '/me', patient.access, {
          allergies: ['Penicillin'],
          medical_conditions: ['Pregnant (2nd trimester)'],
        })
      ).statusCode,
    ).toBe(200);
    // an earlier, confirmed prescription: warfarin, still active
    const earlier = await draft(patient, [
      { name: 'Warfarin', strength: '5mg', form: 'tablet', dosage_schedule: dose(1, 0, 0, 0), duration_days: 90 },
    ]);
    const confirmed = await call('POST', `/prescriptions/${earlier}/confirm`, patient.access);
    expect(confirmed.statusCode, confirmed.body).toBe(200);

    const id = await draft(patient, [
      { name: 'Panadol', strength: '500mg', form: 'tablet', dosage_schedule: dose(2, 2, 2, 2) },
      { name: 'Efferalgan 500', strength: '500mg', form: 'tablet', dosage_schedule: dose(1, 0, 1, 0) },
      { name: 'Ibuprofen', strength: '400mg', form: 'tablet', dosage_schedule: dose(1, 1, 1, 0) },
      { name: 'Amoxicillin', strength: '500mg', form: 'capsule', dosage_schedule: dose(1, 1, 1, 0) },
    ]);
    const res = await call('GET', `/prescriptions/${id}`, patient.access);
    expect(res.statusCode).toBe(200);
    const alerts = res.json<{ safety_alerts: Alert[] }>().safety_alerts;
    const find = (kind: string, drug: string) => alerts.find((a) => a.kind === kind && a.drugs.includes(drug));
    expect(find('duplicate_therapy', 'Panadol')?.drugs).toEqual(['Panadol', 'Efferalgan 500']);
    const overdose = find('max_dose', 'Panadol');
    expect(overdose?.severity).toBe('major');
    expect(overdose?.message).toContain('5000 mg of paracetamol a day');
    expect(overdose?.message).toContain('4000 mg');
    const bleeding = alerts.find(
      (a) => a.kind === 'interaction' && a.drugs.includes('Ibuprofen') && a.drugs.includes('Warfarin'),
    );
    expect(bleeding?.severity).toBe('major');
    expect(bleeding?.message).toMatch(/bleeding/);
    expect(bleeding?.source).toMatch(/US prescribing information|British National Formulary/);
    expect(find('allergy', 'Amoxicillin')?.severity).toBe('contraindicated');
    expect(find('pregnancy', 'Ibuprofen')?.severity).toBe('major');
    // no false alarm: amoxicillin and ibuprofen do not interact; paracetamol is not an NSAID
    expect(
      alerts.find((a) => a.kind === 'interaction' && a.drugs.includes('Amoxicillin') && a.drugs.includes('Ibuprofen')),
    ).toBeUndefined();
    expect(alerts.find((a) => a.kind === 'duplicate_therapy' && a.drugs.includes('Ibuprofen'))).toBeUndefined();
    // most severe first
    const rank = ['info', 'moderate', 'major', 'contraindicated'];
    const ranks = alerts.map((a) => rank.indexOf(a.severity));
    expect([...ranks].sort((x, y) => y - x)).toEqual(ranks);

    // confirm returns them too (now over the confirmed medications)
    const conf = await call('POST', `/prescriptions/${id}/confirm`, patient.access);
    expect(conf.statusCode, conf.body).toBe(200);
    const after = conf.json<{ safety_alerts: Alert[] }>().safety_alerts;
    expect(after.map((a) => a.rule).sort()).toEqual(alerts.map((a) => a.rule).sort());
  });

  it("speaks the reader's language (km, fr) and stays quiet on a safe prescription", async () => {
    const km = await register(h(), 'patient', { language: 'km' });
    const id = await draft(km, [
      { name: 'Clarithromycin', strength: '500mg', form: 'tablet', dosage_schedule: dose(1, 0, 1, 0) },
      { name: 'Simvastatin', strength: '20mg', form: 'tablet', dosage_schedule: dose(0, 0, 0, 1) },
    ]);
    const res = await call('GET', `/prescriptions/${id}`, km.access);
    const alerts = res.json<{ safety_alerts: Alert[] }>().safety_alerts;
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.kind).toBe('interaction');
    expect(alerts[0]?.severity).toBe('contraindicated'); // simvastatin + a strong CYP3A4 inhibitor (FDA label)
    expect(alerts[0]?.message).toMatch(/[\u1780-\u17FF]/);
    expect(alerts[0]?.message).toContain('ខូចសាច់ដុំ');

    const fr = await register(h(), 'patient', { language: 'fr' });
    const frId = await draft(fr, [
      { name: 'Tramadol', strength: '50mg', form: 'tablet', dosage_schedule: dose(1, 1, 1, 1) },
      { name: 'Sertraline', strength: '50mg', form: 'tablet', dosage_schedule: dose(1, 0, 0, 0) },
    ]);
    const frAlerts = (await call('GET', `/prescriptions/${frId}`, fr.access)).json<{ safety_alerts: Alert[] }>()
      .safety_alerts;
    expect(frAlerts.map((a) => a.kind)).toEqual(['interaction']);
    expect(frAlerts[0]?.message).toContain('syndrome sérotoninergique');

    const safe = await draft(fr, [
      { name: 'Amlodipine', strength: '5mg', form: 'tablet', dosage_schedule: dose(1, 0, 0, 0) },
      { name: 'Metformin', strength: '500mg', form: 'tablet', dosage_schedule: dose(1, 0, 1, 0) },
      { name: 'Diclofenac gel', drug_id: 'diclofenac', strength: '1%', form: 'gel', dosage_schedule: dose(1, 0, 1, 0) },
    ]);
    expect(
      (await call('GET', `/prescriptions/${safe}`, fr.access)).json<{ safety_alerts: Alert[] }>().safety_alerts,
    ).toEqual([]);
  });

  it('another user gets 404, never the alerts; POST /safety/check checks unsaved medicines and refuses a malformed body', async () => {
    const owner = await register(h(), 'patient', { language: 'en' });
    const stranger = await register(h(), 'patient');
    const id = await draft(owner, [
      {
        name: 'Aspirin',
        drug_id: 'acetylsalicylic-acid',
        strength: '81mg',
        form: 'tablet',
        dosage_schedule: dose(1, 0, 0, 0),
      },
    ]);
    const res = await call('GET', `/prescriptions/${id}`, stranger.access);
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain('safety_alerts');

    const check = await call('POST', '/safety/check', owner.access, {
      medications: [
        { name: 'Ciprofloxacin', strength: '500mg', form: 'tablet', dosage_schedule: dose(1, 0, 1, 0) },
        { name: 'Tizanidine', strength: '4mg', form: 'tablet', dosage_schedule: dose(1, 0, 1, 0) },
      ],
    });
    expect(check.statusCode).toBe(200);
    expect(check.json<{ safety_alerts: Alert[] }>().safety_alerts[0]).toMatchObject({
      kind: 'interaction',
      severity: 'contraindicated',
    });
    expect((await call('POST', '/safety/check', owner.access, { medications: [] })).statusCode).toBe(400);
    expect((await call('POST', '/safety/check', owner.access, { medications: [{ name: 'x' }] })).statusCode).toBe(400);
    const noAuth = await full.app.inject({ method: 'POST', url: '/api/v1/safety/check', payload: { medications: [] } });
    expect(noAuth.statusCode).toBe(401);
  });

  it('major alerts at confirmation notify her doctors (in-app, no medicine name in the text), once; a doctor sees the alerts too', async () => {
    const patient = await register(h(), 'patient', { language: 'en' });
    const doctor = await register(h(), 'doctor', { language: 'fr' });
    const formerDoctor = await register(h(), 'doctor');
    await h().t.owner.query(
      `INSERT INTO doctor_patient_relationships (doctor_id, patient_id, status, initiated_by, accepted_at, ended_at)
       VALUES ($1, $3, 'active', 'doctor', now(), NULL), ($2, $3, 'inactive', 'doctor', now() - interval '2 days', now() - interval '1 day')`,
      [doctor.id, formerDoctor.id, patient.id],
    );
    const id = await draft(patient, [
      { name: 'Clarithromycin', strength: '500mg', form: 'tablet', dosage_schedule: dose(1, 0, 1, 0) },
      { name: 'Simvastatin', strength: '40mg', form: 'tablet', dosage_schedule: dose(0, 0, 0, 1) },
    ]);
    const confirmed = await call('POST', `/prescriptions/${id}/confirm`, patient.access);
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    const notes = await h().t.owner.query<{
      user_id: string;
      type: string;
      title: string;
      body: string;
      data: { prescription_id: string; kinds: string[]; severity: string };
    }>("SELECT user_id, type::text, title, body, data FROM notifications WHERE data->>'prescription_id' = $1", [id]);
    expect(notes.rows).toHaveLength(1);
    const n = notes.rows[0];
    expect(n?.user_id).toBe(doctor.id);
    expect(n?.type).toBe('alert');
    expect(n?.title).toBe('Alerte de sécurité médicamenteuse');
    expect(n?.body).toMatch(
      /^Sok Dara a confirmé une ordonnance avec \d+ alerte\(s\) de sécurité importante\(s\)\. Merci de la vérifier\.$/,
    );
    // read through the API in the doctor's language, the same text
    const listed = (
      await full.app.inject({
        method: 'GET',
        url: '/api/v1/notifications',
        headers: { authorization: `Bearer ${doctor.access}` },
      })
    ).json<{ items: { title: string; body: string }[] }>().items;
    expect(listed).toEqual([expect.objectContaining({ title: n?.title, body: n?.body })]);
    expect(n?.data).toMatchObject({ prescription_id: id, kinds: ['interaction'], severity: 'contraindicated' });
    expect(`${n?.title} ${n?.body}`).not.toMatch(/simvastatin|clarithromycin/i);
    // the doctor reads the prescription: the alerts in his language
    const seen = await call('GET', `/prescriptions/${id}`, doctor.access);
    expect(seen.statusCode).toBe(200);
    expect(seen.json<{ safety_alerts: Alert[] }>().safety_alerts[0]?.message).toContain('ensemble');
  });

  it('the knowledge base is in PostgreSQL (schema kb) as in the files', async () => {
    const kb = await full.app.inject({ method: 'GET', url: '/api/v1/safety/knowledge' });
    const body = kb.json<{ ingredients: number; interactions: number; sha256: string }>();
    expect(body.ingredients).toBeGreaterThanOrEqual(600);
    const db = await h().t.owner.query<{ n: number; m: number; sha: string }>(
      'SELECT (SELECT count(*)::int FROM kb.ingredients) AS n, (SELECT count(*)::int FROM kb.interactions) AS m, (SELECT sha256 FROM kb.meta) AS sha',
    );
    expect(db.rows[0]).toEqual({ n: body.ingredients, m: body.interactions, sha: body.sha256 });
    const brands = await h().t.owner.query<{ brands: string[] }>(
      "SELECT brands FROM kb.ingredients WHERE id = 'paracetamol'",
    );
    expect(brands.rows[0]?.brands).toContain('Panadol');
  });
});
