/** /me: profile, devices, export, erasure, access log. HTTP only. */
import { Type } from '@sinclair/typebox';
import { signedIn } from '../http/route-options.ts';
import type { App } from '../http/typebox.ts';
import type { Services } from '../http/services.ts';
import { AUTHED, IdParams, problems } from '../http/schemas.ts';
import { UserService } from './service.ts';
import { DeleteMeBody, Me, PatchMe, SessionView } from './types.ts';

type UserServices = Pick<Services, 'requireAuth' | 'context' | 'passwords' | 'files'>;
type Secured = ReturnType<Services['requireAuth']>;

export async function userRoutes(app: App, s: UserServices): Promise<void> {
  const users = new UserService(s);
  const secured = s.requireAuth();
  profileRoutes(app, s, users, secured);
  sessionRoutes(app, s, users, secured);
  dataRoutes(app, s, users, secured);
}

/** GET and PATCH /me. */
function profileRoutes(app: App, s: UserServices, users: UserService, secured: Secured): void {
  app.get(
    '/me',
    signedIn(secured, ['me'], 'My profile, preferences and medical information', {
      response: { 200: Me, ...problems(...AUTHED, 404) },
    }),
    async (request) => users.me(s.context(request)),
  );

  app.patch(
    '/me',
    signedIn(
      secured,
      ['me'],
      'Change my profile (patients: medical info; doctors: licence, specialization, hospital)',
      {
        body: PatchMe,
        response: { 200: Me, ...problems(...AUTHED, 404, 409, 422) },
      },
    ),
    async (request) => users.update(s.context(request), request.body),
  );
}

/** The signed-in devices. */
function sessionRoutes(app: App, s: UserServices, users: UserService, secured: Secured): void {
  app.get(
    '/me/sessions',
    signedIn(secured, ['me'], 'My signed-in devices', {
      response: { 200: Type.Object({ items: Type.Array(SessionView) }), ...problems(...AUTHED) },
    }),
    async (request) => ({ items: await users.sessions(s.context(request)) }),
  );

  app.delete(
    '/me/sessions/:id',
    signedIn(secured, ['me'], 'Sign out one device', {
      params: IdParams,
      response: { 204: Type.Null(), ...problems(...AUTHED, 404) },
    }),
    async (request, reply) => {
      await users.endSession(s.context(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
}

/** Export and erasure of everything about me. */
function dataRoutes(app: App, s: UserServices, users: UserService, secured: Secured): void {
  app.get(
    '/me/export',
    signedIn(
      secured,
      ['me'],
      'Everything about me as JSON (including who accessed my records); ?format=fhir: my medicines and doses as a FHIR R4 Bundle',
      {
        querystring: Type.Object({ format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('fhir')])) }),
        response: {
          200: Type.Object(
            {},
            {
              additionalProperties: true,
              description: 'dastern-export/1 JSON, or a FHIR R4 Bundle (application/fhir+json)',
            },
          ),
          ...problems(...AUTHED),
        },
      },
    ),
    async (request, reply) => {
      if (request.query.format === 'fhir') {
        const bundle = await users.exportFhir(s.context(request));
        reply.header('content-disposition', 'attachment; filename="dastern-export.fhir.json"');
        return reply.type('application/fhir+json; charset=utf-8').serializer(JSON.stringify).send(bundle);
      }
      const data = await users.exportAll(s.context(request));
      reply.header('content-disposition', 'attachment; filename="dastern-export.json"');
      // Serialised as is: the export's shape follows the tables.
      return reply.type('application/json; charset=utf-8').serializer(JSON.stringify).send(data);
    },
  );

  app.delete(
    '/me',
    signedIn(secured, ['me'], 'Erase my account (password and confirm: "DELETE")', {
      body: DeleteMeBody,
      response: {
        200: Type.Object({ erased: Type.Literal(true), audit_rows_redacted: Type.Integer() }),
        ...problems(...AUTHED, 409),
      },
    }),
    async (request) => ({ erased: true as const, ...(await users.erase(s.context(request), request.body.password)) }),
  );
}
