/** GET /admin/audit (admins), GET /admin/audit/verify (admins), GET /me/access-log (everyone, own data). */
import { Type } from '@sinclair/typebox';
import { signedIn } from '../http/route-options.ts';
import type { App } from '../http/typebox.ts';
import type { Services } from '../http/services.ts';
import { AUTHED, Nullable, Timestamp, Uuid, problems } from '../http/schemas.ts';
import { accessLog, sealAndVerify, searchAuditTrail } from './service.ts';

const AuditRow = Type.Object({
  seq: Type.Integer(),
  created_at: Timestamp,
  actor_user_id: Nullable(Uuid),
  actor_role: Nullable(Type.String()),
  action: Type.String(),
  table_name: Nullable(Type.String()),
  resource_id: Nullable(Type.String()),
  subject_user_id: Nullable(Uuid),
  ip_address: Nullable(Type.String()),
  request_id: Nullable(Type.String()),
  redacted: Type.Boolean(),
});

const AuditQuery = Type.Object(
  {
    actor_user_id: Type.Optional(Uuid),
    subject_user_id: Type.Optional(Uuid),
    action: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_.]{1,63}$' })),
    table_name: Type.Optional(Type.String({ pattern: '^[a-z_]{1,64}$' })),
    resource_id: Type.Optional(Type.String({ maxLength: 100 })),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
    before_seq: Type.Optional(Type.Integer({ minimum: 1 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  },
  { additionalProperties: false },
);

const AccessRow = Type.Object({
  seq: Type.Integer(),
  created_at: Timestamp,
  actor_user_id: Nullable(Uuid),
  actor_role: Nullable(Type.String()),
  actor_name: Nullable(Type.String()),
  action: Type.String(),
  table_name: Nullable(Type.String()),
  resource_id: Nullable(Type.String()),
});

export async function auditRoutes(app: App, s: Pick<Services, 'requireAuth' | 'context' | 'db'>): Promise<void> {
  app.get(
    '/admin/audit',
    signedIn(
      s.requireAuth(['admin']),
      ['audit', 'admin'],
      'Search the audit trail (newest first; page with before_seq)',
      {
        querystring: AuditQuery,
        response: {
          200: Type.Object({ items: Type.Array(AuditRow), next_before_seq: Nullable(Type.Integer()) }),
          ...problems(...AUTHED, 403),
        },
      },
    ),
    async (request) => searchAuditTrail(s.context(request), request.query),
  );

  app.get(
    '/admin/audit/verify',
    signedIn(
      s.requireAuth(['admin']),
      ['audit', 'admin'],
      'Seal what is written, then verify the audit hash chain (first edited, inserted or deleted row)',
      {
        response: {
          200: Type.Object({
            ok: Type.Boolean(),
            checked_rows: Type.Integer(),
            first_bad_seq: Nullable(Type.Integer()),
            problem: Nullable(Type.String()),
            pending_rows: Type.Integer({ description: 'rows written in the last moments, not sealed yet' }),
          }),
          ...problems(...AUTHED, 403),
        },
      },
    ),
    async (request) => sealAndVerify(s.context(request), s.db.pool),
  );

  app.get(
    '/me/access-log',
    signedIn(
      s.requireAuth(),
      ['audit', 'me'],
      'Who viewed or changed my records (others by default; include_self=true adds my own actions)',
      {
        querystring: Type.Object(
          {
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
            before_seq: Type.Optional(Type.Integer({ minimum: 1 })),
            include_self: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ items: Type.Array(AccessRow), next_before_seq: Nullable(Type.Integer()) }),
          ...problems(...AUTHED),
        },
      },
    ),
    async (request) => accessLog(s.context(request), request.query),
  );
}
