/**
 * Prometheus metrics: request count and latency by route template (never by raw URL, so no
 * id or personal value becomes a label), database pool usage, and the job queue's depth.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { createHash, timingSafeEqual } from 'node:crypto';
import { unauthorized } from './errors.ts';
import { problems } from './schemas.ts';

export interface MetricsOptions {
  pool: pg.Pool;
  /** Jobs waiting in the queue; undefined until the queue exists. */
  queueDepth?: () => Promise<number>;
  /** When set, scrapes must send `Authorization: Bearer <token>` (DASTERN_METRICS_TOKEN). */
  token?: string | undefined;
}

/** Compares a presented bearer token with the configured one in constant time. */
function tokenMatches(header: string | undefined, token: string): boolean {
  const presented = /^Bearer (\S+)$/.exec(header ?? '')?.[1] ?? '';
  const digest = (v: string): Buffer => createHash('sha256').update(v).digest();
  return timingSafeEqual(digest(presented), digest(token));
}

export function registerMetrics(app: FastifyInstance, options: MetricsOptions): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'dastern_' });
  const requests = new Counter({
    name: 'dastern_http_requests_total',
    help: 'HTTP requests by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'dastern_http_request_duration_seconds',
    help: 'HTTP request latency by method and route template',
    labelNames: ['method', 'route'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  registerGauges(registry, options);

  // Synchronous, with the label objects made once per method, route and status.
  const labelsOf = new Map<
    string,
    { counted: { method: string; route: string; status: string }; timed: { method: string; route: string } }
  >();
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const key = `${request.method} ${reply.statusCode} ${route}`;
    let labels = labelsOf.get(key);
    if (labels === undefined) {
      const timed = { method: request.method, route };
      labels = { timed, counted: { ...timed, status: String(reply.statusCode) } };
      // route templates, methods and statuses are few; the bound only guards against surprises
      if (labelsOf.size < 10_000) labelsOf.set(key, labels);
    }
    requests.inc(labels.counted);
    latency.observe(labels.timed, reply.elapsedTime / 1000);
    done();
  });

  app.get(
    '/metrics',
    {
      schema: {
        hide: false,
        tags: ['operations'],
        summary:
          'Prometheus metrics (text exposition format); with DASTERN_METRICS_TOKEN set, only for `Authorization: Bearer <token>`',
        response: { 200: { type: 'string' }, ...problems(401) },
      },
    },
    async (request, reply) => {
      const token = options.token;
      if (token !== undefined && !tokenMatches(request.headers.authorization, token))
        throw unauthorized('invalid_token', 'metrics need the scraper token');
      const text = await registry.metrics();
      return reply.type(registry.contentType).send(text);
    },
  );
  return registry;
}

/** The database pool's connections and the job queue's depth, read at each scrape. */
function registerGauges(registry: Registry, options: MetricsOptions): void {
  const pool = options.pool;
  new Gauge({
    name: 'dastern_db_pool_connections',
    help: 'database pool connections by state',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      this.set({ state: 'total' }, pool.totalCount);
      this.set({ state: 'idle' }, pool.idleCount);
      this.set({ state: 'waiting' }, pool.waitingCount);
    },
  });
  const queueDepth = options.queueDepth;
  new Gauge({
    name: 'dastern_queue_depth',
    help: 'jobs waiting in the job queue',
    registers: [registry],
    async collect() {
      if (queueDepth === undefined) return;
      try {
        this.set(await queueDepth());
      } catch {
        // The gauge keeps its last value; /metrics must not fail because the queue is down.
      }
    },
  });
}
