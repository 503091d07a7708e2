/**
 * The per-request half of the security plugins, made cheap: the response headers that never
 * change, CORS and the global per-address rate limit in plain synchronous hooks.
 *
 * - Security headers: Helmet's, computed once at start by running Helmet's own middleware with
 *   the app's options against a recording response (the headers it sets do not depend on the
 *   request), then copied onto every response. @fastify/helmet built a new Helmet middleware
 *   (its CSP parsed and validated again) on every request.
 * - CORS: the same answers as @fastify/cors with these options (`Vary: Origin` always; the allow
 *   and expose headers only for a listed Origin; a preflight from a listed Origin answered 204 at
 *   once, a malformed one 400), without resolving options per request.
 * - Rate limit: the global per-address budget as a fixed window per address in a bounded map,
 *   run where @fastify/rate-limit ran it (after the route's own onRequest hooks, on every route
 *   without a limit of its own, not for the allow-listed URLs), with the same headers and 429.
 *   Routes with `config.rateLimit` and `app.rateLimit()` keep @fastify/rate-limit.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';
import type {
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  onRequestHookHandler,
  RouteOptions,
} from 'fastify';
import type { App } from './typebox.ts';

/** The headers Helmet sets with these options, in its order (name as Helmet writes it, value). */
export function helmetHeaders(options: Readonly<HelmetOptions>): ReadonlyArray<readonly [string, string]> {
  const set = new Map<string, string>();
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      set.set(name, String(value));
      return recorder;
    },
    removeHeader(name: string) {
      set.delete(name);
    },
    getHeader: () => undefined,
  };
  let finished = false;
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => {
    if (err !== undefined && err !== null) throw err instanceof Error ? err : new Error(String(err));
    finished = true;
  });
  if (!finished) throw new Error('helmet did not finish synchronously');
  return [...set.entries()];
}

export interface CorsOptions {
  origins: readonly string[];
  methods: readonly string[];
  allowedHeaders: readonly string[];
  exposedHeaders: readonly string[];
  maxAge: number;
}

/**
 * One onRequest hook: the request id, the security headers and CORS. Registered in place of
 * @fastify/helmet and @fastify/cors, with their OPTIONS route (a request that is not a
 * preflight from a listed origin is not found).
 */
export function registerHeadersAndCors(app: App, headers: ReadonlyArray<readonly [string, string]>, cors: CorsOptions) {
  const allowed = new Set(cors.origins);
  const expose = cors.exposedHeaders.join(', ');
  const allowMethods = cors.methods.join(', ');
  const allowHeaders = cors.allowedHeaders.join(', ');
  const maxAge = String(cors.maxAge);
  const names = headers.map(([name]) => name);
  const values = headers.map(([, value]) => value);
  const count = headers.length;

  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    reply.header('x-request-id', request.id);
    const raw = reply.raw;
    for (let i = 0; i < count; i++) raw.setHeader(names[i] as string, values[i] as string);
    reply.header('vary', 'Origin');
    const origin = request.headers.origin;
    if (origin === undefined || !allowed.has(origin)) {
      done();
      return;
    }
    reply.header('access-control-allow-origin', origin);
    reply.header('access-control-expose-headers', expose);
    if (request.raw.method !== 'OPTIONS') {
      done();
      return;
    }
    if (!request.headers['access-control-request-method']) {
      void reply.status(400).type('text/plain').send('Invalid Preflight Request');
      return;
    }
    reply.header('access-control-allow-methods', allowMethods);
    reply.header('access-control-allow-headers', allowHeaders);
    reply.header('access-control-max-age', maxAge);
    void reply.code(204).header('content-length', '0').send();
  });
  app.options('*', { schema: { hide: true } }, (_request, reply) => {
    reply.callNotFound();
  });
}

interface Window {
  count: number;
  resetAt: number;
}

/** Fixed windows per key, at most `capacity` keys (the oldest window goes first). */
export class FixedWindows {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly windowMs: number,
    private readonly capacity = 10_000,
  ) {}

  /** Counts a hit; returns the window (count after this hit, when it resets). */
  hit(key: string, now: number): Window {
    let w = this.windows.get(key);
    if (w === undefined || w.resetAt <= now) {
      if (w !== undefined) this.windows.delete(key);
      else if (this.windows.size >= this.capacity) this.evict(now);
      w = { count: 0, resetAt: now + this.windowMs };
      this.windows.set(key, w);
    }
    w.count += 1;
    return w;
  }

  get size(): number {
    return this.windows.size;
  }

  private evict(now: number): void {
    for (const [k, w] of this.windows) if (w.resetAt <= now) this.windows.delete(k);
    // still full: the oldest windows (insertion order) go
    for (const k of this.windows.keys()) {
      if (this.windows.size < this.capacity) break;
      this.windows.delete(k);
    }
  }
}

export interface GlobalLimitOptions {
  max: number;
  windowMs: number;
  /** URLs never limited (exact match). */
  allowUrls: readonly string[];
  /** The error thrown when the budget is spent (seconds until the window resets). */
  exceeded: (retryAfterSeconds: number) => Error;
}

/**
 * The global per-address limit, added to every route registered from now on that has no
 * `config.rateLimit` of its own (after its own onRequest hooks, as @fastify/rate-limit did).
 */
export function registerGlobalLimit(app: App, options: GlobalLimitOptions): void {
  const windows = new FixedWindows(options.windowMs);
  const allow = new Set(options.allowUrls);
  const max = options.max;
  const limit: onRequestHookHandler = (request, reply, done) => {
    if (allow.has(request.url)) {
      done();
      return;
    }
    const now = Date.now();
    const w = windows.hit(request.ip, now);
    const resetSeconds = Math.ceil((w.resetAt - now) / 1000);
    reply.header('x-ratelimit-limit', max);
    if (w.count <= max) {
      reply.header('x-ratelimit-remaining', max - w.count);
      reply.header('x-ratelimit-reset', resetSeconds);
      done();
      return;
    }
    reply.header('x-ratelimit-remaining', 0);
    reply.header('x-ratelimit-reset', resetSeconds);
    reply.header('retry-after', resetSeconds);
    done(options.exceeded(resetSeconds));
  };
  app.addHook('onRoute', (route: RouteOptions) => {
    const config = route.config as { rateLimit?: unknown } | undefined;
    if (config?.rateLimit !== undefined && config.rateLimit !== null) return;
    const own = route.onRequest;
    route.onRequest = own === undefined ? [limit] : Array.isArray(own) ? [...own, limit] : [own, limit];
  });
}
