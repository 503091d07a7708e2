/** GET /admin/audit (admins), GET /admin/audit/verify (admins), GET /me/access-log (everyone, own data). */
import { Type } from '@sinclair/typebox';
import type { App } from '../http/typebox.ts';
import type { Services } from '../http/services.ts';
import { AUTHED, Nullable, Timestamp, Uuid, problems } from '../http/schemas.ts';
import { actorName, verifyChain } from './service.ts';
import { sealAuditChain } from './sealer.ts';

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

interface AuditDbRow {
  seq: string;
  created_at: Date;
  actor_user_id: string | null;
  actor_role: string | null;
  action: string;
  table_name: string | null;
  resource_id: string | null;
  subject_user_id: string | null;
  ip_address: string | null;
  request_id: string | null;
  redacted_at: Date | null;
}

export async function auditRoutes(app: App, s: Services): Promise<void> {
  const security = [{ bearer: [] }];

  app.get('/admin/audit', {
    onRequest: s.requireAuth(['admin']),
    schema: { tags: ['audit', 'admin'], summary: 'Search the audit trail (newest first; page with before_seq)', security, querystring: AuditQuery, response: { 200: Type.Object({ items: Type.Array(AuditRow), next_before_seq: Nullable(Type.Integer()) }), ...problems(...AUTHED, 403) } },
  }, async (request) => {
    const f = request.query;
    const limit = f.limit ?? 100;
    // The WHERE is a fixed text; filters are bound parameters (NULL = no filter). RLS: admins only.
    const rows = await s.run(request, (tx) => tx.query<AuditDbRow>(
      `SELECT seq, created_at, actor_user_id, actor_role, action, table_name, resource_id, subject_user_id,
              host(ip_address) AS ip_address, request_id, redacted_at
         FROM audit_logs
        WHERE ($1::uuid IS NULL OR actor_user_id = $1) AND ($2::uuid IS NULL OR subject_user_id = $2)
          AND ($3::text IS NULL OR action = $3) AND ($4::text IS NULL OR table_name = $4)
          AND ($5::text IS NULL OR resource_id = $5)
          AND ($6::timestamptz IS NULL OR created_at >= $6) AND ($7::timestamptz IS NULL OR created_at < $7)
          AND ($8::bigint IS NULL OR seq < $8)
        ORDER BY seq DESC LIMIT $9`,
      [f.actor_user_id ?? null, f.subject_user_id ?? null, f.action ?? null, f.table_name ?? null, f.resource_id ?? null, f.from ?? null, f.to ?? null, f.before_seq ?? null, limit],
    ));
    const items = rows.rows.map((r) => ({
      seq: Number(r.seq), created_at: r.created_at.toISOString(), actor_user_id: r.actor_user_id, actor_role: r.actor_role, action: r.action,
      table_name: r.table_name, resource_id: r.resource_id, subject_user_id: r.subject_user_id, ip_address: r.ip_address, request_id: r.request_id,
      redacted: r.redacted_at !== null,
    }));
    const last = items[items.length - 1];
    return { items, next_before_seq: items.length === limit && last !== undefined ? last.seq : null };
  });

  app.get('/admin/audit/verify', {
    onRequest: s.requireAuth(['admin']),
    schema: { tags: ['audit', 'admin'], summary: 'Seal what is written, then verify the audit hash chain (first edited, inserted or deleted row)', security, response: { 200: Type.Object({ ok: Type.Boolean(), checked_rows: Type.Integer(), first_bad_seq: Nullable(Type.Integer()), problem: Nullable(Type.String()), pending_rows: Type.Integer({ description: 'rows written in the last moments, not sealed yet' }) }), ...problems(...AUTHED, 403) } },
  }, async (request) => {
    // sealing chains only rows that exist; it needs no context and no rights of the caller
    await sealAuditChain(s.db.pool);
    return s.run(request, (tx) => verifyChain(tx));
  });

  app.get('/me/access-log', {
    onRequest: s.requireAuth(),
    schema: {
      tags: ['audit', 'me'],
      summary: 'Who viewed or changed my records (others by default; include_self=true adds my own actions)',
      security,
      querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })), before_seq: Type.Optional(Type.Integer({ minimum: 1 })), include_self: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
      response: { 200: Type.Object({ items: Type.Array(AccessRow), next_before_seq: Nullable(Type.Integer()) }), ...problems(...AUTHED) },
    },
  }, async (request) => {
    const limit = request.query.limit ?? 100;
    const res = await s.run(request, (tx) => tx.query<{ seq: string; created_at: Date; actor_user_id: string | null; actor_role: string | null; actor_first_name: string | null; actor_last_name: string | null; action: string; table_name: string | null; resource_id: string | null }>(
      'SELECT * FROM app_my_access_log($1, $2, $3)', [limit, request.query.before_seq ?? null, request.query.include_self ?? false],
    ));
    const items = res.rows.map((r) => ({
      seq: Number(r.seq), created_at: r.created_at.toISOString(), actor_user_id: r.actor_user_id, actor_role: r.actor_role,
      actor_name: actorName(r),
      action: r.action, table_name: r.table_name, resource_id: r.resource_id,
    }));
    const last = items[items.length - 1];
    return { items, next_before_seq: items.length === limit && last !== undefined ? last.seq : null };
  });
}
