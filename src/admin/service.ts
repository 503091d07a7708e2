/** Administration: statistics from the database's functions, user search and (de)activation. */
import type { RequestContext } from '../core/context.ts';
import { ApiError, notFound } from '../core/errors.ts';
import * as uq from '../users/admin-queries.ts';
import type { AccountRow } from '../users/admin-queries.ts';
import { revokeAllSessions } from '../auth/queries.ts';
import { insertAdminAction } from '../audit/queries.ts';
import * as sq from './queries.ts';
import { PRESCRIPTION_STATUSES } from '../prescriptions/types.ts';
import { insertNotification } from '../notifications/service.ts';

const toView = (r: AccountRow) => ({
  id: r.id,
  email: r.email,
  role: r.role,
  first_name: r.first_name,
  last_name: r.last_name,
  is_active: r.is_active,
  email_verified: r.email_verified_at !== null,
  locked_until: r.locked_until?.toISOString() ?? null,
  last_login_at: r.last_login_at?.toISOString() ?? null,
  created_at: r.created_at.toISOString(),
  license_number: r.license_number,
  doctor_verified_at: r.doctor_verified_at?.toISOString() ?? null,
});

/** LIKE pattern of a search text: % and _ are literal. */
export function likePattern(text: string): string {
  return `%${text
    .trim()
    .toLowerCase()
    .replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The columns of the seed's statistics functions (bigint counts; numeric averages and rates). */
export const USER_STATISTICS = [
  'total_users',
  'patients',
  'doctors',
  'admins',
  'active_users',
  'inactive_users',
  'deleted_users',
  'verified_users',
  'new_users_last_30_days',
  'logged_in_last_30_days',
  'premium_users',
  'active_relationships',
  'pending_invitations',
] as const;
export const PRESCRIPTION_STATISTICS = {
  integers: [
    'total_prescriptions',
    ...PRESCRIPTION_STATUSES,
    'created_last_30_days',
    'total_medications',
    'active_reminders',
    'doses_last_30_days',
  ],
  decimals: [
    'average_ocr_confidence',
    'average_processing_time_ms',
    'average_medications_per_prescription',
    'adherence_rate_last_30_days',
  ],
} as const;

/** pg gives bigint and numeric as strings: the named columns as numbers (null stays null). */
function numbers(row: Record<string, unknown> | undefined, columns: readonly string[]): Record<string, number | null> {
  return Object.fromEntries(
    columns.map((k) => {
      const v = row?.[k];
      return [k, v === null || v === undefined ? null : Number(v)];
    }),
  );
}

export class AdminService {
  async statistics(ctx: RequestContext) {
    return ctx.runRead(async (tx) => {
      const users = await sq.userStatistics(tx);
      const prescriptions = await sq.prescriptionStatistics(tx);
      return {
        users: users.map((r) => numbers(r, USER_STATISTICS)),
        prescriptions: prescriptions.map((r) =>
          numbers(r, [...PRESCRIPTION_STATISTICS.integers, ...PRESCRIPTION_STATISTICS.decimals]),
        ),
      };
    });
  }

  async users(
    ctx: RequestContext,
    f: { q?: string; role?: string; active?: boolean; limit?: number; offset?: number },
  ) {
    const limit = f.limit ?? 20;
    const offset = f.offset ?? 0;
    const rows = await ctx.run((tx) =>
      uq.searchAccounts(tx, {
        pattern: f.q === undefined ? null : likePattern(f.q),
        role: f.role ?? null,
        active: f.active ?? null,
        limit,
        offset,
      }),
    );
    return { items: rows.map(toView), total: Number(rows[0]?.total ?? 0), limit, offset };
  }

  async user(ctx: RequestContext, id: string) {
    const row = await ctx.run((tx) => uq.account(tx, id));
    if (row === undefined) throw notFound('user');
    return toView(row);
  }

  async setActive(ctx: RequestContext, id: string, active: boolean, reason: string) {
    const actor = ctx;
    if (id === actor.userId)
      throw new ApiError(409, 'cannot_change_self', 'an admin cannot deactivate their own account');
    const row = await ctx.run(async (tx) => {
      const current = await uq.account(tx, id);
      if (current === undefined) throw notFound('user');
      await uq.setActive(tx, id, active);
      if (!active) {
        await revokeAllSessions(tx, id, 'deactivated');
        await insertAdminAction(tx, {
          actorUserId: actor.userId,
          action: 'deactivate',
          userId: id,
          newValues: { reason },
          requestId: ctx.requestId.slice(0, 64),
        });
      }
      return uq.account(tx, id);
    });
    if (row === undefined) throw notFound('user');
    return toView(row);
  }

  /**
   * An admin has checked this doctor's licence: the account is verified, may
   * invite patients, and the licence number is his alone — cleared from unverified accounts that
   * claimed it. `license_number`, when given, must be the one checked (it may have changed since).
   */
  async verifyDoctor(ctx: RequestContext, id: string, checkedLicense: string | undefined) {
    const actor = ctx;
    const row = await ctx.run(async (tx) => {
      const current = await uq.account(tx, id);
      if (current === undefined || current.role !== 'doctor') throw notFound('doctor');
      if (current.license_number === null)
        throw new ApiError(409, 'license_missing', 'this doctor has not given a licence number yet');
      if (checkedLicense !== undefined && checkedLicense.trim() !== current.license_number) {
        throw new ApiError(409, 'license_changed', 'the licence number on the account is not the one checked');
      }
      if (current.doctor_verified_at !== null) return current;
      if (await uq.licenceVerifiedElsewhere(tx, current.license_number, id))
        throw new ApiError(409, 'license_already_verified', 'another verified doctor holds this licence number');
      const claims = await uq.clearLicenceClaims(tx, current.license_number, id);
      await uq.markDoctorVerified(tx, id);
      await insertAdminAction(tx, {
        actorUserId: actor.userId,
        action: 'doctor_verified',
        userId: id,
        newValues: { license_number: current.license_number, claims_revoked: claims },
        requestId: ctx.requestId.slice(0, 64),
      });
      await insertNotification(tx, {
        userId: id,
        type: 'system',
        key: 'doctor_verified',
        data: { kind: 'doctor_verified' },
      });
      for (const claimant of claims)
        await insertNotification(tx, {
          userId: claimant,
          type: 'system',
          key: 'license_revoked',
          data: { kind: 'license_revoked' },
        });
      return uq.account(tx, id);
    });
    if (row === undefined) throw notFound('doctor');
    return toView(row);
  }
}
