/** /clinical-notes: doctors write, patients read the shared ones. HTTP only. */
import { Type } from '@sinclair/typebox';
import type { App } from '../http/typebox.ts';
import type { Services } from '../http/services.ts';
import { AUTHED, IdParams, Page, problems } from '../http/schemas.ts';
import { CreateNoteBody, Note, NoteService, NotesQuery, UpdateNoteBody } from './notes.ts';

export async function clinicalNoteRoutes(app: App, s: Pick<Services, 'requireAuth' | 'context'>): Promise<void> {
  const notes = new NoteService();
  const security = [{ bearer: [] }];
  const doctor = s.requireAuth(['doctor']);
  // Not admins: notes are the authoring doctor's and the patient's alone (migration 013).
  const people = s.requireAuth(['doctor', 'patient']);

  app.post(
    '/clinical-notes',
    {
      onRequest: doctor,
      schema: {
        tags: ['clinical-notes'],
        summary: 'Write a note on a patient (needs can_add_notes)',
        security,
        body: CreateNoteBody,
        response: { 201: Note, ...problems(...AUTHED, 403, 404) },
      },
    },
    async (request, reply) => reply.code(201).send(await notes.create(s.context(request), request.body)),
  );

  app.get(
    '/clinical-notes',
    {
      onRequest: people,
      schema: {
        tags: ['clinical-notes'],
        summary: 'Notes I wrote (doctor) or shared with me (patient)',
        security,
        querystring: NotesQuery,
        response: { 200: Page(Note), ...problems(...AUTHED, 403) },
      },
    },
    async (request) => notes.list(s.context(request), request.query),
  );

  app.get(
    '/clinical-notes/:id',
    {
      onRequest: people,
      schema: {
        tags: ['clinical-notes'],
        summary: 'One note',
        security,
        params: IdParams,
        response: { 200: Note, ...problems(...AUTHED, 403, 404) },
      },
    },
    async (request) => notes.get(s.context(request), request.params.id),
  );

  app.patch(
    '/clinical-notes/:id',
    {
      onRequest: doctor,
      schema: {
        tags: ['clinical-notes'],
        summary: 'Change my note',
        security,
        params: IdParams,
        body: UpdateNoteBody,
        response: { 200: Note, ...problems(...AUTHED, 403, 404) },
      },
    },
    async (request) => notes.update(s.context(request), request.params.id, request.body),
  );

  app.delete(
    '/clinical-notes/:id',
    {
      onRequest: doctor,
      schema: {
        tags: ['clinical-notes'],
        summary: 'Delete my note',
        security,
        params: IdParams,
        response: { 204: Type.Null(), ...problems(...AUTHED, 403, 404) },
      },
    },
    async (request, reply) => {
      await notes.remove(s.context(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
}
