/** SQL of the audit trail (owner of audit_logs and audit_chain; the rows of writes come from triggers). */
import type { Tx } from '../db/database.ts';

/** A read of medical data, written with the request's COMMIT (tx.defer: no round trip of its own). */
export function deferReadRow(
  tx: Tx,
  r: {
    action: string;
    table: string;
    resourceId: string | null;
    subjectUserId: string;
    newValues: unknown;
    requestId: string;
  },
): void {
  tx.defer(
    `INSERT INTO audit_logs (actor_user_id, actor_role, action, table_name, resource_id, subject_user_id, new_values, ip_address, user_agent, request_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, app_client_ip(), left(nullif(current_setting('app.user_agent', true), ''), 1024), $8)`,
    [
      tx.actor.userId,
      tx.actor.role,
      r.action,
      r.table,
      r.resourceId,
      r.subjectUserId,
      JSON.stringify(r.newValues),
      r.requestId,
    ],
  );
}

/** An admin's action on an account that no trigger records as such (deactivation, doctor verification). */
export async function insertAdminAction(
  tx: Pick<Tx, 'query'>,
  a: { actorUserId: string; action: string; userId: string; newValues: unknown; requestId: string },
): Promise<void> {
  await tx.query(
    `INSERT INTO audit_logs (actor_user_id, actor_role, action, table_name, resource_id, subject_user_id, new_values, ip_address, request_id)
     VALUES ($1, 'admin', $5, 'users', $2::text, $2::uuid, $3, app_client_ip(), $4)`,
    [a.actorUserId, a.userId, JSON.stringify(a.newValues), a.requestId, a.action],
  );
}

export interface AuditDbRow {
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

export interface AuditFilter {
  actorUserId: string | null;
  subjectUserId: string | null;
  action: string | null;
  tableName: string | null;
  resourceId: string | null;
  from: string | null;
  to: string | null;
  beforeSeq: number | null;
  limit: number;
}

/** The admin's search, newest first. The WHERE is a fixed text; filters are bound parameters (NULL = no filter). RLS: admins only. */
export async function searchAudit(tx: Pick<Tx, 'query'>, f: AuditFilter): Promise<AuditDbRow[]> {
  const res = await tx.query<AuditDbRow>(
    `SELECT seq, created_at, actor_user_id, actor_role, action, table_name, resource_id, subject_user_id,
            host(ip_address) AS ip_address, request_id, redacted_at
       FROM audit_logs
      WHERE ($1::uuid IS NULL OR actor_user_id = $1) AND ($2::uuid IS NULL OR subject_user_id = $2)
        AND ($3::text IS NULL OR action = $3) AND ($4::text IS NULL OR table_name = $4)
        AND ($5::text IS NULL OR resource_id = $5)
        AND ($6::timestamptz IS NULL OR created_at >= $6) AND ($7::timestamptz IS NULL OR created_at < $7)
        AND ($8::bigint IS NULL OR seq < $8)
      ORDER BY seq DESC LIMIT $9`,
    [f.actorUserId, f.subjectUserId, f.action, f.tableName, f.resourceId, f.from, f.to, f.beforeSeq, f.limit],
  );
  return res.rows;
}

export interface AccessDbRow {
  seq: string;
  created_at: Date;
  actor_user_id: string | null;
  actor_role: string | null;
  actor_first_name: string | null;
  actor_last_name: string | null;
  action: string;
  table_name: string | null;
  resource_id: string | null;
}

/** Who read or changed the caller's records (app_my_access_log, SECURITY DEFINER). */
export async function myAccessLog(
  tx: Pick<Tx, 'query'>,
  limit: number,
  beforeSeq: number | null,
  includeSelf: boolean,
): Promise<AccessDbRow[]> {
  return (await tx.query<AccessDbRow>('SELECT * FROM app_my_access_log($1, $2, $3)', [limit, beforeSeq, includeSelf]))
    .rows;
}

export interface VerifyDbRow {
  ok: boolean;
  checked_rows: string;
  first_bad_seq: string | null;
  problem: string | null;
  pending_rows: string | null;
}

export async function auditVerify(tx: Pick<Tx, 'query'>): Promise<VerifyDbRow | undefined> {
  return (await tx.query<VerifyDbRow>('SELECT * FROM app_audit_verify()')).rows[0];
}

/** One app_audit_seal() call: rows chained, or -1 while another sealer holds the lock. */
export async function sealBatch(db: Pick<Tx, 'query'>, batch: number): Promise<number> {
  return (await db.query<{ n: number }>('SELECT app_audit_seal($1) AS n', [batch])).rows[0]?.n ?? 0;
}
