import { Type, type Static } from '@sinclair/typebox';
import { Nullable, Timestamp, Uuid } from '../core/schemas.ts';

export const INVITATION_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const InvitationCode = Type.String({
  pattern: '^[A-Za-z0-9 -]{8,40}$',
  description: 'the code, case and spaces ignored',
});

export const Permissions = Type.Object(
  {
    can_view_prescriptions: Type.Optional(Type.Boolean()),
    can_add_notes: Type.Optional(Type.Boolean()),
    can_modify_reminders: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type PermissionsT = Static<typeof Permissions>;

export const CreateInvitationBody = Type.Object(
  { permissions: Type.Optional(Permissions) },
  { additionalProperties: false },
);

export const Invitation = Type.Object({
  id: Uuid,
  code: Type.String(),
  initiated_by: Type.String(),
  status: Type.String(),
  expires_at: Timestamp,
  can_view_prescriptions: Type.Boolean(),
  can_add_notes: Type.Boolean(),
  can_modify_reminders: Type.Boolean(),
});

export const InvitationPreview = Type.Object({
  id: Uuid,
  initiated_by: Type.String(),
  expires_at: Nullable(Timestamp),
  expired: Type.Boolean(),
  inviter: Type.Object({
    id: Uuid,
    first_name: Type.String(),
    last_name: Type.String(),
    role: Type.String(),
    specialization: Nullable(Type.String()),
    hospital_name: Nullable(Type.String()),
    verified: Nullable(
      Type.Boolean({ description: 'a doctor inviter: has an admin verified his licence? (null for a patient)' }),
    ),
    verification: Nullable(
      Type.Union([Type.Literal('verified'), Type.Literal('not verified')], {
        description: 'what the patient is shown before accepting a doctor',
      }),
    ),
  }),
  can_view_prescriptions: Type.Boolean(),
  can_add_notes: Type.Boolean(),
  can_modify_reminders: Type.Boolean(),
});

export const AcceptBody = Type.Object(
  { code: InvitationCode, permissions: Type.Optional(Permissions) },
  { additionalProperties: false },
);
export const DeclineBody = Type.Object({ code: InvitationCode }, { additionalProperties: false });
export const EndBody = Type.Object(
  {
    reason: Type.String({ minLength: 1, maxLength: 1000 }),
    mode: Type.Optional(Type.Union([Type.Literal('suspend'), Type.Literal('terminate')])),
  },
  { additionalProperties: false },
);

export const Relationship = Type.Object({
  id: Uuid,
  status: Type.String(),
  initiated_by: Type.String(),
  doctor: Nullable(
    Type.Object({
      id: Uuid,
      first_name: Nullable(Type.String()),
      last_name: Nullable(Type.String()),
      specialization: Nullable(Type.String()),
      hospital_name: Nullable(Type.String()),
    }),
  ),
  patient: Nullable(Type.Object({ id: Uuid, first_name: Nullable(Type.String()), last_name: Nullable(Type.String()) })),
  can_view_prescriptions: Type.Boolean(),
  can_add_notes: Type.Boolean(),
  can_modify_reminders: Type.Boolean(),
  invitation_expires_at: Nullable(Timestamp),
  accepted_at: Nullable(Timestamp),
  ended_at: Nullable(Timestamp),
  end_reason: Nullable(Type.String()),
  created_at: Timestamp,
});
export type RelationshipT = Static<typeof Relationship>;

const PeriodAdherence = Type.Object(
  { taken: Type.Integer(), missed: Type.Integer(), skipped: Type.Integer(), rate: Nullable(Type.Number()) },
  { description: 'doses of her last N calendar days, today included (as GET /adherence?days=N)' },
);

export const CarePatient = Type.Object({
  relationship_id: Uuid,
  patient_id: Uuid,
  first_name: Nullable(Type.String()),
  last_name: Nullable(Type.String()),
  can_view_prescriptions: Type.Boolean(),
  can_add_notes: Type.Boolean(),
  can_modify_reminders: Type.Boolean(),
  accepted_at: Nullable(Timestamp),
  adherence: Nullable(
    Type.Object(
      {
        total_doses: Type.Integer(),
        taken: Type.Integer(),
        missed: Type.Integer(),
        skipped: Type.Integer(),
        rate: Nullable(Type.Number()),
      },
      { description: 'since the first dose (all time)' },
    ),
  ),
  last_7_days: Nullable(PeriodAdherence),
  last_30_days: Nullable(PeriodAdherence),
});

export const Medication = Type.Object({
  id: Uuid,
  sequence: Nullable(Type.Integer()),
  name: Type.String(),
  generic_name: Nullable(Type.String()),
  strength: Nullable(Type.String()),
  form: Nullable(Type.String()),
  dosage_schedule: Type.Object({
    morning: Type.Number(),
    noon: Type.Number(),
    evening: Type.Number(),
    night: Type.Number(),
  }),
  take_after_meal: Type.Boolean(),
  take_before_meal: Type.Boolean(),
  duration_days: Nullable(Type.Integer()),
  instructions: Nullable(Type.String()),
  is_active: Type.Boolean(),
});

export const SharedPrescription = Type.Object({
  id: Uuid,
  status: Type.String(),
  hospital_name: Nullable(Type.String()),
  prescription_number: Nullable(Type.String()),
  prescription_date: Nullable(Type.String()),
  prescribing_doctor_name: Nullable(Type.String()),
  diagnosis: Type.Array(Type.String()),
  created_at: Timestamp,
  confirmed_at: Nullable(Timestamp),
  medications: Type.Array(Medication),
});
