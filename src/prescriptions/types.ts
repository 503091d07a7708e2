/** Prescriptions: HTTP shapes (TypeBox) and the rows behind them. */
import { Type, type Static } from '@sinclair/typebox';
import { Nullable, Timestamp, Uuid } from '../core/schemas.ts';
import { SafetyAlerts } from '../safety/types.ts';
import { ReminderDoseFields, ReminderPeriodFields } from '../reminders/types.ts';
import { MedicationInstructionFields, MedicationNameFields } from '../reminders/medication-types.ts';

export const PRESCRIPTION_STATUSES = [
  'pending',
  'processing',
  'ocr_completed',
  'completed',
  'error',
  'archived',
] as const;
export type PrescriptionStatus = (typeof PRESCRIPTION_STATUSES)[number];

const Dose = Type.Number({ minimum: 0, maximum: 100, multipleOf: 0.25 });
const ShortText = (max: number) => Type.String({ minLength: 1, maxLength: max });
const Score = Type.Number({ minimum: 0, maximum: 1 });

export const DosageSchedule = Type.Object(
  { morning: Dose, noon: Dose, evening: Dose, night: Dose },
  { additionalProperties: false },
);

/** A medication as the patient reviews it (from the reading, or typed by hand). */
export const DraftMedication = Type.Object(
  {
    name: ShortText(200),
    generic_name: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
    drug_id: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
    strength: Type.Optional(Nullable(Type.String({ maxLength: 50 }))),
    form: Type.Optional(Nullable(Type.String({ maxLength: 50 }))),
    quantity: Type.Optional(Nullable(Type.Number({ exclusiveMinimum: 0, maximum: 100_000 }))),
    quantity_unit: Type.Optional(Nullable(Type.String({ maxLength: 32 }))),
    dosage_schedule: DosageSchedule,
    duration_days: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 3650 }))),
    instructions: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
    take_after_meal: Type.Optional(Type.Boolean()),
    take_before_meal: Type.Optional(Type.Boolean()),
    confidence: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 1 }))),
    // as the reader gives it (src/reading/types.ts FieldConfidence): per field, or per dose slot
    field_confidence: Type.Optional(
      Type.Record(
        Type.String({ maxLength: 64 }),
        Type.Union([Score, Type.Record(Type.String({ maxLength: 64 }), Score, { maxProperties: 16 })]),
        { maxProperties: 16 },
      ),
    ),
  },
  { additionalProperties: false },
);
export type DraftMedicationT = Static<typeof DraftMedication>;

export const PatchPrescription = Type.Object(
  {
    ocr_corrected_text: Type.Optional(Nullable(Type.String({ maxLength: 20_000 }))),
    hospital_name: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
    prescription_number: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
    prescription_date: Type.Optional(Nullable(Type.String({ format: 'date' }))),
    patient_name_as_written: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
    patient_age_as_written: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 150 }))),
    patient_gender_as_written: Type.Optional(
      Nullable(Type.Union([Type.Literal('female'), Type.Literal('male'), Type.Literal('other')])),
    ),
    diagnosis: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 20 })),
    department: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
    prescribing_doctor_name: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
    pharmacy_name: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
    medications: Type.Optional(Type.Array(DraftMedication, { maxItems: 50 })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type PatchPrescriptionT = Static<typeof PatchPrescription>;

export const ReminderView = Type.Object({
  id: Uuid,
  medication_id: Uuid,
  ...ReminderDoseFields,
  ...ReminderPeriodFields,
  next_reminder_at: Nullable(Timestamp),
});
export type ReminderViewT = Static<typeof ReminderView>;

export const MedicationView = Type.Object({
  id: Uuid,
  sequence: Type.Integer(),
  ...MedicationNameFields,
  dosage_schedule: DosageSchedule,
  duration_days: Nullable(Type.Integer()),
  ...MedicationInstructionFields,
  confidence: Nullable(Type.Number()),
  is_active: Type.Boolean(),
});
export type MedicationViewT = Static<typeof MedicationView>;

export const PrescriptionSummary = Type.Object({
  id: Uuid,
  patient_id: Uuid,
  status: Type.String(),
  error_message: Nullable(Type.String()),
  hospital_name: Nullable(Type.String()),
  prescription_date: Nullable(Type.String()),
  prescribing_doctor_name: Nullable(Type.String()),
  medication_count: Type.Integer(),
  created_at: Timestamp,
  confirmed_at: Nullable(Timestamp),
});
export type PrescriptionSummaryT = Static<typeof PrescriptionSummary>;

export const PrescriptionDetail = Type.Object({
  ...PrescriptionSummary.properties,
  prescription_number: Nullable(Type.String()),
  patient_name_as_written: Nullable(Type.String()),
  patient_age_as_written: Nullable(Type.Integer()),
  patient_gender_as_written: Nullable(Type.String()),
  diagnosis: Type.Array(Type.String()),
  department: Nullable(Type.String()),
  pharmacy_name: Nullable(Type.String()),
  ocr_raw_text: Nullable(Type.String()),
  ocr_corrected_text: Nullable(Type.String()),
  ocr_confidence: Nullable(Type.Number()),
  detected_language: Nullable(Type.String()),
  processing_time_ms: Nullable(Type.Integer()),
  has_image: Type.Boolean(),
  /** The reading's draft (before confirmation) with per-field confidence. */
  draft_medications: Type.Array(DraftMedication),
  /** Written at confirmation. */
  medications: Type.Array(MedicationView),
  reminders: Type.Array(ReminderView),
  updated_at: Timestamp,
  safety_alerts: SafetyAlerts,
});
export type PrescriptionDetailT = Static<typeof PrescriptionDetail>;
