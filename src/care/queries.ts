/** SQL of invitations, relationships and a doctor's view of a patient. RLS decides what is visible. */
import type { Tx } from '../db/database.ts';
import { HOME_TIMEZONE } from '../core/constants.ts';
import { insertNotification, type NewNotification } from '../notifications/service.ts';
import type { NotificationKey } from '../i18n/index.ts';

export interface InvitationRow {
  id: string;
  invitation_code: string;
  initiated_by: string;
  status: string;
  invitation_expires_at: Date;
  can_view_prescriptions: boolean;
  can_add_notes: boolean;
  can_modify_reminders: boolean;
}

const INVITATION_COLUMNS =
  'id, invitation_code, initiated_by::text AS initiated_by, status::text AS status, invitation_expires_at, can_view_prescriptions, can_add_notes, can_modify_reminders';

export async function insertInvitation(
  tx: Tx,
  i: {
    doctorId: string | null;
    patientId: string | null;
    initiatedBy: 'doctor' | 'patient';
    code: string;
    expiresAt: Date;
    perms: { v: boolean; n: boolean; r: boolean };
  },
): Promise<InvitationRow> {
  const res = await tx.query<InvitationRow>(
    `INSERT INTO doctor_patient_relationships (doctor_id, patient_id, status, initiated_by, invitation_code, invitation_expires_at,
                                               can_view_prescriptions, can_add_notes, can_modify_reminders)
     VALUES ($1, $2, 'pending', $3, $4, $5, $6, $7, $8) RETURNING ${INVITATION_COLUMNS}`,
    [i.doctorId, i.patientId, i.initiatedBy, i.code, i.expiresAt, i.perms.v, i.perms.n, i.perms.r],
  );
  const row = res.rows[0];
  if (row === undefined) throw new Error('insert returned no row');
  return row;
}

export interface PreviewRow {
  id: string;
  initiated_by: string;
  invitation_expires_at: Date | null;
  is_expired: boolean;
  can_view_prescriptions: boolean;
  can_add_notes: boolean;
  can_modify_reminders: boolean;
  inviter_id: string;
  inviter_first_name: string;
  inviter_last_name: string;
  inviter_role: string;
  inviter_specialization: string | null;
  inviter_hospital_name: string | null;
  /** a doctor inviter's licence verified by an admin; null for a patient inviter */
  inviter_verified: boolean | null;
}

export async function findInvitation(tx: Tx, code: string): Promise<PreviewRow | undefined> {
  const res = await tx.query<PreviewRow>(
    `SELECT id, initiated_by::text AS initiated_by, invitation_expires_at, is_expired, can_view_prescriptions, can_add_notes, can_modify_reminders,
            inviter_id, inviter_first_name, inviter_last_name, inviter_role::text AS inviter_role, inviter_specialization, inviter_hospital_name, inviter_verified
       FROM app_find_invitation($1)`,
    [code],
  );
  return res.rows[0];
}

export async function acceptInvitation(
  tx: Tx,
  code: string,
  p: { v?: boolean; n?: boolean; r?: boolean },
): Promise<string> {
  const res = await tx.query<{ id: string }>('SELECT id FROM app_accept_invitation($1, $2, $3, $4)', [
    code,
    p.v ?? null,
    p.n ?? null,
    p.r ?? null,
  ]);
  const row = res.rows[0];
  if (row === undefined) throw new Error('app_accept_invitation returned no row');
  return row.id;
}

export async function declineInvitation(tx: Tx, code: string): Promise<string> {
  const res = await tx.query<{ id: string }>('SELECT app_decline_invitation($1) AS id', [code]);
  const row = res.rows[0];
  if (row === undefined) throw new Error('app_decline_invitation returned no row');
  return row.id;
}

export interface RelationshipRow {
  id: string;
  doctor_id: string | null;
  patient_id: string | null;
  status: string;
  initiated_by: string;
  invitation_expires_at: Date | null;
  accepted_at: Date | null;
  ended_at: Date | null;
  end_reason: string | null;
  can_view_prescriptions: boolean;
  can_add_notes: boolean;
  can_modify_reminders: boolean;
  created_at: Date;
  doctor_first_name: string | null;
  doctor_last_name: string | null;
  doctor_specialization: string | null;
  doctor_hospital_name: string | null;
  patient_first_name: string | null;
  patient_last_name: string | null;
}

const REL_COLUMNS = `id, doctor_id, patient_id, status::text AS status, initiated_by::text AS initiated_by, invitation_expires_at, accepted_at,
  ended_at, end_reason, can_view_prescriptions, can_add_notes, can_modify_reminders, created_at,
  doctor_first_name, doctor_last_name, doctor_specialization, doctor_hospital_name, patient_first_name, patient_last_name`;

export async function relationships(tx: Tx, userId: string, status: string | null): Promise<RelationshipRow[]> {
  const res = await tx.query<RelationshipRow>(
    `SELECT ${REL_COLUMNS} FROM v_care_relationships
      WHERE (doctor_id = $1 OR patient_id = $1) AND ($2::relationship_status IS NULL OR status = $2::relationship_status)
      ORDER BY created_at DESC LIMIT 500`,
    [userId, status],
  );
  return res.rows;
}

export async function relationship(tx: Tx, id: string): Promise<RelationshipRow | undefined> {
  const res = await tx.query<RelationshipRow>(`SELECT ${REL_COLUMNS} FROM v_care_relationships WHERE id = $1`, [id]);
  return res.rows[0];
}

export async function updatePermissions(
  tx: Tx,
  id: string,
  patientId: string,
  p: { v?: boolean; n?: boolean; r?: boolean },
): Promise<number> {
  const res = await tx.query(
    `UPDATE doctor_patient_relationships
        SET can_view_prescriptions = coalesce($3, can_view_prescriptions), can_add_notes = coalesce($4, can_add_notes),
            can_modify_reminders = coalesce($5, can_modify_reminders)
      WHERE id = $1 AND patient_id = $2 AND status IN ('pending', 'active')`,
    [id, patientId, p.v ?? null, p.n ?? null, p.r ?? null],
  );
  return res.rowCount ?? 0;
}

export async function endRelationship(
  tx: Tx,
  id: string,
  status: 'inactive' | 'blocked',
  reason: string,
): Promise<number> {
  const res = await tx.query(
    `UPDATE doctor_patient_relationships SET status = $2::relationship_status, end_reason = $3
      WHERE id = $1 AND status IN ('pending', 'active')`,
    [id, status, reason],
  );
  return res.rowCount ?? 0;
}

export async function cancelInvitation(tx: Tx, id: string): Promise<number> {
  const res = await tx.query(`DELETE FROM doctor_patient_relationships WHERE id = $1 AND status = 'pending'`, [id]);
  return res.rowCount ?? 0;
}

export interface CarePatientRow {
  relationship_id: string;
  patient_id: string;
  first_name: string | null;
  last_name: string | null;
  can_view_prescriptions: boolean;
  can_add_notes: boolean;
  can_modify_reminders: boolean;
  accepted_at: Date | null;
  total_doses: number | null;
  taken: number | null;
  missed: number | null;
  skipped: number | null;
  /** The last 7 and 30 calendar days in her time zone, today included ({taken, missed, skipped}); null without can_view_prescriptions. */
  last_7_days: PeriodCounts | null;
  last_30_days: PeriodCounts | null;
}

export interface PeriodCounts {
  taken: number;
  missed: number;
  skipped: number;
}

/** Dose-log counts of one patient over her last N calendar days (as GET /adherence counts them). */
const periodCounts = (days: number) => `(
  SELECT json_build_object('taken', count(*) FILTER (WHERE l.status = 'taken'), 'missed', count(*) FILTER (WHERE l.status = 'missed'),
                           'skipped', count(*) FILTER (WHERE l.status = 'skipped'))
    FROM medication_reminder_logs l JOIN medication_reminders mr ON mr.id = l.reminder_id JOIN medications m ON m.id = mr.medication_id
   WHERE l.patient_id = r.patient_id
     AND (l.scheduled_for AT TIME ZONE tz.zone)::date BETWEEN (now() AT TIME ZONE tz.zone)::date - ${days - 1} AND (now() AT TIME ZONE tz.zone)::date
     AND (m.prescription_id IS NULL OR EXISTS (SELECT 1 FROM prescriptions dp WHERE dp.id = m.prescription_id AND dp.deleted_at IS NULL)))`;

/** A doctor's active patients with an adherence summary (only where prescriptions are shared: RLS). */
export async function carePatients(
  tx: Tx,
  doctorId: string,
  limit: number,
  offset: number,
): Promise<{ rows: CarePatientRow[]; total: number }> {
  const res = await tx.query<CarePatientRow & { total: string }>(
    `SELECT r.id AS relationship_id, r.patient_id, r.patient_first_name AS first_name, r.patient_last_name AS last_name,
            r.can_view_prescriptions, r.can_add_notes, r.can_modify_reminders, r.accepted_at,
            a.total_doses, a.taken, a.missed, a.skipped, count(*) OVER () AS total,
            CASE WHEN r.can_view_prescriptions THEN ${periodCounts(7)} END AS last_7_days,
            CASE WHEN r.can_view_prescriptions THEN ${periodCounts(30)} END AS last_30_days
       FROM v_care_relationships r
       LEFT JOIN LATERAL (
         SELECT sum(total_doses)::int AS total_doses, sum(taken_count)::int AS taken, sum(missed_count)::int AS missed, sum(skipped_count)::int AS skipped
           FROM v_medication_adherence m WHERE m.patient_id = r.patient_id AND r.can_view_prescriptions
       ) a ON true
       CROSS JOIN LATERAL (SELECT coalesce((SELECT u.timezone FROM users u WHERE u.id = r.patient_id), $4::text) AS zone) tz
      WHERE r.doctor_id = $1 AND r.status = 'active'
      ORDER BY lower(r.patient_last_name), lower(r.patient_first_name), r.id
      LIMIT $2 OFFSET $3`,
    [doctorId, limit, offset, HOME_TIMEZONE],
  );
  return { rows: res.rows, total: Number(res.rows[0]?.total ?? 0) };
}

export async function doctorCan(
  tx: Tx,
  patientId: string,
  permission: 'view_prescriptions' | 'add_notes' | 'modify_reminders' | 'any',
): Promise<boolean> {
  const res = await tx.query<{ ok: boolean }>('SELECT app_doctor_can($1, $2) AS ok', [patientId, permission]);
  return res.rows[0]?.ok === true;
}

export interface PrescriptionRow {
  id: string;
  patient_id: string;
  status: string;
  hospital_name: string | null;
  prescription_number: string | null;
  prescription_date: string | null;
  prescribing_doctor_name: string | null;
  diagnosis: string[];
  created_at: Date;
  confirmed_at: Date | null;
  medications: {
    id: string;
    sequence: number | null;
    name: string;
    generic_name: string | null;
    strength: string | null;
    form: string | null;
    dosage_schedule: { morning: number; noon: number; evening: number; night: number };
    duration_days: number | null;
    instructions: string | null;
    take_after_meal: boolean;
    take_before_meal: boolean;
    is_active: boolean;
  }[];
}

/** A patient's prescriptions with their medications, newest first (RLS: the doctor's permission). */
export async function patientPrescriptions(
  tx: Tx,
  patientId: string,
  limit: number,
  offset: number,
): Promise<{ rows: PrescriptionRow[]; total: number }> {
  const res = await tx.query<PrescriptionRow & { total: string }>(
    `SELECT p.id, p.patient_id, p.status::text AS status, p.hospital_name, p.prescription_number, to_char(p.prescription_date, 'YYYY-MM-DD') AS prescription_date,
            p.prescribing_doctor_name, p.diagnosis, p.created_at, p.confirmed_at, count(*) OVER () AS total,
            coalesce((SELECT json_agg(json_build_object(
                'id', m.id, 'sequence', m.sequence, 'name', m.name, 'generic_name', m.generic_name, 'strength', m.strength, 'form', m.form,
                'dosage_schedule', json_build_object('morning', m.dose_morning, 'noon', m.dose_noon, 'evening', m.dose_evening, 'night', m.dose_night),
                'duration_days', m.duration_days, 'instructions', m.instructions, 'take_after_meal', m.take_after_meal,
                'take_before_meal', m.take_before_meal, 'is_active', m.is_active) ORDER BY m.sequence)
              FROM medications m WHERE m.prescription_id = p.id), '[]') AS medications
       FROM prescriptions p
      WHERE p.patient_id = $1 AND p.deleted_at IS NULL
      ORDER BY p.created_at DESC, p.id
      LIMIT $2 OFFSET $3`,
    [patientId, limit, offset],
  );
  return { rows: res.rows, total: Number(res.rows[0]?.total ?? 0) };
}

/** An in-app notification whose text is the catalogue's notification.<key> (src/i18n), in the reader's language. */
export async function notify(
  tx: Tx,
  userId: string,
  type: NewNotification['type'],
  key: NotificationKey,
  data: Record<string, string>,
): Promise<void> {
  await insertNotification(tx, { userId, type, key, data });
}
