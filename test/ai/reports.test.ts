/**
 * Reports through HTTP on a real database: adherence over N days from the dose logs, the
 * medicine summary and the risk report (safety alerts), in Khmer and English; the PDF rendered
 * by Chromium (page.pdf()), checked with poppler: its text extracted (Khmer searchable) and
 * its first page rendered to PNG. Premium only; another user's report is 404.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register, startFullApp, useApi, type FullApp, type SignedIn } from '../support/api.ts';
import { confirmedPrescription, makePremium } from './support.ts';

const h = useApi();
let full: FullApp;
let patient: SignedIn;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dastern-reports-'));

interface Report {
  id: string;
  kind: string;
  language: string;
  title: string;
  summary: string;
  medicines: Array<{ name: string; taken: number; missed: number; rate: number | null }>;
  slots: Array<{ slot: string; missed: number }>;
  alerts: Array<{ kind: string; severity: string }>;
  disclaimer: string;
}
const post = (token: string, body: unknown) =>
  full.app.inject({
    method: 'POST',
    url: '/api/v1/ai/reports',
    headers: { authorization: `Bearer ${token}` },
    payload: body as Record<string, unknown>,
  });
const get = (token: string, url: string) =>
  full.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` } });

beforeAll(async () => {
  full = await startFullApp(h());
  patient = await register(h(), 'patient', { language: 'km' });
  await makePremium(h(), patient.id);
  await confirmedPrescription(full.app, h(), patient, [
    {
      name: 'Amlodipine',
      strength: '5mg',
      form: 'tablet',
      dosage_schedule: { morning: 1, noon: 0, evening: 0, night: 0 },
      duration_days: 30,
    },
    {
      name: 'Clarithromycin',
      strength: '500mg',
      form: 'tablet',
      dosage_schedule: { morning: 1, noon: 0, evening: 1, night: 0 },
      duration_days: 7,
    },
    {
      name: 'Simvastatin',
      strength: '20mg',
      form: 'tablet',
      dosage_schedule: { morning: 0, noon: 0, evening: 0, night: 1 },
      duration_days: 30,
    },
  ]);
  // ten days of doses: mornings taken, evenings mostly missed
  await h().t.owner.query(
    `INSERT INTO medication_reminder_logs (reminder_id, patient_id, scheduled_for, status, action_at)
     SELECT r.id, r.patient_id, now() - make_interval(days => d) , CASE WHEN r.slot = 'morning' OR d % 3 = 0 THEN 'taken' ELSE 'missed' END::reminder_log_status,
            CASE WHEN r.slot = 'morning' OR d % 3 = 0 THEN now() - make_interval(days => d) END
       FROM medication_reminders r, generate_series(1, 10) d WHERE r.patient_id = $1`,
    [patient.id],
  );
});
afterAll(async () => {
  await full.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('AI reports', () => {
  it('adherence over 30 days in Khmer: counts from the dose logs, the evening as the weak time', async () => {
    const res = await post(patient.access, { kind: 'adherence', days: 30 });
    expect(res.statusCode, res.body).toBe(201);
    const r = res.json<Report>();
    expect(r).toMatchObject({ kind: 'adherence', language: 'km', title: 'របាយការណ៍ការលេបថ្នាំទៀងទាត់' });
    const amlo = r.medicines.find((m) => m.name === 'Amlodipine');
    expect(amlo).toMatchObject({ taken: 10, missed: 0, rate: 100 });
    const clari = r.medicines.find((m) => m.name === 'Clarithromycin');
    expect(clari).toMatchObject({ taken: 13, missed: 7 });
    expect(r.slots.find((s) => s.slot === 'evening')?.missed).toBe(7);
    expect(r.summary).toContain('ក្នុងរយៈពេល 30 ថ្ងៃ');
    expect(r.disclaimer).toContain('119');
    const again = await get(patient.access, `/ai/reports/${r.id}`);
    expect(again.statusCode).toBe(200);
    expect(again.json<Report>().summary).toBe(r.summary);
  });

  it('a risk report in English lists the interaction; its PDF is real: text extracted by pdftotext, page rendered by pdftoppm', async () => {
    const res = await post(patient.access, { kind: 'risk', language: 'en', days: 14 });
    expect(res.statusCode, res.body).toBe(201);
    const r = res.json<Report>();
    expect(r.kind).toBe('risk');
    expect(r.alerts.some((a) => a.kind === 'interaction' && a.severity === 'contraindicated')).toBe(true);
    expect(r.summary).toMatch(/Most often missed: evening/);
    const pdf = await get(patient.access, `/ai/reports/${r.id}/pdf`);
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    const file = path.join(tmp, 'risk.pdf');
    fs.writeFileSync(file, pdf.rawPayload);
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    expect(text).toContain('Risk report');
    expect(text).toContain('Clarithromycin');
    expect(text).toMatch(/muscle damage/);
  });

  it('the Khmer medicine summary as PDF: Khmer text searchable (shaped, not boxes) and a rendered page with ink', async () => {
    const res = await post(patient.access, { kind: 'medication_summary' });
    expect(res.statusCode, res.body).toBe(201);
    const r = res.json<Report>();
    const pdf = await get(patient.access, `/ai/reports/${r.id}/pdf`);
    expect(pdf.statusCode).toBe(200);
    const file = path.join(tmp, 'summary.pdf');
    fs.writeFileSync(file, pdf.rawPayload);
    const text = execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' }).replace(/\s+/g, '');
    expect(text).toContain('ថ្នាំរបស់ខ្ញុំ៖សេចក្តីសង្ខេបសម្រាប់គ្រូពេទ្យ');
    expect(text).toContain('បន្ថយសម្ពាធឈាមខ្ពស់');
    expect(text).not.toContain('\uFFFD');
    execFileSync('pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '1', file, path.join(tmp, 'page')]);
    const png = fs.readdirSync(tmp).find((f) => f.startsWith('page') && f.endsWith('.png'));
    expect(png).toBeDefined();
    const stats = await sharp(path.join(tmp, png ?? ''))
      .greyscale()
      .stats();
    // a white page with dark text: the mean is below white and some pixels are near black
    expect(stats.channels[0]?.mean).toBeLessThan(252);
    expect(stats.channels[0]?.min).toBeLessThan(80);
  });

  it('the audit trail records the report as a fact (ids, kind, status), never its text', async () => {
    const res = await post(patient.access, { kind: 'risk', language: 'en', days: 14 });
    expect(res.statusCode, res.body).toBe(201);
    const r = res.json<Report>();
    const rows = await h().t.owner.query<{
      action: string;
      subject_user_id: string;
      values: string;
      new_values: Record<string, unknown> | null;
    }>(
      `SELECT action, subject_user_id, coalesce(old_values::text, '') || coalesce(new_values::text, '') AS values, new_values
         FROM audit_logs WHERE table_name = 'ai_reports' AND resource_id = $1 ORDER BY seq`,
      [r.id],
    );
    expect(rows.rows.length).toBeGreaterThan(0);
    expect(rows.rows[0]).toMatchObject({ action: 'insert', subject_user_id: patient.id });
    expect(rows.rows[0]?.new_values).toMatchObject({ id: r.id, user_id: patient.id, language: 'en' });
    const all = rows.rows.map((x) => x.values).join(' ');
    expect(all).not.toMatch(/Clarithromycin|Simvastatin|muscle|evening/i);
    expect(all).not.toContain(r.summary.slice(0, 20));
    expect(all).not.toMatch(/"(content|title|error_message|file_path)"/);
  });

  it('a doctor of hers gets a drafted visit summary in his language (marked draft); another doctor 404, a patient 403', async () => {
    const doctor = await register(h(), 'doctor', { language: 'en' });
    const stranger = await register(h(), 'doctor');
    await h().t.owner.query(
      `INSERT INTO doctor_patient_relationships (doctor_id, patient_id, status, initiated_by, accepted_at) VALUES ($1, $2, 'active', 'doctor', now())`,
      [doctor.id, patient.id],
    );
    const res = await get(doctor.access, `/ai/patients/${patient.id}/visit-summary?days=14`);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<{ draft: boolean; text: string; language: string; alerts: Array<{ severity: string }> }>();
    expect(body.draft).toBe(true);
    expect(body.language).toBe('en');
    expect(body.text.startsWith('DRAFT visit summary')).toBe(true);
    expect(body.text).toMatch(/Clarithromycin 500mg/);
    expect(body.text).toMatch(/Most often missed: evening/);
    expect(body.alerts.some((a) => a.severity === 'contraindicated')).toBe(true);
    const log = await h().t.owner.query(
      "SELECT 1 FROM audit_logs WHERE action = 'visit_summary' AND actor_user_id = $1 AND subject_user_id = $2",
      [doctor.id, patient.id],
    );
    expect(log.rowCount).toBe(1);
    expect((await get(stranger.access, `/ai/patients/${patient.id}/visit-summary`)).statusCode).toBe(404);
    expect((await get(patient.access, `/ai/patients/${patient.id}/visit-summary`)).statusCode).toBe(403);
  });

  it("Premium only (402 premium_required); another user's report is 404 (JSON and PDF); bad input 400", async () => {
    const free = await register(h(), 'patient');
    const refused = await post(free.access, { kind: 'adherence' });
    expect(refused.statusCode).toBe(402);
    expect(refused.json()).toMatchObject({ code: 'premium_required' });
    const mine = (await post(patient.access, { kind: 'adherence', days: 7 })).json<Report>();
    const other = await register(h(), 'patient');
    await makePremium(h(), other.id);
    expect((await get(other.access, `/ai/reports/${mine.id}`)).statusCode).toBe(404);
    expect((await get(other.access, `/ai/reports/${mine.id}/pdf`)).statusCode).toBe(404);
    expect((await post(patient.access, { kind: 'horoscope' })).statusCode).toBe(400);
    expect((await post(patient.access, { kind: 'adherence', days: 0 })).statusCode).toBe(400);
    expect((await post(patient.access, { kind: 'adherence', days: 366 })).statusCode).toBe(400);
  });
});
