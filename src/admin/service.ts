/** Administration: statistics from the database's functions, user search and (de)activation. */
import type { FastifyRequest } from 'fastify';
import type { Services } from '../http/services.ts';
import { ApiError, notFound } from '../http/errors.ts';
import { actorOf } from '../http/auth.ts';
import type { Tx } from '../db/database.ts';
import { insertNotification } from '../i18n/notifications.ts';

interface UserRow {
  id: string; email: string; role: string; first_name: string; last_name: string; is_active: boolean; email_verified_at: Date | null;
  locked_until: Date | null; last_login_at: Date | null; created_at: Date; total?: string;
  license_number: string | null; doctor_verified_at: Date | null;
}

const COLUMNS = `id, email::text AS email, role::text AS role, first_name, last_name, is_active, email_verified_at, locked_until, last_login_at, created_at,
  license_number, doctor_verified_at`;
const toView = (r: UserRow) => ({
  id: r.id, email: r.email, role: r.role, first_name: r.first_name, last_name: r.last_name, is_active: r.is_active, email_verified: r.email_verified_at !== null,
  locked_until: r.locked_until?.toISOString() ?? null, last_login_at: r.last_login_at?.toISOString() ?? null, created_at: r.created_at.toISOString(),
  license_number: r.license_number, doctor_verified_at: r.doctor_verified_at?.toISOString() ?? null,
});

/** LIKE pattern of a search text: % and _ are literal. */
export function likePattern(text: string): string {
  return `%${text.trim().toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The columns of the seed's statistics functions (bigint counts; numeric averages and rates). */
export const USER_STATISTICS = ['total_users', 'patients', 'doctors', 'admins', 'active_users', 'inactive_users', 'deleted_users',
  'verified_users', 'new_users_last_30_days', 'logged_in_last_30_days', 'premium_users', 'active_relationships', 'pending_invitations'] as const;
export const PRESCRIPTION_STATISTICS = {
  integers: ['total_prescriptions', 'pending', 'processing', 'ocr_completed', 'completed', 'error', 'archived', 'created_last_30_days',
    'total_medications', 'active_reminders', 'doses_last_30_days'],
  decimals: ['average_ocr_confidence', 'average_processing_time_ms', 'average_medications_per_prescription', 'adherence_rate_last_30_days'],
} as const;

/** pg gives bigint and numeric as strings: the named columns as numbers (null stays null). */
function numbers(row: Record<string, unknown> | undefined, columns: readonly string[]): Record<string, number | null> {
  return Object.fromEntries(columns.map((k) => {
    const v = row?.[k];
    return [k, v === null || v === undefined ? null : Number(v)];
  }));
}

async function one(tx: Tx, id: string): Promise<UserRow | undefined> {
  return (await tx.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = $1 AND deleted_at IS NULL`, [id])).rows[0];
}

export class AdminService {
  constructor(private readonly s: Services) {}

  async statistics(request: FastifyRequest) {
    return this.s.runRead(request, async (tx) => {
      const users = await tx.query<Record<string, unknown>>('SELECT * FROM get_user_statistics()');
      const prescriptions = await tx.query<Record<string, unknown>>('SELECT * FROM get_prescription_statistics()');
      return {
        users: users.rows.map((r) => numbers(r, USER_STATISTICS)),
        prescriptions: prescriptions.rows.map((r) => numbers(r, [...PRESCRIPTION_STATISTICS.integers, ...PRESCRIPTION_STATISTICS.decimals])),
      };
    });
  }

  async users(request: FastifyRequest, f: { q?: string; role?: string; active?: boolean; limit?: number; offset?: number }) {
    const limit = f.limit ?? 20;
    const offset = f.offset ?? 0;
    const rows = await this.s.run(request, async (tx) => (await tx.query<UserRow>(
      `SELECT ${COLUMNS}, count(*) OVER () AS total FROM users
        WHERE deleted_at IS NULL AND ($1::text IS NULL OR lower(email::text) LIKE $1 OR lower(first_name || ' ' || last_name) LIKE $1)
          AND ($2::user_role IS NULL OR role = $2::user_role) AND ($3::boolean IS NULL OR is_active = $3)
        ORDER BY created_at DESC, id LIMIT $4 OFFSET $5`,
      [f.q === undefined ? null : likePattern(f.q), f.role ?? null, f.active ?? null, limit, offset],
    )).rows);
    return { items: rows.map(toView), total: Number(rows[0]?.total ?? 0), limit, offset };
  }

  async user(request: FastifyRequest, id: string) {
    const row = await this.s.run(request, (tx) => one(tx, id));
    if (row === undefined) throw notFound('user');
    return toView(row);
  }

  async setActive(request: FastifyRequest, id: string, active: boolean, reason: string) {
    const actor = actorOf(request);
    if (id === actor.userId) throw new ApiError(409, 'cannot_change_self', 'an admin cannot deactivate their own account');
    const row = await this.s.run(request, async (tx) => {
      const current = await one(tx, id);
      if (current === undefined) throw notFound('user');
      await tx.query('UPDATE users SET is_active = $2 WHERE id = $1', [id, active]);
      if (!active) {
        await tx.query(`UPDATE user_sessions SET revoked_at = now(), revoke_reason = 'deactivated' WHERE user_id = $1 AND revoked_at IS NULL`, [id]);
        await tx.query(
          `INSERT INTO audit_logs (actor_user_id, actor_role, action, table_name, resource_id, subject_user_id, new_values, ip_address, request_id)
           VALUES ($1, 'admin', 'deactivate', 'users', $2::text, $2::uuid, $3, app_client_ip(), $4)`,
          [actor.userId, id, JSON.stringify({ reason }), request.id.slice(0, 64)],
        );
      }
      return one(tx, id);
    });
    if (row === undefined) throw notFound('user');
    return toView(row);
  }

  /**
   * An admin has checked this doctor's licence (issue 16, item 3): the account is verified, may
   * invite patients, and the licence number is his alone — cleared from unverified accounts that
   * claimed it. `license_number`, when given, must be the one checked (it may have changed since).
   */
  async verifyDoctor(request: FastifyRequest, id: string, checkedLicense: string | undefined) {
    const actor = actorOf(request);
    const row = await this.s.run(request, async (tx) => {
      const current = await one(tx, id);
      if (current === undefined || current.role !== 'doctor') throw notFound('doctor');
      if (current.license_number === null) throw new ApiError(409, 'license_missing', 'this doctor has not given a licence number yet');
      if (checkedLicense !== undefined && checkedLicense.trim() !== current.license_number) {
        throw new ApiError(409, 'license_changed', 'the licence number on the account is not the one checked');
      }
      if (current.doctor_verified_at !== null) return current;
      const holder = await tx.query<{ id: string }>(
        'SELECT id FROM users WHERE license_number = $1 AND doctor_verified_at IS NOT NULL AND id <> $2', [current.license_number, id]);
      if ((holder.rowCount ?? 0) > 0) throw new ApiError(409, 'license_already_verified', 'another verified doctor holds this licence number');
      const claims = await tx.query<{ id: string }>(
        'UPDATE users SET license_number = NULL WHERE license_number = $1 AND id <> $2 AND doctor_verified_at IS NULL RETURNING id', [current.license_number, id]);
      await tx.query('UPDATE users SET doctor_verified_at = now() WHERE id = $1', [id]);
      await tx.query(
        `INSERT INTO audit_logs (actor_user_id, actor_role, action, table_name, resource_id, subject_user_id, new_values, ip_address, request_id)
         VALUES ($1, 'admin', 'doctor_verified', 'users', $2::text, $2::uuid, $3, app_client_ip(), $4)`,
        [actor.userId, id, JSON.stringify({ license_number: current.license_number, claims_revoked: claims.rows.map((r) => r.id) }), request.id.slice(0, 64)],
      );
      await insertNotification(tx, { userId: id, type: 'system', key: 'doctor_verified', data: { kind: 'doctor_verified' } });
      for (const c of claims.rows) await insertNotification(tx, { userId: c.id, type: 'system', key: 'license_revoked', data: { kind: 'license_revoked' } });
      return one(tx, id);
    });
    if (row === undefined) throw notFound('doctor');
    return toView(row);
  }
}
