/**
 * The service's database access: a pool logged in as `dastern_app` (NOSUPERUSER,
 * NOBYPASSRLS, not the tables' owner) and `withUser()`, which runs a function in one
 * transaction whose first statement sets the row-level-security context.
 */
import pg from 'pg';
import { namedStatement, PipelinedClient, sendTogether } from './pipeline.ts';

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
  /**
   * fn only reads (and defers its audit rows): it starts at once and its first queries leave in
   * the opening's write, behind the precondition, which then aborts the transaction when it
   * finds no row, so that none of them runs for a refused request (one write and one round trip
   * less per read). Without a precondition it changes nothing.
   */
  readOnly?: boolean | undefined;
}

/** What a service function gets: parameterised queries inside the caller's transaction. */
export interface Tx {
  /**
   * A parameterised query in the transaction. fn starts only once the opening (BEGIN, the
   * context, the precondition) has answered: nothing it does, in the database or outside it,
   * happens for a refused request.
   */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: readonly unknown[],
  ): Promise<pg.QueryResult<R>>;
  /**
   * Runs a write at the very end, pipelined with COMMIT (same transaction: if it fails, nothing
   * commits): no round trip of its own. For the audit rows of reads.
   */
  defer(text: string, values?: readonly unknown[]): void;
  readonly actor: Actor;
}

const CONTEXT = `SELECT set_config('app.user_id', $1, true), set_config('app.user_role', $2, true),
                        set_config('app.client_ip', $3, true), set_config('app.user_agent', $4, true)`;

/** division_by_zero: what abortUnlessRow raises when its query finds no row. */
const NO_ROW = '22012';

/**
 * `text` (a query that returns a row when the request may go on) made to raise an error when it
 * returns none: the transaction is then aborted, and every query pipelined behind it fails
 * without running. SQL has no RAISE outside PL/pgSQL; 1 / 0 is the error at hand.
 */
function abortUnlessRow(text: string): string {
  return `SELECT 1 / count(*)::int AS ok FROM (${text}) AS precondition`;
}

/** Waits for every answer (pipelined queries all answer), then throws the first failure. */
async function allAnswered<T>(sent: readonly Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(sent);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/**
 * A client checked out of `pool`. While checked out, a client's error (the server restarted, or
 * killed the backend) is emitted on the client, not the pool: without a listener it would crash
 * the process. Here it is caught (the query in flight fails with it) and the client is dropped at
 * release instead of going back to the pool.
 */
export async function checkout(pool: pg.Pool): Promise<{ client: pg.PoolClient; release(broken: boolean): void }> {
  const client = await pool.connect();
  let failed = false;
  const onError = (): void => {
    failed = true;
  };
  client.on('error', onError);
  return {
    client,
    release(broken) {
      client.off('error', onError);
      client.release(broken || failed);
    },
  };
}

export class Database {
  readonly pool: pg.Pool;
  /** Named (prepared) statements; off behind a pooler that cannot keep them (DASTERN_DB_PREPARED_STATEMENTS). */
  private readonly prepare: boolean;

  constructor(appUrl: string, options: { max?: number; prepare?: boolean } = {}) {
    this.prepare = options.prepare ?? true;
    // Pipelining (see pipeline.ts): the opening and the closing each leave in one write.
    this.pool = new pg.Pool({
      connectionString: appUrl,
      max: options.max ?? 20,
      idleTimeoutMillis: 30_000,
      pipeline: true,
      Client: PipelinedClient,
    });
    // An idle client's error (server restart) must not crash the process; the pool drops it.
    this.pool.on('error', () => undefined);
  }

  /** Runs fn in a transaction as `actor`; RLS policies read app.user_id / app.user_role. */
  async withUser<T>(actor: Actor, fn: (tx: Tx) => Promise<T>, meta: RequestMeta = {}): Promise<T> {
    if (!ACTOR_ROLES.has(actor.role)) throw new Error(`unknown actor role "${String(actor.role)}"`);
    if (actor.userId !== null && !UUID.test(actor.userId)) throw new Error('actor userId must be a UUID');
    const { client, release } = await checkout(this.pool);
    let broken = false;
    // once fn has returned (or withUser failed) the client is not fn's any more
    let closed = false;
    try {
      const pre = meta.precondition;
      const early = pre !== undefined && meta.readOnly === true;
      const deferred: pg.QueryConfig<unknown[]>[] = [];
      const tx: Tx = {
        actor,
        query: <R extends pg.QueryResultRow>(text: string, values?: readonly unknown[]): Promise<pg.QueryResult<R>> => {
          if (closed) return Promise.reject(new Error('this transaction is over'));
          const sent = client.query<R>(namedStatement(text, values, this.prepare));
          // a query fn never awaits (fn failed first) must not crash the process; fn still sees its failure
          sent.catch(() => undefined);
          return sent;
        },
        defer: (text, values) => {
          if (closed) throw new Error('this transaction is over');
          deferred.push(namedStatement(text, values, this.prepare));
        },
      };
      let started: Promise<T> | undefined;
      // The opening, one round trip: BEGIN, the RLS context and the precondition (and, for an
      // early read, fn's first queries).
      const sent = sendTogether(client, () => {
        const opening = [
          client.query('BEGIN'),
          client.query(
            namedStatement(
              CONTEXT,
              [actor.userId ?? '', actor.role, meta.ip ?? '', (meta.userAgent ?? '').slice(0, 512)],
              this.prepare,
            ),
          ),
          ...(pre
            ? [client.query(namedStatement(early ? abortUnlessRow(pre.text) : pre.text, pre.values, this.prepare))]
            : []),
        ];
        if (early) {
          started = fn(tx);
          started.catch(() => undefined); // awaited below, unless the precondition refused
        }
        return opening;
      });
      let opening: pg.QueryResult[];
      try {
        opening = await allAnswered(sent);
      } catch (err) {
        if (early && pre && (err as { code?: string }).code === NO_ROW) throw pre.refuse();
        throw err;
      }
      if (pre && !early && !((opening[2]?.rowCount ?? 0) > 0)) throw pre.refuse();
      const result = await (started ?? fn(tx));
      // fn has returned: a query it sends from now on would land after COMMIT, outside the transaction
      closed = true;
      const closing = await allAnswered(
        sendTogether(client, () => [...deferred.map((d) => client.query(d)), client.query('COMMIT')]),
      );
      // A deferred write that failed turned COMMIT into a rollback: report it.
      if (closing[closing.length - 1]?.command === 'ROLLBACK') throw new Error('transaction rolled back at commit');
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
      release(broken);
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
