/**
 * The audit trail as the service sees it: recording reads of medical data (writes are
 * recorded by database triggers), the admin's search, a patient's access log, and the
 * verification of the hash chain (app_audit_verify in the database).
 */
import type { FastifyRequest } from 'fastify';
import type { Tx } from '../db/database.ts';

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
export async function recordRead(tx: Tx, request: Pick<FastifyRequest, 'id'>, r: ReadRecord): Promise<void> {
  if (r.resourceIds.length === 0) return;
  // Deferred to commit: pipelined with COMMIT, no round trip of its own (the row takes no lock;
  // the sealer chains it within a second).
  tx.defer(
    `INSERT INTO audit_logs (actor_user_id, actor_role, action, table_name, resource_id, subject_user_id, new_values, ip_address, user_agent, request_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, app_client_ip(), left(nullif(current_setting('app.user_agent', true), ''), 1024), $8)`,
    [
      tx.actor.userId,
      tx.actor.role,
      r.action ?? 'read',
      r.table,
      r.resourceIds.length === 1 ? r.resourceIds[0] : null,
      r.subjectUserId,
      JSON.stringify({ ids: r.resourceIds.slice(0, 100), count: r.resourceIds.length }),
      request.id.slice(0, 64),
    ],
  );
}

/** Groups rows by their subject and records one read per subject. */
export async function recordReads(tx: Tx, request: Pick<FastifyRequest, 'id'>, table: string, rows: readonly { id: string; patient_id: string }[]): Promise<void> {
  const bySubject = new Map<string, string[]>();
  for (const row of rows) {
    const list = bySubject.get(row.patient_id) ?? [];
    list.push(row.id);
    bySubject.set(row.patient_id, list);
  }
  for (const [subject, ids] of bySubject) await recordRead(tx, request, { table, subjectUserId: subject, resourceIds: ids, action: ids.length === 1 ? 'read' : 'list' });
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
  const res = await tx.query<{ ok: boolean; checked_rows: string; first_bad_seq: string | null; problem: string | null; pending_rows: string | null }>('SELECT * FROM app_audit_verify()');
  const row = res.rows[0];
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
export function actorName(r: { actor_user_id: string | null; actor_role: string | null; actor_first_name: string | null; actor_last_name: string | null }): string | null {
  if (r.actor_first_name !== null) return `${r.actor_first_name} ${r.actor_last_name ?? ''}`.trim();
  if (r.actor_user_id === null && r.actor_role !== null && r.actor_role !== 'system') {
    return `${r.actor_role === 'admin' ? 'an' : 'a'} ${r.actor_role} (account deleted)`;
  }
  return null;
}
