/**
 * Doctor–patient care: invitations created by either side (a code of 10 unambiguous
 * characters, 7-day expiry, single use), accept/decline, permissions chosen by the patient,
 * suspend/terminate with a reason, and a doctor's view of a patient within the permissions.
 * The database enforces the rules too (guard trigger, RLS): access ends the moment the
 * relationship is no longer active.
 */
import { randomInt } from 'node:crypto';
import type { RequestContext } from '../core/context.ts';
import { ApiError, badRequest, notFound } from '../core/errors.ts';
import { recordRead, recordReads } from '../audit/service.ts';
import { recordEvent } from '../analytics/service.ts';
import * as q from './queries.ts';
import { isVerifiedDoctor } from '../users/queries.ts';
import { INVITATION_ALPHABET, type PermissionsT, type RelationshipT } from './types.ts';

export const INVITATION_DAYS = 7;

/** A doctor whose licence no admin has verified neither invites nor accepts. */
const DOCTOR_NOT_VERIFIED = (): ApiError =>
  new ApiError(
    403,
    'doctor_not_verified',
    'your licence has not been verified by an administrator yet; you cannot connect with patients until it is',
  );
export const CODE_LENGTH = 10;

export function newInvitationCode(): string {
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i++) code += INVITATION_ALPHABET[randomInt(INVITATION_ALPHABET.length)];
  return code;
}

/** What a person types: case, spaces and dashes do not matter. */
export function normaliseCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '');
}

const INVITATION_ERRORS: Record<string, ApiError> = {
  invitation_not_found: new ApiError(404, 'invitation_not_found', 'no open invitation has this code'),
  invitation_expired: new ApiError(410, 'invitation_expired', 'this invitation has expired; ask for a new code'),
  invitation_wrong_role: new ApiError(
    403,
    'invitation_wrong_role',
    'this invitation is for the other side (a doctor invites a patient and the other way round)',
  ),
  invitation_self: new ApiError(400, 'invitation_self', 'you cannot accept your own invitation'),
  relationship_exists: new ApiError(
    409,
    'relationship_exists',
    'you are already connected (or the patient has blocked this doctor)',
  ),
};

function mapInvitationError(err: unknown): never {
  const e = err as { code?: unknown; message?: unknown };
  if (e?.code === 'P0001' && typeof e.message === 'string') {
    const mapped = INVITATION_ERRORS[e.message];
    if (mapped !== undefined) throw mapped;
  }
  if (e?.code === '23505') throw INVITATION_ERRORS.relationship_exists;
  throw err;
}

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

export function toRelationship(r: q.RelationshipRow): RelationshipT {
  return {
    id: r.id,
    status: r.status,
    initiated_by: r.initiated_by,
    doctor:
      r.doctor_id === null
        ? null
        : {
            id: r.doctor_id,
            first_name: r.doctor_first_name,
            last_name: r.doctor_last_name,
            specialization: r.doctor_specialization,
            hospital_name: r.doctor_hospital_name,
          },
    patient:
      r.patient_id === null
        ? null
        : { id: r.patient_id, first_name: r.patient_first_name, last_name: r.patient_last_name },
    can_view_prescriptions: r.can_view_prescriptions,
    can_add_notes: r.can_add_notes,
    can_modify_reminders: r.can_modify_reminders,
    invitation_expires_at: iso(r.invitation_expires_at),
    accepted_at: iso(r.accepted_at),
    ended_at: iso(r.ended_at),
    end_reason: r.end_reason,
    created_at: r.created_at.toISOString(),
  };
}

export class CareService {
  async createInvitation(ctx: RequestContext, permissions: PermissionsT | undefined) {
    const actor = ctx;
    if (actor.role !== 'doctor' && actor.role !== 'patient')
      throw new ApiError(403, 'forbidden_role', 'only doctors and patients invite');
    if (actor.role === 'doctor' && permissions !== undefined) {
      throw badRequest('permissions_by_patient', 'the patient chooses the permissions when accepting', [
        { path: 'body/permissions', message: 'only a patient sets permissions' },
      ]);
    }
    // A doctor's invitation grants nothing until the patient chooses when accepting.
    const perms =
      actor.role === 'doctor'
        ? { v: false, n: false, r: false }
        : {
            v: permissions?.can_view_prescriptions ?? true,
            n: permissions?.can_add_notes ?? true,
            r: permissions?.can_modify_reminders ?? false,
          };
    const expiresAt = new Date(Date.now() + INVITATION_DAYS * 86_400_000);
    for (let attempt = 0; ; attempt++) {
      const code = newInvitationCode();
      try {
        const row = await ctx.run(async (tx) => {
          if (actor.role === 'doctor' && !(await isVerifiedDoctor(tx, actor.userId))) throw DOCTOR_NOT_VERIFIED();
          const inserted = await q.insertInvitation(tx, {
            doctorId: actor.role === 'doctor' ? actor.userId : null,
            patientId: actor.role === 'patient' ? actor.userId : null,
            initiatedBy: actor.role as 'doctor' | 'patient',
            code,
            expiresAt,
            perms,
          });
          await recordEvent(tx, actor.userId, 'invitation_created', ctx.client, { by: actor.role });
          return inserted;
        });
        return {
          id: row.id,
          code: row.invitation_code,
          initiated_by: row.initiated_by,
          status: row.status,
          expires_at: row.invitation_expires_at.toISOString(),
          can_view_prescriptions: row.can_view_prescriptions,
          can_add_notes: row.can_add_notes,
          can_modify_reminders: row.can_modify_reminders,
        };
      } catch (err) {
        const e = err as { code?: unknown; constraint?: unknown };
        if (e?.code === '23505' && e.constraint === 'doctor_patient_relationships_invitation_code_key' && attempt < 5)
          continue;
        throw err;
      }
    }
  }

  async previewInvitation(ctx: RequestContext, code: string) {
    const row = await ctx.run((tx) => q.findInvitation(tx, normaliseCode(code)));
    if (row === undefined) throw INVITATION_ERRORS.invitation_not_found;
    return {
      id: row.id,
      initiated_by: row.initiated_by,
      expires_at: iso(row.invitation_expires_at),
      expired: row.is_expired,
      inviter: {
        id: row.inviter_id,
        first_name: row.inviter_first_name,
        last_name: row.inviter_last_name,
        role: row.inviter_role,
        specialization: row.inviter_specialization,
        hospital_name: row.inviter_hospital_name,
        verified: row.inviter_verified,
        verification:
          row.inviter_verified === null
            ? null
            : row.inviter_verified
              ? ('verified' as const)
              : ('not verified' as const),
      },
      can_view_prescriptions: row.can_view_prescriptions,
      can_add_notes: row.can_add_notes,
      can_modify_reminders: row.can_modify_reminders,
    };
  }

  async accept(ctx: RequestContext, code: string, permissions: PermissionsT | undefined): Promise<RelationshipT> {
    const actor = ctx;
    if (actor.role === 'doctor' && permissions !== undefined) {
      throw badRequest('permissions_by_patient', 'the patient chooses the permissions', [
        { path: 'body/permissions', message: 'only a patient sets permissions' },
      ]);
    }
    const row = await ctx.run(async (tx) => {
      if (actor.role === 'doctor' && !(await isVerifiedDoctor(tx, actor.userId))) throw DOCTOR_NOT_VERIFIED();
      // a doctor's invitation whose inviter is (no longer) verified is not accepted either
      if (actor.role === 'patient' && (await q.findInvitation(tx, normaliseCode(code)))?.inviter_verified === false) {
        throw new ApiError(
          403,
          'doctor_not_verified',
          "this doctor's licence has not been verified by an administrator; the invitation cannot be accepted",
        );
      }
      let id: string;
      try {
        id = await q.acceptInvitation(tx, normaliseCode(code), {
          v: permissions?.can_view_prescriptions,
          n: permissions?.can_add_notes,
          r: permissions?.can_modify_reminders,
        });
      } catch (err) {
        mapInvitationError(err);
      }
      const rel = await q.relationship(tx, id);
      if (rel === undefined) throw INVITATION_ERRORS.invitation_not_found;
      const other = actor.role === 'patient' ? rel.doctor_id : rel.patient_id;
      if (other !== null) await q.notify(tx, other, 'invitation', 'invitation_accepted', { relationship_id: rel.id });
      await recordEvent(tx, actor.userId, 'invitation_accepted', ctx.client, { by: actor.role });
      return rel;
    });
    return toRelationship(row);
  }

  async decline(ctx: RequestContext, code: string): Promise<void> {
    await ctx.run(async (tx) => {
      try {
        await q.declineInvitation(tx, normaliseCode(code));
      } catch (err) {
        mapInvitationError(err);
      }
    });
  }

  async list(ctx: RequestContext, status: string | undefined): Promise<RelationshipT[]> {
    const actor = ctx;
    const rows = await ctx.run((tx) => q.relationships(tx, actor.userId, status ?? null));
    return rows.map(toRelationship);
  }

  async setPermissions(ctx: RequestContext, id: string, p: PermissionsT): Promise<RelationshipT> {
    const actor = ctx;
    if (actor.role !== 'patient') throw new ApiError(403, 'forbidden_role', 'only the patient chooses the permissions');
    if (
      p.can_add_notes === undefined &&
      p.can_modify_reminders === undefined &&
      p.can_view_prescriptions === undefined
    ) {
      throw badRequest('validation_failed', 'give at least one permission');
    }
    const row = await ctx.run(async (tx) => {
      const n = await q.updatePermissions(tx, id, actor.userId, {
        v: p.can_view_prescriptions,
        n: p.can_add_notes,
        r: p.can_modify_reminders,
      });
      if (n === 0) throw notFound('relationship');
      return q.relationship(tx, id);
    });
    if (row === undefined) throw notFound('relationship');
    return toRelationship(row);
  }

  /** suspend → inactive (either side); terminate → blocked (the patient: this doctor cannot invite her again). */
  async end(ctx: RequestContext, id: string, reason: string, mode: 'suspend' | 'terminate'): Promise<RelationshipT> {
    const actor = ctx;
    if (mode === 'terminate' && actor.role !== 'patient')
      throw new ApiError(403, 'forbidden_role', 'only the patient can terminate (block); a doctor suspends');
    const row = await ctx.run(async (tx) => {
      const current = await q.relationship(tx, id);
      if (current === undefined || (current.doctor_id !== actor.userId && current.patient_id !== actor.userId))
        throw notFound('relationship');
      if (current.status !== 'pending' && current.status !== 'active')
        throw new ApiError(409, 'relationship_not_active', `the relationship is already ${current.status}`);
      // Notify first: once ended, the other party is no longer someone we may notify (RLS).
      const other = actor.userId === current.doctor_id ? current.patient_id : current.doctor_id;
      if (other !== null && current.status === 'active')
        await q.notify(tx, other, 'system', 'relationship_ended', { relationship_id: id });
      await q.endRelationship(tx, id, mode === 'terminate' ? 'blocked' : 'inactive', reason.trim());
      return q.relationship(tx, id);
    });
    if (row === undefined) throw notFound('relationship');
    return toRelationship(row);
  }

  async cancel(ctx: RequestContext, id: string): Promise<void> {
    const n = await ctx.run((tx) => q.cancelInvitation(tx, id));
    if (n === 0) throw notFound('invitation');
  }

  async patients(ctx: RequestContext, limit: number, offset: number) {
    const actor = ctx;
    const { rows, total } = await ctx.run(async (tx) => {
      const page = await q.carePatients(tx, actor.userId, limit, offset);
      // Each adherence summary shown is a read of that patient's dose logs: her access log says so.
      for (const r of page.rows) {
        if (r.total_doses !== null)
          await recordRead(tx, ctx, {
            table: 'medication_reminder_logs',
            action: 'read_adherence',
            subjectUserId: r.patient_id,
            resourceIds: [r.patient_id],
          });
      }
      return page;
    });
    return {
      items: rows.map((r) => {
        const answered = (r.taken ?? 0) + (r.missed ?? 0) + (r.skipped ?? 0);
        return {
          relationship_id: r.relationship_id,
          patient_id: r.patient_id,
          first_name: r.first_name,
          last_name: r.last_name,
          can_view_prescriptions: r.can_view_prescriptions,
          can_add_notes: r.can_add_notes,
          can_modify_reminders: r.can_modify_reminders,
          accepted_at: iso(r.accepted_at),
          adherence:
            r.total_doses === null
              ? null
              : {
                  total_doses: r.total_doses,
                  taken: r.taken ?? 0,
                  missed: r.missed ?? 0,
                  skipped: r.skipped ?? 0,
                  rate: answered === 0 ? null : Math.round((10_000 * (r.taken ?? 0)) / answered) / 100,
                },
          last_7_days: period(r.last_7_days),
          last_30_days: period(r.last_30_days),
        };
      }),
      total,
      limit,
      offset,
    };
  }

  /** A patient's prescriptions for her doctor: 404 unless an active relationship grants view_prescriptions. */
  async patientPrescriptions(ctx: RequestContext, patientId: string, limit: number, offset: number) {
    const out = await ctx.run(async (tx) => {
      if (!(await q.doctorCan(tx, patientId, 'view_prescriptions'))) throw notFound('patient');
      const page = await q.patientPrescriptions(tx, patientId, limit, offset);
      await recordReads(tx, ctx, 'prescriptions', page.rows);
      const meds = page.rows.flatMap((p) => p.medications.map((m) => ({ id: m.id, patient_id: p.patient_id })));
      await recordReads(tx, ctx, 'medications', meds);
      return page;
    });
    return {
      items: out.rows.map((p) => ({
        id: p.id,
        status: p.status,
        hospital_name: p.hospital_name,
        prescription_number: p.prescription_number,
        prescription_date: p.prescription_date,
        prescribing_doctor_name: p.prescribing_doctor_name,
        diagnosis: p.diagnosis,
        created_at: p.created_at.toISOString(),
        confirmed_at: iso(p.confirmed_at),
        medications: p.medications,
      })),
      total: out.total,
      limit,
      offset,
    };
  }
}

/** A period's counts with the rate over the doses answered (taken, missed or skipped), as GET /adherence gives it. */
function period(c: { taken: number; missed: number; skipped: number } | null) {
  if (c === null) return null;
  const answered = c.taken + c.missed + c.skipped;
  return { ...c, rate: answered === 0 ? null : Math.round((10_000 * c.taken) / answered) / 100 };
}
