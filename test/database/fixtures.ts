/** Shared ids of the development data and small builders for database tests (owner connection, bypasses RLS). */
import { createHash, randomUUID } from 'node:crypto';
import type pg from 'pg';

export const seed = {
  admin: '10000000-0000-4000-8000-000000000001',
  vannak: '20000000-0000-4000-8000-000000000001',
  sophea: '20000000-0000-4000-8000-000000000002',
  rithy: '20000000-0000-4000-8000-000000000003',
  dara: '30000000-0000-4000-8000-000000000001',
  sreymom: '30000000-0000-4000-8000-000000000002',
  bopha: '30000000-0000-4000-8000-000000000003',
  sovann: '30000000-0000-4000-8000-000000000004',
  mao: '30000000-0000-4000-8000-000000000005',
  plans: {
    free: '00000000-0000-4000-8000-000000000001',
    premiumMonthly: '00000000-0000-4000-8000-000000000002',
    premiumYearly: '00000000-0000-4000-8000-000000000003',
  },
} as const;

export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

const HASH = '$2b$12$adfdm/VnCi9FuqMCuAVG4eoSKYduZe/B38.kAF2WPP27nP0oyBvJC';

export async function createUser(
  db: Queryable,
  options: { role?: 'patient' | 'doctor' | 'admin'; email?: string; timezone?: string } = {},
): Promise<string> {
  const id = randomUUID();
  await db.query(
    `INSERT INTO users (id, email, password_hash, role, first_name, last_name, timezone)
     VALUES ($1, $2, $3, $4, 'Test', 'User', $5)`,
    [
      id,
      options.email ?? `u-${id}@example.com`,
      HASH,
      options.role ?? 'patient',
      options.timezone ?? 'Asia/Phnom_Penh',
    ],
  );
  return id;
}

export async function createPrescription(
  db: Queryable,
  patientId: string,
  options: { status?: string; ageDays?: number; deleted?: boolean } = {},
): Promise<string> {
  const res = await db.query<{ id: string }>(
    `INSERT INTO prescriptions (patient_id, uploaded_by, status, error_message, archived_at, created_at, deleted_at, pharmacy_name)
     VALUES ($1, $1, $2::prescription_status, CASE WHEN $2 = 'error' THEN 'unreadable' END,
             CASE WHEN $2 = 'archived' THEN now() END, now() - make_interval(days => $3::int),
             CASE WHEN $4::boolean THEN now() END, 'Test Pharmacy')
     RETURNING id`,
    [patientId, options.status ?? 'completed', options.ageDays ?? 0, options.deleted ?? false],
  );
  return res.rows[0]!.id;
}

export async function createMedication(
  db: Queryable,
  prescriptionId: string,
  patientId: string,
  options: { name?: string; active?: boolean; sequence?: number } = {},
): Promise<string> {
  const res = await db.query<{ id: string }>(
    `INSERT INTO medications (prescription_id, patient_id, sequence, name, strength, dose_morning, is_active)
     VALUES ($1, $2, $3, $4, '500mg', 1, $5) RETURNING id`,
    [prescriptionId, patientId, options.sequence ?? 1, options.name ?? 'Paracetamol', options.active ?? true],
  );
  return res.rows[0]!.id;
}

export interface ReminderOptions {
  time?: string;
  days?: number[];
  /** start/end as SQL date expressions, e.g. "CURRENT_DATE - 1" (evaluated in the reminder's zone). */
  startOffset?: number;
  endOffset?: number | null;
  timezone?: string;
  active?: boolean;
}

/** A reminder whose start/end are offsets in days from today in its own time zone. */
export async function createReminder(
  db: Queryable,
  medicationId: string,
  patientId: string,
  o: ReminderOptions = {},
): Promise<string> {
  const tz = o.timezone ?? 'Asia/Phnom_Penh';
  const res = await db.query<{ id: string }>(
    `INSERT INTO medication_reminders (medication_id, patient_id, slot, reminder_time, dose_amount, days_of_week,
                                       start_date, end_date, timezone, is_active)
     VALUES ($1, $2, 'morning', $3::time, 1, $4::smallint[],
             (now() AT TIME ZONE $5)::date + $6::int,
             CASE WHEN $7::int IS NULL THEN NULL ELSE (now() AT TIME ZONE $5)::date + $7::int END, $5, $8)
     RETURNING id`,
    [
      medicationId,
      patientId,
      o.time ?? '07:00',
      o.days ?? [1, 2, 3, 4, 5, 6, 7],
      tz,
      o.startOffset ?? 0,
      o.endOffset ?? null,
      o.active ?? true,
    ],
  );
  return res.rows[0]!.id;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
