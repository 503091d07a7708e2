/** Clinical notes: SQL and rules. A doctor writes on a patient who granted can_add_notes; private notes stay the author's. */
import type { FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { Tx } from '../db/database.ts';
import type { Services } from '../http/services.ts';
import { Nullable, Timestamp, Uuid } from '../http/schemas.ts';
import { ApiError, notFound } from '../http/errors.ts';
import { actorOf } from '../http/auth.ts';
import { recordReads } from '../audit/service.ts';
import { clientInfo, recordEvent } from '../analytics/service.ts';
import { doctorCan, notify } from './queries.ts';

const NoteType = Type.Union([Type.Literal('observation'), Type.Literal('recommendation'), Type.Literal('follow_up')]);
export const CreateNoteBody = Type.Object(
  {
    patient_id: Uuid,
    prescription_id: Type.Optional(Uuid),
    note_type: Type.Optional(NoteType),
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    content: Type.String({ minLength: 1, maxLength: 20000 }),
    is_private: Type.Optional(Type.Boolean()),
    follow_up_date: Type.Optional(Type.String({ format: 'date' })),
  },
  { additionalProperties: false },
);
export const UpdateNoteBody = Type.Object(
  {
    note_type: Type.Optional(NoteType),
    title: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 200 }))),
    content: Type.Optional(Type.String({ minLength: 1, maxLength: 20000 })),
    is_private: Type.Optional(Type.Boolean()),
    follow_up_date: Type.Optional(Nullable(Type.String({ format: 'date' }))),
  },
  { additionalProperties: false, minProperties: 1 },
);
export const NotesQuery = Type.Object(
  {
    patient_id: Type.Optional(Uuid),
    prescription_id: Type.Optional(Uuid),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 })),
  },
  { additionalProperties: false },
);
export const Note = Type.Object({
  id: Uuid,
  doctor_id: Nullable(Uuid),
  doctor_name: Nullable(Type.String()),
  patient_id: Uuid,
  prescription_id: Nullable(Uuid),
  note_type: Type.String(),
  title: Nullable(Type.String()),
  content: Type.String(),
  is_private: Type.Boolean(),
  follow_up_date: Nullable(Type.String()),
  created_at: Timestamp,
  updated_at: Timestamp,
});
type NoteT = Static<typeof Note>;

interface NoteRow {
  id: string; doctor_id: string | null; doctor_name: string | null; patient_id: string; prescription_id: string | null; note_type: string;
  title: string | null; content: string; is_private: boolean; follow_up_date: string | null; created_at: Date; updated_at: Date; total?: string;
}

const COLUMNS = `n.id, n.doctor_id, CASE WHEN d.first_name IS NULL THEN NULL ELSE d.first_name || ' ' || d.last_name END AS doctor_name,
  n.patient_id, n.prescription_id, n.note_type::text AS note_type, n.title, n.content, n.is_private,
  to_char(n.follow_up_date, 'YYYY-MM-DD') AS follow_up_date, n.created_at, n.updated_at`;

// Doctor names through app_party_name() (migration 016): only the display name of someone the
// reader has or had a relationship with, so a note keeps its author's name after the
// relationship ends (history), and nothing else of his row is readable.
const FROM = 'clinical_notes n LEFT JOIN LATERAL app_party_name(n.doctor_id) d ON true';

const toNote = (r: NoteRow): NoteT => ({
  id: r.id, doctor_id: r.doctor_id, doctor_name: r.doctor_name, patient_id: r.patient_id, prescription_id: r.prescription_id, note_type: r.note_type,
  title: r.title, content: r.content, is_private: r.is_private, follow_up_date: r.follow_up_date, created_at: r.created_at.toISOString(), updated_at: r.updated_at.toISOString(),
});

async function one(tx: Tx, id: string): Promise<NoteRow | undefined> {
  return (await tx.query<NoteRow>(`SELECT ${COLUMNS} FROM ${FROM} WHERE n.id = $1`, [id])).rows[0];
}

export class NoteService {
  constructor(private readonly s: Services) {}

  async create(request: FastifyRequest, b: Static<typeof CreateNoteBody>): Promise<NoteT> {
    const actor = actorOf(request);
    const row = await this.s.run(request, async (tx) => {
      // Unknown patient, no relationship, or no can_add_notes: the same 404.
      if (!(await doctorCan(tx, b.patient_id, 'add_notes'))) throw notFound('patient');
      if (b.prescription_id !== undefined) {
        const p = await tx.query('SELECT 1 FROM prescriptions WHERE id = $1 AND patient_id = $2', [b.prescription_id, b.patient_id]);
        if (p.rowCount === 0) throw notFound('prescription');
      }
      const ins = await tx.query<{ id: string }>(
        `INSERT INTO clinical_notes (doctor_id, patient_id, prescription_id, note_type, title, content, is_private, follow_up_date)
         VALUES ($1, $2, $3, $4::clinical_note_type, $5, $6, $7, $8) RETURNING id`,
        [actor.userId, b.patient_id, b.prescription_id ?? null, b.note_type ?? 'observation', b.title?.trim() ?? null, b.content, b.is_private ?? false, b.follow_up_date ?? null],
      );
      const id = ins.rows[0]?.id;
      if (id === undefined) throw new Error('insert returned no row');
      // The notification says that a note exists, never what it says.
      if (!(b.is_private ?? false)) await notify(tx, b.patient_id, 'message', 'note_added', { clinical_note_id: id });
      await recordEvent(tx, actor.userId, 'clinical_note_created', clientInfo(request), { type: b.note_type ?? 'observation' });
      return one(tx, id);
    });
    if (row === undefined) throw notFound('note');
    return toNote(row);
  }

  async list(request: FastifyRequest, f: Static<typeof NotesQuery>) {
    const limit = f.limit ?? 20;
    const offset = f.offset ?? 0;
    const rows = await this.s.run(request, async (tx) => {
      const res = await tx.query<NoteRow>(
        `SELECT ${COLUMNS}, count(*) OVER () AS total FROM ${FROM}
          WHERE ($1::uuid IS NULL OR n.patient_id = $1) AND ($2::uuid IS NULL OR n.prescription_id = $2)
          ORDER BY n.created_at DESC, n.id LIMIT $3 OFFSET $4`,
        [f.patient_id ?? null, f.prescription_id ?? null, limit, offset],
      );
      await recordReads(tx, request, 'clinical_notes', res.rows);
      return res.rows;
    });
    return { items: rows.map(toNote), total: Number(rows[0]?.total ?? 0), limit, offset };
  }

  async get(request: FastifyRequest, id: string): Promise<NoteT> {
    const row = await this.s.run(request, async (tx) => {
      const r = await one(tx, id);
      if (r !== undefined) await recordReads(tx, request, 'clinical_notes', [r]);
      return r;
    });
    if (row === undefined) throw notFound('note');
    return toNote(row);
  }

  async update(request: FastifyRequest, id: string, b: Static<typeof UpdateNoteBody>): Promise<NoteT> {
    const actor = actorOf(request);
    const row = await this.s.run(request, async (tx) => {
      const current = await one(tx, id);
      if (current === undefined) throw notFound('note');
      if (current.doctor_id !== actor.userId) throw notFound('note');
      if (!(await doctorCan(tx, current.patient_id, 'add_notes'))) throw new ApiError(403, 'relationship_not_active', 'you can no longer change notes on this patient');
      await tx.query(
        `UPDATE clinical_notes SET note_type = coalesce($2::clinical_note_type, note_type),
                title = CASE WHEN $3::boolean THEN $4 ELSE title END, content = coalesce($5, content),
                is_private = coalesce($6, is_private), follow_up_date = CASE WHEN $7::boolean THEN $8::date ELSE follow_up_date END
          WHERE id = $1`,
        [id, b.note_type ?? null, b.title !== undefined, b.title ?? null, b.content ?? null, b.is_private ?? null, b.follow_up_date !== undefined, b.follow_up_date ?? null],
      );
      return one(tx, id);
    });
    if (row === undefined) throw notFound('note');
    return toNote(row);
  }

  async remove(request: FastifyRequest, id: string): Promise<void> {
    const actor = actorOf(request);
    const n = await this.s.run(request, async (tx) => (await tx.query('DELETE FROM clinical_notes WHERE id = $1 AND doctor_id = $2', [id, actor.userId])).rowCount ?? 0);
    if (n === 0) throw notFound('note');
  }
}
