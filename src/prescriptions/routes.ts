/** /prescriptions: upload, list, review, edit, confirm, reprocess, photo. HTTP only. */
import multipart from '@fastify/multipart';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { signedIn } from '../http/route-options.ts';
import type { App } from '../http/typebox.ts';
import type { Services } from '../http/services.ts';
import { ApiError, badRequest } from '../http/errors.ts';
import { negotiateLanguage } from '../i18n/index.ts';
import { AUTHED, IdParams, Nullable, Page, PageQuery, Uuid, problems } from '../http/schemas.ts';
import { MAX_BYTES } from '../reading/validate.ts';
import { DuplicatePrescription, PrescriptionService, type PrescriptionDeps } from './service.ts';
import {
  MedicationView,
  PatchPrescription,
  PrescriptionDetail,
  PrescriptionSummary,
  PRESCRIPTION_STATUSES,
} from './types.ts';

const Accepted = Type.Object({ id: Uuid, status: Type.String() });
const ConfirmBody = Type.Object(
  {
    start_date: Type.Optional(
      Type.String({ format: 'date', description: 'the first day of treatment (my time zone); default today' }),
    ),
  },
  { additionalProperties: false },
);
const ConfirmResult = Type.Object({
  ...PrescriptionDetail.properties,
  warnings: Type.Array(Type.Object({ code: Type.String(), detail: Type.String() }), {
    description: 'things to check; the confirmation is done',
  }),
});
const UploadQuery = Type.Object(
  {
    allow_duplicate: Type.Optional(
      Type.Boolean({ description: 'upload even when this patient already has a prescription with the same photo' }),
    ),
  },
  { additionalProperties: false },
);
/** 409: a problem (duplicate_prescription with the existing id, or another conflict). */
const DuplicateProblem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String(),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    existing_prescription_id: Type.Optional(Uuid),
  },
  { description: 'RFC 9457 problem; with code duplicate_prescription it names the existing prescription' },
);
const UploadForm = {
  type: 'object',
  required: ['image'],
  properties: {
    image: { type: 'string', format: 'binary', description: 'the photo: JPEG, PNG or WebP, at most 15 MB' },
  },
};
const binary = { type: 'string', format: 'binary' };
const PhotoBytes = {
  description: 'The photo as uploaded',
  content: { 'image/jpeg': { schema: binary }, 'image/png': { schema: binary }, 'image/webp': { schema: binary } },
};
const ThumbnailBytes = { description: 'A JPEG preview', content: { 'image/jpeg': { schema: binary } } };
const ListQuery = Type.Object(
  {
    ...PageQuery,
    patient_id: Type.Optional(Uuid),
    status: Type.Optional(Type.Union(PRESCRIPTION_STATUSES.map((s) => Type.Literal(s)))),
  },
  { additionalProperties: false },
);

/**
 * Reads the multipart field `image` into memory (≤ 15 MB). The body must hold that one file
 * and nothing else: a field, a second file or any other part is refused, not skipped.
 */
async function readImagePart(request: FastifyRequest): Promise<Buffer> {
  if (!request.isMultipart())
    throw new ApiError(415, 'multipart_required', 'send the photo as multipart/form-data in the field "image"');
  const parts = request.parts({
    limits: { fileSize: MAX_BYTES, files: 1, fields: 0, parts: 1, fieldNameSize: 64, headerPairs: 20 },
  });
  try {
    const first = await parts.next();
    if (first.done === true) throw badRequest('image_required', 'the multipart field "image" is missing');
    const part = first.value;
    if (part.type !== 'file' || part.fieldname !== 'image') {
      if (part.type === 'file') part.file.resume();
      throw badRequest('image_required', 'the photo must be in the multipart field "image"');
    }
    const bytes = await part.toBuffer();
    const rest = await parts.next();
    if (rest.done !== true) {
      if (rest.value.type === 'file') rest.value.file.resume();
      throw badRequest('one_image_only', 'send exactly one file, in the field "image"');
    }
    return bytes;
  } catch (err) {
    throw mapMultipartError(err);
  }
}

function mapMultipartError(err: unknown): unknown {
  const code = (err as { code?: unknown }).code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') return new ApiError(413, 'file_too_large', 'the image is larger than 15 MB');
  if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') {
    return badRequest('one_image_only', 'send exactly one file, in the field "image"');
  }
  if (typeof code === 'string' && code.startsWith('FST_'))
    return badRequest('invalid_multipart', 'the multipart body could not be read');
  return err;
}

export async function prescriptionRoutes(app: App, s: Services, deps: PrescriptionDeps): Promise<void> {
  const service = new PrescriptionService(deps);
  await uploadRoutes(app, s, service);
  await reviewRoutes(app, s, service);
  await photoRoutes(app, s, service);
}

/** The photo upload (multipart). */
async function uploadRoutes(app: App, s: Services, service: PrescriptionService): Promise<void> {
  const security = [{ bearer: [] }];
  const tags = ['prescriptions'];

  await app.register(multipart, { limits: { fileSize: MAX_BYTES, files: 1 } });

  app.post(
    '/prescriptions',
    {
      onRequest: s.requireAuth(['patient']),
      bodyLimit: MAX_BYTES + 64 * 1024,
      schema: {
        tags,
        security,
        consumes: ['multipart/form-data'],
        summary:
          'Upload a prescription photo (multipart field "image": JPEG, PNG or WebP, ≤ 15 MB); the reading runs as a job. ' +
          'The same photo (same SHA-256) uploaded again by the same patient answers 409 duplicate_prescription with the existing id, unless ?allow_duplicate=true',
        querystring: UploadQuery,
        response: { 202: Accepted, 409: DuplicateProblem, ...problems(...AUTHED, 402, 403, 413, 415) },
      },
      // The multipart body is read by the handler (readImagePart), not validated by a schema: it is
      // described for the OpenAPI document only.
      config: { swaggerTransform: ({ schema, url }) => ({ url, schema: { ...schema, body: UploadForm } }) },
    },
    async (request, reply) => {
      // Session and free-tier limit first: 15 MB is read and decoded only for someone who may upload.
      await service.assertCanUpload(s.context(request));
      const bytes = await readImagePart(request);
      try {
        return reply
          .code(202)
          .send(
            await service.upload(s.context(request), bytes, { allowDuplicate: request.query.allow_duplicate === true }),
          );
      } catch (err) {
        if (!(err instanceof DuplicatePrescription)) throw err;
        // through the error mapper (translated detail and title, Content-Language), with the existing id as an extension member
        throw new ApiError(
          409,
          'duplicate_prescription',
          'this photo was already uploaded; open the existing prescription, or upload again with ?allow_duplicate=true',
          {},
          undefined,
          undefined,
          { existing_prescription_id: err.existingId },
        );
      }
    },
  );
}

/** The list, one prescription, its review and confirmation. */
async function reviewRoutes(app: App, s: Services, service: PrescriptionService): Promise<void> {
  const secured = { onRequest: s.requireAuth() };
  const tags = ['prescriptions'];

  app.get(
    '/prescriptions',
    signedIn(
      secured.onRequest,
      tags,
      "Prescriptions I may see (mine; a doctor: her patients' shared ones), newest first",
      {
        querystring: ListQuery,
        response: {
          200: Page(Type.Object({ ...PrescriptionSummary.properties, medications: Type.Array(MedicationView) })),
          ...problems(...AUTHED),
        },
      },
    ),
    async (request) =>
      service.list(s.context(request), {
        ...request.query,
        limit: request.query.limit ?? 20,
        offset: request.query.offset ?? 0,
      }),
  );

  app.get(
    '/prescriptions/:id',
    signedIn(
      secured.onRequest,
      tags,
      'One prescription: status, OCR text, header, draft and confirmed medications, reminders',
      {
        params: IdParams,
        response: { 200: PrescriptionDetail, ...problems(...AUTHED, 404) },
      },
    ),
    async (request) => service.get(s.context(request), request.params.id),
  );

  app.patch(
    '/prescriptions/:id',
    signedIn(
      secured.onRequest,
      tags,
      'Edit the draft: text, header fields, medications (the list sent replaces the draft)',
      {
        params: IdParams,
        body: PatchPrescription,
        response: { 200: PrescriptionDetail, ...problems(...AUTHED, 403, 404, 409, 422) },
      },
    ),
    async (request) => service.patch(s.context(request), request.params.id, request.body),
  );

  app.post(
    '/prescriptions/:id/confirm',
    signedIn(
      secured.onRequest,
      tags,
      'Confirm the draft: medications and reminders are created, from start_date (default today). ' +
        'warnings: old_prescription (dated more than 30 days before the start), treatment_already_over',
      {
        params: IdParams,
        body: Nullable(ConfirmBody),
        response: { 200: ConfirmResult, ...problems(...AUTHED, 403, 404, 409, 422) },
      },
    ),
    async (request) =>
      service.confirm(s.context(request), request.params.id, {
        startDate: request.body?.start_date,
        language: negotiateLanguage(request.headers['accept-language']),
      }),
  );
}

/** Removal, a new reading, and the photo and its preview. */
async function photoRoutes(app: App, s: Services, service: PrescriptionService): Promise<void> {
  const secured = { onRequest: s.requireAuth() };
  const security = [{ bearer: [] }];
  const tags = ['prescriptions'];

  app.delete(
    '/prescriptions/:id',
    signedIn(
      secured.onRequest,
      tags,
      'Delete my prescription. A draft goes for good with its photo (outcome deleted). A confirmed one is soft-deleted ' +
        '(outcome soft_deleted): its medicines stop, reminders end, recorded doses are kept but no longer counted or listed',
      {
        params: IdParams,
        response: {
          200: Type.Object({ id: Uuid, outcome: Type.Union([Type.Literal('deleted'), Type.Literal('soft_deleted')]) }),
          ...problems(...AUTHED, 403, 404, 409),
        },
      },
    ),
    async (request) => service.remove(s.context(request), request.params.id),
  );

  app.post(
    '/prescriptions/:id/reprocess',
    signedIn(secured.onRequest, tags, 'Read the photo again', {
      params: IdParams,
      response: { 202: Accepted, ...problems(...AUTHED, 403, 404, 409) },
    }),
    async (request, reply) => reply.code(202).send(await service.reprocess(s.context(request), request.params.id)),
  );

  for (const kind of ['image', 'thumbnail'] as const) {
    app.get(
      `/prescriptions/:id/${kind}`,
      {
        ...secured,
        schema: {
          tags,
          security,
          summary: kind === 'image' ? 'The original photo (decrypted)' : 'A small JPEG preview',
          params: IdParams,
          response: { ...problems(...AUTHED, 404) },
        },
        // Bytes, not JSON: the 200 is described for the OpenAPI document only (no serializer).
        config: {
          swaggerTransform: ({ schema, url }) => ({
            url,
            schema: {
              ...schema,
              response: { ...(schema.response as object), 200: kind === 'image' ? PhotoBytes : ThumbnailBytes },
            },
          }),
        },
      },
      async (request, reply) => {
        const { bytes, mimeType } = await service.image(
          s.context(request),
          (request.params as { id: string }).id,
          kind === 'image' ? 'original' : 'thumbnail',
        );
        return reply.type(mimeType).header('content-disposition', 'inline').send(bytes);
      },
    );
  }
}
