/** Profiles (GET/PATCH /me), devices (sessions), data export and erasure. */
import type { Tx } from '../db/database.ts';
import type { RequestContext } from '../core/context.ts';
import type { Passwords } from '../auth/passwords.ts';
import type { FileStore } from '../files/store.ts';
import { ApiError, badRequest, notFound } from '../core/errors.ts';
import { recordRead } from '../audit/service.ts';
import { recordEvent } from '../analytics/service.ts';
import { passwordHashOf, revokeSession } from '../auth/queries.ts';
import { photoPathsOf } from '../prescriptions/queries.ts';
import * as q from './queries.ts';
import { buildFhirBundle } from '../fhir/bundle.ts';
import type { Bundle, ExportRows } from '../fhir/types.ts';
import type { MeT, PatchMeT } from './types.ts';
import { profileChanges } from './profile-changes.ts';

export function toMe(row: q.ProfileRow): MeT {
  const me: MeT = {
    id: row.id,
    email: row.email,
    role: row.role,
    first_name: row.first_name,
    last_name: row.last_name,
    phone: row.phone,
    language: row.language,
    timezone: row.timezone,
    notification_preferences: row.notification_preferences,
    dose_schedule_template: row.dose_schedule_template,
    email_verified: row.email_verified_at !== null,
    created_at: row.created_at.toISOString(),
    subscription: {
      tier: row.subscription_tier,
      is_premium: row.is_premium,
      plan_code: row.plan_code,
      current_period_end: row.current_period_end?.toISOString() ?? null,
    },
  };
  if (row.role === 'patient') {
    me.patient = {
      date_of_birth: row.date_of_birth,
      gender: row.gender,
      medical_conditions: row.medical_conditions,
      allergies: row.allergies,
      emergency_contact:
        row.emergency_contact_name === null
          ? null
          : {
              name: row.emergency_contact_name,
              phone: row.emergency_contact_phone,
              relationship: row.emergency_contact_relationship,
            },
    };
  }
  if (row.role === 'doctor')
    me.doctor = {
      license_number: row.license_number,
      specialization: row.specialization,
      hospital_name: row.hospital_name,
    };
  return me;
}

export interface UserDeps {
  passwords: Passwords;
  /** The photo store, whose files an erasure removes (absent when prescriptions are not served). */
  files: FileStore | undefined;
}

export class UserService {
  constructor(private readonly s: UserDeps) {}

  async me(ctx: RequestContext): Promise<MeT> {
    const actor = ctx;
    const row = await ctx.run((tx) => q.profile(tx, actor.userId));
    if (row === undefined) throw notFound('account');
    return toMe(row);
  }

  async update(ctx: RequestContext, body: PatchMeT): Promise<MeT> {
    const actor = ctx;
    const { set, merge } = profileChanges(actor.role, body);
    const row = await ctx.run(async (tx) => {
      await q.updateProfile(tx, actor.userId, set, merge);
      return q.profile(tx, actor.userId);
    });
    if (row === undefined) throw notFound('account');
    return toMe(row);
  }

  async sessions(ctx: RequestContext) {
    const actor = ctx;
    const rows = await ctx.run((tx) => q.openSessions(tx, actor.userId));
    return rows.map((r) => ({
      id: r.id,
      current: r.id === ctx.sessionId,
      device_info: r.device_info,
      ip_address: r.ip_address,
      user_agent: r.user_agent,
      created_at: r.created_at.toISOString(),
      last_used_at: r.last_used_at?.toISOString() ?? null,
      expires_at: r.expires_at.toISOString(),
    }));
  }

  async endSession(ctx: RequestContext, sessionId: string): Promise<void> {
    // RLS: another user's session is invisible, so it answers 404 like an unknown one.
    const n = await ctx.run((tx) => revokeSession(tx, sessionId, 'ended_by_user'));
    if (n === 0) throw notFound('session');
  }

  async exportAll(ctx: RequestContext): Promise<{ format: string; exported_at: string } & Record<string, unknown>> {
    const actor = ctx;
    return ctx.run(async (tx) => {
      const data = await q.exportData(tx, actor.userId);
      await auditExport(tx, ctx, {});
      return { format: 'dastern-export/1', exported_at: new Date().toISOString(), ...data };
    });
  }

  /** Her medicines, schedules and doses as a FHIR R4 Bundle (src/fhir/). */
  async exportFhir(ctx: RequestContext): Promise<Bundle> {
    const actor = ctx;
    return ctx.run(async (tx) => {
      const data = (await q.exportData(tx, actor.userId)) as unknown as ExportRows;
      const team = await q.careTeam(tx, actor.userId);
      await auditExport(tx, ctx, { format: 'fhir' });
      return buildFhirBundle(data, team, new Date());
    });
  }

  async erase(ctx: RequestContext, password: string): Promise<{ audit_rows_redacted: number }> {
    const actor = ctx;
    if (actor.role === 'admin')
      throw new ApiError(409, 'admin_cannot_self_erase', 'an admin account is removed by another admin');
    const hash = await ctx.run((tx) => passwordHashOf(tx, actor.userId));
    if (!(await this.s.passwords.verify(password, hash)))
      throw badRequest('wrong_password', 'the password is not correct');
    const out = await ctx.run(async (tx) => {
      // Her photos are files outside the database: collected here, removed once the erasure commits.
      const files = await photoPathsOf(tx, actor.userId);
      const erased = await q.eraseUser(tx, actor.userId);
      return { ...erased, files };
    });
    const store = this.s.files;
    if (store !== undefined) await Promise.all(out.files.map((f) => store.remove(f)));
    ctx.log.info({ audit_rows_redacted: out.auditRowsRedacted, files_removed: out.files.length }, 'account erased');
    return { audit_rows_redacted: out.auditRowsRedacted };
  }
}

/** An export of her own data: the read audited, the usage event counted. */
async function auditExport(tx: Tx, ctx: RequestContext, properties: Record<string, string>): Promise<void> {
  await recordRead(tx, ctx, {
    table: 'users',
    action: 'export',
    subjectUserId: ctx.userId,
    resourceIds: [ctx.userId],
  });
  await recordEvent(tx, ctx.userId, 'data_export', ctx.client, properties);
}
