/** /care/*: invitations, relationships, a doctor's patients and their shared prescriptions. HTTP only. */
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
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
  const security = [{ bearer: [] }];
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
    {
      onRequest: people,
      schema: {
        tags: ['care'],
        summary: 'Create an invitation code (doctor or patient); a patient may preset permissions',
        security,
        body: CreateInvitationBody,
        response: { 201: Invitation, ...problems(...AUTHED, 403) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await care.createInvitation(s.context(request), request.body.permissions)),
  );

  app.get(
    '/care/invitations/:code',
    {
      onRequest: people,
      config: codeTries('invitation-code'),
      schema: {
        tags: ['care'],
        summary: 'Who invites me with this code (before accepting)',
        security,
        params: Type.Object({ code: InvitationCode }, { additionalProperties: false }),
        response: { 200: InvitationPreview, ...problems(...AUTHED, 403, 404) },
      },
    },
    async (request) => care.previewInvitation(s.context(request), request.params.code),
  );

  app.post(
    '/care/invitations/accept',
    {
      onRequest: people,
      config: codeTries('invitation-code'),
      schema: {
        tags: ['care'],
        summary: 'Accept an invitation by code (a patient chooses the permissions)',
        security,
        body: AcceptBody,
        response: { 200: Relationship, ...problems(...AUTHED, 403, 404, 409, 410) },
      },
    },
    async (request) => care.accept(s.context(request), request.body.code, request.body.permissions),
  );

  app.post(
    '/care/invitations/decline',
    {
      onRequest: people,
      config: codeTries('invitation-code'),
      schema: {
        tags: ['care'],
        summary: 'Decline an invitation by code',
        security,
        body: DeclineBody,
        response: { 200: OkSchema, ...problems(...AUTHED, 403, 404, 410) },
      },
    },
    async (request) => {
      await care.decline(s.context(request), request.body.code);
      return { ok: true as const };
    },
  );

  app.delete(
    '/care/invitations/:id',
    {
      onRequest: people,
      schema: {
        tags: ['care'],
        summary: 'Withdraw my pending invitation',
        security,
        params: IdParams,
        response: { 204: Type.Null(), ...problems(...AUTHED, 403, 404) },
      },
    },
    async (request, reply) => {
      await care.cancel(s.context(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/care/relationships',
    {
      onRequest: people,
      schema: {
        tags: ['care'],
        summary: 'My care relationships (all states, or one)',
        security,
        querystring: Type.Object(
          {
            status: Type.Optional(
              Type.Union(['pending', 'active', 'inactive', 'blocked', 'declined'].map((v) => Type.Literal(v))),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(Relationship) }), ...problems(...AUTHED, 403) },
      },
    },
    async (request) => ({ items: await care.list(s.context(request), request.query.status) }),
  );

  app.get(
    '/care/doctors',
    {
      onRequest: s.requireAuth(['patient']),
      schema: {
        tags: ['care'],
        summary: 'My doctors (active relationships)',
        security,
        response: { 200: Type.Object({ items: Type.Array(Relationship) }), ...problems(...AUTHED, 403) },
      },
    },
    async (request) => ({ items: await care.list(s.context(request), 'active') }),
  );

  app.patch(
    '/care/relationships/:id/permissions',
    {
      onRequest: s.requireAuth(['patient']),
      schema: {
        tags: ['care'],
        summary: 'Change what my doctor may do (patient)',
        security,
        params: IdParams,
        body: Permissions,
        response: { 200: Relationship, ...problems(...AUTHED, 403, 404) },
      },
    },
    async (request) => care.setPermissions(s.context(request), request.params.id, request.body),
  );

  app.post(
    '/care/relationships/:id/end',
    {
      onRequest: people,
      schema: {
        tags: ['care'],
        summary: 'Suspend (either side) or terminate (patient: blocks the doctor) with a reason',
        security,
        params: IdParams,
        body: EndBody,
        response: { 200: Relationship, ...problems(...AUTHED, 403, 404, 409) },
      },
    },
    async (request) =>
      care.end(s.context(request), request.params.id, request.body.reason, request.body.mode ?? 'suspend'),
  );

  app.get(
    '/care/patients',
    {
      onRequest: s.requireAuth(['doctor']),
      schema: {
        tags: ['care'],
        summary: 'My patients with an adherence summary (doctor)',
        security,
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: Page(CarePatient), ...problems(...AUTHED, 403) },
      },
    },
    async (request) => care.patients(s.context(request), request.query.limit ?? 20, request.query.offset ?? 0),
  );

  app.get(
    '/care/patients/:id/prescriptions',
    {
      onRequest: s.requireAuth(['doctor']),
      schema: {
        tags: ['care'],
        summary: "A patient's prescriptions with medications, if she shares them (doctor)",
        security,
        params: IdParams,
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: Page(SharedPrescription), ...problems(...AUTHED, 403, 404) },
      },
    },
    async (request) =>
      care.patientPrescriptions(
        s.context(request),
        request.params.id,
        request.query.limit ?? 20,
        request.query.offset ?? 0,
      ),
  );
}
