/** Clinical notes: rules (SQL in notes-queries.ts). A doctor writes on a patient who granted can_add_notes; private notes stay the author's. */
import type { RequestContext } from '../core/context.ts';
import { Type, type Static } from '@sinclair/typebox';
import { Nullable, Timestamp, Uuid } from '../core/schemas.ts';
import { ApiError, notFound } from '../core/errors.ts';
import { recordReads } from '../audit/service.ts';
import { recordEvent } from '../analytics/service.ts';
import { doctorCan, notify } from './queries.ts';
import { isPrescriptionOf } from '../prescriptions/queries.ts';
import * as nq from './notes-queries.ts';

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

const toNote = (r: nq.NoteRow): NoteT => ({
  id: r.id,
  doctor_id: r.doctor_id,
  doctor_name: r.doctor_name,
  patient_id: r.patient_id,
  prescription_id: r.prescription_id,
  note_type: r.note_type,
  title: r.title,
  content: r.content,
  is_private: r.is_private,
  follow_up_date: r.follow_up_date,
  created_at: r.created_at.toISOString(),
  updated_at: r.updated_at.toISOString(),
});

export class NoteService {
  async create(ctx: RequestContext, b: Static<typeof CreateNoteBody>): Promise<NoteT> {
    const actor = ctx;
    const row = await ctx.run(async (tx) => {
      // Unknown patient, no relationship, or no can_add_notes: the same 404.
      if (!(await doctorCan(tx, b.patient_id, 'add_notes'))) throw notFound('patient');
      if (b.prescription_id !== undefined) {
        if (!(await isPrescriptionOf(tx, b.prescription_id, b.patient_id))) throw notFound('prescription');
      }
      const id = await nq.insertNote(tx, {
        doctorId: actor.userId,
        patientId: b.patient_id,
        prescriptionId: b.prescription_id ?? null,
        noteType: b.note_type ?? 'observation',
        title: b.title?.trim() ?? null,
        content: b.content,
        isPrivate: b.is_private ?? false,
        followUpDate: b.follow_up_date ?? null,
      });
      // The notification says that a note exists, never what it says.
      if (!(b.is_private ?? false)) await notify(tx, b.patient_id, 'message', 'note_added', { clinical_note_id: id });
      await recordEvent(tx, actor.userId, 'clinical_note_created', ctx.client, { type: b.note_type ?? 'observation' });
      return nq.note(tx, id);
    });
    if (row === undefined) throw notFound('note');
    return toNote(row);
  }

  async list(ctx: RequestContext, f: Static<typeof NotesQuery>) {
    const limit = f.limit ?? 20;
    const offset = f.offset ?? 0;
    const rows = await ctx.run(async (tx) => {
      const rows = await nq.listNotes(tx, {
        patientId: f.patient_id ?? null,
        prescriptionId: f.prescription_id ?? null,
        limit,
        offset,
      });
      await recordReads(tx, ctx, 'clinical_notes', rows);
      return rows;
    });
    return { items: rows.map(toNote), total: Number(rows[0]?.total ?? 0), limit, offset };
  }

  async get(ctx: RequestContext, id: string): Promise<NoteT> {
    const row = await ctx.run(async (tx) => {
      const r = await nq.note(tx, id);
      if (r !== undefined) await recordReads(tx, ctx, 'clinical_notes', [r]);
      return r;
    });
    if (row === undefined) throw notFound('note');
    return toNote(row);
  }

  async update(ctx: RequestContext, id: string, b: Static<typeof UpdateNoteBody>): Promise<NoteT> {
    const actor = ctx;
    const row = await ctx.run(async (tx) => {
      const current = await nq.note(tx, id);
      if (current === undefined) throw notFound('note');
      if (current.doctor_id !== actor.userId) throw notFound('note');
      if (!(await doctorCan(tx, current.patient_id, 'add_notes')))
        throw new ApiError(403, 'relationship_not_active', 'you can no longer change notes on this patient');
      await nq.updateNote(tx, id, {
        noteType: b.note_type ?? null,
        setTitle: b.title !== undefined,
        title: b.title ?? null,
        content: b.content ?? null,
        isPrivate: b.is_private ?? null,
        setFollowUp: b.follow_up_date !== undefined,
        followUpDate: b.follow_up_date ?? null,
      });
      return nq.note(tx, id);
    });
    if (row === undefined) throw notFound('note');
    return toNote(row);
  }

  async remove(ctx: RequestContext, id: string): Promise<void> {
    const actor = ctx;
    const n = await ctx.run(async (tx) => nq.deleteNote(tx, id, actor.userId));
    if (n === 0) throw notFound('note');
  }
}
