/** Reminders, dose logs and adherence: HTTP shapes (TypeBox). */
import { Type, type Static } from '@sinclair/typebox';
import { Nullable, Timestamp, Uuid } from '../core/schemas.ts';

export const LogBody = Type.Object(
  {
    status: Type.Union([Type.Literal('taken'), Type.Literal('skipped'), Type.Literal('snoozed')]),
    /** Which dose (its scheduled time); default: the dose now due. */
    scheduled_for: Type.Optional(Timestamp),
    /** When it was taken or skipped; default now. */
    at: Type.Optional(Timestamp),
    /** Why it was skipped (only with status skipped). */
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
    /** End of the snooze (only with status snoozed); default: the dose time plus whole snooze periods, the first after now. */
    snoozed_until: Type.Optional(Timestamp),
  },
  { additionalProperties: false },
);
export type LogBodyT = Static<typeof LogBody>;

export const DoseLogView = Type.Object({
  id: Uuid,
  reminder_id: Uuid,
  scheduled_for: Timestamp,
  status: Type.String({ description: 'pending, taken, skipped, snoozed or missed' }),
  action_at: Nullable(Timestamp),
  snoozed_until: Nullable(Timestamp),
  reason: Nullable(Type.String()),
});
export type DoseLogViewT = Static<typeof DoseLogView>;

export const TodayDose = Type.Object({
  reminder_id: Uuid,
  medication_id: Uuid,
  /** null for a medicine added by hand */
  prescription_id: Nullable(Uuid),
  name: Type.String(),
  strength: Nullable(Type.String()),
  slot: Type.String(),
  time: Type.String(),
  scheduled_for: Timestamp,
  dose_amount: Type.Number(),
  dose_unit: Type.String(),
  take_after_meal: Type.Boolean(),
  take_before_meal: Type.Boolean(),
  status: Type.String({ description: 'upcoming, pending, taken, skipped, snoozed or missed' }),
  log_id: Nullable(Uuid),
  before_start: Type.Boolean({
    description:
      "true for a dose of the medicine's first day whose time had passed when it was added (confirmed at 15:00: that morning's dose): " +
      'not due, never marked missed, not counted in adherence; it can still be recorded if she took it',
  }),
});
export type TodayDoseT = Static<typeof TodayDose>;

export const ReminderPatch = Type.Object(
  {
    reminder_time: Type.Optional(Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' })),
    days_of_week: Type.Optional(
      Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), { minItems: 1, maxItems: 7, uniqueItems: true }),
    ),
    is_active: Type.Optional(Type.Boolean()),
    advance_minutes: Type.Optional(Type.Integer({ minimum: 0, maximum: 240 })),
    snooze_minutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 240 })),
    end_date: Type.Optional(Nullable(Type.String({ format: 'date' }))),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type ReminderPatchT = Static<typeof ReminderPatch>;

/** What every view of a reminder says of its dose (one owner: here; prescriptions and medications reuse it). */
export const ReminderDoseFields = {
  slot: Type.String(),
  reminder_time: Type.String(),
  dose_amount: Type.Number(),
  dose_unit: Type.String(),
};

/** When a reminder rings: its days, period, zone and whether it is on. */
export const ReminderPeriodFields = {
  days_of_week: Type.Array(Type.Integer()),
  start_date: Type.String(),
  end_date: Nullable(Type.String()),
  timezone: Type.String(),
  is_active: Type.Boolean(),
};

export const ReminderItem = Type.Object({
  id: Uuid,
  patient_id: Uuid,
  medication_id: Uuid,
  name: Type.String(),
  strength: Nullable(Type.String()),
  ...ReminderDoseFields,
  ...ReminderPeriodFields,
  advance_minutes: Type.Integer(),
  snooze_minutes: Type.Integer(),
  next_reminder_at: Nullable(Timestamp),
  taken_count: Type.Integer(),
  missed_count: Type.Integer(),
  skipped_count: Type.Integer(),
  adherence_rate: Nullable(Type.Number()),
});
export type ReminderItemT = Static<typeof ReminderItem>;

const Counts = {
  taken: Type.Integer(),
  missed: Type.Integer(),
  skipped: Type.Integer(),
  pending: Type.Integer(),
  /** taken ÷ (taken + missed + skipped) × 100; null when nothing is due yet. */
  rate: Nullable(Type.Number()),
};

export const AdherenceReport = Type.Object({
  patient_id: Uuid,
  days: Type.Integer(),
  from: Type.String(),
  to: Type.String(),
  overall: Type.Object(Counts),
  per_medication: Type.Array(
    Type.Object({
      medication_id: Uuid,
      prescription_id: Nullable(Uuid),
      name: Type.String(),
      strength: Nullable(Type.String()),
      ...Counts,
    }),
  ),
  /** prescription_id null: the medicines added by hand */
  per_prescription: Type.Array(Type.Object({ prescription_id: Nullable(Uuid), ...Counts })),
  per_day: Type.Array(Type.Object({ date: Type.String(), ...Counts })),
  refill_alerts: Type.Array(
    Type.Object({ medication_id: Uuid, name: Type.String(), remaining_doses: Type.Number(), days_left: Type.Number() }),
  ),
  /** As-needed (PRN) medicines: intakes over the same days, not part of the rates above. */
  as_needed: Type.Array(
    Type.Object({
      medication_id: Uuid,
      name: Type.String(),
      strength: Nullable(Type.String()),
      doses: Type.Integer(),
      amount: Type.Number(),
    }),
  ),
});
export type AdherenceReportT = Static<typeof AdherenceReport>;
export const AdherenceQuery = Type.Object(
  { days: Type.Optional(Type.Union([Type.Literal(7), Type.Literal(30)])), patient_id: Type.Optional(Uuid) },
  { additionalProperties: false },
);
