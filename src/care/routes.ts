/** /care/*: invitations, relationships, a doctor's patients and their shared prescriptions. HTTP only. */
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { signedIn } from '../http/route-options.ts';
import type { App } from '../http/typebox.ts';
import type { Services } from '../http/services.ts';
import { AUTHED, IdParams, OkSchema, Page, PageQuery, problems } from '../http/schemas.ts';
import { CareService } from './service.ts';
import {
  AcceptBody,
  CarePatient,
  CreateInvitationBody,
  DeclineBody,
  EndBody,
  Invitation,
  InvitationCode,
  InvitationPreview,
  Permissions,
  Relationship,
  SharedPrescription,
} from './types.ts';

export async function careRoutes(app: App, s: Pick<Services, 'requireAuth' | 'context' | 'config'>): Promise<void> {
  const care = new CareService();
  await invitationRoutes(app, s, care);
  await relationshipRoutes(app, s, care);
  await patientRoutes(app, s, care);
}

/** Invitations: create, look up, accept, decline, revoke. */
async function invitationRoutes(
  app: App,
  s: Pick<Services, 'requireAuth' | 'context' | 'config'>,
  care: CareService,
): Promise<void> {
  const people = s.requireAuth(['doctor', 'patient']);
  // Guessing codes: each account gets the auth routes' budget of tries a minute per route (on top of
  // the global per-address limit). The limiter runs after requireAuth, so the user is known.
  const codeTries = (scope: string) => ({
    rateLimit: {
      max: s.config.api.authRateLimit,
      timeWindow: 60_000,
      keyGenerator: (request: FastifyRequest) => `${scope}:${request.auth?.userId ?? request.ip}`,
    },
  });

  app.post(
    '/care/invitations',
    signedIn(people, ['care'], 'Create an invitation code (doctor or patient); a patient may preset permissions', {
      body: CreateInvitationBody,
      response: { 201: Invitation, ...problems(...AUTHED, 403) },
    }),
    async (request, reply) =>
      reply.code(201).send(await care.createInvitation(s.context(request), request.body.permissions)),
  );

  app.get(
    '/care/invitations/:code',
    {
      config: codeTries('invitation-code'),
      ...signedIn(people, ['care'], 'Who invites me with this code (before accepting)', {
        params: Type.Object({ code: InvitationCode }, { additionalProperties: false }),
        response: { 200: InvitationPreview, ...problems(...AUTHED, 403, 404) },
      }),
    },
    async (request) => care.previewInvitation(s.context(request), request.params.code),
  );

  app.post(
    '/care/invitations/accept',
    {
      config: codeTries('invitation-code'),
      ...signedIn(people, ['care'], 'Accept an invitation by code (a patient chooses the permissions)', {
        body: AcceptBody,
        response: { 200: Relationship, ...problems(...AUTHED, 403, 404, 409, 410) },
      }),
    },
    async (request) => care.accept(s.context(request), request.body.code, request.body.permissions),
  );

  app.post(
    '/care/invitations/decline',
    {
      config: codeTries('invitation-code'),
      ...signedIn(people, ['care'], 'Decline an invitation by code', {
        body: DeclineBody,
        response: { 200: OkSchema, ...problems(...AUTHED, 403, 404, 410) },
      }),
    },
    async (request) => {
      await care.decline(s.context(request), request.body.code);
      return { ok: true as const };
    },
  );

  app.delete(
    '/care/invitations/:id',
    signedIn(people, ['care'], 'Withdraw my pending invitation', {
      params: IdParams,
      response: { 204: Type.Null(), ...problems(...AUTHED, 403, 404) },
    }),
    async (request, reply) => {
      await care.cancel(s.context(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
}

/** Relationships, permissions and ending. */
async function relationshipRoutes(
  app: App,
  s: Pick<Services, 'requireAuth' | 'context' | 'config'>,
  care: CareService,
): Promise<void> {
  const people = s.requireAuth(['doctor', 'patient']);

  app.get(
    '/care/relationships',
    signedIn(people, ['care'], 'My care relationships (all states, or one)', {
      querystring: Type.Object(
        {
          status: Type.Optional(
            Type.Union(['pending', 'active', 'inactive', 'blocked', 'declined'].map((v) => Type.Literal(v))),
          ),
        },
        { additionalProperties: false },
      ),
      response: { 200: Type.Object({ items: Type.Array(Relationship) }), ...problems(...AUTHED, 403) },
    }),
    async (request) => ({ items: await care.list(s.context(request), request.query.status) }),
  );

  app.get(
    '/care/doctors',
    signedIn(s.requireAuth(['patient']), ['care'], 'My doctors (active relationships)', {
      response: { 200: Type.Object({ items: Type.Array(Relationship) }), ...problems(...AUTHED, 403) },
    }),
    async (request) => ({ items: await care.list(s.context(request), 'active') }),
  );

  app.patch(
    '/care/relationships/:id/permissions',
    signedIn(s.requireAuth(['patient']), ['care'], 'Change what my doctor may do (patient)', {
      params: IdParams,
      body: Permissions,
      response: { 200: Relationship, ...problems(...AUTHED, 403, 404) },
    }),
    async (request) => care.setPermissions(s.context(request), request.params.id, request.body),
  );

  app.post(
    '/care/relationships/:id/end',
    signedIn(people, ['care'], 'Suspend (either side) or terminate (patient: blocks the doctor) with a reason', {
      params: IdParams,
      body: EndBody,
      response: { 200: Relationship, ...problems(...AUTHED, 403, 404, 409) },
    }),
    async (request) =>
      care.end(s.context(request), request.params.id, request.body.reason, request.body.mode ?? 'suspend'),
  );
}

/** A doctor's patients and their shared prescriptions. */
async function patientRoutes(
  app: App,
  s: Pick<Services, 'requireAuth' | 'context' | 'config'>,
  care: CareService,
): Promise<void> {
  app.get(
    '/care/patients',
    signedIn(s.requireAuth(['doctor']), ['care'], 'My patients with an adherence summary (doctor)', {
      querystring: Type.Object(PageQuery, { additionalProperties: false }),
      response: { 200: Page(CarePatient), ...problems(...AUTHED, 403) },
    }),
    async (request) => care.patients(s.context(request), request.query.limit ?? 20, request.query.offset ?? 0),
  );

  app.get(
    '/care/patients/:id/prescriptions',
    signedIn(
      s.requireAuth(['doctor']),
      ['care'],
      "A patient's prescriptions with medications, if she shares them (doctor)",
      {
        params: IdParams,
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: Page(SharedPrescription), ...problems(...AUTHED, 403, 404) },
      },
    ),
    async (request) =>
      care.patientPrescriptions(
        s.context(request),
        request.params.id,
        request.query.limit ?? 20,
        request.query.offset ?? 0,
      ),
  );
}
