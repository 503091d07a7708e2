/** SQL of clinical notes (owner of clinical_notes). */
import type { Tx } from '../db/database.ts';

export interface NoteRow {
  id: string;
  doctor_id: string | null;
  doctor_name: string | null;
  patient_id: string;
  prescription_id: string | null;
  note_type: string;
  title: string | null;
  content: string;
  is_private: boolean;
  follow_up_date: string | null;
  created_at: Date;
  updated_at: Date;
  total?: string;
}

const COLUMNS = `n.id, n.doctor_id, CASE WHEN d.first_name IS NULL THEN NULL ELSE d.first_name || ' ' || d.last_name END AS doctor_name,
  n.patient_id, n.prescription_id, n.note_type::text AS note_type, n.title, n.content, n.is_private,
  to_char(n.follow_up_date, 'YYYY-MM-DD') AS follow_up_date, n.created_at, n.updated_at`;

// Doctor names through app_party_name() (migration 016): only the display name of someone the
// reader has or had a relationship with, so a note keeps its author's name after the
// relationship ends (history), and nothing else of his row is readable.
const FROM = 'clinical_notes n LEFT JOIN LATERAL app_party_name(n.doctor_id) d ON true';

export async function note(tx: Pick<Tx, 'query'>, id: string): Promise<NoteRow | undefined> {
  return (await tx.query<NoteRow>(`SELECT ${COLUMNS} FROM ${FROM} WHERE n.id = $1`, [id])).rows[0];
}

export interface NewNote {
  doctorId: string;
  patientId: string;
  prescriptionId: string | null;
  noteType: string;
  title: string | null;
  content: string;
  isPrivate: boolean;
  followUpDate: string | null;
}

export async function insertNote(tx: Pick<Tx, 'query'>, n: NewNote): Promise<string> {
  const ins = await tx.query<{ id: string }>(
    `INSERT INTO clinical_notes (doctor_id, patient_id, prescription_id, note_type, title, content, is_private, follow_up_date)
     VALUES ($1, $2, $3, $4::clinical_note_type, $5, $6, $7, $8) RETURNING id`,
    [n.doctorId, n.patientId, n.prescriptionId, n.noteType, n.title, n.content, n.isPrivate, n.followUpDate],
  );
  const id = ins.rows[0]?.id;
  if (id === undefined) throw new Error('insert returned no row');
  return id;
}

/** Notes visible to the caller (RLS), newest first, with the total. */
export async function listNotes(
  tx: Pick<Tx, 'query'>,
  f: { patientId: string | null; prescriptionId: string | null; limit: number; offset: number },
): Promise<NoteRow[]> {
  const res = await tx.query<NoteRow>(
    `SELECT ${COLUMNS}, count(*) OVER () AS total FROM ${FROM}
      WHERE ($1::uuid IS NULL OR n.patient_id = $1) AND ($2::uuid IS NULL OR n.prescription_id = $2)
      ORDER BY n.created_at DESC, n.id LIMIT $3 OFFSET $4`,
    [f.patientId, f.prescriptionId, f.limit, f.offset],
  );
  return res.rows;
}

/** A null field keeps its value; title and follow-up date change when their `set…` flag is true (null clears them). */
export async function updateNote(
  tx: Pick<Tx, 'query'>,
  id: string,
  u: {
    noteType: string | null;
    setTitle: boolean;
    title: string | null;
    content: string | null;
    isPrivate: boolean | null;
    setFollowUp: boolean;
    followUpDate: string | null;
  },
): Promise<void> {
  await tx.query(
    `UPDATE clinical_notes SET note_type = coalesce($2::clinical_note_type, note_type),
            title = CASE WHEN $3::boolean THEN $4 ELSE title END, content = coalesce($5, content),
            is_private = coalesce($6, is_private), follow_up_date = CASE WHEN $7::boolean THEN $8::date ELSE follow_up_date END
      WHERE id = $1`,
    [id, u.noteType, u.setTitle, u.title, u.content, u.isPrivate, u.setFollowUp, u.followUpDate],
  );
}

export async function deleteNote(tx: Pick<Tx, 'query'>, id: string, doctorId: string): Promise<number> {
  return (await tx.query('DELETE FROM clinical_notes WHERE id = $1 AND doctor_id = $2', [id, doctorId])).rowCount ?? 0;
}
