/**
 * The authorisation matrix of the prescription and reminder routes: route × actor → status,
 * generated from one table. Actors: anonymous, the owner (patient), another patient, her doctor
 * (active; view + modify_reminders), a doctor who may view but not change reminders, a doctor
 * without a relationship, a doctor whose relationship ended, an admin. Strangers get 404 and
 * never the contents; refusals carry no medical text. The reader returns a fixed reading (OCR is not what this file tests).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import type { LightMyRequestResponse } from 'fastify';
import { useFlowApi, multipartBody, type FlowHarness } from './support.ts';
import type { ReaderPort } from '../../src/prescriptions/reading-job.ts';
import type { ReadResult } from '../../src/reading/index.ts';
import { register, makeAdmin, type ApiHarness, type SignedIn } from '../support/api.ts';
import { connect } from '../support/api-fixtures.ts';

const READING: ReadResult = {
  hospital_name: 'Calmette Hospital',
  prescription_number: 'CAL-2025-0042',
  prescription_date: '2025-06-15',
  patient: { name: 'Sok Dara', age: 52, gender: 'female' },
  diagnosis: ['Hypertension'],
  department: 'Internal medicine',
  prescribing_doctor_name: 'Heng Vannak',
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
      instructions: 'after meal',
      take_after_meal: true,
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
  raw_text: 'Calmette Hospital — Blood pressure 150/95 — Amlodipine 5mg 1-0-0-0 x 30 days',
};
const fixedReader: ReaderPort = { read: async () => structuredClone(READING) };

/** Text that must never appear in a refusal. */
const SECRETS = ['Calmette', 'Amlodipine', 'Blood pressure', 'Hypertension'];

const ACTORS = ['anonymous', 'owner', 'otherPatient', 'doctor', 'viewOnly', 'stranger', 'ended', 'admin'] as const;
type ActorName = (typeof ACTORS)[number];
type Expect = Record<ActorName, number>;

interface World {
  actors: Record<Exclude<ActorName, 'anonymous'>, SignedIn>;
  rxMain: string; // confirmed: medications and reminders
  rxPatch: string; // drafts (ocr_completed) for the owner's changes
  rxConfirm: string;
  rxReprocess: string;
  reminderId: string;
  photo: Buffer;
}

interface Case {
  name: string;
  method: 'GET' | 'POST' | 'PATCH';
  path: (w: World) => string;
  body?: (w: World) => unknown;
  multipart?: true;
  expect: Expect;
  check?: (res: LightMyRequestResponse, w: World, actor: ActorName) => void;
}

const every = (s: number, over: Partial<Expect> = {}): Expect => ({
  anonymous: 401,
  owner: s,
  otherPatient: s,
  doctor: s,
  viewOnly: s,
  stranger: s,
  ended: s,
  admin: s,
  ...over,
});
/** Reads of one of the owner's resources: her, her doctors who may view, admins; 404 for everyone else. */
const ownerRead = (ok: number): Expect => every(404, { owner: ok, doctor: ok, viewOnly: ok, admin: ok });
/** The patient's own writes: doctors who see it and admins get 403, strangers 404. */
const ownerWrite = (ok: number): Expect => every(404, { owner: ok, doctor: 403, viewOnly: 403, admin: 403 });
const SEES_OWNER: ReadonlySet<ActorName> = new Set(['owner', 'doctor', 'viewOnly', 'admin']);

const ids = (r: LightMyRequestResponse): string[] => r.json<{ items: { id: string }[] }>().items.map((x) => x.id);

const CASES: Case[] = [
  {
    name: 'POST /prescriptions (multipart)',
    method: 'POST',
    path: () => '/prescriptions',
    multipart: true,
    expect: every(403, { owner: 202, otherPatient: 202 }),
  },
  {
    name: 'GET /prescriptions',
    method: 'GET',
    path: () => '/prescriptions?limit=100',
    expect: every(200),
    check: (r, w, a) => expect(ids(r).includes(w.rxMain)).toBe(SEES_OWNER.has(a)),
  },
  {
    name: 'GET /prescriptions?patient_id=owner',
    method: 'GET',
    path: (w) => `/prescriptions?patient_id=${w.actors.owner.id}`,
    expect: every(200),
    check: (r, w, a) => {
      expect(ids(r).includes(w.rxMain)).toBe(SEES_OWNER.has(a));
      if (!SEES_OWNER.has(a)) expect(r.json<{ total: number }>().total).toBe(0);
    },
  },
  {
    name: 'GET /prescriptions/:id',
    method: 'GET',
    path: (w) => `/prescriptions/${w.rxMain}`,
    expect: ownerRead(200),
    check: (r) => expect(r.json<{ id: string; medications: unknown[] }>().medications.length).toBe(1),
  },
  {
    name: 'PATCH /prescriptions/:id',
    method: 'PATCH',
    path: (w) => `/prescriptions/${w.rxPatch}`,
    body: () => ({ pharmacy_name: 'Pharmacie Centrale' }),
    expect: ownerWrite(200),
  },
  {
    name: 'POST /prescriptions/:id/confirm',
    method: 'POST',
    path: (w) => `/prescriptions/${w.rxConfirm}/confirm`,
    expect: ownerWrite(200),
    check: (r) => expect(r.json<{ status: string }>().status).toBe('completed'),
  },
  {
    name: 'POST /prescriptions/:id/reprocess',
    method: 'POST',
    path: (w) => `/prescriptions/${w.rxReprocess}/reprocess`,
    expect: ownerWrite(202),
  },
  {
    name: 'GET /prescriptions/:id/image',
    method: 'GET',
    path: (w) => `/prescriptions/${w.rxMain}/image`,
    expect: ownerRead(200),
    check: (r, w) => expect(r.rawPayload.equals(w.photo)).toBe(true),
  },
  {
    name: 'GET /prescriptions/:id/thumbnail',
    method: 'GET',
    path: (w) => `/prescriptions/${w.rxMain}/thumbnail`,
    expect: ownerRead(200),
    check: (r) => expect(r.headers['content-type']).toBe('image/jpeg'),
  },
  {
    name: 'GET /reminders/today',
    method: 'GET',
    path: () => '/reminders/today',
    expect: every(403, { owner: 200, otherPatient: 200 }),
    check: (r, w, a) =>
      expect(r.json<{ items: { reminder_id: string }[] }>().items.some((d) => d.reminder_id === w.reminderId)).toBe(
        a === 'owner',
      ),
  },
  {
    name: 'GET /reminders',
    method: 'GET',
    path: () => '/reminders',
    expect: every(200),
    check: (r, w, a) => expect(ids(r).includes(w.reminderId)).toBe(SEES_OWNER.has(a)),
  },
  {
    name: 'GET /reminders?patient_id=owner',
    method: 'GET',
    path: (w) => `/reminders?patient_id=${w.actors.owner.id}`,
    expect: every(200),
    check: (r, w, a) => expect(ids(r).length > 0).toBe(SEES_OWNER.has(a)),
  },
  {
    name: 'PATCH /reminders/:id',
    method: 'PATCH',
    path: (w) => `/reminders/${w.reminderId}`,
    body: () => ({ advance_minutes: 5 }),
    expect: every(404, { owner: 200, doctor: 200, viewOnly: 403, admin: 403 }),
  },
  {
    name: 'POST /reminders/:id/logs',
    method: 'POST',
    path: (w) => `/reminders/${w.reminderId}/logs`,
    body: () => ({ status: 'taken' }),
    expect: ownerWrite(201),
  },
  {
    name: 'GET /adherence (own)',
    method: 'GET',
    path: () => '/adherence?days=30',
    expect: every(200),
    check: (r, w, a) =>
      expect(r.json<{ patient_id: string }>().patient_id).toBe(w.actors[a as Exclude<ActorName, 'anonymous'>].id),
  },
  {
    name: 'GET /adherence?patient_id=owner',
    method: 'GET',
    path: (w) => `/adherence?patient_id=${w.actors.owner.id}`,
    expect: ownerRead(200),
    check: (r, w) =>
      expect(r.json<{ patient_id: string; per_medication: unknown[] }>().patient_id).toBe(w.actors.owner.id),
  },
  {
    name: 'GET /care/patients/:id/prescriptions',
    method: 'GET',
    path: (w) => `/care/patients/${w.actors.owner.id}/prescriptions`,
    expect: every(403, { doctor: 200, viewOnly: 200, stranger: 404, ended: 404 }),
    check: (r, w) => expect(ids(r)).toContain(w.rxMain),
  },
];

const h = useFlowApi({ reader: () => fixedReader });
let world: World;

let photoCount = 0;
/** A plain photo unlike every other one of this file (its colour changes with each call). */
async function distinctPhoto(): Promise<Buffer> {
  photoCount += 1;
  return sharp({
    create: {
      width: 120,
      height: 80,
      channels: 3,
      background: { r: photoCount % 256, g: Math.floor(photoCount / 256) % 256, b: 200 },
    },
  })
    .png()
    .toBuffer();
}

async function upload(x: FlowHarness, token: string, photo: Buffer): Promise<string> {
  const res = await x.upload(token, photo);
  if (res.statusCode !== 202) throw new Error(`upload: ${res.statusCode} ${res.body}`);
  const id = res.json<{ id: string }>().id;
  await x.waitForStatus(token, id, ['ocr_completed'], 30_000);
  return id;
}

beforeAll(async () => {
  const x = h();
  const api = x as unknown as ApiHarness;
  const photo = await sharp({ create: { width: 120, height: 80, channels: 3, background: '#f5f5f5' } })
    .png()
    .toBuffer();
  // the same photo twice is refused as a duplicate (409 duplicate_prescription): one photo per upload
  const owner = await register(api, 'patient');
  const otherPatient = await register(api, 'patient');
  const doctor = await register(api, 'doctor');
  const viewOnly = await register(api, 'doctor');
  const stranger = await register(api, 'doctor');
  const ended = await register(api, 'doctor');
  const admin = await makeAdmin(api);
  await connect(api, doctor, owner, { can_view_prescriptions: true, can_add_notes: true, can_modify_reminders: true });
  await connect(api, viewOnly, owner, {
    can_view_prescriptions: true,
    can_add_notes: false,
    can_modify_reminders: false,
  });
  const relEnded = await connect(api, ended, owner, {
    can_view_prescriptions: true,
    can_add_notes: true,
    can_modify_reminders: true,
  });
  const [rxMain, rxPatch, rxConfirm, rxReprocess] = [
    await upload(x, owner.access, photo),
    await upload(x, owner.access, await distinctPhoto()),
    await upload(x, owner.access, await distinctPhoto()),
    await upload(x, owner.access, await distinctPhoto()),
  ];
  await upload(x, otherPatient.access, photo);
  const confirmed = await x.call('POST', `/prescriptions/${rxMain}/confirm`, { token: owner.access });
  if (confirmed.statusCode !== 200) throw new Error(`confirm: ${confirmed.body}`);
  const reminderId = confirmed.json<{ reminders: { id: string }[] }>().reminders[0]?.id as string;
  if (reminderId === undefined) throw new Error('no reminder');
  const end = await x.call('POST', `/care/relationships/${relEnded}/end`, {
    token: owner.access,
    body: { reason: 'moved away' },
  });
  if (end.statusCode !== 200) throw new Error(`end: ${end.body}`);
  world = {
    actors: { owner, otherPatient, doctor, viewOnly, stranger, ended, admin },
    rxMain,
    rxPatch,
    rxConfirm,
    rxReprocess,
    reminderId,
    photo,
  };
}, 120_000);

describe('authorisation matrix: prescriptions and reminders', () => {
  const rows = CASES.flatMap((c) => ACTORS.map((actor) => ({ c, actor })));
  it('covers every listed route for every actor', () => expect(rows.length).toBe(CASES.length * ACTORS.length));
  it.each(rows.map(({ c, actor }) => [`${c.name} as ${actor} → ${c.expect[actor]}`, c, actor] as const))(
    '%s',
    async (_label, c, actor) => {
      const x = h();
      const token = actor === 'anonymous' ? undefined : world.actors[actor].access;
      let res: LightMyRequestResponse;
      if (c.multipart) {
        const { body, boundary } = multipartBody(await distinctPhoto());
        res = await x.app.inject({
          method: 'POST',
          url: `/api/v1${c.path(world)}`,
          payload: body,
          headers: {
            'content-type': `multipart/form-data; boundary=${boundary}`,
            ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          },
        });
      } else {
        res = await x.call(c.method, c.path(world), { token, body: c.body?.(world) });
      }
      expect(res.statusCode, res.body.slice(0, 300)).toBe(c.expect[actor]);
      if (res.statusCode >= 400) {
        expect(res.headers['content-type']).toContain('application/problem+json');
        for (const s of SECRETS) expect(res.body).not.toContain(s);
      } else {
        c.check?.(res, world, actor);
      }
    },
  );
});
