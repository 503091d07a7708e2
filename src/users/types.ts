import { Type, type Static } from '@sinclair/typebox';
import { Nullable, Timestamp, Uuid } from '../core/schemas.ts';
import { Language } from '../auth/types.ts';

const Phone = Type.String({ pattern: '^\\+[1-9][0-9]{6,14}$', description: 'international format, e.g. +85512345678' });
const Hhmm = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' });
const ShortText = (max: number) => Type.String({ minLength: 1, maxLength: max });

export const NotificationPreferences = Type.Object(
  { in_app: Type.Boolean(), push: Type.Boolean(), email: Type.Boolean(), sms: Type.Boolean() },
  { additionalProperties: false },
);
export const DoseSchedule = Type.Object(
  { morning: Hhmm, noon: Hhmm, evening: Hhmm, night: Hhmm },
  { additionalProperties: false },
);
export const EmergencyContact = Type.Object(
  { name: ShortText(200), phone: Phone, relationship: Type.Optional(Nullable(ShortText(100))) },
  { additionalProperties: false },
);

export const PatientInfo = Type.Object({
  date_of_birth: Nullable(Type.String({ format: 'date' })),
  gender: Nullable(Type.String()),
  medical_conditions: Type.Array(Type.String()),
  allergies: Type.Array(Type.String()),
  emergency_contact: Nullable(
    Type.Object({ name: Type.String(), phone: Nullable(Type.String()), relationship: Nullable(Type.String()) }),
  ),
});
export const DoctorInfo = Type.Object({
  license_number: Nullable(Type.String()),
  specialization: Nullable(Type.String()),
  hospital_name: Nullable(Type.String()),
});

export const Me = Type.Object({
  id: Uuid,
  email: Type.String(),
  role: Type.String(),
  first_name: Type.String(),
  last_name: Type.String(),
  phone: Nullable(Type.String()),
  language: Type.String(),
  timezone: Type.String(),
  notification_preferences: Type.Record(Type.String(), Type.Boolean()),
  dose_schedule_template: Type.Record(Type.String(), Type.String()),
  email_verified: Type.Boolean(),
  created_at: Timestamp,
  subscription: Type.Object({
    tier: Type.String(),
    is_premium: Type.Boolean(),
    plan_code: Nullable(Type.String()),
    current_period_end: Nullable(Timestamp),
  }),
  patient: Type.Optional(PatientInfo),
  doctor: Type.Optional(DoctorInfo),
});
export type MeT = Static<typeof Me>;

export const PatchMe = Type.Object(
  {
    first_name: Type.Optional(ShortText(100)),
    last_name: Type.Optional(ShortText(100)),
    phone: Type.Optional(Nullable(Phone)),
    language: Type.Optional(Language),
    timezone: Type.Optional(ShortText(64)),
    notification_preferences: Type.Optional(
      Type.Partial(NotificationPreferences, { additionalProperties: false, minProperties: 1 }),
    ),
    dose_schedule_template: Type.Optional(
      Type.Partial(DoseSchedule, { additionalProperties: false, minProperties: 1 }),
    ),
    // patients
    date_of_birth: Type.Optional(Nullable(Type.String({ format: 'date' }))),
    gender: Type.Optional(Nullable(Type.Union([Type.Literal('male'), Type.Literal('female'), Type.Literal('other')]))),
    medical_conditions: Type.Optional(Type.Array(ShortText(200), { maxItems: 50 })),
    allergies: Type.Optional(Type.Array(ShortText(200), { maxItems: 50 })),
    emergency_contact: Type.Optional(Nullable(EmergencyContact)),
    // doctors
    license_number: Type.Optional(Nullable(ShortText(64))),
    specialization: Type.Optional(Nullable(ShortText(200))),
    hospital_name: Type.Optional(Nullable(ShortText(200))),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type PatchMeT = Static<typeof PatchMe>;

export const SessionView = Type.Object({
  id: Uuid,
  current: Type.Boolean(),
  device_info: Type.Record(Type.String(), Type.String()),
  ip_address: Nullable(Type.String()),
  user_agent: Nullable(Type.String()),
  created_at: Timestamp,
  last_used_at: Nullable(Timestamp),
  expires_at: Timestamp,
});

export const DeleteMeBody = Type.Object(
  { password: Type.String({ minLength: 1, maxLength: 200 }), confirm: Type.Literal('DELETE') },
  { additionalProperties: false },
);
