/**
 * The options every signed-in route repeats: the hook that checks the bearer token (and the
 * roles), the OpenAPI tags and summary, bearer security; the route adds its own schemas
 * (params, query, body, response).
 */
import type { onRequestAsyncHookHandler } from 'fastify';

export const BEARER_SECURITY = [{ bearer: [] as string[] }];

export function signedIn<S extends object>(
  onRequest: onRequestAsyncHookHandler,
  tags: string[],
  summary: string,
  schema: S,
): {
  onRequest: onRequestAsyncHookHandler;
  schema: { tags: string[]; summary: string; security: typeof BEARER_SECURITY } & S;
} {
  return { onRequest, schema: { tags, summary, security: BEARER_SECURITY, ...schema } };
}
