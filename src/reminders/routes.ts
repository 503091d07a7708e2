/** /reminders and /adherence: today's doses, dose logs, reminder changes, adherence. HTTP only. */
import { Type } from '@sinclair/typebox';
import { signedIn } from '../http/route-options.ts';
import type { App } from '../http/typebox.ts';
import type { Services } from '../http/services.ts';
import { AUTHED, IdParams, Uuid, problems } from '../http/schemas.ts';
import { medicationRoutes } from './medication-routes.ts';
import { ReminderService } from './service.ts';
import {
  AdherenceQuery,
  AdherenceReport,
  DoseLogView,
  LogBody,
  ReminderItem,
  ReminderPatch,
  TodayDose,
} from './types.ts';

export async function reminderRoutes(app: App, s: Pick<Services, 'requireAuth' | 'context'>): Promise<void> {
  await medicationRoutes(app, s);
  const service = new ReminderService();
  const secured = s.requireAuth();
  const tags = ['reminders'];

  app.get(
    '/reminders/today',
    signedIn(s.requireAuth(['patient']), tags, 'My doses today (in my time zone), with what I have recorded', {
      response: { 200: Type.Object({ items: Type.Array(TodayDose) }), ...problems(...AUTHED, 403) },
    }),
    async (request) => ({ items: await service.today(s.context(request)) }),
  );

  app.get(
    '/reminders',
    signedIn(secured, tags, 'Reminders I may see (mine; a doctor: ?patient_id= of a patient who shares them)', {
      querystring: Type.Object({ patient_id: Type.Optional(Uuid) }, { additionalProperties: false }),
      response: { 200: Type.Object({ items: Type.Array(ReminderItem) }), ...problems(...AUTHED) },
    }),
    async (request) => ({ items: await service.list(s.context(request), request.query.patient_id) }),
  );

  app.patch(
    '/reminders/:id',
    signedIn(secured, tags, 'Change a reminder (the patient, or her doctor with can_modify_reminders)', {
      params: IdParams,
      body: ReminderPatch,
      response: { 200: ReminderItem, ...problems(...AUTHED, 403, 404, 422) },
    }),
    async (request) => service.update(s.context(request), request.params.id, request.body),
  );

  app.post(
    '/reminders/:id/logs',
    signedIn(secured, tags, 'Record a dose: taken, skipped or snoozed (idempotent per dose)', {
      params: IdParams,
      body: LogBody,
      response: { 200: DoseLogView, 201: DoseLogView, ...problems(...AUTHED, 403, 404, 409, 422) },
    }),
    async (request, reply) => {
      const { created, log } = await service.log(s.context(request), request.params.id, request.body);
      return reply.code(created ? 201 : 200).send(log);
    },
  );

  app.get(
    '/adherence',
    signedIn(
      secured,
      tags,
      'Adherence over the last 7 or 30 days: overall, per medication, per prescription, per day; refill alerts',
      {
        querystring: AdherenceQuery,
        response: { 200: AdherenceReport, ...problems(...AUTHED, 404) },
      },
    ),
    async (request) => service.adherence(s.context(request), request.query.days ?? 7, request.query.patient_id),
  );
}
