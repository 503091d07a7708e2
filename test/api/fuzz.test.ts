/**
 * Fuzz every JSON route with fast-check: ≥ 1,000 random bodies each, as a signed-in user of
 * the route's role. Whatever arrives, the answer is never a 5xx and always JSON.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { useApi, register, makeAdmin, type SignedIn } from './support.ts';
import { connect } from './fixtures.ts';

const api = useApi();
let patient: SignedIn;
let doctor: SignedIn;
let admin: SignedIn;
let relationship: string;
const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);

beforeAll(async () => {
  const h = api();
  patient = await register(h, 'patient');
  doctor = await register(h, 'doctor');
  admin = await makeAdmin(h);
  relationship = await connect(h, doctor, patient);
});

// Values that hit edges: wrong types, huge and odd strings, SQL/JSON metacharacters, nulls, nesting.
const nasty = fc.oneof(
  fc.string(), fc.string({ unit: 'grapheme', maxLength: 300 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null),
  fc.constantFrom("'; DROP TABLE users; --", '\u0000', '💊', 'ថ្នាំ', '../../etc/passwd', '2025-02-30', 'Asia/Phnom_Penh', 'km', 'patient', 'admin', '+85512345678', 'a@b.co', '00000000-0000-0000-0000-000000000000', 'x'.repeat(5000)),
  fc.uuid(), fc.emailAddress(), fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
);
const value = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, nasty, fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 12 }), tie('v'), { maxKeys: 4 })),
})).v;

interface Target {
  method: 'POST' | 'PATCH' | 'DELETE';
  path: () => string;
  who: () => SignedIn | undefined;
  keys: string[];
}

const TARGETS: Target[] = [
  { method: 'POST', path: () => '/auth/register', who: () => undefined, keys: ['email', 'password', 'role', 'first_name', 'last_name', 'phone', 'language', 'timezone', 'date_of_birth'] },
  { method: 'POST', path: () => '/auth/login', who: () => undefined, keys: ['email', 'password'] },
  { method: 'POST', path: () => '/auth/refresh', who: () => undefined, keys: ['refresh_token'] },
  { method: 'POST', path: () => '/auth/password', who: () => patient, keys: ['current_password', 'new_password'] },
  { method: 'POST', path: () => '/auth/verify-email', who: () => undefined, keys: ['token'] },
  { method: 'POST', path: () => '/auth/password-reset/request', who: () => undefined, keys: ['email'] },
  { method: 'POST', path: () => '/auth/password-reset', who: () => undefined, keys: ['token', 'password'] },
  { method: 'PATCH', path: () => '/me', who: () => patient, keys: ['first_name', 'phone', 'language', 'timezone', 'notification_preferences', 'dose_schedule_template', 'date_of_birth', 'gender', 'medical_conditions', 'allergies', 'emergency_contact', 'license_number'] },
  { method: 'PATCH', path: () => '/me', who: () => doctor, keys: ['last_name', 'language', 'license_number', 'specialization', 'hospital_name', 'allergies'] },
  { method: 'DELETE', path: () => '/me', who: () => patient, keys: ['password', 'confirm'] },
  { method: 'POST', path: () => '/care/invitations', who: () => patient, keys: ['permissions'] },
  { method: 'POST', path: () => '/care/invitations/accept', who: () => doctor, keys: ['code', 'permissions'] },
  { method: 'POST', path: () => '/care/invitations/decline', who: () => patient, keys: ['code'] },
  { method: 'PATCH', path: () => `/care/relationships/${relationship}/permissions`, who: () => patient, keys: ['can_view_prescriptions', 'can_add_notes', 'can_modify_reminders'] },
  { method: 'POST', path: () => `/care/relationships/${relationship}/end`, who: () => doctor, keys: ['reason', 'mode'] },
  { method: 'POST', path: () => '/clinical-notes', who: () => doctor, keys: ['patient_id', 'prescription_id', 'note_type', 'title', 'content', 'is_private', 'follow_up_date'] },
  { method: 'POST', path: () => '/analytics/events', who: () => patient, keys: ['event_type', 'properties'] },
  { method: 'POST', path: () => `/admin/users/${patient.id}/deactivate`, who: () => admin, keys: ['reason'] },
];

describe('fuzz: never a 5xx', () => {
  it.each(TARGETS.map((t) => [`${t.method} ${t.keys[0]}… ${t.path.toString().slice(6, 60)}`, t] as const))('%s', async (_name, t) => {
    const h = api();
    const body = fc.oneof(
      { weight: 3, arbitrary: fc.record(Object.fromEntries(t.keys.map((k) => [k, value])), { requiredKeys: [] }) },
      { weight: 1, arbitrary: value },
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const who = t.who();
        const res = await h.app.inject({
          method: t.method,
          url: `/api/v1${t.path()}`,
          headers: { 'content-type': 'application/json', ...(who ? { authorization: `Bearer ${who.access}` } : {}) },
          payload: JSON.stringify(b) ?? 'null',
        });
        if (res.statusCode >= 500) throw new Error(`${res.statusCode} for ${JSON.stringify(b).slice(0, 300)}: ${res.body}`);
        expect(res.headers['content-type']).toMatch(/json/);
      }),
      { numRuns: RUNS },
    );
  });
});
