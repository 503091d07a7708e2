/** Profiles (GET/PATCH /me), devices (sessions), data export and erasure. */
import type { Tx } from '../db/database.ts';
import type { RequestContext } from '../core/context.ts';
import { HOME_TIMEZONE } from '../core/constants.ts';
import type { Passwords } from '../auth/passwords.ts';
import type { FileStore } from '../files/store.ts';
import { ApiError, badRequest, notFound } from '../core/errors.ts';
import { validTimezone } from '../auth/service.ts';
import { recordRead } from '../audit/service.ts';
import { recordEvent } from '../analytics/service.ts';
import { passwordHashOf, revokeSession } from '../auth/queries.ts';
import { photoPathsOf } from '../prescriptions/queries.ts';
import * as q from './queries.ts';
import { buildFhirBundle } from '../fhir/bundle.ts';
import type { Bundle, ExportRows } from '../fhir/types.ts';
import type { MeT, PatchMeT } from './types.ts';

const PATIENT_FIELDS = ['date_of_birth', 'gender', 'medical_conditions', 'allergies', 'emergency_contact'] as const;
const DOCTOR_FIELDS = ['license_number', 'specialization', 'hospital_name'] as const;

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
    const wrongSide =
      actor.role === 'patient'
        ? DOCTOR_FIELDS
        : actor.role === 'doctor'
          ? PATIENT_FIELDS
          : [...PATIENT_FIELDS, ...DOCTOR_FIELDS];
    const refused = wrongSide.filter((f) => body[f] !== undefined);
    if (refused.length > 0) {
      throw badRequest(
        'field_not_allowed',
        `these fields do not apply to a ${actor.role} account: ${refused.join(', ')}`,
        refused.map((f) => ({ path: `body/${f}`, message: `not for a ${actor.role}` })),
      );
    }
    if (body.timezone !== undefined && !validTimezone(body.timezone)) {
      throw badRequest('invalid_timezone', `unknown time zone "${body.timezone}"`, [
        { path: 'body/timezone', message: `an IANA time zone such as ${HOME_TIMEZONE}` },
      ]);
    }
    const set: Partial<Record<q.ProfileColumn, unknown>> = {};
    const trimmed = (v: string | null | undefined) => (typeof v === 'string' ? v.trim() : v);
    for (const key of ['first_name', 'last_name'] as const) {
      const v = trimmed(body[key]);
      if (v === '')
        throw badRequest('validation_failed', `${key} cannot be blank`, [
          { path: `body/${key}`, message: 'cannot be blank' },
        ]);
      if (v !== undefined) set[key] = v;
    }
    for (const key of [
      'phone',
      'language',
      'timezone',
      'date_of_birth',
      'gender',
      'license_number',
      'specialization',
      'hospital_name',
    ] as const) {
      const v = trimmed(body[key]);
      if (v === '')
        throw badRequest('validation_failed', `${key} cannot be blank`, [
          { path: `body/${key}`, message: 'cannot be blank (send null to clear)' },
        ]);
      if (v !== undefined) set[key] = v;
    }
    if (body.medical_conditions !== undefined)
      set.medical_conditions = body.medical_conditions.map((x) => x.trim()).filter((x) => x !== '');
    if (body.allergies !== undefined) set.allergies = body.allergies.map((x) => x.trim()).filter((x) => x !== '');
    // Anywhere on Earth it is at most this date now (UTC+14): a birth date after it is a typo.
    if (
      typeof set.date_of_birth === 'string' &&
      set.date_of_birth > new Date(Date.now() + 14 * 3_600_000).toISOString().slice(0, 10)
    ) {
      throw badRequest('validation_failed', 'date_of_birth cannot be in the future', [
        { path: 'body/date_of_birth', message: 'cannot be in the future' },
      ]);
    }
    if (body.emergency_contact !== undefined) {
      const c = body.emergency_contact;
      const contact =
        c === null
          ? null
          : { name: c.name.trim(), phone: trimmed(c.phone) ?? null, relationship: trimmed(c.relationship) ?? null };
      const blank =
        contact === null ? [] : (['name', 'phone', 'relationship'] as const).filter((k) => contact[k] === '');
      if (blank.length > 0) {
        throw badRequest(
          'validation_failed',
          `emergency_contact ${blank.join(', ')} cannot be blank`,
          blank.map((k) => ({
            path: `body/emergency_contact/${k}`,
            message: k === 'name' ? 'cannot be blank' : 'cannot be blank (send null to clear)',
          })),
        );
      }
      set.emergency_contact_name = contact?.name ?? null;
      set.emergency_contact_phone = contact?.phone ?? null;
      set.emergency_contact_relationship = contact?.relationship ?? null;
    }
    const merge: {
      notification_preferences?: Record<string, boolean>;
      dose_schedule_template?: Record<string, string>;
    } = {};
    if (body.notification_preferences !== undefined)
      merge.notification_preferences = body.notification_preferences as Record<string, boolean>;
    if (body.dose_schedule_template !== undefined)
      merge.dose_schedule_template = body.dose_schedule_template as Record<string, string>;
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
