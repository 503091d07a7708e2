/**
 * The Fastify application: cross-cutting plugins and the domain routes.
 * Routes parse and reply; rules live in each domain's service.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Database } from '../db/database.ts';
import type { Logger } from '../log.ts';

export interface AppDependencies {
  db: Database;
  logger: Logger;
}

export async function buildApp(deps: AppDependencies): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: deps.logger as FastifyBaseLogger, bodyLimit: 1_048_576, genReqId: () => crypto.randomUUID() });

  app.get('/api/v1/health', async (_req, reply) => {
    const database = await deps.db.ping();
    return reply.code(database ? 200 : 503).send({ status: database ? 'ok' : 'degraded', database: database ? 'ready' : 'unavailable' });
  });

  return app;
}
