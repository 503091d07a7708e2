/**
 * Opens a Server-Sent Events response on a Fastify reply: the reply is hijacked and the raw
 * response gets the headers Fastify had set (request id, CORS …) plus the event-stream ones.
 * Used by the live notifications and the assistant's streamed answers.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';

export function openEventStream(reply: FastifyReply, extra: Record<string, string> = {}): ServerResponse {
  reply.hijack();
  const raw = reply.raw;
  const headers: Record<string, string | number | string[]> = {};
  for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) headers[k] = v;
  raw.writeHead(200, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    ...extra,
    'x-accel-buffering': 'no',
  });
  return raw;
}
