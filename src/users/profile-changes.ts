/**
 * PATCH /me's body checked and turned into the profile columns to set and the JSON settings to
 * merge: fields of the other role refused, texts trimmed (blank refused: null clears), lists
 * cleaned, the time zone and birth date checked. No database here.
 */
import { HOME_TIMEZONE } from '../core/constants.ts';
import { badRequest } from '../core/errors.ts';
import { validTimezone } from '../auth/service.ts';
import type * as q from './queries.ts';
import type { RequestContext } from '../core/context.ts';
import type { PatchMeT } from './types.ts';

export const PATIENT_FIELDS = [
  'date_of_birth',
  'gender',
  'medical_conditions',
  'allergies',
  'emergency_contact',
] as const;
export const DOCTOR_FIELDS = ['license_number', 'specialization', 'hospital_name'] as const;

const OPTIONAL_TEXTS = [
  'phone',
  'language',
  'timezone',
  'date_of_birth',
  'gender',
  'license_number',
  'specialization',
  'hospital_name',
] as const;

type Columns = Partial<Record<q.ProfileColumn, unknown>>;
export interface ProfileChanges {
  set: Columns;
  merge: { notification_preferences?: Record<string, boolean>; dose_schedule_template?: Record<string, string> };
}

const trimmed = (v: string | null | undefined): string | null | undefined => (typeof v === 'string' ? v.trim() : v);

function refuseOtherRoleFields(role: RequestContext['role'], body: PatchMeT): void {
  const wrongSide =
    role === 'patient' ? DOCTOR_FIELDS : role === 'doctor' ? PATIENT_FIELDS : [...PATIENT_FIELDS, ...DOCTOR_FIELDS];
  const refused = wrongSide.filter((f) => body[f] !== undefined);
  if (refused.length > 0) {
    throw badRequest(
      'field_not_allowed',
      `these fields do not apply to a ${role} account: ${refused.join(', ')}`,
      refused.map((f) => ({ path: `body/${f}`, message: `not for a ${role}` })),
    );
  }
}

/** The names (never cleared) and the other texts (null clears), trimmed; blank refused. */
function textColumns(body: PatchMeT, set: Columns): void {
  for (const key of ['first_name', 'last_name'] as const) {
    const v = trimmed(body[key]);
    if (v === '')
      throw badRequest('validation_failed', `${key} cannot be blank`, [
        { path: `body/${key}`, message: 'cannot be blank' },
      ]);
    if (v !== undefined) set[key] = v;
  }
  for (const key of OPTIONAL_TEXTS) {
    const v = trimmed(body[key]);
    if (v === '')
      throw badRequest('validation_failed', `${key} cannot be blank`, [
        { path: `body/${key}`, message: 'cannot be blank (send null to clear)' },
      ]);
    if (v !== undefined) set[key] = v;
  }
}

function emergencyContactColumns(c: NonNullable<PatchMeT['emergency_contact']> | null, set: Columns): void {
  const contact =
    c === null
      ? null
      : { name: c.name.trim(), phone: trimmed(c.phone) ?? null, relationship: trimmed(c.relationship) ?? null };
  const blank = contact === null ? [] : (['name', 'phone', 'relationship'] as const).filter((k) => contact[k] === '');
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

export function profileChanges(role: RequestContext['role'], body: PatchMeT): ProfileChanges {
  refuseOtherRoleFields(role, body);
  if (body.timezone !== undefined && !validTimezone(body.timezone)) {
    throw badRequest('invalid_timezone', `unknown time zone "${body.timezone}"`, [
      { path: 'body/timezone', message: `an IANA time zone such as ${HOME_TIMEZONE}` },
    ]);
  }
  const set: Columns = {};
  textColumns(body, set);
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
  if (body.emergency_contact !== undefined) emergencyContactColumns(body.emergency_contact, set);
  const merge: ProfileChanges['merge'] = {};
  if (body.notification_preferences !== undefined)
    merge.notification_preferences = body.notification_preferences as Record<string, boolean>;
  if (body.dose_schedule_template !== undefined)
    merge.dose_schedule_template = body.dose_schedule_template as Record<string, string>;
  return { set, merge };
}
