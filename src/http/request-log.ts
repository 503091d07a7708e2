/**
 * Fastify's per-request log lines, without URLs: a path or query string can carry an invitation
 * code, a link token or a search term (an e-mail address), and none of those belong in a log.
 * Each request gets one line with its route's template (`/api/v1/care/invitations/:code`),
 * status and time; Fastify's other request-scoped lines drop the request they used to carry.
 */
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

export class RouteLogController extends LogController {
  override incomingRequest(): void {
    // the completed line says it all
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = {
      method: request.method,
      route: routeOf(request),
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
    };
    if (error) reply.log.error({ ...line, err: { type: error.name, message: error.message } }, 'request errored');
    else reply.log.info(line, 'request');
  }

  override routeNotFound(request: FastifyRequest): void {
    request.log.info({ method: request.method, route: routeOf(request) }, 'no such route');
  }

  override writeHeadError(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    reply.log.warn(
      { method: request.method, route: routeOf(request), err: { type: error.name, message: error.message } },
      'could not write the response head',
    );
  }
}

function routeOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? '(no route)';
}
