/**
 * "Your prescription is ready" through HTTP: upload → the real job queue and reading job → the
 * notification in the patient's language, re-rendered after she changes it; a Khmer patient's
 * 402 detail at the free plan's limit. The reader returns a fixed reading (OCR is not what this
 * file tests; test/prescriptions/flow.test.ts reads real photos).
 */
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { useFlowApi } from '../prescriptions/support.ts';
import type { ReaderPort } from '../../src/prescriptions/reading-job.ts';
import type { ReadResult } from '../../src/reading/index.ts';
import { register } from '../support/api.ts';

const READING: ReadResult = {
  hospital_name: 'Calmette Hospital',
  prescription_number: 'CAL-1',
  prescription_date: '2026-01-15',
  patient: { name: 'Sok Dara', age: 52, gender: 'female' },
  diagnosis: [],
  department: null,
  prescribing_doctor_name: null,
  medications: [
    {
      sequence: 1,
      name: 'Amlodipine',
      generic_name: 'amlodipine',
      drug_id: null,
      strength: '5mg',
      form: 'tablet',
      quantity: 30,
      quantity_unit: 'tablet',
      dosage_schedule: { morning: 1, noon: 0, evening: 0, night: 0 },
      duration_days: 30,
      instructions: null,
      take_after_meal: false,
      take_before_meal: false,
      confidence: 0.9,
      field_confidence: {
        name: 0.9,
        strength: 0.9,
        quantity: 0.9,
        dosage_schedule: { morning: 0.9, noon: 0.9, evening: 0.9, night: 0.9 },
      },
    },
  ],
  layout: 'table',
  ocr: {
    engine: 'fixed-test-reading',
    languages: ['eng'],
    confidence: 0.9,
    processing_ms: 1,
    stages_ms: {},
    warnings: [],
  },
  raw_text: 'Amlodipine 5mg 1-0-0-0',
};
const fixedReader: ReaderPort = { read: async () => structuredClone(READING) };
const x = useFlowApi({ reader: () => fixedReader });

describe('prescription notifications and problems in Khmer', () => {
  it('the "ready to review" notification is in the patient\'s language and follows a change of it', async () => {
    const h = x();
    const p = await register(h, 'patient');
    const photo = await sharp({ create: { width: 120, height: 80, channels: 3, background: '#f5f5f5' } })
      .png()
      .toBuffer();
    const up = await h.upload(p.access, photo);
    expect(up.statusCode, up.body).toBe(202);
    await h.waitForStatus(p.access, up.json<{ id: string }>().id, ['ocr_completed']);
    const list = async () =>
      (await h.call('GET', '/notifications', { token: p.access })).json<{
        items: { type: string; title: string; body: string }[];
      }>().items;
    expect(await list()).toMatchObject([
      { type: 'prescription', title: 'វេជ្ជបញ្ជារបស់អ្នករួចរាល់សម្រាប់ពិនិត្យ', body: 'សូមពិនិត្យថ្នាំដែលបានអាន រួចចុចបញ្ជាក់។' },
    ]);
    expect((await h.call('PATCH', '/me', { token: p.access, body: { language: 'en' } })).statusCode).toBe(200);
    expect(await list()).toMatchObject([
      { title: 'Your prescription is ready to review', body: 'Check the medicines that were read, then confirm them.' },
    ]);
  });

  it("a Khmer patient at the free plan's limit reads why in Khmer (the plan keeps its name, Premium)", async () => {
    const h = x();
    const p = await register(h, 'patient');
    for (let i = 0; i < 10; i++)
      await h.t.owner.query(
        `INSERT INTO prescriptions (patient_id, uploaded_by, status) VALUES ($1, $1, 'completed')`,
        [p.id],
      );
    const photo = await sharp({ create: { width: 120, height: 80, channels: 3, background: '#f0f0f0' } })
      .png()
      .toBuffer();
    const res = await h.upload(p.access, photo);
    expect(res.statusCode).toBe(402);
    expect(res.json()).toMatchObject({ code: 'free_tier_limit', title: 'ត្រូវការការទូទាត់' });
    expect(res.json().detail).toBe(
      'គម្រោងឥតគិតថ្លៃរក្សាទុកវេជ្ជបញ្ជាបានត្រឹម ១០ ប៉ុណ្ណោះ។ សូមដំឡើងទៅគម្រោង Premium ($0.50 ក្នុងមួយខែ ឬ $5 ក្នុងមួយឆ្នាំ) ដើម្បីបន្ថែមទៀត។ — សូមមើល /api/v1/plans',
    );
  });

  it("the same photo twice: 409 duplicate_prescription in the patient's language, with the existing id; confirm warnings by Accept-Language, else her language", async () => {
    const h = x();
    const p = await register(h, 'patient');
    const photo = await sharp({ create: { width: 120, height: 80, channels: 3, background: '#eeeeee' } })
      .png()
      .toBuffer();
    const up = await h.upload(p.access, photo);
    expect(up.statusCode, up.body).toBe(202);
    const id = up.json<{ id: string }>().id;
    const again = await h.upload(p.access, photo);
    expect(again.statusCode).toBe(409);
    expect(again.headers['content-type']).toContain('application/problem+json');
    expect(again.headers['content-language']).toBe('km');
    expect(again.json()).toMatchObject({
      code: 'duplicate_prescription',
      status: 409,
      title: 'ខុសនឹងស្ថានភាពបច្ចុប្បន្ន',
      existing_prescription_id: id,
      detail: 'រូបថតនេះត្រូវបានផ្ទុកឡើងរួចហើយ។ សូមបើកវេជ្ជបញ្ជាដែលមានស្រាប់ ឬផ្ទុកឡើងម្តងទៀតជាមួយ ?allow_duplicate=true។',
    });
    await h.waitForStatus(p.access, id, ['ocr_completed']);
    // the reading is dated 2026-01-15: more than 30 days before a start today or later
    const start = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const fr = await h.call('POST', `/prescriptions/${id}/confirm`, {
      token: p.access,
      body: { start_date: start },
      headers: { 'accept-language': 'fr-FR,fr;q=0.9' },
    });
    expect(fr.statusCode, fr.body).toBe(200);
    const warning = fr.json<{ warnings: { code: string; detail: string }[] }>().warnings[0];
    expect(warning?.code).toBe('old_prescription');
    expect(warning?.detail).toMatch(
      new RegExp(`^cette ordonnance est datée du 2026-01-15, \\d+ jours avant le début \\(${start}\\)`),
    );
    // a second prescription, confirmed without Accept-Language: her stored language (km)
    const second = await h.upload(
      p.access,
      await sharp({ create: { width: 120, height: 80, channels: 3, background: '#dddddd' } })
        .png()
        .toBuffer(),
    );
    const secondId = second.json<{ id: string }>().id;
    await h.waitForStatus(p.access, secondId, ['ocr_completed']);
    const km = await h.call('POST', `/prescriptions/${secondId}/confirm`, { token: p.access });
    expect(km.statusCode, km.body).toBe(200);
    expect(km.json<{ warnings: { code: string; detail: string }[] }>().warnings[0]?.detail).toMatch(
      /^វេជ្ជបញ្ជានេះចុះកាលបរិច្ឆេទ 2026-01-15 គឺ \d+ ថ្ងៃមុនថ្ងៃចាប់ផ្តើម/,
    );
  });
});
