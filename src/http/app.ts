/**
 * The Fastify application: cross-cutting plugins (request ids, validation, problem+json errors,
 * metrics; security headers, CORS, rate limits and OpenAPI in src/http/plugins.ts) and the domain routes.
 * Routes parse and reply; rules live in each domain's service.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { loadConfig, resolveJwtSecret, type Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { ReadReplica } from '../db/read-replica.ts';
import { readMetrics, readYourWrites } from './read-your-writes.ts';
import { API_PREFIX, registerOpenApi, registerSecurity } from './plugins.ts';
import type { Logger } from '../log.ts';
import { RouteLogController } from './request-log.ts';
import { TokenService } from '../auth/tokens.ts';
import { Passwords } from '../auth/passwords.ts';
import type { Mailer } from '../mail/mailer.ts';
import { configuredMailer } from '../mail/configured.ts';
import type { NotificationHub } from '../notifications/hub.ts';
import { routeNotFound, sendProblem } from './errors.ts';
import { makeUserLanguage } from './user-language.ts';
import { ProblemSchema } from './schemas.ts';
import { schemaCompilers, addSharedSchema, type SchemaCompilers } from './validation.ts';
import { registerMetrics } from './metrics.ts';
import { makeContext, makeRequireAuth, makeRun } from './auth.ts';
import type { Services } from './services.ts';
import type { App } from './typebox.ts';
import { authRoutes } from '../auth/routes.ts';
import { userRoutes } from '../users/routes.ts';
import { careRoutes } from '../care/routes.ts';
import { clinicalNoteRoutes } from '../care/notes-routes.ts';
import { notificationRoutes } from '../notifications/routes.ts';
import { auditRoutes } from '../audit/routes.ts';
import { adminRoutes } from '../admin/routes.ts';
import { analyticsRoutes } from '../analytics/routes.ts';
import { prescriptionRoutes } from '../prescriptions/routes.ts';
import type { PrescriptionDeps } from '../prescriptions/service.ts';
import { reminderRoutes } from '../reminders/routes.ts';
import { deliveryRoutes } from '../delivery/routes.ts';
import { billingRoutes } from '../billing/routes.ts';
import { BillingService, type BillingDeps } from '../billing/service.ts';
import { buildGateways } from '../billing/gateways/index.ts';
import { safetyRoutes } from '../safety/routes.ts';
import { aiRoutes } from '../ai/routes.ts';
import { webApp } from './web-app.ts';
import { PdfRenderer } from '../pdf/renderer.ts';

export interface AppDependencies {
  db: Database;
  logger: Logger;
  /** Defaults to loadConfig() (environment). */
  config?: Config;
  mailer?: Mailer;
  /** LISTEN/NOTIFY fan-out for live notifications; without it the SSE stream answers 503. */
  hub?: NotificationHub;
  /** Jobs waiting in the queue, for /metrics. */
  queueDepth?: () => Promise<number>;
  /** File store and reading queue: without them the prescription routes are not served. */
  prescriptions?: PrescriptionDeps;
  /** Billing's job hook (the Bakong poll queue); without it KHQR is not offered. */
  billing?: Pick<BillingDeps, 'enqueuePoll' | 'enqueueMail'>;
  /**
   * The background jobs' login (dastern_worker), for the few API actions that act as 'system'
   * (a payment's confirmation, loading the drug knowledge base): the API's own login can never
   * be 'system' (migration 014). Without it those actions fail closed.
   */
  systemDb?: Database;
  /** The PDF renderer (one Chromium); defaults to one the app makes, launches on first PDF and closes. */
  pdf?: PdfRenderer;
  /**
   * The read replica (DATABASE_READ_URL) beside `db`, for the list and statistics routes
   * (`Services.runRead`); without it they read the primary.
   */
  readDb?: ReadReplica;
}

export { API_PREFIX };
const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** The app in named steps: the server, its basic hooks, the plugins, the services, the routes. */
export async function buildApp(deps: AppDependencies): Promise<FastifyInstance> {
  const config = deps.config ?? loadConfig();
  const schemas = schemaCompilers();
  const app = createServer(deps.logger, config.api, schemas);
  installBasics(app, deps.db, schemas, deps.logger);
  await registerSecurity(app, config.api);
  await registerOpenApi(app);
  const { services, owned } = buildServices(app, deps, config);
  const registry = registerMetrics(app as unknown as FastifyInstance, {
    pool: deps.db.pool,
    queueDepth: deps.queueDepth,
    token: config.api.metricsToken,
  });
  if (deps.readDb) readMetrics(registry, deps.readDb);
  registerHealth(app, deps.db);
  await app.register(async (scoped) => registerDomainRoutes(scoped as unknown as App, deps, config, services), {
    prefix: API_PREFIX,
  });
  // The web app at / (web/dist) with its client routes; /api, /docs and /metrics keep theirs.
  await webApp(app as unknown as FastifyInstance);
  app.addHook('onClose', async () => {
    if (owned.mailer) services.mailer.close();
    if (owned.pdf) await services.pdf.close();
  });
  return app as unknown as FastifyInstance;
}

function createServer(logger: Logger, api: Config['api'], schemas: SchemaCompilers): App {
  const fastify = Fastify({
    schemaController: schemas.schemaController,
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: 1_048_576,
    // Behind the reverse proxy, trust only the hop it adds: `true` would take the left-most
    // X-Forwarded-For entry, which the client writes (per-IP limits bypassed, audit IPs forged).
    trustProxy: api.trustProxy ? (_address: string, hop: number) => hop < 1 : false,
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : crypto.randomUUID();
    },
    // request lines with the route's template, never the URL (codes, tokens, search terms)
    logController: new RouteLogController(),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  });
  return fastify.withTypeProvider() as unknown as App;
}

/** Validation, the request-id and cache headers, closing behaviour, problem+json errors. */
function installBasics(app: App, db: Database, schemas: SchemaCompilers, logger: Logger): void {
  app.setValidatorCompiler(schemas.validatorCompiler);
  // the schemas not compiled at their first use are compiled once the server listens
  app.addHook('onListen', async () =>
    schemas.compileRest((err) => logger.error({ err: String(err) }, 'a route schema does not compile')),
  );
  // JSON only (multipart where a route registers it): no silent text/plain bodies.
  app.removeContentTypeParser('text/plain');
  app.addSchema(ProblemSchema);
  addSharedSchema(ProblemSchema);
  app.decorateRequest('auth', null);

  // the x-request-id header is set with the security headers (src/http/security.ts)

  // Shutting down: a request that was already in flight is answered with Connection: close, or
  // its keep-alive connection would hold the server open until the keep-alive timeout (Fastify
  // closes only the connections idle when close() starts; new requests get 503 and close).
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    // Personal and medical data must never sit in a shared cache.
    if (request.url.startsWith(API_PREFIX)) reply.header('cache-control', 'no-store');
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });

  const userLanguage = makeUserLanguage(db);
  app.setErrorHandler((err, request, reply) => sendProblem(request, reply, err, userLanguage));
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, routeNotFound(request.method, request.url), userLanguage),
  );
}

/** What the route modules share; `owned` names what the app made itself and must close. */
function buildServices(
  app: App,
  deps: AppDependencies,
  config: Config,
): { services: Services; owned: { mailer: boolean; pdf: boolean } } {
  const api = config.api;
  const tokens = new TokenService(resolveJwtSecret(config), api.accessTokenTtlSeconds);
  const mailer = deps.mailer ?? configuredMailer(config, deps.logger);
  const run = makeRun(deps.db);
  const runRead = deps.readDb
    ? readYourWrites(app as unknown as FastifyInstance, deps.readDb)
    : makeRun(deps.db, { readOnly: true });
  const services: Services = {
    config,
    db: deps.db,
    logger: deps.logger,
    tokens,
    passwords: new Passwords(api.bcryptCost),
    mailer,
    hub: deps.hub,
    requireAuth: makeRequireAuth(tokens),
    run,
    runRead,
    context: makeContext(run, runRead),
    files: deps.prescriptions?.files,
    systemDb: deps.systemDb ?? deps.db,
    pdf: deps.pdf ?? new PdfRenderer(config.chromiumPath),
  };
  return { services, owned: { mailer: deps.mailer === undefined, pdf: deps.pdf === undefined } };
}

function registerHealth(app: App, db: Database): void {
  app.get(
    `${API_PREFIX}/health`,
    {
      schema: {
        tags: ['operations'],
        summary: 'Liveness and database readiness',
        response: {
          200: Type.Object({ status: Type.Literal('ok'), database: Type.Literal('ready') }),
          503: Type.Object({ status: Type.Literal('degraded'), database: Type.Literal('unavailable') }),
        },
      },
    },
    async (_req, reply) => {
      const database = await db.ping();
      if (database) return reply.code(200).send({ status: 'ok', database: 'ready' });
      return reply.code(503).send({ status: 'degraded', database: 'unavailable' });
    },
  );
}

/** Every domain's routes under /api/v1. */
async function registerDomainRoutes(r: App, deps: AppDependencies, config: Config, services: Services): Promise<void> {
  await authRoutes(r, services);
  await userRoutes(r, services);
  await careRoutes(r, services);
  await clinicalNoteRoutes(r, services);
  await notificationRoutes(r, services);
  await auditRoutes(r, services);
  await adminRoutes(r, services);
  await analyticsRoutes(r, services);
  await reminderRoutes(r, services);
  await deliveryRoutes(r, services);
  if (deps.prescriptions) await prescriptionRoutes(r, services, deps.prescriptions);
  const billing = new BillingService({
    db: deps.systemDb ?? deps.db,
    logger: deps.logger,
    env: config.env,
    config: config.billing,
    gateways: buildGateways(config),
    enqueuePoll: deps.billing?.enqueuePoll,
    enqueueMail: deps.billing?.enqueueMail,
  });
  await billingRoutes(r, services, billing);
  await safetyRoutes(r, services);
  await aiRoutes(r, services);
}
