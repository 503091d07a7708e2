/**
 * The service's database access: a pool logged in as `dastern_app` (NOSUPERUSER,
 * NOBYPASSRLS, not the tables' owner) and `withUser()`, which runs a function in one
 * transaction whose first statement sets the row-level-security context.
 */
import pg from 'pg';

export const APP_ROLE = 'dastern_app';
/** Background jobs' login: the only role whose app.user_role = 'system' counts (migration 014). */
export const WORKER_ROLE = 'dastern_worker';

/** Who a transaction acts for. 'system' is for background jobs only, never from a client. */
export type ActorRole = 'patient' | 'doctor' | 'admin' | 'system';
const ACTOR_ROLES: ReadonlySet<string> = new Set(['patient', 'doctor', 'admin', 'system']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface Actor {
  userId: string | null;
  role: ActorRole;
}

export interface RequestMeta {
  ip?: string | undefined;
  userAgent?: string | undefined;
  /**
   * A query sent together with BEGIN and the context (one round trip), e.g. "is this session
   * still open?"; when it returns no row, `refuse()` is thrown and the transaction rolled back.
   */
  precondition?: { text: string; values: readonly unknown[]; refuse: () => Error } | undefined;
}

/** What a service function gets: parameterised queries inside the caller's transaction. */
export interface Tx {
  /**
   * A parameterised query in the transaction. The first one may be sent together with the
   * opening (BEGIN, context, precondition), before the precondition has answered: no result
   * comes back until it has passed, and on a refusal the transaction is rolled back. So a
   * function given to withUser must do nothing outside the database before its first query's
   * result (today every one starts with a query).
   */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: readonly unknown[]): Promise<pg.QueryResult<R>>;
  /**
   * Runs a write at the very end, pipelined with COMMIT (same transaction: if it fails, nothing
   * commits): no round trip of its own. For the audit rows of reads.
   */
  defer(text: string, values?: readonly unknown[]): void;
  readonly actor: Actor;
}

interface CorkableStream { cork(): void; uncork(): void }

/** The client's socket, where pg exposes it (it corks the socket itself for each query). */
function socketOf(client: pg.PoolClient): CorkableStream | undefined {
  const stream: unknown = (client as unknown as { connection?: { stream?: unknown } }).connection?.stream;
  if (typeof stream !== 'object' || stream === null) return undefined;
  const s = stream as Partial<CorkableStream>;
  return typeof s.cork === 'function' && typeof s.uncork === 'function' ? (stream as CorkableStream) : undefined;
}

/**
 * Issues pipelined queries (pg sends each at once) with the socket corked, so that they leave
 * in one write: one system call and one wake-up of the server process instead of one per query.
 * (The opening of withUser also starts fn in here: its first query joins the same write.)
 */
function inOneWrite<T>(client: pg.PoolClient, issue: () => T): T {
  const socket = socketOf(client);
  socket?.cork();
  try {
    return issue();
  } finally {
    socket?.uncork();
  }
}

export class Database {
  readonly pool: pg.Pool;

  constructor(appUrl: string, options: { max?: number } = {}) {
    // Pipelining: BEGIN, the RLS context and a precondition leave in one round trip.
    this.pool = new pg.Pool({ connectionString: appUrl, max: options.max ?? 20, idleTimeoutMillis: 30_000, pipeline: true });
    // An idle client's error (server restart) must not crash the process; the pool drops it.
    this.pool.on('error', () => undefined);
  }

  /** Runs fn in a transaction as `actor`; RLS policies read app.user_id / app.user_role. */
  async withUser<T>(actor: Actor, fn: (tx: Tx) => Promise<T>, meta: RequestMeta = {}): Promise<T> {
    if (!ACTOR_ROLES.has(actor.role)) throw new Error(`unknown actor role "${String(actor.role)}"`);
    if (actor.userId !== null && !UUID.test(actor.userId)) throw new Error('actor userId must be a UUID');
    const client = await this.pool.connect();
    let broken = false;
    // once withUser is over (or its opening failed) the client is not fn's any more
    let closed = false;
    try {
      const pre = meta.precondition;
      const deferred: Array<{ text: string; values: readonly unknown[] | undefined }> = [];
      const { opened, run } = inOneWrite(client, () => {
        const opening = Promise.allSettled([
          client.query('BEGIN'),
          client.query(
            `SELECT set_config('app.user_id', $1, true), set_config('app.user_role', $2, true),
                    set_config('app.client_ip', $3, true), set_config('app.user_agent', $4, true)`,
            [actor.userId ?? '', actor.role, meta.ip ?? '', (meta.userAgent ?? '').slice(0, 512)],
          ),
          ...(pre ? [client.query(pre.text, pre.values as unknown[])] : []),
        ]);
        const opened = opening.then((results) => {
          for (const r of results) if (r.status === 'rejected') throw r.reason;
          const check = results[2];
          if (pre && !(check?.status === 'fulfilled' && (check.value.rowCount ?? 0) > 0)) throw pre.refuse();
        });
        // (first in line: fn's queries can no longer start once the opening has failed)
        opened.catch(() => {
          closed = true;
        });
        // No result reaches fn before the opening (context, precondition) has succeeded: fn's
        // queries may travel with it (one round trip), but their results wait for it, and on a
        // refusal they are thrown away with the rolled-back transaction.
        const tx: Tx = {
          actor,
          query: <R extends pg.QueryResultRow>(text: string, values?: readonly unknown[]): Promise<pg.QueryResult<R>> => {
            if (closed) return Promise.reject(new Error('this transaction is over'));
            const sent = client.query<R>(text, values as unknown[] | undefined);
            sent.catch(() => undefined);
            const answer = opened.then(() => sent);
            // a refusal rejects every pending query at once: withUser reports it, an unawaited one must not crash the process
            answer.catch(() => undefined);
            return answer;
          },
          defer: (text, values) => {
            if (closed) throw new Error('this transaction is over');
            deferred.push({ text, values });
          },
        };
        // fn runs to its first await here, so its first query leaves in the same write as BEGIN.
        const run = (async () => fn(tx))();
        run.catch(() => undefined);
        return { opened, run };
      });
      await opened;
      const result = await run;
      // fn has returned: a query it sends from now on would land after COMMIT, outside the transaction
      closed = true;
      const closing = await Promise.allSettled(inOneWrite(client, () => [
        ...deferred.map((d) => client.query(d.text, d.values as unknown[] | undefined)),
        client.query('COMMIT'),
      ]));
      for (const r of closing) if (r.status === 'rejected') throw r.reason;
      // A deferred write that failed turned COMMIT into a rollback: report it.
      const last = closing[closing.length - 1];
      if (last?.status === 'fulfilled' && last.value.command === 'ROLLBACK') throw new Error('transaction rolled back at commit');
      closed = true;
      return result;
    } catch (err) {
      closed = true;
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw err;
    } finally {
      closed = true;
      client.release(broken);
    }
  }

  /** Readiness: can the service's role reach the database? */
  async ping(): Promise<boolean> {
    try {
      await this.pool.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
