/** /ai: the assistant's conversations and messages (JSON or server-sent events). HTTP only. */
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { signedIn } from '../http/route-options.ts';
import type { App } from '../http/typebox.ts';
import { openEventStream } from '../http/event-stream.ts';
import type { Services } from '../http/services.ts';
import { actorOf } from '../http/auth.ts';
import { clientInfo } from '../analytics/service.ts';
import { AUTHED, IdParams, Nullable, Page, PageQuery, Timestamp, Uuid, problems } from '../http/schemas.ts';
import { ApiError } from '../http/errors.ts';
import { AiService, createProvider, type AiContext, type StreamEvent } from './service.ts';
import { createReport, getReport, reportHtml } from './reports.ts';
import { ocrSuggestions } from './ocr.ts';
import { visitSummary } from './doctor.ts';

const Language = Type.Union([Type.Literal('km'), Type.Literal('en'), Type.Literal('fr')]);
const Conversation = Type.Object({
  id: Uuid,
  title: Nullable(Type.String()),
  language: Type.String(),
  share_record: Type.Boolean(),
  last_message_at: Nullable(Timestamp),
  created_at: Timestamp,
});
const NewConversation = Type.Object(
  {
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    language: Type.Optional(Language),
    share_record: Type.Optional(
      Type.Boolean({
        description: 'consent: a minimal extract of my medicines may reach an external AI provider (off by default)',
      }),
    ),
  },
  { additionalProperties: false },
);
const NewMessage = Type.Object(
  { content: Type.String({ minLength: 1, maxLength: 2000 }) },
  { additionalProperties: false },
);
const AssistantMessage = Type.Object({
  id: Uuid,
  role: Type.Literal('assistant'),
  content: Type.String(),
  refused: Type.Optional(Type.Boolean()),
  guard: Type.Optional(Type.String({ description: 'emergency, diagnosis, dose_change, injection or output_filtered' })),
  disclaimer: Type.String(),
  language: Language,
  model: Type.String(),
});
const MessageList = Type.Object({
  items: Type.Array(
    Type.Object({
      id: Uuid,
      role: Type.String(),
      content: Type.String(),
      refused: Type.Boolean(),
      created_at: Timestamp,
    }),
  ),
});

const ReportKind = Type.Union([Type.Literal('adherence'), Type.Literal('medication_summary'), Type.Literal('risk')]);
const NewReport = Type.Object(
  {
    kind: ReportKind,
    days: Type.Optional(Type.Integer({ minimum: 1, maximum: 365 })),
    language: Type.Optional(Language),
  },
  { additionalProperties: false },
);
const Report = Type.Object({
  id: Uuid,
  kind: ReportKind,
  language: Language,
  days: Type.Integer(),
  title: Type.String(),
  summary: Type.String(),
  created_at: Timestamp,
  medicines: Type.Array(
    Type.Object({
      name: Type.String(),
      strength: Nullable(Type.String()),
      purpose: Type.String(),
      schedule: Type.String(),
      taken: Type.Integer(),
      missed: Type.Integer(),
      skipped: Type.Integer(),
      rate: Nullable(Type.Number()),
    }),
  ),
  slots: Type.Array(
    Type.Object({ slot: Type.String(), taken: Type.Integer(), missed: Type.Integer(), skipped: Type.Integer() }),
  ),
  alerts: Type.Array(
    Type.Object({ kind: Type.String(), severity: Type.String(), message: Type.String(), source: Type.String() }),
  ),
  disclaimer: Type.String(),
});
const PdfBytes = {
  description: 'The report as PDF (Khmer shaped and searchable)',
  content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } },
};

/** The service's context of a signed-in request. */
function aiContext(s: Pick<Services, 'run'>, request: FastifyRequest): AiContext {
  return {
    userId: actorOf(request).userId,
    requestId: request.id,
    client: clientInfo(request),
    run: (fn) => s.run(request, fn),
  };
}

export async function aiRoutes(app: App, s: Services): Promise<void> {
  const service = new AiService(createProvider(s.config.ai), s.logger);
  await conversationRoutes(app, s, service);
  await helperRoutes(app, s);
  await reportRoutes(app, s);
  await askRoutes(app, s, service);
}

/** The assistant's conversations and their messages. */
async function conversationRoutes(app: App, s: Services, service: AiService): Promise<void> {
  const onRequest = s.requireAuth(['patient']);
  const tags = ['ai'];
  const ctx = (request: FastifyRequest): AiContext => aiContext(s, request);

  app.post(
    '/ai/conversations',
    signedIn(
      onRequest,
      tags,
      'Start a conversation with the assistant (any patient: an emergency is answered with 119 on every plan; other questions need Premium)',
      {
        body: NewConversation,
        response: { 201: Conversation, ...problems(...AUTHED, 403) },
      },
    ),
    async (request, reply) => reply.code(201).send(await service.createConversation(ctx(request), request.body)),
  );

  app.get(
    '/ai/conversations',
    signedIn(onRequest, tags, 'My conversations, latest first', {
      querystring: Type.Object(PageQuery, { additionalProperties: false }),
      response: { 200: Page(Conversation), ...problems(...AUTHED, 403) },
    }),
    async (request) => service.listConversations(ctx(request), request.query.limit ?? 20, request.query.offset ?? 0),
  );

  app.get(
    '/ai/conversations/:id/messages',
    signedIn(onRequest, tags, 'The messages of one of my conversations', {
      params: IdParams,
      response: { 200: MessageList, ...problems(...AUTHED, 403, 404) },
    }),
    async (request) => service.messages(ctx(request), request.params.id),
  );
}

/** OCR correction suggestions (patients) and the visit summary (doctors). */
async function helperRoutes(app: App, s: Services): Promise<void> {
  const onRequest = s.requireAuth(['patient']);
  const tags = ['ai'];
  const ctx = (request: FastifyRequest): AiContext => aiContext(s, request);

  app.get(
    '/ai/prescriptions/:id/suggestions',
    signedIn(
      onRequest,
      tags,
      'OCR correction (Premium): suggestions for the low-confidence lines of my draft ("Amoxicillin 500mg?")',
      {
        params: IdParams,
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                index: Type.Integer(),
                name: Type.String(),
                confidence: Nullable(Type.Number()),
                label: Type.String(),
                suggestions: Type.Array(
                  Type.Object({
                    field: Type.String(),
                    value: Type.String(),
                    drug_id: Type.Optional(Type.String()),
                    generic_name: Type.Optional(Type.String()),
                    similarity: Type.Optional(Type.Number()),
                  }),
                ),
              }),
            ),
          }),
          ...problems(...AUTHED, 402, 403, 404),
        },
      },
    ),
    async (request) => ocrSuggestions(ctx(request), request.params.id),
  );

  app.get(
    '/ai/patients/:id/visit-summary',
    signedIn(
      s.requireAuth(['doctor']),
      tags,
      'For a doctor: a drafted visit summary of one of his patients (adherence, missed-dose pattern, medicines, alerts), to edit',
      {
        params: IdParams,
        querystring: Type.Object(
          { days: Type.Optional(Type.Integer({ minimum: 1, maximum: 365 })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            patient_id: Uuid,
            draft: Type.Literal(true),
            language: Language,
            days: Type.Integer(),
            text: Type.String(),
            generated_at: Timestamp,
            medicines: Report.properties.medicines,
            slots: Report.properties.slots,
            alerts: Report.properties.alerts,
          }),
          ...problems(...AUTHED, 403, 404),
        },
      },
    ),
    async (request) => visitSummary(ctx(request), request.params.id, request.query.days ?? 30),
  );
}

/** Reports, as JSON and as PDF. */
async function reportRoutes(app: App, s: Services): Promise<void> {
  const pdf = s.pdf;
  const onRequest = s.requireAuth(['patient']);
  const security = [{ bearer: [] }];
  const tags = ['ai'];
  const ctx = (request: FastifyRequest): AiContext => aiContext(s, request);

  app.post(
    '/ai/reports',
    signedIn(
      onRequest,
      tags,
      'Generate a report (Premium, counted): adherence over N days, a medicine summary for the doctor, or a risk report',
      {
        body: NewReport,
        response: { 201: Report, ...problems(...AUTHED, 402, 403, 429) },
      },
    ),
    async (request, reply) => reply.code(201).send(await createReport(ctx(request), request.body)),
  );

  app.get(
    '/ai/reports/:id',
    signedIn(onRequest, tags, 'One of my reports', {
      params: IdParams,
      response: { 200: Report, ...problems(...AUTHED, 403, 404) },
    }),
    async (request) => getReport(ctx(request), request.params.id),
  );

  app.get(
    '/ai/reports/:id/pdf',
    {
      onRequest,
      schema: {
        tags,
        security,
        summary: 'One of my reports as PDF',
        params: IdParams,
        response: { ...problems(...AUTHED, 403, 404, 503) },
      },
      config: {
        swaggerTransform: ({ schema, url }) => ({
          url,
          schema: { ...schema, response: { ...(schema.response as object), 200: PdfBytes } },
        }),
      },
    },
    async (request, reply) => {
      const report = await getReport(ctx(request), (request.params as { id: string }).id, 'read_pdf');
      if (!pdf.available()) throw new ApiError(503, 'pdf_unavailable', 'PDF rendering needs Chromium on this server');
      const bytes = await pdf.render(reportHtml(report));
      return reply
        .type('application/pdf')
        .header('content-disposition', `inline; filename="dastern-${report.kind}-${report.id.slice(0, 8)}.pdf"`)
        .send(bytes);
    },
  );
}

/** Asking the assistant (answers streamed on request). */
async function askRoutes(app: App, s: Services, service: AiService): Promise<void> {
  const onRequest = s.requireAuth(['patient']);
  const tags = ['ai'];
  const ctx = (request: FastifyRequest): AiContext => aiContext(s, request);

  app.post(
    '/ai/conversations/:id/messages',
    signedIn(
      onRequest,
      tags,
      'Ask the assistant (Premium, counted; an emergency is answered with 119 on every plan, uncounted). With Accept: text/event-stream the answer streams as events "delta" {text}, "replace" {text} and "done" {message}',
      {
        params: IdParams,
        body: NewMessage,
        response: { 200: Type.Object({ message: AssistantMessage }), ...problems(...AUTHED, 402, 403, 404, 429) },
      },
    ),
    async (request, reply) => {
      // the gate, the conversation and the stored question: a refusal is still a problem+json answer
      const prepared = await service.prepare(ctx(request), request.params.id, request.body.content);
      if (!(request.headers.accept ?? '').includes('text/event-stream'))
        return { message: await service.complete(prepared) };
      return stream(reply, async (send) => {
        const message = await service.complete(prepared, (e: StreamEvent) => send(e.type, { text: e.text }));
        send('done', { message });
      });
    },
  );
}

async function stream(
  reply: FastifyReply,
  body: (send: (event: string, data: unknown) => void) => Promise<void>,
): Promise<void> {
  const raw = openEventStream(reply);
  const send = (event: string, data: unknown): void => {
    if (!raw.writableEnded) raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  try {
    await body(send);
  } catch (err) {
    reply.log.error({ err }, 'AI answer failed while streaming');
    send('error', { code: 'internal_error' });
  } finally {
    raw.end();
  }
}
