/**
 * The audit trail as the service sees it: recording reads of medical data (writes are
 * recorded by database triggers), the admin's search, a patient's access log, and the
 * verification of the hash chain (app_audit_verify in the database).
 */
import type { Pool } from 'pg';
import type { Tx } from '../db/database.ts';
import type { RequestContext } from '../core/context.ts';
import * as aq from './queries.ts';
import { sealAuditChain } from './sealer.ts';

export interface ReadRecord {
  /** the table whose rows were read: prescriptions, medications, clinical_notes, ai_reports, users (export) … */
  table: string;
  /** read | export | list */
  action?: string;
  /** whose data it is (the patient) — what her access log shows */
  subjectUserId: string;
  resourceIds: readonly string[];
}

/**
 * One audit row per (subject, table) and request: who, what, from where. The ids read go in
 * new_values (blanked on erasure); never the data itself.
 */
export async function recordRead(tx: Tx, ctx: { readonly requestId: string }, r: ReadRecord): Promise<void> {
  if (r.resourceIds.length === 0) return;
  // Deferred to commit: pipelined with COMMIT, no round trip of its own (the row takes no lock;
  // the sealer chains it within a second).
  aq.deferReadRow(tx, {
    action: r.action ?? 'read',
    table: r.table,
    resourceId: r.resourceIds.length === 1 ? (r.resourceIds[0] ?? null) : null,
    subjectUserId: r.subjectUserId,
    newValues: { ids: r.resourceIds.slice(0, 100), count: r.resourceIds.length },
    requestId: ctx.requestId.slice(0, 64),
  });
}

/** Groups rows by their subject and records one read per subject. */
export async function recordReads(
  tx: Tx,
  ctx: { readonly requestId: string },
  table: string,
  rows: readonly { id: string; patient_id: string }[],
): Promise<void> {
  const bySubject = new Map<string, string[]>();
  for (const row of rows) {
    const list = bySubject.get(row.patient_id) ?? [];
    list.push(row.id);
    bySubject.set(row.patient_id, list);
  }
  for (const [subject, ids] of bySubject)
    await recordRead(tx, ctx, {
      table,
      subjectUserId: subject,
      resourceIds: ids,
      action: ids.length === 1 ? 'read' : 'list',
    });
}

export interface VerifyResult {
  ok: boolean;
  checked_rows: number;
  first_bad_seq: number | null;
  problem: string | null;
  /** rows written but not sealed into the chain yet (the sealer runs every second) */
  pending_rows: number;
}

export async function verifyChain(tx: Pick<Tx, 'query'>): Promise<VerifyResult> {
  const row = await aq.auditVerify(tx);
  if (row === undefined) throw new Error('app_audit_verify returned nothing');
  return {
    ok: row.ok,
    checked_rows: Number(row.checked_rows),
    first_bad_seq: row.first_bad_seq === null ? null : Number(row.first_bad_seq),
    problem: row.problem,
    pending_rows: Number(row.pending_rows ?? 0),
  };
}

/**
 * The name shown in an access log: the actor's, or for a row whose actor's account was erased
 * (id blanked, role kept) "a doctor (account deleted)"; null for system actions.
 */
export function actorName(r: {
  actor_user_id: string | null;
  actor_role: string | null;
  actor_first_name: string | null;
  actor_last_name: string | null;
}): string | null {
  if (r.actor_first_name !== null) return `${r.actor_first_name} ${r.actor_last_name ?? ''}`.trim();
  if (r.actor_user_id === null && r.actor_role !== null && r.actor_role !== 'system') {
    return `${r.actor_role === 'admin' ? 'an' : 'a'} ${r.actor_role} (account deleted)`;
  }
  return null;
}

export interface AuditSearch {
  actor_user_id?: string | undefined;
  subject_user_id?: string | undefined;
  action?: string | undefined;
  table_name?: string | undefined;
  resource_id?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  before_seq?: number | undefined;
  limit?: number | undefined;
}

/** The admin's search of the trail, newest first; `next_before_seq` pages on. */
export async function searchAuditTrail(ctx: RequestContext, f: AuditSearch) {
  const limit = f.limit ?? 100;
  const rows = await ctx.run((tx) =>
    aq.searchAudit(tx, {
      actorUserId: f.actor_user_id ?? null,
      subjectUserId: f.subject_user_id ?? null,
      action: f.action ?? null,
      tableName: f.table_name ?? null,
      resourceId: f.resource_id ?? null,
      from: f.from ?? null,
      to: f.to ?? null,
      beforeSeq: f.before_seq ?? null,
      limit,
    }),
  );
  const items = rows.map((r) => ({
    seq: Number(r.seq),
    created_at: r.created_at.toISOString(),
    actor_user_id: r.actor_user_id,
    actor_role: r.actor_role,
    action: r.action,
    table_name: r.table_name,
    resource_id: r.resource_id,
    subject_user_id: r.subject_user_id,
    ip_address: r.ip_address,
    request_id: r.request_id,
    redacted: r.redacted_at !== null,
  }));
  const last = items[items.length - 1];
  return { items, next_before_seq: items.length === limit && last !== undefined ? last.seq : null };
}

/** Who viewed or changed the caller's records (others only unless includeSelf). */
export async function accessLog(
  ctx: RequestContext,
  q: { limit?: number | undefined; before_seq?: number | undefined; include_self?: boolean | undefined },
) {
  const limit = q.limit ?? 100;
  const rows = await ctx.run((tx) => aq.myAccessLog(tx, limit, q.before_seq ?? null, q.include_self ?? false));
  const items = rows.map((r) => ({
    seq: Number(r.seq),
    created_at: r.created_at.toISOString(),
    actor_user_id: r.actor_user_id,
    actor_role: r.actor_role,
    actor_name: actorName(r),
    action: r.action,
    table_name: r.table_name,
    resource_id: r.resource_id,
  }));
  const last = items[items.length - 1];
  return { items, next_before_seq: items.length === limit && last !== undefined ? last.seq : null };
}

/**
 * Seals what is written, then verifies the chain as the admin. Sealing chains only rows that
 * exist; it needs no context and no rights of the caller, so it runs on the service's pool.
 */
export async function sealAndVerify(ctx: RequestContext, pool: Pick<Pool, 'query'>): Promise<VerifyResult> {
  await sealAuditChain(pool);
  return ctx.run((tx) => verifyChain(tx));
}
