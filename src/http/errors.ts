/**
 * Errors as `application/problem+json` (RFC 9457) with a stable machine-readable `code`.
 * A client never sees a stack trace, SQL text or a constraint name; the log keeps them.
 *
 * The `detail` and `title` a client reads come from the message catalogue (src/i18n), chosen by
 * `code` (problem.<code>) and status (status.<n>) in the request's language: Accept-Language
 * when it names km, en or fr, else the signed-in user's stored language, else English. The
 * English `detail` given where an ApiError is thrown is the fallback for a code the catalogue
 * does not have yet (test/i18n/catalogue.test.ts fails until it has).
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { lookup, negotiateLanguage, type Language, type MessageParams } from '../i18n/index.ts';
import { ApiError, type ProblemField } from '../core/errors.ts';

// The errors services throw are defined in src/core/errors.ts (no HTTP there); routes may import them from here.
export {
  ApiError,
  badRequest,
  conflict,
  forbidden,
  notFound,
  routeNotFound,
  unauthorized,
  type ProblemField,
} from '../core/errors.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';
const TYPE_BASE = 'https://dastern.app/problems/';

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  errors?: ProblemField[];
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  410: 'Gone',
  402: 'Payment Required',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function problem(
  status: number,
  code: string,
  detail?: string,
  requestId?: string,
  errors?: ProblemField[],
  language?: Language,
): Problem {
  const title =
    language === undefined
      ? (TITLES[status] ?? 'Error')
      : (lookup(language, `status.${status}`) ?? lookup(language, 'status.other') ?? 'Error');
  const p: Problem = { type: `${TYPE_BASE}${code}`, title, status, code };
  if (detail !== undefined) p.detail = detail;
  if (requestId !== undefined) p.instance = `urn:dastern:request:${requestId}`;
  if (errors !== undefined && errors.length > 0) p.errors = errors;
  return p;
}

interface PgLikeError {
  code?: unknown;
  severity?: unknown;
  routine?: unknown;
}

function isPgError(err: unknown): err is PgLikeError & { code: string } {
  const e = err as PgLikeError;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.code === 'string' &&
    /^[0-9A-Z]{5}$/.test(e.code) &&
    e.severity !== undefined
  );
}

/** What a failure becomes in the answer: status, stable code, detail (before translation). */
export interface Classified {
  status: number;
  code: string;
  detail: string | undefined;
  headers: Record<string, string>;
  errors?: ProblemField[];
  params?: MessageParams;
  extensions?: Readonly<Record<string, string | number | boolean>>;
}

type FastifyLikeError = Partial<FastifyError> & {
  validation?: { instancePath?: string; message?: string; params?: Record<string, unknown> }[];
  validationContext?: string;
};

const internal = (): Classified => ({ status: 500, code: 'internal_error', detail: undefined, headers: {} });
const invalidJson = (): Classified => ({
  status: 400,
  code: 'invalid_json',
  detail: 'the body is not valid JSON',
  headers: {},
});

/** A missing row, said the same whether a foreign key or row security hid it. */
const resourceNotFound = (detail: string): Classified => ({
  status: 404,
  code: 'not_found',
  detail,
  headers: {},
  params: { what: 'resource' },
});

/** A request that failed its schema: each field that is wrong (at most 20). */
function validationProblem(
  validation: NonNullable<FastifyLikeError['validation']>,
  context: string | undefined,
): Classified {
  const where = context ?? 'body';
  const errors = validation.slice(0, 20).map((v) => {
    const missing = v.params && typeof v.params.missingProperty === 'string' ? `/${v.params.missingProperty}` : '';
    const extra = v.params && typeof v.params.additionalProperty === 'string' ? `/${v.params.additionalProperty}` : '';
    return { path: `${where}${v.instancePath ?? ''}${missing}${extra}`, message: v.message ?? 'invalid' };
  });
  return { status: 400, code: 'validation_failed', detail: 'the request is not valid', headers: {}, errors };
}

/** A PostgreSQL error by its SQLSTATE (never its text, which may quote row values). */
function databaseProblem(c: string): Classified {
  if (c === '23505') return { status: 409, code: 'conflict', detail: 'this already exists', headers: {} };
  if (c === '23503') return resourceNotFound('a referenced resource does not exist');
  if (c === '23514' || c === '23502')
    return { status: 422, code: 'constraint_violation', detail: 'a value is outside what is allowed', headers: {} };
  if (c === '42501') return resourceNotFound('resource not found');
  if (c.startsWith('22'))
    return { status: 400, code: 'invalid_value', detail: 'a value has the wrong form', headers: {} };
  if (c === '40001' || c === '40P01')
    return { status: 503, code: 'retry', detail: 'please try again', headers: { 'retry-after': '1' } };
  if (c === '57014') return { status: 503, code: 'timeout', detail: 'the database took too long', headers: {} };
  if (c.startsWith('08') || c === '57P01' || c === '53300')
    return {
      status: 503,
      code: 'database_unavailable',
      detail: 'the database is unavailable',
      headers: { 'retry-after': '5' },
    };
  return internal();
}

/** Fastify's own errors (body parsing, rate limit) by their code. */
function fastifyProblem(code: string | undefined): Classified | undefined {
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, code: 'payload_too_large', detail: 'the body is larger than allowed', headers: {} };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, code: 'unsupported_media_type', detail: 'send application/json', headers: {} };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, code: 'invalid_json', detail: 'the JSON body is empty', headers: {} };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return invalidJson();
    case 'FST_ERR_RATE_LIMITED':
      return {
        status: 429,
        code: 'rate_limited',
        detail: 'too many requests; slow down',
        headers: { 'retry-after': '60' },
      };
    default:
      return undefined;
  }
}

/** Maps an error to (status, code, detail) without leaking internals. */
export function classify(err: unknown): Classified {
  if (err instanceof ApiError)
    return {
      status: err.status,
      code: err.code,
      detail: err.detail,
      headers: err.headers,
      errors: err.errors,
      params: err.params,
      extensions: err.extensions,
    };
  const fe = err as FastifyLikeError;
  if (fe && Array.isArray(fe.validation)) return validationProblem(fe.validation, fe.validationContext);
  if (isPgError(err)) return databaseProblem(err.code);
  const status = typeof fe?.statusCode === 'number' ? fe.statusCode : 500;
  const known = fastifyProblem(fe?.code);
  if (known !== undefined) return known;
  if (fe instanceof SyntaxError && status === 400) return invalidJson();
  if (status >= 400 && status < 500)
    return {
      status,
      code: status === 429 ? 'rate_limited' : 'bad_request',
      detail: TITLES[status] ?? 'bad request',
      headers: {},
    };
  return internal();
}

/**
 * What a log line may say about a failure. A PostgreSQL error's `detail` ("Failing row contains
 * (…)", "Key (email)=(…)"), `where` and `hint` quote row values — personal and medical text —
 * so only its identifying parts are kept.
 */
export function loggableError(err: unknown): unknown {
  if (!isPgError(err)) return err;
  const e = err as PgLikeError & {
    code: string;
    message?: unknown;
    table?: unknown;
    column?: unknown;
    constraint?: unknown;
    schema?: unknown;
    stack?: unknown;
  };
  const out: Record<string, unknown> = {
    type: 'DatabaseError',
    code: e.code,
    message: typeof e.message === 'string' ? e.message.slice(0, 300) : undefined,
  };
  for (const k of ['severity', 'routine', 'schema', 'table', 'column', 'constraint'] as const)
    if (e[k] !== undefined) out[k] = e[k];
  if (typeof e.stack === 'string')
    out.stack = e.stack
      .split('\n')
      .filter((l) => l.trimStart().startsWith('at '))
      .join('\n');
  return out;
}

/** The params a catalogue text needs that the error carries implicitly (a Retry-After, a resource name). */
function detailParams(language: Language, c: ReturnType<typeof classify>): MessageParams {
  const params: Record<string, string | number> = { ...c.params };
  const retryAfter = Number(c.headers['retry-after']);
  if (Number.isFinite(retryAfter) && retryAfter > 0) {
    params.seconds ??= Math.ceil(retryAfter);
    params.minutes ??= Math.max(1, Math.ceil(retryAfter / 60));
  }
  if (c.code === 'not_found') {
    const what = typeof params.what === 'string' ? params.what.replace(/\s+/g, '_') : 'resource';
    params.what = lookup(language, `resource.${what}`) ?? lookup(language, 'resource.resource') ?? what;
  }
  return params;
}

/** The detail in `language`: the catalogue's problem.<code>, else the English detail given at the throw. */
export function problemDetail(language: Language, c: ReturnType<typeof classify>): string | undefined {
  const text = lookup(language, `problem.${c.code}`, detailParams(language, c));
  return text === undefined || text.includes('{{') ? c.detail : text;
}

/** The signed-in user's stored language, if any (src/http/user-language.ts); undefined for anonymous requests. */
export type UserLanguage = (request: FastifyRequest) => Promise<Language | undefined>;

/** Accept-Language first, then the user's stored language (not for 5xx: the database may be the failure), then English. */
async function problemLanguage(
  request: FastifyRequest,
  status: number,
  userLanguage: UserLanguage | undefined,
): Promise<Language> {
  const asked = negotiateLanguage(request.headers['accept-language']);
  if (asked !== undefined) return asked;
  if (userLanguage !== undefined && status < 500) {
    const stored = await userLanguage(request).catch((err: unknown) => {
      request.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'language of the user not read');
      return undefined;
    });
    if (stored !== undefined) return stored;
  }
  return 'en';
}

export async function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  err: unknown,
  userLanguage?: UserLanguage,
): Promise<FastifyReply> {
  const c = classify(err);
  if (c.status >= 500) request.log.error({ err: loggableError(err) }, 'request failed');
  else if (!(err instanceof ApiError))
    request.log.info(
      { code: c.code, status: c.status, errCode: (err as { code?: unknown })?.code },
      'request rejected',
    );
  const language = await problemLanguage(request, c.status, userLanguage);
  for (const [k, v] of Object.entries(c.headers)) reply.header(k, v);
  return reply
    .code(c.status)
    .type(PROBLEM_CONTENT_TYPE)
    .header('content-language', language)
    .send({
      ...c.extensions,
      ...problem(c.status, c.code, problemDetail(language, c), request.id, c.errors, language),
    });
}
