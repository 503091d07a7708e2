/**
 * Through HTTP: the same photo twice (409 duplicate_prescription with
 * the existing id, unless ?allow_duplicate=true); confirming with a start date and warnings;
 * deleting a prescription (a draft for good, a confirmed one soft: medicines stop, doses kept
 * but no longer counted).
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { API_PREFIX } from '../../src/http/app.ts';
import { register, type SignedIn } from '../support/api.ts';
import { connect } from '../support/api-fixtures.ts';
import { multipartBody } from '../prescriptions/support.ts';
import { localDate, useFullApp, type Full } from '../support/full-call.ts';

const app = useFullApp();

let shade = 0;
async function photo(): Promise<Buffer> {
  shade += 1;
  return sharp({ create: { width: 160, height: 100, channels: 3, background: { r: 10 + shade, g: 120, b: 60 } } })
    .png()
    .toBuffer();
}

async function upload(x: Full, token: string, bytes: Buffer, query = '') {
  const { body, boundary } = multipartBody(bytes);
  return x.full.app.inject({
    method: 'POST',
    url: `${API_PREFIX}/prescriptions${query}`,
    payload: body,
    headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
  });
}

/** A prescription read and awaiting review (the reading itself is the reader's suite). */
async function draft(x: Full, p: SignedIn, prescriptionDate: string | null): Promise<string> {
  const res = await x.h.t.owner.query<{ id: string }>(
    `INSERT INTO prescriptions (patient_id, uploaded_by, status, prescription_date, structured_data)
     VALUES ($1, $1, 'ocr_completed', $2, $3) RETURNING id`,
    [
      p.id,
      prescriptionDate,
      JSON.stringify({
        medications: [
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
            duration_days: 5,
            dosage_schedule: { morning: 1, noon: 0, evening: 0, night: 1 },
          },
        ],
      }),
    ],
  );
  return res.rows[0]!.id;
}

interface Detail {
  id: string;
  status: string;
  reminders: { id: string; start_date: string; end_date: string | null; is_active: boolean; medication_id: string }[];
  medications: { id: string }[];
  warnings: { code: string; detail: string }[];
}

describe('the same photo twice', () => {
  it('answers 409 duplicate_prescription with the existing id; ?allow_duplicate=true uploads anyway; another patient is not concerned', async () => {
    const x = app();
    const p = await register(x.h, 'patient');
    const other = await register(x.h, 'patient');
    const bytes = await photo();
    const first = await upload(x, p.access, bytes);
    expect(first.statusCode, first.body).toBe(202);
    const id = first.json<{ id: string }>().id;
    const again = await upload(x, p.access, bytes);
    expect(again.statusCode).toBe(409);
    expect(again.headers['content-type']).toContain('application/problem+json');
    expect(again.json()).toMatchObject({ code: 'duplicate_prescription', status: 409, existing_prescription_id: id });
    const count = async () =>
      (
        await x.h.t.owner.query<{ n: number }>('SELECT count(*)::int AS n FROM prescriptions WHERE patient_id = $1', [
          p.id,
        ])
      ).rows[0]!.n;
    expect(await count()).toBe(1);
    const insisted = await upload(x, p.access, bytes, '?allow_duplicate=true');
    expect(insisted.statusCode).toBe(202);
    expect(insisted.json<{ id: string }>().id).not.toBe(id);
    expect(await count()).toBe(2);
    expect((await upload(x, other.access, bytes)).statusCode).toBe(202);
    expect((await upload(x, p.access, await photo())).statusCode).toBe(202);
    expect((await upload(x, p.access, bytes, '?allow_duplicate=maybe')).statusCode).toBe(400);
  });

  it('is documented in the OpenAPI document', async () => {
    const x = app();
    const doc = (await x.full.app.inject({ method: 'GET', url: '/docs/json' })).json<{
      paths: Record<
        string,
        Record<
          string,
          {
            parameters?: { name: string; in: string }[];
            responses?: Record<
              string,
              { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> }
            >;
          }
        >
      >;
    }>();
    const post = doc.paths['/api/v1/prescriptions']?.post;
    expect(post?.parameters?.find((q) => q.name === 'allow_duplicate')?.in).toBe('query');
    const conflict = post?.responses?.['409']?.content;
    expect(JSON.stringify(conflict)).toContain('existing_prescription_id');
  });
});

describe('confirming with a start date', () => {
  it('starts the reminders on the given day and warns about an old prescription', async () => {
    const x = app();
    const p = await register(x.h, 'patient');
    const old = localDate(new Date(), -540);
    const id = await draft(x, p, old);
    const start = localDate(new Date(), -2);
    const res = await x.call('POST', `/prescriptions/${id}/confirm`, { token: p.access, body: { start_date: start } });
    expect(res.statusCode, res.body).toBe(200);
    const d = res.json<Detail>();
    expect(d.status).toBe('completed');
    expect(d.reminders.every((r) => r.start_date === start)).toBe(true);
    // Amoxicillin: 21 capsules, 3 a day → 7 days from the start; Paracetamol: 5 days
    expect(d.reminders.map((r) => r.end_date)).toEqual(
      expect.arrayContaining([localDate(new Date(), 4), localDate(new Date(), 2)]),
    );
    expect(d.warnings.map((w) => w.code)).toEqual(['old_prescription']);
    expect(d.warnings[0]!.detail).toContain(old);
  });

  it('an old prescription confirmed without a start date starts today, with the warning; a course already over says so', async () => {
    const x = app();
    const p = await register(x.h, 'patient');
    const today = await x.call('POST', `/prescriptions/${await draft(x, p, localDate(new Date(), -45))}/confirm`, {
      token: p.access,
    });
    expect(today.statusCode, today.body).toBe(200);
    expect(today.json<Detail>().reminders.every((r) => r.start_date === localDate(new Date()) && r.is_active)).toBe(
      true,
    );
    expect(today.json<Detail>().warnings.map((w) => w.code)).toEqual(['old_prescription']);
    const recent = await x.call('POST', `/prescriptions/${await draft(x, p, localDate(new Date(), -3))}/confirm`, {
      token: p.access,
      body: {},
    });
    expect(recent.json<Detail>().warnings).toEqual([]);
    const over = await x.call('POST', `/prescriptions/${await draft(x, p, localDate(new Date(), -60))}/confirm`, {
      token: p.access,
      body: { start_date: localDate(new Date(), -60) },
    });
    expect(over.statusCode).toBe(200);
    expect(over.json<Detail>().reminders.every((r) => !r.is_active)).toBe(true);
    // started the day it was written: not old relative to its start, but the course is over
    expect(over.json<Detail>().warnings.map((w) => w.code)).toEqual(['treatment_already_over']);
    const bad = await x.call('POST', `/prescriptions/${await draft(x, p, null)}/confirm`, {
      token: p.access,
      body: { start_date: '1970-01-01' },
    });
    expect(bad.json<{ code: string }>().code).toBe('invalid_start_date');
  });
});

describe('deleting a prescription', () => {
  it('a draft goes for good, its photo with it', async () => {
    const x = app();
    const p = await register(x.h, 'patient');
    const id = await draft(x, p, null);
    const other = await register(x.h, 'patient');
    expect((await x.call('DELETE', `/prescriptions/${id}`, { token: other.access })).statusCode).toBe(404);
    const res = await x.call('DELETE', `/prescriptions/${id}`, { token: p.access });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ id, outcome: 'deleted' });
    expect((await x.h.t.owner.query('SELECT 1 FROM prescriptions WHERE id = $1', [id])).rowCount).toBe(0);
    expect((await x.call('GET', `/prescriptions/${id}`, { token: p.access })).statusCode).toBe(404);
    // an uploaded photo still being read cannot be deleted yet
    const up = await upload(x, p.access, await photo());
    const reading = await x.call('DELETE', `/prescriptions/${up.json<{ id: string }>().id}`, { token: p.access });
    expect(reading.json<{ code: string }>().code).toBe('reading_in_progress');
  });

  it('a confirmed one is soft-deleted: medicines stop, reminders end, its recorded doses no longer count; her doctor no longer sees it', async () => {
    const x = app();
    const p = await register(x.h, 'patient');
    const d = await register(x.h, 'doctor');
    await connect(x.h, d, p);
    const keep = await x.call('POST', `/prescriptions/${await draft(x, p, null)}/confirm`, {
      token: p.access,
      body: { start_date: localDate(new Date(), -3) },
    });
    const dup = await x.call('POST', `/prescriptions/${await draft(x, p, null)}/confirm`, {
      token: p.access,
      body: { start_date: localDate(new Date(), -3) },
    });
    const yesterday = localDate(new Date(), -1);
    for (const c of [keep, dup]) {
      const morning = c.json<Detail>().reminders.find((r) => r.medication_id === c.json<Detail>().medications[0]!.id)!;
      const logged = await x.call('POST', `/reminders/${morning.id}/logs`, {
        token: p.access,
        body: { status: 'taken', scheduled_for: new Date(`${yesterday}T07:00:00+07:00`).toISOString() },
      });
      expect(logged.statusCode, logged.body).toBe(201);
    }
    const taken = async () =>
      (await x.call('GET', '/adherence', { token: p.access })).json<{ overall: { taken: number } }>().overall.taken;
    expect(await taken()).toBe(2);
    const dupId = dup.json<Detail>().id;
    expect((await x.call('DELETE', `/prescriptions/${dupId}`, { token: d.access })).statusCode).toBe(403);
    const res = await x.call('DELETE', `/prescriptions/${dupId}`, { token: p.access });
    expect(res.json()).toEqual({ id: dupId, outcome: 'soft_deleted' });
    expect((await x.call('GET', `/prescriptions/${dupId}`, { token: p.access })).statusCode).toBe(404);
    expect((await x.call('GET', `/prescriptions/${dupId}`, { token: d.access })).statusCode).toBe(404);
    expect(await taken()).toBe(1);
    const history = (await x.call('GET', '/dose-logs', { token: p.access })).json<{ total: number }>();
    expect(history.total).toBe(1);
    const meds = (await x.call('GET', '/medications', { token: p.access })).json<{
      items: { prescription_id: string }[];
    }>().items;
    expect(meds.map((m) => m.prescription_id)).not.toContain(dupId);
    const rows = await x.h.t.owner.query<{
      is_active: boolean;
      stop_reason: string | null;
      reminders_active: number;
      logs: number;
    }>(
      `SELECT m.is_active, m.stop_reason, (SELECT count(*)::int FROM medication_reminders r WHERE r.medication_id = m.id AND r.is_active) AS reminders_active,
              (SELECT count(*)::int FROM medication_reminder_logs l JOIN medication_reminders r ON r.id = l.reminder_id WHERE r.medication_id = m.id) AS logs
         FROM medications m WHERE m.prescription_id = $1 ORDER BY m.sequence`,
      [dupId],
    );
    expect(rows.rows).toEqual([
      { is_active: false, stop_reason: 'prescription deleted', reminders_active: 0, logs: 1 },
      { is_active: false, stop_reason: 'prescription deleted', reminders_active: 0, logs: 0 },
    ]);
    expect((await x.call('DELETE', `/prescriptions/${dupId}`, { token: p.access })).statusCode).toBe(404);
  });
});
