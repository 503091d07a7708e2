/**
 * The authorisation matrix: every route × every actor, generated from one table.
 * Actors: anonymous, the owner (patient), another patient, a doctor with an active
 * relationship, a doctor without one, a doctor whose relationship ended, an admin.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { useApi } from '../support/api.ts';
import { buildWorld, type World } from '../support/api-fixtures.ts';

const ACTORS = ['anonymous', 'owner', 'otherPatient', 'doctor', 'stranger', 'ended', 'admin'] as const;
type ActorName = (typeof ACTORS)[number];
type Expect = Record<ActorName, number>;

interface Case {
  name: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: (w: World) => string;
  body?: (w: World) => unknown;
  expect: Expect;
  /** extra check on a 2xx answer */
  check?: (res: LightMyRequestResponse, w: World, actor: ActorName) => void;
}

const every = (s: number, over: Partial<Expect> = {}): Expect => ({
  anonymous: 401,
  owner: s,
  otherPatient: s,
  doctor: s,
  stranger: s,
  ended: s,
  admin: s,
  ...over,
});
const onlyAdmin: Expect = every(403, { admin: 200 });
const doctors = (s: number, other: number): Expect => every(other, { doctor: s, stranger: s, ended: s });

const CASES: Case[] = [
  {
    name: 'GET /me',
    method: 'GET',
    path: () => '/me',
    expect: every(200),
    check: (r, w, a) => {
      if (a === 'owner') expect(r.json().id).toBe(w.owner.id);
    },
  },
  { name: 'PATCH /me', method: 'PATCH', path: () => '/me', body: () => ({ language: 'en' }), expect: every(200) },
  { name: 'GET /me/sessions', method: 'GET', path: () => '/me/sessions', expect: every(200) },
  {
    name: 'GET /me/export',
    method: 'GET',
    path: () => '/me/export',
    expect: every(200),
    check: (r, w, a) => {
      const prescriptions = r.json().prescriptions as { id: string }[];
      expect(prescriptions.some((p) => p.id === w.prescriptionId)).toBe(a === 'owner');
    },
  },
  { name: 'GET /me/access-log', method: 'GET', path: () => '/me/access-log', expect: every(200) },
  {
    name: 'GET /notifications',
    method: 'GET',
    path: () => '/notifications',
    expect: every(200),
    check: (r, w, a) => {
      expect((r.json().items as { id: string }[]).some((n) => n.id === w.ownerNotificationId)).toBe(a === 'owner');
    },
  },
  {
    name: 'GET /notifications/unread-count',
    method: 'GET',
    path: () => '/notifications/unread-count',
    expect: every(200),
  },
  {
    name: "POST /notifications/:id/read (the owner's)",
    method: 'POST',
    path: (w) => `/notifications/${w.ownerNotificationId}/read`,
    expect: every(404, { owner: 200 }),
  },
  { name: 'POST /notifications/read-all', method: 'POST', path: () => '/notifications/read-all', expect: every(200) },
  {
    name: "DELETE /me/sessions/:id (the owner's spare device)",
    method: 'DELETE',
    path: (w) => `/me/sessions/${w.ownerSpareSession}`,
    expect: every(404, { owner: 204 }),
  },
  {
    name: 'GET /care/relationships',
    method: 'GET',
    path: () => '/care/relationships',
    expect: every(200, { admin: 403 }),
  },
  {
    name: 'GET /care/doctors',
    method: 'GET',
    path: () => '/care/doctors',
    expect: every(403, { anonymous: 401, owner: 200, otherPatient: 200 }),
  },
  {
    name: 'POST /care/invitations',
    method: 'POST',
    path: () => '/care/invitations',
    body: () => ({}),
    expect: every(201, { admin: 403 }),
  },
  {
    name: 'GET /care/invitations/:code',
    method: 'GET',
    path: (w) => `/care/invitations/${w.strangerInvite.code}`,
    expect: every(200, { admin: 403 }),
  },
  {
    name: "DELETE /care/invitations/:id (another doctor's)",
    method: 'DELETE',
    path: (w) => `/care/invitations/${w.strangerInvite.id}`,
    expect: every(404, { stranger: 204, admin: 403 }),
  },
  {
    name: 'GET /care/patients',
    method: 'GET',
    path: () => '/care/patients',
    expect: doctors(200, 403),
    check: (r, w, a) => {
      expect((r.json().items as { patient_id: string }[]).some((p) => p.patient_id === w.owner.id)).toBe(
        a === 'doctor',
      );
    },
  },
  {
    name: 'GET /care/patients/:id/prescriptions',
    method: 'GET',
    path: (w) => `/care/patients/${w.owner.id}/prescriptions`,
    expect: every(403, { anonymous: 401, doctor: 200, stranger: 404, ended: 404 }),
    check: (r, w) => {
      expect(r.json().items.map((p: { id: string }) => p.id)).toEqual([w.prescriptionId]);
    },
  },
  {
    name: "PATCH /care/relationships/:id/permissions (owner's active)",
    method: 'PATCH',
    path: (w) => `/care/relationships/${w.relActive}/permissions`,
    body: () => ({ can_modify_reminders: true }),
    expect: every(403, { anonymous: 401, owner: 200, otherPatient: 404 }),
  },
  {
    name: "POST /care/relationships/:id/end (owner's ended)",
    method: 'POST',
    path: (w) => `/care/relationships/${w.relEnded}/end`,
    body: () => ({ reason: 'again' }),
    expect: every(404, { owner: 409, ended: 409, admin: 403 }),
  },
  {
    name: 'POST /clinical-notes',
    method: 'POST',
    path: () => '/clinical-notes',
    body: (w) => ({ patient_id: w.owner.id, content: 'Follow up in 2 weeks.', note_type: 'follow_up' }),
    expect: every(403, { anonymous: 401, doctor: 201, stranger: 404, ended: 404 }),
  },
  // Notes are the authoring doctor's (while the relationship is active) and the patient's alone: not an admin's (migration 013).
  {
    name: 'GET /clinical-notes?patient_id',
    method: 'GET',
    path: (w) => `/clinical-notes?patient_id=${w.owner.id}`,
    expect: every(200, { admin: 403 }),
    check: (r, w, a) => {
      const ids = (r.json().items as { id: string }[]).map((n) => n.id);
      expect(ids.includes(w.sharedNoteId)).toBe(a === 'owner' || a === 'doctor');
      expect(ids.includes(w.privateNoteId)).toBe(a === 'doctor');
      expect(ids.includes(w.endedDoctorNoteId)).toBe(a === 'owner');
    },
  },
  {
    name: 'GET /clinical-notes/:id (shared)',
    method: 'GET',
    path: (w) => `/clinical-notes/${w.sharedNoteId}`,
    expect: every(404, { anonymous: 401, owner: 200, doctor: 200, admin: 403 }),
  },
  {
    name: 'GET /clinical-notes/:id (private)',
    method: 'GET',
    path: (w) => `/clinical-notes/${w.privateNoteId}`,
    expect: every(404, { anonymous: 401, doctor: 200, admin: 403 }),
  },
  {
    name: "GET /clinical-notes/:id (ended doctor's own)",
    method: 'GET',
    path: (w) => `/clinical-notes/${w.endedDoctorNoteId}`,
    expect: every(404, { anonymous: 401, owner: 200, admin: 403 }),
  },
  {
    name: 'PATCH /clinical-notes/:id (shared)',
    method: 'PATCH',
    path: (w) => `/clinical-notes/${w.sharedNoteId}`,
    body: () => ({ title: 'Updated' }),
    expect: every(403, { anonymous: 401, doctor: 200, stranger: 404, ended: 404 }),
  },
  {
    name: "PATCH /clinical-notes/:id (ended doctor's own)",
    method: 'PATCH',
    path: (w) => `/clinical-notes/${w.endedDoctorNoteId}`,
    body: () => ({ title: 'Late edit' }),
    expect: every(403, { anonymous: 401, doctor: 404, stranger: 404, ended: 404 }),
  },
  {
    name: 'POST /analytics/events',
    method: 'POST',
    path: () => '/analytics/events',
    body: () => ({ event_type: 'screen_view', properties: { screen: 'home' } }),
    expect: every(202),
  },
  { name: 'GET /admin/statistics', method: 'GET', path: () => '/admin/statistics', expect: onlyAdmin },
  { name: 'GET /admin/users', method: 'GET', path: () => '/admin/users', expect: onlyAdmin },
  { name: 'GET /admin/users/:id', method: 'GET', path: (w) => `/admin/users/${w.owner.id}`, expect: onlyAdmin },
  {
    name: 'POST /admin/users/:id/activate',
    method: 'POST',
    path: (w) => `/admin/users/${w.otherPatient.id}/activate`,
    expect: onlyAdmin,
  },
  { name: 'GET /admin/audit', method: 'GET', path: () => '/admin/audit', expect: onlyAdmin },
  {
    name: 'GET /admin/audit/verify',
    method: 'GET',
    path: () => '/admin/audit/verify',
    expect: onlyAdmin,
    check: (r) => expect(r.json().ok).toBe(true),
  },
  // Last: it removes the private note (its author may; nobody else even sees it).
  {
    name: 'DELETE /clinical-notes/:id (private)',
    method: 'DELETE',
    path: (w) => `/clinical-notes/${w.privateNoteId}`,
    expect: every(403, { anonymous: 401, stranger: 404, ended: 404, doctor: 204 }),
  },
];

const api = useApi();
let world: World;

beforeAll(async () => {
  world = await buildWorld(api());
});

describe('authorisation matrix', () => {
  const rows = CASES.flatMap((c) => ACTORS.map((actor) => ({ c, actor })));
  it('has at least 150 cases', () => expect(rows.length).toBeGreaterThanOrEqual(150));
  it.each(rows.map(({ c, actor }) => [`${c.name} as ${actor} → ${c.expect[actor]}`, c, actor] as const))(
    '%s',
    async (_label, c, actor) => {
      const h = api();
      const who = actor === 'anonymous' ? undefined : world[actor];
      const res = await h.call(c.method, c.path(world), { token: who?.access, body: c.body?.(world) });
      expect(res.statusCode, res.body).toBe(c.expect[actor]);
      if (res.statusCode >= 400) {
        expect(res.headers['content-type']).toContain('application/problem+json');
        // A refusal never carries the resource: no medical text in the body.
        expect(res.body).not.toContain('Blood pressure');
        expect(res.body).not.toContain('Calmette');
      } else {
        c.check?.(res, world, actor);
      }
    },
  );
});
