/** A patient's own medicines (added by hand, stopped, as-needed) and the dose history: HTTP shapes. */
import { Type, type Static } from '@sinclair/typebox';
import { Nullable, Timestamp, Uuid } from '../core/schemas.ts';
import { ReminderDoseFields } from './types.ts';

const HH_MM = Type.String({
  pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$',
  description: "HH:MM, the patient's local time",
});
const Dose = Type.Number({ exclusiveMinimum: 0, maximum: 100, multipleOf: 0.25 });
const SlotDose = Type.Number({ minimum: 0, maximum: 100, multipleOf: 0.25 });
const DateOnly = Type.String({ format: 'date' });

export const INTERVAL_HOURS = [1, 2, 3, 4, 6, 8, 12] as const;

export const ScheduleInput = Type.Union([
  Type.Object(
    {
      kind: Type.Literal('slots'),
      dosage_schedule: Type.Object(
        { morning: SlotDose, noon: SlotDose, evening: SlotDose, night: SlotDose },
        { additionalProperties: false },
      ),
    },
    {
      additionalProperties: false,
      description: "doses at the patient's morning, noon, evening and night times (her dose_schedule_template)",
    },
  ),
  Type.Object(
    {
      kind: Type.Literal('interval'),
      every_hours: Type.Union(
        INTERVAL_HOURS.map((h) => Type.Literal(h)),
        { description: 'hours between doses; divides 24, so the times repeat every day' },
      ),
      first_dose_time: HH_MM,
      dose_amount: Dose,
    },
    {
      additionalProperties: false,
      description: 'every N hours from first_dose_time: every 8 h from 06:00 → 06:00, 14:00, 22:00',
    },
  ),
  Type.Object(
    {
      kind: Type.Literal('as_needed'),
      dose_amount: Dose,
    },
    {
      additionalProperties: false,
      description:
        'PRN: no reminders; each intake logged with POST /medications/{id}/doses, counted apart in adherence',
    },
  ),
]);
export type ScheduleInputT = Static<typeof ScheduleInput>;

export const NewMedication = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    generic_name: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
    strength: Type.Optional(Nullable(Type.String({ maxLength: 50 }))),
    form: Type.Optional(Nullable(Type.String({ maxLength: 50 }))),
    quantity: Type.Optional(Nullable(Type.Number({ exclusiveMinimum: 0, maximum: 100_000 }))),
    quantity_unit: Type.Optional(Nullable(Type.String({ maxLength: 32 }))),
    dose_unit: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 32,
        description: 'tablet, capsule, ml …; default quantity_unit, form or "dose"',
      }),
    ),
    instructions: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
    take_after_meal: Type.Optional(Type.Boolean()),
    take_before_meal: Type.Optional(Type.Boolean()),
    start_date: Type.Optional(
      Type.String({ format: 'date', description: "first day (the patient's time zone); default today" }),
    ),
    duration_days: Type.Optional(
      Nullable(
        Type.Integer({ minimum: 1, maximum: 3650, description: 'default: quantity ÷ daily dose, else open-ended' }),
      ),
    ),
    schedule: ScheduleInput,
  },
  { additionalProperties: false },
);
export type NewMedicationT = Static<typeof NewMedication>;

/** What every view of a medicine says of it (one owner: here; the prescription's view reuses it). */
export const MedicationNameFields = {
  name: Type.String(),
  generic_name: Nullable(Type.String()),
  strength: Nullable(Type.String()),
  form: Nullable(Type.String()),
  quantity: Nullable(Type.Number()),
  quantity_unit: Nullable(Type.String()),
};

/** How a medicine is taken. */
export const MedicationInstructionFields = {
  instructions: Nullable(Type.String()),
  take_after_meal: Type.Boolean(),
  take_before_meal: Type.Boolean(),
};

export const OwnReminder = Type.Object({
  id: Uuid,
  ...ReminderDoseFields,
  start_date: Type.String(),
  end_date: Nullable(Type.String()),
  is_active: Type.Boolean(),
  next_reminder_at: Nullable(Timestamp),
});

export const OwnMedication = Type.Object({
  id: Uuid,
  patient_id: Uuid,
  prescription_id: Nullable(Uuid),
  source: Type.String({ description: 'prescription (confirmed from a photo) or manual (added by hand)' }),
  ...MedicationNameFields,
  ...MedicationInstructionFields,
  schedule_kind: Type.String({ description: 'slots, interval or as_needed' }),
  dosage_schedule: Type.Object({
    morning: Type.Number(),
    noon: Type.Number(),
    evening: Type.Number(),
    night: Type.Number(),
  }),
  interval_hours: Nullable(Type.Integer()),
  first_dose_time: Nullable(Type.String()),
  dose_amount: Nullable(Type.Number()),
  dose_unit: Nullable(Type.String()),
  duration_days: Nullable(Type.Integer()),
  is_active: Type.Boolean(),
  stopped_at: Nullable(Timestamp),
  stop_reason: Nullable(Type.String()),
  created_at: Timestamp,
  reminders: Type.Array(OwnReminder),
});
export type OwnMedicationT = Static<typeof OwnMedication>;

export const StopBody = Type.Object(
  { reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) },
  { additionalProperties: false },
);

export const PrnDoseBody = Type.Object(
  {
    taken_at: Type.Optional(Timestamp),
    dose_amount: Type.Optional(Dose),
    note: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
  },
  { additionalProperties: false },
);
export type PrnDoseBodyT = Static<typeof PrnDoseBody>;

export const PrnDose = Type.Object({
  id: Uuid,
  medication_id: Uuid,
  taken_at: Timestamp,
  dose_amount: Type.Number(),
  note: Nullable(Type.String()),
});
export type PrnDoseT = Static<typeof PrnDose>;

export const HistoryQuery = Type.Object(
  {
    from: Type.Optional(DateOnly),
    to: Type.Optional(DateOnly),
    medication_id: Type.Optional(Uuid),
    patient_id: Type.Optional(Uuid),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 })),
  },
  { additionalProperties: false },
);
export type HistoryQueryT = Static<typeof HistoryQuery>;

export const HistoryItem = Type.Object({
  kind: Type.String({ description: "scheduled (a reminder's dose) or as_needed (a PRN intake)" }),
  id: Uuid,
  medication_id: Uuid,
  prescription_id: Nullable(Uuid),
  name: Type.String(),
  strength: Nullable(Type.String()),
  reminder_id: Nullable(Uuid),
  /** the dose time (scheduled) or the intake time (as_needed) */
  at: Timestamp,
  status: Type.String({ description: 'pending, taken, skipped, snoozed or missed (as_needed: taken)' }),
  action_at: Nullable(Timestamp),
  snoozed_until: Nullable(Timestamp),
  reason: Nullable(Type.String()),
  dose_amount: Type.Number(),
  dose_unit: Type.String(),
});
export type HistoryItemT = Static<typeof HistoryItem>;
