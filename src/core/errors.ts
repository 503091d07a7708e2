/**
 * The failures a service means to report: an HTTP-like status, a stable machine-readable `code`
 * and an English detail. Plain data, no HTTP library: services and jobs throw them, and
 * src/http/errors.ts turns them into application/problem+json (translated through the
 * catalogue's problem.<code>).
 */
import type { MessageParams } from '../i18n/index.ts';

export interface ProblemField {
  path: string;
  message: string;
}

/** A failure the service means to report: status, stable code and a human detail. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail?: string,
    readonly headers: Record<string, string> = {},
    readonly errors?: ProblemField[],
    /** Values for the {{placeholders}} of the catalogue's problem.<code> text. */
    readonly params?: MessageParams,
    /** Extension members of the problem body (RFC 9457 §3.2), e.g. the id of the existing resource; never override the standard ones. */
    readonly extensions?: Readonly<Record<string, string | number | boolean>>,
  ) {
    super(detail ?? code);
  }
}

/** `what` is translated through the catalogue's resource.<what> (spaces as underscores). */
export const notFound = (what = 'resource'): ApiError =>
  new ApiError(404, 'not_found', `${what} not found`, {}, undefined, { what });
export const routeNotFound = (method: string, url: string): ApiError => {
  const path = (url.split('?')[0] ?? '').slice(0, 200);
  return new ApiError(404, 'route_not_found', `no route for ${method} ${path}`, {}, undefined, { method, path });
};
export const forbidden = (detail = 'not allowed'): ApiError => new ApiError(403, 'forbidden', detail);
export const unauthorized = (code = 'unauthorized', detail = 'sign in first'): ApiError =>
  new ApiError(401, code, detail, { 'www-authenticate': 'Bearer realm="dastern"' });
export const badRequest = (code: string, detail: string, errors?: ProblemField[]): ApiError =>
  new ApiError(400, code, detail, {}, errors);
export const conflict = (code: string, detail: string): ApiError => new ApiError(409, code, detail);
