/** /admin/*: statistics, users list/search, deactivate/activate. Admins only (role claim and RLS). */
import { Type } from '@sinclair/typebox';
import { signedIn } from '../http/route-options.ts';
import type { App } from '../http/typebox.ts';
import type { Services } from '../http/services.ts';
import { AUTHED, IdParams, Nullable, Page, PageQuery, Timestamp, Uuid, problems } from '../http/schemas.ts';
import { AdminService, PRESCRIPTION_STATISTICS, USER_STATISTICS } from './service.ts';

const AdminUser = Type.Object({
  id: Uuid,
  email: Type.String(),
  role: Type.String(),
  first_name: Type.String(),
  last_name: Type.String(),
  is_active: Type.Boolean(),
  email_verified: Type.Boolean(),
  locked_until: Nullable(Timestamp),
  last_login_at: Nullable(Timestamp),
  created_at: Timestamp,
  license_number: Nullable(Type.String()),
  doctor_verified_at: Nullable(Timestamp),
});

/** One row of the seed's get_user_statistics() / get_prescription_statistics(), as numbers. */
const statsRow = (integers: readonly string[], decimals: readonly string[] = []) =>
  Type.Object(
    {
      ...Object.fromEntries(integers.map((k) => [k, Type.Integer({ minimum: 0 })])),
      ...Object.fromEntries(decimals.map((k) => [k, Nullable(Type.Number())])),
    },
    { additionalProperties: false },
  );
const UserStatistics = statsRow(USER_STATISTICS);
const PrescriptionStatistics = statsRow(PRESCRIPTION_STATISTICS.integers, PRESCRIPTION_STATISTICS.decimals);

type AdminServices = Pick<Services, 'requireAuth' | 'context'>;
type AdminOnly = ReturnType<Services['requireAuth']>;

export async function adminRoutes(app: App, s: AdminServices): Promise<void> {
  const admin = new AdminService();
  const only = s.requireAuth(['admin']);
  readRoutes(app, s, admin, only);
  accountRoutes(app, s, admin, only);
}

/** Statistics and the users list. */
function readRoutes(app: App, s: AdminServices, admin: AdminService, only: AdminOnly): void {
  app.get(
    '/admin/statistics',
    signedIn(only, ['admin'], 'User and prescription statistics (get_user_statistics, get_prescription_statistics)', {
      response: {
        200: Type.Object({ users: Type.Array(UserStatistics), prescriptions: Type.Array(PrescriptionStatistics) }),
        ...problems(...AUTHED, 403),
      },
    }),
    async (request) => admin.statistics(s.context(request)),
  );

  app.get(
    '/admin/users',
    signedIn(only, ['admin'], 'List or search users (name or e-mail)', {
      querystring: Type.Object(
        {
          q: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          role: Type.Optional(Type.Union([Type.Literal('patient'), Type.Literal('doctor'), Type.Literal('admin')])),
          active: Type.Optional(Type.Boolean()),
          ...PageQuery,
        },
        { additionalProperties: false },
      ),
      response: { 200: Page(AdminUser), ...problems(...AUTHED, 403) },
    }),
    async (request) => admin.users(s.context(request), request.query),
  );

  app.get(
    '/admin/users/:id',
    signedIn(only, ['admin'], 'One user', {
      params: IdParams,
      response: { 200: AdminUser, ...problems(...AUTHED, 403, 404) },
    }),
    async (request) => admin.user(s.context(request), request.params.id),
  );
}

/** Deactivation, re-activation and doctor verification. */
function accountRoutes(app: App, s: AdminServices, admin: AdminService, only: AdminOnly): void {
  app.post(
    '/admin/users/:id/deactivate',
    signedIn(only, ['admin'], 'Deactivate an account (its sessions end at once)', {
      params: IdParams,
      body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false }),
      response: { 200: AdminUser, ...problems(...AUTHED, 403, 404, 409) },
    }),
    async (request) => admin.setActive(s.context(request), request.params.id, false, request.body.reason),
  );

  app.post(
    '/admin/users/:id/activate',
    signedIn(only, ['admin'], 'Re-activate an account', {
      params: IdParams,
      response: { 200: AdminUser, ...problems(...AUTHED, 403, 404, 409) },
    }),
    async (request) => admin.setActive(s.context(request), request.params.id, true, 'reactivated'),
  );

  app.post(
    '/admin/doctors/:id/verify',
    signedIn(
      only,
      ['admin'],
      "The doctor's licence is checked: he may invite patients; the licence number is his alone (cleared from unverified accounts claiming it)",
      {
        params: IdParams,
        body: Type.Optional(
          Type.Object(
            {
              license_number: Type.Optional(
                Type.String({
                  minLength: 1,
                  maxLength: 64,
                  description: 'the number checked; refused when the account now says another',
                }),
              ),
            },
            { additionalProperties: false },
          ),
        ),
        response: { 200: AdminUser, ...problems(...AUTHED, 403, 404, 409) },
      },
    ),
    async (request) => admin.verifyDoctor(s.context(request), request.params.id, request.body?.license_number),
  );
}
