/**
 * The HTTP side of the read replica (src/db/read-replica.ts): `runRead` for the routes whose
 * answer may be slightly stale (lists, statistics), and read-your-own-writes — after a
 * successful write the primary's WAL position goes back in the `x-dastern-lsn` header and a
 * 30-second cookie (and is remembered for the session in this process); a later read that
 * brings it back (header `x-dastern-min-lsn` or the cookie) is served by the replica only once
 * the replica has replayed that far.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Gauge, type Registry } from 'prom-client';
import type { Tx } from '../db/database.ts';
import { lsnValue, type ReadReplica } from '../db/read-replica.ts';
import { actorOf, requestMeta, type Run } from './auth.ts';
import { LIVE_SESSION_CHECK } from '../auth/queries.ts';
import { unauthorized } from './errors.ts';

export const LSN_HEADER = 'x-dastern-lsn';
export const MIN_LSN_HEADER = 'x-dastern-min-lsn';
const COOKIE = 'dastern_lsn';
const REMEMBER_MS = 30_000;
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The last write position per session, in this process (a client that echoes nothing still reads its writes here). */
class RecentWrites {
  private readonly bySession = new Map<string, { lsn: bigint; at: number }>();

  note(sessionId: string, lsn: bigint): void {
    const now = Date.now();
    if (this.bySession.size > 10_000) {
      for (const [k, v] of this.bySession) if (now - v.at > REMEMBER_MS) this.bySession.delete(k);
    }
    this.bySession.set(sessionId, { lsn, at: now });
  }

  get(sessionId: string): bigint | undefined {
    const e = this.bySession.get(sessionId);
    if (e === undefined) return undefined;
    if (Date.now() - e.at > REMEMBER_MS) {
      this.bySession.delete(sessionId);
      return undefined;
    }
    return e.lsn;
  }
}

function cookieLsn(request: FastifyRequest): bigint | undefined {
  const header = request.headers.cookie;
  if (typeof header !== 'string') return undefined;
  const m = new RegExp(`(?:^|;\\s*)${COOKIE}=([0-9A-Fa-f]{1,8}(?:/|%2F)[0-9A-Fa-f]{1,8})`).exec(header);
  return m ? lsnValue(decodeURIComponent(m[1]!)) : undefined;
}

/** The highest write position the request asks to see: its header, its cookie, this process's memory. */
function minLsnOf(request: FastifyRequest, recent: RecentWrites): bigint | undefined {
  const given = request.headers[MIN_LSN_HEADER];
  const candidates = [
    typeof given === 'string' ? lsnValue(given) : undefined,
    cookieLsn(request),
    request.auth ? recent.get(request.auth.sessionId) : undefined,
  ].filter((v): v is bigint => v !== undefined);
  return candidates.length === 0 ? undefined : candidates.reduce((a, b) => (a > b ? a : b));
}

/** `dastern_db_reads_served{target}`: the runRead transactions each side served since start. */
export function readMetrics(registry: Registry, replica: ReadReplica): void {
  new Gauge({
    name: 'dastern_db_reads_served',
    help: 'List and statistics reads (runRead) served by the read replica or, when it was behind, unreachable or refused, by the primary',
    labelNames: ['target'] as const,
    registers: [registry],
    collect() {
      this.set({ target: 'replica' }, replica.served.replica);
      this.set({ target: 'primary' }, replica.served.primary);
    },
  });
}

/**
 * `runRead` (like `run`: the session checked first, the user's RLS context) on the replica, and
 * the hook that hands out the write position after each successful write.
 */
export function readYourWrites(app: FastifyInstance, replica: ReadReplica): Run {
  const recent = new RecentWrites();
  app.addHook('onSend', async (request, reply, payload) => {
    if (!WRITES.has(request.method) || reply.statusCode >= 400 || !request.url.startsWith('/api/')) return payload;
    let lsn: string;
    try {
      lsn = await replica.primaryLsn();
    } catch (err) {
      // the write is done: its answer goes out without a position (her next reads may be a moment stale)
      request.log.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'no WAL position for read-your-writes',
      );
      return payload;
    }
    const value = lsnValue(lsn);
    if (request.auth && value !== undefined) recent.note(request.auth.sessionId, value);
    reply.header(LSN_HEADER, lsn);
    reply.header(
      'set-cookie',
      `${COOKIE}=${encodeURIComponent(lsn)}; Max-Age=${REMEMBER_MS / 1000}; Path=/api; HttpOnly; SameSite=Strict`,
    );
    return payload;
  });
  return async function runRead<T>(request: FastifyRequest, fn: (tx: Tx) => Promise<T>): Promise<T> {
    const actor = actorOf(request);
    return replica.withUser(
      actor,
      fn,
      {
        ...requestMeta(request),
        precondition: {
          text: LIVE_SESSION_CHECK,
          values: [request.auth?.sessionId, actor.userId],
          refuse: () => unauthorized('session_revoked', 'this session has ended; sign in again'),
        },
      },
      minLsnOf(request, recent),
    );
  };
}
