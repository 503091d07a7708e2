/** /clinical-notes: doctors write, patients read the shared ones. HTTP only. */
import { Type } from '@sinclair/typebox';
import { signedIn } from '../http/route-options.ts';
import type { App } from '../http/typebox.ts';
import type { Services } from '../http/services.ts';
import { AUTHED, IdParams, Page, problems } from '../http/schemas.ts';
import { CreateNoteBody, Note, NoteService, NotesQuery, UpdateNoteBody } from './notes.ts';

export async function clinicalNoteRoutes(app: App, s: Pick<Services, 'requireAuth' | 'context'>): Promise<void> {
  const notes = new NoteService();
  const doctor = s.requireAuth(['doctor']);
  // Not admins: notes are the authoring doctor's and the patient's alone (migration 013).
  const people = s.requireAuth(['doctor', 'patient']);

  app.post(
    '/clinical-notes',
    signedIn(doctor, ['clinical-notes'], 'Write a note on a patient (needs can_add_notes)', {
      body: CreateNoteBody,
      response: { 201: Note, ...problems(...AUTHED, 403, 404) },
    }),
    async (request, reply) => reply.code(201).send(await notes.create(s.context(request), request.body)),
  );

  app.get(
    '/clinical-notes',
    signedIn(people, ['clinical-notes'], 'Notes I wrote (doctor) or shared with me (patient)', {
      querystring: NotesQuery,
      response: { 200: Page(Note), ...problems(...AUTHED, 403) },
    }),
    async (request) => notes.list(s.context(request), request.query),
  );

  app.get(
    '/clinical-notes/:id',
    signedIn(people, ['clinical-notes'], 'One note', {
      params: IdParams,
      response: { 200: Note, ...problems(...AUTHED, 403, 404) },
    }),
    async (request) => notes.get(s.context(request), request.params.id),
  );

  app.patch(
    '/clinical-notes/:id',
    signedIn(doctor, ['clinical-notes'], 'Change my note', {
      params: IdParams,
      body: UpdateNoteBody,
      response: { 200: Note, ...problems(...AUTHED, 403, 404) },
    }),
    async (request) => notes.update(s.context(request), request.params.id, request.body),
  );

  app.delete(
    '/clinical-notes/:id',
    signedIn(doctor, ['clinical-notes'], 'Delete my note', {
      params: IdParams,
      response: { 204: Type.Null(), ...problems(...AUTHED, 403, 404) },
    }),
    async (request, reply) => {
      await notes.remove(s.context(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
}
