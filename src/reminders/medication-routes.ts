/** /medications (own medicines: add by hand, list, stop, as-needed intakes), DELETE /reminders/:id, GET /dose-logs. HTTP only. */
import { Type } from '@sinclair/typebox';
import { signedIn } from '../http/route-options.ts';
import type { App } from '../http/typebox.ts';
import type { Services } from '../http/services.ts';
import type { FastifyRequest } from 'fastify';
import type { Tx } from '../db/database.ts';
import { AUTHED, IdParams, Nullable, Page, problems } from '../http/schemas.ts';
import * as ms from './medication-service.ts';
import {
  HistoryItem,
  HistoryQuery,
  NewMedication,
  OwnMedication,
  PrnDose,
  PrnDoseBody,
  StopBody,
} from './medication-types.ts';

type RouteServices = Pick<Services, 'requireAuth' | 'context'>;
type AsPatient = <T>(request: FastifyRequest, fn: (tx: Tx, ctx: ms.PatientContext) => Promise<T>) => Promise<T>;

export async function medicationRoutes(app: App, s: RouteServices): Promise<void> {
  // The patient's own transaction (session checked) and what the medication rules need of her.
  const patient: AsPatient = (request, fn) => {
    const c = s.context(request);
    return c.run((tx) => fn(tx, { userId: c.userId, now: new Date() }));
  };
  await ownMedicationRoutes(app, s, patient);
  await reminderAndHistoryRoutes(app, s, patient);
}

/** Her own medicines: list, add by hand, stop, as-needed intakes. */
async function ownMedicationRoutes(app: App, s: RouteServices, patient: AsPatient): Promise<void> {
  const patientOnly = s.requireAuth(['patient']);
  const tags = ['medications'];

  app.get(
    '/medications',
    signedIn(
      patientOnly,
      tags,
      'My medicines (from prescriptions and added by hand) with their reminders; ?active=true|false',
      {
        querystring: Type.Object({ active: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
        response: { 200: Type.Object({ items: Type.Array(OwnMedication) }), ...problems(...AUTHED, 403) },
      },
    ),
    async (request) => {
      return { items: await patient(request, (tx, ctx) => ms.listMedications(tx, ctx, request.query.active)) };
    },
  );

  app.post(
    '/medications',
    signedIn(
      patientOnly,
      tags,
      'Add a medicine by hand (no photo): its schedule (slots, every N hours, or as needed) gives its reminders',
      {
        body: NewMedication,
        response: { 201: OwnMedication, ...problems(...AUTHED, 403, 422) },
      },
    ),
    async (request, reply) => {
      return reply.code(201).send(await patient(request, (tx, ctx) => ms.addMedication(tx, ctx, request.body)));
    },
  );

  app.post(
    '/medications/:id/stop',
    signedIn(
      patientOnly,
      tags,
      'Stop a medicine: its reminders end today, doses ahead are withdrawn, everything recorded stays (history, adherence)',
      {
        params: IdParams,
        body: Nullable(StopBody),
        response: { 200: OwnMedication, ...problems(...AUTHED, 403, 404) },
      },
    ),
    async (request) => {
      return patient(request, (tx, ctx) => ms.stopMedication(tx, ctx, request.params.id, request.body?.reason ?? null));
    },
  );

  app.post(
    '/medications/:id/doses',
    signedIn(patientOnly, tags, 'Record an intake of an as-needed (PRN) medicine (default: now, its usual dose)', {
      params: IdParams,
      body: Nullable(PrnDoseBody),
      response: { 201: PrnDose, ...problems(...AUTHED, 403, 404, 409, 422) },
    }),
    async (request, reply) => {
      return reply
        .code(201)
        .send(await patient(request, (tx, ctx) => ms.logPrnDose(tx, ctx, request.params.id, request.body ?? {})));
    },
  );
}

/** Deleting one of her reminders, and the dose history (hers, or a doctor's view of a patient's). */
async function reminderAndHistoryRoutes(app: App, s: RouteServices, patient: AsPatient): Promise<void> {
  const patientOnly = s.requireAuth(['patient']);
  app.delete(
    '/reminders/:id',
    signedIn(
      patientOnly,
      ['reminders'],
      'Delete a reminder of mine: removed, or ended (kept as history) when a dose of it was recorded',
      {
        params: IdParams,
        response: {
          200: Type.Object({
            id: Type.String(),
            outcome: Type.Union([Type.Literal('deleted'), Type.Literal('ended')]),
          }),
          ...problems(...AUTHED, 403, 404),
        },
      },
    ),
    async (request) => {
      const outcome = await patient(request, (tx, ctx) => ms.deleteReminder(tx, ctx, request.params.id));
      return { id: request.params.id, outcome };
    },
  );

  app.get(
    '/dose-logs',
    signedIn(
      s.requireAuth(),
      ['reminders'],
      'Dose history: each scheduled dose (taken, skipped, snoozed, missed, pending) and as-needed intake, newest first, ' +
        'between local dates from..to (default the last 30 days), optionally of one medicine; a doctor: ?patient_id= of a patient who shares her prescriptions',
      {
        querystring: HistoryQuery,
        response: {
          200: Type.Object({ ...Page(HistoryItem).properties, from: Type.String(), to: Type.String() }),
          ...problems(...AUTHED, 404),
        },
      },
    ),
    async (request) => {
      const limit = request.query.limit ?? 50;
      const offset = request.query.offset ?? 0;
      const page = await ms.doseHistoryFor(s.context(request), { ...request.query, limit, offset });
      return { ...page, limit, offset };
    },
  );
}
